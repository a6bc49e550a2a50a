#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mp {

// Limits of docs/contract.md §2, in one place for every component.
inline constexpr int kMaxNameChars = 32;
inline constexpr int kMaxUsernameChars = 32;
inline constexpr int kMinPasswordChars = 8;
inline constexpr int kMaxPasswordChars = 128;
inline constexpr int kMaxKeywords = 5;
inline constexpr int kMaxKeywordChars = 8;
inline constexpr int64_t kMaxCategory = 2147483647;
inline constexpr int64_t kMaxPriceCents = 100'000'000'000;  // $1,000,000,000
inline constexpr int64_t kMaxQuantity = 1'000'000'000;
inline constexpr int kDefaultSearchLimit = 50;
inline constexpr int kMaxSearchLimit = 500;
// Purchase history pages (newest first).
inline constexpr int kDefaultPurchasePage = 100;
inline constexpr int kMaxPurchasePage = 500;
// The most an order may cost: one unit at the highest price. Totals are
// computed with checked arithmetic and refused past this, never wrapped.
inline constexpr int64_t kMaxOrderTotalCents = kMaxPriceCents;
// Lines a cart may hold (distinct items), so a purchase, its recovery and a
// cart display stay bounded.
inline constexpr int kMaxCartLines = 100;

// A database id of one kind of thing. Each kind is its own type, so that a
// buyer's id cannot be passed where a seller's or an account's is meant;
// `value` is what the database and the wire hold.
template <typename Tag>
struct Id {
  int64_t value = 0;

  constexpr Id() = default;
  constexpr explicit Id(int64_t v) : value(v) {}
  constexpr auto operator<=>(const Id&) const = default;
};
// An account of either role (the accounts and sessions tables); a seller's
// or a buyer's id is the account id of that role.
using UserId = Id<struct UserTag>;
using SellerId = Id<struct SellerTag>;
using BuyerId = Id<struct BuyerTag>;

// "<category>-<number>", e.g. "3-1042". Only the canonical form parses:
// decimal digits, no sign, no leading zeros.
struct ItemId {
  int64_t category = 0;
  int64_t number = 0;

  static StatusOr<ItemId> Parse(std::string_view text, std::string_view field = "item_id");
  std::string ToString() const;
  bool operator==(const ItemId&) const = default;
};

// An amount of money in integer cents; never a binary float.
struct Money {
  int64_t cents = 0;

  // "12.5" -> 1250. Up to two decimals, no exponent, no sign.
  static StatusOr<Money> Parse(std::string_view text, std::string_view field = "price");
  // 1250 -> "12.50"
  std::string ToString() const;
  bool operator==(const Money&) const = default;
};

// Argument checks against docs/contract.md §2. Each names `field` in its error.
Status ValidateName(std::string_view field, std::string_view value);
Status ValidateUsername(std::string_view value);
Status ValidatePassword(std::string_view value);
Status ValidateCategory(int64_t category);
Status ValidatePriceCents(int64_t cents);
// 1..kMaxQuantity units.
Status ValidateQuantity(std::string_view field, int64_t quantity);
// Checks 0..5 distinct words of 1..8 characters (letters, digits, '-' or
// '_'), compared case-insensitively, and returns them lower-cased and sorted.
StatusOr<std::vector<std::string>> NormalizeKeywords(const std::vector<std::string>& keywords);

// Adds `quantity` units at `price_cents` to `total_cents`; kInvalidArgument
// naming "total" when the product or the sum passes kMaxOrderTotalCents
// (`total_cents` is then unchanged).
Status AddToOrderTotal(int64_t& total_cents, int64_t price_cents, int64_t quantity);

// Card fields of a purchase (docs/contract.md §5), checked before anything is held:
// 12-19 digits; MM/YY with a month 01-12; 3-4 digits.
Status ValidateCardNumber(std::string_view number);
Status ValidateExpiration(std::string_view mm_yy);
Status ValidateSecurityCode(std::string_view code);

// Number of Unicode code points, or -1 when `text` is not valid UTF-8 or
// holds control characters.
int CountPrintableChars(std::string_view text);
// True when `text` is valid UTF-8 (control characters allowed). Protobuf
// refuses other bytes in string fields, so every edge checks this first.
bool IsValidUtf8(std::string_view text);

}  // namespace mp

namespace mp {
// A database id: an integer > 0.
Status ValidateId(std::string_view field, int64_t id);
// An opaque key chosen by a caller (session or purchase id): 1 to 128
// characters from [A-Za-z0-9_-].
Status ValidateKey(std::string_view field, std::string_view key);
}  // namespace mp
