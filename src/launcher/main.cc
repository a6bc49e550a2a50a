// marketplace: starts the whole system on one machine (`marketplace up`),
// asks gRPC services whether they serve (`marketplace health ADDRESS...`),
// makes the CA and certificates of a deployment (`marketplace certs`), or
// checks the ledger of the databases (`marketplace audit`).
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common/flags.h"
#include "launcher/audit_command.h"
#include "launcher/ha.h"
#include "launcher/launcher_options.h"
#include "launcher/status.h"
#include "launcher/supervisor.h"
#include "launcher/system.h"
#include "rpc/channel_pool.h"
#include "rpc/health_client.h"
#include "rpc/tls_credentials.h"
#include "tls/certificates.h"
#include "tls/tls_files.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace mp;

namespace {

int Health(int argc, char** argv) {
  tls::TlsFlags tls_flags;
  std::vector<std::string> addresses;
  po::options_description desc(
      "marketplace health [options] HOST:PORT...\n"
      "With TLS, presents a frontend certificate (e.g. --tls-dir data/tls)");
  tls::AddTlsFlags(desc, tls_flags, tls::TlsSide::kClient);
  desc.add_options()("address", po::value(&addresses), "gRPC services to ask")("help,h", "help");
  po::positional_options_description positional;
  positional.add("address", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  auto files = tls::ResolveTlsFiles(tls_flags, tls::kFrontend);
  auto credentials = files.ok() ? rpc::ChannelCredentials(*files) : files.status();
  if (!credentials.ok()) {
    std::cerr << "marketplace health: " << credentials.status().ToString() << "\n";
    return 2;
  }
  int failed = 0;
  for (const std::string& a : addresses) {
    Status s = rpc::CheckHealth(a, "", std::chrono::seconds(1), *credentials);
    std::cout << a << ": " << (s.ok() ? "SERVING" : s.ToString()) << "\n";
    failed += !s.ok();
  }
  return failed == 0 && !addresses.empty() ? 0 : 1;
}

// Makes (or completes) a CA and the certificates of every role in a
// directory, for a deployment on several machines (docs/deployment.md).
int Certs(int argc, char** argv) {
  std::string out;
  std::string hosts;
  po::options_description desc(
      "marketplace certs options: makes ca.pem/ca.key and, per role, <role>.pem/<role>.key\n"
      "(frontend, customer-db, product-db, payment, rest), keeping what is already there");
  desc.add_options()("out", po::value(&out)->required(), "directory to write (created 0700)")(
      "hosts", po::value(&hosts),
      "host names and addresses the servers are reached at, a,b,... (localhost, 127.0.0.1 "
      "and ::1 are always included)");
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_CERTS_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);
  auto written = tls::EnsureCertificates(out, rpc::SplitAddresses(hosts));
  if (!written.ok()) {
    std::cerr << "marketplace certs: " << written.status().ToString() << "\n";
    return 1;
  }
  std::cout << "marketplace certs: " << out << ": ";
  if (written->empty()) std::cout << "every certificate is already there";
  for (size_t i = 0; i < written->size(); ++i) std::cout << (i ? ", " : "wrote ") << (*written)[i];
  std::cout << "\nCopy ca.pem and the role's .pem and .key to each machine (the frontend's to "
               "every REST server); keep ca.key off the servers.\n";
  return 0;
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
      ("log-level", po::value(&o.log_level)->default_value(o.log_level), "log level")
      ("no-tls", po::bool_switch(), "plaintext between the services (default: mutual TLS with "
       "certificates in <data-dir>/tls, made when absent)")
      ("no-unix", po::bool_switch(), "TCP between the REST servers and the DB services "
       "(default: Unix sockets in <data-dir>/run, without TLS)")
      ("https", po::bool_switch(&o.https), "HTTPS on the REST servers (certificate "
       "<data-dir>/tls/rest.pem; the CLIs then take --ca <data-dir>/tls/ca.pem)")
      ("ha", po::bool_switch(&o.ha), "the replicated deployment: PostgreSQL under Patroni "
       "with etcd, every server replicated (replica r at its port + 10 r)")
      ("ha-nodes", po::value(&o.ha_nodes)->default_value(o.ha_nodes),
       "PostgreSQL nodes with --ha")
      ("ha-port", po::value(&o.ha_port)->default_value(o.ha_port),
       "first port of the --ha data tier: etcd P..P+2, peers P+10.., PostgreSQL P+20.., "
       "Patroni P+30..");
  // clang-format on
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);
  o.tls = !vm["no-tls"].as<bool>();
  o.unix_sockets = !vm["no-unix"].as<bool>();

  launcher::Supervisor supervisor;
  fs::path bin = fs::canonical("/proc/self/exe").parent_path();
  fs::create_directories(o.data_dir);
  std::cout << "marketplace: starting on "
            << (o.ha ? "PostgreSQL on " + std::to_string(o.ha_nodes) +
                           " nodes under Patroni, data in " + launcher::HaDir(o).string()
                : o.db_url.empty() ? "SQLite in " + o.data_dir
                                   : std::string("PostgreSQL"))
            << std::endl;
  if (o.tls || o.https) {
    auto written = tls::EnsureCertificates(launcher::TlsDir(o), {o.host});
    if (!written.ok()) {
      std::cerr << "marketplace: " << written.status().ToString() << std::endl;
      return 1;
    }
    std::cout << "marketplace: " << (o.tls ? "mutual TLS between the services" : "")
              << (o.tls && o.https ? ", " : "") << (o.https ? "HTTPS on the REST servers" : "")
              << "; certificates in " << launcher::TlsDir(o).string()
              << (written->empty() ? "" : " (new)") << std::endl;
  }
  if (auto socket = launcher::SocketFor(o, "customer-db")) {
    // Private: a Unix socket's only guard is who can reach its file.
    std::error_code error;
    fs::create_directories(socket->parent_path(), error);
    if (!error) fs::permissions(socket->parent_path(), fs::perms::owner_all, error);
    if (error) {
      std::cerr << "marketplace: " << socket->parent_path().string() << ": " << error.message()
                << std::endl;
      return 1;
    }
    std::cout << "marketplace: the REST servers reach the DB services on Unix sockets in "
              << socket->parent_path().string() << std::endl;
  } else if (o.unix_sockets) {
    std::cout << "marketplace: the data directory's path is too long for Unix sockets; the REST "
                 "servers reach the DB services over TCP"
              << std::endl;
  }
  auto components = launcher::SystemComponents(o, bin);
  if (!components.ok()) {
    std::cerr << "marketplace: " << components.status().ToString() << std::endl;
    return 1;
  }
  std::error_code error;
  fs::create_directories(fs::path(o.data_dir) / "run", error);
  supervisor.set_state_file((fs::path(o.data_dir) / "run" / "state").string());
  // A new cluster's bootstrap (initdb, base backups) takes a while.
  Status started =
      supervisor.StartAll(std::move(*components), std::chrono::seconds(o.ha ? 120 : 30));
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
  if (command == "health") return Health(argc - 1, argv + 1);
  if (command == "certs") return Certs(argc - 1, argv + 1);
  if (command == "audit") return launcher::RunAudit(argc - 1, argv + 1);
  if (command == "status") return launcher::RunStatus(argc - 1, argv + 1);
  std::cerr << "usage: marketplace up [--help | options]\n"
               "       marketplace health [--tls-dir DIR] HOST:PORT...\n"
               "       marketplace certs --out DIR [--hosts a,b,...]\n"
               "       marketplace audit [--data-dir DIR | --db-url URL] [--pending-bound S]\n"
               "       marketplace status [--data-dir DIR]\n";
  return command == "--help" || command == "-h" ? 0 : 2;
}
