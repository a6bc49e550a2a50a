#include "db_service/db_service.h"

#include <filesystem>
#include <memory>
#include <vector>

#include "common/flags.h"
#include "common/log.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"

namespace mp::db_service {

namespace po = boost::program_options;

void AddDbServiceFlags(po::options_description& desc, DbServiceOptions& o) {
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
      "db-cache-mib", po::value(&o.db_cache_mib)->default_value(o.db_cache_mib),
      "SQLite: page cache per connection in MiB (0: SQLite's 2 MiB)")(
      "log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  tls::AddTlsFlags(desc, o.tls, tls::TlsSide::kServer);
}

int RunDbService(int argc, char** argv, const po::options_description& desc,
                 std::string_view env_prefix, const DbServiceOptions& o,
                 const DbServiceIdentity& identity, const BuildFn& build) {
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, std::string(env_prefix), vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  // Before any thread starts, so that every thread has the signals blocked.
  rpc::ShutdownSignal signal;
  log::Init(std::string(identity.name), o.log_level);
  auto tls_files = tls::ResolveTlsFiles(o.tls, identity.tls_role);
  if (!tls_files.ok()) return Fail(tls_files.status());
  log::Info("starting: listen={} {}", o.listen, tls::Describe(*tls_files));
  if (!o.db_uri.starts_with("postgres")) {
    std::filesystem::create_directories(std::filesystem::path(o.db_uri).parent_path());
  }
  if (o.db_cache_mib < 0 || o.db_cache_mib > 4096) {
    return Fail(InvalidArgument("db-cache-mib", "must be from 0 to 4096"));
  }
  auto db = storage::Database::Open(
      {.uri = o.db_uri, .max_connections = o.db_connections, .sqlite_cache_mib = o.db_cache_mib});
  if (!db.ok()) return Fail(db.status());
  if (Status s = identity.migrate(**db); !s.ok()) return Fail(s);
  auto credentials = rpc::ServerCredentials(*tls_files, std::string(tls::kFrontend));
  if (!credentials.ok()) return Fail(credentials.status());
  const int threads = storage::HandlerThreads(o.threads, **db, o.db_connections);
  rpc::HandlerPool pool(threads);

  Status served = build(**db, pool, [&](rpc::QueuedService& service) -> Status {
    std::vector<std::string> listen = {o.listen};
    if (!o.listen_unix.empty()) listen.push_back("unix:" + o.listen_unix);
    MP_ASSIGN_OR_RETURN(std::unique_ptr<rpc::GrpcServer> server,
                        rpc::GrpcServer::StartOn(listen, {&service}, *credentials,
                                                 rpc::kMaxMessageBytes, o.polling_threads));
    log::Info("serving on port {}{} ({} handler threads, {} polling)", server->port(),
              o.listen_unix.empty() ? "" : " and unix:" + o.listen_unix, threads,
              o.polling_threads);
    signal.Wait();
    server->Shutdown();
    return Status();
  });
  return served.ok() ? 0 : Fail(served);
}

}  // namespace mp::db_service
