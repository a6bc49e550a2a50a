#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "tls/tls_files.h"

namespace mp::tls {

// An OpenSSL context, shared by the connections made from it. Thread-safe
// once made.
using SslContext = std::shared_ptr<SSL_CTX>;

// A server context, TLS 1.2 or later, presenting files.cert and files.key.
// With files.ca set, a client must present a certificate that chains to it
// (mutual TLS), or the handshake fails; without, none is asked for (HTTPS
// for the public). kFailedPrecondition when a file cannot be used.
StatusOr<SslContext> NewServerContext(const TlsFiles& files);

// A client context, TLS 1.2 or later, that accepts only a server
// certificate chaining to files.ca and valid for `host` (a DNS name or an
// IP address), and presents files.cert and files.key when they are given.
// kFailedPrecondition when a file cannot be used.
StatusOr<SslContext> NewClientContext(const TlsFiles& files, const std::string& host);

// The role (subject common name) of the certificate the peer of `ssl`
// presented and that verified; "" when there is none.
std::string PeerRole(SSL* ssl);

}  // namespace mp::tls
