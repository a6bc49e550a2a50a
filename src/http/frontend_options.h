#pragma once

#include <string>

#include "tls/tls_files.h"

namespace mp::http {

// Options of a REST frontend (seller or buyer server).
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
  // Buyer server only: the payment service's SOAP endpoint; "https://..."
  // when backend_tls is on.
  std::string payment_url = "http://127.0.0.1:8083/";
  // Mutual TLS towards the DB services and the payment service
  // (tls/tls_files.h): --tls-dir (ca.pem, frontend.pem, frontend.key), or
  // --tls-ca, --tls-client-cert and --tls-client-key. None: plaintext.
  tls::TlsFlags backend_tls;
  // HTTPS on the REST listener: its certificate (PEM, chain) and key files
  // (--tls-cert, --tls-key). Empty: plain HTTP.
  std::string tls_cert;
  std::string tls_key;
  // Buyer server only: threads running purchases. Each blocks on one step
  // at a time, so this is how many purchases are under way at once: with 8,
  // mixed scenario 3 (100 buyers) queued them, MakePurchase p50 168 ms
  // against 44 ms with 32 (docs/benchmark/README.md).
  int purchase_threads = 32;
  // Buyer server only: a purchase pending this long is settled by recovery.
  int recovery_age_s = 60;
  // Buyer server only, for tests only (common/fault.h): the purchase step
  // after which the process dies ("after_begin", "after_take",
  // "after_charge", "after_record", "after_release"). "" (the default): never.
  std::string crash_at;
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::http
