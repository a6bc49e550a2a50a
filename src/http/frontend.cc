#include "http/frontend.h"

#include "common/flags.h"
#include "common/log.h"
#include "http/frontend_options.h"
#include "http/server.h"
#include "http/shared_routes.h"
#include "rpc/server.h"

namespace po = boost::program_options;

namespace mp::http {

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
      "payment-url", po::value(&o.payment_url)->default_value(o.payment_url), "buyer: SOAP URL")(
      "purchase-threads", po::value(&o.purchase_threads)->default_value(o.purchase_threads),
      "buyer: purchase threads")("recovery-age",
                                 po::value(&o.recovery_age_s)->default_value(o.recovery_age_s),
                                 "buyer: seconds before recovery settles a pending purchase")(
      "crash-at", po::value(&o.crash_at), "buyer, tests only: die after this purchase step")(
      "log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, spec.env_prefix, vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  rpc::ShutdownSignal signal;
  log::Init(spec.component, o.log_level);
  log::Info("starting: listen={} customer_db={} product_db={} threads={}", o.listen, o.customer_db,
            o.product_db, o.threads);
  if (!o.crash_at.empty()) log::Warn("test crash point armed: {}", o.crash_at);
  auto codec = TokenCodec::FromKeyFile(o.jwt_key_file);
  if (!codec.ok()) return Fail(codec.status());
  std::vector<std::string> customer_dbs = rpc::SplitAddresses(o.customer_db);
  std::vector<std::string> product_dbs = rpc::SplitAddresses(o.product_db);
  if (customer_dbs.empty() || product_dbs.empty()) {
    return Fail(InvalidArgument("customer-db", "--customer-db and --product-db need addresses"));
  }
  rpc::CustomerDbClient customers({.addresses = customer_dbs, .channels_per_address = o.channels});
  rpc::ProductDbClient products({.addresses = product_dbs, .channels_per_address = o.channels});
  // Healthy while one replica of each DB service serves: the clients fail
  // over between them.
  rpc::HealthProbe probe = rpc::HealthProbe::AnyReplica({customer_dbs, product_dbs});
  SessionAuth auth(*codec, customers, spec.role);
  Router router(spec.component);
  AddAccountRoutes(router, auth, *codec, customers);
  AddHealthRoute(router, probe);
  std::shared_ptr<void> keep = spec.add_routes(router, {o, auth, customers, products});
  HttpServer server({.listen = o.listen, .threads = o.threads}, router);
  if (Status s = server.Start(); !s.ok()) return Fail(s);
  log::Info("serving on port {}", server.port());
  signal.Wait();
  server.Stop();
  return 0;
}

}  // namespace mp::http
