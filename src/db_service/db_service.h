#pragma once
// What the two DB services' processes (mp-customer-db, mp-product-db) share:
// their common flags, and everything a main does around its service: logging,
// TLS, the database opened and migrated, the gRPC server, the stop on a signal.

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "rpc/queued_service.h"
#include "storage/database.h"
#include "tls/tls_files.h"

namespace mp::db_service {

struct DbServiceOptions {
  // gRPC listen address.
  std::string listen;
  // Also listen on this Unix socket (a path; empty: not), for frontends on
  // the same host: no TCP and no TLS on that hop (rpc/tls_credentials.h).
  std::string listen_unix;
  // SQLite file path, or a postgresql:// URL.
  std::string db_uri;
  // Threads running request handlers. 0 runs them inline on the thread
  // that polls gRPC's completion queue: one thread hand-off less per call,
  // the fastest with the embedded SQLite, which answers in microseconds.
  // A pool is needed when every query waits on a server: with one polling
  // thread, inline handlers would run one PostgreSQL round trip at a time.
  // -1 (the default): 0 on SQLite, --db-connections on PostgreSQL.
  int threads = -1;
  // Threads polling gRPC, each with its own completion queue: one costs
  // the fewest wake-ups per call; more let inline handlers use more cores.
  int polling_threads = 1;
  // Database connections kept open at most.
  int db_connections = 8;
  // SQLite: each connection's page cache in MiB (0: SQLite's default, 2).
  // 64: a million-item catalogue is a file of ~460 MiB whose hot index
  // pages the 2 MiB default keeps evicting, so every search re-read them
  // with pread (a sixth of the product DB's time at 1M items). The cache
  // grows only with the pages read, so a small database stays small; with
  // the default inline handlers one connection reads at a time, so the
  // process holds about one cache (96 MiB RSS at 1M items).
  int db_cache_mib = 64;
  // Mutual TLS (tls/tls_files.h): with --tls-dir or the three files, only
  // clients with a frontend certificate from the CA get in. None: plaintext.
  tls::TlsFlags tls;
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

// Adds the flags of DbServiceOptions to `desc`, with `o`'s values as defaults.
void AddDbServiceFlags(boost::program_options::options_description& desc, DbServiceOptions& o);

// Which service a process runs.
struct DbServiceIdentity {
  std::string_view name;      // for the log: "product-db"
  std::string_view tls_role;  // its certificate's role (tls::kProductDb)
  Status (*migrate)(storage::Database& db);
};

// Serves a service until SIGINT or SIGTERM; what `build` returns.
using ServeFn = std::function<Status(rpc::QueuedService& service)>;
// Builds the service over the database and its handler pool, and calls
// `serve` with it (the service and what it is built over live on the
// caller's stack until serve returns).
using BuildFn =
    std::function<Status(storage::Database& db, rpc::HandlerPool& pool, const ServeFn& serve)>;

// A DB service's main: parses the flags (`desc` holds AddDbServiceFlags'
// and the service's own; also read from `env_prefix`<FLAG> variables),
// starts logging, opens the database (making a SQLite file's directory)
// and migrates it, then runs `build`. Returns the process's exit code.
int RunDbService(int argc, char** argv, const boost::program_options::options_description& desc,
                 std::string_view env_prefix, const DbServiceOptions& o,
                 const DbServiceIdentity& identity, const BuildFn& build);

}  // namespace mp::db_service
