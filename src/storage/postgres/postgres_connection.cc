// PostgreSQL driver over libpq: one PGconn per Connection, statements
// prepared once per connection, values sent and received as text.
#include <libpq-fe.h>
#include <poll.h>

#include <array>
#include <charconv>
#include <chrono>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/call_deadline.h"
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
    if (PQsendQueryPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                            values.data(), lengths.data(), nullptr, 0) != 1) {
      return Check(nullptr);
    }
    Result r(TakeLastResult());
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
  // PostgreSQL answers a COMMIT whose wait for the synchronous standby was
  // cancelled (at the caller's deadline, AwaitReply) as a success with a
  // warning: committed here, perhaps not on the standby. Not a write to
  // report as done.
  Status Commit() override {
    sync_wait_cut_ = false;
    Status status = End("COMMIT");
    if (status.ok() && sync_wait_cut_) {
      return Status(StatusCode::kDeadlineExceeded,
                    "the caller's deadline passed while the commit waited for the synchronous "
                    "standby: it is applied on the primary, perhaps not on the standby",
                    kOutcomeUnknown);
    }
    return status;
  }
  Status Rollback() override { return End("ROLLBACK"); }

  Engine engine() const override { return Engine::kPostgres; }
  bool broken() const override {
    return lost_ || cancelled_ || timed_out_ || PQstatus(conn_) != CONNECTION_OK;
  }
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
    if (PQsendQuery(conn_, command) != 1) {
      lost_ = true;
      return Check(nullptr);
    }
    Result r(TakeLastResult());
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
    PGresult* first = GetResult();
    if (first) {
      while (PGresult* more = GetResult()) PQclear(more);
    }
    return first;
  }

  // The last result of a query sent outside pipeline mode (the earlier ones,
  // if any, are dropped), or null when the connection was lost.
  PGresult* TakeLastResult() {
    PGresult* last = nullptr;
    while (PGresult* next = GetResult()) {
      PQclear(last);
      last = next;
      if (PQstatus(conn_) != CONNECTION_OK) break;
    }
    return last;
  }

  // PQgetResult, not waiting past the caller's deadline: null (and the
  // connection lost) when the server did not answer in time.
  PGresult* GetResult() {
    if (!AwaitReply()) return nullptr;
    return PQgetResult(conn_);
  }

  // Waits until the server's next reply has arrived, at most until the
  // deadline of the call being served (ScopedCallDeadline): nothing the
  // server does for a caller outlives the caller by more than a moment.
  // At the deadline the server is asked to cancel what it runs: a statement
  // then fails (57014), and a COMMIT waiting for the synchronous standby
  // ends committed on the primary, with the warning Commit() looks for.
  // statement_timeout cannot do this: PostgreSQL stops its timer before a
  // COMMIT's wait. Without a deadline, libpq's own blocking wait serves.
  // False when even the cancel brought no reply (the server unreachable):
  // the connection is then lost.
  bool AwaitReply() {
    std::optional<std::chrono::milliseconds> left = ScopedCallDeadline::Remaining();
    if (!left) return true;
    auto until = std::chrono::steady_clock::now() + *left;
    bool cancelled = false;
    while (true) {
      if (PQconsumeInput(conn_) != 1 || !PQisBusy(conn_)) return true;
      auto now = std::chrono::steady_clock::now();
      if (now >= until) {
        if (cancelled) {
          timed_out_ = true;
          return false;
        }
        Cancel();
        cancelled = true;
        // A cancel that arrives late would hit the connection's next
        // statement: a cancelled connection is never reused (broken()).
        cancelled_ = true;
        until = now + kCancelGrace;
        continue;
      }
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - now);
      pollfd socket{.fd = PQsocket(conn_), .events = POLLIN, .revents = 0};
      (void)poll(&socket, 1, static_cast<int>(wait.count()));  // EINTR: look again
    }
  }

  // Sends a cancel request on a thread of its own: it opens a connection
  // to the server, which may hang for minutes when the server's machine is
  // cut off, and the caller should not wait for that.
  void Cancel() {
    PGcancel* cancel = PQgetCancel(conn_);
    if (cancel == nullptr) return;
    std::thread([cancel] {
      std::array<char, 256> error{};
      if (PQcancel(cancel, error.data(), static_cast<int>(error.size())) != 1) {
        log::Warn("postgres: cannot cancel a statement past its deadline: {}",
                  OneLine(error.data()));
      }
      PQfreeCancel(cancel);
    }).detach();
  }

  // How long a cancelled statement may take to answer before the
  // connection is given up.
  static constexpr std::chrono::milliseconds kCancelGrace{1000};

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
    if (r == nullptr && timed_out_) {
      log::Warn("postgres: no reply within the caller's deadline, even to a cancel");
      return Unavailable("the database did not answer in time");
    }
    std::string message = std::string("postgres: ") + PQerrorMessage(conn_);
    if (lost_ || PQstatus(conn_) != CONNECTION_OK) return Lost(message);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view code = state ? state : "";
    if (code == "23505") return Status(StatusCode::kAlreadyExists, message, kUniqueViolation);
    if (code == "40001" || code == "40P01") {
      return Status(StatusCode::kAborted, message, kSerializationFailure);
    }
    if (code.starts_with("08") || code.starts_with("57P")) return Lost(message);
    if (code == "57014") {  // cancelled at the caller's deadline (AwaitReply)
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
  bool cancelled_ = false;      // a cancel was sent (AwaitReply): not to be reused
  bool timed_out_ = false;      // no reply even to the cancel: not to be reused
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
