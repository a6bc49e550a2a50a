#pragma once

#include <semaphore>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mp {

// Argon2id password hashing (libsodium) at OWASP's minimum cost: 19 MiB of
// memory, 2 passes, 1 lane. Each hash holds 19 MiB for tens of milliseconds,
// so at most `max_concurrent` run at once and the rest wait: 200 simultaneous
// logins cost max_concurrent * 19 MiB, not 200 * 19 MiB. Thread-safe.
class PasswordHasher {
 public:
  explicit PasswordHasher(int max_concurrent);

  // Encoded hash with its own salt and parameters ("$argon2id$v=19$...").
  StatusOr<std::string> Hash(std::string_view password);
  // True when `password` matches `encoded`. A malformed `encoded` never matches.
  bool Verify(std::string_view password, const std::string& encoded);

 private:
  std::counting_semaphore<1024> slots_;
};

// 32 random bytes as 64 hex characters, from libsodium's CSPRNG.
std::string RandomToken();

// A 32-hex-character id derived from `scope` and `key` (BLAKE2b), so that the
// same pair always names the same thing, e.g. a purchase from a buyer id and
// the client's Idempotency-Key.
std::string DeriveId(std::string_view scope, std::string_view key);

}  // namespace mp
