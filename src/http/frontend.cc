#include "http/frontend.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/flags.h"
#include "common/log.h"
#include "http/frontend_options.h"
#include "http/server.h"
#include "http/shared_routes.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"

namespace po = boost::program_options;

namespace mp::http {
namespace {

// File descriptors kept for what is not a client connection: gRPC channels,
// epoll and event descriptors, the log, the key file.
constexpr rlim_t kReservedFds = 256;

// Raises the soft RLIMIT_NOFILE as far as `wanted` connections need (up to
// the hard limit) and returns how many connections the limit allows, so
// that the connection cap is reached before accepts fail with EMFILE.
int FitToFileLimit(int wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  const rlim_t need = static_cast<rlim_t>(std::max(wanted, 1)) + kReservedFds;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < need) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? need : std::min(need, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= need) return wanted;
  const rlim_t cur = limit.rlim_cur;
  const int allowed = static_cast<int>(cur > 2 * kReservedFds ? cur - kReservedFds : cur / 2);
  log::Warn("--max-connections {} needs {} file descriptors but RLIMIT_NOFILE is {}: using {}",
            wanted, need, cur, allowed);
  return allowed;
}

}  // namespace

StatusOr<std::shared_ptr<void>> AddFrontendRoutes(Router& router, const FrontendSpec& spec,
                                                  const FrontendContext& context) {
  AddAccountRoutes(router, context.codec, spec.role, context.customers);
  AddHealthRoute(router, context.probe);
  if (spec.site != nullptr) {
    for (const StaticFile& file : *spec.site) router.AddFile(file);
  }
  if (!spec.add_routes) return std::shared_ptr<void>();
  return spec.add_routes(router, context);
}

int RunFrontend(int argc, char** argv, const FrontendSpec& spec) {
  FrontendOptions o;
  o.listen = spec.default_listen;
  po::options_description desc(spec.component + " options (also " + spec.env_prefix +
                               "<FLAG> variables)");
  desc.add_options()("listen", po::value(&o.listen)->default_value(o.listen),
                     "REST listen address")(
      "customer-db", po::value(&o.customer_db)->default_value(o.customer_db), "host:port,...")(
      "product-db", po::value(&o.product_db)->default_value(o.product_db), "host:port,...")(
      "threads", po::value(&o.threads)->default_value(o.threads), "io threads")(
      "channels", po::value(&o.channels)->default_value(o.channels), "gRPC connections/replica")(
      "jwt-key-file", po::value(&o.jwt_key_file)->default_value(o.jwt_key_file), "token key")(
      "log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  desc.add_options()("idle-timeout", po::value(&o.idle_timeout_s)->default_value(o.idle_timeout_s),
                     "seconds a connection may stay silent")(
      "read-timeout", po::value(&o.read_timeout_s)->default_value(o.read_timeout_s),
      "seconds a request may take to arrive, from its first byte")(
      "write-timeout", po::value(&o.write_timeout_s)->default_value(o.write_timeout_s),
      "seconds a client may take to read a response")(
      "max-connections", po::value(&o.max_connections)->default_value(o.max_connections),
      "open connections per process");
  tls::AddTlsFlags(desc, o.backend_tls, tls::TlsSide::kClient);
  desc.add_options()("tls-cert", po::value(&o.tls_cert), "HTTPS: certificate file (PEM)")(
      "tls-key", po::value(&o.tls_key), "HTTPS: private key file (PEM)");
  if (spec.add_flags) spec.add_flags(desc);
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, spec.env_prefix, vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  rpc::ShutdownSignal signal;
  log::Init(spec.component, o.log_level);
  log::Info("starting: listen={} customer_db={} product_db={} threads={}", o.listen, o.customer_db,
            o.product_db, o.threads);
  auto backend_tls = tls::ResolveTlsFiles(o.backend_tls, tls::kFrontend);
  if (!backend_tls.ok()) return Fail(backend_tls.status());
  log::Info("calls to the services: {}; REST listener: {}", tls::Describe(*backend_tls),
            o.tls_cert.empty() ? "HTTP" : "HTTPS with " + o.tls_cert);
  auto credentials = rpc::ChannelCredentials(*backend_tls);
  if (!credentials.ok()) return Fail(credentials.status());
  auto codec = TokenCodec::FromKeyFile(o.jwt_key_file);
  if (!codec.ok()) return Fail(codec.status());
  std::vector<std::string> customer_dbs = rpc::SplitAddresses(o.customer_db);
  std::vector<std::string> product_dbs = rpc::SplitAddresses(o.product_db);
  if (customer_dbs.empty() || product_dbs.empty()) {
    return Fail(InvalidArgument("customer-db", "--customer-db and --product-db need addresses"));
  }
  rpc::CustomerDbClient customers(
      {.addresses = customer_dbs, .channels_per_address = o.channels, .credentials = *credentials});
  rpc::ProductDbClient products(
      {.addresses = product_dbs, .channels_per_address = o.channels, .credentials = *credentials});
  // Healthy while one replica of each DB service serves: the clients fail
  // over between them.
  rpc::HealthProbe probe = rpc::HealthProbe::AnyReplica({customer_dbs, product_dbs}, *credentials);
  SessionAuth auth(*codec, customers, spec.role);
  Router router(spec.component, &auth);
  auto routes =
      AddFrontendRoutes(router, spec, {*codec, auth, customers, products, probe, *backend_tls});
  if (!routes.ok()) return Fail(routes.status());
  if (std::min({o.idle_timeout_s, o.read_timeout_s, o.write_timeout_s, o.max_connections}) < 1) {
    return Fail(InvalidArgument("max-connections",
                                "--idle-timeout, --read-timeout, --write-timeout and "
                                "--max-connections must be at least 1"));
  }
  // A peer gone mid-write must cost an error, not the process. Asio sends
  // with MSG_NOSIGNAL, but not every library here does (gSOAP and OpenSSL
  // on the payment hop).
  ::signal(SIGPIPE, SIG_IGN);
  const int max_connections = FitToFileLimit(o.max_connections);
  log::Info("connections: max {}, idle timeout {} s, read timeout {} s, write timeout {} s",
            max_connections, o.idle_timeout_s, o.read_timeout_s, o.write_timeout_s);
  HttpServer server({.listen = o.listen,
                     .threads = o.threads,
                     .idle_timeout = std::chrono::seconds(o.idle_timeout_s),
                     .read_timeout = std::chrono::seconds(o.read_timeout_s),
                     .write_timeout = std::chrono::seconds(o.write_timeout_s),
                     .max_connections = max_connections,
                     .tls_cert = o.tls_cert,
                     .tls_key = o.tls_key},
                    router);
  if (Status s = server.Start(); !s.ok()) return Fail(s);
  log::Info("serving on port {}", server.port());
  signal.Wait();
  server.Stop();
  return 0;
}

}  // namespace mp::http
