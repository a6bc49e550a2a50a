#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace mp {

// The only place where mp::Status meets other error spaces.

// The reason travels in error_details so the caller sees the same Status.
grpc::Status ToGrpc(const Status& status);
// Transport failures (UNAVAILABLE, DEADLINE_EXCEEDED) and codes without a
// counterpart (UNKNOWN, DATA_LOSS, ...) come back as the nearest mp code.
Status FromGrpc(const grpc::Status& status);
// HTTP status for an error Status; `created` picks 201 over 200 for success.
int ToHttp(const Status& status, bool created = false);

}  // namespace mp
