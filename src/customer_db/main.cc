// mp-customer-db: the CustomerDb gRPC service (accounts, sessions, carts,
// purchase history) over SQLite or PostgreSQL.
#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "customer_db/customer_db_options.h"
#include "customer_db/customer_db_service.h"
#include "customer_db/session_sweeper.h"
#include "db_service/db_service.h"
#include "storage/customer_schema.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  customer_db::CustomerDbOptions o;
  po::options_description desc("mp-customer-db options (also MP_CUSTOMER_DB_<FLAG> variables)");
  db_service::AddDbServiceFlags(desc, o);
  desc.add_options()("session-timeout",
                     po::value(&o.session_timeout_s)->default_value(o.session_timeout_s),
                     "seconds of inactivity that end a session")(
      "hash-concurrency", po::value(&o.hash_concurrency)->default_value(o.hash_concurrency),
      "password hashes computed at once")(
      "login-failures-per-user",
      po::value(&o.login_failures_per_user)->default_value(o.login_failures_per_user),
      "failed logins per username and client address per window before 429")(
      "login-failures-per-address",
      po::value(&o.login_failures_per_address)->default_value(o.login_failures_per_address),
      "failed logins per client address per window before 429")(
      "login-failure-window",
      po::value(&o.login_failure_window_s)->default_value(o.login_failure_window_s), "seconds");
  return db_service::RunDbService(
      argc, argv, desc, "MP_CUSTOMER_DB_", o,
      {.name = "customer-db",
       .tls_role = tls::kCustomerDb,
       .migrate = &storage::MigrateCustomerDatabase},
      [&](storage::Database& db, rpc::HandlerPool& pool, const db_service::ServeFn& serve) {
        log::Info("session timeout {}s", o.session_timeout_s);
        SystemClock clock;
        storage::AccountRepository accounts(db);
        storage::SessionRepository sessions(db, clock, o.session_timeout_s * 1000);
        storage::CartRepository carts(db, sessions);
        storage::PurchaseRepository purchases(db, sessions);
        storage::LoginThrottleRepository logins(db, clock);
        PasswordHasher hasher(o.hash_concurrency);
        customer_db::CustomerDbService service(
            accounts, sessions, carts, purchases, logins, hasher, pool,
            {o.login_failures_per_user, o.login_failures_per_address,
             int64_t{o.login_failure_window_s} * 1000});
        customer_db::SessionSweeper sweeper(
            sessions, std::chrono::seconds(std::clamp<int64_t>(o.session_timeout_s / 2, 1, 60)));
        return serve(service);
      });
}
