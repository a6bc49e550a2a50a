// PostgreSQL driver over libpq: one PGconn per Connection, statements
// prepared once per connection, values sent and received as text.
#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <string>
#include <unordered_map>

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

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
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
    Result r(PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                            values.data(), lengths.data(), nullptr, 0));
    MP_RETURN_IF_ERROR(Check(r.get()));
    return ToRows(r.get());
  }

  StatusOr<Rows> Exec(std::string_view script) override {
    Result r(PQexec(conn_, std::string(script).c_str()));
    MP_RETURN_IF_ERROR(Check(r.get()));
    return ToRows(r.get());
  }

  Engine engine() const override { return Engine::kPostgres; }
  bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }

 private:
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
    if (broken()) return Unavailable(message);
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string_view code = state ? state : "";
    if (code == "23505") return Status(StatusCode::kAlreadyExists, message, "unique_violation");
    if (code == "40001" || code == "40P01") {
      return Status(StatusCode::kAborted, message, "serialization_failure");
    }
    if (code.starts_with("08") || code.starts_with("57P")) return Unavailable(message);
    return Internal(message);
  }

  PGconn* conn_;
  std::unordered_map<const Sql*, std::string> prepared_;
};

}  // namespace

StatusOr<std::unique_ptr<Connection>> OpenPostgres(const std::string& uri) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    // The message may name the host but libpq never prints the password.
    Status status = Unavailable(std::string("postgres: cannot connect: ") + PQerrorMessage(conn));
    PQfinish(conn);
    return status;
  }
  auto c = std::make_unique<PostgresConnection>(conn);
  // Quiet the NOTICEs of CREATE ... IF NOT EXISTS at start-up.
  MP_RETURN_IF_ERROR(c->Exec("SET client_min_messages = warning").status());
  return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace mp::storage
