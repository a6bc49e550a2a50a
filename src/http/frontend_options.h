#pragma once

#include <string>

#include "tls/tls_files.h"

namespace mp::http {

// Options every REST frontend has (seller and buyer server); a kind's own
// come with its FrontendSpec (http/frontend.h).
struct FrontendOptions {
  // REST listen address; the default port is the component's own.
  std::string listen;
  // Customer DB replicas, "host:port[,host:port...]"; calls are spread over
  // them, and a call that cannot connect to one is repeated on another
  // (rpc/channel_pool.h). Replicas must share one database (PostgreSQL).
  std::string customer_db = "127.0.0.1:50051";
  // Product DB replicas, "host:port[,host:port...]"; as customer_db.
  std::string product_db = "127.0.0.1:50052";
  // One io_context (and SO_REUSEPORT listener) per thread.
  int threads = 2;
  // Connection limits against slow and abusive clients; http/server.h
  // (HttpServerOptions) tells what each does.
  // Seconds a connection may stay silent before it is closed.
  int idle_timeout_s = 60;
  // Seconds a request may take to arrive whole, from its first byte.
  int read_timeout_s = 10;
  // Seconds a client may take to read a response.
  int write_timeout_s = 10;
  // Open connections per process; lowered (with a warning) to what the
  // RLIMIT_NOFILE hard limit allows, 256 descriptors kept for the rest.
  int max_connections = 16384;
  // gRPC connections per DB service replica.
  int channels = 4;
  // HS256 key file shared by every frontend replica; created when absent.
  std::string jwt_key_file = "data/jwt.key";
  // Mutual TLS towards the DB services (and the buyer's payment service)
  // (tls/tls_files.h): --tls-dir (ca.pem, frontend.pem, frontend.key), or
  // --tls-ca, --tls-client-cert and --tls-client-key. None: plaintext.
  tls::TlsFlags backend_tls;
  // HTTPS on the REST listener: its certificate (PEM, chain) and key files
  // (--tls-cert, --tls-key). Empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::http
