#include "tls/certificates.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "tls/openssl_util.h"
#include "tls/tls_files.h"

namespace fs = std::filesystem;

namespace mp::tls {
namespace {

using internal::BioPtr;
using internal::Deleter;
using internal::LastError;
using internal::PKeyPtr;
using internal::X509Ptr;

Status OpenSslFailure(std::string_view what) {
  std::string message(what);
  message += ": ";
  message += LastError();
  return Internal(std::move(message));
}

StatusOr<PKeyPtr> NewKey() {
  PKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslFailure("cannot generate a P-256 key");
  return key;
}

StatusOr<KeyPair> ToPem(X509* cert, EVP_PKEY* key) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("cannot write PEM");
  }
  KeyPair out;
  char* data = nullptr;
  long n = BIO_get_mem_data(cert_bio.get(), &data);
  out.cert_pem.assign(data, static_cast<size_t>(n));
  n = BIO_get_mem_data(key_bio.get(), &data);
  out.key_pem.assign(data, static_cast<size_t>(n));
  // The key's copy in the BIO goes with it; clear it first.
  OPENSSL_cleanse(data, static_cast<size_t>(n));
  return out;
}

// True for a plausible DNS name: letters, digits, '-', '.', and '*' (a
// wildcard), nothing that could smuggle another name into the certificate.
bool IsDnsName(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '*') {
      return false;
    }
  }
  return true;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslFailure("cannot add extension");
  return Status();
}

Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& hosts) {
  if (hosts.empty()) return Status();
  std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>> names(sk_GENERAL_NAME_new_null());
  for (const std::string& host : hosts) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str())) {
      GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
    } else if (IsDnsName(host)) {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      ASN1_STRING_set(dns, host.data(), static_cast<int>(host.size()));
      GENERAL_NAME_set0_value(name, GEN_DNS, dns);
    } else {
      GENERAL_NAME_free(name);
      ERR_clear_error();
      return InvalidArgument("hosts", "not an IP address or DNS name: " + host);
    }
    sk_GENERAL_NAME_push(names.get(), name);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailure("cannot add subject alternative names");
  }
  return Status();
}

// A certificate for `key` named `role`, valid from an hour ago (clocks
// differ between machines) for `days`, with a random 127-bit serial number.
StatusOr<X509Ptr> NewCertificate(EVP_PKEY* key, const std::string& role, int days) {
  X509Ptr cert(X509_new());
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) return OpenSslFailure("cannot start");
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, Deleter<BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto text = [](const char* s) { return reinterpret_cast<const unsigned char*>(s); };
  if (X509_set_version(cert.get(), 2) != 1 || !bn ||
      !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * days) ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("Marketplace"), -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(role.c_str()), -1, -1, 0) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslFailure("cannot fill in the certificate");
  }
  return cert;
}

StatusOr<std::string> ReadFile(const fs::path& path) { return ReadPemFile(path.string()); }

// Writes `text` to `path` with `mode` through a temporary file and a
// rename, so that a reader never sees half a file.
Status WriteFile(const fs::path& path, const std::string& text, mode_t mode) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot write " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    return Internal("cannot write " + path.string() + ": " + std::strerror(saved));
  }
  return Status();
}

struct Role {
  std::string_view name;
  Usage usage;
};

constexpr Role kRoles[] = {
    {kFrontend, Usage::kClient}, {kCustomerDb, Usage::kServer}, {kProductDb, Usage::kServer},
    {kPayment, Usage::kServer},  {kRest, Usage::kServer},
};

constexpr int kRenewDays = 30;

}  // namespace

std::vector<std::string> LoopbackHosts() { return {"localhost", "127.0.0.1", "::1"}; }

StatusOr<KeyPair> CreateCa(int days, const std::string& name) {
  MP_ASSIGN_OR_RETURN(PKeyPtr key, NewKey());
  MP_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(key.get(), name, days));
  X509* c = cert.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1) return OpenSslFailure("issuer");
  MP_RETURN_IF_ERROR(AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  MP_RETURN_IF_ERROR(AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign"));
  MP_RETURN_IF_ERROR(AddExtension(c, c, NID_subject_key_identifier, "hash"));
  if (X509_sign(c, key.get(), EVP_sha256()) == 0) return OpenSslFailure("cannot sign the CA");
  return ToPem(c, key.get());
}

StatusOr<KeyPair> IssueCertificate(const KeyPair& ca, const CertificateSpec& spec) {
  MP_ASSIGN_OR_RETURN(X509Ptr ca_cert, internal::ParseCertificate(ca.cert_pem));
  MP_ASSIGN_OR_RETURN(PKeyPtr ca_key, internal::ParsePrivateKey(ca.key_pem));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return Status(StatusCode::kFailedPrecondition, "the CA key does not match its certificate");
  }
  MP_ASSIGN_OR_RETURN(PKeyPtr key, NewKey());
  MP_ASSIGN_OR_RETURN(X509Ptr cert, NewCertificate(key.get(), spec.role, spec.days));
  X509* c = cert.get();
  if (X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get())) != 1) {
    return OpenSslFailure("issuer");
  }
  const char* usage = spec.usage == Usage::kServer   ? "serverAuth"
                      : spec.usage == Usage::kClient ? "clientAuth"
                                                     : "serverAuth,clientAuth";
  MP_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  MP_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_key_usage, "critical,digitalSignature"));
  MP_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_ext_key_usage, usage));
  MP_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_subject_key_identifier, "hash"));
  MP_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  MP_RETURN_IF_ERROR(AddSubjectAltNames(c, spec.hosts));
  if (X509_sign(c, ca_key.get(), EVP_sha256()) == 0) return OpenSslFailure("cannot sign");
  return ToPem(c, key.get());
}

Status CheckCertificate(const std::string& ca_pem, const std::string& cert_pem,
                        const std::string& key_pem, const CertificateSpec& spec, int margin_days) {
  auto failed = [](std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  };
  MP_ASSIGN_OR_RETURN(X509Ptr ca, internal::ParseCertificate(ca_pem));
  MP_ASSIGN_OR_RETURN(X509Ptr cert, internal::ParseCertificate(cert_pem));
  std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return OpenSslFailure("cannot set up verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, std::time(nullptr) + 86400L * margin_days);
  if (X509_verify_cert(ctx.get()) != 1) {
    std::string reason = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    ERR_clear_error();
    return failed("does not verify against the CA" +
                  (margin_days > 0 ? " in " + std::to_string(margin_days) + " days" : "") + ": " +
                  reason);
  }
  if (internal::CommonName(cert.get()) != spec.role) return failed("is not for role " + spec.role);
  for (const std::string& host : spec.hosts) {
    int match = X509_check_ip_asc(cert.get(), host.c_str(), 0);
    if (match < 0) match = X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr);
    if (match != 1) return failed("is not valid for host " + host);
  }
  if (!key_pem.empty()) {
    MP_ASSIGN_OR_RETURN(PKeyPtr key, internal::ParsePrivateKey(key_pem));
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      return failed("does not match its key");
    }
  }
  return Status();
}

StatusOr<std::vector<std::string>> EnsureCertificates(const fs::path& dir,
                                                      const std::vector<std::string>& hosts) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir.parent_path().empty() ? "." : dir.parent_path(), ec);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Internal("cannot create " + dir.string() + ": " + std::strerror(errno));
    }
  }
  std::vector<std::string> written;
  auto write = [&](const std::string& name, const std::string& text, mode_t mode) -> Status {
    MP_RETURN_IF_ERROR(WriteFile(dir / name, text, mode));
    written.push_back(name);
    return Status();
  };
  KeyPair ca;
  if (!fs::exists(dir / "ca.pem")) {
    MP_ASSIGN_OR_RETURN(ca, CreateCa());
    MP_RETURN_IF_ERROR(write("ca.key", ca.key_pem, 0600));
    MP_RETURN_IF_ERROR(write("ca.pem", ca.cert_pem, 0644));
  } else {
    MP_ASSIGN_OR_RETURN(ca.cert_pem, ReadFile(dir / "ca.pem"));
  }
  std::vector<std::string> server_hosts = LoopbackHosts();
  for (const std::string& host : hosts) {
    if (std::find(server_hosts.begin(), server_hosts.end(), host) == server_hosts.end()) {
      server_hosts.push_back(host);
    }
  }
  for (const Role& role : kRoles) {
    std::string name(role.name);
    CertificateSpec spec{.role = name, .usage = role.usage};
    if (role.usage != Usage::kClient) spec.hosts = server_hosts;
    fs::path cert_path = dir / (name + ".pem");
    fs::path key_path = dir / (name + ".key");
    Status fits = Status(StatusCode::kNotFound, "is missing");
    if (fs::exists(cert_path) && fs::exists(key_path)) {
      MP_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(cert_path));
      MP_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(key_path));
      fits = CheckCertificate(ca.cert_pem, cert_pem, key_pem, spec, kRenewDays);
      OPENSSL_cleanse(key_pem.data(), key_pem.size());
    }
    if (fits.ok()) continue;
    if (ca.key_pem.empty()) {
      if (!fs::exists(dir / "ca.key")) {
        return Status(StatusCode::kFailedPrecondition,
                      (dir / (name + ".pem")).string() + " " + fits.message() +
                          ", and there is no ca.key to issue a new one");
      }
      MP_ASSIGN_OR_RETURN(ca.key_pem, ReadFile(dir / "ca.key"));
    }
    MP_ASSIGN_OR_RETURN(KeyPair pair, IssueCertificate(ca, spec));
    MP_RETURN_IF_ERROR(write(name + ".key", pair.key_pem, 0600));
    MP_RETURN_IF_ERROR(write(name + ".pem", pair.cert_pem, 0644));
    OPENSSL_cleanse(pair.key_pem.data(), pair.key_pem.size());
    // A certificate just issued must pass the check that made it necessary.
    MP_RETURN_IF_ERROR(CheckCertificate(ca.cert_pem, pair.cert_pem, "", spec, kRenewDays));
  }
  OPENSSL_cleanse(ca.key_pem.data(), ca.key_pem.size());
  return written;
}

}  // namespace mp::tls
