// SQLite driver: one sqlite3 handle per Connection, opened in WAL mode.
#include <sqlite3.h>

#include <string>
#include <unordered_map>

#include "storage/database.h"

namespace mp::storage {
namespace {

Status SqliteError(sqlite3* db, int rc) {
  std::string message = std::string("sqlite: ") + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status(StatusCode::kAlreadyExists, message, kUniqueViolation);
      }
      return Internal(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // Another process holds the write lock past busy_timeout.
      return Status(StatusCode::kAborted, message, kSerializationFailure);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Unavailable(message);
    default:
      return Internal(message);
  }
}

// "$1" placeholders become "?1", which SQLite binds by number.
std::string ToSqlitePlaceholders(const char* text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '$') c = '?';
  }
  return out;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  StatusOr<Rows> Query(const Sql& sql, std::span<const Param> params) override {
    if (sql.text == nullptr) return Rows();
    MP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Bind(sql, params));
    auto rows = Step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rows;
  }

  Status ForEach(const Sql& sql, std::span<const Param> params,
                 const std::function<bool(const Row&)>& each) override {
    if (sql.text == nullptr) return Status();
    MP_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Bind(sql, params));
    Row row;
    Status status;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        status = SqliteError(db_, rc);
        break;
      }
      Fill(stmt, row);
      if (!each(row)) break;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return status;
  }

  StatusOr<Rows> Exec(std::string_view script) override {
    std::string text(script);
    const char* tail = text.c_str();
    Rows last;
    while (*tail != '\0') {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v2(db_, tail, -1, &stmt, &tail);
      if (rc != SQLITE_OK) return SqliteError(db_, rc);
      if (stmt == nullptr) break;  // only whitespace or comments left
      auto rows = Step(stmt);
      sqlite3_finalize(stmt);
      if (!rows.ok()) return rows.status();
      last = std::move(rows).value();
    }
    return last;
  }

  Engine engine() const override { return Engine::kSqlite; }
  bool broken() const override { return false; }

 private:
  // The statement for `sql`, prepared once per connection, with `params` bound.
  StatusOr<sqlite3_stmt*> Bind(const Sql& sql, std::span<const Param> params) {
    auto it = cache_.find(&sql);
    if (it == cache_.end()) {
      sqlite3_stmt* stmt = nullptr;
      std::string text = ToSqlitePlaceholders(sql.text);
      int rc = sqlite3_prepare_v3(db_, text.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return SqliteError(db_, rc);
      it = cache_.emplace(&sql, stmt).first;
    }
    sqlite3_stmt* stmt = it->second;
    for (size_t i = 0; i < params.size(); ++i) {
      int index = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(stmt, index);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(stmt, index, v);
            } else {
              return sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()),
                                       SQLITE_TRANSIENT);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return SqliteError(db_, rc);
      }
    }
    return stmt;
  }

  // Integers stay integers: most columns are, and text would be printed here
  // and parsed again by the caller.
  static void Fill(sqlite3_stmt* stmt, Row& row) {
    auto& cells = row.cells();
    cells.resize(static_cast<size_t>(sqlite3_column_count(stmt)));
    for (size_t c = 0; c < cells.size(); ++c) {
      Row::Cell& cell = cells[c];
      int col = static_cast<int>(c);
      switch (sqlite3_column_type(stmt, col)) {
        case SQLITE_NULL:
          cell.kind = Row::Cell::Kind::kNull;
          cell.text.clear();
          break;
        case SQLITE_INTEGER:
          cell.kind = Row::Cell::Kind::kInt;
          cell.number = sqlite3_column_int64(stmt, col);
          cell.text.clear();
          break;
        default: {
          cell.kind = Row::Cell::Kind::kText;
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
          cell.text.assign(text, static_cast<size_t>(sqlite3_column_bytes(stmt, col)));
        }
      }
    }
  }

  StatusOr<Rows> Step(sqlite3_stmt* stmt) {
    Rows rows;
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return SqliteError(db_, rc);
      Fill(stmt, rows.emplace_back());
    }
  }

  sqlite3* db_;
  std::unordered_map<const Sql*, sqlite3_stmt*> cache_;
};

}  // namespace

StatusOr<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, int cache_mib) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = Unavailable("sqlite: cannot open " + path + ": " +
                                (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  // Extended codes tell a unique violation from other constraint failures.
  sqlite3_extended_result_codes(db, 1);
  auto conn = std::make_unique<SqliteConnection>(db);
  // WAL lets readers run beside the one writer. synchronous=NORMAL keeps every
  // committed transaction across a killed process (not across power loss).
  // busy_timeout only matters when another process shares the file.
  auto setup = conn->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      "PRAGMA busy_timeout=5000; PRAGMA temp_store=MEMORY;");
  if (!setup.ok()) return setup.status();
  if (cache_mib > 0) {
    // A negative cache_size is in KiB. The number is ours, not a caller's.
    auto cache = conn->Exec("PRAGMA cache_size=-" + std::to_string(int64_t{cache_mib} * 1024));
    if (!cache.ok()) return cache.status();
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace mp::storage
