#pragma once

#include <cstdint>
#include <memory>
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
//
// Verify remembers the tokens it accepted (a bounded set), since a client
// sends the same token with every request and checking it (base64, JSON,
// HMAC) would otherwise be paid again each time. Only accepted tokens are
// kept, compared byte for byte, so a forged one never matches; a token has
// no expiry of its own, so an accepted one stays accepted.
// Thread-safe.
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
  struct Accepted;
  StatusOr<SessionClaims> Decode(std::string_view token) const;

  std::string key_;
  std::shared_ptr<Accepted> accepted_;
};

// The token of an "Authorization: Bearer <token>" header value;
// kUnauthenticated when absent or of another scheme.
StatusOr<std::string_view> BearerToken(std::string_view authorization);

}  // namespace mp::http
