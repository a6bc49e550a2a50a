#include "payment/charge_policy.h"

#include <algorithm>
#include <ctime>

namespace mp::payment {
namespace {

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// FNV-1a: stable across builds and platforms, unlike std::hash.
uint64_t Fnv1a(uint64_t seed, std::string_view text) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Months since year 0 of "MM/YY" (20YY), or -1 when malformed.
int ExpiryMonth(std::string_view mm_yy) {
  if (mm_yy.size() != 5 || mm_yy[2] != '/' || !AllDigits(mm_yy.substr(0, 2)) ||
      !AllDigits(mm_yy.substr(3))) {
    return -1;
  }
  int month = (mm_yy[0] - '0') * 10 + (mm_yy[1] - '0');
  int year = 2000 + (mm_yy[3] - '0') * 10 + (mm_yy[4] - '0');
  if (month < 1 || month > 12) return -1;
  return year * 12 + (month - 1);
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  if (digits.size() < 12 || digits.size() > 19 || !AllDigits(digits)) return false;
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

ChargeDecision ChargePolicy::Decide(const ChargeRequest& r) const {
  if (!LuhnValid(r.card_number)) return {false, "invalid_card"};
  int expiry = ExpiryMonth(r.expiration);
  if (expiry < 0) return {false, "invalid_expiration"};
  std::time_t now = static_cast<std::time_t>(clock_.NowMs() / 1000);
  std::tm tm{};
  gmtime_r(&now, &tm);
  // A card is good through the last day of its expiry month.
  if (expiry < (tm.tm_year + 1900) * 12 + tm.tm_mon) return {false, "card_expired"};
  if (!r.security_code.empty() &&
      (r.security_code.size() < 3 || r.security_code.size() > 4 || !AllDigits(r.security_code))) {
    return {false, "invalid_security_code"};
  }
  double draw = static_cast<double>(Fnv1a(seed_, r.transaction_id) >> 11) / 9007199254740992.0;
  if (draw < approval_rate_) return {true, "approved"};
  return {false, "declined"};
}

}  // namespace mp::payment
