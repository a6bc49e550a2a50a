#pragma once

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "test_stack.h"

namespace mp::testing {

// Checks a refused request: the status, the docs/contract.md §4 body
// {"error":{"code","message"}} with `code`, and, when given, the field that
// the message must name (as a 400 does).
inline void ExpectRefused(const HttpResult& r, int status, const std::string& code,
                          const std::string& field = "") {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_TRUE(r.has_error_body()) << r.body;
  EXPECT_EQ(r.error_code(), code) << r.body;
  if (!field.empty()) {
    EXPECT_NE(r.error_message().find(field), std::string::npos) << r.body;
  }
}

// One request that must be refused.
struct ErrorRow {
  const char* method;
  std::string target;
  std::string body;
  int status;
  const char* code;
  const char* field = "";  // named in the message of a 400
  const char* allow = "";  // methods the Allow header of a 405 lists
};

// Sends `row` (with a bearer `token` unless empty) and checks the refusal,
// Allow header included.
inline void ExpectRefused(TestHttpClient& http, const ErrorRow& row, const std::string& token) {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  HttpResult r = http.Send(row.method, row.target, row.body, headers);
  ExpectRefused(r, row.status, row.code, row.field);
  std::istringstream allowed(row.allow);
  for (std::string method; allowed >> method;) {
    EXPECT_NE(r.headers["Allow"].find(method), std::string::npos) << r.headers["Allow"];
  }
}

}  // namespace mp::testing
