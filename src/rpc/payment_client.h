#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "tls/ssl_context.h"

namespace mp::rpc {

struct ChargeRequest {
  std::string transaction_id;
  std::string holder_name;
  std::string card_number;
  std::string expiration;     // MM/YY
  std::string security_code;  // "" when not given
  int64_t amount_cents = 0;
};

struct ChargeDecision {
  bool approved = false;
  // "approved", "invalid_card", "invalid_expiration", "card_expired",
  // "invalid_security_code" or "declined".
  std::string reason;
};

// The TLS context for calls to `url`: null for an "http://" URL without
// TLS files; for an "https://" URL with `files` enabled, a context that
// accepts only a server certificate from files.ca valid for the URL's host
// and presents files.cert (mutual TLS). kInvalidArgument when the URL's
// scheme and `files` disagree (TLS files with "http://", so card numbers
// would go out in the clear, or "https://" without them);
// kFailedPrecondition when a file cannot be used.
StatusOr<tls::SslContext> PaymentTlsContext(const std::string& url, const tls::TlsFiles& files);

// Blocking SOAP client of the payment service (gSOAP proxy). Charge is
// idempotent on the transaction id, so a call that failed in transport may
// be repeated. Thread-safe: a call takes a keep-alive connection from a
// pool (at most kMaxIdle kept, each reused within kIdleReuse), or opens
// one; with TLS, a new connection resumes the session of the last one, so
// the certificate exchange and its signatures happen once.
class PaymentClient {
 public:
  // `url`, e.g. "http://127.0.0.1:8083/".
  explicit PaymentClient(std::string url, std::chrono::seconds timeout = std::chrono::seconds(5))
      : PaymentClient(std::move(url), nullptr, timeout) {}
  // `url`, "https://..." with `tls` from PaymentTlsContext (null: as above).
  PaymentClient(std::string url, tls::SslContext tls,
                std::chrono::seconds timeout = std::chrono::seconds(5));
  ~PaymentClient();

  // Idle connections kept; reused only within kIdleReuse, shorter than the
  // payment service keeps an idle one open (PaymentServer::kIdleTimeout).
  static constexpr size_t kMaxIdle = 32;
  static constexpr std::chrono::milliseconds kIdleReuse{10'000};

  // kUnavailable when the service cannot be reached or fails on its side
  // (the outcome is then unknown); kInvalidArgument when it refuses the
  // arguments; else the decision.
  StatusOr<ChargeDecision> Charge(const ChargeRequest& request) const;

  // Closes the idle connections: the next call opens a new one.
  void CloseIdle() const;

  // Handshakes that resumed an earlier session, over every client that
  // shares this one's TLS context (OpenSSL counts them per context).
  uint64_t resumed_handshakes() const;

 private:
  struct Connection;
  // The TLS session to resume and the idle connections, shared by copies.
  struct State;
  std::unique_ptr<Connection> Take() const;
  // Keeps `conn` for reuse when `keep` and it can be, else closes it.
  void Release(std::unique_ptr<Connection> conn, bool keep) const;

  std::string url_;
  tls::SslContext tls_;
  std::chrono::seconds timeout_;
  std::shared_ptr<State> state_;
};

}  // namespace mp::rpc
