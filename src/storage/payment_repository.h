#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "storage/database.h"

namespace mp::storage {

// A charge decision of the payment service.
struct ChargeRecord {
  std::string transaction_id;
  bool approved = false;
  std::string reason;
  int64_t amount_cents = 0;
  std::string card_last4;
  int64_t time_ms = 0;
};

// The payment service's memory of its answers: one per transaction id,
// written once. Thread-safe.
class PaymentRepository {
 public:
  explicit PaymentRepository(Database& db) : db_(db) {}

  static Status Migrate(Database& db);

  // Stores `record` unless the transaction id already has one; returns the
  // stored record either way (the first answer wins, also across restarts).
  StatusOr<ChargeRecord> RecordOnce(const ChargeRecord& record);
  // The stored record, or nullopt.
  StatusOr<std::optional<ChargeRecord>> Find(const std::string& transaction_id);

 private:
  Database& db_;
};

}  // namespace mp::storage
