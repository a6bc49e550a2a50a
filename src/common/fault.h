#pragma once

#include <csignal>
#include <string>
#include <string_view>
#include <utility>

#include "common/log.h"

namespace mp {

// Fault injection, for tests only: a process armed with a crash point (its
// --crash-at flag) dies at once when it reaches that point, as under
// `kill -9` or a power cut: no destructor runs, no reply is sent, nothing but
// what was already committed survives. The integration tests use it to stop
// a purchase between two of its durable steps (docs/purchases.md).
// A default-constructed CrashPoint is disarmed and never fires. Thread-safe.
class CrashPoint {
 public:
  CrashPoint() = default;
  // `point`: the name at which Reached kills the process; "" disarms.
  explicit CrashPoint(std::string point) : point_(std::move(point)) {}

  // Kills the process with SIGKILL when `point` is the armed one; returns at
  // once otherwise.
  void Reached(std::string_view point) const {
    if (point_.empty() || point != point_) return;
    log::Error("crash point {} reached: dying now (--crash-at, tests only)", point);
    std::raise(SIGKILL);
  }

  bool armed() const { return !point_.empty(); }
  const std::string& point() const { return point_; }

 private:
  std::string point_;
};

}  // namespace mp
