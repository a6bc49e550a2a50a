#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace mp::bench {

// A one-line progress bar on stderr, redrawn in place. Silent unless stderr
// is a terminal, so logs and CI output stay clean. Main thread only.
class Progress {
 public:
  Progress();
  // Draws "<phase> [#####-----]  45%  <done>/<total>"; at most ~10 times a
  // second unless `force`.
  void Show(std::string_view phase, int64_t done, int64_t total, bool force = false);
  // Clears the line.
  void Finish();
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace mp::bench
