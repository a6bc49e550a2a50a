#include "bench/setup.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mp::bench {
namespace asio = boost::asio;
namespace json = boost::json;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view kPassword = "bench-password-1";
// A declined payment leaves nothing changed; past this many in a row the
// payment service is not approving at all.
constexpr int kPurchaseAttempts = 50;

Status Expect(const StatusOr<HttpReply>& reply, int status, std::string_view what) {
  if (!reply.ok()) return reply.status();
  if (reply->status == status) return Status();
  return Internal(std::string(what) + ": HTTP " + std::to_string(reply->status) + " " +
                  std::string(reply->body.substr(0, 300)));
}

// Sends a call planned into the session and expects its status.
asio::awaitable<Status> Send(Session& s, const PlannedCall& call) {
  auto reply = co_await s.connection.Call(call.verb, s.target, s.body);
  co_return Expect(reply, call.expected_status, CallName(call.type));
}

}  // namespace

asio::awaitable<Status> CreateAccountAndLogin(Session& s, std::string_view tag) {
  bool seller = s.role == Role::kSeller;
  s.username = std::string(tag) + (seller ? "s" : "b") + std::to_string(s.index);
  std::string name =
      std::string(seller ? "Bench seller " : "Bench buyer ") + std::to_string(s.index);
  std::string account = json::serialize(
      json::object{{"username", s.username}, {"password", kPassword}, {"name", name}});
  auto created = co_await s.connection.Call(bhttp::verb::post, "/v1/accounts", account);
  if (Status st = Expect(created, 201, "CreateAccount"); !st.ok()) co_return st;

  std::string login =
      json::serialize(json::object{{"username", s.username}, {"password", kPassword}});
  auto session = co_await s.connection.Call(bhttp::verb::post, "/v1/sessions", login);
  if (Status st = Expect(session, 201, "Login"); !st.ok()) co_return st;
  boost::system::error_code ec;
  json::value reply = json::parse(session->body, ec);
  const json::object* object = ec ? nullptr : reply.if_object();
  const json::value* token = object ? object->if_contains("token") : nullptr;
  const json::value* id = object ? object->if_contains(seller ? "seller_id" : "buyer_id") : nullptr;
  if (token == nullptr || !token->is_string() || id == nullptr || !id->is_int64()) {
    co_return Internal("Login: unexpected reply " + std::string(session->body.substr(0, 300)));
  }
  s.connection.SetToken(std::string(token->get_string()));
  s.user_id = id->get_int64();
  co_return Status();
}

asio::awaitable<Status> SeedItems(Session& s, int count) {
  for (int i = 0; i < count; ++i) {
    PlannedCall call = PlanNewItem(s, kNewItemUnits);
    auto reply = co_await s.connection.Call(call.verb, s.target, s.body);
    if (Status st = Expect(reply, 201, "RegisterItemForSale"); !st.ok()) co_return st;
    // OnSuccess reads the new item's id from the reply.
    OnSuccess(WorkloadContext{}, s, call, reply->body);
    if (s.items.size() != static_cast<size_t>(i + 1)) {
      co_return Internal("RegisterItemForSale: no item_id in " + std::string(reply->body));
    }
  }
  co_return Status();
}

asio::awaitable<Status> LoadCatalogSeller(Session& s, std::string_view tag, const Catalog& catalog,
                                          int64_t first, int64_t count,
                                          std::atomic<int64_t>& done) {
  const std::string seller_tag = std::string(tag) + "c";
  if (Status st = co_await CreateAccountAndLogin(s, seller_tag); !st.ok()) co_return st;
  for (int64_t n = first; n < first + count; ++n) {
    std::string body = catalog.ItemBody(n, s.rng);
    auto reply = co_await s.connection.Call(bhttp::verb::post, "/v1/items", body);
    if (Status st = Expect(reply, 201, "RegisterItemForSale (catalogue)"); !st.ok()) co_return st;
    done.fetch_add(1, std::memory_order_relaxed);
  }
  co_return Status();
}

namespace {

// Buys the cart, again while the payment service declines.
asio::awaitable<Status> BuyCart(Session& s, const std::string& purchase_body) {
  for (int attempt = 0;; ++attempt) {
    auto reply = co_await s.connection.Call(bhttp::verb::post, "/v1/purchases", purchase_body);
    if (reply.ok() && reply->status == 402 && attempt + 1 < kPurchaseAttempts) continue;
    co_return Expect(reply, 201, "MakePurchase");
  }
}

}  // namespace

asio::awaitable<Status> LoadHistoryBuyer(Session& s, std::string_view tag,
                                         const std::vector<std::string>& items, int purchases,
                                         const std::string& purchase_body) {
  if (Status st = co_await CreateAccountAndLogin(s, tag); !st.ok()) co_return st;
  for (int p = 0; p < purchases; ++p) {
    const std::string& item = items[s.rng.Below(static_cast<uint32_t>(items.size()))];
    std::string line = R"({"item_id":")" + item + R"(","quantity":1})";
    auto added = co_await s.connection.Call(bhttp::verb::post, "/v1/cart/items", line);
    if (Status st = Expect(added, 200, "AddItemToCart (history)"); !st.ok()) co_return st;
    if (Status st = co_await BuyCart(s, purchase_body); !st.ok()) co_return st;
  }
  co_return Status();
}

asio::awaitable<Status> SeedBuyer(const WorkloadContext& c, Session& s) {
  for (int i = 0; i < 2; ++i) {
    PlannedCall add = PlanAddToCart(c, s);
    if (Status st = co_await Send(s, add); !st.ok()) co_return st;
    OnSuccess(c, s, add, {});
  }
  if (Status st = co_await BuyCart(s, c.purchase_body); !st.ok()) co_return st;
  PlannedCall bought;
  bought.type = CallType::kMakePurchase;
  OnSuccess(c, s, bought, {});
  PlannedCall add = PlanAddToCart(c, s);
  if (Status st = co_await Send(s, add); !st.ok()) co_return st;
  OnSuccess(c, s, add, {});
  auto saved = co_await s.connection.Call(bhttp::verb::post, "/v1/cart/save", "");
  co_return Expect(saved, 204, "SaveCart");
}

}  // namespace mp::bench
