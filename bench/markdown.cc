#include "bench/markdown.h"

#include <cmath>
#include <cstdio>

namespace mp::bench {

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out.append(p);
  return out;
}

std::string Ms(double value) {
  char buf[32];
  double a = std::abs(value);
  int decimals = a == 0 ? 0 : a < 0.01 ? 4 : a < 0.1 ? 3 : a < 1 ? 3 : a < 10 ? 2 : a < 100 ? 1 : 0;
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string Count(double value) {
  long long n = std::llround(value);
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  if (n < 0) out.insert(out.begin(), '-');
  return out;
}

std::string WithRange(const Range& r, std::string (*format)(double)) {
  std::string avg = format(r.avg), min = format(r.min), max = format(r.max);
  if (min == max) return avg;
  return avg + " (" + min + "–" + max + ")";
}

std::string MarkdownTable::ToString() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const std::string& c : cells) out += Cat({" ", c, " |"});
    return out + "\n";
  };
  std::string out = line(header_);
  out += "|";
  for (size_t i = 0; i < header_.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace mp::bench
