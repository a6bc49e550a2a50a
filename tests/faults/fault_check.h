#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "ledger.h"
#include "process_stack.h"

namespace mp::faults {

// Units per item id.
using Cart = std::map<std::string, int64_t>;
// "{1-2: 3, 1-5: 1}", for messages.
std::string CartText(const Cart& cart);

// One line of marketplace-bench's journal (--journal, bench/README.md).
// Fields a line lacks keep their defaults.
struct JournalEntry {
  int64_t t = 0;       // start of the call, steady clock (CLOCK_MONOTONIC) in ns
  int64_t end = 0;     // end of the call
  std::string client;  // "s0", "b3"
  int64_t user = 0;    // seller_id or buyer_id
  std::string call;    // docs/contract.md §4 name
  int status = 0;      // HTTP status, 0 without a reply
  // ok, declined, interrupted, unknown (the write may or may not have
  // happened), not_sent, error; found (an unknown registration that did
  // happen), recovered, final, run.
  std::string result;
  std::string item;
  bool has_units = false;
  int64_t units = 0;
  bool has_price = false;
  int64_t price = 0;
  bool is_new = false;
  std::string key;
  bool retry = false;
  bool has_cart = false;
  std::map<std::string, int64_t> cart;  // item id -> units
  std::string purchase_id;
  int64_t total = -1;
  std::string vote;
  std::map<std::string, int64_t> prices;  // final record of a seller
  bool exact = false;
};

// Reads a journal file. kInvalidArgument for a line that is not one.
StatusOr<std::vector<JournalEntry>> ReadJournal(const std::string& path);

// What the databases hold beyond the Ledger, for the journal's checks.
struct Shelf {
  struct Item {
    int64_t seller_id = 0;
    int64_t price_cents = 0;
    int64_t quantity = 0;
    int64_t up = 0;
    int64_t down = 0;
  };
  std::map<std::string, Item> items;                       // by item id
  std::map<std::pair<int64_t, std::string>, bool> votes;   // (buyer, item) -> up
  std::map<int64_t, std::pair<int64_t, int64_t>> ratings;  // seller -> (up, down)
  // buyer -> item -> units of the buyer's working cart (every session of
  // the buyer: a bench buyer has one) and of its saved cart.
  std::map<int64_t, std::map<std::string, int64_t>> carts;
  std::map<int64_t, std::map<std::string, int64_t>> saved_carts;
};

// Reads the shelf of `stack` (read-only queries on its databases).
StatusOr<Shelf> ReadShelf(integration::ProcessStack& stack);
StatusOr<Shelf> ReadShelf(storage::Database& products, storage::Database& customers);

// Every acknowledged write of `journal` that the databases do not show, and
// every counter that disagrees with the records it counts (empty when all
// is well):
//  - items: units for sale + units sold = the units the acknowledged writes
//    put up, give or take writes of unknown outcome; every item is one the
//    journal or the set-up (`seed_items_per_seller` each) accounts for;
//    prices are the last acknowledged (or a later unknown) price, and
//    exactly what a seller's final state says when it is exact;
//  - purchases: each 201 is a completed purchase with the id its key
//    derives, lines equal to the cart bought, lines summing to its total;
//    each 402 or interrupted purchase failed and has no lines; stock taken
//    for each line equals the line;
//  - votes: each acknowledged vote is stored; no vote without a call;
//    item and seller feedback equal the votes;
//  - carts: each buyer's working cart equals its exact final state; each
//    saved cart is the last acknowledged SaveCart's (or a later unknown
//    one's, or empty after a purchase).
std::vector<std::string> CheckJournal(const std::vector<JournalEntry>& journal,
                                      const integration::Ledger& ledger, const Shelf& shelf,
                                      int seed_items_per_seller);

// Waits until both frontends' /healthz answer 200 (after a restart of any
// component); kDeadlineExceeded after `timeout`.
Status WaitFrontendsHealthy(const integration::ProcessStack& stack, std::chrono::seconds timeout);

// One SIGKILL of the fault test and what followed.
struct Fault {
  std::string component;
  int64_t killed_ns = 0;     // steady clock
  int64_t restarted_ns = 0;  // the process (or server) serves again
  int64_t healthy_ns = 0;    // both frontends' /healthz answer 200 again
};

// What the clients saw of one fault.
struct FaultEffect {
  int64_t failed_calls = 0;          // calls that ended as unavailable after the kill
  std::map<int, int64_t> by_status;  // HTTP status (0: no reply) -> calls
  double first_failure_s = -1;       // kill -> first failed call ended; -1: none failed
  double last_failure_s = -1;        // kill -> last failed call ended
  // kill -> end of the first call that succeeded after the last failed one
  // of the same kind (-1 when none failed): the outage the clients saw.
  double outage_s = -1;
  std::string last_failed_call;
};

// Attributes the journal's failed calls to `faults` (each fault owns the
// calls that ended between its kill and the next one).
std::vector<FaultEffect> MeasureFaults(const std::vector<JournalEntry>& journal,
                                       const std::vector<Fault>& faults);

}  // namespace mp::faults
