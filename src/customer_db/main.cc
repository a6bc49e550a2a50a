// mp-customer-db: the CustomerDb gRPC service (accounts, sessions, carts,
// purchase history) over SQLite or PostgreSQL.
#include <filesystem>
#include <thread>

#include "common/flags.h"
#include "common/log.h"
#include "customer_db/customer_db_options.h"
#include "customer_db/customer_db_service.h"
#include "customer_db/session_sweeper.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"
#include "storage/customer_schema.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  customer_db::CustomerDbOptions o;
  po::options_description desc("mp-customer-db options (also MP_CUSTOMER_DB_<FLAG> variables)");
  desc.add_options()("listen", po::value(&o.listen)->default_value(o.listen),
                     "gRPC listen address")(
      "listen-unix", po::value(&o.listen_unix),
      "also listen on this Unix socket path (no TLS; the file is made 0600)")(
      "db-uri", po::value(&o.db_uri)->default_value(o.db_uri), "SQLite path or postgresql:// URL")(
      "threads", po::value(&o.threads)->default_value(o.threads),
      "handler threads (-1: 0 on SQLite, --db-connections on PostgreSQL)")(
      "polling-threads", po::value(&o.polling_threads)->default_value(o.polling_threads),
      "threads polling gRPC")(
      "db-connections", po::value(&o.db_connections)->default_value(o.db_connections), "pool size")(
      "session-timeout", po::value(&o.session_timeout_s)->default_value(o.session_timeout_s),
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
      po::value(&o.login_failure_window_s)->default_value(o.login_failure_window_s),
      "seconds")("log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  tls::AddTlsFlags(desc, o.tls, tls::TlsSide::kServer);
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_CUSTOMER_DB_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  rpc::ShutdownSignal signal;
  log::Init("customer-db", o.log_level);
  auto tls_files = tls::ResolveTlsFiles(o.tls, tls::kCustomerDb);
  if (!tls_files.ok()) return Fail(tls_files.status());
  log::Info("starting: listen={} session_timeout={}s {}", o.listen, o.session_timeout_s,
            tls::Describe(*tls_files));
  if (!o.db_uri.starts_with("postgres")) {
    std::filesystem::create_directories(std::filesystem::path(o.db_uri).parent_path());
  }
  auto db = storage::Database::Open({.uri = o.db_uri, .max_connections = o.db_connections});
  if (!db.ok()) return Fail(db.status());
  if (Status s = storage::MigrateCustomerDatabase(**db); !s.ok()) return Fail(s);
  SystemClock clock;
  storage::AccountRepository accounts(**db);
  storage::SessionRepository sessions(**db, clock, o.session_timeout_s * 1000);
  storage::CartRepository carts(**db, sessions);
  storage::PurchaseRepository purchases(**db, sessions);
  storage::LoginThrottleRepository logins(**db, clock);
  PasswordHasher hasher(o.hash_concurrency);
  const int threads = storage::HandlerThreads(o.threads, **db, o.db_connections);
  rpc::HandlerPool pool(threads);
  customer_db::CustomerDbService service(accounts, sessions, carts, purchases, logins, hasher, pool,
                                         {o.login_failures_per_user, o.login_failures_per_address,
                                          int64_t{o.login_failure_window_s} * 1000});
  auto credentials = rpc::ServerCredentials(*tls_files, std::string(tls::kFrontend));
  if (!credentials.ok()) return Fail(credentials.status());
  std::vector<std::string> listen = {o.listen};
  if (!o.listen_unix.empty()) listen.push_back("unix:" + o.listen_unix);
  auto server = rpc::GrpcServer::StartOn(listen, {&service}, *credentials, rpc::kMaxMessageBytes,
                                         o.polling_threads);
  if (!server.ok()) return Fail(server.status());
  customer_db::SessionSweeper sweeper(
      sessions, std::chrono::seconds(std::clamp<int64_t>(o.session_timeout_s / 2, 1, 60)));
  log::Info("serving on port {}{} ({} handler threads, {} polling)", (*server)->port(),
            o.listen_unix.empty() ? "" : " and unix:" + o.listen_unix, threads, o.polling_threads);
  signal.Wait();
  (*server)->Shutdown();
  return 0;
}
