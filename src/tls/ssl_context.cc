#include "tls/ssl_context.h"

#include <openssl/x509v3.h>

#include "tls/openssl_util.h"

namespace mp::tls {
namespace {

Status Unusable(const std::string& what) {
  return Status(StatusCode::kFailedPrecondition, what + ": " + internal::LastError());
}

StatusOr<SslContext> NewContext(const SSL_METHOD* method) {
  SslContext ctx(SSL_CTX_new(method), SSL_CTX_free);
  if (!ctx) return Unusable("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

Status UseCertificate(SSL_CTX* ctx, const TlsFiles& files) {
  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1) {
    return Unusable("cannot use certificate " + files.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return Unusable("cannot use key " + files.key + " with " + files.cert);
  }
  return Status();
}

}  // namespace

StatusOr<SslContext> NewServerContext(const TlsFiles& files) {
  MP_ASSIGN_OR_RETURN(SslContext ctx, NewContext(TLS_server_method()));
  MP_RETURN_IF_ERROR(UseCertificate(ctx.get(), files));
  if (!files.ca.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1) {
      return Unusable("cannot use CA " + files.ca);
    }
    // Tells clients which CA to pick a certificate from.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.ca.c_str());
    if (names == nullptr) return Unusable("cannot use CA " + files.ca);
    SSL_CTX_set_client_CA_list(ctx.get(), names);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  // Session resumption with client certificates needs a context id.
  static constexpr unsigned char kSessionContext[] = "marketplace";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

StatusOr<SslContext> NewClientContext(const TlsFiles& files, const std::string& host) {
  MP_ASSIGN_OR_RETURN(SslContext ctx, NewContext(TLS_client_method()));
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca.c_str(), nullptr) != 1) {
    return Unusable("cannot use CA " + files.ca);
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  // Every connection made from this context checks the server's name.
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int set = X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  if (set != 1) {
    ERR_clear_error();
    set = X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  if (set != 1) return Unusable("cannot check host name " + host);
  if (!files.cert.empty()) MP_RETURN_IF_ERROR(UseCertificate(ctx.get(), files));
  return ctx;
}

std::string PeerRole(SSL* ssl) {
  if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  internal::X509Ptr peer(SSL_get1_peer_certificate(ssl));
  return peer ? internal::CommonName(peer.get()) : "";
}

}  // namespace mp::tls
