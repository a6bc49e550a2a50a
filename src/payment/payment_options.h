#pragma once

#include <cstdint>
#include <string>

#include "tls/tls_files.h"

namespace mp::payment {

struct PaymentOptions {
  // SOAP (HTTP) listen address; port 0 picks a free one.
  std::string listen = "127.0.0.1:8083";
  // Where decisions are kept (SQLite path or postgresql:// URL).
  std::string db_uri = "data/payment.db";
  // Probability that a valid, unexpired card is approved.
  double approval_rate = 0.9;
  // Seed of the approval draw; 0 picks a random one at start-up. With a
  // seed, the answer for a transaction id is the same in every run.
  uint64_t seed = 0;
  // Threads serving connections.
  int threads = 4;
  // For tests only (common/fault.h): "after_decision" makes the process die
  // once a new decision is stored, before it answers. "" (the default): never.
  std::string crash_at{};
  // Mutual TLS (tls/tls_files.h): with --tls-dir or the three files, only
  // clients with a frontend certificate from the CA get in. None: plaintext.
  tls::TlsFlags tls{};
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::payment
