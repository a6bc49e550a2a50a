// A randomized concurrency checker: many clients on the real processes do
// random operations at once (bursts of 1-4 simultaneous purchases of one
// cart with and without a shared Idempotency-Key, same-key retries, cart
// edits during a purchase, withdrawals and price changes, votes, logouts
// and logins) while every server is SIGKILLed and restarted at random
// moments. Then, at rest: the ledger invariants and the audit library's
// findings, the real `marketplace audit`, every acknowledged write, and the
// purchase rules of docs/purchases.md "Concurrency" (no cart bought twice, a
// key's retries answer its first outcome, duplicates refused only as
// documented).
//
// Every choice of operation comes from a seed (MP_CHECK_SEED, else random),
// printed first, so a failing run replays with the same operations; timing,
// and so the interleaving, differs from run to run. Nothing is asserted on
// time: 503, 504 and dropped connections are outcomes like any other.
//
// Settings (environment): MP_CHECK_SEED, MP_CHECK_DURATION_S seconds of load
// (default 20), MP_CHECK_CLIENTS buyer clients (6), MP_CHECK_KILLS SIGKILLs
// spread over the run (5: each server once), MP_CHECK_ITEMS items (8).
// scripts/check_concurrency.sh runs a long version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <latch>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bench/workload.h"
#include "common/password.h"
#include "fault_check.h"
#include "ledger.h"
#include "process_stack.h"
#include "shop.h"

namespace mp::faults {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using integration::Buyer;
using integration::Component;
using integration::HttpResult;
using integration::Ledger;
using integration::ProcessStack;
using integration::Shop;
using storage::Engine;
using ::testing::IsEmpty;
using Cart = std::map<std::string, int64_t>;
using Clock = std::chrono::steady_clock;

constexpr Component kComponents[] = {Component::kBuyerServer, Component::kSellerServer,
                                     Component::kCustomerDb, Component::kProductDb,
                                     Component::kPayment};
constexpr const char* kPassword = "password1";  // HttpClient::SignUpAndLogIn's

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

uint64_t SeedFromEnv() {
  const char* v = std::getenv("MP_CHECK_SEED");
  if (v != nullptr && *v != '\0') return std::strtoull(v, nullptr, 10);
  std::random_device device;
  // Below 2^53, so that the seed survives any tool that reads it as a double.
  return ((uint64_t{device()} << 32) | device()) & ((uint64_t{1} << 53) - 1);
}

struct Settings {
  uint64_t seed = SeedFromEnv();
  int duration_s = EnvInt("MP_CHECK_DURATION_S", 20);
  int clients = EnvInt("MP_CHECK_CLIENTS", 6);
  int kills = EnvInt("MP_CHECK_KILLS", 5);
  int items = std::max(2, EnvInt("MP_CHECK_ITEMS", 8));
};

// The run's choices: std::mt19937_64 is specified bit for bit, and modulo
// (unlike the std distributions) is the same in every library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t Below(uint64_t n) { return gen_() % n; }

 private:
  std::mt19937_64 gen_;
};

bool Unknown(int status) { return status == 0 || status == 503 || status == 504; }

json::value PriceValue(int64_t cents) {
  if (cents % 100 == 0) return json::value(cents / 100);
  return json::value(static_cast<double>(cents) / 100.0);
}

int64_t Cents(const json::value& v) {
  if (v.is_int64()) return v.as_int64() * 100;
  if (v.is_uint64()) return static_cast<int64_t>(v.as_uint64()) * 100;
  if (v.is_double()) return std::llround(v.as_double() * 100);
  return -1;
}

std::string CartText(const Cart& cart) {
  std::string out = "{";
  for (const auto& [item, units] : cart) {
    if (out.size() > 1) out += ", ";
    out.append(item).append(": ").append(std::to_string(units));
  }
  return out + "}";
}

int64_t Get(const Cart& cart, const std::string& item) {
  auto it = cart.find(item);
  return it == cart.end() ? 0 : it->second;
}

// Lines of a JSON array of {item_id, quantity}; false when malformed.
bool ParseLines(const json::value* list, Cart& out) {
  if (list == nullptr || !list->is_array()) return false;
  for (const json::value& line : list->as_array()) {
    if (!line.is_object()) return false;
    const json::value* item = line.as_object().if_contains("item_id");
    const json::value* quantity = line.as_object().if_contains("quantity");
    if (item == nullptr || !item->is_string() || quantity == nullptr || !quantity->is_int64()) {
      return false;
    }
    out[std::string(item->as_string())] += quantity->as_int64();
  }
  return true;
}

// A journal line as marketplace-bench would write it, for CheckJournal.
JournalEntry Entry(const std::string& client, int64_t user, const std::string& call,
                   const std::string& item) {
  JournalEntry e;
  e.client = client;
  e.user = user;
  e.call = call;
  e.item = item;
  return e;
}

std::map<std::string, std::string> Auth(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// One answer to POST /v1/purchases.
struct Answer {
  int status = 0;
  std::string code;  // error.code
  std::string key;   // the Idempotency-Key sent, or ""
  std::string purchase_id;
  Cart lines;
  int64_t total = -1;
  std::string body;
};

Answer ToAnswer(const HttpResult& r, const std::string& key) {
  Answer a;
  a.status = r.status;
  a.code = r.error_code();
  a.key = key;
  a.body = r.body.substr(0, 300);
  json::value v = r.json();
  if (r.status == 201 && v.is_object()) {
    const json::object& o = v.as_object();
    if (const json::value* id = o.if_contains("purchase_id"); id && id->is_string()) {
      a.purchase_id = id->as_string();
    }
    if (!ParseLines(o.if_contains("items"), a.lines)) a.lines.clear();
    if (const json::value* total = o.if_contains("total")) a.total = Cents(*total);
  }
  return a;
}

// An answer a request with the same key must get again (docs/purchases.md,
// step 1 "on repeat"): the attempt has finished. 400 cart_empty is not one:
// no attempt was made, so a retry after an add may buy.
bool Final(const Answer& a) {
  return a.status == 201 || a.status == 402 ||
         (a.status == 400 && a.code == "purchase_interrupted") ||
         (a.status == 409 && a.code == "insufficient_quantity");
}

std::string Outcome(const Answer& a) {
  std::string out = std::to_string(a.status) + " " + a.code;
  if (a.status == 201) {
    out += a.purchase_id + " total " + std::to_string(a.total) + " " + CartText(a.lines);
  }
  return out;
}

// The answers a purchase may get, duplicate or not: docs/purchases.md.
bool Allowed(const Answer& a) {
  if (Unknown(a.status)) return true;
  switch (a.status) {
    case 201:
      return !a.purchase_id.empty() && !a.lines.empty() && a.total >= 0;
    case 402:
      return a.code == "payment_declined";
    case 409:
      return a.code == "purchase_in_progress" || a.code == "insufficient_quantity";
    case 400:
      return a.code == "cart_empty" || a.code == "purchase_interrupted";
    default:
      return false;
  }
}

// 1-4 purchases of one cart sent at the same moment, or one retry of an
// earlier key, and what the client knew before.
struct Burst {
  enum class Mode { kNoKey, kSharedKey, kMixed };
  enum class Edit { kNone, kAdd, kRemove, kClear };
  int number = 0;
  bool retry = false;
  Mode mode = Mode::kNoKey;
  std::string key;
  bool cart_known = false;
  Cart cart_before;  // GET /v1/cart just before
  // No earlier purchase of this buyer can still be pending, so the burst
  // buys exactly `cart_before` (when no edit runs beside it).
  bool settled_before = false;
  Edit edit = Edit::kNone;
  std::string edit_item;
  int64_t edit_units = 0;
  int edit_status = -1;
  std::vector<Answer> answers;
};

// What one buyer client did.
struct ClientLog {
  Buyer buyer;
  std::vector<Burst> bursts;
  std::vector<JournalEntry> votes;
  Cart added;  // units of acknowledged or unknown adds, per item
  std::vector<std::string> bad;
  int64_t ops = 0;
};

// What the seller client did, as journal entries for CheckJournal.
struct SellerLog {
  std::vector<JournalEntry> journal;
  std::map<std::string, int64_t> withdrawn;  // acknowledged, per item
  std::set<std::string> unsure;              // items with a withdrawal of unknown outcome
  std::vector<std::string> bad;
  int64_t ops = 0;
};

class ConcurrencyCheckTest : public ::testing::TestWithParam<Engine> {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      if (stack_ != nullptr) std::cerr << stack_->Logs();
      std::cerr << "replay: MP_CHECK_SEED=" << settings_.seed << " (with the same MP_CHECK_*)\n";
    }
    shop_.reset();
    stack_.reset();
  }

  // Logs in until it works or `until`; "" then.
  std::string LogIn(const Buyer& b, Clock::time_point until) const {
    while (true) {
      HttpResult r = shop_->buyer_http().Post(
          "/v1/sessions", json::object{{"username", b.username}, {"password", kPassword}});
      json::value v = r.json();
      if (r.status == 201 && v.is_object()) {
        if (const json::value* t = v.as_object().if_contains("token"); t && t->is_string()) {
          return std::string(t->as_string());
        }
      }
      if (Clock::now() > until) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  void RunBuyer(int index, ClientLog& log, Clock::time_point end);
  void RunBurst(int index, ClientLog& log, const uint64_t* d, bool& settled);
  void RunSeller(SellerLog& log, Clock::time_point end);
  std::vector<std::string> CheckPurchases(const std::vector<ClientLog>& clients,
                                          const Ledger& ledger);
  // `marketplace audit` on the stack's three databases; its exit code and
  // output.
  std::pair<int, std::string> RunAudit();

  Settings settings_;
  std::unique_ptr<ProcessStack> stack_;
  std::unique_ptr<Shop> shop_;
  std::vector<std::string> items_;
  std::map<std::string, int64_t> put_up_;
  std::atomic<bool> stop_{false};
};

void ConcurrencyCheckTest::RunBurst(int index, ClientLog& log, const uint64_t* d, bool& settled) {
  const integration::HttpClient& http = shop_->buyer_http();
  Burst burst;
  burst.number = static_cast<int>(log.bursts.size());
  // Two to four at once mostly; one alone now and then.
  int n = d[1] % 5 == 0 ? 1 : 2 + static_cast<int>(d[1] % 3);
  burst.mode = static_cast<Burst::Mode>(d[2] % 3);
  burst.edit = static_cast<Burst::Edit>(d[3] % 4);
  burst.edit_item = items_[d[4] % items_.size()];
  burst.edit_units = 1 + static_cast<int64_t>(d[5] % 2);
  auto edit_delay = std::chrono::milliseconds(d[6] % 40);
  if (burst.mode != Burst::Mode::kNoKey) {
    burst.key = "s" + std::to_string(settings_.seed) + "-c" + std::to_string(index) + "-b" +
                std::to_string(burst.number);
  }
  HttpResult cart = http.Get("/v1/cart", log.buyer.token);
  json::value cart_json = cart.json();
  burst.cart_known = cart.status == 200 && cart_json.is_object() &&
                     ParseLines(cart_json.as_object().if_contains("items"), burst.cart_before);
  if (!burst.cart_known) burst.cart_before.clear();
  burst.settled_before = settled;

  std::vector<HttpResult> results(n);
  const bool editing = burst.edit != Burst::Edit::kNone;
  std::latch ready(n + (editing ? 1 : 0));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    std::string key = burst.mode == Burst::Mode::kMixed && i % 2 == 1 ? "" : burst.key;
    threads.emplace_back([&, i, key] {
      ready.arrive_and_wait();
      results[i] = shop_->Purchase(log.buyer, key);
    });
  }
  if (editing) {
    threads.emplace_back([&] {
      ready.arrive_and_wait();
      // A little later, so that the edit often lands while a saga runs.
      std::this_thread::sleep_for(edit_delay);
      HttpResult r;
      switch (burst.edit) {
        case Burst::Edit::kAdd:
          r = http.Post("/v1/cart/items",
                        json::object{{"item_id", burst.edit_item}, {"quantity", burst.edit_units}},
                        log.buyer.token);
          break;
        case Burst::Edit::kRemove:
          r = http.Send(
              "DELETE",
              "/v1/cart/items/" + burst.edit_item + "?quantity=" + std::to_string(burst.edit_units),
              "", Auth(log.buyer.token));
          break;
        default:
          r = http.Send("DELETE", "/v1/cart", "", Auth(log.buyer.token));
      }
      burst.edit_status = r.status;
    });
  }
  for (std::thread& t : threads) t.join();
  if (burst.edit == Burst::Edit::kAdd && (burst.edit_status == 200 || Unknown(burst.edit_status))) {
    log.added[burst.edit_item] += burst.edit_units;
  }
  bool unknown = false, begun = false;
  for (int i = 0; i < n; ++i) {
    std::string key = burst.mode == Burst::Mode::kMixed && i % 2 == 1 ? "" : burst.key;
    burst.answers.push_back(ToAnswer(results[i], key));
    unknown = unknown || Unknown(results[i].status);
    begun = begun || (Final(burst.answers.back()) && burst.answers.back().code != "cart_empty");
  }
  // An attempt begun in this burst means none was pending then; one of
  // unknown outcome may stay pending until recovery settles it.
  if (unknown) {
    settled = false;
  } else if (begun) {
    settled = true;
  }
  log.bursts.push_back(std::move(burst));
}

void ConcurrencyCheckTest::RunBuyer(int index, ClientLog& log, Clock::time_point end) {
  Rng rng(settings_.seed * 1'000'003 + static_cast<uint64_t>(index) + 1);
  const integration::HttpClient& http = shop_->buyer_http();
  std::set<std::string> voted;
  std::vector<std::string> keys;  // keys of earlier bursts, for retries
  bool settled = true;
  auto bad = [&](const std::string& what, const HttpResult& r) {
    log.bad.push_back("client " + std::to_string(index) + " (buyer " +
                      std::to_string(log.buyer.id) + "): " + what + " got " +
                      std::to_string(r.status) + " " + r.body.substr(0, 200));
  };
  while (!stop_ && Clock::now() < end) {
    // The same number of draws for every operation, whatever happens, so
    // the seed alone fixes the sequence.
    uint64_t d[8];
    for (uint64_t& x : d) x = rng.Below(uint64_t{1} << 40);
    const std::string& item = items_[d[1] % items_.size()];
    int64_t units = 1 + static_cast<int64_t>(d[2] % 3);
    int op = static_cast<int>(d[0] % 100);
    ++log.ops;
    if (op < 36) {
      HttpResult r = http.Post(
          "/v1/cart/items", json::object{{"item_id", item}, {"quantity", units}}, log.buyer.token);
      if (r.status == 200 || Unknown(r.status)) log.added[item] += units;
      // 409 insufficient_quantity: the cart would hold more than is for sale.
      if (r.status != 200 && !Unknown(r.status) && r.error_code() != "insufficient_quantity") {
        bad("add " + item, r);
      }
    } else if (op < 42) {
      HttpResult r =
          http.Send("DELETE", "/v1/cart/items/" + item + "?quantity=" + std::to_string(units), "",
                    Auth(log.buyer.token));
      if (r.status != 200 && r.status != 404 && !Unknown(r.status)) bad("remove " + item, r);
    } else if (op < 45) {
      HttpResult r = http.Send("DELETE", "/v1/cart", "", Auth(log.buyer.token));
      if (r.status != 200 && !Unknown(r.status)) bad("clear", r);
    } else if (op < 67) {
      RunBurst(index, log, d, settled);
      const Burst& b = log.bursts.back();
      if (!b.key.empty() && d[7] % 3 == 0) keys.push_back(b.key);
    } else if (op < 75) {
      if (keys.empty()) continue;
      Burst burst;
      burst.number = static_cast<int>(log.bursts.size());
      burst.retry = true;
      burst.key = keys[d[1] % keys.size()];
      burst.answers.push_back(ToAnswer(shop_->Purchase(log.buyer, burst.key), burst.key));
      // A retry of a key that never began buys the cart now, and may be
      // left pending like any purchase.
      if (Unknown(burst.answers.back().status)) settled = false;
      log.bursts.push_back(std::move(burst));
    } else if (op < 88) {
      if (voted.contains(item)) continue;
      std::string vote = d[3] % 2 == 0 ? "up" : "down";
      HttpResult r = http.Post("/v1/feedback", json::object{{"item_id", item}, {"vote", vote}},
                               log.buyer.token);
      JournalEntry e = Entry("b" + std::to_string(index), log.buyer.id, "ProvideFeedback", item);
      e.status = r.status;
      e.vote = vote;
      if (r.status == 204) e.result = "ok";
      if (Unknown(r.status)) e.result = "unknown";
      // 403: not bought yet; 409 already_rated: only after a vote of ours,
      // which CheckVotes finds.
      if (r.status == 403 || r.status == 409) e.result = "refused";
      if (e.result.empty()) bad("vote on " + item, r);
      if (r.status != 403) voted.insert(item);
      log.votes.push_back(e);
    } else if (op < 93) {
      HttpResult out = http.Send("DELETE", "/v1/sessions/current", "", Auth(log.buyer.token));
      if (out.status != 204 && !Unknown(out.status)) bad("logout", out);
      // A frontend restart may take a while; keep trying past the end.
      std::string token = LogIn(log.buyer, end + std::chrono::seconds(60));
      if (token.empty()) {
        log.bad.push_back("client " + std::to_string(index) + " could not log in again");
        return;
      }
      log.buyer.token = token;
    } else {
      HttpResult r = http.Get("/v1/purchases", log.buyer.token);
      if (r.status != 200 && !Unknown(r.status)) bad("list purchases", r);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(d[6] % 15));
  }
}

void ConcurrencyCheckTest::RunSeller(SellerLog& log, Clock::time_point end) {
  Rng rng(settings_.seed * 1'000'003);
  const integration::HttpClient& http = shop_->seller_http();
  const std::string& token = shop_->seller_token();
  while (!stop_ && Clock::now() < end) {
    uint64_t d[4];
    for (uint64_t& x : d) x = rng.Below(uint64_t{1} << 40);
    const std::string& item = items_[d[1] % items_.size()];
    ++log.ops;
    JournalEntry e = Entry("s0", shop_->seller_id(), "", item);
    HttpResult r;
    if (d[0] % 2 == 0) {
      int64_t units = 1 + static_cast<int64_t>(d[2] % 3);
      r = http.Send("DELETE", "/v1/items/" + item + "?quantity=" + std::to_string(units), "",
                    Auth(token));
      e.call = "UpdateUnitsForSale";
      e.has_units = true;
      e.units = -units;
      if (r.status == 200) log.withdrawn[item] += units;
      if (Unknown(r.status)) log.unsure.insert(item);
      if (r.status == 409) e.result = "refused";  // fewer units left
    } else {
      int64_t price = 100 + static_cast<int64_t>(d[2] % 4901);
      std::string body = json::serialize(json::object{{"price", PriceValue(price)}});
      r = http.Send("PATCH", "/v1/items/" + item, body, Auth(token));
      e.call = "ChangeItemPrice";
      e.has_price = true;
      e.price = price;
    }
    e.status = r.status;
    if (r.status == 200) e.result = "ok";
    if (Unknown(r.status)) e.result = "unknown";
    if (e.result.empty()) {
      log.bad.push_back("seller: " + e.call + " of " + item + " got " + std::to_string(r.status) +
                        " " + r.body.substr(0, 200));
    }
    log.journal.push_back(e);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + d[3] % 50));
  }
}

std::vector<std::string> ConcurrencyCheckTest::CheckPurchases(const std::vector<ClientLog>& clients,
                                                              const Ledger& ledger) {
  std::vector<std::string> bad;
  std::map<std::string, Cart> lines;  // by purchase id
  std::map<int64_t, Cart> bought;     // by buyer
  for (const Ledger::Line& l : ledger.lines) {
    lines[l.purchase_id][l.item_id] += l.quantity;
    if (ledger.attempts.contains(l.purchase_id) && ledger.attempts.at(l.purchase_id).state == 2) {
      bought[l.buyer_id][l.item_id] += l.quantity;
    }
  }
  for (size_t c = 0; c < clients.size(); ++c) {
    const ClientLog& log = clients[c];
    const int64_t buyer = log.buyer.id;
    // Every purchase the buyer's history lists, from a new session.
    std::map<std::string, Cart> history;
    std::string token = LogIn(log.buyer, Clock::now() + std::chrono::seconds(60));
    bool history_read = !token.empty();
    for (int offset = 0; history_read; offset += 500) {
      HttpResult r = shop_->buyer_http().Get(
          "/v1/purchases?limit=500&offset=" + std::to_string(offset), token);
      json::value v = r.json();
      const json::value* list = v.is_object() ? v.as_object().if_contains("purchases") : nullptr;
      if (r.status != 200 || list == nullptr || !list->is_array()) {
        history_read = false;
        bad.push_back("buyer " + std::to_string(buyer) + ": GET /v1/purchases got " +
                      std::to_string(r.status));
        break;
      }
      for (const json::value& p : list->as_array()) {
        history[std::string(p.at("purchase_id").as_string())]
               [std::string(p.at("item_id").as_string())] += p.at("quantity").as_int64();
      }
      if (list->as_array().size() < 500) break;
    }
    if (history_read) {
      for (const auto& [id, attempt] : ledger.attempts) {
        if (attempt.buyer_id != buyer || attempt.state != 2) continue;
        if (history[id] != lines[id]) {
          bad.push_back("buyer " + std::to_string(buyer) + ": purchase " + id + " lists " +
                        CartText(history[id]) + " but holds lines " + CartText(lines[id]));
        }
      }
    }

    std::map<std::string, std::string> final_of;  // key -> its first final outcome
    for (const Burst& b : log.bursts) {
      std::string where = "buyer " + std::to_string(buyer) + " burst " + std::to_string(b.number) +
                          (b.retry ? " (retry of " + b.key + ")" : "");
      std::set<std::string> ids;
      Cart burst_bought;
      // A key answered for good before this burst.
      const bool key_final_before = !b.key.empty() && final_of.contains(b.key);
      for (const Answer& a : b.answers) {
        if (!Allowed(a)) {
          bad.push_back(where + ": unexpected answer " + std::to_string(a.status) + " " + a.body);
          continue;
        }
        if (a.status == 201 && ids.insert(a.purchase_id).second) {
          for (const auto& [item, n] : a.lines) burst_bought[item] += n;
        }
        if (a.key.empty()) continue;
        if (a.status == 201 && a.purchase_id != DeriveId(std::to_string(buyer), a.key)) {
          bad.push_back(where + ": key " + a.key + " answered purchase " + a.purchase_id);
        }
        if (Final(a)) {
          auto [it, first] = final_of.emplace(a.key, Outcome(a));
          if (!first && it->second != Outcome(a)) {
            bad.push_back(where + ": key " + a.key + " answered " + Outcome(a) +
                          " after its first outcome " + it->second);
          }
        } else if (key_final_before && !Unknown(a.status)) {
          bad.push_back(where + ": key " + a.key + " answered " + Outcome(a) +
                        " instead of its first outcome " + final_of.at(b.key));
        }
      }
      if (b.retry) continue;
      // Only an add beside the burst can give a second purchase something to
      // buy: the first takes every unit it bought off the cart.
      const bool added =
          b.edit == Burst::Edit::kAdd && (b.edit_status == 200 || Unknown(b.edit_status));
      if (ids.size() > (added ? 2u : 1u)) {
        bad.push_back(where + ": the cart was bought " + std::to_string(ids.size()) + " times");
      }
      if (b.cart_known) {
        for (const auto& [item, n] : burst_bought) {
          int64_t could =
              Get(b.cart_before, item) + (added && item == b.edit_item ? b.edit_units : 0);
          if (n > could) {
            bad.push_back(where + ": bought " + std::to_string(n) + " of " + item +
                          " from a cart of " + CartText(b.cart_before) +
                          (added ? " plus the add beside it" : ""));
          }
        }
      }
      if (b.cart_known && b.settled_before && b.edit == Burst::Edit::kNone && ids.size() == 1 &&
          burst_bought != b.cart_before) {
        bad.push_back(where + ": bought " + CartText(burst_bought) + " from a cart of " +
                      CartText(b.cart_before));
      }
    }

    // Each 201 is recorded as answered, and in the buyer's history.
    for (const Burst& b : log.bursts) {
      for (const Answer& a : b.answers) {
        if (a.status == 201) {
          auto it = ledger.attempts.find(a.purchase_id);
          std::string what = "buyer " + std::to_string(buyer) + ": purchase " + a.purchase_id;
          if (it == ledger.attempts.end() || it->second.state != 2) {
            bad.push_back(what + " was answered 201 but is not completed");
            continue;
          }
          if (it->second.total_cents != a.total || lines[a.purchase_id] != a.lines) {
            bad.push_back(what + " was answered " + CartText(a.lines) + " for " +
                          std::to_string(a.total) + ", holds " + CartText(lines[a.purchase_id]) +
                          " for " + std::to_string(it->second.total_cents));
          }
          if (history_read && history[a.purchase_id] != a.lines) {
            bad.push_back(
                what + " is not in the history as answered: " + CartText(history[a.purchase_id]));
          }
        } else if (!a.key.empty() && Final(a)) {
          std::string id = DeriveId(std::to_string(buyer), a.key);
          auto it = ledger.attempts.find(id);
          if (it == ledger.attempts.end() || it->second.state != 3 ||
              it->second.failure_reason != a.code || lines.contains(id)) {
            bad.push_back("buyer " + std::to_string(buyer) + ": purchase " + id + " was answered " +
                          Outcome(a) + " but its attempt is " +
                          (it == ledger.attempts.end()
                               ? std::string("missing")
                               : "in state " + std::to_string(it->second.state) + " (" +
                                     it->second.failure_reason + ")"));
          }
        }
      }
    }
    // Across the run: units bought never exceed the units put in the cart.
    for (const auto& [item, n] : bought[buyer]) {
      if (n > Get(log.added, item)) {
        bad.push_back("buyer " + std::to_string(buyer) + " bought " + std::to_string(n) + " of " +
                      item + " but put at most " + std::to_string(Get(log.added, item)) +
                      " in its carts");
      }
    }
  }
  return bad;
}

std::pair<int, std::string> ConcurrencyCheckTest::RunAudit() {
  // Where each service keeps its data: the SQLite file, or the PostgreSQL
  // schema of its TestDatabase.
  std::map<Component, std::string> where;
  for (Component c : {Component::kCustomerDb, Component::kProductDb, Component::kPayment}) {
    Status s = stack_->db(c).Read([&](storage::Connection& conn) -> Status {
      MP_ASSIGN_OR_RETURN(
          storage::Rows rows,
          conn.Query(storage::Sql{"PRAGMA database_list", "SELECT 0, 'main', current_schema()"}));
      if (rows.empty()) return Internal("no database listed");
      where[c] = rows[0].Text(2);
      return Status();
    });
    if (!s.ok()) return {-1, s.ToString()};
  }
  std::string target;
  fs::path dir = fs::temp_directory_path() / ("mp-check-audit-" + RandomToken().substr(0, 12));
  if (GetParam() == Engine::kSqlite) {
    // The layout of `marketplace up --data-dir`; SQLite follows the links
    // to find each file's WAL.
    fs::create_directories(dir);
    fs::create_symlink(where[Component::kCustomerDb], dir / "customer.db");
    fs::create_symlink(where[Component::kProductDb], dir / "product.db");
    fs::create_symlink(where[Component::kPayment], dir / "payment.db");
    target = "--data-dir " + dir.string();
  } else {
    // One URL for the three: the tables of the services have distinct
    // names, so a search path over the three schemas shows all of them.
    std::string base = std::getenv("MP_TEST_PG_URI");
    char sep = base.find('?') == std::string::npos ? '?' : '&';
    target = "--db-url '" + base + sep + "options=-csearch_path%3D" +
             where[Component::kCustomerDb] + "%2C" + where[Component::kProductDb] + "%2C" +
             where[Component::kPayment] + "'";
  }
  std::string command = std::string(std::getenv("MP_TEST_BIN_DIR")) + "/marketplace audit " +
                        target + " --in-flight 0 --pending-bound 0 2>&1";
  std::pair<int, std::string> out{-1, ""};
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.second.append(buf, n);
    int status = pclose(pipe);
    out.first = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

TEST_P(ConcurrencyCheckTest, RandomClientsAndKillsBreakNoRule) {
  const Engine engine = GetParam();
  const std::string label = storage::testing::EngineName(engine);
  std::cout << "[ checker  ] " << label << ": seed " << settings_.seed << " (MP_CHECK_SEED), "
            << settings_.duration_s << " s, " << settings_.clients << " clients, "
            << settings_.kills << " kills, " << settings_.items << " items" << std::endl;
  RecordProperty("seed", std::to_string(settings_.seed));
  integration::StackOptions options;
  options.engine = engine;
  options.approval_rate = 0.7;
  options.seed = settings_.seed;
  // Recovery settles what a kill left pending 3 s later, and so also runs
  // beside slow sagas: part of what is checked.
  options.recovery_age_s = 3;
  options.log_level = "warn";
  auto stack = ProcessStack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  stack_ = std::move(stack).value();
  shop_ = std::make_unique<Shop>(*stack_);
  ASSERT_TRUE(shop_->OpenSeller().ok());

  Rng setup(settings_.seed ^ 0x5eedULL);
  std::vector<JournalEntry> journal;
  for (int i = 0; i < settings_.items; ++i) {
    // Two scarce items, so that purchases and withdrawals also run out.
    int64_t units =
        i < 2 ? 2 + static_cast<int64_t>(setup.Below(4))
              : 100 * (settings_.duration_s + 10) + static_cast<int64_t>(setup.Below(100));
    int64_t price = 100 + static_cast<int64_t>(setup.Below(4901));
    auto id = shop_->PutUp("item " + std::to_string(i), price, units);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    items_.push_back(*id);
    put_up_[*id] = units;
    // As CheckJournal counts: every item starts with kNewItemUnits, moved
    // by acknowledged writes.
    JournalEntry price_set = Entry("s0", shop_->seller_id(), "ChangeItemPrice", *id);
    price_set.result = "ok";
    price_set.has_price = true;
    price_set.price = price;
    journal.push_back(price_set);
    JournalEntry units_set = Entry("s0", shop_->seller_id(), "UpdateUnitsForSale", *id);
    units_set.result = "ok";
    units_set.has_units = true;
    units_set.units = units - bench::kNewItemUnits;
    journal.push_back(units_set);
  }
  auto buyers = shop_->SignUpBuyers(settings_.clients);
  ASSERT_TRUE(buyers.ok()) << buyers.status().ToString();

  // When each kill comes and what it hits: every server once (in a seeded
  // order), then at random.
  Rng kill_rng(settings_.seed ^ 0x4b111ULL);
  std::vector<Component> targets(std::begin(kComponents), std::end(kComponents));
  for (size_t i = targets.size() - 1; i > 0; --i)
    std::swap(targets[i], targets[kill_rng.Below(i + 1)]);
  std::vector<std::pair<std::chrono::milliseconds, Component>> kills;
  const int64_t span_ms = int64_t{settings_.duration_s} * 1000;
  for (int k = 0; k < settings_.kills; ++k) {
    int64_t at = span_ms * (k + 1) / (settings_.kills + 1);
    at += static_cast<int64_t>(kill_rng.Below(span_ms / (2 * (settings_.kills + 1)) + 1));
    Component c =
        k < static_cast<int>(targets.size()) ? targets[k] : kComponents[kill_rng.Below(5)];
    kills.emplace_back(std::chrono::milliseconds(at), c);
  }

  std::vector<ClientLog> clients(settings_.clients);
  SellerLog seller;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(settings_.duration_s);
  std::vector<std::thread> threads;
  for (int i = 0; i < settings_.clients; ++i) {
    clients[i].buyer = (*buyers)[i];
    threads.emplace_back([this, i, &clients, end] { RunBuyer(i, clients[i], end); });
  }
  threads.emplace_back([this, &seller, end] { RunSeller(seller, end); });
  std::map<std::string, int> killed;
  Status fault;
  for (const auto& [at, c] : kills) {
    std::this_thread::sleep_until(start + at);
    fault = stack_->Kill(c);  // SIGKILL
    if (fault.ok()) fault = stack_->Restart(c);
    if (fault.ok()) fault = WaitFrontendsHealthy(*stack_, std::chrono::seconds(60));
    if (!fault.ok()) {
      fault = Status(fault.code(), integration::ComponentName(c) + ": " + fault.message());
      stop_ = true;
      break;
    }
    ++killed[integration::ComponentName(c)];
  }
  for (std::thread& t : threads) t.join();
  const double ran_s = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(fault.ok()) << "a killed server did not come back: " << fault.ToString();

  // Purchases a kill left pending are settled by recovery.
  Status settled = shop_->WaitNoPending(std::chrono::seconds(120));
  ASSERT_TRUE(settled.ok()) << settled.ToString();

  auto ledger = integration::ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto shelf = ReadShelf(*stack_);
  ASSERT_TRUE(shelf.ok()) << shelf.status().ToString();

  // (1) The invariants and the audit library's findings; units put up less
  // the acknowledged withdrawals, for items whose withdrawals all answered.
  std::map<std::string, int64_t> put_up;
  for (const auto& [id, units] : put_up_) {
    if (!seller.unsure.contains(id)) put_up[id] = units - seller.withdrawn[id];
  }
  EXPECT_THAT(integration::CheckInvariants(*ledger, put_up), IsEmpty());
  // (2) The real audit command on the same databases.
  auto [audit_exit, audit_output] = RunAudit();
  EXPECT_EQ(audit_exit, 0) << audit_output;
  // (3) Every acknowledged withdrawal, price change and vote.
  journal.insert(journal.end(), seller.journal.begin(), seller.journal.end());
  for (const ClientLog& c : clients) journal.insert(journal.end(), c.votes.begin(), c.votes.end());
  EXPECT_THAT(CheckJournal(journal, *ledger, *shelf, settings_.items), IsEmpty());
  // A vote needs a purchase of the item; and no call ever saves a cart.
  std::set<std::pair<int64_t, std::string>> bought;
  for (const Ledger::Line& l : ledger->lines) bought.insert({l.buyer_id, l.item_id});
  for (const auto& [buyer_item, up] : shelf->votes) {
    EXPECT_TRUE(bought.contains(buyer_item)) << "buyer " << buyer_item.first << " voted on "
                                             << buyer_item.second << " without buying it";
  }
  EXPECT_THAT(shelf->saved_carts, IsEmpty());
  // (3, 4) Purchases: acknowledged ones recorded, the rules of duplicates.
  EXPECT_THAT(CheckPurchases(clients, *ledger), IsEmpty());
  // Answers no operation may get.
  for (const ClientLog& c : clients) EXPECT_THAT(c.bad, IsEmpty());
  EXPECT_THAT(seller.bad, IsEmpty());

  // What the run did.
  int64_t ops = seller.ops, bursts = 0, requests = 0, exact = 0, duplicates = 0;
  std::map<std::string, int64_t> answers;
  for (const ClientLog& c : clients) {
    ops += c.ops;
    for (const Burst& b : c.bursts) {
      bursts += !b.retry;
      duplicates += b.answers.size() > 1;
      // Bursts whose lines were compared with the cart exactly.
      exact += !b.retry && b.cart_known && b.settled_before && b.edit == Burst::Edit::kNone;
      for (const Answer& a : b.answers) {
        ++requests;
        ++answers[std::to_string(a.status) + (a.code.empty() ? "" : " " + a.code)];
      }
    }
  }
  std::ostringstream summary;
  summary << "[ checker  ] " << label << ": seed " << settings_.seed << ", " << ran_s << " s, "
          << ops << " operations, " << bursts << " purchase bursts (" << duplicates
          << " of 2-4 at once, " << exact << " checked line by line against the cart), " << requests
          << " purchase requests, " << ledger->CompletedAttempts() << " purchases completed, "
          << journal.size() << " journaled writes; kills:";
  for (const auto& [name, n] : killed) summary << " " << name << " " << n;
  summary << "; answers:";
  for (const auto& [what, n] : answers) summary << " [" << what << "] " << n;
  summary << "; audit: " << audit_output.substr(0, audit_output.find('\n'));
  std::cout << summary.str() << std::endl;
  EXPECT_GT(answers["201"], 0) << "no purchase went through";
}

INSTANTIATE_TEST_SUITE_P(Engines, ConcurrencyCheckTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::faults
