#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "bench/stats.h"

namespace mp::bench {

// Concatenates `parts`. Used where `"literal" + std::string` would do:
// that trips a false -Wrestrict of GCC 12, an error under MP_WERROR.
std::string Cat(std::initializer_list<std::string_view> parts);

// Three significant digits, no exponent: 0.0123, 1.23, 12.3, 123, 1234.
std::string Ms(double value);
// Whole number with thousands separators: 12,345.
std::string Count(double value);
// "avg (min–max)" with `format` applied to each; just "avg" when min == max.
std::string WithRange(const Range& range, std::string (*format)(double));

// A GitHub-flavoured Markdown table; the first column is left-aligned, the
// others right-aligned (numbers).
class MarkdownTable {
 public:
  explicit MarkdownTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string ToString() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mp::bench
