#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace mp::log {

void Init(std::string_view component, std::string_view level) {
  // stderr is unbuffered: every access-log line would be its own write(2),
  // measured at ~10% of a frontend's throughput. Buffer it, flush warnings
  // and errors at once and the rest every second.
  static char buffer[1 << 16];
  std::setvbuf(stderr, buffer, _IOFBF, sizeof buffer);
  auto logger = spdlog::stderr_logger_mt(std::string(component));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace mp::log
