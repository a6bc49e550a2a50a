#include "storage/payment_repository.h"

#include "storage/migrations.h"

namespace mp::storage {
namespace {

const Sql kInsertCharge{
    "INSERT INTO charges (transaction_id, approved, reason, amount_cents, card_last4, time_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (transaction_id) DO NOTHING"};
const Sql kSelectCharge{
    "SELECT approved, reason, amount_cents, card_last4, time_ms FROM charges "
    "WHERE transaction_id = $1"};

std::optional<ChargeRecord> FromRows(const std::string& id, const Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return ChargeRecord{
      id, rows[0].Int(0) != 0, rows[0].Text(1), rows[0].Int(2), rows[0].Text(3), rows[0].Int(4)};
}

}  // namespace

Status PaymentRepository::Migrate(Database& db) {
  return db.Migrate("payment_schema_version", db.engine() == Engine::kSqlite
                                                  ? SqlitePaymentMigrations()
                                                  : PostgresPaymentMigrations());
}

StatusOr<ChargeRecord> PaymentRepository::RecordOnce(const ChargeRecord& r) {
  ChargeRecord stored;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kInsertCharge, {r.transaction_id, int64_t{r.approved}, r.reason,
                                                  r.amount_cents, r.card_last4, r.time_ms})
                           .status());
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCharge, {r.transaction_id}));
    auto record = FromRows(r.transaction_id, rows);
    if (!record) return Internal("charge vanished after insert");
    stored = *record;
    return Status();
  }));
  return stored;
}

StatusOr<std::optional<ChargeRecord>> PaymentRepository::Find(const std::string& id) {
  std::optional<ChargeRecord> found;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCharge, {id}));
    found = FromRows(id, rows);
    return Status();
  }));
  return found;
}

}  // namespace mp::storage
