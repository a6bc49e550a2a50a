#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mp::bench {

// The API calls the benchmark makes (docs/contract.md §4), seller side first.
enum class CallType : uint8_t {
  kDisplayItemsForSale,
  kGetSellerRating,
  kRegisterItemForSale,
  kChangeItemPrice,
  kUpdateUnitsForSale,
  kSearchItemsForSale,
  kGetItem,
  kDisplayCart,
  kGetBuyerPurchases,
  kAddItemToCart,
  kRemoveItemFromCart,
  kSaveCart,
  kMakePurchase,
  kProvideFeedback,
};
inline constexpr size_t kCallTypeCount = 14;

// The call's name as in docs/contract.md §4, e.g. "SearchItemsForSale".
std::string_view CallName(CallType type);
std::optional<CallType> CallFromName(std::string_view name);
inline CallType CallAt(size_t index) { return static_cast<CallType>(index); }
inline size_t Index(CallType type) { return static_cast<size_t>(type); }

// How a call ended, as the benchmark counts it.
enum class Outcome : uint8_t {
  kOk,        // the expected status
  kDeclined,  // 402 payment_declined from MakePurchase: counted apart
  kError,     // any other status, or no reply at all
  // Only with BenchOptions::resilient, counted apart and not as errors:
  kUnavailable,  // 503, 504, or no reply (refused, dropped, timed out): retryable
  kInterrupted,  // 400 purchase_interrupted: recovery undid a purchase an outage left pending
};

}  // namespace mp::bench
