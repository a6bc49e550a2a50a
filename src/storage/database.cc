#include "storage/database.h"

#include <charconv>
#include <thread>

#include "common/call_deadline.h"
#include "common/log.h"

namespace mp::storage {

Row::Row(std::vector<std::optional<std::string>> cells) {
  cells_.resize(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    if (!cells[i]) continue;
    cells_[i].kind = Cell::Kind::kText;
    cells_[i].text = std::move(*cells[i]);
  }
}

int64_t Row::Int(size_t col) const {
  const Cell& cell = cells_.at(col);
  switch (cell.kind) {
    case Cell::Kind::kInt:
      return cell.number;
    case Cell::Kind::kText: {
      int64_t value = 0;
      std::from_chars(cell.text.data(), cell.text.data() + cell.text.size(), value);
      return value;
    }
    case Cell::Kind::kNull:
      break;
  }
  return 0;
}

const std::string& Row::Text(size_t col) const {
  static const std::string kEmpty;
  Cell& cell = cells_.at(col);
  if (cell.kind == Cell::Kind::kNull) return kEmpty;
  if (cell.kind == Cell::Kind::kInt && cell.text.empty()) cell.text = std::to_string(cell.number);
  return cell.text;
}

namespace {

const Sql kBegin{"BEGIN IMMEDIATE", "BEGIN"};
const Sql kCommit{"COMMIT"};
const Sql kRollback{"ROLLBACK"};

}  // namespace

Status Connection::Begin() { return Query(kBegin).status(); }
Status Connection::Commit() { return Query(kCommit).status(); }
// SQLite's COMMIT waits for nothing but the local disk.
Status Connection::Rollback() { return Query(kRollback).status(); }

Status Connection::ForEach(const Sql& sql, std::span<const Param> params,
                           const std::function<bool(const Row&)>& each) {
  MP_ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  for (const Row& row : rows) {
    if (!each(row)) break;
  }
  return Status();
}

namespace {

bool IsPostgresUri(std::string_view uri) {
  return uri.starts_with("postgresql://") || uri.starts_with("postgres://");
}

// Replicas of a service may start together against one PostgreSQL.
const Sql kMigrationLock{nullptr, "SELECT pg_advisory_xact_lock(7262001)"};

}  // namespace

StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  Factory factory;
  Engine engine;
  if (IsPostgresUri(options.uri)) {
    engine = Engine::kPostgres;
    factory = [uri = options.uri] { return OpenPostgres(uri); };
  } else {
    engine = Engine::kSqlite;
    factory = [path = options.uri, cache = options.sqlite_cache_mib] {
      return OpenSqlite(path, cache);
    };
  }
  auto db = std::make_unique<Database>(engine, std::move(factory), options);
  MP_RETURN_IF_ERROR(db->Read([](Connection&) { return Status(); }));
  return db;
}

Database::Database(Engine engine, Factory factory, const DatabaseOptions& options)
    : engine_(engine), factory_(std::move(factory)), options_(options) {}

Database::~Database() = default;

StatusOr<std::unique_ptr<Connection>> Database::Acquire() {
  for (;;) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.max_connections; });
      if (idle_.empty()) {
        ++open_;
        break;
      }
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    if (conn->Alive()) return conn;
    // Closed by the server while idle (a restart, a failover): its peers in
    // the pool went the same way.
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    conn.reset();
    DropIdle();
  }
  auto conn = factory_();
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return conn;
}

void Database::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

void Database::DropIdle() {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
    open_ -= static_cast<int>(idle.size());
    cv_.notify_all();
  }
  // Closed outside the lock: closing may wait on the network.
}

// Returns the connection to the pool on every path, exceptions included.
class Database::Lease {
 public:
  Lease(Database& db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
  ~Lease() { db_.Release(std::move(conn_)); }
  Connection& operator*() { return *conn_; }

 private:
  Database& db_;
  std::unique_ptr<Connection> conn_;
};

Status Database::Read(const std::function<Status(Connection&)>& fn) {
  MP_ASSIGN_OR_RETURN(auto conn, Acquire());
  Lease lease(*this, std::move(conn));
  Status status = fn(*lease);
  // A lost connection hints that the others are lost too (a failover); one
  // cancelled at the caller's deadline does not.
  if (status.code() == StatusCode::kUnavailable && (*lease).broken()) DropIdle();
  return status;
}

Status Database::RunWrite(Connection& conn, const std::function<Status(Connection&)>& fn,
                          bool& committing) {
  MP_RETURN_IF_ERROR(conn.Begin());
  Status status = fn(conn);
  if (status.ok() && ScopedCallDeadline::Passed()) {
    // The caller was answered DEADLINE_EXCEEDED while the statements ran.
    status = Status(StatusCode::kDeadlineExceeded,
                    "the caller's deadline passed before the write committed: nothing was "
                    "written");
  }
  if (status.ok()) {
    committing = true;
    status = conn.Commit();
    if (status.reason() == kOutcomeUnknown) return status;  // ended: nothing to roll back
    if (!status.ok() && conn.broken()) {
      return Status(StatusCode::kUnavailable,
                    "the database connection broke during COMMIT: the write may or may not "
                    "have been applied (" +
                        status.message() + ")",
                    kOutcomeUnknown);
    }
  }
  if (!status.ok() && !conn.broken()) {
    // The PostgreSQL driver reports a connection whose rollback failed as
    // broken, so that the pool drops it.
    (void)conn.Rollback();
  }
  return status;
}

Status Database::Write(const std::function<Status(Connection&)>& fn) {
  Status status;
  bool reconnected = false;
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    MP_ASSIGN_OR_RETURN(auto conn, Acquire());
    Lease lease(*this, std::move(conn));
    if (ScopedCallDeadline::Passed()) {
      return Status(StatusCode::kDeadlineExceeded,
                    "the caller's deadline passed before the write started: nothing was written");
    }
    bool committing = false;
    if (engine_ == Engine::kSqlite) {
      std::lock_guard writer(sqlite_writer_mu_);
      status = RunWrite(*lease, fn, committing);
    } else {
      status = RunWrite(*lease, fn, committing);
    }
    // A lost connection (not one cancelled at the deadline) is worth one
    // more try on a new one: a failover may have replaced the server.
    if (!status.ok() && (*lease).broken() && !committing &&
        status.code() == StatusCode::kUnavailable) {
      DropIdle();
      if (reconnected) return status;
      reconnected = true;
      continue;
    }
    if (status.reason() != kSerializationFailure) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 << attempt));
  }
  return status;
}

Status Database::Migrate(const std::string& version_table,
                         const std::vector<Migration>& migrations) {
  return Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kMigrationLock).status());
    // The table name is the caller's constant, never input.
    MP_RETURN_IF_ERROR(
        conn.Exec("CREATE TABLE IF NOT EXISTS " + version_table + " (version INTEGER NOT NULL)")
            .status());
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Exec("SELECT version FROM " + version_table));
    if (rows.empty()) {
      MP_RETURN_IF_ERROR(
          conn.Exec("INSERT INTO " + version_table + " (version) VALUES (0)").status());
    }
    int64_t version = rows.empty() ? 0 : rows[0].Int(0);
    for (const Migration& m : migrations) {
      if (m.version <= version) continue;
      log::Info("{}: applying schema version {}", version_table, m.version);
      MP_RETURN_IF_ERROR(conn.Exec(m.sql).status());
      MP_RETURN_IF_ERROR(
          conn.Exec("UPDATE " + version_table + " SET version = " + std::to_string(m.version))
              .status());
    }
    return Status();
  });
}

int HandlerThreads(int requested, const Database& db, int max_connections) {
  if (requested >= 0) return requested;
  return db.engine() == Engine::kPostgres ? max_connections : 0;
}

}  // namespace mp::storage
