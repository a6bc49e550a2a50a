#pragma once
// Rows of the items table as Items, and lists of numbers as one bound
// parameter: shared by the product repository's files
// (product_repository.cc, product_search.cc). Internal to src/storage.

#include <string>

#include "storage/database.h"
#include "storage/product_records.h"

namespace mp::storage::product_rows {

// An item from a row of MP_ITEM_COLUMNS (storage/product_sql.h), in order.
Item ToItem(const Row& row);

// A list of numbers as one bound parameter: a JSON array for SQLite's
// json_each, an array literal for PostgreSQL's ANY.
template <typename Range, typename Number>
inline std::string NumberList(Engine engine, const Range& range, Number number) {
  bool sqlite = engine == Engine::kSqlite;
  std::string list = sqlite ? "[" : "{";
  for (const auto& element : range) {
    if (list.size() > 1) list += ',';
    list += std::to_string(number(element));
  }
  list += sqlite ? "]" : "}";
  return list;
}

}  // namespace mp::storage::product_rows
