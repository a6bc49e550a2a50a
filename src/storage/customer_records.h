#pragma once
// What the customer database holds, as its repositories take and answer it:
// plain values, independent of the wire (the customer DB service converts
// them to and from its messages, src/customer_db/customer_db_service.cc).
// Session and purchase ids are keys the callers choose (ValidateKey), kept
// as text.

#include <cstdint>
#include <string>
#include <vector>

#include "common/types.h"

namespace mp::storage {

// Stored as these numbers (accounts.role, sessions.role).
enum class Role : int64_t { kSeller = 1, kBuyer = 2 };

struct Account {
  Role role = Role::kBuyer;
  UserId user_id;
  std::string username;
  std::string name;
  int64_t units = 0;  // items sold for a seller, items bought for a buyer
  bool operator==(const Account&) const = default;
};

// A session as a request names it: its id and the role it must have.
struct SessionKey {
  std::string session_id;
  Role role = Role::kBuyer;
};

// A live session.
struct SessionInfo {
  std::string session_id;
  Role role = Role::kBuyer;
  UserId user_id;
  bool operator==(const SessionInfo&) const = default;
};

struct CartLine {
  ItemId item_id;
  int64_t quantity = 0;
  bool operator==(const CartLine&) const = default;
};

struct Cart {
  BuyerId buyer_id;
  std::vector<CartLine> lines = {};  // by item id (as text)
  bool operator==(const Cart&) const = default;
};

// A line as bought: the units and what each cost.
struct PurchaseLine {
  ItemId item_id;
  SellerId seller_id;
  int64_t quantity = 0;
  int64_t price_cents = 0;
  bool operator==(const PurchaseLine&) const = default;
};

// A purchase to record (PurchaseRepository::RecordPurchase).
struct PurchaseRecord {
  std::string purchase_id;
  BuyerId buyer_id;
  std::vector<PurchaseLine> lines = {};
  std::string clear_session_id = {};  // the working cart the units leave, if any
};

// A recorded purchase: when it was recorded.
struct RecordedPurchase {
  std::string purchase_id;
  int64_t time_ms = 0;
};

// Stored as these numbers (purchase_attempts.state).
enum class PurchaseState : int64_t { kPending = 1, kCompleted = 2, kFailed = 3 };

// The saga's durable record of one purchase (docs/purchases.md).
struct PurchaseAttempt {
  std::string purchase_id;
  BuyerId buyer_id;
  std::string session_id;
  PurchaseState state = PurchaseState::kPending;
  std::vector<CartLine> lines = {};         // what the attempt buys
  std::vector<PurchaseLine> recorded = {};  // completed: the lines as bought
  int64_t total_cents = 0;                  // completed: what was charged
  std::string failure_reason;               // failed: e.g. "payment_declined"
  std::string failure_message;
  int64_t created_ms = 0;
  int64_t finished_ms = 0;
  bool operator==(const PurchaseAttempt&) const = default;
};

// One line of a buyer's purchase history.
struct Purchase {
  std::string purchase_id;
  ItemId item_id;
  int64_t quantity = 0;
  int64_t price_cents = 0;
  int64_t time_ms = 0;  // Unix epoch milliseconds
  bool operator==(const Purchase&) const = default;
};

}  // namespace mp::storage
