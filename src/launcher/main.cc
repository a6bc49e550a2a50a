// marketplace: starts the whole system on one machine (`marketplace up`) or
// asks gRPC services whether they serve (`marketplace health ADDRESS...`).
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common/flags.h"
#include "launcher/launcher_options.h"
#include "launcher/supervisor.h"
#include "launcher/system.h"
#include "rpc/health_client.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace mp;

namespace {

int Health(const std::vector<std::string>& addresses) {
  int failed = 0;
  for (const std::string& a : addresses) {
    Status s = rpc::CheckHealth(a);
    std::cout << a << ": " << (s.ok() ? "SERVING" : s.ToString()) << "\n";
    failed += !s.ok();
  }
  return failed == 0 && !addresses.empty() ? 0 : 1;
}

int Up(int argc, char** argv) {
  launcher::UpOptions o;
  po::options_description desc("marketplace up options (also MP_<FLAG> variables)");
  // clang-format off
  desc.add_options()
      ("data-dir", po::value(&o.data_dir)->default_value(o.data_dir), "SQLite files live here")
      ("db-url", po::value(&o.db_url),
       "postgresql:// URL for the DB services and payment (default: SQLite)")
      ("seller-port", po::value(&o.seller_port)->default_value(o.seller_port), "seller REST port")
      ("buyer-port", po::value(&o.buyer_port)->default_value(o.buyer_port), "buyer REST port")
      ("customer-db-port", po::value(&o.customer_db_port)->default_value(o.customer_db_port),
       "customer DB gRPC port")
      ("product-db-port", po::value(&o.product_db_port)->default_value(o.product_db_port),
       "product DB gRPC port")
      ("payment-port", po::value(&o.payment_port)->default_value(o.payment_port),
       "payment SOAP port")
      ("session-timeout", po::value(&o.session_timeout_s)->default_value(o.session_timeout_s),
       "seconds of inactivity that end a session")
      ("approval-rate", po::value(&o.approval_rate)->default_value(o.approval_rate),
       "probability that a valid card is approved")
      ("log-level", po::value(&o.log_level)->default_value(o.log_level), "log level");
  // clang-format on
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  launcher::Supervisor supervisor;
  fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  fs::create_directories(o.data_dir);
  std::cout << "marketplace: starting on "
            << (o.db_url.empty() ? "SQLite in " + o.data_dir : std::string("PostgreSQL"))
            << std::endl;
  Status started =
      supervisor.StartAll(launcher::SystemComponents(o, bin), std::chrono::seconds(30));
  if (!started.ok()) {
    std::cerr << "marketplace: " << started.ToString() << std::endl;
    return 1;  // ~Supervisor stops whatever started
  }
  std::cout << "marketplace: up; Ctrl-C stops everything\n"
            << launcher::ClientInstructions(o, bin) << std::flush;
  supervisor.Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "up") return Up(argc - 1, argv + 1);
  if (command == "health") return Health(std::vector<std::string>(argv + 2, argv + argc));
  std::cerr << "usage: marketplace up [--help | options]\n"
               "       marketplace health HOST:PORT...\n";
  return command == "--help" || command == "-h" ? 0 : 2;
}
