#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"
#include "storage/database.h"
#include "storage/test_database.h"

namespace mp::integration {

// The five server processes of a marketplace.
enum class Component { kCustomerDb, kProductDb, kPayment, kSellerServer, kBuyerServer };

// "customer-db", "product-db", "payment", "seller-server", "buyer-server".
std::string ComponentName(Component c);

struct StackOptions {
  storage::Engine engine = storage::Engine::kSqlite;
  // mp-payment --approval-rate and --seed.
  double approval_rate = 1.0;
  uint64_t seed = 42;
  // mp-buyer-server --recovery-age (seconds); recovery runs every
  // max(1, age/2) s.
  int recovery_age_s = 60;
  // mp-buyer-server --purchase-threads.
  int purchase_threads = 8;
  // --crash-at for some of buyer-server, product-db and payment (tests only,
  // common/fault.h).
  std::map<Component, std::string> crash_at = {};
  // --log-level of every process; each logs to <data dir>/<name>.log.
  std::string log_level = "info";
  // More flags for some processes, after the stack's own.
  std::map<Component, std::vector<std::string>> extra_args = {};
};

// A whole marketplace as real processes (the binaries in $MP_TEST_BIN_DIR)
// on free loopback ports: the two DB services and the payment service each
// on a fresh TestDatabase of the chosen engine, the two REST servers sharing
// a JWT key in a temporary data directory. Start returns once every process
// answers its health check. The destructor stops them all (SIGTERM, then
// SIGKILL after 5 s) and reaps them; each child also gets SIGKILL should the
// thread that spawned it die, so a crashed test leaves no orphan.
// Not thread-safe. REQUIRES: Start, Restart and the destructor run on a
// thread that outlives the processes (the test's main thread).
class ProcessStack {
 public:
  // kFailedPrecondition when MP_TEST_BIN_DIR is unset or PostgreSQL is asked
  // for without MP_TEST_PG_URI; kUnavailable when a process does not start.
  static StatusOr<std::unique_ptr<ProcessStack>> Start(const StackOptions& options);
  ~ProcessStack();

  ProcessStack(const ProcessStack&) = delete;
  ProcessStack& operator=(const ProcessStack&) = delete;

  int port(Component c) const;
  // "127.0.0.1:<port>".
  std::string address(Component c) const;
  int seller_port() const { return port(Component::kSellerServer); }
  // -1 when `c` is not running.
  pid_t pid(Component c) const { return process(c).pid; }
  int buyer_port() const { return port(Component::kBuyerServer); }

  // The database of the customer DB, product DB or payment service, opened
  // by the test too, for checks. REQUIRES: c is one of those three.
  storage::Database& db(Component c);
  // Clients of the DB services, with a 5 s deadline.
  const rpc::CustomerDbClient& customers() const { return *customers_; }
  const rpc::ProductDbClient& products() const { return *products_; }

  bool Running(Component c);
  // SIGKILL, then reaps. OK when it is not running.
  Status Kill(Component c);
  // Waits until `c` ends by itself (a crash point) and returns its wait
  // status; kDeadlineExceeded if it still runs after `timeout`.
  StatusOr<int> WaitForExit(Component c, std::chrono::milliseconds timeout);
  // Kills `c` if it runs, starts it again with the same flags and port, and
  // waits until it is healthy. kDisarm drops its --crash-at for this and
  // every later start.
  enum class Crash { kKeep, kDisarm };
  Status Restart(Component c, Crash crash = Crash::kKeep);

  // The last `max_bytes` of every process's log, for failure messages.
  std::string Logs(size_t max_bytes = 4000) const;

 private:
  struct Process {
    Component component;
    std::string program;
    int port = 0;
    pid_t pid = -1;
    std::string log_path;
  };

  explicit ProcessStack(const StackOptions& options);
  std::vector<std::string> Args(Component c) const;
  Status Spawn(Process& p);
  Status WaitHealthy(Process& p, std::chrono::seconds timeout);
  Status StartOne(Component c, bool pick_new_ports);
  Process& process(Component c);
  const Process& process(Component c) const;

  StackOptions options_;
  std::string dir_;
  std::map<Component, Process> processes_;
  std::map<Component, std::unique_ptr<storage::testing::TestDatabase>> dbs_;
  std::unique_ptr<rpc::CustomerDbClient> customers_;
  std::unique_ptr<rpc::ProductDbClient> products_;
};

// An HTTP/1.1 response as a test sees it; status 0 when the connection
// failed or was dropped before an answer.
struct HttpResult {
  int status = 0;
  std::string body;
  // The body as JSON (null when it is not JSON).
  boost::json::value json() const;
  // error.code of a docs/contract.md §4 error body, or "".
  std::string error_code() const;
};

// A blocking HTTP client for tests: a new connection per request and no
// retry, so a dropped connection shows as status 0. Thread-safe.
class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::seconds timeout = std::chrono::seconds(30))
      : port_(port), timeout_(timeout) {}

  HttpResult Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) const;
  HttpResult Get(const std::string& target, const std::string& token = "") const;
  HttpResult Post(const std::string& target, const boost::json::value& body,
                  const std::string& token = "",
                  const std::map<std::string, std::string>& headers = {}) const;

  // Creates an account, logs in and returns the token ("" on failure);
  // `user_id` gets the seller_id or buyer_id.
  std::string SignUpAndLogIn(const std::string& username, int64_t* user_id = nullptr) const;

 private:
  int port_;
  std::chrono::seconds timeout_;
};

}  // namespace mp::integration
