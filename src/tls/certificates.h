#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace mp::tls {

// A certificate and its private key, both PEM (the key unencrypted PKCS#8).
struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// What a certificate may be used for (its extended key usage): a server
// certificate cannot authenticate a client, and the other way round.
enum class Usage { kServer, kClient, kClientAndServer };

struct CertificateSpec {
  // The subject common name: the holder's role (tls_files.h).
  std::string role{};
  // DNS names and IP addresses the certificate is valid for (its subject
  // alternative names); may be empty for a client certificate.
  std::vector<std::string> hosts{};
  Usage usage = Usage::kServer;
  int days = 825;
};

// A new private CA: an ECDSA P-256 key and a self-signed certificate named
// `name` that can sign end-entity certificates only (path length 0).
StatusOr<KeyPair> CreateCa(int days = 3650, const std::string& name = "Marketplace private CA");

// A new ECDSA P-256 key and a certificate for it signed by `ca`.
// kInvalidArgument for a host that is neither an IP address nor a DNS name.
StatusOr<KeyPair> IssueCertificate(const KeyPair& ca, const CertificateSpec& spec);

// OK when `cert_pem` chains to `ca_pem`, will still be valid `margin_days`
// from now, has `spec.role` as its subject common name, is valid for every
// host of `spec.hosts` and, when `key_pem` is not empty, matches that key.
// kFailedPrecondition saying what is wrong otherwise.
Status CheckCertificate(const std::string& ca_pem, const std::string& cert_pem,
                        const std::string& key_pem, const CertificateSpec& spec,
                        int margin_days = 0);

// The hosts every certificate `marketplace up` makes is valid for:
// localhost, 127.0.0.1 and ::1.
std::vector<std::string> LoopbackHosts();

// Makes `dir` hold a private CA (ca.pem, ca.key) and, for every role of the
// system, <role>.pem and <role>.key: "frontend" (a client certificate, for
// both REST servers' calls to the services), "customer-db", "product-db",
// "payment" and "rest" (the REST servers' HTTPS) (server certificates for
// LoopbackHosts() and `hosts`). Keeps whatever is there
// and still fits; issues a role's certificate anew when it is missing,
// expires within 30 days, does not chain to ca.pem or lacks a host; makes a
// new CA (and so every certificate anew) only when ca.pem is missing. Keys
// are written 0600, certificates 0644, `dir` is created 0700. Returns the
// names of the files written ("" when none). kFailedPrecondition when a
// certificate must be issued but ca.key is missing; kInvalidArgument for a
// bad host; kInternal when a file cannot be written.
StatusOr<std::vector<std::string>> EnsureCertificates(const std::filesystem::path& dir,
                                                      const std::vector<std::string>& hosts);

}  // namespace mp::tls
