#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mp::client {

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
};

// A plain-text table for people: a header row, a rule of dashes, then the
// rows, columns two spaces apart and padded to the widest cell (counted in
// UTF-8 code points). Control characters in cells print as '?', so text
// from the server cannot move the cursor or recolour the terminal.
class Table {
 public:
  explicit Table(std::vector<Column> columns);

  // REQUIRES: cells.size() == number of columns (missing cells print empty,
  // extra ones are dropped).
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Every line ends in '\n' and carries no trailing blanks.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "label: value" lines with the values aligned, for a single record.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// `text` with control characters replaced by '?'.
std::string Printable(std::string_view text);

// Width of `text` on a terminal, in UTF-8 code points.
size_t DisplayWidth(std::string_view text);

}  // namespace mp::client
