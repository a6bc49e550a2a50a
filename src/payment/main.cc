// mp-payment: the financial transactions service (docs/contract.md §6), SOAP 1.1 with a
// WSDL served at ?wsdl.
#include <filesystem>
#include <random>

#include "common/fault.h"
#include "common/flags.h"
#include "common/log.h"
#include "payment/payment_server.h"
#include "rpc/server.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  payment::PaymentOptions o;
  po::options_description desc("mp-payment options (also MP_PAYMENT_<FLAG> variables)");
  desc.add_options()("listen", po::value(&o.listen)->default_value(o.listen),
                     "SOAP listen address")("db-uri", po::value(&o.db_uri)->default_value(o.db_uri),
                                            "SQLite path or postgresql:// URL")(
      "approval-rate", po::value(&o.approval_rate)->default_value(o.approval_rate),
      "probability that a valid card is approved")(
      "seed", po::value(&o.seed)->default_value(o.seed), "approval draw seed (0: random)")(
      "threads", po::value(&o.threads)->default_value(o.threads), "serving threads")(
      "crash-at", po::value(&o.crash_at), "tests only: die at this point (after_decision)")(
      "log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  tls::AddTlsFlags(desc, o.tls, tls::TlsSide::kServer);
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_PAYMENT_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);
  if (o.approval_rate < 0 || o.approval_rate > 1) {
    return Fail(InvalidArgument("approval-rate", "must be between 0 and 1"));
  }

  rpc::ShutdownSignal signal;
  log::Init("payment", o.log_level);
  if (o.seed == 0) o.seed = std::random_device()() | 1;
  auto tls_files = tls::ResolveTlsFiles(o.tls, tls::kPayment);
  if (!tls_files.ok()) return Fail(tls_files.status());
  o.tls = {.ca = tls_files->ca, .cert = tls_files->cert, .key = tls_files->key};
  log::Info("starting: listen={} approval_rate={} threads={} {}", o.listen, o.approval_rate,
            o.threads, tls::Describe(*tls_files));
  if (!o.crash_at.empty()) log::Warn("test crash point armed: {}", o.crash_at);
  if (!o.db_uri.starts_with("postgres")) {
    std::filesystem::create_directories(std::filesystem::path(o.db_uri).parent_path());
  }
  auto db = storage::Database::Open({.uri = o.db_uri, .max_connections = o.threads});
  if (!db.ok()) return Fail(db.status());
  if (Status s = storage::PaymentRepository::Migrate(**db); !s.ok()) return Fail(s);
  storage::PaymentRepository repo(**db);
  SystemClock clock;
  payment::ChargePolicy policy(o.approval_rate, o.seed, clock);
  payment::PaymentServer server(o, policy, repo, CrashPoint(o.crash_at));
  if (Status s = server.Start(); !s.ok()) return Fail(s);
  log::Info("serving on port {}", server.port());
  signal.Wait();
  server.Stop();
  return 0;
}
