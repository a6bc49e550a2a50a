#include "common/types.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace mp {
namespace {

// Canonical non-negative decimal: digits only, no leading zero unless "0".
bool ParseCanonicalInt(std::string_view text, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && *out <= max;
}

}  // namespace

StatusOr<ItemId> ItemId::Parse(std::string_view text, std::string_view field) {
  size_t dash = text.find('-');
  ItemId id;
  if (dash == std::string_view::npos ||
      !ParseCanonicalInt(text.substr(0, dash), kMaxCategory, &id.category) ||
      !ParseCanonicalInt(text.substr(dash + 1), INT64_MAX, &id.number)) {
    return InvalidArgument(field, "must look like <category>-<number>, e.g. 3-1042");
  }
  return id;
}

std::string ItemId::ToString() const {
  return std::to_string(category) + "-" + std::to_string(number);
}

StatusOr<Money> Money::Parse(std::string_view text, std::string_view field) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  int64_t units = 0;
  bool ok = !whole.empty() && whole.size() <= 10 &&
            std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            frac.size() <= 2 &&
            std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
            (dot == std::string_view::npos || !frac.empty());
  if (!ok) return InvalidArgument(field, "must be a number with at most two decimals");
  std::from_chars(whole.data(), whole.data() + whole.size(), units);
  int64_t cents = 0;
  for (size_t i = 0; i < 2; ++i) cents = cents * 10 + (i < frac.size() ? frac[i] - '0' : 0);
  Money money{units * 100 + cents};
  MP_RETURN_IF_ERROR(ValidatePriceCents(money.cents));
  return money;
}

std::string Money::ToString() const {
  int64_t frac = cents % 100;
  std::string out = std::to_string(cents / 100) + ".";
  out.push_back(static_cast<char>('0' + frac / 10));
  out.push_back(static_cast<char>('0' + frac % 10));
  return out;
}

namespace {
// Code points of `text` through `fn`; false at the first invalid sequence.
template <typename Fn>
bool ForEachCodePoint(std::string_view text, Fn fn) {
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms and surrogates are not UTF-8.
    static constexpr uint32_t kMinForLen[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (!fn(cp)) return false;
    i += len;
  }
  return true;
}
}  // namespace

bool IsValidUtf8(std::string_view text) {
  return ForEachCodePoint(text, [](uint32_t) { return true; });
}

int CountPrintableChars(std::string_view text) {
  int count = 0;
  bool ok = ForEachCodePoint(text, [&](uint32_t cp) {
    ++count;
    return !(cp < 0x20 || (cp >= 0x7F && cp < 0xA0));  // C0, DEL, C1 controls
  });
  return ok ? count : -1;
}

namespace {
Status ValidateText(std::string_view field, std::string_view value, int min, int max) {
  int n = CountPrintableChars(value);
  if (n < 0) return InvalidArgument(field, "must be valid UTF-8 without control characters");
  if (n < min || n > max) {
    return InvalidArgument(
        field, "must be " + std::to_string(min) + " to " + std::to_string(max) + " characters");
  }
  return Status();
}
}  // namespace

Status ValidateName(std::string_view field, std::string_view value) {
  MP_RETURN_IF_ERROR(ValidateText(field, value, 1, kMaxNameChars));
  if (value.find_first_not_of(' ') == std::string_view::npos) {
    return InvalidArgument(field, "must not be blank");
  }
  return Status();
}

Status ValidateUsername(std::string_view value) {
  return ValidateText("username", value, 1, kMaxUsernameChars);
}

Status ValidatePassword(std::string_view value) {
  return ValidateText("password", value, kMinPasswordChars, kMaxPasswordChars);
}

Status ValidateCategory(int64_t category) {
  if (category < 0 || category > kMaxCategory) {
    return InvalidArgument("category", "must be an integer from 0 to 2147483647");
  }
  return Status();
}

Status ValidatePriceCents(int64_t cents) {
  if (cents <= 0 || cents > kMaxPriceCents) {
    return InvalidArgument("price", "must be more than 0 and at most 1000000000");
  }
  return Status();
}

Status ValidateQuantity(std::string_view field, int64_t quantity) {
  if (quantity < 1 || quantity > kMaxQuantity) {
    return InvalidArgument(field, "must be an integer from 1 to 1000000000");
  }
  return Status();
}

Status AddToOrderTotal(int64_t& total_cents, int64_t price_cents, int64_t quantity) {
  int64_t line = 0;
  int64_t sum = 0;
  if (price_cents < 0 || quantity < 0 || __builtin_mul_overflow(price_cents, quantity, &line) ||
      __builtin_add_overflow(total_cents, line, &sum) || sum > kMaxOrderTotalCents) {
    return InvalidArgument("total", "an order may cost at most " +
                                        Money{kMaxOrderTotalCents}.ToString() +
                                        "; remove some units");
  }
  total_cents = sum;
  return Status();
}

namespace {
bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

Status ValidateCardNumber(std::string_view number) {
  if (number.size() < 12 || number.size() > 19 || !AllDigits(number)) {
    return InvalidArgument("card_number", "must be 12 to 19 digits");
  }
  return Status();
}

Status ValidateExpiration(std::string_view mm_yy) {
  bool ok = mm_yy.size() == 5 && mm_yy[2] == '/' && AllDigits(mm_yy.substr(0, 2)) &&
            AllDigits(mm_yy.substr(3, 2));
  int month = ok ? (mm_yy[0] - '0') * 10 + (mm_yy[1] - '0') : 0;
  if (month < 1 || month > 12) return InvalidArgument("expiration", "must be MM/YY");
  return Status();
}

Status ValidateSecurityCode(std::string_view code) {
  if (code.size() < 3 || code.size() > 4 || !AllDigits(code)) {
    return InvalidArgument("security_code", "must be 3 or 4 digits");
  }
  return Status();
}

StatusOr<std::vector<std::string>> NormalizeKeywords(const std::vector<std::string>& keywords) {
  if (keywords.size() > kMaxKeywords) {
    return InvalidArgument("keywords", "at most 5 keywords");
  }
  std::set<std::string> seen;
  for (const std::string& word : keywords) {
    if (word.empty() || word.size() > kMaxKeywordChars) {
      return InvalidArgument("keywords", "each keyword must be 1 to 8 characters");
    }
    std::string lower;
    for (char c : word) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_';
      if (!ok) {
        return InvalidArgument("keywords", "keywords hold only letters, digits, '-' and '_'");
      }
      lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    if (!seen.insert(lower).second) {
      return InvalidArgument("keywords", "keywords must be distinct (case-insensitive)");
    }
  }
  return std::vector<std::string>(seen.begin(), seen.end());
}

}  // namespace mp

namespace mp {

Status ValidateId(std::string_view field, int64_t id) {
  if (id <= 0) return InvalidArgument(field, "must be a positive integer");
  return Status();
}

Status ValidateKey(std::string_view field, std::string_view key) {
  bool ok = !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
  if (!ok) return InvalidArgument(field, "must be 1 to 128 characters of [A-Za-z0-9_-]");
  return Status();
}

}  // namespace mp
