#include "http/auth.h"

namespace mp::http {

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
  customers_.ValidateSession(*session, std::move(done));
}

}  // namespace mp::http
