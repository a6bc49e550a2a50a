#include "http/auth.h"

#include <mutex>
#include <optional>
#include <utility>

namespace mp::http {

SessionAuth::SessionAuth(const TokenCodec& codec, const rpc::CustomerDbClient& customers,
                         v1::Role role)
    : codec_(codec),
      customers_(customers),
      role_(role),
      batcher_(std::make_shared<rpc::Batcher<rpc::SessionBatch>>(
          [&customers](const v1::ValidateSessionsRequest& request,
                       rpc::Callback<v1::ValidateSessionsResponse> done) {
            customers.ValidateSessions(request, std::move(done));
          })) {}

void SessionAuth::Validate(v1::SessionRequest session, rpc::Callback<v1::SessionInfo> done) const {
  batcher_->Add(std::move(session),
                [done = std::move(done)](StatusOr<v1::SessionCheck> check) mutable {
                  if (!check.ok()) return done(check.status());
                  if (!check->live()) return done(Unauthenticated(check->message()));
                  done(std::move(*check->mutable_info()));
                });
}

StatusOr<v1::SessionRequest> SessionAuth::SessionFromToken(const Request& request) const {
  MP_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request.authorization));
  MP_ASSIGN_OR_RETURN(SessionClaims claims, codec_.Verify(token));
  if (claims.role != role_) {
    return Unauthenticated("this token belongs to the other side of the marketplace");
  }
  v1::SessionRequest session;
  session.set_session_id(std::move(claims.session_id));
  session.set_role(claims.role);
  return session;
}

StatusOr<int64_t> SessionAuth::UserFromToken(const Request& request) const {
  MP_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request.authorization));
  MP_ASSIGN_OR_RETURN(SessionClaims claims, codec_.Verify(token));
  if (claims.role != role_) return Unauthenticated("token of another role");
  return claims.user_id;
}

void SessionAuth::Check(const Request& request, rpc::Callback<v1::SessionInfo> done) const {
  auto session = SessionFromToken(request);
  if (!session.ok()) {
    done(session.status());
    return;
  }
  Validate(*std::move(session), std::move(done));
}

void SessionAuth::ReadAlongside(const Request& request,
                                std::function<void(int64_t user_id, Done)> read, Done done) const {
  auto token = BearerToken(request.authorization);
  if (!token.ok()) return done(token.status());
  auto claims = codec_.Verify(*token);
  if (!claims.ok()) return done(claims.status());
  if (claims->role != role_) {
    return done(Unauthenticated("this token belongs to the other side of the marketplace"));
  }
  v1::SessionRequest session;
  session.set_session_id(claims->session_id);
  session.set_role(claims->role);

  // Whichever of the two answers comes second finishes the request.
  struct Join {
    std::mutex mu;
    std::optional<Status> session;
    std::optional<StatusOr<Reply>> read;
    Done done;
    int64_t user_id;
    void Finish() {
      Status s = *session;
      if (s.ok())
        done(std::move(*read));
      else
        done(s);
    }
  };
  auto join = std::make_shared<Join>();
  join->done = std::move(done);
  join->user_id = claims->user_id;
  Validate(std::move(session), [join](StatusOr<v1::SessionInfo> info) {
    Status s = info.ok() && info->user_id() != join->user_id
                   ? Unauthenticated("the token does not match its session")
                   : info.status();
    std::unique_lock lock(join->mu);
    join->session = s;
    if (!join->read) return;
    lock.unlock();
    join->Finish();
  });
  read(claims->user_id, [join](StatusOr<Reply> reply) {
    std::unique_lock lock(join->mu);
    join->read = std::move(reply);
    if (!join->session) return;
    lock.unlock();
    join->Finish();
  });
}

}  // namespace mp::http
