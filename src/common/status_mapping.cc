#include "common/status_mapping.h"

#include "common/log.h"

namespace mp {
namespace {

struct Row {
  StatusCode code;
  grpc::StatusCode grpc;
  int http;
};

// The statuses of docs/contract.md §4, one row per code. This file is the only place that
// converts between error spaces (no handler picks a numeric code by hand); the HTTP column
// follows the usual mapping of google.rpc.Code.
constexpr Row kTable[] = {
    {StatusCode::kOk, grpc::StatusCode::OK, 200},
    {StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT, 400},
    {StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION, 400},
    {StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED, 401},
    {StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED, 403},
    {StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND, 404},
    {StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS, 409},
    {StatusCode::kAborted, grpc::StatusCode::ABORTED, 409},
    {StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
    {StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE, 503},
    {StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED, 504},
    {StatusCode::kInternal, grpc::StatusCode::INTERNAL, 500},
};

const Row& RowFor(StatusCode code) {
  for (const Row& row : kTable) {
    if (row.code == code) return row;
  }
  return kTable[std::size(kTable) - 1];
}

std::string TransportMessage(StatusCode code) {
  switch (code) {
    case StatusCode::kUnavailable:
      return "a service of the marketplace is unavailable; try again";
    case StatusCode::kDeadlineExceeded:
      return "a service of the marketplace did not answer in time";
    default:
      return "a call between services of the marketplace failed";
  }
}

}  // namespace

// error_details is "<reason>" or "<reason>;retry_after=<seconds>".
constexpr std::string_view kRetryAfterTag = ";retry_after=";

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string details = status.reason();
  if (status.retry_after_s() > 0) {
    details += kRetryAfterTag;
    details += std::to_string(status.retry_after_s());
  }
  return grpc::Status(RowFor(status.code()).grpc, status.message(), details);
}

Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return Status();
  StatusCode code = StatusCode::kInternal;  // UNKNOWN, DATA_LOSS, ... land here
  for (const Row& row : kTable) {
    if (row.grpc == status.error_code()) code = row.code;
  }
  if (status.error_code() == grpc::StatusCode::CANCELLED) {
    code = StatusCode::kUnavailable;
  }
  // Only a peer of ours sets error_details, and only to a snake_case reason;
  // anything else (or a transport error) falls back to the code's name.
  std::string reason = status.error_details();
  int64_t retry_after_s = 0;
  if (size_t tag = reason.find(kRetryAfterTag); tag != std::string::npos) {
    std::string_view digits = std::string_view(reason).substr(tag + kRetryAfterTag.size());
    bool number = !digits.empty() && digits.size() <= 9;
    for (char c : digits) {
      if (c < '0' || c > '9') number = false;
    }
    if (number) {
      retry_after_s = std::stoll(std::string(digits));
      reason.resize(tag);
    }
  }
  bool plausible = !reason.empty() && reason.size() <= 64;
  for (char c : reason) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) plausible = false;
  }
  if (plausible) {
    Status mapped(code, status.error_message(), reason);
    mapped.set_retry_after_s(retry_after_s);
    return mapped;
  }
  // gRPC's own text of a transport failure (addresses, TLS and socket
  // errors) is for operators, not for the clients of the REST servers that
  // would show it. Refusals without a reason (a role the peer's certificate
  // lacks) keep their text.
  bool transport = code == StatusCode::kUnavailable || code == StatusCode::kDeadlineExceeded ||
                   code == StatusCode::kInternal || code == StatusCode::kResourceExhausted;
  if (!transport) return Status(code, status.error_message());
  log::Debug("gRPC call failed: {} ({})", status.error_message(),
             static_cast<int>(status.error_code()));
  return Status(code, TransportMessage(code));
}

void ToFailure(const Status& status, v1::Failure* failure) {
  grpc::Status wire = ToGrpc(status);
  failure->set_code(static_cast<int32_t>(wire.error_code()));
  failure->set_message(wire.error_message());
  failure->set_reason(wire.error_details());
}

Status FromFailure(const v1::Failure& failure) {
  // A failure without a code is malformed: not to be taken for success.
  if (failure.code() == 0) return Internal("a batched reply carried a failure without a code");
  return FromGrpc(grpc::Status(static_cast<grpc::StatusCode>(failure.code()), failure.message(),
                               failure.reason()));
}

int ToHttp(const Status& status, bool created) {
  if (status.ok()) return created ? 201 : 200;
  // docs/contract.md §4: a declined card is 402, and a body that is not JSON 415: the
  // statuses no code has.
  if (status.reason() == kPaymentDeclined) return 402;
  if (status.reason() == kUnsupportedMediaType) return 415;
  if (status.reason() == kPayloadTooLarge) return 413;
  if (status.reason() == kHeadersTooLarge) return 431;
  if (status.reason() == kMethodNotAllowed) return 405;
  return RowFor(status.code()).http;
}

Status PaymentDeclined(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message), kPaymentDeclined);
}

Status FromStoredReason(const std::string& reason, std::string message) {
  if (reason == kPaymentDeclined) return PaymentDeclined(std::move(message));
  if (reason == kInsufficientQuantity) return InsufficientQuantity(std::move(message));
  if (reason == "not_found") return NotFound(std::move(message));
  if (reason == "invalid_argument") return Status(StatusCode::kInvalidArgument, std::move(message));
  return Status(StatusCode::kFailedPrecondition, std::move(message), reason);
}

Status UnsupportedMediaType(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), kUnsupportedMediaType);
}

Status FromHttp(int http_status, std::string reason, std::string message) {
  if (http_status >= 200 && http_status < 300) return Status();
  StatusCode code = StatusCode::kInternal;
  switch (http_status) {
    case 400:
      code = StatusCode::kInvalidArgument;
      break;
    case 401:
      code = StatusCode::kUnauthenticated;
      break;
    case 402:
      // A declined card is a precondition of the purchase, not a bad request.
      code = StatusCode::kFailedPrecondition;
      if (reason.empty()) reason = kPaymentDeclined;
      break;
    case 415:
      // A request the server cannot read, as a 400 is.
      code = StatusCode::kInvalidArgument;
      if (reason.empty()) reason = kUnsupportedMediaType;
      break;
    case 403:
      code = StatusCode::kPermissionDenied;
      break;
    case 404:
      code = StatusCode::kNotFound;
      break;
    case 408:
      code = StatusCode::kDeadlineExceeded;
      break;
    case 409:
      // Stock ran short is the retryable conflict (kAborted, as the DB
      // services report it); a taken name or a second vote already exists.
      code = reason == kInsufficientQuantity ? StatusCode::kAborted : StatusCode::kAlreadyExists;
      break;
    case 413:
    case 429:
      code = StatusCode::kResourceExhausted;
      break;
    case 502:
    case 503:
      code = StatusCode::kUnavailable;
      break;
    case 504:
      code = StatusCode::kDeadlineExceeded;
      break;
    default:
      break;
  }
  return Status(code, std::move(message), std::move(reason));
}

}  // namespace mp
