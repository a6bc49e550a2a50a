#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/database.h"

namespace mp::testing {

// A whole marketplace inside one test process, wired as in production: the
// two DB services on real gRPC over loopback (each on its own fresh database
// of `engine`), and the seller and buyer REST servers on real HTTP, all on
// ports picked by the kernel. Session time comes from a FakeClock the test
// can move.
class TestStack {
 public:
  struct Options {
    storage::Engine engine = storage::Engine::kSqlite;
    int64_t session_timeout_s = 300;
  };
  // ASSERT on the status: a PostgreSQL stack without MP_TEST_PG_URI fails.
  static StatusOr<std::unique_ptr<TestStack>> Start(const Options& options);
  ~TestStack();

  enum class Side { kSeller, kBuyer };

  // Ports of the seller and buyer servers (they change on RestartServer).
  int seller_port() const;
  int buyer_port() const;
  std::string customer_db_address() const;
  std::string product_db_address() const;
  FakeClock& clock();

  // Starts another server of `side` as a replica process would run: its own
  // router, DB clients and token codec (with the shared signing key), on the
  // same DB services. Returns its port; it stops with the stack.
  StatusOr<int> AddReplica(Side side);
  // Stops the server of `side` and starts a fresh one (as AddReplica) on a
  // new port, as a restarted process. REQUIRES: no request in flight on it.
  Status RestartServer(Side side);

 private:
  TestStack();
  struct Frontend;
  struct Impl;
  StatusOr<std::unique_ptr<Frontend>> StartFrontend(Side side);
  std::unique_ptr<Impl> impl_;
};

// An HTTP/1.1 response as a test sees it.
struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  // The body as JSON (null when it is not JSON).
  boost::json::value json() const;
  // error.code / error.message of a docs/contract.md §4 error body, or "".
  std::string error_code() const;
  std::string error_message() const;
  // True when the body is exactly {"error":{"code","message"}}, both
  // non-empty strings.
  bool has_error_body() const;
};

// A blocking keep-alive HTTP client for tests. Not thread-safe: one per thread.
class TestHttpClient {
 public:
  explicit TestHttpClient(int port);
  ~TestHttpClient();

  HttpResult Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {});
  HttpResult Get(const std::string& target, const std::string& token = "");
  HttpResult Post(const std::string& target, const boost::json::value& body,
                  const std::string& token = "");
  HttpResult Patch(const std::string& target, const boost::json::value& body,
                   const std::string& token = "");
  HttpResult Delete(const std::string& target, const std::string& token = "");

  // Creates an account and logs in; returns the token ("" on failure).
  std::string SignUpAndLogIn(const std::string& username, const std::string& password = "password1",
                             int64_t* user_id = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mp::testing
