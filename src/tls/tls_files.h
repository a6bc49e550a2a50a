#pragma once

#include <boost/program_options/options_description.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mp::tls {

// Who holds a certificate: its subject common name. The DB services and the
// payment service take calls only from certificates of role kFrontend, so
// the key of a DB service, should it leak, cannot be used to call another.
inline constexpr std::string_view kFrontend = "frontend";
inline constexpr std::string_view kCustomerDb = "customer-db";
inline constexpr std::string_view kProductDb = "product-db";
inline constexpr std::string_view kPayment = "payment";
// The REST servers' HTTPS certificate (for their clients, not the services).
inline constexpr std::string_view kRest = "rest";

// One process's TLS identity between the services: paths of PEM files,
// never their contents (which stay out of command lines and logs).
struct TlsFiles {
  // CA certificate(s) the peer's certificate must chain to.
  std::string ca{};
  // This process's certificate (chain).
  std::string cert{};
  // Its private key.
  std::string key{};

  // False: plaintext, as without any TLS flag.
  bool enabled() const { return !ca.empty(); }
};

// TLS settings as given on the command line (or in the environment).
struct TlsFlags {
  // Holds ca.pem, <role>.pem and <role>.key, as `marketplace up` and
  // `marketplace certs` write them.
  std::string dir{};
  // Explicit paths; each wins over the file of `dir`.
  std::string ca{};
  std::string cert{};
  std::string key{};
};

// Which flags a process takes: a server presents its own certificate
// (--tls-cert/--tls-key); a client of the services (the REST servers,
// `marketplace health`) presents a client certificate
// (--tls-client-cert/--tls-client-key), so that a REST server's own
// --tls-cert can name its HTTPS certificate.
enum class TlsSide { kServer, kClient };

// Adds --tls-dir, --tls-ca and the certificate and key flags of `side`.
void AddTlsFlags(boost::program_options::options_description& desc, TlsFlags& flags, TlsSide side);

// The files of `role` from `flags`: each explicit path, else
// <dir>/ca.pem, <dir>/<role>.pem, <dir>/<role>.key. No flag at all gives
// disabled files (plaintext). kInvalidArgument when only some of the three
// are given; kFailedPrecondition when a file cannot be read.
StatusOr<TlsFiles> ResolveTlsFiles(const TlsFlags& flags, std::string_view role);

// The text of a PEM file. kFailedPrecondition naming the path (never the
// contents) when it cannot be read.
StatusOr<std::string> ReadPemFile(const std::string& path);

// "tls=off", or "tls=on (ca=..., cert=..., key=...)" with the paths: what a
// process logs at start-up.
std::string Describe(const TlsFiles& files);

}  // namespace mp::tls
