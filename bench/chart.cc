#include "bench/chart.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

extern char** environ;

namespace mp::bench {
namespace fs = std::filesystem;

namespace {

// gnuplot strings are single-quoted; a quote inside is doubled.
std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += c;
  }
  out += "'";
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Appends its arguments: plain `"x" + string` trips GCC 12's -Wrestrict.
template <typename... Parts>
void Append(std::string& out, const Parts&... parts) {
  (out.append(parts), ...);
}

std::string Data(const BarChart& c) {
  std::string out = "# group";
  for (const std::string& s : c.series) Append(out, " ", s, c.whiskers ? " min max" : "");
  out += "\n";
  for (const BarChart::Group& g : c.groups) {
    std::string label = g.label;
    for (char& ch : label) ch = ch == '"' ? '\'' : ch;
    Append(out, "\"", label, "\"");
    for (const std::optional<Range>& cell : g.cells) {
      if (!cell) {
        out += c.whiskers ? " ? ? ?" : " ?";
        continue;
      }
      Append(out, " ", Number(cell->avg));
      if (c.whiskers) Append(out, " ", Number(cell->min), " ", Number(cell->max));
    }
    out += "\n";
  }
  return out;
}

std::string Script(const BarChart& c) {
  size_t width = std::max<size_t>(640, 120 + c.groups.size() * (c.series.size() * 22 + 30));
  std::string out;
  Append(out, "# Draws ", c.name, ".svg from ", c.name, ".dat: gnuplot ", c.name, ".gp\n");
  Append(out, "set terminal svg size ", std::to_string(width),
         ",480 dynamic noenhanced font 'sans,11' background rgb 'white'\n");
  Append(out, "set output ", Quote(c.name + ".svg"), "\n");
  Append(out, "set title ", Quote(c.title), "\nset ylabel ", Quote(c.y_label), "\n");
  out +=
      "set datafile missing '?'\n"
      "set style data histogram\n";
  out += c.whiskers ? "set style histogram errorbars gap 1 lw 1\n"
                    : "set style histogram clustered gap 1\n";
  out +=
      "set style fill solid 0.85 border -1\n"
      "set boxwidth 0.9 relative\n"
      "set grid ytics\n"
      "set key above\n"
      "set xtics nomirror rotate by -30 left\n";
  out += c.log_y ? "set logscale y\n" : "set yrange [0:*]\n";
  out += "plot ";
  for (size_t i = 0; i < c.series.size(); ++i) {
    if (i > 0) out += ", ";
    out += i == 0 ? Quote(c.name + ".dat") : "''";
    size_t col = 2 + i * (c.whiskers ? 3 : 1);
    Append(out, " using ", std::to_string(col));
    if (c.whiskers) Append(out, ":", std::to_string(col + 1), ":", std::to_string(col + 2));
    if (i == 0) out += ":xtic(1)";
    Append(out, " title ", Quote(c.series[i]));
  }
  out += "\n";
  return out;
}

}  // namespace

Status WriteTextFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return Internal("cannot write " + path.string());
  return Status();
}

Status DrawBarChart(const fs::path& dir, const BarChart& chart) {
  MP_RETURN_IF_ERROR(WriteTextFile(dir / (chart.name + ".dat"), Data(chart)));
  MP_RETURN_IF_ERROR(WriteTextFile(dir / (chart.name + ".gp"), Script(chart)));
  // Run in DIR so that the script's relative names work there by hand too.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::string script = chart.name + ".gp";
  char program[] = "gnuplot";
  char* argv[] = {program, script.data(), nullptr};
  pid_t pid = 0;
  int error = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return Unavailable("cannot run gnuplot (install gnuplot-nox)");
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable("gnuplot failed on " + (dir / script).string());
  }
  return Status();
}

}  // namespace mp::bench
