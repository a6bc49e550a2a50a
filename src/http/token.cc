#include "http/token.h"

#include <fcntl.h>
#include <jwt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "common/password.h"

namespace mp::http {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

constexpr size_t kMaxTokenBytes = 4096;
// Accepted tokens remembered; a few MiB at most. When full the set starts
// again empty: simpler than LRU, and live clients refill it with one check.
constexpr size_t kMaxAccepted = 16384;

const char* RoleName(v1::Role role) { return role == v1::ROLE_SELLER ? "seller" : "buyer"; }

Status Refused() { return Unauthenticated("invalid token"); }

}  // namespace

struct TokenCodec::Accepted {
  std::shared_mutex mu;
  std::unordered_map<std::string, SessionClaims> tokens;
};

TokenCodec::TokenCodec(std::string key)
    : key_(std::move(key)), accepted_(std::make_shared<Accepted>()) {}

StatusOr<TokenCodec> TokenCodec::FromKeyFile(const std::string& path) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
  }
  // O_EXCL: when two replicas start at once, one creates, the other reads.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string key = RandomToken();
    bool ok = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
    ::close(fd);
    if (!ok) return Unavailable("cannot write key file " + path);
    return TokenCodec(key);
  }
  if (errno != EEXIST) {
    return Unavailable("cannot create key file " + path + ": " + std::strerror(errno));
  }
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  if (key.size() < 32) {
    return Status(StatusCode::kFailedPrecondition,
                  "key file " + path + " must hold at least 32 characters");
  }
  return TokenCodec(key);
}

StatusOr<std::string> TokenCodec::Issue(const SessionClaims& claims) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Internal("jwt_new failed");
  JwtPtr jwt(raw);
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  if (jwt_add_grant(raw, "sid", claims.session_id.c_str()) != 0 ||
      jwt_add_grant(raw, "role", RoleName(claims.role)) != 0 ||
      jwt_add_grant_int(raw, "uid", claims.user_id) != 0 ||
      jwt_set_alg(raw, JWT_ALG_HS256, key, static_cast<int>(key_.size())) != 0) {
    return Internal("cannot build token");
  }
  char* encoded = jwt_encode_str(raw);
  if (encoded == nullptr) return Internal("cannot encode token");
  std::string out(encoded);
  std::free(encoded);
  return out;
}

StatusOr<SessionClaims> TokenCodec::Verify(std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return Refused();
  std::string text(token);
  {
    std::shared_lock lock(accepted_->mu);
    auto it = accepted_->tokens.find(text);
    if (it != accepted_->tokens.end()) return it->second;
  }
  MP_ASSIGN_OR_RETURN(SessionClaims claims, Decode(text));
  std::unique_lock lock(accepted_->mu);
  if (accepted_->tokens.size() >= kMaxAccepted) accepted_->tokens.clear();
  accepted_->tokens.emplace(std::move(text), claims);
  return claims;
}

StatusOr<SessionClaims> TokenCodec::Decode(std::string_view token) const {
  std::string text(token);
  jwt_t* raw = nullptr;
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  if (jwt_decode(&raw, text.c_str(), key, static_cast<int>(key_.size())) != 0 || raw == nullptr) {
    return Refused();
  }
  JwtPtr jwt(raw);
  // Pinned: libjwt checked the signature with the algorithm the header
  // names; only HS256 is ours.
  if (jwt_get_alg(raw) != JWT_ALG_HS256) return Refused();
  const char* sid = jwt_get_grant(raw, "sid");
  const char* role = jwt_get_grant(raw, "role");
  errno = 0;
  long uid = jwt_get_grant_int(raw, "uid");
  if (sid == nullptr || role == nullptr || errno != 0 || uid <= 0) return Refused();
  SessionClaims claims;
  claims.session_id = sid;
  claims.user_id = uid;
  std::string_view r(role);
  if (r == "seller") {
    claims.role = v1::ROLE_SELLER;
  } else if (r == "buyer") {
    claims.role = v1::ROLE_BUYER;
  } else {
    return Refused();
  }
  return claims;
}

StatusOr<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return Unauthenticated("missing bearer token; log in first");
  }
  return authorization.substr(kScheme.size());
}

}  // namespace mp::http
