#include "bad_tokens.h"

#include <boost/json.hpp>
#include <string_view>

#include "http/token.h"

namespace mp::testing {
namespace {

namespace json = boost::json;

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(kAlphabet[(bits >> count) & 0x3f]);
    }
  }
  if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3f]);
  return out;
}

std::string Base64UrlDecode(std::string_view in) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : in) {
    size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) break;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

struct Parts {
  std::string header, payload, signature;
};

Parts Split(const std::string& token) {
  size_t a = token.find('.');
  size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

json::object Claims(const Parts& parts) {
  return json::parse(Base64UrlDecode(parts.payload)).as_object();
}

std::string WithTamperedSignature(const std::string& token) {
  Parts p = Split(token);
  // Not the last character: its low bits may be padding nobody reads.
  p.signature[1] = p.signature[1] == 'A' ? 'B' : 'A';
  return p.header + "." + p.payload + "." + p.signature;
}

std::string WithTamperedPayload(const std::string& token) {
  Parts p = Split(token);
  json::object claims = Claims(p);
  claims["uid"] = claims.at("uid").to_number<int64_t>() + 1;
  return p.header + "." + Base64UrlEncode(json::serialize(claims)) + "." + p.signature;
}

std::string WithAlgNone(const std::string& token) {
  Parts p = Split(token);
  return Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + p.payload + ".";
}

std::string SignedWithOtherKey(const std::string& token) {
  json::object claims = Claims(Split(token));
  http::SessionClaims forged;
  forged.session_id = std::string(claims.at("sid").as_string());
  forged.role = claims.at("role").as_string() == "seller" ? v1::ROLE_SELLER : v1::ROLE_BUYER;
  forged.user_id = claims.at("uid").to_number<int64_t>();
  auto signed_token = http::TokenCodec(std::string(32, 'k')).Issue(forged);
  return signed_token.ok() ? *signed_token : "";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> BadAuthorizations(const std::string& token) {
  return {{"no token", ""},
          {"garbage", "Bearer garbage"},
          {"other scheme", "Token " + token},
          {"tampered signature", "Bearer " + WithTamperedSignature(token)},
          {"tampered payload", "Bearer " + WithTamperedPayload(token)},
          {"alg none", "Bearer " + WithAlgNone(token)},
          {"other key", "Bearer " + SignedWithOtherKey(token)}};
}

}  // namespace mp::testing
