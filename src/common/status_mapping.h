#pragma once

#include <grpcpp/support/status.h>

#include "common.pb.h"
#include "common/status.h"

namespace mp {

// The only place where mp::Status meets other error spaces.

// The reason (and retry_after_s, when set) travel in error_details, so the
// caller sees the same Status.
grpc::Status ToGrpc(const Status& status);
// Transport failures (UNAVAILABLE, DEADLINE_EXCEEDED) and codes without a
// counterpart (UNKNOWN, DATA_LOSS, ...) come back as the nearest mp code.
Status FromGrpc(const grpc::Status& status);
// One entry of a batched reply that failed, in band (v1::Failure), and
// back: the same Status its own RPC would have given, transport errors
// included (FromFailure goes through FromGrpc).
void ToFailure(const Status& status, v1::Failure* failure);
Status FromFailure(const v1::Failure& failure);
// The reason of a declined card (HTTP 402).
inline constexpr const char* kPaymentDeclined = "payment_declined";
Status PaymentDeclined(std::string message);

// The reason of a request body that is not JSON (HTTP 415).
inline constexpr const char* kUnsupportedMediaType = "unsupported_media_type";
Status UnsupportedMediaType(std::string message);

// The reasons of requests refused before any route sees them: a body past
// the limit (HTTP 413), headers past theirs (431), a method the path does
// not take (405).
inline constexpr const char* kPayloadTooLarge = "payload_too_large";
inline constexpr const char* kHeadersTooLarge = "headers_too_large";
inline constexpr const char* kMethodNotAllowed = "method_not_allowed";

// A failure stored as its reason and message alone (a purchase attempt's,
// docs/purchases.md) back as the Status it was: each reason a step can fail
// with has one code; any other is kFailedPrecondition.
Status FromStoredReason(const std::string& reason, std::string message);

// HTTP status for an error Status; `created` picks 201 over 200 for success.
int ToHttp(const Status& status, bool created = false);
// The Status a REST client sees for a reply: 2xx gives OK; an error keeps the
// body's snake_case `reason` (empty: the code's name, or payment_declined for
// 402) and `message`. 409 is kAborted for insufficient_quantity and
// kAlreadyExists otherwise; statuses outside docs/contract.md §4 map to the nearest code,
// else kInternal.
Status FromHttp(int http_status, std::string reason, std::string message);

}  // namespace mp
