#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "common/status.h"

namespace mp::bench {

// A clustered bar chart: groups along the x axis, one bar per series in
// each group, optionally with a whisker from each cell's min to its max.
struct BarChart {
  std::string name;  // files <name>.dat, <name>.gp and <name>.svg
  std::string title;
  std::string y_label;
  bool log_y = false;
  bool whiskers = false;
  std::vector<std::string> series;
  struct Group {
    std::string label;
    std::vector<std::optional<Range>> cells;  // one per series; nullopt: no bar
  };
  std::vector<Group> groups;
};

// Writes DIR/<name>.dat (the figures) and DIR/<name>.gp (the script), then
// runs gnuplot in DIR to draw DIR/<name>.svg. Both files stay, so a chart
// can be redrawn or restyled by hand. kUnavailable when gnuplot is missing
// or fails; kInternal when a file cannot be written.
Status DrawBarChart(const std::filesystem::path& dir, const BarChart& chart);

// Writes `text` to `path`, replacing it; kInternal on failure.
Status WriteTextFile(const std::filesystem::path& path, const std::string& text);

}  // namespace mp::bench
