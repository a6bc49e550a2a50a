#include "bench/progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace mp::bench {

Progress::Progress() : enabled_(isatty(STDERR_FILENO) == 1) {}

void Progress::Show(std::string_view phase, int64_t done, int64_t total, bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  constexpr int kWidth = 30;
  double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '-');
  std::fprintf(stderr, "\r\033[K%.*s [%s] %3d%%  %lld/%lld", static_cast<int>(phase.size()),
               phase.data(), bar.c_str(), static_cast<int>(fraction * 100),
               static_cast<long long>(done), static_cast<long long>(total));
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Finish() {
  if (!enabled_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace mp::bench
