#include "http/server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

#include "common/log.h"
#include "http/router.h"
#include "http/target.h"
#include "http/tls_stream.h"

namespace mp::http {
namespace {

// A limit in the unit a person would write it in ("1 MiB", "16 KiB").
std::string Bytes(size_t n) {
  if (n >= (1 << 20) && n % (1 << 20) == 0) return std::to_string(n >> 20) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n >> 10) + " KiB";
  return std::to_string(n) + " bytes";
}

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// How long a connection closed after an error still reads and drops input.
constexpr std::chrono::seconds kLingerTime{2};
// Wait before accepting again after accept failed (out of file descriptors
// or memory): the connection stays queued, so an immediate retry fails
// again at once, in a loop that would take a whole core.
constexpr std::chrono::milliseconds kAcceptBackoff{100};
// At most one warning per worker this often about refused connections or
// failed accepts, which come in floods.
constexpr std::chrono::seconds kWarningInterval{10};

// Requests of one io thread dispatched but not yet answered; Stop() waits
// for them.
struct InFlight {
  std::atomic<int> count{0};
};

// Open connections of one server, against max_connections. Shared with the
// sessions, which may outlive the server (see Session::Owner).
using ConnectionCount = std::shared_ptr<std::atomic<int>>;

// What an idle connection reads into when the next request begins.
constexpr size_t kFirstRead = 512;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // A request in flight holds its io_context (through `ioc`), so that an
  // answer arriving after Stop() (from the client queue's thread) still posts into a
  // live one; idle sessions do not, so they go with their io_context.
  Session(std::weak_ptr<asio::io_context> ioc, tcp::socket socket,
          std::shared_ptr<const HttpServerOptions> options, const Router& router,
          std::atomic<uint64_t>& ids, std::shared_ptr<InFlight> in_flight,
          ConnectionCount connections, asio::ssl::context* tls)
      : ioc_(std::move(ioc)),
        stream_(std::move(socket), tls),
        options_(std::move(options)),
        router_(router),
        ids_(ids),
        in_flight_(std::move(in_flight)),
        connections_(std::move(connections)) {
    boost::system::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }

  // The slot was taken by the acceptor.
  ~Session() { connections_->fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    if (!stream_.tls()) return ReadRequest();
    // The handshake is part of the first request: within the read timeout.
    stream_.expires_after(options_->read_timeout);
    stream_.async_handshake([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Close();
      self->ReadRequest();
    });
  }

 private:
  void ReadRequest() {
    // A pipelined request has begun already.
    if (buffer_.size() > 0) return ReadRest();
    // Idle: wait with a small buffer, so that thousands of idle connections
    // stay cheap, yet large enough that a typical request (a few hundred
    // bytes) arrives in this one read, with no extra recv per request.
    buffer_.shrink_to_fit();
    stream_.expires_after(options_->idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) return Close();  // closed, reset, or idle too long
    buffer_.commit(n);
    ReadRest();
  }

  void ReadRest() {
    parser_.emplace();
    parser_->body_limit(options_->body_limit);
    parser_->header_limit(options_->header_limit);
    // One deadline for the whole request from its first byte (see
    // HttpServerOptions::read_timeout).
    stream_.expires_after(options_->read_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      return Fail(Status(StatusCode::kResourceExhausted,
                         "the body is larger than " + Bytes(options_->body_limit),
                         kPayloadTooLarge));
    }
    if (ec == bhttp::error::header_limit) {
      return Fail(Status(StatusCode::kResourceExhausted,
                         "the request headers are larger than " + Bytes(options_->header_limit),
                         kHeadersTooLarge));
    }
    if (ec) return Fail(Status(StatusCode::kInvalidArgument, "malformed HTTP request"));

    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    auto request = std::make_shared<Request>();
    request->id = ids_.fetch_add(1, std::memory_order_relaxed);
    request->method = message.method();
    request->remote = remote_;
    if (!ParseTarget(message.target(), *request)) {
      return Fail(Status(StatusCode::kInvalidArgument, "malformed request target"));
    }
    request->authorization = std::string(message[bhttp::field::authorization]);
    request->idempotency_key = std::string(message["Idempotency-Key"]);
    request->content_type = std::string(message[bhttp::field::content_type]);
    request->if_none_match = std::string(message[bhttp::field::if_none_match]);
    request->body = std::move(message.body());
    parser_.reset();  // its header fields are not kept while the handler runs
    in_flight_->count.fetch_add(1);
    router_.Dispatch(std::move(request),
                     [owner = Owner{ioc_.lock(), shared_from_this()}](Response response) {
                       owner.self->Answer(std::move(response), *owner.ioc);
                     });
  }

  // Runs on the thread that finished the handler: the io thread, or the
  // client queue's thread when the handler awaited an RPC. While a handler
  // runs, nothing of the session is pending on the io thread (no read, no
  // write, no armed timer), so this thread may use the socket until it
  // hands the session back by starting an operation on it; the io_context's
  // locks order the two threads. When this is the only request in flight
  // on its io thread, that thread is most likely asleep, and posting the
  // reply to it would wake it only to write: a plain-TCP reply that fits
  // the socket's send buffer (nearly all) then goes out from here with one
  // non-blocking send, and the read of the next request starts from here
  // too, so the io thread wakes only when that request arrives. Otherwise
  // (a busy io thread, TLS, a partial send, a closing connection) the io
  // thread writes it, which also spreads a loaded server's sends over the
  // io threads instead of piling them on the one client queue thread.
  void Answer(Response r, asio::io_context& ioc) {
    Prepare(std::move(r));
    const bool io_thread_idle = in_flight_->count.load(std::memory_order_relaxed) == 1;
    if (io_thread_idle && !stream_.tls() && keep_alive_ && SendNow()) {
      NextRequest();
      // Last: Stop() may return once this is zero.
      in_flight_->count.fetch_sub(1);
      return;
    }
    asio::post(ioc, [self = shared_from_this()] {
      self->WriteRest();
      self->in_flight_->count.fetch_sub(1);
    });
  }

  // What an answer callback holds. A handler may drop its copy only after
  // Stop() has returned, on its own thread: the session must then go before
  // the io_context it may be the last to hold, as members go in reverse
  // order (the order of a lambda's captures is unspecified).
  struct Owner {
    std::shared_ptr<asio::io_context> ioc;
    std::shared_ptr<Session> self;
  };

  // A request refused before it reached the router: answered like any
  // error (http/router.h), then the connection closes.
  void Fail(const Status& status) {
    keep_alive_ = false;
    linger_ = true;
    Prepare(ErrorResponse(status));
    WriteRest();
  }

  void Prepare(Response r) {
    response_.emplace(static_cast<bhttp::status>(r.status), version_);
    if (!r.content_type.empty()) response_->set(bhttp::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) response_->set(name, value);
    response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive_);
    response_->prepare_payload();
    serializer_.emplace(*response_);
  }

  // The whole reply in non-blocking sends, on the calling thread; false if
  // the socket took only part of it (the serializer keeps the place) or
  // failed (the io thread's write then meets the same error and closes).
  bool SendNow() {
    beast::error_code ec;
    auto& socket = stream_.socket();
    // A blocking write here would stall the client queue's thread behind
    // one slow reader; the asynchronous operations do not depend on it.
    if (!socket.non_blocking()) socket.non_blocking(true, ec);
    if (!ec) bhttp::write(socket, *serializer_, ec);
    return !ec && serializer_->is_done();
  }

  // What is left of the reply, on the io thread.
  void WriteRest() {
    // A client that stops reading (or vanished) gives up its connection.
    stream_.expires_after(options_->write_timeout);
    bhttp::async_write(stream_, *serializer_,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec || !keep_alive_) return Close();
    NextRequest();
  }

  // The reply is out: wait for the next request.
  void NextRequest() {
    serializer_.reset();
    response_.reset();
    ReadRequest();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) return Linger();
    stream_.close();
  }

  // After refusing a request whose rest is still arriving (a body over the
  // limit), reads and drops input for a while before closing: closing with
  // unread input sends a reset, which can destroy the refusal before the
  // client reads it.
  void Linger() {
    linger_ = false;
    drop_buffer_ = std::make_unique<std::array<char, 16 * 1024>>();
    stream_.expires_after(kLingerTime);
    ReadAndDrop();
  }

  void ReadAndDrop() {
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(*drop_buffer_), [self](beast::error_code ec, size_t) {
      if (ec) return self->stream_.close();
      self->ReadAndDrop();
    });
  }

  std::weak_ptr<asio::io_context> ioc_;
  TlsOrTcpStream stream_;
  // Shared, not referred to: the end of a request may run on the client
  // queue's thread after the server is gone (see Answer).
  std::shared_ptr<const HttpServerOptions> options_;
  // Used on the io thread only, which Stop() joins.
  const Router& router_;
  std::atomic<uint64_t>& ids_;
  std::shared_ptr<InFlight> in_flight_;
  ConnectionCount connections_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::optional<bhttp::response_serializer<bhttp::string_body>> serializer_;  // of response_
  bool keep_alive_ = true;
  bool linger_ = false;  // set by Fail: see Linger
  // Allocated by Linger only: idle connections hold no buffer.
  std::unique_ptr<std::array<char, 16 * 1024>> drop_buffer_;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Worker {
  std::shared_ptr<asio::io_context> ioc = std::make_shared<asio::io_context>(1);
  tcp::acceptor acceptor{*ioc};
  asio::steady_timer retry{*ioc};  // kAcceptBackoff after a failed accept
  std::shared_ptr<InFlight> in_flight = std::make_shared<InFlight>();
  // Connections refused at max_connections since the last warning.
  uint64_t refused = 0;
  std::chrono::steady_clock::time_point next_warning{};

  void Accept(HttpServer& server);
  void OnAccept(HttpServer& server, beast::error_code ec, tcp::socket socket);
  bool WarningDue();
};

void HttpServer::Worker::Accept(HttpServer& server) {
  acceptor.async_accept([this, &server](beast::error_code ec, tcp::socket socket) {
    OnAccept(server, ec, std::move(socket));
  });
}

void HttpServer::Worker::OnAccept(HttpServer& server, beast::error_code ec, tcp::socket socket) {
  if (!acceptor.is_open()) return;  // stopping
  if (ec) {
    if (WarningDue()) log::Warn("accept failed: {}; retrying every 100 ms", ec.message());
    retry.expires_after(kAcceptBackoff);
    retry.async_wait([this, &server](beast::error_code ec) {
      if (!ec && acceptor.is_open()) Accept(server);
    });
    return;
  }
  const int max = std::max(1, server.options_->max_connections);
  if (server.connections_->fetch_add(1, std::memory_order_relaxed) >= max) {
    server.connections_->fetch_sub(1, std::memory_order_relaxed);
    socket.close(ec);
    ++refused;
    if (WarningDue()) {
      log::Warn("refused {} connection(s): max_connections ({}) are open", refused, max);
      refused = 0;
    }
  } else {
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Session>(ioc, std::move(socket), server.options_, server.router_,
                              server.next_request_id_, in_flight, server.connections_,
                              server.tls_.get())
        ->Start();
  }
  Accept(server);
}

bool HttpServer::Worker::WarningDue() {
  auto now = std::chrono::steady_clock::now();
  if (now < next_warning) return false;
  next_warning = now + kWarningInterval;
  return true;
}

StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    std::from_chars(address.data() + colon + 1, address.data() + address.size(), port);
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
    return InvalidArgument("listen", "must be host:port, e.g. 127.0.0.1:8081");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, port);
}

HttpServer::HttpServer(const HttpServerOptions& options, const Router& router)
    : options_(std::make_shared<const HttpServerOptions>(options)), router_(router) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  MP_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(options_->listen));
  if (!options_->tls_cert.empty() || !options_->tls_key.empty()) {
    MP_ASSIGN_OR_RETURN(tls_, MakeHttpsContext(options_->tls_cert, options_->tls_key));
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host_port.first, ec);
  if (ec) return InvalidArgument("listen", "not an IP address: " + host_port.first);
  port_ = host_port.second;
  for (int i = 0; i < std::max(1, options_->threads); ++i) {
    auto worker = std::make_unique<Worker>();
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port_));
    worker->acceptor.open(endpoint.protocol(), ec);
    if (!ec) worker->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      worker->acceptor.set_option(
          asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    }
    if (!ec) worker->acceptor.bind(endpoint, ec);
    if (!ec) worker->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("cannot listen on " + options_->listen + ": " + ec.message());
    // Port 0: the first listener picks the port, the others join it.
    port_ = worker->acceptor.local_endpoint().port();
    workers_.push_back(std::move(worker));
  }
  for (auto& worker : workers_) {
    threads_.emplace_back([this, w = worker.get()] {
      w->Accept(*this);
      w->ioc->run();
    });
  }
  return Status();
}

void HttpServer::Stop() {
  if (threads_.empty()) return;
  for (auto& w : workers_) {
    asio::post(*w->ioc, [w = w.get()] {
      boost::system::error_code ec;
      w->acceptor.close(ec);
      w->retry.cancel();
    });
  }
  // Let requests in flight get their answers written (each backend call has
  // a deadline, so this ends), then stop the loops.
  auto deadline = std::chrono::steady_clock::now() + options_->read_timeout;
  for (auto& w : workers_) {
    while (w->in_flight->count.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  for (auto& w : workers_) w->ioc->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace mp::http
