#pragma once

#include <memory>

#include "customer_db.pb.h"
#include "http/request.h"
#include "http/token.h"
#include "rpc/batcher.h"
#include "rpc/customer_db_client.h"

namespace mp::http {

// Decides whether a request belongs to a live session of the expected role:
// the token must verify and name that role, and the customer DB must know
// the session as live (which also counts the request as activity). The
// router applies it to each route as the route's Access says (router.h).
//
// Session checks of concurrent requests travel together: while a few
// batches are in flight, new checks wait and go as the next batch
// (ValidateSessions). An idle server sends each check at once; a busy one
// pays one round trip per batch rather than per request, and every request
// is still checked against the customer DB after it arrived.
// Thread-safe; the references must outlive it.
class SessionAuth {
 public:
  SessionAuth(const TokenCodec& codec, const rpc::CustomerDbClient& customers, v1::Role role);

  v1::Role role() const { return role_; }
  // The caller the (verified) token names, without a round trip:
  // kUnauthenticated when the token is missing, bad, or of the other role.
  StatusOr<Caller> FromToken(const Request& request) const;
  // Whether `session` is live, asked of the customer DB (batched); the
  // session's user on success.
  Task<StatusOr<v1::SessionInfo>> Check(v1::SessionRequest session) const;

 private:
  const TokenCodec& codec_;
  const rpc::CustomerDbClient& customers_;
  const v1::Role role_;
  // Shared with the batches in flight, which may end after this is gone.
  std::shared_ptr<rpc::Batcher<rpc::SessionBatch>> batcher_;
};

}  // namespace mp::http
