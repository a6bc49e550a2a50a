#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "tls/tls_files.h"

namespace mp::rpc {

// Credentials of a gRPC server. With `files` enabled: mutual TLS, in which
// the server presents files.cert, a client must present a certificate that
// chains to files.ca (or the handshake fails), and every call is refused
// with PERMISSION_DENIED unless that certificate's role (subject common
// name) is `allowed_role`. Disabled files: plaintext. kFailedPrecondition
// when a file cannot be read.
StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const tls::TlsFiles& files,
                                                                     std::string allowed_role);

// Credentials of a gRPC client. With `files` enabled: TLS that accepts only
// a server certificate chaining to files.ca and valid for the address
// called, presenting files.cert. Disabled files: plaintext.
// kFailedPrecondition when a file cannot be read.
StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const tls::TlsFiles& files);

}  // namespace mp::rpc
