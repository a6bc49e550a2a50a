#include "rpc/payment_client.h"

#include <pthread.h>
#include <signal.h>

#include <mutex>

#include "soapPaymentProxy.h"

namespace mp::rpc {
namespace {

// The host of "scheme://host[:port][/path]", without IPv6 brackets.
std::string UrlHost(const std::string& url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url.find('/', start);
  std::string authority = url.substr(start, end == std::string::npos ? end : end - start);
  if (authority.starts_with('[')) return authority.substr(1, authority.find(']') - 1);
  return authority.substr(0, authority.rfind(':'));
}

// Keeps SIGPIPE from killing the process while this thread talks to the
// service: a server that closes the connection (as one refusing our
// certificate does, once TLS 1.3 let us start writing) makes the next write
// raise it, and TLS writes cannot pass MSG_NOSIGNAL. The signal is blocked
// for this thread only and a pending one taken before it is unblocked.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    timespec now{};
    while (sigtimedwait(&pipe_, nullptr, &now) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
};

}  // namespace

StatusOr<tls::SslContext> PaymentTlsContext(const std::string& url, const tls::TlsFiles& files) {
  const bool https = url.starts_with("https://");
  if (!https && !url.starts_with("http://")) {
    return InvalidArgument("payment-url", "must start with http:// or https://");
  }
  if (https != files.enabled()) {
    return InvalidArgument("payment-url", https ? "https:// needs the TLS files (--tls-dir)"
                                                : "must be https:// when TLS is on");
  }
  if (!https) return tls::SslContext();
  return tls::NewClientContext(files, UrlHost(url));
}

PaymentClient::PaymentClient(std::string url, tls::SslContext tls, std::chrono::seconds timeout)
    : url_(std::move(url)), tls_(std::move(tls)), timeout_(timeout) {
  static std::once_flag ssl_init;
  if (tls_) std::call_once(ssl_init, soap_ssl_init);
}

uint64_t PaymentClient::resumed_handshakes() const {
  return tls_ ? static_cast<uint64_t>(SSL_CTX_sess_hits(tls_.get())) : 0;
}

StatusOr<ChargeDecision> PaymentClient::Charge(const ChargeRequest& r) const {
  PaymentProxy proxy(url_.c_str());
  soap_set_namespaces(proxy.soap, namespaces);
  int seconds = static_cast<int>(timeout_.count());
  proxy.soap->connect_timeout = seconds;
  proxy.soap->send_timeout = seconds;
  proxy.soap->recv_timeout = seconds;
  if (tls_) {
    // The shared context verifies the server (CA and host name, set up by
    // PaymentTlsContext) and presents our certificate; gSOAP would free a
    // context it owns, so it only borrows this one for the call.
    proxy.soap->ctx = tls_.get();
    proxy.soap->ssl_flags = SOAP_SSL_REQUIRE_SERVER_AUTHENTICATION | SOAP_SSL_SKIP_HOST_CHECK;
    std::shared_ptr<SSL_SESSION> last;
    {
      std::lock_guard lock(state_->mu);
      last = state_->session;
    }
    // gSOAP offers soap->session when connecting to session_host and
    // session_port, then frees it: it gets a reference of its own.
    if (last) {
      soap_set_endpoint(proxy.soap, url_.c_str());  // fills soap->host and soap->port
      SSL_SESSION_up_ref(last.get());
      proxy.soap->session = last.get();
      soap_strcpy(proxy.soap->session_host, sizeof proxy.soap->session_host, proxy.soap->host);
      proxy.soap->session_port = proxy.soap->port;
    }
  }
  std::string security_code = r.security_code;
  pay__ChargeResponse response;
  SigpipeBlock sigpipe;
  int rc =
      proxy.Charge(r.transaction_id, r.holder_name, r.card_number, r.expiration,
                   r.security_code.empty() ? nullptr : &security_code, r.amount_cents, response);
  std::string message;
  if (rc != SOAP_OK) {
    const char* detail = *soap_faultstring(proxy.soap);
    message = detail ? detail : "payment service error";
  }
  proxy.soap_close_socket();
  // Closing a TLS connection leaves its session in soap->session (with
  // TLS 1.3 the session tickets came after the handshake, before the answer).
  if (rc == SOAP_OK && proxy.soap->session != nullptr) {
    std::shared_ptr<SSL_SESSION> fresh(proxy.soap->session, SSL_SESSION_free);
    proxy.soap->session = nullptr;
    if (SSL_SESSION_is_resumable(fresh.get())) {
      std::lock_guard lock(state_->mu);
      state_->session = std::move(fresh);
    }
  }
  proxy.soap->ctx = nullptr;
  if (rc == SOAP_OK) return ChargeDecision{response.approved, response.reason};
  // A Client fault is our arguments; anything else leaves the outcome open.
  if (rc == SOAP_CLI_FAULT) return Status(StatusCode::kInvalidArgument, message);
  return Unavailable("payment service: " + message);
}

}  // namespace mp::rpc
