#include "common/status_mapping.h"

namespace mp {
namespace {

struct Row {
  StatusCode code;
  grpc::StatusCode grpc;
  int http;
};

// SPEC §4 and STYLE.md: one row per code.
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

}  // namespace

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(RowFor(status.code()).grpc, status.message(), status.reason());
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
  bool plausible = !reason.empty() && reason.size() <= 64;
  for (char c : reason) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) plausible = false;
  }
  return Status(code, status.error_message(), plausible ? reason : "");
}

int ToHttp(const Status& status, bool created) {
  if (status.ok()) return created ? 201 : 200;
  return RowFor(status.code()).http;
}

}  // namespace mp
