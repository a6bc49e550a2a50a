#pragma once
// One client's loop in a duration run or a resilient run (BenchOptions), and
// what a resilient run keeps of it: a journal of the writes and failures,
// and the calls that failed as unavailable. Runner drives it; a timed run
// of K calls uses Runner's own plainer loop.

#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bench/call_type.h"
#include "bench/session.h"
#include "bench/stats.h"
#include "bench/workload.h"

namespace mp::bench {

using Clock = std::chrono::steady_clock;

// The steady clock in nanoseconds: the time base of journals and outages.
int64_t SteadyNs(Clock::time_point t);
// "s3", "b12": the client, in journal lines.
std::string ClientName(const Session& s);
// The session's cart as {"item id": units}.
boost::json::object CartJson(const WorkloadContext& c, const Session& s);
// Keeps `text` in `list` unless it is there or the list holds a few already.
void Note(std::mutex& mu, std::vector<std::string>& list, std::string text);

// What a resilient run keeps of one worker's calls beyond their samples.
struct ResilientLog {
  // Journal lines (BenchOptions::journal) with their start time, to sort by.
  std::vector<std::pair<int64_t, std::string>> journal;
  // Start and end (steady clock, ns) of every call that failed as
  // unavailable, to find the outages.
  std::vector<std::pair<int64_t, int64_t>> failures;
  std::mutex notes_mu;
  std::vector<std::string> notes;  // a few descriptions of such calls
};

// What a client's loop of a duration or resilient run needs besides its
// session.
struct ClientLoop {
  bool resilient;
  const WorkloadContext& context;
  std::vector<Sample>& samples;
  std::atomic<int64_t>& done;
  ResilientLog& log;
  const std::function<void(std::string)>& note_error;
  // Per call type: whether its last call (of any client) failed as
  // unavailable; the next that succeeds is journaled as "recovered".
  std::array<std::atomic<bool>, kCallTypeCount>& failing;
  const std::atomic<bool>& stop;
  Clock::time_point deadline;
  int64_t calls;  // at most this many, < 0: until the deadline
  std::chrono::milliseconds retry_wait;
  std::chrono::milliseconds settle;  // BenchOptions::settle_ms
  bool journal;
};

// One client's part of a duration run (r.deadline) or a resilient run
// (BenchOptions::resilient).
boost::asio::awaitable<void> RunClientLoop(ClientLoop& r, Session& s);

}  // namespace mp::bench
