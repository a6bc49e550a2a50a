#include "bench/call_type.h"

#include <array>

namespace mp::bench {
namespace {

constexpr std::array<std::string_view, kCallTypeCount> kNames = {
    "DisplayItemsForSale",
    "GetSellerRating",
    "RegisterItemForSale",
    "ChangeItemPrice",
    "UpdateUnitsForSale",
    "SearchItemsForSale",
    "GetItem",
    "DisplayCart",
    "GetBuyerPurchases",
    "AddItemToCart",
    "RemoveItemFromCart",
    "SaveCart",
    "MakePurchase",
    "ProvideFeedback",
};

}  // namespace

std::string_view CallName(CallType type) { return kNames[Index(type)]; }

std::optional<CallType> CallFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return CallAt(i);
  }
  return std::nullopt;
}

}  // namespace mp::bench
