#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common.pb.h"
#include "common/status.h"

namespace mp::http {

// What a bearer token says: which session, of which role and user.
struct SessionClaims {
  std::string session_id;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  int64_t user_id = 0;
};

// Issues and checks HS256 JWTs (libjwt). The algorithm is pinned: a token
// whose header names any other algorithm ("none" included) is refused, as is
// one whose signature does not match. The token only names a session; the
// session in the customer DB decides whether it is still valid.
// Thread-safe (immutable after construction).
class TokenCodec {
 public:
  // REQUIRES: key.size() >= 32.
  explicit TokenCodec(std::string key);

  // Reads the key from `path`; when the file is absent, creates it (mode
  // 0600) with 32 random bytes, hex-encoded. Replicas sharing the file
  // accept each other's tokens.
  static StatusOr<TokenCodec> FromKeyFile(const std::string& path);

  StatusOr<std::string> Issue(const SessionClaims& claims) const;
  // kUnauthenticated for anything malformed, forged, tampered or of another
  // algorithm.
  StatusOr<SessionClaims> Verify(std::string_view token) const;

 private:
  std::string key_;
};

// The token of an "Authorization: Bearer <token>" header value;
// kUnauthenticated when absent or of another scheme.
StatusOr<std::string_view> BearerToken(std::string_view authorization);

}  // namespace mp::http
