// Failover of the typed clients between DB service replicas (channel_pool.h):
// real services on loopback, two replicas sharing one database.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/password.h"
#include "customer_db/customer_db_service.h"
#include "product_db/product_db_service.h"
#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"
#include "rpc/server.h"
#include "storage/customer_schema.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"

namespace mp::rpc {
namespace {

using storage::Engine;

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// A loopback port nobody listens on (the kernel just handed it out).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A replica that dies after the request reached it: it speaks just enough
// HTTP/2 for a gRPC client to send a call, and resets the connection as soon
// as a call's HEADERS frame arrives.
class DyingServer {
 public:
  DyingServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~DyingServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

  int port() const { return port_; }
  // Calls whose HEADERS arrived.
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    for (;;) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      Handle(conn);
    }
  }

  void Handle(int conn) {
    static const unsigned char kSettings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    static const unsigned char kSettingsAck[9] = {0, 0, 0, 4, 1, 0, 0, 0, 0};
    (void)!write(conn, kSettings, sizeof kSettings);
    std::string in;
    size_t pos = 24;  // after the client's connection preface
    bool headers = false;
    while (!headers) {
      pollfd pfd{conn, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) break;
      char buf[4096];
      ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      while (in.size() >= pos + 9) {
        auto byte = [&](size_t i) { return static_cast<unsigned char>(in[pos + i]); };
        size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
        if (in.size() < pos + 9 + length) break;
        if (byte(3) == 4 && (byte(4) & 1) == 0) {
          (void)!write(conn, kSettingsAck, sizeof kSettingsAck);
        }
        if (byte(3) == 1) headers = true;
        pos += 9 + length;
      }
    }
    if (headers) ++requests_;
    linger reset{1, 0};  // RST, as a killed process's connection may end
    setsockopt(conn, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(conn);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// One replica of the product DB service over a shared database.
struct ProductReplica {
  explicit ProductReplica(storage::Database& db) : repo(db), pool(2), service(repo, pool) {}
  Status Start(const std::string& listen = "127.0.0.1:0") {
    MP_ASSIGN_OR_RETURN(server, GrpcServer::Start(listen, {&service}));
    return Status();
  }
  std::string address() const { return Loopback(server->port()); }

  storage::ProductRepository repo;
  HandlerPool pool;
  product_db::ProductDbService service;
  std::unique_ptr<GrpcServer> server;
};

// One replica of the customer DB service over a shared database.
struct CustomerReplica {
  CustomerReplica(storage::Database& db, Clock& clock)
      : accounts(db),
        sessions(db, clock, 300'000),
        carts(db, sessions),
        purchases(db, sessions),
        logins(db, clock),
        hasher(2),
        pool(2),
        service(accounts, sessions, carts, purchases, logins, hasher, pool) {}
  Status Start() {
    MP_ASSIGN_OR_RETURN(server, GrpcServer::Start("127.0.0.1:0", {&service}));
    return Status();
  }
  std::string address() const { return Loopback(server->port()); }

  storage::AccountRepository accounts;
  storage::SessionRepository sessions;
  storage::CartRepository carts;
  storage::PurchaseRepository purchases;
  storage::LoginThrottleRepository logins;
  PasswordHasher hasher;
  HandlerPool pool;
  customer_db::CustomerDbService service;
  std::unique_ptr<GrpcServer> server;
};

v1::RegisterItemRequest Lamp(int64_t quantity) {
  v1::RegisterItemRequest req;
  req.set_seller_id(7);
  req.set_name("Red lamp");
  req.set_category(3);
  req.add_keywords("red");
  req.add_keywords("lamp");
  req.set_condition(v1::CONDITION_NEW);
  req.set_price_cents(1250);
  req.set_quantity(quantity);
  return req;
}

// The asynchronous form, waited for.
StatusOr<v1::Item> RegisterAsync(const ProductDbClient& client,
                                 const v1::RegisterItemRequest& req) {
  std::promise<StatusOr<v1::Item>> promise;
  client.RegisterItem(req, [&promise](StatusOr<v1::Item> r) { promise.set_value(std::move(r)); });
  return promise.get_future().get();
}

class FailoverTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    // A second pool on the same database, as a replica on another host has.
    auto second = storage::Database::Open({.uri = db_->uri()});
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    second_db_ = std::move(*second);
  }

  // Units of the lamp as the database has them.
  int64_t LampUnits(const ProductDbClient& client) {
    v1::GetItemRequest req;
    req.set_item_id(lamp_id_);
    auto item = client.GetItem(req);
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? item->quantity() : -1;
  }

  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::unique_ptr<storage::Database> second_db_;
  std::string lamp_id_;
};

// Registering the equal item again adds its units (docs/contract.md §5), so a call
// applied twice would show as extra units.
TEST_P(FailoverTest, ProductCallsSurviveAReplicaThatDies) {
  ASSERT_TRUE(storage::ProductRepository::Migrate(db_->db()).ok());
  auto a = std::make_unique<ProductReplica>(db_->db());
  ProductReplica b(*second_db_);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ProductDbClient client({.addresses = {a->address(), b.address()}, .channels_per_address = 2});

  int64_t expected = 0;
  for (int i = 0; i < 8; ++i) {
    auto item = i % 2 ? RegisterAsync(client, Lamp(1)) : client.RegisterItem(Lamp(1));
    ASSERT_TRUE(item.ok()) << item.status().ToString();
    lamp_id_ = item->id();
    ++expected;
  }
  a->server->Shutdown();
  a.reset();
  for (int i = 0; i < 24; ++i) {
    auto item = i % 2 ? RegisterAsync(client, Lamp(1)) : client.RegisterItem(Lamp(1));
    ASSERT_TRUE(item.ok()) << "call " << i << " after the kill: " << item.status().ToString();
    ++expected;
    EXPECT_EQ(item->quantity(), expected) << "each registration applied exactly once";
  }
  EXPECT_EQ(LampUnits(client), expected);
}

// Sessions and carts live in the database, so a session opened through one
// replica works through the other, and cart additions are applied once.
TEST_P(FailoverTest, CustomerCallsSurviveAReplicaThatDies) {
  ASSERT_TRUE(storage::MigrateCustomerDatabase(db_->db()).ok());
  SystemClock clock;
  auto a = std::make_unique<CustomerReplica>(db_->db(), clock);
  CustomerReplica b(*second_db_, clock);
  ASSERT_TRUE(a->Start().ok());
  ASSERT_TRUE(b.Start().ok());
  CustomerDbClient client({.addresses = {a->address(), b.address()}, .channels_per_address = 2});

  v1::CreateAccountRequest create;
  create.set_role(v1::ROLE_BUYER);
  create.set_username("bob");
  create.set_password("password1");
  create.set_name("Bob");
  ASSERT_TRUE(client.CreateAccount(create).ok());
  v1::LoginRequest login;
  login.set_role(v1::ROLE_BUYER);
  login.set_username("bob");
  login.set_password("password1");
  auto session = client.Login(login);
  ASSERT_TRUE(session.ok()) << session.status().ToString();

  v1::AddToCartRequest add;
  add.mutable_session()->set_session_id(session->session_id());
  add.mutable_session()->set_role(v1::ROLE_BUYER);
  add.set_item_id("3-1");
  add.set_quantity(1);
  add.set_available(1000);
  int64_t expected = 0;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client.AddToCart(add).ok());
    ++expected;
  }
  a->server->Shutdown();
  a.reset();
  for (int i = 0; i < 12; ++i) {
    auto cart = client.AddToCart(add);
    ASSERT_TRUE(cart.ok()) << "call " << i << " after the kill: " << cart.status().ToString();
    ++expected;
    ASSERT_EQ(cart->lines_size(), 1);
    EXPECT_EQ(cart->lines(0).quantity(), expected) << "each addition applied exactly once";
  }
  auto cart = client.GetCart(add.session());
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(cart->lines(0).quantity(), expected);
}

// A fresh client whose first call goes to a replica that is already down.
TEST_P(FailoverTest, CallToADeadAddressMovesToALiveOneOnce) {
  ASSERT_TRUE(storage::ProductRepository::Migrate(db_->db()).ok());
  ProductReplica live(db_->db());
  ASSERT_TRUE(live.Start().ok());
  for (bool async : {false, true}) {
    // Channel 0, which the first call takes, goes to the dead address.
    ProductDbClient client(
        {.addresses = {Loopback(DeadPort()), live.address()}, .channels_per_address = 1});
    auto item = async ? RegisterAsync(client, Lamp(5)) : client.RegisterItem(Lamp(5));
    ASSERT_TRUE(item.ok()) << item.status().ToString();
    lamp_id_ = item->id();
    EXPECT_EQ(LampUnits(client), async ? 10 : 5);
  }
}

// A host that does not answer at all (powered off, cut off): its connect
// times out after a second, well within the call's deadline, and the call
// moves on. The listener's full accept queue makes the kernel drop SYNs.
TEST_P(FailoverTest, CallToAnUnansweringHostMovesOnAfterTheConnectTimeout) {
  ASSERT_TRUE(storage::ProductRepository::Migrate(db_->db()).ok());
  ProductReplica live(db_->db());
  ASSERT_TRUE(live.Start().ok());
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 0), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    connect(queued.back(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  ProductDbClient client(
      {.addresses = {Loopback(ntohs(addr.sin_port)), live.address()}, .channels_per_address = 1});
  auto start = std::chrono::steady_clock::now();
  auto item = client.RegisterItem(Lamp(5));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
  lamp_id_ = item->id();
  EXPECT_EQ(LampUnits(client), 5);
  for (int q : queued) close(q);
  close(fd);
}

// The connection to the replica broke after the request reached it: the
// write may have been applied, so the call is not repeated anywhere.
TEST_P(FailoverTest, CallThatMayHaveReachedAServerIsNotRepeated) {
  ASSERT_TRUE(storage::ProductRepository::Migrate(db_->db()).ok());
  ProductReplica live(db_->db());
  ASSERT_TRUE(live.Start().ok());
  DyingServer dying;
  for (bool async : {false, true}) {
    ProductDbClient client(
        {.addresses = {Loopback(dying.port()), live.address()}, .channels_per_address = 1});
    int before = dying.requests();
    auto item = async ? RegisterAsync(client, Lamp(5)) : client.RegisterItem(Lamp(5));
    ASSERT_FALSE(item.ok()) << "applied on the live replica: a possible double write";
    EXPECT_EQ(item.status().code(), StatusCode::kUnavailable) << item.status().ToString();
    EXPECT_EQ(dying.requests(), before + 1) << "the request reached the dying replica once";
  }
  v1::ListSellerItemsRequest list;
  list.set_seller_id(7);
  ProductDbClient client({.addresses = {live.address()}});
  auto items = client.ListSellerItems(list);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(items->items_size(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, FailoverTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::rpc
