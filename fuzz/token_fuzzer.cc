// Fuzzes what a client sends as its session: the Authorization header value
// (http::BearerToken) and the token in it (http::TokenCodec::Verify), and
// checks that tokens the codec issues verify to the same claims.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/types.h"
#include "fuzz_check.h"
#include "http/token.h"

namespace http = mp::http;

namespace {

// The fuzz key; seeds in fuzz/corpus/token are signed with it.
constexpr char kKey[] = "fuzz-key-0123456789abcdef0123456789abcdef";

void CheckRoundTrip(const http::TokenCodec& codec, const http::SessionClaims& claims) {
  auto token = codec.Issue(claims);
  if (!token.ok()) return;
  auto back = codec.Verify(*token);
  MP_FUZZ_CHECK(back.ok());
  MP_FUZZ_CHECK(back->session_id == claims.session_id && back->role == claims.role &&
                back->user_id == claims.user_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const http::TokenCodec codec(kKey);
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto bearer = http::BearerToken(input);
  if (bearer.ok()) {
    MP_FUZZ_CHECK(!bearer->empty() && bearer->size() < input.size());
    auto claims = codec.Verify(*bearer);
    if (claims.ok()) {
      MP_FUZZ_CHECK(claims->user_id > 0);
      MP_FUZZ_CHECK(claims->role == mp::v1::ROLE_SELLER || claims->role == mp::v1::ROLE_BUYER);
      CheckRoundTrip(codec, *claims);
    }
  }
  auto claims = codec.Verify(input);
  if (!claims.ok()) {
    MP_FUZZ_CHECK(claims.status().code() == mp::StatusCode::kUnauthenticated);
  }
  // Session ids are keys (common/types.h), which any token must carry intact.
  if (mp::ValidateKey("sid", input).ok()) {
    CheckRoundTrip(codec, {std::string(input), mp::v1::ROLE_BUYER, 7});
  }
  return 0;
}
