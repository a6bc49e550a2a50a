#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "storage/migration.h"

namespace mp::storage {

enum class Engine { kSqlite, kPostgres };

// Reasons (Status::reason) of the storage errors callers act on.
inline constexpr const char* kUniqueViolation = "unique_violation";
inline constexpr const char* kSerializationFailure = "serialization_failure";
// kUnavailable: the connection broke while COMMIT was under way, so the
// transaction may or may not have been applied (e.g. the PostgreSQL primary
// died or was replaced meanwhile). Never retried by Database::Write; the
// caller must not report the write as done, nor repeat a write that is not
// idempotent.
inline constexpr const char* kOutcomeUnknown = "outcome_unknown";

// A statement fixed at compile time. `text` uses $1..$N placeholders, which
// both engines accept; `postgres`, when set, replaces it on PostgreSQL where
// the dialects differ. A nullptr `text` makes the statement a no-op on SQLite.
// Instances must have static storage: connections cache their prepared form
// by address.
struct Sql {
  const char* text;
  const char* postgres = nullptr;
};

using Param = std::variant<std::nullptr_t, int64_t, std::string_view>;

// One result row. Columns are indexed from 0 in SELECT order. A cell holds
// an integer as an integer when the engine gives one (SQLite), so that the
// many integer columns are not printed and parsed again; PostgreSQL gives
// text. Not thread-safe: Text() of an integer cell fills it in on first use.
class Row {
 public:
  struct Cell {
    enum class Kind : uint8_t { kNull, kInt, kText };
    Kind kind = Kind::kNull;
    int64_t number = 0;
    std::string text;  // kText; for kInt, filled by the first Text()
  };

  Row() = default;
  explicit Row(std::vector<Cell> cells) : cells_(std::move(cells)) {}
  // Text cells; nullopt is NULL.
  explicit Row(std::vector<std::optional<std::string>> cells);

  size_t size() const { return cells_.size(); }
  bool IsNull(size_t col) const { return cells_.at(col).kind == Cell::Kind::kNull; }
  // 0 for NULL.
  int64_t Int(size_t col) const;
  // "" for NULL.
  const std::string& Text(size_t col) const;
  // For drivers filling a row in place (Connection::ForEach).
  std::vector<Cell>& cells() { return cells_; }

 private:
  mutable std::vector<Cell> cells_;
};

using Rows = std::vector<Row>;

// One connection to one database. Not thread-safe: a Database lends each
// connection to one thread at a time.
//
// Errors: kAlreadyExists/kUniqueViolation for a unique-key clash,
// kAborted/kSerializationFailure for a conflict worth retrying,
// kUnavailable when the server is unreachable, kInternal otherwise.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual StatusOr<Rows> Query(const Sql& sql, std::span<const Param> params) = 0;
  StatusOr<Rows> Query(const Sql& sql, std::initializer_list<Param> params = {}) {
    return Query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Calls `each` with every row in order until it returns false, without
  // keeping them: for long results read once (the row is reused).
  virtual Status ForEach(const Sql& sql, std::span<const Param> params,
                         const std::function<bool(const Row&)>& each);
  Status ForEach(const Sql& sql, std::initializer_list<Param> params,
                 const std::function<bool(const Row&)>& each) {
    return ForEach(sql, std::span<const Param>(params.begin(), params.size()), each);
  }
  // Runs one or more statements without parameters and without caching
  // (schema scripts); returns the rows of the last one.
  virtual StatusOr<Rows> Exec(std::string_view script) = 0;
  // A read-write transaction (Database::Write): Begin, the statements, then
  // Commit or Rollback. PostgreSQL's driver overrides them to send BEGIN
  // with the transaction's first statement: one round trip, not two.
  virtual Status Begin();
  virtual Status Commit();
  virtual Status Rollback();
  virtual Engine engine() const = 0;
  // True when the connection is lost; it is then dropped, not reused.
  virtual bool broken() const = 0;
  // Asked when the pool lends an idle connection: false when it can be
  // seen, without a round trip, that the server closed it meanwhile.
  virtual bool Alive() { return !broken(); }
};

struct DatabaseOptions {
  // "postgresql://..." or "postgres://..." selects PostgreSQL; anything else
  // is a SQLite file path (created when absent).
  std::string uri;
  // Connections kept open at most. Callers beyond that wait for one.
  int max_connections = 8;
  // How often a transaction that lost a conflict is run again.
  int max_retries = 5;
  // SQLite only: each connection's page cache, in MiB (0: SQLite's 2 MiB).
  // A catalogue of a million items is a file of several hundred MiB; the
  // pages a read needs then seldom stay in the default cache.
  int sqlite_cache_mib = 0;
};

// A pool of connections to one database, and transactions over it.
// Thread-safe.
class Database {
 public:
  using Factory = std::function<StatusOr<std::unique_ptr<Connection>>()>;

  // Opens the database and checks that a connection can be made.
  static StatusOr<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  Database(Engine engine, Factory factory, const DatabaseOptions& options);
  ~Database();

  Engine engine() const { return engine_; }

  // Runs `fn` in one read-write transaction, committed when `fn` returns OK
  // and rolled back otherwise. On SQLite, writers in this process take turns
  // (so they never wait in SQLite's sleeping busy handler); on PostgreSQL,
  // transactions run concurrently at READ COMMITTED. A transaction that fails
  // with kAborted/kSerializationFailure is run again, up to max_retries, and
  // so, once, is one whose connection broke before COMMIT was sent (the
  // server cannot have applied it: a connection kept idle in the pool
  // through a failover is found dead only by its next statement): `fn` must
  // be safe to repeat. A connection that breaks during COMMIT gives
  // kUnavailable/kOutcomeUnknown.
  Status Write(const std::function<Status(Connection&)>& fn);
  // Runs `fn` on a connection without an explicit transaction: for reads
  // that are one statement, or that tolerate seeing commits between them.
  Status Read(const std::function<Status(Connection&)>& fn);

  // Creates `version_table` when absent and applies the migrations newer
  // than its version, all in one transaction, under a lock so that replicas
  // starting together migrate once. REQUIRES: `version_table` is a constant.
  Status Migrate(const std::string& version_table, const std::vector<Migration>& migrations);

 private:
  class Lease;
  StatusOr<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  // `committing` is set once COMMIT is sent.
  Status RunWrite(Connection& conn, const std::function<Status(Connection&)>& fn, bool& committing);
  // Closes the idle connections: after one is found broken, its peers to
  // the same server most likely are too.
  void DropIdle();

  const Engine engine_;
  const Factory factory_;
  const DatabaseOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections lent out or idle

  std::mutex sqlite_writer_mu_;
};

// How many threads a DB service runs its handlers on when asked for
// `requested` (its --threads flag): that many when >= 0; for -1, none on
// SQLite (inline on the polling thread: the embedded engine answers in
// microseconds, and a hand-off would cost more than the query) and one per
// pooled connection on PostgreSQL (every query waits on a server, so inline
// handlers would run one round trip at a time).
int HandlerThreads(int requested, const Database& db, int max_connections);

// Builds a driver connection. Defined by the engine backends.
StatusOr<std::unique_ptr<Connection>> OpenSqlite(const std::string& path, int cache_mib = 0);
StatusOr<std::unique_ptr<Connection>> OpenPostgres(const std::string& uri);

}  // namespace mp::storage
