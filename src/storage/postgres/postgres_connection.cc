// PostgreSQL driver over libpq: one PGconn per Connection, statements
// prepared once per connection, values sent and received as text.
#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <charconv>
#include <string>
#include <unordered_map>

#include "common/log.h"
#include "storage/database.h"

namespace mp::storage {
namespace {

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  PGresult* get() const { return r_; }

 private:
  PGresult* r_;
};

// libpq's messages span lines (one per host tried, a hint): one log line.
std::string OneLine(std::string_view text) {
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      if (!line.empty() && line.back() != ' ') line += "; ";
    } else if (c != '\t') {
      line += c;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == ';')) line.pop_back();
  return line;
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {
    PQsetNoticeReceiver(conn_, &PostgresConnection::OnNotice, this);
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  StatusOr<Rows> Query(const Sql& sql, std::span<const Param> params) override {
    const char* text = sql.postgres ? sql.postgres : sql.text;
    auto it = prepared_.find(&sql);
    if (it == prepared_.end()) {
      std::string name("s");
      name += std::to_string(prepared_.size());
      Result r(PQprepare(conn_, name.c_str(), text, 0, nullptr));
      MP_RETURN_IF_ERROR(Check(r.get()));
      it = prepared_.emplace(&sql, std::move(name)).first;
    }
    // Integers are formatted into fixed buffers: no allocation per value.
    constexpr size_t kMaxParams = 32;
    if (params.size() > kMaxParams) return Internal("postgres: too many parameters");
    std::array<std::array<char, 24>, kMaxParams> numbers;
    std::array<const char*, kMaxParams> values{};
    std::array<int, kMaxParams> lengths{};
    std::array<std::string, kMaxParams> strings;
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        auto [end, ec] = std::to_chars(numbers[i].data(), numbers[i].data() + 23, *n);
        *end = '\0';
        values[i] = numbers[i].data();
        lengths[i] = static_cast<int>(end - numbers[i].data());
      } else if (const auto* s = std::get_if<std::string_view>(&params[i])) {
        // Text format needs a terminator, which a string_view may lack.
        strings[i].assign(*s);
        values[i] = strings[i].c_str();
        lengths[i] = static_cast<int>(s->size());
      }
    }
    if (begin_pending_) {
      begin_pending_ = false;
      return BeginAndQuery(it->second, static_cast<int>(params.size()), values.data(),
                           lengths.data());
    }
    Result r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                            values.data(), lengths.data(), nullptr, 0));
    MP_RETURN_IF_ERROR(Check(r.get()));
    return ToRows(r.get());
  }

  StatusOr<Rows> Exec(std::string_view script) override {
    if (begin_pending_) {
      begin_pending_ = false;
      Result begin(PQexec(conn_, "BEGIN"));
      MP_RETURN_IF_ERROR(Check(begin.get()));
    }
    Result r(PQexec(conn_, std::string(script).c_str()));
    MP_RETURN_IF_ERROR(Check(r.get()));
    return ToRows(r.get());
  }

  // Each statement is a round trip to the server, so BEGIN waits for the
  // transaction's first statement and travels with it (Query).
  Status Begin() override {
    begin_pending_ = true;
    return Status();
  }
  Status Commit() override { return End("COMMIT"); }
  // SET LOCAL and COMMIT in one round trip: statement_timeout then bounds
  // the COMMIT's wait for the synchronous standby. PostgreSQL answers a
  // cut wait as a success with a warning (committed here, maybe not on the
  // standby): not a write to report as done.
  Status CommitWithin(std::chrono::milliseconds budget) override {
    if (begin_pending_) {
      begin_pending_ = false;
      return Status();
    }
    std::string set_timeout = "SET LOCAL statement_timeout = " + std::to_string(budget.count());
    sync_wait_cut_ = false;
    Status status;
    if (PQenterPipelineMode(conn_) != 1) {
      status = Check(nullptr);
    } else {
      if (PQsendQueryParams(conn_, set_timeout.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) !=
              1 ||
          PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
          PQpipelineSync(conn_) != 1) {
        status = Check(nullptr);
      } else {
        Result set(TakeQueryResult());
        Result commit(TakeQueryResult());
        Result sync(PQgetResult(conn_));
        status = Check(set.get());
        if (status.ok()) status = Check(commit.get());
        if (status.ok() && PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
          status = Unavailable("postgres: pipeline out of step");
        }
      }
      if (PQexitPipelineMode(conn_) != 1 && status.ok()) {
        status = Unavailable("postgres: pipeline out of step");
      }
    }
    if (!status.ok()) {
      lost_ = true;  // the transaction's end is unknown: never reuse it
      return status;
    }
    if (sync_wait_cut_) {
      return Status(StatusCode::kDeadlineExceeded,
                    "the caller's deadline passed while the commit waited for the synchronous "
                    "standby: it is applied on the primary, perhaps not on the standby",
                    kOutcomeUnknown);
    }
    return Status();
  }
  Status Rollback() override { return End("ROLLBACK"); }

  Engine engine() const override { return Engine::kPostgres; }
  bool broken() const override { return lost_ || PQstatus(conn_) != CONNECTION_OK; }
  // An idle connection has nothing to read unless the server spoke first,
  // which it does when it ends the session (shutdown, a backend killed, a
  // primary demoted: an error, then the close). The rare message that is
  // not (a parameter's new value) costs a reconnect.
  bool Alive() override {
    if (broken()) return false;
    pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
    if (poll(&socket, 1, 0) != 0) lost_ = true;
    return !lost_;
  }

 private:
  // A transaction that ran no statement never began on the server. One that
  // could not be ended leaves the session in a state we cannot know: the
  // connection is then dropped, not lent to the next transaction.
  Status End(const char* command) {
    if (begin_pending_) {
      begin_pending_ = false;
      return Status();
    }
    Result r(PQexec(conn_, command));
    Status status = Check(r.get());
    if (!status.ok()) lost_ = true;
    return status;
  }

  // BEGIN and a prepared statement in one round trip, with libpq's pipeline
  // mode. A failed BEGIN fails the statement too; either failure leaves the
  // transaction for the caller to roll back, as a failed statement would.
  StatusOr<Rows> BeginAndQuery(const std::string& name, int n, const char* const* values,
                               const int* lengths) {
    if (PQenterPipelineMode(conn_) != 1) return Check(nullptr);
    Status status;
    Rows rows;
    if (PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
        PQsendQueryPrepared(conn_, name.c_str(), n, values, lengths, nullptr, 0) != 1 ||
        PQpipelineSync(conn_) != 1) {
      status = Check(nullptr);
    } else {
      Result begin(TakeQueryResult());
      Result statement(TakeQueryResult());
      Result sync(PQgetResult(conn_));
      status = Check(begin.get());
      if (status.ok()) status = Check(statement.get());
      if (status.ok()) rows = ToRows(statement.get());
      if (status.ok() && PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
        status = Unavailable("postgres: pipeline out of step");
      }
    }
    if (PQexitPipelineMode(conn_) != 1) {
      // Results still pending: the connection's state is unknown; drop it.
      lost_ = true;
      if (status.ok()) status = Unavailable("postgres: pipeline out of step");
    }
    MP_RETURN_IF_ERROR(status);
    return rows;
  }

  // In pipeline mode each query's results end with a null.
  PGresult* TakeQueryResult() {
    PGresult* first = PQgetResult(conn_);
    if (first) {
      while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    }
    return first;
  }

  static Rows ToRows(PGresult* r) {
    Rows rows;
    int nrows = PQntuples(r);
    int ncols = PQnfields(r);
    rows.reserve(nrows);
    for (int i = 0; i < nrows; ++i) {
      std::vector<std::optional<std::string>> cells(ncols);
      for (int c = 0; c < ncols; ++c) {
        if (!PQgetisnull(r, i, c)) cells[c].emplace(PQgetvalue(r, i, c), PQgetlength(r, i, c));
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  Status Check(PGresult* r) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status();
    std::string message = std::string("postgres: ") + PQerrorMessage(conn_);
    if (broken()) return Lost(message);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view code = state ? state : "";
    if (code == "23505") return Status(StatusCode::kAlreadyExists, message, kUniqueViolation);
    if (code == "40001" || code == "40P01") {
      return Status(StatusCode::kAborted, message, kSerializationFailure);
    }
    if (code.starts_with("08") || code.starts_with("57P")) return Lost(message);
    if (code == "57014") {  // statement_timeout: the statement was cancelled
      return Status(StatusCode::kDeadlineExceeded, "the caller's deadline passed");
    }
    return Internal(message);
  }

  // libpq's text names hosts and ports: for the log, not for the clients
  // that an Unavailable reaches through the REST servers.
  static Status Lost(const std::string& detail) {
    log::Warn("{}", OneLine(detail));
    return Unavailable("the database connection was lost");
  }

  static void OnNotice(void* self, const PGresult* notice) {
    const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
    if (message && std::string_view(message).starts_with("canceling wait for synchronous")) {
      static_cast<PostgresConnection*>(self)->sync_wait_cut_ = true;
    } else {
      log::Warn("postgres: {}", OneLine(PQresultErrorMessage(notice)));
    }
  }

  PGconn* conn_;
  std::unordered_map<const Sql*, std::string> prepared_;
  bool sync_wait_cut_ = false;  // a warning said the COMMIT's standby wait was cut
  bool begin_pending_ = false;  // Begin() was called; BEGIN not yet sent
  bool lost_ = false;           // left in an unknown state: not to be reused
};

}  // namespace

StatusOr<std::unique_ptr<Connection>> OpenPostgres(const std::string& uri) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // The message names hosts and ports (libpq never prints the password):
    // for the log only, as in Lost().
    log::Warn("postgres: cannot connect: {}", OneLine(PQerrorMessage(conn)));
    Status status = Unavailable("cannot reach the database");
    PQfinish(conn);
    return status;
  }
  auto c = std::make_unique<PostgresConnection>(conn);
  // Quiet the NOTICEs of CREATE ... IF NOT EXISTS at start-up.
  MP_RETURN_IF_ERROR(c->Exec("SET client_min_messages = warning").status());
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace mp::storage
