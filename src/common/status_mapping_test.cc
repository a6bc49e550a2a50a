#include "common/status_mapping.h"

#include <gtest/gtest.h>

namespace mp {
namespace {

struct MappingRow {
  StatusCode code;
  grpc::StatusCode grpc;
  int http;
};

class StatusMappingTest : public ::testing::TestWithParam<MappingRow> {};

TEST_P(StatusMappingTest, MapsEachCodeBothWaysAndToHttp) {
  const MappingRow& row = GetParam();
  Status status(row.code, "message", "some_reason");
  grpc::Status wire = ToGrpc(status);
  EXPECT_EQ(wire.error_code(), row.grpc);
  EXPECT_EQ(ToHttp(status), row.http);
  Status back = FromGrpc(wire);
  EXPECT_EQ(back.code(), row.code);
  if (row.code != StatusCode::kOk) {
    EXPECT_EQ(back.message(), "message");
    EXPECT_EQ(back.reason(), "some_reason");
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryCode, StatusMappingTest,
    ::testing::Values(
        MappingRow{StatusCode::kOk, grpc::StatusCode::OK, 200},
        MappingRow{StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT, 400},
        MappingRow{StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION, 400},
        MappingRow{StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED, 401},
        MappingRow{StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED, 403},
        MappingRow{StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND, 404},
        MappingRow{StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS, 409},
        MappingRow{StatusCode::kAborted, grpc::StatusCode::ABORTED, 409},
        MappingRow{StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
        MappingRow{StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE, 503},
        MappingRow{StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED, 504},
        MappingRow{StatusCode::kInternal, grpc::StatusCode::INTERNAL, 500}));

TEST(StatusMappingTest, RetryAfterCrossesGrpc) {
  Status throttled = TooManyRequests("wait", 42);
  EXPECT_EQ(ToHttp(throttled), 429);
  Status back = FromGrpc(ToGrpc(throttled));
  EXPECT_EQ(back, throttled);
  EXPECT_EQ(back.retry_after_s(), 42);
  EXPECT_EQ(back.reason(), "too_many_requests");
  // Without one, none comes back.
  EXPECT_EQ(FromGrpc(ToGrpc(Status(StatusCode::kResourceExhausted, "x"))).retry_after_s(), 0);
  // A malformed tag is not a reason.
  Status odd = FromGrpc(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "x", "too_many_requests;retry_after=1x"));
  EXPECT_EQ(odd.retry_after_s(), 0);
  EXPECT_EQ(odd.reason(), "resource_exhausted");
}

TEST(StatusMappingTest, UnsupportedMediaTypeIs415) {
  EXPECT_EQ(ToHttp(UnsupportedMediaType("send JSON")), 415);
  EXPECT_EQ(FromGrpc(ToGrpc(UnsupportedMediaType("send JSON"))).reason(), "unsupported_media_type");
}

// Refusals before any route: the status follows the reason, as for 402/415.
TEST(StatusMappingTest, SizeAndMethodRefusalsHaveTheirOwnStatuses) {
  EXPECT_EQ(ToHttp(Status(StatusCode::kResourceExhausted, "big", kPayloadTooLarge)), 413);
  EXPECT_EQ(ToHttp(Status(StatusCode::kResourceExhausted, "big", kHeadersTooLarge)), 431);
  EXPECT_EQ(ToHttp(Status(StatusCode::kInvalidArgument, "use GET", kMethodNotAllowed)), 405);
  EXPECT_EQ(ToHttp(Status(StatusCode::kResourceExhausted, "slow down")), 429);
}

// What a purchase attempt stores of its failure (the reason) gives back the
// Status the buyer was first answered, on every retry.
TEST(StatusMappingTest, StoredReasonsComeBackAsTheStatusTheyWere) {
  for (const Status& first :
       {PaymentDeclined("declined"), InsufficientQuantity("short"), NotFound("gone"),
        Status(StatusCode::kInvalidArgument, "bad card"),
        Status(StatusCode::kFailedPrecondition, "nothing to buy", "cart_empty")}) {
    Status again = FromStoredReason(first.reason(), first.message());
    EXPECT_EQ(again.code(), first.code()) << first.ToString();
    EXPECT_EQ(again.reason(), first.reason());
    EXPECT_EQ(again.message(), first.message());
    EXPECT_EQ(ToHttp(again), ToHttp(first));
  }
}

TEST(StatusMappingTest, CreatedSuccessIs201) { EXPECT_EQ(ToHttp(Status(), true), 201); }

TEST(StatusMappingTest, UnknownAndDataLossBecomeInternal) {
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::UNKNOWN, "x")).code(), StatusCode::kInternal);
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DATA_LOSS, "x")).code(), StatusCode::kInternal);
}

TEST(StatusMappingTest, CancelledBecomesUnavailable) {
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::CANCELLED, "x")).code(),
            StatusCode::kUnavailable);
}

TEST(StatusMappingTest, ReasonDefaultsToCodeNameWhenDetailsAreNotAReason) {
  Status s = FromGrpc(grpc::Status(grpc::StatusCode::NOT_FOUND, "gone", "\x08\x01binary"));
  EXPECT_EQ(s.reason(), "not_found");
  EXPECT_EQ(
      FromGrpc(grpc::Status(grpc::StatusCode::ABORTED, "no", "insufficient_quantity")).reason(),
      "insufficient_quantity");
}

TEST(StatusMappingTest, TransportErrorsDoNotReachClients) {
  Status s = FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "failed to connect to all addresses; last error: UNKNOWN: "
                                   "ipv4:10.1.2.3:50051: Connection refused"));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.reason(), "unavailable");
  EXPECT_EQ(s.message().find("10.1.2.3"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("Connection refused"), std::string::npos) << s.message();
  Status late = FromGrpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"));
  EXPECT_EQ(late.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.message(), "Deadline Exceeded");
  // A refusal keeps its message, even without a reason.
  EXPECT_EQ(
      FromGrpc(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "role x may not call")).message(),
      "role x may not call");
  // A peer's own answer keeps its message.
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::NOT_FOUND, "no item 3-9", "item_not_found"))
                .message(),
            "no item 3-9");
}

}  // namespace
}  // namespace mp

namespace mp {
namespace {

struct HttpRow {
  int http;
  const char* reason;
  StatusCode code;
  const char* want_reason;
};

class FromHttpTest : public ::testing::TestWithParam<HttpRow> {};

TEST_P(FromHttpTest, MapsStatusAndKeepsReason) {
  const HttpRow& row = GetParam();
  Status s = FromHttp(row.http, row.reason, "text");
  EXPECT_EQ(s.code(), row.code) << row.http << " " << row.reason;
  EXPECT_EQ(s.reason(), row.want_reason);
  if (!s.ok()) {
    EXPECT_EQ(s.message(), "text");
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStatus, FromHttpTest,
    ::testing::Values(
        HttpRow{200, "", StatusCode::kOk, ""}, HttpRow{201, "", StatusCode::kOk, ""},
        HttpRow{204, "", StatusCode::kOk, ""},
        HttpRow{400, "invalid_argument", StatusCode::kInvalidArgument, "invalid_argument"},
        HttpRow{400, "cart_empty", StatusCode::kInvalidArgument, "cart_empty"},
        HttpRow{401, "unauthenticated", StatusCode::kUnauthenticated, "unauthenticated"},
        HttpRow{402, "payment_declined", StatusCode::kFailedPrecondition, "payment_declined"},
        HttpRow{402, "", StatusCode::kFailedPrecondition, "payment_declined"},
        HttpRow{403, "permission_denied", StatusCode::kPermissionDenied, "permission_denied"},
        HttpRow{404, "not_found", StatusCode::kNotFound, "not_found"},
        HttpRow{404, "", StatusCode::kNotFound, "not_found"},
        HttpRow{405, "method_not_allowed", StatusCode::kInternal, "method_not_allowed"},
        HttpRow{408, "", StatusCode::kDeadlineExceeded, "deadline_exceeded"},
        HttpRow{409, "insufficient_quantity", StatusCode::kAborted, "insufficient_quantity"},
        HttpRow{409, "username_taken", StatusCode::kAlreadyExists, "username_taken"},
        HttpRow{409, "already_rated", StatusCode::kAlreadyExists, "already_rated"},
        HttpRow{413, "", StatusCode::kResourceExhausted, "resource_exhausted"},
        HttpRow{415, "unsupported_media_type", StatusCode::kInvalidArgument,
                "unsupported_media_type"},
        HttpRow{415, "", StatusCode::kInvalidArgument, "unsupported_media_type"},
        HttpRow{429, "too_many_requests", StatusCode::kResourceExhausted, "too_many_requests"},
        HttpRow{500, "internal", StatusCode::kInternal, "internal"},
        HttpRow{502, "", StatusCode::kUnavailable, "unavailable"},
        HttpRow{503, "unavailable", StatusCode::kUnavailable, "unavailable"},
        HttpRow{504, "", StatusCode::kDeadlineExceeded, "deadline_exceeded"},
        HttpRow{418, "", StatusCode::kInternal, "internal"}));

}  // namespace
}  // namespace mp
