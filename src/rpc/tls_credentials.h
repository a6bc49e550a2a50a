#pragma once

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <string_view>

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

// Unix-domain sockets. gRPC takes "unix:/absolute/path" wherever it takes
// "host:port". Such a hop never leaves the host, so it runs without TLS:
// gRPC's local credentials, which refuse anything but a Unix socket, and
// who may connect is decided by the socket file's permissions (the
// servers make it 0600, so only their own OS user gets in; see
// docs/deployment.md, "Unix sockets"). TLS stays on every TCP hop.
bool IsUnixAddress(std::string_view address);
// What a channel to `address` uses: local credentials for a Unix socket,
// else `tcp` (null: plaintext).
std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(
    std::string_view address, std::shared_ptr<grpc::ChannelCredentials> tcp);
// What a server's listener on `address` uses, the same way.
std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(
    std::string_view address, std::shared_ptr<grpc::ServerCredentials> tcp);

}  // namespace mp::rpc
