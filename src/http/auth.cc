#include "http/auth.h"

#include <utility>

#include "common/status_mapping.h"

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

StatusOr<Caller> SessionAuth::FromToken(const Request& request) const {
  MP_ASSIGN_OR_RETURN(std::string_view token, BearerToken(request.authorization));
  MP_ASSIGN_OR_RETURN(SessionClaims claims, codec_.Verify(token));
  if (claims.role != role_) {
    return Unauthenticated("this token belongs to the other side of the marketplace");
  }
  Caller caller;
  caller.user_id = claims.user_id;
  caller.session.set_session_id(std::move(claims.session_id));
  caller.session.set_role(claims.role);
  return caller;
}

Task<StatusOr<v1::SessionInfo>> SessionAuth::Check(v1::SessionRequest session) const {
  auto batcher = batcher_;
  auto start = [&batcher, &session](rpc::Callback<v1::SessionCheck> done) {
    batcher->Add(std::move(session), std::move(done));
  };
  MP_CO_ASSIGN_OR_RETURN(v1::SessionCheck check, co_await Await<StatusOr<v1::SessionCheck>>(start));
  if (!check.live()) co_return FromFailure(check.failure());
  co_return std::move(*check.mutable_info());
}

}  // namespace mp::http
