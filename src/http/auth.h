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
// the session as live (which also counts the request as activity).
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
  // The session request to send to the customer DB, from the token alone
  // (no round trip); kUnauthenticated when the token is bad.
  StatusOr<v1::SessionRequest> SessionFromToken(const Request& request) const;
  // The user id the (verified) token names, without a round trip.
  StatusOr<int64_t> UserFromToken(const Request& request) const;
  // Checks with the customer DB; `done` gets the session's user id.
  void Check(const Request& request, rpc::Callback<v1::SessionInfo> done) const;
  // For reads: starts `read` at once with the user id the (verified) token
  // names, beside the session check, and answers with the read's result only
  // if the session is live and the user's. One round trip instead of two;
  // a read has no effect to undo when the session turns out dead.
  void ReadAlongside(const Request& request, std::function<void(int64_t user_id, Done)> read,
                     Done done) const;

 private:
  // The session check, batched.
  void Validate(v1::SessionRequest session, rpc::Callback<v1::SessionInfo> done) const;

  const TokenCodec& codec_;
  const rpc::CustomerDbClient& customers_;
  const v1::Role role_;
  // Shared with the batches in flight, which may end after this is gone.
  std::shared_ptr<rpc::Batcher<rpc::SessionBatch>> batcher_;
};

}  // namespace mp::http
