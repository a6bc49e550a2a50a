// CustomerDb over real gRPC against both engines: every malformed argument
// is refused with INVALID_ARGUMENT naming the field and changes nothing;
// concurrent requests on one session keep the cart within the stock.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/types.h"
#include "customer_db/customer_db_test_fixture.h"

namespace mp::customer_db::testing {
namespace {

using storage::Engine;

class CustomerDbValidationTest : public CustomerDbServiceTest {
 protected:
  // What an argument error must leave as it was.
  std::string Snapshot(const v1::SessionRequest& buyer, int64_t buyer_id,
                       const v1::SessionRequest& seller, int64_t seller_id) {
    std::string out;
    auto cart = client_->GetCart(buyer);
    out += "cart=" + (cart.ok() ? Lines(*cart) : cart.status().ToString());
    auto purchases = client_->ListPurchases(PurchasesOf(buyer));
    out += " purchases=" + (purchases.ok() ? std::to_string(purchases->purchases_size())
                                           : purchases.status().ToString());
    for (auto [role, id] : {std::pair{v1::ROLE_BUYER, buyer_id}, {v1::ROLE_SELLER, seller_id}}) {
      v1::GetAccountRequest get;
      get.set_role(role);
      get.set_user_id(id);
      auto account = client_->GetAccount(get);
      out += " units=" +
             (account.ok() ? std::to_string(account->units()) : account.status().ToString());
    }
    out += " seller_session=" + client_->ValidateSession(seller).status().ToString();
    out += " buyer_session=" + client_->ValidateSession(buyer).status().ToString();
    return out;
  }
};

struct BadCall {
  std::string label;
  std::function<Status()> call;
  std::string field;  // must appear in the error message
};

TEST_P(CustomerDbValidationTest, MalformedArgumentsNameTheFieldAndChangeNothing) {
  auto [seller_id, seller] = SignUp(v1::ROLE_SELLER, "seller");
  auto [buyer_id, buyer] = SignUp(v1::ROLE_BUYER, "buyer");
  ASSERT_GT(seller_id, 0);
  ASSERT_GT(buyer_id, 0);
  ASSERT_TRUE(Add(buyer, "3-1", 2, 5).ok());
  const std::string before = Snapshot(buyer, buyer_id, seller, seller_id);

  const std::string long_name(kMaxNameChars + 1, 'n');
  const std::string long_user(kMaxUsernameChars + 1, 'u');
  const std::string long_password(kMaxPasswordChars + 1, 'p');
  const std::string long_key(129, 'k');
  auto create = [&](v1::Role role, std::string username, std::string password, std::string name) {
    return [=, this] {
      v1::CreateAccountRequest req;
      req.set_role(role);
      req.set_username(username);
      req.set_password(password);
      req.set_name(name);
      return client_->CreateAccount(req).status();
    };
  };
  auto login = [&](v1::Role role, std::string username, std::string password) {
    return [=, this] {
      v1::LoginRequest req;
      req.set_role(role);
      req.set_username(username);
      req.set_password(password);
      return client_->Login(req).status();
    };
  };
  // A copy of the buyer's session with one field changed.
  auto with_id = [&](std::string id) { return Session(id, v1::ROLE_BUYER); };
  auto with_role = [&](v1::Role role) { return Session(buyer.session_id(), role); };
  auto add = [&](v1::SessionRequest s, std::string item, int64_t quantity, int64_t available) {
    return [=, this] {
      v1::AddToCartRequest req;
      *req.mutable_session() = s;
      req.set_item_id(item);
      req.set_quantity(quantity);
      req.set_available(available);
      return client_->AddToCart(req).status();
    };
  };
  auto remove = [&](std::string item, std::optional<int64_t> quantity) {
    return [=, this] {
      v1::RemoveFromCartRequest req;
      *req.mutable_session() = buyer;
      req.set_item_id(item);
      if (quantity) req.set_quantity(*quantity);
      return client_->RemoveFromCart(req).status();
    };
  };
  using SessionRpc =
      StatusOr<v1::Empty> (rpc::CustomerDbClient::*)(const v1::SessionRequest&) const;
  auto session_rpc = [&](SessionRpc rpc, v1::SessionRequest s) {
    return [=, this] { return ((*client_).*rpc)(s).status(); };
  };
  auto validate = [&](v1::SessionRequest s) {
    return [=, this] { return client_->ValidateSession(s).status(); };
  };
  auto cart_rpc = [&](int which, v1::SessionRequest s) {
    return [=, this] {
      return which == 0 ? client_->GetCart(s).status() : client_->ClearCart(s).status();
    };
  };
  auto list = [&](v1::SessionRequest s) {
    return [=, this] { return client_->ListPurchases(PurchasesOf(s)).status(); };
  };
  auto get_account = [&](v1::Role role, int64_t id) {
    return [=, this] {
      v1::GetAccountRequest req;
      req.set_role(role);
      req.set_user_id(id);
      return client_->GetAccount(req).status();
    };
  };
  // A valid purchase of the buyer that clears the working cart, changed by
  // `edit`.
  auto record = [&](std::function<void(v1::RecordPurchaseRequest&)> edit) {
    return [=, this] {
      v1::RecordPurchaseRequest req;
      req.set_purchase_id("p-1");
      req.set_buyer_id(buyer_id);
      req.set_clear_session_id(buyer.session_id());
      v1::PurchaseLine* line = req.add_lines();
      line->set_item_id("3-1");
      line->set_seller_id(seller_id);
      line->set_quantity(1);
      line->set_price_cents(100);
      edit(req);
      return client_->RecordPurchase(req).status();
    };
  };
  auto bought = [&](int64_t id, std::string item) {
    return [=, this] {
      v1::GetPurchasedQuantityRequest req;
      req.set_buyer_id(id);
      req.set_item_id(item);
      return client_->GetPurchasedQuantity(req).status();
    };
  };
  const auto kBuyer = v1::ROLE_BUYER;
  const auto kSeller = v1::ROLE_SELLER;
  const auto kNoRole = v1::ROLE_UNSPECIFIED;
  const std::string pw = kPassword;

  const std::vector<BadCall> table = {
      {"create/role", create(kNoRole, "fresh", pw, "N"), "role"},
      {"create/empty user", create(kBuyer, "", pw, "N"), "username"},
      {"create/long user", create(kBuyer, long_user, pw, "N"), "username"},
      {"create/C1 control user", create(kBuyer, "\xc2\x85u", pw, "N"), "username"},
      {"create/control user", create(kBuyer, "a\tb", pw, "N"), "username"},
      {"create/short pw", create(kSeller, "fresh", "1234567", "N"), "password"},
      {"create/long pw", create(kSeller, "fresh", long_password, "N"), "password"},
      {"create/empty name", create(kBuyer, "fresh", pw, ""), "name"},
      {"create/blank name", create(kBuyer, "fresh", pw, "   "), "name"},
      {"create/long name", create(kBuyer, "fresh", pw, long_name), "name"},
      {"create/control name", create(kBuyer, "fresh", pw, "a\x01"), "name"},
      {"login/role", login(kNoRole, "buyer", pw), "role"},
      {"login/empty user", login(kBuyer, "", pw), "username"},
      {"login/long user", login(kBuyer, long_user, pw), "username"},
      {"login/control user", login(kBuyer, "a\nb", pw), "username"},
      {"login/short pw", login(kBuyer, "buyer", "short"), "password"},
      {"login/long pw", login(kBuyer, "buyer", long_password), "password"},
      {"logout/empty id", session_rpc(&rpc::CustomerDbClient::Logout, with_id("")), "session_id"},
      {"logout/bad chars", session_rpc(&rpc::CustomerDbClient::Logout, with_id("bad id!")),
       "session_id"},
      {"logout/long id", session_rpc(&rpc::CustomerDbClient::Logout, with_id(long_key)),
       "session_id"},
      {"logout/role", session_rpc(&rpc::CustomerDbClient::Logout, with_role(kNoRole)), "role"},
      {"validate/non-ascii id", validate(with_id("s\xc3\xa4")), "session_id"},
      {"validate/role", validate(with_role(kNoRole)), "role"},
      {"account/role", get_account(kNoRole, buyer_id), "role"},
      {"account/zero id", get_account(kBuyer, 0), "user_id"},
      {"account/negative id", get_account(kSeller, -1), "user_id"},
      {"cart/empty id", cart_rpc(0, with_id("")), "session_id"},
      {"cart/seller session", cart_rpc(0, seller), "role"},
      {"add/role", add(with_role(kNoRole), "3-1", 1, 5), "role"},
      {"add/seller session", add(seller, "3-1", 1, 5), "role"},
      {"add/bad session", add(with_id("a b"), "3-1", 1, 5), "session_id"},
      {"add/empty item", add(buyer, "", 1, 5), "item_id"},
      {"add/item abc", add(buyer, "abc", 1, 5), "item_id"},
      {"add/item 3-", add(buyer, "3-", 1, 5), "item_id"},
      {"add/item 03-1", add(buyer, "03-1", 1, 5), "item_id"},
      {"add/item 2^31-1", add(buyer, "2147483648-1", 1, 5), "item_id"},
      {"add/zero", add(buyer, "3-1", 0, 5), "quantity"},
      {"add/negative", add(buyer, "3-1", -1, 5), "quantity"},
      {"add/too many", add(buyer, "3-1", kMaxQuantity + 1, kMaxQuantity + 5), "quantity"},
      {"add/available", add(buyer, "3-1", 1, -1), "available"},
      {"remove/item 3-01", remove("3-01", 1), "item_id"},
      {"remove/zero", remove("3-1", 0), "quantity"},
      {"remove/negative", remove("3-1", -5), "quantity"},
      {"clear/role", cart_rpc(1, with_role(kNoRole)), "role"},
      {"clear/seller session", cart_rpc(1, seller), "role"},
      {"save/bad id", session_rpc(&rpc::CustomerDbClient::SaveCart, with_id("x y")), "session_id"},
      {"save/seller session", session_rpc(&rpc::CustomerDbClient::SaveCart, seller), "role"},
      {"record/empty id", record([](auto& r) { r.set_purchase_id(""); }), "purchase_id"},
      {"record/bad id", record([](auto& r) { r.set_purchase_id("p/1"); }), "purchase_id"},
      {"record/buyer", record([](auto& r) { r.set_buyer_id(0); }), "buyer_id"},
      {"record/no lines", record([](auto& r) { r.clear_lines(); }), "lines"},
      {"record/item", record([](auto& r) { r.mutable_lines(0)->set_item_id("abc"); }), "item_id"},
      {"record/duplicate line", record([](auto& r) { *r.add_lines() = r.lines(0); }), "lines"},
      {"record/seller", record([](auto& r) { r.mutable_lines(0)->set_seller_id(0); }), "seller_id"},
      {"record/quantity", record([](auto& r) { r.mutable_lines(0)->set_quantity(0); }), "quantity"},
      {"record/zero price", record([](auto& r) { r.mutable_lines(0)->set_price_cents(0); }),
       "price"},
      {"record/huge price",
       record([](auto& r) { r.mutable_lines(0)->set_price_cents(kMaxPriceCents + 1); }), "price"},
      {"record/clear session", record([](auto& r) { r.set_clear_session_id("bad!"); }),
       "clear_session_id"},
      {"purchases/seller session", list(seller), "role"},
      {"purchases/bad id", list(with_id(long_key)), "session_id"},
      {"bought/buyer", bought(-1, "3-1"), "buyer_id"},
      {"bought/item", bought(buyer_id, "1-x"), "item_id"},
  };
  for (const BadCall& row : table) {
    Status status = row.call();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument)
        << row.label << ": " << status.ToString();
    EXPECT_EQ(status.reason(), "invalid_argument") << row.label;
    EXPECT_NE(status.message().find(row.field), std::string::npos)
        << row.label << ": '" << status.message() << "' should name " << row.field;
  }
  // Bytes that are not UTF-8 cannot travel in a proto3 string: protobuf
  // refuses to parse the request before the service sees it.
  EXPECT_FALSE(create(kBuyer, "\xff\xfe", pw, "N")().ok());
  EXPECT_FALSE(create(kBuyer, "fresh", pw, "\xc3\x28")().ok());
  EXPECT_FALSE(login(kBuyer, "\xff", pw)().ok());
  EXPECT_EQ(Snapshot(buyer, buyer_id, seller, seller_id), before);
  // No refused CreateAccount made an account.
  EXPECT_TRUE(Create(v1::ROLE_BUYER, "fresh").ok());
  EXPECT_TRUE(Create(v1::ROLE_SELLER, "fresh").ok());
}

TEST_P(CustomerDbValidationTest, ConcurrentAddsNeverExceedAvailable) {
  auto [buyer_id, session] = SignUp(v1::ROLE_BUYER, "ivy");
  ASSERT_GT(buyer_id, 0);
  constexpr int kThreads = 32;
  constexpr int kAddsPerThread = 4;
  constexpr int64_t kAvailable = 50;
  std::atomic<int64_t> added{0};
  std::atomic<int> refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAddsPerThread; ++i) {
        int64_t quantity = 1 + (t + i) % 2;
        auto cart = Add(session, "7-1", quantity, kAvailable);
        if (cart.ok()) {
          added += quantity;
        } else if (cart.status().reason() == "insufficient_quantity") {
          ++refused;
        } else {
          ++other;
          ADD_FAILURE() << cart.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(refused.load(), 0);  // 32 * 4 * 1.5 units were asked for
  auto cart = client_->GetCart(session);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  ASSERT_EQ(cart->lines_size(), 1);
  EXPECT_LE(cart->lines(0).quantity(), kAvailable);
  // Every accepted add is in the cart: none was lost to a concurrent one.
  EXPECT_EQ(cart->lines(0).quantity(), added.load());
}

INSTANTIATE_TEST_SUITE_P(Engines, CustomerDbValidationTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::customer_db::testing
