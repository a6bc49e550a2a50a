#include "test_stack.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "buyer_frontend/buyer_routes.h"
#include "common/password.h"
#include "customer_db/customer_db_service.h"
#include "http/frontend.h"
#include "http/server.h"
#include "http/token.h"
#include "payment/payment_server.h"
#include "product_db/product_db_service.h"
#include "rpc/server.h"
#include "seller_frontend/seller_routes.h"
#include "storage/customer_schema.h"
#include "storage/test_database.h"

namespace mp::testing {
namespace json = boost::json;

// One frontend process: everything a seller or buyer server builds in its
// main.cc, from the DB service addresses and the signing key alone.
struct TestStack::Frontend {
  std::unique_ptr<rpc::CustomerDbClient> customers;
  std::unique_ptr<rpc::ProductDbClient> products;
  std::unique_ptr<rpc::HealthProbe> probe;
  std::unique_ptr<http::TokenCodec> codec;
  std::unique_ptr<http::SessionAuth> auth;
  std::unique_ptr<http::Router> router;
  std::shared_ptr<void> routes;              // the buyer's payment client and saga
  std::unique_ptr<http::HttpServer> server;  // last: stops first
};

struct TestStack::Impl {
  FakeClock clock;
  std::unique_ptr<storage::testing::TestDatabase> customer_db;
  std::unique_ptr<storage::testing::TestDatabase> product_db;
  std::unique_ptr<storage::testing::TestDatabase> payment_db;
  std::unique_ptr<storage::AccountRepository> accounts;
  std::unique_ptr<storage::SessionRepository> sessions;
  std::unique_ptr<storage::CartRepository> carts;
  std::unique_ptr<storage::PurchaseRepository> purchases;
  std::unique_ptr<storage::LoginThrottleRepository> logins;
  std::unique_ptr<storage::ProductRepository> product_repo;
  PasswordHasher hasher{2};
  std::unique_ptr<rpc::HandlerPool> pool = std::make_unique<rpc::HandlerPool>(4);
  std::unique_ptr<customer_db::CustomerDbService> customer_service;
  std::unique_ptr<product_db::ProductDbService> product_service;
  std::unique_ptr<rpc::GrpcServer> customer_server;
  std::unique_ptr<rpc::GrpcServer> product_server;
  // Approves every valid card, so that a purchase's outcome is the test's.
  SystemClock payment_clock;
  payment::ChargePolicy payment_policy{1.0, 7, payment_clock};
  std::unique_ptr<storage::PaymentRepository> payment_repo;
  std::unique_ptr<payment::PaymentServer> payment_server;
  std::string token_key = RandomToken();  // shared by every frontend
  std::unique_ptr<Frontend> seller;
  std::unique_ptr<Frontend> buyer;
  std::vector<std::unique_ptr<Frontend>> replicas;
};

TestStack::TestStack() : impl_(std::make_unique<Impl>()) {}

TestStack::~TestStack() {
  // Frontends first, then what they call.
  impl_->replicas.clear();
  impl_->seller.reset();
  impl_->buyer.reset();
  if (impl_->customer_server) impl_->customer_server->Shutdown();
  if (impl_->product_server) impl_->product_server->Shutdown();
  if (impl_->payment_server) impl_->payment_server->Stop();
  // Joins the handler threads before the services go. Shutdown already
  // waited for every call, but through gRPC, which ThreadSanitizer cannot
  // see (scripts/tsan.supp); the join it can.
  impl_->pool.reset();
}

StatusOr<std::unique_ptr<TestStack>> TestStack::Start(const Options& options) {
  auto stack = std::unique_ptr<TestStack>(new TestStack());
  Impl& s = *stack->impl_;
  MP_ASSIGN_OR_RETURN(s.customer_db, storage::testing::TestDatabase::Create(options.engine));
  MP_ASSIGN_OR_RETURN(s.product_db, storage::testing::TestDatabase::Create(options.engine));
  MP_RETURN_IF_ERROR(storage::MigrateCustomerDatabase(s.customer_db->db()));
  MP_RETURN_IF_ERROR(storage::ProductRepository::Migrate(s.product_db->db()));
  s.accounts = std::make_unique<storage::AccountRepository>(s.customer_db->db());
  s.sessions = std::make_unique<storage::SessionRepository>(s.customer_db->db(), s.clock,
                                                            options.session_timeout_s * 1000);
  s.carts = std::make_unique<storage::CartRepository>(s.customer_db->db(), *s.sessions);
  s.purchases = std::make_unique<storage::PurchaseRepository>(s.customer_db->db(), *s.sessions);
  s.logins = std::make_unique<storage::LoginThrottleRepository>(s.customer_db->db(), s.clock);
  s.product_repo = std::make_unique<storage::ProductRepository>(s.product_db->db());
  s.customer_service = std::make_unique<customer_db::CustomerDbService>(
      *s.accounts, *s.sessions, *s.carts, *s.purchases, *s.logins, s.hasher, *s.pool);
  s.product_service = std::make_unique<product_db::ProductDbService>(*s.product_repo, *s.pool);
  MP_ASSIGN_OR_RETURN(s.customer_server,
                      rpc::GrpcServer::Start("127.0.0.1:0", {s.customer_service.get()}));
  MP_ASSIGN_OR_RETURN(s.product_server,
                      rpc::GrpcServer::Start("127.0.0.1:0", {s.product_service.get()}));
  MP_ASSIGN_OR_RETURN(s.payment_db, storage::testing::TestDatabase::Create(options.engine));
  MP_RETURN_IF_ERROR(storage::PaymentRepository::Migrate(s.payment_db->db()));
  s.payment_repo = std::make_unique<storage::PaymentRepository>(s.payment_db->db());
  s.payment_server = std::make_unique<payment::PaymentServer>(
      payment::PaymentOptions{.listen = "127.0.0.1:0", .threads = 2}, s.payment_policy,
      *s.payment_repo);
  MP_RETURN_IF_ERROR(s.payment_server->Start());
  MP_ASSIGN_OR_RETURN(s.seller, stack->StartFrontend(Side::kSeller));
  MP_ASSIGN_OR_RETURN(s.buyer, stack->StartFrontend(Side::kBuyer));
  return stack;
}

StatusOr<std::unique_ptr<TestStack::Frontend>> TestStack::StartFrontend(Side side) {
  auto f = std::make_unique<Frontend>();
  const bool seller = side == Side::kSeller;
  f->customers = std::make_unique<rpc::CustomerDbClient>(
      rpc::ClientOptions{.addresses = {customer_db_address()}, .channels_per_address = 2});
  f->products = std::make_unique<rpc::ProductDbClient>(
      rpc::ClientOptions{.addresses = {product_db_address()}, .channels_per_address = 2});
  f->probe = std::make_unique<rpc::HealthProbe>(
      std::vector<std::string>{customer_db_address(), product_db_address()});
  f->codec = std::make_unique<http::TokenCodec>(impl_->token_key);
  f->auth = std::make_unique<http::SessionAuth>(*f->codec, *f->customers,
                                                seller ? v1::ROLE_SELLER : v1::ROLE_BUYER);
  auto buyer_options = std::make_shared<buyer_frontend::BuyerOptions>(buyer_frontend::BuyerOptions{
      .payment_url = "http://127.0.0.1:" + std::to_string(impl_->payment_server->port()) + "/",
      .purchase_threads = 4});
  const http::FrontendSpec spec =
      seller ? seller_frontend::SellerFrontend() : buyer_frontend::BuyerFrontend(buyer_options);
  f->router = std::make_unique<http::Router>(spec.component, f->auth.get());
  const tls::TlsFiles plaintext;
  MP_ASSIGN_OR_RETURN(f->routes, http::AddFrontendRoutes(*f->router, spec,
                                                         {*f->codec, *f->auth, *f->customers,
                                                          *f->products, *f->probe, plaintext}));
  f->server = std::make_unique<http::HttpServer>(
      http::HttpServerOptions{.listen = "127.0.0.1:0", .threads = 2}, *f->router);
  MP_RETURN_IF_ERROR(f->server->Start());
  return f;
}

StatusOr<int> TestStack::AddReplica(Side side) {
  MP_ASSIGN_OR_RETURN(std::unique_ptr<Frontend> f, StartFrontend(side));
  impl_->replicas.push_back(std::move(f));
  return impl_->replicas.back()->server->port();
}

Status TestStack::RestartServer(Side side) {
  std::unique_ptr<Frontend>& f = side == Side::kSeller ? impl_->seller : impl_->buyer;
  f.reset();
  MP_ASSIGN_OR_RETURN(f, StartFrontend(side));
  return Status();
}

int TestStack::seller_port() const { return impl_->seller->server->port(); }
int TestStack::buyer_port() const { return impl_->buyer->server->port(); }
std::string TestStack::customer_db_address() const {
  return "127.0.0.1:" + std::to_string(impl_->customer_server->port());
}
std::string TestStack::product_db_address() const {
  return "127.0.0.1:" + std::to_string(impl_->product_server->port());
}
FakeClock& TestStack::clock() { return impl_->clock; }

json::value HttpResult::json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

namespace {
// The "error" object of a docs/contract.md §4 error body, or null.
const json::object* ErrorObject(const json::value& v) {
  if (!v.is_object()) return nullptr;
  const json::value* error = v.as_object().if_contains("error");
  return error != nullptr && error->is_object() ? &error->as_object() : nullptr;
}

std::string StringField(const json::object* o, std::string_view name) {
  const json::value* v = o ? o->if_contains(name) : nullptr;
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}
}  // namespace

std::string HttpResult::error_code() const { return StringField(ErrorObject(json()), "code"); }

std::string HttpResult::error_message() const {
  return StringField(ErrorObject(json()), "message");
}

bool HttpResult::has_error_body() const {
  json::value v = json();
  const json::object* error = ErrorObject(v);
  return error != nullptr && v.as_object().size() == 1 && error->size() == 2 &&
         !StringField(error, "code").empty() && !StringField(error, "message").empty();
}

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = boost::asio::ip::tcp;

struct TestHttpClient::Impl {
  explicit Impl(int p) : port(p), stream(ioc) {}
  int port;
  boost::asio::io_context ioc;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

TestHttpClient::TestHttpClient(int port) : impl_(std::make_unique<Impl>(port)) {}
TestHttpClient::~TestHttpClient() = default;

HttpResult TestHttpClient::Send(const std::string& method, const std::string& target,
                                const std::string& body,
                                const std::map<std::string, std::string>& headers) {
  Impl& c = *impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.connected;
    beast::error_code ec;
    if (!c.connected) {
      c.stream.close();
      c.buffer.clear();
      c.stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                     static_cast<unsigned short>(c.port)),
                       ec);
      if (ec) return HttpResult{};
      c.connected = true;
    }
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    c.stream.expires_after(std::chrono::seconds(30));
    bhttp::write(c.stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!ec) bhttp::read(c.stream, c.buffer, parser, ec);
    if (ec) {
      c.connected = false;
      // Sent again only when the server had closed a kept-alive connection
      // before reading the request: it closes idle connections only, so the
      // request was not applied. A timeout or a cut-off answer is returned as
      // it is (status 0): sending a POST again might apply it twice.
      const bool closed_idle = ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
                               ec == boost::asio::error::connection_reset ||
                               ec == boost::asio::error::broken_pipe;
      if (reused && closed_idle && !parser.got_some()) continue;
      return HttpResult{};
    }
    auto res = parser.release();
    HttpResult result;
    result.status = res.result_int();
    result.body = res.body();
    for (const auto& field : res) {
      result.headers[std::string(field.name_string())] = std::string(field.value());
    }
    if (!res.keep_alive()) c.connected = false;
    return result;
  }
  return HttpResult{};
}

namespace {
std::map<std::string, std::string> Auth(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}
}  // namespace

HttpResult TestHttpClient::Get(const std::string& target, const std::string& token) {
  return Send("GET", target, "", Auth(token));
}
HttpResult TestHttpClient::Post(const std::string& target, const json::value& body,
                                const std::string& token) {
  return Send("POST", target, json::serialize(body), Auth(token));
}
HttpResult TestHttpClient::Patch(const std::string& target, const json::value& body,
                                 const std::string& token) {
  return Send("PATCH", target, json::serialize(body), Auth(token));
}
HttpResult TestHttpClient::Delete(const std::string& target, const std::string& token) {
  return Send("DELETE", target, "", Auth(token));
}

std::string TestHttpClient::SignUpAndLogIn(const std::string& username, const std::string& password,
                                           int64_t* user_id) {
  Post("/v1/accounts",
       json::object{{"username", username}, {"password", password}, {"name", username}});
  HttpResult login =
      Post("/v1/sessions", json::object{{"username", username}, {"password", password}});
  if (login.status != 201) return "";
  json::value parsed = login.json();
  if (!parsed.is_object()) return "";
  const json::object& o = parsed.as_object();
  if (user_id != nullptr) {
    const json::value* id = o.if_contains("seller_id");
    if (id == nullptr) id = o.if_contains("buyer_id");
    *user_id = id ? id->as_int64() : 0;
  }
  return std::string(o.at("token").as_string());
}

}  // namespace mp::testing
