#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/http_connection.h"

namespace mp::bench {

enum class Role { kSeller, kBuyer };

// splitmix64: a few instructions per number, and each client has its own,
// so choosing a call never takes a lock or touches shared memory.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); REQUIRES: n > 0.
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) * n >> 32); }

 private:
  uint64_t state_;
};

// An item of a seller, as that seller last set it (only its owner changes
// its price, so the seller can re-register it equal and have it merge).
struct OwnItem {
  std::string id;
  std::string name;
  int64_t category = 0;
  std::string keywords_json;  // e.g. ["lamp","red"]
  int64_t price_cents = 0;
};

// A line of a buyer's working cart; `item` indexes the item pool.
struct CartLine {
  uint32_t item = 0;
  int64_t quantity = 0;
};

// One simulated client: its account, its session on its own keep-alive
// connection, and what it knows of its own state, so that every call it
// makes is one the API should accept. Used from one io thread only.
struct Session {
  Session(Role role, int index, boost::asio::io_context& io, boost::asio::ip::tcp::endpoint server,
          std::string host, std::chrono::seconds timeout, uint64_t seed)
      : role(role), index(index), connection(io, server, std::move(host), timeout), rng(seed) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Role role;
  int index;  // among the sessions of its role
  std::string username;
  int64_t user_id = 0;
  HttpConnection connection;
  Rng rng;
  // Target and body of the call being made, reused so that a call formats
  // into memory it already has.
  std::string target;
  std::string body;

  // Seller: own items, and how many were ever registered new.
  std::vector<OwnItem> items;
  int items_created = 0;

  // Buyer: the working cart; items bought and not yet voted on (pool
  // indices); which pool items were ever bought; the next pool item to add.
  std::vector<CartLine> cart;
  std::vector<uint32_t> unvoted;
  std::vector<bool> bought;
  uint32_t next_pick = 0;

  // Resilient runs only (BenchOptions::resilient). The Idempotency-Key of
  // a purchase without a final answer yet, repeated until it has one; the
  // purchases made so far, for the next key; whether the buyer's cart or
  // the seller's items must be read back (a write's outcome was unknown).
  std::string purchase_key;
  int purchases_started = 0;
  bool sync_cart = false;
  bool sync_items = false;
};

}  // namespace mp::bench
