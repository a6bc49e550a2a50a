#include "payment/payment_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/types.h"
#include "http/server.h"
#include "payment/idle_connections.h"
#include "soapPaymentService.h"

namespace mp::soap {
std::string_view PaymentWsdl();  // soap/CMakeLists.txt embeds it
}

namespace mp::payment {
namespace {

// gSOAP's GET hook: the WSDL at "...?wsdl", 405 otherwise.
int ServeGet(struct soap* soap) {
  const char* query = std::strchr(soap->path, '?');
  if (query == nullptr || strcasecmp(query, "?wsdl") != 0) return SOAP_GET_METHOD;
  const std::string& wsdl = static_cast<PaymentServer*>(soap->user)->wsdl();
  soap->http_content = "text/xml; charset=utf-8";
  if (soap_response(soap, SOAP_FILE) != SOAP_OK ||
      soap_send_raw(soap, wsdl.data(), wsdl.size()) != SOAP_OK) {
    return soap_closesock(soap);
  }
  soap_end_send(soap);
  return SOAP_OK;
}

std::string Last4(const std::string& card) {
  return card.size() <= 4 ? card : card.substr(card.size() - 4);
}

// Largest Content-Length accepted; a Charge envelope is well under 2 KiB.
constexpr ULONG64 kMaxContentLength = 64 * 1024;
// Room for a message's request line and headers besides its body.
constexpr ULONG64 kMaxHeaderBytes = 16 * 1024;

using ParseHeaderFn = int (*)(struct soap*, const char*, const char*);

// gSOAP's own HTTP header parser, the same in every context; taken from the
// first context configured, before ConfigureSoap replaces it.
ParseHeaderFn GsoapParseHeader(struct soap* first = nullptr) {
  static const ParseHeaderFn parse = first->fparsehdr;
  return parse;
}

// Refuses a Content-Length over kMaxContentLength, then lets gSOAP parse the
// header. gSOAP trusts the value: while still parsing the header of a
// message shaped as a response ("HTTP/1.1 424 X") it reads the body into one
// allocation of the declared length, so "Content-Length: -52" asked malloc
// for 2^64 - 51 bytes and a large one reserved gigabytes per connection
// (found by fuzz/soap_envelope_fuzzer.cc; inputs in
// fuzz/corpus/soap_envelope/regression-*). The header is matched and read
// as gSOAP does: its name matching is loose ("Content1Length" counts too)
// and strtoull takes "-52" as 2^64 - 52.
//
// It also refuses compressed bodies: gSOAP with OpenSSL (libgsoapssl++) is
// built WITH_GZIP and would inflate them, past the Content-Length check.
int ParseHeader(struct soap* soap, const char* key, const char* value) {
  if (soap_tag_cmp(key, "Content-Length") == 0 &&
      std::strtoull(value, nullptr, 10) > kMaxContentLength) {
    return soap->error = SOAP_LENGTH;
  }
  if (soap_tag_cmp(key, "Content-Encoding") == 0 && strcasecmp(value, "identity") != 0) {
    return soap->error = SOAP_ZLIB_ERROR;
  }
  return GsoapParseHeader()(soap, key, value);
}

}  // namespace

void PaymentServer::ConfigureSoap(struct soap* soap, PaymentServer* server) {
  soap->user = server;
  // Names the table explicitly, which also links it in from mp_soap.
  soap_set_namespaces(soap, namespaces);
  soap->fget = ServeGet;
  soap->recv_timeout = 10;  // seconds
  soap->send_timeout = 10;
  // A chunked body declares no length, and the receive timeout counts idle
  // time only: this bounds what one message may make us read (headers
  // included), so a client that keeps sending cannot hold a thread for ever.
  soap->recv_maxlength = kMaxContentLength + kMaxHeaderBytes;
  soap->max_keep_alive = 10000;
  GsoapParseHeader(soap);
  soap->fparsehdr = ParseHeader;
}

PaymentServer::PaymentServer(const PaymentOptions& options, const ChargePolicy& policy,
                             storage::PaymentRepository& repo, CrashPoint crash)
    : options_(options), policy_(policy), repo_(repo), crash_(std::move(crash)) {}

PaymentServer::~PaymentServer() {
  Stop();
  // gSOAP frees the context of the service it made; this one is ours.
  if (service_) service_->soap->ctx = nullptr;
}

Status PaymentServer::Start() {
  MP_ASSIGN_OR_RETURN(auto host_port, http::SplitHostPort(options_.listen));
  MP_ASSIGN_OR_RETURN(tls::TlsFiles files, tls::ResolveTlsFiles(options_.tls, tls::kPayment));
  if (files.enabled()) {
    MP_ASSIGN_OR_RETURN(tls_, tls::NewServerContext(files));
    static std::once_flag ssl_init;
    std::call_once(ssl_init, soap_ssl_init);
  }
  service_ = std::make_unique<PaymentService>(SOAP_IO_KEEPALIVE);
  struct soap* soap = service_->soap;
  ConfigureSoap(soap, this);
  if (tls_) {
    // Each connection's copy shares it; the context itself requires and
    // verifies the client's certificate (tls::NewServerContext).
    soap->ctx = tls_.get();
    soap->ssl_flags = SOAP_SSL_REQUIRE_CLIENT_AUTHENTICATION;
  }
  soap->bind_flags = SO_REUSEADDR;
  soap->accept_timeout = 1;  // seconds: how often the loop looks at stop_
  if (!soap_valid_socket(service_->bind(host_port.first.c_str(), host_port.second, 128))) {
    return Unavailable("cannot listen on " + options_.listen);
  }
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(soap->master, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  wsdl_ = std::string(mp::soap::PaymentWsdl());
  std::string location = tls_ ? "https://" : "http://";
  location += host_port.first + ":" + std::to_string(port_) + "/";
  size_t at = wsdl_.find("http://localhost:80");
  if (at != std::string::npos) wsdl_.replace(at, std::strlen("http://localhost:80"), location);
  pool_ = std::make_unique<boost::asio::thread_pool>(std::max(1, options_.threads));
  idle_ = std::make_unique<IdleConnections>(kIdleTimeout);
  MP_RETURN_IF_ERROR(idle_->Start());
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status();
}

void PaymentServer::AcceptLoop() {
  while (!stop_) {
    SOAP_SOCKET s = service_->accept();
    if (!soap_valid_socket(s)) {
      if (service_->soap->errnum != 0 && !stop_) {
        log::Warn("accept failed: {}", std::strerror(service_->soap->errnum));
        // Out of descriptors (EMFILE) the connection stays queued and an
        // immediate retry fails again: wait instead of spinning a core.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      continue;
    }
    PaymentService* copy = service_->copy();
    if (copy == nullptr) {
      service_->soap_force_close_socket();
      continue;
    }
    accepted_.fetch_add(1);
    if (open_connections_.fetch_add(1) >= kMaxConnections) {
      log::Warn("refused {}: {} connections open", copy->soap->host, kMaxConnections);
      Close(copy);
      continue;
    }
    // A new connection too waits without a thread until its client speaks
    // (the TLS handshake or the first request).
    idle_->Watch(
        copy->soap->socket,
        [this, copy] {
          boost::asio::post(*pool_, [this, copy] {
            if (tls_ && !Handshake(copy->soap)) return Close(copy);
            copy->soap->keep_alive = copy->soap->max_keep_alive + 1;  // as serve() begins
            ServeOne(copy);
          });
        },
        [this, copy] { Close(copy); });
  }
}

void PaymentServer::ServeOne(PaymentService* conn) {
  struct soap* soap = conn->soap;
  while (true) {
    // One request of the connection, as each turn of PaymentService::serve()
    // does; the keep-alive budget counts down as there.
    if (soap->keep_alive > 0 && soap->max_keep_alive > 0) --soap->keep_alive;
    bool served = true;
    if (soap_begin_serve(soap) != SOAP_OK) {
      // SOAP_STOP and above: a request answered by a hook (the WSDL).
      served = soap->error >= SOAP_STOP;
    } else if (conn->dispatch() != SOAP_OK && soap->error < SOAP_STOP) {
      soap_send_fault(soap);
      served = false;
    }
    soap_destroy(soap);
    soap_end(soap);
    // keep_alive 0: the client asked to close, or the budget is spent.
    if (!served || soap->keep_alive == 0 || stop_ || !soap_valid_socket(soap->socket)) {
      return Close(conn);
    }
    // Bytes of the next request already read (pipelined) wait in gSOAP's or
    // OpenSSL's buffer, where epoll cannot see them: serve them now.
    bool buffered =
        soap->bufidx < soap->buflen || (soap->ssl != nullptr && SSL_pending(soap->ssl) > 0);
    if (!buffered) break;
  }
  idle_->Watch(
      soap->socket, [this, conn] { boost::asio::post(*pool_, [this, conn] { ServeOne(conn); }); },
      [this, conn] { Close(conn); });
}

void PaymentServer::Close(PaymentService* conn) {
  conn->destroy();
  conn->soap->ctx = nullptr;  // borrowed from service_, which frees it
  delete conn;
  open_connections_.fetch_sub(1);
}

bool PaymentServer::Handshake(struct soap* soap) const {
  // gSOAP waits this long for the client's handshake messages (on a pool
  // thread, as it does for a request).
  soap->accept_timeout = soap->recv_timeout;
  if (soap_ssl_accept(soap) != SOAP_OK) {
    const char* what = *soap_faultstring(soap);
    log::Warn("TLS handshake with {} failed: {}", soap->host, what ? what : "unknown error");
    return false;
  }
  std::string role = tls::PeerRole(soap->ssl);
  if (role != tls::kFrontend) {
    log::Warn("refused {}: a client certificate with role '{}' may not call payment", soap->host,
              role);
    soap_closesock(soap);
    return false;
  }
  return true;
}

void PaymentServer::Stop() {
  if (!acceptor_.joinable()) return;
  stop_ = true;
  acceptor_.join();
  // Requests under way finish (and close, as stop_ is set); the idle ones
  // close here.
  pool_->join();
  idle_->Stop();
  service_->destroy();
}

StatusOr<ChargeDecision> PaymentServer::Charge(const ChargeRequest& request) {
  MP_RETURN_IF_ERROR(ValidateKey("transaction_id", request.transaction_id));
  MP_RETURN_IF_ERROR(ValidateName("holder_name", request.holder_name));
  if (request.amount_cents <= 0 || request.amount_cents > kMaxOrderTotalCents) {
    return InvalidArgument("amount_cents",
                           "must be from 1 to " + std::to_string(kMaxOrderTotalCents));
  }
  MP_ASSIGN_OR_RETURN(auto known, repo_.Find(request.transaction_id));
  if (known) return ChargeDecision{known->approved, known->reason};
  ChargeDecision decision = policy_.Decide(request);
  SystemClock clock;
  MP_ASSIGN_OR_RETURN(
      storage::ChargeRecord stored,
      repo_.RecordOnce({request.transaction_id, decision.approved, decision.reason,
                        request.amount_cents, Last4(request.card_number), clock.NowMs()}));
  crash_.Reached("after_decision");
  log::Info("charge {} of {} cents: {}", request.transaction_id, request.amount_cents,
            stored.reason);
  return ChargeDecision{stored.approved, stored.reason};
}

}  // namespace mp::payment

// The generated service's operation, declared by soapcpp2.
int PaymentService::Charge(const std::string& transaction_id, const std::string& holder_name,
                           const std::string& card_number, const std::string& expiration,
                           std::string* security_code, LONG64 amount_cents,
                           struct pay__ChargeResponse& response) {
  auto* server = static_cast<mp::payment::PaymentServer*>(this->soap->user);
  try {
    mp::payment::ChargeRequest request;
    request.transaction_id = transaction_id;
    request.holder_name = holder_name;
    request.card_number = card_number;
    request.expiration = expiration;
    if (security_code != nullptr) request.security_code = *security_code;
    request.amount_cents = amount_cents;
    auto decision = server->Charge(request);
    if (!decision.ok()) {
      mp::Status status = decision.status();
      const std::string& message = status.message();
      return status.code() == mp::StatusCode::kInvalidArgument
                 ? soap_senderfault(message.c_str(), nullptr)
                 : soap_receiverfault(message.c_str(), nullptr);
    }
    response.approved = decision->approved;
    response.reason = decision->reason;
    return SOAP_OK;
  } catch (const std::exception& e) {
    mp::log::Error("Charge: unexpected exception: {}", e.what());
    return soap_receiverfault("internal error", nullptr);
  }
}
