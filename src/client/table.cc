#include "client/table.h"

#include <algorithm>

namespace mp::client {
namespace {

std::string Pad(const std::string& text, size_t width, Align align, bool last) {
  size_t fill = width - std::min(width, DisplayWidth(text));
  if (align == Align::kRight) return std::string(fill, ' ') + text;
  // A left-aligned last column needs no padding: no trailing blanks.
  return last ? text : text + std::string(fill, ' ');
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

size_t DisplayWidth(std::string_view text) {
  // Continuation bytes (10xxxxxx) do not start a new code point.
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (std::string& cell : cells) cell = Printable(cell);
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const Column& column : columns_) widths.push_back(DisplayWidth(column.title));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  auto render_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) line += "  ";
      line += Pad(cells[i], widths[i], columns_[i].align, i + 1 == cells.size());
    }
    line.erase(line.find_last_not_of(' ') + 1);
    return line + "\n";
  };
  std::vector<std::string> titles, rules;
  for (size_t i = 0; i < columns_.size(); ++i) {
    titles.push_back(columns_[i].title);
    rules.push_back(std::string(widths[i], '-'));
  }
  std::string out = render_line(titles) + render_line(rules);
  for (const auto& row : rows_) out += render_line(row);
  return out;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, DisplayWidth(label) + 1);
  std::string out;
  for (const auto& [label, value] : fields) {
    std::string head = label + ":";
    out += head + std::string(width - DisplayWidth(head) + 1, ' ') + Printable(value) + "\n";
  }
  return out;
}

}  // namespace mp::client
