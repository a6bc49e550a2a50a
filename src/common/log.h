#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace mp::log {

// The one logging facade. Every line carries a time, a level and the
// component; request-scoped lines add "rid=<id>" themselves. Lines go to
// stderr, never stdout, so that CLIs keep stdout for results.

// Sets the component name and the level ("trace", "debug", "info", "warn",
// "error", "off"). Call once from main before other threads start.
void Init(std::string_view component, std::string_view level = "info");

template <typename... Args>
void Debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}

inline bool DebugEnabled() { return spdlog::should_log(spdlog::level::debug); }

}  // namespace mp::log
