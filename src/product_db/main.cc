// mp-product-db: the ProductDb gRPC service (items, stock, votes, search)
// over SQLite or PostgreSQL.
#include <filesystem>

#include "common/fault.h"
#include "common/flags.h"
#include "common/log.h"
#include "product_db/product_db_options.h"
#include "product_db/product_db_service.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  product_db::ProductDbOptions o;
  po::options_description desc("mp-product-db options (also MP_PRODUCT_DB_<FLAG> variables)");
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
      "crash-at", po::value(&o.crash_at), "tests only: die at this point (after_take_commit)")(
      "log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  tls::AddTlsFlags(desc, o.tls, tls::TlsSide::kServer);
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_PRODUCT_DB_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  rpc::ShutdownSignal signal;
  log::Init("product-db", o.log_level);
  auto tls_files = tls::ResolveTlsFiles(o.tls, tls::kProductDb);
  if (!tls_files.ok()) return Fail(tls_files.status());
  log::Info("starting: listen={} {}", o.listen, tls::Describe(*tls_files));
  if (!o.crash_at.empty()) log::Warn("test crash point armed: {}", o.crash_at);
  if (!o.db_uri.starts_with("postgres")) {
    std::filesystem::create_directories(std::filesystem::path(o.db_uri).parent_path());
  }
  auto db = storage::Database::Open({.uri = o.db_uri, .max_connections = o.db_connections});
  if (!db.ok()) return Fail(db.status());
  if (Status s = storage::ProductRepository::Migrate(**db); !s.ok()) return Fail(s);
  storage::ProductRepository repo(**db);
  const int threads = storage::HandlerThreads(o.threads, **db, o.db_connections);
  rpc::HandlerPool pool(threads);
  product_db::ProductDbService service(repo, pool, CrashPoint(o.crash_at));
  auto credentials = rpc::ServerCredentials(*tls_files, std::string(tls::kFrontend));
  if (!credentials.ok()) return Fail(credentials.status());
  std::vector<std::string> listen = {o.listen};
  if (!o.listen_unix.empty()) listen.push_back("unix:" + o.listen_unix);
  auto server = rpc::GrpcServer::StartOn(listen, {&service}, *credentials, rpc::kMaxMessageBytes,
                                         o.polling_threads);
  if (!server.ok()) return Fail(server.status());
  log::Info("serving on port {}{} ({} handler threads, {} polling)", (*server)->port(),
            o.listen_unix.empty() ? "" : " and unix:" + o.listen_unix, threads, o.polling_threads);
  signal.Wait();
  (*server)->Shutdown();
  return 0;
}
