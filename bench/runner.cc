#include "bench/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "bench/catalog.h"
#include "bench/client_loop.h"
#include "bench/setup.h"

namespace mp::bench {
namespace asio = boost::asio;

namespace {

// Counts finished tasks down to zero and remembers when the last finished.
class Countdown {
 public:
  explicit Countdown(int64_t n) : left_(n) {}
  void CountDown() {
    std::lock_guard lock(mu_);
    if (--left_ == 0) {
      finished_at_ = Clock::now();
      cv_.notify_all();
    }
  }
  // True once every task has finished; waits up to `timeout` for it.
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return left_ <= 0; });
  }
  Clock::time_point finished_at() {
    std::lock_guard lock(mu_);
    return finished_at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t left_;
  Clock::time_point finished_at_ = Clock::now();
};

constexpr auto kRedraw = std::chrono::milliseconds(100);

std::string Base36(uint64_t n) {
  std::string out;
  do {
    out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n > 0);
  return out;
}

// A card the payment service accepts (valid Luhn, not expired); it still
// declines with probability 1 - approval rate, and the benchmark counts that
// apart.
std::string PurchaseBody() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  int year = (tm.tm_year + 1900 + 3) % 100;
  return std::string(
             R"({"name":"Bench Buyer","card_number":"4111111111111111","expiration":"12/)") +
         (year < 10 ? "0" : "") + std::to_string(year) + "\"}";
}

StatusOr<asio::ip::tcp::endpoint> Resolve(const ServerAddress& a) {
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(a.host, a.port, ec);
  if (ec || results.empty())
    return Unavailable("cannot resolve " + a.ToString() + ": " + ec.message());
  return results.begin()->endpoint();
}

}  // namespace

struct Runner::Worker {
  // One thread runs it: the hint lets asio skip locking it would need for more.
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::vector<Session*> sessions;
  // Reserved before a run for every call of its sessions: recording a call
  // never allocates.
  std::vector<Sample> samples;
  // Calls finished in this run; written by this worker only, read by the
  // main thread for progress.
  std::atomic<int64_t> done{0};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  ResilientLog resilient;
  std::thread thread;

  void NoteError(std::string text) { Note(errors_mu, errors, std::move(text)); }
};

namespace {

// One client's part of a timed run: `calls` calls in a closed loop, each
// sent when the previous reply has arrived.
asio::awaitable<void> RunClient(std::vector<Sample>& samples, std::atomic<int64_t>& done,
                                const WorkloadContext& context, Session& s, int calls,
                                const std::function<void(std::string)>& note_error) {
  for (int i = 0; i < calls; ++i) {
    PlannedCall call = NextCall(context, s);
    Clock::time_point start = Clock::now();
    StatusOr<HttpReply> reply = co_await s.connection.Call(call.verb, s.target, s.body);
    int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    Outcome outcome = Outcome::kError;
    if (reply.ok() && reply->status == call.expected_status) {
      outcome = Outcome::kOk;
    } else if (reply.ok() && reply->status == 402 && call.type == CallType::kMakePurchase) {
      outcome = Outcome::kDeclined;  // the cart stays as it was
    }
    samples.push_back({ns, call.type, outcome});
    if (outcome == Outcome::kOk) {
      OnSuccess(context, s, call, reply->body);
    } else if (outcome == Outcome::kError) {
      OnFailure(s, call);
      note_error(std::string(CallName(call.type)) + " " + s.target + ": " +
                 (reply.ok() ? "HTTP " + std::to_string(reply->status) + " " +
                                   std::string(reply->body.substr(0, 200))
                             : reply.status().ToString()));
    }
    done.store(done.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
}

}  // namespace

Runner::Runner(const BenchOptions& options, Progress& progress)
    : options_(options), progress_(progress) {
  sigemptyset(&stop_signals_);
  if (options.duration_s > 0) {
    sigaddset(&stop_signals_, SIGINT);
    sigaddset(&stop_signals_, SIGTERM);
  }
  // Before the io threads start, so that they inherit it.
  pthread_sigmask(SIG_BLOCK, &stop_signals_, &old_mask_);
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  tag_ = "bench" + Base36(ms) + Base36(static_cast<uint64_t>(getpid()) % 1296);
  context_.workload = options.workload;
  context_.search_limit = options.search_limit;
  context_.max_items_per_seller = 2 * options.items_per_seller;
  context_.purchase_body = PurchaseBody();
  for (int i = 0; i < options.threads; ++i) {
    auto w = std::make_unique<Worker>();
    Worker* raw = w.get();
    w->thread = std::thread([raw] { raw->io.run(); });
    workers_.push_back(std::move(w));
  }
}

Runner::~Runner() {
  for (auto& w : workers_) {
    w->guard.reset();
    w->io.stop();
  }
  for (auto& w : workers_) w->thread.join();
  // Sessions (their sockets) go before the io_contexts they belong to.
  sessions_.clear();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool Runner::StopRequested() {
  if (options_.duration_s <= 0) return false;
  timespec now{0, 0};
  if (sigtimedwait(&stop_signals_, nullptr, &now) > 0) stop_requested_ = true;
  return stop_requested_;
}

Status Runner::Setup() {
  std::vector<asio::ip::tcp::endpoint> sellers, buyers;
  for (const ServerAddress& a : options_.seller_servers) {
    MP_ASSIGN_OR_RETURN(auto endpoint, Resolve(a));
    sellers.push_back(endpoint);
  }
  for (const ServerAddress& a : options_.buyer_servers) {
    MP_ASSIGN_OR_RETURN(auto endpoint, Resolve(a));
    buyers.push_back(endpoint);
  }
  // Before the clients connect: a long load would outlast the servers'
  // idle timeout of their connections.
  MP_RETURN_IF_ERROR(LoadCatalog(sellers));
  MP_RETURN_IF_ERROR(LoadAccounts(sellers, buyers));
  auto add = [&](Role role, int index, const std::vector<ServerAddress>& servers,
                 const std::vector<asio::ip::tcp::endpoint>& endpoints) {
    size_t server = static_cast<size_t>(index) % servers.size();
    size_t global = sessions_.size();
    Worker& w = *workers_[global % workers_.size()];
    sessions_.push_back(std::make_unique<Session>(
        role, index, w.io, endpoints[server], servers[server].ToString(),
        std::chrono::seconds(options_.timeout_s), options_.seed * 1'000'003 + global));
    w.sessions.push_back(sessions_.back().get());
  };
  for (int i = 0; i < options_.sellers; ++i)
    add(Role::kSeller, i, options_.seller_servers, sellers);
  for (int i = 0; i < options_.buyers; ++i) add(Role::kBuyer, i, options_.buyer_servers, buyers);
  for (auto& s : sessions_) s->connection.set_resend_writes(!options_.resilient);

  int all = static_cast<int>(sessions_.size());
  MP_RETURN_IF_ERROR(ForEach(std::nullopt, all, "set-up: connections",
                             [](Session& s) { return s.connection.Connect(); }));
  MP_RETURN_IF_ERROR(ForEach(std::nullopt, options_.setup_concurrency, "set-up: accounts",
                             [this](Session& s) { return CreateAccountAndLogin(s, tag_); }));
  MP_RETURN_IF_ERROR(ForEach(Role::kSeller, all, "set-up: items", [this](Session& s) {
    return SeedItems(s, options_.items_per_seller);
  }));
  BuildItemPool();
  return ForEach(Role::kBuyer, 2 * options_.setup_concurrency, "set-up: purchases",
                 [this](Session& s) { return SeedBuyer(context_, s); });
}

Status Runner::LoadInParallel(std::string_view phase, Role role,
                              const std::vector<asio::ip::tcp::endpoint>& endpoints,
                              const std::vector<ServerAddress>& servers, int64_t loaders,
                              int64_t total, const std::atomic<int64_t>& done, const Load& load) {
  std::vector<std::unique_ptr<Session>> sessions;
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  Countdown finished(loaders);
  for (int64_t l = 0; l < loaders; ++l) {
    Worker& w = *workers_[static_cast<size_t>(l) % workers_.size()];
    size_t server = static_cast<size_t>(l) % endpoints.size();
    sessions.push_back(std::make_unique<Session>(
        role, static_cast<int>(l), w.io, endpoints[server], servers[server].ToString(),
        std::chrono::seconds(options_.timeout_s),
        options_.seed * 7'000'003 + static_cast<uint64_t>(l) +
            (role == Role::kBuyer ? 1u << 20 : 0)));
    Session& s = *sessions.back();
    auto run = [&, l]() -> asio::awaitable<Status> {
      if (Status st = co_await s.connection.Connect(); !st.ok()) co_return st;
      co_return co_await load(s, l, failed);
    };
    asio::co_spawn(w.io, run, [&](std::exception_ptr e, Status st) {
      if (e) st = Internal(std::string(phase) + " failed with an exception");
      if (!st.ok() && !failed.exchange(true)) {
        std::lock_guard lock(mu);
        first = st;
      }
      finished.CountDown();
    });
  }
  while (!finished.WaitFor(kRedraw)) {
    if (StopRequested() && !failed.exchange(true)) {
      std::lock_guard lock(mu);
      first = Status(StatusCode::kAborted, "interrupted");
    }
    progress_.Show(phase, done, total);
  }
  progress_.Show(phase, done, total, true);
  progress_.Finish();
  // The sessions' sockets belong to the io threads, idle now.
  sessions.clear();
  std::lock_guard lock(mu);
  if (!first.ok()) return Status(first.code(), std::string(phase) + ": " + first.message());
  return Status();
}

Status Runner::LoadCatalog(const std::vector<asio::ip::tcp::endpoint>& endpoints) {
  if (options_.catalog <= 0) return Status();
  const auto start = std::chrono::steady_clock::now();
  const Catalog catalog;
  // Many connections at once: each registration is a write the product DB
  // commits on its own, so the load runs at the rate of its commits.
  constexpr int64_t kLoaders = 32;
  const int64_t per_seller = std::clamp<int64_t>((options_.catalog + kLoaders - 1) / kLoaders, 1,
                                                 Catalog::kItemsPerSeller);
  const int64_t sellers = (options_.catalog + per_seller - 1) / per_seller;
  std::atomic<int64_t> done{0};
  // Loader l loads sellers l, l + loaders, ...: each a new account.
  const int64_t loaders = std::min(kLoaders, sellers);
  Status loaded = LoadInParallel(
      "set-up: catalogue", Role::kSeller, endpoints, options_.seller_servers, loaders,
      options_.catalog, done,
      [&](Session& s, int64_t l, const std::atomic<bool>& failed) -> asio::awaitable<Status> {
        for (int64_t seller = l; seller < sellers && !failed; seller += loaders) {
          s.index = static_cast<int>(seller);
          const int64_t from = seller * per_seller;
          const int64_t count = std::min(per_seller, options_.catalog - from);
          if (Status st = co_await LoadCatalogSeller(s, tag_, catalog, from, count, done);
              !st.ok()) {
            co_return st;
          }
        }
        co_return Status();
      });
  catalog_load_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return loaded;
}

Status Runner::LoadAccounts(const std::vector<asio::ip::tcp::endpoint>& sellers,
                            const std::vector<asio::ip::tcp::endpoint>& buyers) {
  if (options_.accounts <= 0) return Status();
  const auto start = std::chrono::steady_clock::now();
  // One seller of its own puts up the items the histories are bought from,
  // each with units for every purchase of every history.
  std::vector<std::string> items;
  std::atomic<int64_t> registered{0};
  MP_RETURN_IF_ERROR(LoadInParallel(
      "set-up: history items", Role::kSeller, sellers, options_.seller_servers, 1, kHistoryItems,
      registered, [&](Session& s, int64_t, const std::atomic<bool>&) -> asio::awaitable<Status> {
        if (Status st = co_await CreateAccountAndLogin(s, tag_ + "-history-"); !st.ok())
          co_return st;
        if (Status st = co_await SeedItems(s, kHistoryItems); !st.ok()) co_return st;
        for (const OwnItem& item : s.items) items.push_back(item.id);
        co_return Status();
      }));
  // Many buyers at once: an account costs two Argon2id hashes of server
  // CPU (creation and login), which bounds the rate on a small machine.
  constexpr int64_t kLoaders = 32;
  const int64_t loaders = std::min(kLoaders, options_.accounts);
  std::atomic<int64_t> done{0};
  Status loaded = LoadInParallel(
      "set-up: accounts", Role::kBuyer, buyers, options_.buyer_servers, loaders, options_.accounts,
      done, [&](Session& s, int64_t l, const std::atomic<bool>& failed) -> asio::awaitable<Status> {
        for (int64_t account = l; account < options_.accounts && !failed; account += loaders) {
          s.index = static_cast<int>(account);
          if (Status st = co_await LoadHistoryBuyer(s, tag_ + "-history-", items, options_.history,
                                                    context_.purchase_body);
              !st.ok()) {
            co_return st;
          }
          done.fetch_add(1, std::memory_order_relaxed);
        }
        co_return Status();
      });
  accounts_load_s_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return loaded;
}

void Runner::BuildItemPool() {
  // The io threads are idle between phases; posting the next phase orders
  // these writes before their reads.
  for (const auto& s : sessions_) {
    if (s->role != Role::kSeller) continue;
    for (const OwnItem& item : s->items) {
      context_.pool_index[item.id] = static_cast<uint32_t>(context_.pool.size());
      context_.pool.push_back(item.id);
    }
  }
  uint32_t size = static_cast<uint32_t>(context_.pool.size());
  for (const auto& s : sessions_) {
    if (s->role != Role::kBuyer || size == 0) continue;
    s->bought.assign(size, false);
    s->next_pick = s->rng.Below(size);
  }
}

Status Runner::ForEach(std::optional<Role> role, int concurrency, std::string_view phase,
                       const Step& step) {
  int64_t total = std::count_if(sessions_.begin(), sessions_.end(),
                                [&](const auto& s) { return !role || s->role == *role; });
  if (total == 0) return Status();
  struct Shared {
    std::atomic<int64_t> done{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    Status first;
  } shared;
  int loops = std::max<int>(1, concurrency / static_cast<int>(workers_.size()));
  Countdown finished(static_cast<int64_t>(loops * workers_.size()));
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    asio::post(w->io, [&, w] {
      auto cursor = std::make_shared<size_t>(0);
      for (int i = 0; i < loops; ++i) {
        // Each loop takes the worker's next session until none is left.
        auto loop = [&, w, cursor]() -> asio::awaitable<void> {
          while (*cursor < w->sessions.size() && !shared.failed) {
            Session& s = *w->sessions[(*cursor)++];
            if (role && s.role != *role) continue;
            Status status = co_await step(s);
            ++shared.done;
            if (!status.ok()) {
              std::lock_guard lock(shared.mu);
              if (!shared.failed.exchange(true)) shared.first = status;
            }
          }
        };
        asio::co_spawn(w->io, loop, [&](std::exception_ptr e) {
          if (e && !shared.failed.exchange(true)) {
            std::lock_guard lock(shared.mu);
            shared.first = Internal("set-up failed with an exception");
          }
          finished.CountDown();
        });
      }
    });
  }
  while (!finished.WaitFor(kRedraw)) {
    if (StopRequested() && !shared.failed.exchange(true)) {
      std::lock_guard lock(shared.mu);
      shared.first = Status(StatusCode::kAborted, "interrupted");
    }
    progress_.Show(phase, shared.done, total);
  }
  progress_.Show(phase, shared.done, total, true);
  progress_.Finish();
  std::lock_guard lock(shared.mu);
  if (!shared.first.ok()) {
    return Status(shared.first.code(), std::string(phase) + ": " + shared.first.message());
  }
  return Status();
}

Runner::RunSamples Runner::Run(int run) {
  const bool timed = options_.duration_s > 0;
  const bool resilient = options_.resilient;
  // A duration run has no count of calls: its memory grows as it goes.
  const int calls = timed ? -1 : options_.calls;
  Countdown finished(static_cast<int64_t>(sessions_.size()));
  for (auto& w : workers_) {
    w->samples.clear();
    w->samples.reserve(w->sessions.size() * static_cast<size_t>(timed ? 1024 : calls));
    w->done = 0;
    w->resilient.failures.clear();
  }
  std::vector<std::function<void(std::string)>> note_error;
  for (auto& w : workers_) {
    note_error.push_back([w = w.get()](std::string text) { w->NoteError(std::move(text)); });
  }
  std::atomic<bool> stop{false};
  std::array<std::atomic<bool>, kCallTypeCount> failing{};
  std::vector<ClientLoop> clients;
  clients.reserve(workers_.size());
  if (timed) std::cerr << "marketplace-bench: run " << run << " started" << std::endl;
  // The start line: every client's first call is queued at once, and the
  // clock starts before any can go out.
  Clock::time_point start = Clock::now();
  Clock::time_point deadline =
      timed ? start + std::chrono::seconds(options_.duration_s) : Clock::time_point::max();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    clients.push_back({.resilient = resilient,
                       .context = context_,
                       .samples = w->samples,
                       .done = w->done,
                       .log = w->resilient,
                       .note_error = note_error[i],
                       .failing = failing,
                       .stop = stop,
                       .deadline = deadline,
                       .calls = calls,
                       .retry_wait = std::chrono::milliseconds(options_.retry_wait_ms),
                       .settle = std::chrono::milliseconds(options_.settle_ms),
                       .journal = !options_.journal.empty()});
    ClientLoop* r = &clients.back();
    asio::post(w->io, [&, w, i, r] {
      for (Session* s : w->sessions) {
        auto finish = [&, w](std::exception_ptr e) {
          if (e) w->NoteError("a client stopped early on an exception");
          finished.CountDown();
        };
        if (resilient || timed) {
          asio::co_spawn(w->io, RunClientLoop(*r, *s), finish);
        } else {
          asio::co_spawn(w->io, RunClient(w->samples, w->done, context_, *s, calls, note_error[i]),
                         finish);
        }
      }
    });
  }
  int64_t total =
      timed ? options_.duration_s * 1000 : static_cast<int64_t>(sessions_.size()) * calls;
  std::string phase = "run " + std::to_string(run);
  phase.append("/").append(std::to_string(options_.runs));
  auto done = [&] {
    if (timed) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      return std::min<int64_t>(ms.count(), total);
    }
    int64_t sum = 0;
    for (auto& w : workers_) sum += w->done.load(std::memory_order_relaxed);
    return sum;
  };
  while (!finished.WaitFor(kRedraw)) {
    if (StopRequested()) stop = true;
    progress_.Show(phase, done(), total);
  }
  progress_.Show(phase, done(), total, true);
  RunSamples out;
  out.wall_s = std::chrono::duration<double>(finished.finished_at() - start).count();
  for (auto& w : workers_)
    out.samples.insert(out.samples.end(), w->samples.begin(), w->samples.end());
  if (resilient) out.outages = FindOutages(run, SteadyNs(start));
  if (!options_.journal.empty()) {
    boost::json::object entry{{"t", SteadyNs(start)},
                              {"end", SteadyNs(finished.finished_at())},
                              {"run", run},
                              {"result", "run"}};
    workers_.front()->resilient.journal.emplace_back(SteadyNs(start),
                                                     boost::json::serialize(entry));
  }
  return out;
}

std::vector<Outage> Runner::FindOutages(int run, int64_t run_start_ns) const {
  std::vector<std::pair<int64_t, int64_t>> failures;
  for (const auto& w : workers_) {
    failures.insert(failures.end(), w->resilient.failures.begin(), w->resilient.failures.end());
  }
  std::sort(failures.begin(), failures.end());
  constexpr int64_t kGapNs = 1'000'000'000;
  std::vector<Outage> out;
  int64_t first = 0, last = 0;
  for (size_t i = 0; i < failures.size(); ++i) {
    auto [start, end] = failures[i];
    if (out.empty() || start - last >= kGapNs) {
      out.push_back({.run = run, .start_s = (start - run_start_ns) / 1e9});
      first = start;
      last = end;
    }
    last = std::max(last, end);
    out.back().seconds = (last - first) / 1e9;
    ++out.back().calls;
  }
  return out;
}

std::vector<std::string> Runner::TakeUnavailableSamples() {
  std::vector<std::string> out;
  for (auto& w : workers_) {
    std::lock_guard lock(w->resilient.notes_mu);
    for (std::string& e : w->resilient.notes) {
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    }
    w->resilient.notes.clear();
  }
  return out;
}

Status Runner::WriteJournal(const std::string& path) {
  std::vector<std::pair<int64_t, std::string>> lines;
  for (auto& w : workers_) {
    for (auto& line : w->resilient.journal) lines.push_back(std::move(line));
    w->resilient.journal.clear();
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::ofstream out(path);
  for (const auto& [t, line] : lines) out << line << "\n";
  // What each client believes of its own state, and whether it is sure:
  // not after a write whose outcome it has not read back.
  int64_t now = SteadyNs(Clock::now());
  for (const auto& s : sessions_) {
    boost::json::object entry{
        {"t", now}, {"client", ClientName(*s)}, {"user", s->user_id}, {"result", "final"}};
    if (s->role == Role::kBuyer) {
      entry["cart"] = CartJson(context_, *s);
      entry["exact"] = !s->sync_cart && s->purchase_key.empty();
    } else {
      boost::json::object prices;
      for (const OwnItem& item : s->items) prices[item.id] = item.price_cents;
      entry["prices"] = std::move(prices);
      entry["exact"] = !s->sync_items;
    }
    out << boost::json::serialize(entry) << "\n";
  }
  out.close();
  if (!out) return Internal("cannot write " + path);
  return Status();
}

std::vector<std::string> Runner::TakeErrorSamples() {
  std::vector<std::string> out;
  for (auto& w : workers_) {
    std::lock_guard lock(w->errors_mu);
    for (std::string& e : w->errors) {
      if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
    }
    w->errors.clear();
  }
  return out;
}

}  // namespace mp::bench
