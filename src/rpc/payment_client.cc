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

// A keep-alive connection to the payment service: a gSOAP proxy whose
// socket (and TLS session) stays open between calls.
struct PaymentClient::Connection {
  explicit Connection(const std::string& url) : proxy(url.c_str(), SOAP_IO_KEEPALIVE) {}
  PaymentProxy proxy;
  std::chrono::steady_clock::time_point idle_since;
};

struct PaymentClient::State {
  ~State();  // closes the idle connections
  std::mutex mu;
  std::shared_ptr<SSL_SESSION> session;           // GUARDED_BY(mu)
  std::vector<std::unique_ptr<Connection>> idle;  // GUARDED_BY(mu), newest last
};

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
    : url_(std::move(url)),
      tls_(std::move(tls)),
      timeout_(timeout),
      state_(std::make_shared<State>()) {
  static std::once_flag ssl_init;
  if (tls_) std::call_once(ssl_init, soap_ssl_init);
}

uint64_t PaymentClient::resumed_handshakes() const {
  return tls_ ? static_cast<uint64_t>(SSL_CTX_sess_hits(tls_.get())) : 0;
}

PaymentClient::~PaymentClient() = default;

PaymentClient::State::~State() {
  SigpipeBlock sigpipe;
  for (auto& conn : idle) {
    conn->proxy.soap_force_close_socket();
    conn->proxy.soap->ctx = nullptr;  // borrowed from the client's context
  }
}

void PaymentClient::CloseIdle() const {
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(state_->mu);
    idle.swap(state_->idle);
  }
  for (auto& conn : idle) Release(std::move(conn), /*keep=*/false);
}

std::unique_ptr<PaymentClient::Connection> PaymentClient::Take() const {
  auto now = std::chrono::steady_clock::now();
  std::unique_ptr<Connection> conn;
  std::vector<std::unique_ptr<Connection>> stale;
  {
    std::lock_guard lock(state_->mu);
    auto& idle = state_->idle;
    // Newest first; one idle for too long may be closing on the server's
    // side, so it is dropped rather than used.
    while (!idle.empty() && conn == nullptr) {
      std::unique_ptr<Connection> last = std::move(idle.back());
      idle.pop_back();
      if (now - last->idle_since < kIdleReuse) {
        conn = std::move(last);
      } else {
        stale.push_back(std::move(last));
      }
    }
  }
  for (auto& c : stale) Release(std::move(c), /*keep=*/false);
  if (conn != nullptr) return conn;
  conn = std::make_unique<Connection>(url_);
  PaymentProxy& proxy = conn->proxy;
  soap_set_namespaces(proxy.soap, namespaces);
  int seconds = static_cast<int>(timeout_.count());
  proxy.soap->connect_timeout = seconds;
  proxy.soap->send_timeout = seconds;
  proxy.soap->recv_timeout = seconds;
  if (tls_) {
    // The shared context verifies the server (CA and host name, set up by
    // PaymentTlsContext) and presents our certificate; gSOAP would free a
    // context it owns, so it only borrows this one (see Release).
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
  return conn;
}

void PaymentClient::Release(std::unique_ptr<Connection> conn, bool keep) const {
  struct soap* soap = conn->proxy.soap;
  conn->proxy.destroy();
  if (keep && soap_valid_socket(soap->socket) && soap->keep_alive != 0) {
    conn->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(state_->mu);
    if (state_->idle.size() < kMaxIdle) {
      state_->idle.push_back(std::move(conn));
      return;
    }
  }
  SigpipeBlock sigpipe;
  // A keep-alive connection's TLS session is not handed to soap->session
  // when it closes: take it here, for the next connection to resume.
  // It must end with close_notify: OpenSSL marks the session of a
  // connection freed without one as not resumable.
  if (soap->ssl != nullptr && soap->session == nullptr) {
    soap->session = SSL_get1_session(soap->ssl);
    SSL_shutdown(soap->ssl);
  }
  conn->proxy.soap_force_close_socket();
  // Closing a TLS connection leaves its session in soap->session (with
  // TLS 1.3 the session tickets came after the handshake): the next new
  // connection resumes it.
  if (soap->session != nullptr) {
    std::shared_ptr<SSL_SESSION> fresh(soap->session, SSL_SESSION_free);
    soap->session = nullptr;
    if (SSL_SESSION_is_resumable(fresh.get())) {
      std::lock_guard lock(state_->mu);
      state_->session = std::move(fresh);
    }
  }
  soap->ctx = nullptr;
}

StatusOr<ChargeDecision> PaymentClient::Charge(const ChargeRequest& r) const {
  // A reused connection the server closed meanwhile fails before anything
  // is sent or decided: a charge is idempotent on its transaction id, so it
  // is tried once more on a new connection.
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = Take();
    const bool reused = soap_valid_socket(conn->proxy.soap->socket);
    std::string security_code = r.security_code;
    pay__ChargeResponse response;
    int rc;
    {
      SigpipeBlock sigpipe;
      rc = conn->proxy.Charge(r.transaction_id, r.holder_name, r.card_number, r.expiration,
                              r.security_code.empty() ? nullptr : &security_code, r.amount_cents,
                              response);
    }
    std::string message;
    if (rc != SOAP_OK) {
      const char* detail = *soap_faultstring(conn->proxy.soap);
      message = detail ? detail : "payment service error";
    }
    ChargeDecision decision{response.approved, response.reason};
    const bool transport_failed = rc != SOAP_OK && rc != SOAP_CLI_FAULT && rc != SOAP_SVR_FAULT;
    Release(std::move(conn), /*keep=*/rc == SOAP_OK);
    if (rc == SOAP_OK) return decision;
    if (transport_failed && reused && attempt == 0) continue;
    // A Client fault is our arguments; anything else leaves the outcome open.
    if (rc == SOAP_CLI_FAULT) return Status(StatusCode::kInvalidArgument, message);
    return Unavailable("payment service: " + message);
  }
}

}  // namespace mp::rpc
