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
#include "purchase_answers.h"
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
  // The buyer's purchase history, read from a new session; nullopt (and a
  // line in `bad`) when it cannot be read.
  std::optional<History> ReadHistory(const Buyer& buyer, std::vector<std::string>& bad) const;

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

std::optional<History> ConcurrencyCheckTest::ReadHistory(const Buyer& buyer_account,
                                                         std::vector<std::string>& bad) const {
  const int64_t buyer = buyer_account.id;
  History history;
  std::string token = LogIn(buyer_account, Clock::now() + std::chrono::seconds(60));
  bool history_read = !token.empty();
  for (int offset = 0; history_read; offset += 500) {
    HttpResult r =
        shop_->buyer_http().Get("/v1/purchases?limit=500&offset=" + std::to_string(offset), token);
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
  if (!history_read) return std::nullopt;
  return history;
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
  auto [audit_exit, audit_output] = integration::RunAuditCommand(*stack_, GetParam());
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
  std::vector<std::string> unread;
  std::vector<std::optional<History>> histories;
  for (const ClientLog& log : clients) histories.push_back(ReadHistory(log.buyer, unread));
  EXPECT_THAT(unread, IsEmpty());
  EXPECT_THAT(CheckPurchases(clients, *ledger, histories), IsEmpty());
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
