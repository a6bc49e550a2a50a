#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mp {

// The error space of the whole system. Each code has exactly one gRPC and one
// HTTP mapping, kept in status_mapping.cc.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kAborted,
  kUnavailable,
  kDeadlineExceeded,
  kResourceExhausted,
  kInternal,
};

// Outcome of an operation: a code, a message for people and the API's
// snake_case reason (docs/contract.md §4), which defaults to the code's own name.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string reason = {});

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Never empty for an error: e.g. "insufficient_quantity" or "not_found".
  const std::string& reason() const { return reason_; }
  // Seconds after which trying again may succeed (a throttled login's real
  // remaining window, sent as HTTP Retry-After); 0 when not known.
  int64_t retry_after_s() const { return retry_after_s_; }
  // Ignored on OK.
  void set_retry_after_s(int64_t seconds) {
    if (!ok() && seconds > 0) retry_after_s_ = seconds;
  }
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string reason_;
  int64_t retry_after_s_ = 0;
};

// Snake-case name of a code, e.g. "invalid_argument".
std::string_view CodeName(StatusCode code);

Status InvalidArgument(std::string_view field, std::string_view problem);
Status NotFound(std::string message);
Status Unauthenticated(std::string message = "missing, invalid or ended session");
Status PermissionDenied(std::string message);
Status Internal(std::string message);
Status Unavailable(std::string message);
Status InsufficientQuantity(std::string message);

// Reasons a client acts on (docs/contract.md §4), named once so that the
// code that sets one and the code that tests for it cannot drift apart.
inline constexpr const char* kInsufficientQuantity = "insufficient_quantity";
inline constexpr const char* kCartEmpty = "cart_empty";
inline constexpr const char* kCartFull = "cart_full";
inline constexpr const char* kPurchaseInProgress = "purchase_in_progress";
inline constexpr const char* kPurchaseNotPending = "purchase_not_pending";
inline constexpr const char* kPurchaseInterrupted = "purchase_interrupted";
inline constexpr const char* kUsernameTaken = "username_taken";
inline constexpr const char* kAlreadyRated = "already_rated";
inline constexpr const char* kTooManyRequests = "too_many_requests";
// kResourceExhausted/"too_many_requests" (HTTP 429), to be tried again in
// `retry_after_s` seconds.
Status TooManyRequests(std::string message, int64_t retry_after_s);

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : value_(std::move(status)) {}  // NOLINT
  // REQUIRES: !status.ok() for the Status constructor (checked in debug).

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status() : std::get<Status>(value_); }
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace mp

// Returns from the calling function when `expr` yields an error Status.
#define MP_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::mp::Status mp_status_ = (expr);        \
    if (!mp_status_.ok()) return mp_status_; \
  } while (0)

#define MP_CONCAT_INNER_(a, b) a##b
#define MP_CONCAT_(a, b) MP_CONCAT_INNER_(a, b)
// Declares `lhs` from a StatusOr, or returns its error Status.
#define MP_ASSIGN_OR_RETURN(lhs, expr) \
  MP_ASSIGN_OR_RETURN_IMPL_(MP_CONCAT_(mp_statusor_, __LINE__), lhs, expr)
#define MP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
