#pragma once

#include <string>

namespace mp::launcher {

// Flags of `marketplace up` (docs/contract.md §9).
struct UpOptions {
  // SQLite files, the token key and tls/ (certificates) live here.
  std::string data_dir = "data";
  // postgresql:// URL for both DB services; empty: SQLite under data_dir.
  std::string db_url;
  std::string host = "127.0.0.1";
  int customer_db_port = 50051;
  int product_db_port = 50052;
  int payment_port = 8083;
  int seller_port = 8081;
  int buyer_port = 8082;
  // Seconds of inactivity that end a session.
  int session_timeout_s = 300;
  // Probability that the payment service approves a valid card.
  double approval_rate = 0.9;
  std::string log_level = "info";
  // Mutual TLS between the services, with a private CA and certificates in
  // <data_dir>/tls, made when absent (tls::EnsureCertificates). False
  // (--no-tls): plaintext, as each server runs without TLS flags.
  bool tls = true;
  // The REST servers reach the DB services over Unix sockets in
  // <data_dir>/run (SocketFor), without TLS: every process of `marketplace
  // up` is on one host. False (--no-unix), or a path too long for a
  // socket: TCP, with TLS unless --no-tls. The DB services listen on TCP
  // either way, for health checks and for anything on another host.
  bool unix_sockets = true;
  // HTTPS on the two REST servers (--https), with <data_dir>/tls/rest.pem;
  // the CLIs then need --server https://... --ca <data_dir>/tls/ca.pem.
  bool https = false;
  // The replicated deployment on this host (--ha, launcher/ha.h): PostgreSQL
  // under Patroni on ha_nodes nodes with etcd, each DB service and payment
  // twice, each REST server four times. Replica r of a service listens at
  // its port + 10 * r.
  bool ha = false;
  int ha_nodes = 3;
  // First port of the data tier (launcher/ha.h says which is which).
  int ha_port = 15400;
};

}  // namespace mp::launcher
