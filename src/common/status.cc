#include "common/status.h"

namespace mp {

Status::Status(StatusCode code, std::string message, std::string reason)
    : code_(code), message_(std::move(message)), reason_(std::move(reason)) {
  if (code_ == StatusCode::kOk) {
    message_.clear();
    reason_.clear();
  } else if (reason_.empty()) {
    reason_ = std::string(CodeName(code_));
  }
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return reason_ + ": " + message_;
}

std::string_view CodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kAborted:
      return "aborted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

Status InvalidArgument(std::string_view field, std::string_view problem) {
  return Status(StatusCode::kInvalidArgument, std::string(field) + ": " + std::string(problem));
}
Status NotFound(std::string message) { return Status(StatusCode::kNotFound, std::move(message)); }
Status Unauthenticated(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}
Status PermissionDenied(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
Status Internal(std::string message) { return Status(StatusCode::kInternal, std::move(message)); }
Status Unavailable(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
Status InsufficientQuantity(std::string message) {
  return Status(StatusCode::kAborted, std::move(message), kInsufficientQuantity);
}
Status TooManyRequests(std::string message, int64_t retry_after_s) {
  Status status(StatusCode::kResourceExhausted, std::move(message), kTooManyRequests);
  status.set_retry_after_s(retry_after_s);
  return status;
}

}  // namespace mp
