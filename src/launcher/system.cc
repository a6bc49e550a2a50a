#include "launcher/system.h"

#include <sstream>

#include "launcher/ha.h"
#include "launcher/http_probe.h"
#include "rpc/health_client.h"
#include "rpc/tls_credentials.h"
#include "tls/tls_files.h"

namespace fs = std::filesystem;

namespace mp::launcher {
namespace {

std::string Address(const UpOptions& o, int port) { return o.host + ":" + std::to_string(port); }

// SQLite file under the data directory, or the one PostgreSQL URL.
std::string DbUri(const UpOptions& o, const char* file) {
  if (o.ha) return HaDbUrl(o);
  return o.db_url.empty() ? (fs::path(o.data_dir) / file).string() : o.db_url;
}

// How many replicas of each kind of server `marketplace up` runs.
int DbReplicas(const UpOptions& o) { return o.ha ? 2 : 1; }
int RestReplicas(const UpOptions& o) { return o.ha ? 4 : 1; }
constexpr int kReplicaPortStride = 10;

// Replica r's name: "customer-db", "customer-db-2", ...
std::string ReplicaName(std::string_view name, int r) {
  std::string out(name);
  if (r > 0) out.append("-").append(std::to_string(r + 1));
  return out;
}

// What every component needs for TLS: the --tls-dir flag (a path: no key
// material ever goes on a command line) and the health checks' credentials,
// those of a frontend.
struct Tls {
  std::vector<std::string> args;
  std::shared_ptr<grpc::ChannelCredentials> grpc;
  tls::SslContext payment;
  std::string scheme = "http://";
  // HTTPS of the REST servers: their flags and a client context for the
  // health checks (trusting the CA, no client certificate).
  std::vector<std::string> rest_args;
  tls::SslContext rest;
};

StatusOr<Tls> TlsFor(const UpOptions& o) {
  Tls t;
  if (o.https) {
    t.rest_args = {"--tls-cert", (TlsDir(o) / "rest.pem").string(), "--tls-key",
                   (TlsDir(o) / "rest.key").string()};
    MP_ASSIGN_OR_RETURN(t.rest,
                        tls::NewClientContext({.ca = (TlsDir(o) / "ca.pem").string()}, o.host));
  }
  if (!o.tls) return t;
  t.args = {"--tls-dir", TlsDir(o).string()};
  MP_ASSIGN_OR_RETURN(tls::TlsFiles files,
                      tls::ResolveTlsFiles({.dir = TlsDir(o).string()}, tls::kFrontend));
  MP_ASSIGN_OR_RETURN(t.grpc, rpc::ChannelCredentials(files));
  MP_ASSIGN_OR_RETURN(t.payment, tls::NewClientContext(files, o.host));
  t.scheme = "https://";
  return t;
}

// The addresses a REST server calls the DB service `name` at: each
// replica's, a,b,...
std::string DbAddress(const UpOptions& o, std::string_view name, int port) {
  std::string list;
  for (int r = 0; r < DbReplicas(o); ++r) {
    std::optional<fs::path> socket = SocketFor(o, ReplicaName(name, r));
    if (r > 0) list += ",";
    list += socket ? "unix:" + socket->string() : Address(o, port + kReplicaPortStride * r);
  }
  return list;
}

Component GrpcService(const UpOptions& o, const Tls& t, const fs::path& bin, std::string name,
                      const char* program, int port, std::vector<std::string> extra) {
  std::string address = Address(o, port);
  std::vector<std::string> args = {"--listen", address, "--log-level", o.log_level};
  if (std::optional<fs::path> socket = SocketFor(o, name)) {
    args.insert(args.end(), {"--listen-unix", socket->string()});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), t.args.begin(), t.args.end());
  Component c{std::move(name), (bin / program).string(), std::move(args), address,
              [address, credentials = t.grpc] {
                return rpc::CheckHealth(address, "", std::chrono::seconds(1), credentials);
              }};
  c.probe = (t.grpc ? "grpc-tls " : "grpc ") + address;
  return c;
}

Component RestServer(const UpOptions& o, const Tls& t, const fs::path& bin, std::string name,
                     const char* program, int port, std::vector<std::string> extra) {
  std::string address = Address(o, port);
  std::vector<std::string> args = {
      "--listen",       address,
      "--log-level",    o.log_level,
      "--customer-db",  DbAddress(o, "customer-db", o.customer_db_port),
      "--product-db",   DbAddress(o, "product-db", o.product_db_port),
      "--jwt-key-file", (fs::path(o.data_dir) / "jwt.key").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), t.args.begin(), t.args.end());
  args.insert(args.end(), t.rest_args.begin(), t.rest_args.end());
  Component c{std::move(name), (bin / program).string(), std::move(args),
              std::string(t.rest ? "https://" : "http://") + address, [address, context = t.rest] {
                return CheckHttpHealth(address, "/healthz", context);
              }};
  c.probe = std::string(t.rest ? "https " : "http ") + address + "/healthz";
  return c;
}

}  // namespace

fs::path TlsDir(const UpOptions& o) { return fs::path(o.data_dir) / "tls"; }

std::optional<fs::path> SocketFor(const UpOptions& o, std::string_view name) {
  if (!o.unix_sockets) return std::nullopt;
  std::error_code error;
  fs::path path = fs::absolute(o.data_dir, error) / "run" / (std::string(name) + ".sock");
  // sockaddr_un's sun_path: 108 bytes with the terminating NUL.
  if (error || path.native().size() > 107) return std::nullopt;
  return path;
}

StatusOr<std::vector<Component>> SystemComponents(const UpOptions& o, const fs::path& bin) {
  MP_ASSIGN_OR_RETURN(Tls t, TlsFor(o));
  std::vector<Component> components;
  if (o.ha) {
    if (!o.db_url.empty()) return InvalidArgument("db-url", "--ha runs its own databases");
    MP_ASSIGN_OR_RETURN(components, DataTierComponents(o));
  }
  std::string payment_urls;
  for (int r = 0; r < DbReplicas(o); ++r) {
    components.push_back(GrpcService(o, t, bin, ReplicaName("customer-db", r), "mp-customer-db",
                                     o.customer_db_port + kReplicaPortStride * r,
                                     {"--db-uri", DbUri(o, "customer.db"), "--session-timeout",
                                      std::to_string(o.session_timeout_s)}));
    components.push_back(GrpcService(o, t, bin, ReplicaName("product-db", r), "mp-product-db",
                                     o.product_db_port + kReplicaPortStride * r,
                                     {"--db-uri", DbUri(o, "product.db")}));
  }
  for (int r = 0; r < DbReplicas(o); ++r) {
    std::string payment = Address(o, o.payment_port + kReplicaPortStride * r);
    std::vector<std::string> payment_args = {"--listen",        payment,
                                             "--log-level",     o.log_level,
                                             "--db-uri",        DbUri(o, "payment.db"),
                                             "--approval-rate", std::to_string(o.approval_rate)};
    payment_args.insert(payment_args.end(), t.args.begin(), t.args.end());
    Component c{ReplicaName("payment", r), (bin / "mp-payment").string(), std::move(payment_args),
                t.scheme + payment + "/?wsdl", [payment, context = t.payment] {
                  return CheckHttpHealth(payment, "/?wsdl", context);
                }};
    c.probe = (o.tls ? "payment-tls " : "http ") + payment + "/?wsdl";
    components.push_back(std::move(c));
    if (r > 0) payment_urls += ",";
    payment_urls += t.scheme + payment + "/";
  }
  for (int r = 0; r < RestReplicas(o); ++r) {
    components.push_back(RestServer(o, t, bin, ReplicaName("seller-server", r), "mp-seller-server",
                                    o.seller_port + kReplicaPortStride * r, {}));
  }
  for (int r = 0; r < RestReplicas(o); ++r) {
    components.push_back(RestServer(o, t, bin, ReplicaName("buyer-server", r), "mp-buyer-server",
                                    o.buyer_port + kReplicaPortStride * r,
                                    {"--payment-url", payment_urls}));
  }
  return components;
}

std::string ClientInstructions(const UpOptions& o, const fs::path& bin) {
  std::ostringstream out;
  std::string scheme = o.https ? "https://" : "";
  std::string ca;
  if (o.https) ca.append(" --ca ").append((TlsDir(o) / "ca.pem").string());
  out << "Start the clients from another terminal (without a command: an "
         "interactive shell;\n"
         "`help` lists the commands):\n"
      << "  " << (bin / "seller-cli").string() << " --server " << scheme
      << Address(o, o.seller_port) << ca << "\n"
      << "  " << (bin / "buyer-cli").string() << " --server " << scheme << Address(o, o.buyer_port)
      << ca << "\n";
  const std::string web = o.https ? "https://" : "http://";
  out << "Or open the web pages in a browser:\n"
      << "  buyers (the storefront): " << web << Address(o, o.buyer_port) << "/\n"
      << "  sellers:                 " << web << Address(o, o.seller_port) << "/\n";
  return out.str();
}

}  // namespace mp::launcher
