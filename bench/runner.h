#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "bench/progress.h"
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
  // and a cart (see setup.h). Returns the first failure.
  Status Setup();

  // One timed run: all clients start together and each makes
  // options.calls calls in a closed loop. Returns every call's sample and
  // the wall time from the start to the last reply.
  struct RunSamples {
    std::vector<Sample> samples;
    double wall_s = 0;
  };
  RunSamples Run(int run);

  // Descriptions of some of the errors seen since the last call (call,
  // status, body), a few per thread, each once.
  std::vector<std::string> TakeErrorSamples();

 private:
  struct Worker;
  using Step = std::function<boost::asio::awaitable<Status>(Session&)>;

  // Runs `step` for each session of `role` (all when nullopt), at most
  // `concurrency` at a time, showing progress as `phase`.
  Status ForEach(std::optional<Role> role, int concurrency, std::string_view phase,
                 const Step& step);
  void BuildItemPool();

  BenchOptions options_;
  Progress& progress_;
  std::string tag_;  // makes this invocation's usernames unique
  WorkloadContext context_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<Session>> sessions_;
};

}  // namespace mp::bench
