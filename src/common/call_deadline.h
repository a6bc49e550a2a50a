#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace mp {

// The deadline of the gRPC call the current thread is serving, set by the
// server (rpc/queued_service.h) for the handler's run. Storage does not start
// a write once it has passed: the caller was answered DEADLINE_EXCEEDED, and
// a write landing after that (say, a retry after a failover that took
// seconds to reconnect) would change what the caller saw when it looked.
class ScopedCallDeadline {
 public:
  explicit ScopedCallDeadline(std::chrono::system_clock::time_point deadline)
      : previous_(current_) {
    current_ = deadline;
  }
  ~ScopedCallDeadline() { current_ = previous_; }
  ScopedCallDeadline(const ScopedCallDeadline&) = delete;
  ScopedCallDeadline& operator=(const ScopedCallDeadline&) = delete;

  // Whether the thread serves a call whose deadline has passed (false
  // outside a call: tools and start-up have no deadline).
  static bool Passed() { return current_ && *current_ < std::chrono::system_clock::now(); }
  // The time left until the deadline, at least 1 ms; none outside a call.
  static std::optional<std::chrono::milliseconds> Remaining() {
    if (!current_) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *current_ - std::chrono::system_clock::now());
    return std::max(left, std::chrono::milliseconds(1));
  }

 private:
  static inline thread_local std::optional<std::chrono::system_clock::time_point> current_;
  std::optional<std::chrono::system_clock::time_point> previous_;
};

}  // namespace mp
