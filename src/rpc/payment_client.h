#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace mp::rpc {

struct ChargeRequest {
  std::string transaction_id;
  std::string holder_name;
  std::string card_number;
  std::string expiration;     // MM/YY
  std::string security_code;  // "" when not given
  int64_t amount_cents = 0;
};

struct ChargeDecision {
  bool approved = false;
  // "approved", "invalid_card", "invalid_expiration", "card_expired",
  // "invalid_security_code" or "declined".
  std::string reason;
};

// Blocking SOAP client of the payment service (gSOAP proxy). Charge is
// idempotent on the transaction id, so a call that failed in transport may
// be repeated. Thread-safe (a proxy per call).
class PaymentClient {
 public:
  // `url`, e.g. "http://127.0.0.1:8083/".
  explicit PaymentClient(std::string url, std::chrono::seconds timeout = std::chrono::seconds(5));

  // kUnavailable when the service cannot be reached or fails on its side
  // (the outcome is then unknown); kInvalidArgument when it refuses the
  // arguments; else the decision.
  StatusOr<ChargeDecision> Charge(const ChargeRequest& request) const;

 private:
  std::string url_;
  std::chrono::seconds timeout_;
};

}  // namespace mp::rpc
