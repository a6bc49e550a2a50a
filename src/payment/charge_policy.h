#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "rpc/payment_client.h"

namespace mp::payment {

// The operation's arguments and answer, shared with the client.
using ChargeRequest = rpc::ChargeRequest;
using ChargeDecision = rpc::ChargeDecision;

// True when `digits` is 12 to 19 decimal digits passing the Luhn check.
bool LuhnValid(std::string_view digits);

// Decides a charge (docs/contract.md §6): cards that fail the Luhn check or have expired
// are declined; others are approved with probability `approval_rate`, drawn
// from a hash of the seed and the transaction id, so that one id always gets
// one answer. Thread-safe.
class ChargePolicy {
 public:
  ChargePolicy(double approval_rate, uint64_t seed, const Clock& clock)
      : approval_rate_(approval_rate), seed_(seed), clock_(clock) {}

  ChargeDecision Decide(const ChargeRequest& request) const;

 private:
  double approval_rate_;
  uint64_t seed_;
  const Clock& clock_;
};

}  // namespace mp::payment
