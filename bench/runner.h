#pragma once

#include <signal.h>

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_options.h"
#include "bench/progress.h"
#include "bench/results.h"
#include "bench/session.h"
#include "bench/stats.h"
#include "bench/workload.h"
#include "common/status.h"

namespace mp::bench {

// Drives the simulated clients: one io_context per thread, each client on
// its own keep-alive connection, pinned to one thread for its whole life.
// Set-up and runs are called from the main thread, one at a time; the main
// thread only waits and draws progress while the io threads work.
class Runner {
 public:
  // `progress` must outlive the runner.
  Runner(const BenchOptions& options, Progress& progress);
  // Stops and joins the io threads.
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Resolves the servers, connects every client, creates and logs in the
  // accounts, registers the sellers' items and gives each buyer purchases
  // and a cart (see setup.h). With options.catalog, loads the catalogue
  // first. Returns the first failure.
  Status Setup();
  // Seconds the catalogue and the extra accounts took to load (within Setup).
  double catalog_load_s() const { return catalog_load_s_; }
  double accounts_load_s() const { return accounts_load_s_; }

  // One timed run: all clients start together and each makes
  // options.calls calls in a closed loop, or calls until
  // options.duration_s have passed (or SIGINT/SIGTERM arrived). Returns
  // every call's sample, the wall time from the start to the last reply
  // and, for resilient runs, the outages seen.
  struct RunSamples {
    std::vector<Sample> samples;
    double wall_s = 0;
    std::vector<Outage> outages;
  };
  RunSamples Run(int run);

  // Descriptions of some of the errors seen since the last call (call,
  // status, body), a few per thread, each once.
  std::vector<std::string> TakeErrorSamples();
  // The same for calls that failed as unavailable (resilient runs).
  std::vector<std::string> TakeUnavailableSamples();

  // Writes the journal of a resilient run (BenchOptions::journal): what the
  // runs recorded, in order of time, then each client's final state.
  Status WriteJournal(const std::string& path);

 private:
  struct Worker;
  using Step = std::function<boost::asio::awaitable<Status>(Session&)>;

  // True once SIGINT or SIGTERM arrived (duration runs only; see the
  // constructor).
  bool StopRequested();
  // The outages of run `run` that started at `run_start_ns` (steady clock).
  std::vector<Outage> FindOutages(int run, int64_t run_start_ns) const;

  // Runs `step` for each session of `role` (all when nullopt), at most
  // `concurrency` at a time, showing progress as `phase`.
  Status ForEach(std::optional<Role> role, int concurrency, std::string_view phase,
                 const Step& step);
  void BuildItemPool();
  // Runs `load(session, loader, failed)` for loaders 0..loaders-1 at once,
  // each on a new session of `role` connected to one of `endpoints` in
  // turn, and shows `done` of `total` as `phase` until all have ended.
  // Returns the first failure; `failed` tells the others to stop.
  using Load = std::function<boost::asio::awaitable<Status>(Session&, int64_t loader,
                                                            const std::atomic<bool>& failed)>;
  Status LoadInParallel(std::string_view phase, Role role,
                        const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
                        const std::vector<ServerAddress>& servers, int64_t loaders, int64_t total,
                        const std::atomic<int64_t>& done, const Load& load);
  // Loads options.catalog items through `sellers` (bench/catalog.h).
  Status LoadCatalog(const std::vector<boost::asio::ip::tcp::endpoint>& sellers);
  // Creates options.accounts buyers with options.history purchases each,
  // bought from kHistoryItems items of one more seller.
  static constexpr int kHistoryItems = 50;
  Status LoadAccounts(const std::vector<boost::asio::ip::tcp::endpoint>& sellers,
                      const std::vector<boost::asio::ip::tcp::endpoint>& buyers);

  BenchOptions options_;
  Progress& progress_;
  // Duration runs: SIGINT and SIGTERM, blocked in every thread and polled by
  // the main thread; the mask before, restored by the destructor.
  sigset_t stop_signals_;
  sigset_t old_mask_;
  bool stop_requested_ = false;
  std::string tag_;  // makes this invocation's usernames unique
  WorkloadContext context_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Session>> sessions_;
  double catalog_load_s_ = 0;
  double accounts_load_s_ = 0;
};

}  // namespace mp::bench
