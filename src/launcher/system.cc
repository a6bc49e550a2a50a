#include "launcher/system.h"

#include <sstream>

#include "launcher/http_probe.h"
#include "rpc/health_client.h"

namespace fs = std::filesystem;

namespace mp::launcher {
namespace {

std::string Address(const UpOptions& o, int port) { return o.host + ":" + std::to_string(port); }

// SQLite file under the data directory, or the one PostgreSQL URL.
std::string DbUri(const UpOptions& o, const char* file) {
  return o.db_url.empty() ? (fs::path(o.data_dir) / file).string() : o.db_url;
}

Component GrpcService(const UpOptions& o, const fs::path& bin, std::string name,
                      const char* program, int port, std::vector<std::string> extra) {
  std::string address = Address(o, port);
  std::vector<std::string> args = {"--listen", address, "--log-level", o.log_level};
  args.insert(args.end(), extra.begin(), extra.end());
  return Component{std::move(name), (bin / program).string(), std::move(args), address,
                   [address] { return rpc::CheckHealth(address); }};
}

Component RestServer(const UpOptions& o, const fs::path& bin, std::string name, const char* program,
                     int port, std::vector<std::string> extra) {
  std::string address = Address(o, port);
  std::vector<std::string> args = {"--listen",       address,
                                   "--log-level",    o.log_level,
                                   "--customer-db",  Address(o, o.customer_db_port),
                                   "--product-db",   Address(o, o.product_db_port),
                                   "--jwt-key-file", (fs::path(o.data_dir) / "jwt.key").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return Component{std::move(name), (bin / program).string(), std::move(args), "http://" + address,
                   [address] { return CheckHttpHealth(address); }};
}

}  // namespace

std::vector<Component> SystemComponents(const UpOptions& o, const fs::path& bin) {
  std::string payment = Address(o, o.payment_port);
  std::vector<Component> components;
  components.push_back(GrpcService(o, bin, "customer-db", "mp-customer-db", o.customer_db_port,
                                   {"--db-uri", DbUri(o, "customer.db"), "--session-timeout",
                                    std::to_string(o.session_timeout_s)}));
  components.push_back(GrpcService(o, bin, "product-db", "mp-product-db", o.product_db_port,
                                   {"--db-uri", DbUri(o, "product.db")}));
  components.push_back(
      Component{"payment",
                (bin / "mp-payment").string(),
                {"--listen", payment, "--log-level", o.log_level, "--db-uri",
                 DbUri(o, "payment.db"), "--approval-rate", std::to_string(o.approval_rate)},
                "http://" + payment + "/?wsdl",
                [payment] { return CheckHttpHealth(payment, "/?wsdl"); }});
  components.push_back(RestServer(o, bin, "seller-server", "mp-seller-server", o.seller_port, {}));
  components.push_back(RestServer(o, bin, "buyer-server", "mp-buyer-server", o.buyer_port,
                                  {"--payment-url", "http://" + payment + "/"}));
  return components;
}

std::string ClientInstructions(const UpOptions& o, const fs::path& bin) {
  std::ostringstream out;
  out << "Start the clients from another terminal (without a command: an "
         "interactive shell;\n"
         "`help` lists the commands):\n"
      << "  " << (bin / "seller-cli").string() << " --server " << Address(o, o.seller_port) << "\n"
      << "  " << (bin / "buyer-cli").string() << " --server " << Address(o, o.buyer_port) << "\n";
  return out.str();
}

}  // namespace mp::launcher
