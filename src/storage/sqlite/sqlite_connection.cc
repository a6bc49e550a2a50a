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
        return Status(StatusCode::kAlreadyExists, message, "unique_violation");
      }
      return Internal(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      // Another process holds the write lock past busy_timeout.
      return Status(StatusCode::kAborted, message, "serialization_failure");
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
        return SqliteError(db_, rc);
      }
    }
    auto rows = Step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rows;
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
  StatusOr<Rows> Step(sqlite3_stmt* stmt) {
    Rows rows;
    int ncols = sqlite3_column_count(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return SqliteError(db_, rc);
      std::vector<std::optional<std::string>> cells(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        cells[c].emplace(text, sqlite3_column_bytes(stmt, c));
      }
      rows.emplace_back(std::move(cells));
    }
  }

  sqlite3* db_;
  std::unordered_map<const Sql*, sqlite3_stmt*> cache_;
};

}  // namespace

StatusOr<std::unique_ptr<Connection>> OpenSqlite(const std::string& path) {
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
      "PRAGMA busy_timeout=5000;");
  if (!setup.ok()) return setup.status();
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace mp::storage
