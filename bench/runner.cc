#include "bench/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "bench/setup.h"

namespace mp::bench {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

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

constexpr size_t kErrorSamplesPerThread = 5;
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
  std::thread thread;

  void NoteError(std::string text) {
    std::lock_guard lock(errors_mu);
    if (errors.size() < kErrorSamplesPerThread &&
        std::find(errors.begin(), errors.end(), text) == errors.end()) {
      errors.push_back(std::move(text));
    }
  }
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

void Runner::BuildItemPool() {
  // The io threads are idle between phases; posting the next phase orders
  // these writes before their reads.
  for (const auto& s : sessions_) {
    if (s->role != Role::kSeller) continue;
    for (const OwnItem& item : s->items) context_.pool.push_back(item.id);
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
  while (!finished.WaitFor(kRedraw)) progress_.Show(phase, shared.done, total);
  progress_.Show(phase, shared.done, total, true);
  progress_.Finish();
  std::lock_guard lock(shared.mu);
  if (!shared.first.ok()) {
    return Status(shared.first.code(), std::string(phase) + ": " + shared.first.message());
  }
  return Status();
}

Runner::RunSamples Runner::Run(int run) {
  const int calls = options_.calls;
  Countdown finished(static_cast<int64_t>(sessions_.size()));
  for (auto& w : workers_) {
    w->samples.clear();
    w->samples.reserve(w->sessions.size() * static_cast<size_t>(calls));
    w->done = 0;
  }
  std::vector<std::function<void(std::string)>> note_error;
  for (auto& w : workers_) {
    note_error.push_back([w = w.get()](std::string text) { w->NoteError(std::move(text)); });
  }
  // The start line: every client's first call is queued at once, and the
  // clock starts before any can go out.
  Clock::time_point start = Clock::now();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    asio::post(w->io, [&, w, i] {
      for (Session* s : w->sessions) {
        asio::co_spawn(w->io, RunClient(w->samples, w->done, context_, *s, calls, note_error[i]),
                       [&, w](std::exception_ptr e) {
                         if (e) w->NoteError("a client stopped early on an exception");
                         finished.CountDown();
                       });
      }
    });
  }
  int64_t total = static_cast<int64_t>(sessions_.size()) * calls;
  std::string phase = "run " + std::to_string(run);
  phase.append("/").append(std::to_string(options_.runs));
  auto done = [&] {
    int64_t sum = 0;
    for (auto& w : workers_) sum += w->done.load(std::memory_order_relaxed);
    return sum;
  };
  while (!finished.WaitFor(kRedraw)) progress_.Show(phase, done(), total);
  progress_.Show(phase, done(), total, true);
  RunSamples out;
  out.wall_s = std::chrono::duration<double>(finished.finished_at() - start).count();
  out.samples.reserve(static_cast<size_t>(total));
  for (auto& w : workers_)
    out.samples.insert(out.samples.end(), w->samples.begin(), w->samples.end());
  return out;
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
