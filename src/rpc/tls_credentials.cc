#include "rpc/tls_credentials.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_metadata_processor.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/crypto.h>

#include "common/status_mapping.h"

namespace mp::rpc {
namespace {

// Lets a call in only when the client certificate names the allowed role.
// The TLS handshake has already verified the certificate against the CA.
class RoleCheck final : public grpc::AuthMetadataProcessor {
 public:
  explicit RoleCheck(std::string role) : role_(std::move(role)) {}

  // Runs inline on the call's thread: the check is a lookup.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata&, grpc::AuthContext* context, OutputMetadata*,
                       OutputMetadata*) override {
    std::vector<grpc::string_ref> names = context->FindPropertyValues(GRPC_X509_CN_PROPERTY_NAME);
    if (names.size() == 1 && std::string_view(names[0].data(), names[0].size()) == role_) {
      return grpc::Status::OK;
    }
    std::string who =
        names.empty() ? "no name" : "role '" + std::string(names[0].data(), names[0].size()) + "'";
    std::string message = "a client certificate with ";
    message += who;
    message += " may not call this service (only role '";
    message += role_;
    message += "')";
    return ToGrpc(PermissionDenied(std::move(message)));
  }

 private:
  std::string role_;
};

// Clears a PEM key once gRPC has its own copy.
struct Cleared {
  std::string text;
  ~Cleared() { OPENSSL_cleanse(text.data(), text.size()); }
};

}  // namespace

StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const tls::TlsFiles& files,
                                                                     std::string allowed_role) {
  if (!files.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  MP_ASSIGN_OR_RETURN(options.pem_root_certs, tls::ReadPemFile(files.ca));
  Cleared key;
  MP_ASSIGN_OR_RETURN(key.text, tls::ReadPemFile(files.key));
  MP_ASSIGN_OR_RETURN(std::string cert, tls::ReadPemFile(files.cert));
  options.pem_key_cert_pairs.push_back({key.text, cert});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(options);
  OPENSSL_cleanse(options.pem_key_cert_pairs[0].private_key.data(),
                  options.pem_key_cert_pairs[0].private_key.size());
  credentials->SetAuthMetadataProcessor(std::make_shared<RoleCheck>(std::move(allowed_role)));
  return credentials;
}

StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const tls::TlsFiles& files) {
  if (!files.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  MP_ASSIGN_OR_RETURN(options.pem_root_certs, tls::ReadPemFile(files.ca));
  MP_ASSIGN_OR_RETURN(options.pem_cert_chain, tls::ReadPemFile(files.cert));
  Cleared key;
  MP_ASSIGN_OR_RETURN(key.text, tls::ReadPemFile(files.key));
  options.pem_private_key = key.text;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::SslCredentials(options);
  OPENSSL_cleanse(options.pem_private_key.data(), options.pem_private_key.size());
  return credentials;
}

bool IsUnixAddress(std::string_view address) { return address.starts_with("unix:"); }

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(
    std::string_view address, std::shared_ptr<grpc::ChannelCredentials> tcp) {
  if (IsUnixAddress(address)) return grpc::experimental::LocalCredentials(UDS);
  return tcp ? tcp : grpc::InsecureChannelCredentials();
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    std::string_view address, std::shared_ptr<grpc::ServerCredentials> tcp) {
  if (IsUnixAddress(address)) return grpc::experimental::LocalServerCredentials(UDS);
  return tcp ? tcp : grpc::InsecureServerCredentials();
}

}  // namespace mp::rpc
