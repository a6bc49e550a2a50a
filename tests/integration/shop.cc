#include "shop.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "common/clock.h"

namespace mp::integration {
namespace json = boost::json;

namespace {

// The JSON form of a price, as the API takes it (docs/contract.md §4).
json::value PriceValue(int64_t cents) {
  if (cents % 100 == 0) return json::value(cents / 100);
  return json::value(static_cast<double>(cents) / 100.0);
}

// Sum of "quantity" over the objects of the array `field` of a JSON body.
int64_t SumQuantities(const HttpResult& r, const char* field) {
  json::value v = r.json();
  if (r.status != 200 || !v.is_object()) return -1;
  const json::value* list = v.as_object().if_contains(field);
  if (list == nullptr || !list->is_array()) return -1;
  int64_t units = 0;
  for (const json::value& line : list->as_array()) units += line.at("quantity").as_int64();
  return units;
}

}  // namespace

Status Shop::OpenSeller() {
  seller_token_ = seller_http_.SignUpAndLogIn("seller", &seller_id_);
  if (seller_token_.empty()) return Unavailable("seller sign-up or login failed");
  return Status();
}

StatusOr<std::string> Shop::PutUp(const std::string& name, int64_t price_cents, int64_t quantity) {
  HttpResult r = seller_http_.Post("/v1/items",
                                   json::object{{"name", name},
                                                {"category", 1},
                                                {"keywords", json::array{"test"}},
                                                {"condition", "new"},
                                                {"price", PriceValue(price_cents)},
                                                {"quantity", quantity}},
                                   seller_token_);
  json::value v = r.json();
  if (r.status != 201 || !v.is_object()) {
    return Unavailable("register item: " + std::to_string(r.status) + " " + r.body);
  }
  std::string id(v.at("item_id").as_string());
  put_up_[id] += quantity;
  return id;
}

StatusOr<std::vector<Buyer>> Shop::SignUpBuyers(int n) {
  std::vector<Buyer> buyers(n);
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min(n, 8); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        Buyer& b = buyers[i];
        b.username = "buyer" + std::to_string(i);
        b.token = buyer_http_.SignUpAndLogIn(b.username, &b.id);
        if (b.token.empty()) ++failed;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (failed > 0) return Unavailable(std::to_string(failed) + " buyers could not sign up");
  return buyers;
}

Status Shop::AddToCart(const Buyer& buyer, const std::string& item_id, int64_t quantity) const {
  HttpResult r = buyer_http_.Post(
      "/v1/cart/items", json::object{{"item_id", item_id}, {"quantity", quantity}}, buyer.token);
  if (r.status != 200) return Unavailable("add to cart: " + std::to_string(r.status) + r.body);
  return Status();
}

HttpResult Shop::Purchase(const Buyer& buyer, const std::string& key,
                          const std::string& card) const {
  std::map<std::string, std::string> headers;
  if (!key.empty()) headers["Idempotency-Key"] = key;
  return buyer_http_.Post(
      "/v1/purchases",
      json::object{{"name", "Ada Buyer"}, {"card_number", card}, {"expiration", "12/39"}},
      buyer.token, headers);
}

int64_t Shop::CartUnits(const Buyer& buyer) const {
  return SumQuantities(buyer_http_.Get("/v1/cart", buyer.token), "items");
}

int64_t Shop::PurchasedUnits(const Buyer& buyer) const {
  return SumQuantities(buyer_http_.Get("/v1/purchases", buyer.token), "purchases");
}

int64_t Shop::Units(v1::Role role, int64_t user_id) const {
  v1::GetAccountRequest r;
  r.set_role(role);
  r.set_user_id(user_id);
  auto account = stack_.customers().GetAccount(r);
  return account.ok() ? account->units() : -1;
}

int64_t Shop::Stock(const std::string& item_id) const {
  v1::GetItemRequest r;
  r.set_item_id(item_id);
  auto item = stack_.products().GetItem(r);
  return item.ok() ? item->quantity() : -1;
}

Status Shop::WaitNoPending(std::chrono::seconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    v1::ListPendingPurchasesRequest r;
    r.set_started_before_ms(SystemClock().NowMs() + 3'600'000);
    r.set_limit(100);
    auto pending = stack_.customers().ListPendingPurchases(r);
    if (pending.ok() && pending->attempts().empty()) return Status();
    last = pending.ok()
               ? Unavailable(std::to_string(pending->attempts_size()) + " purchases still pending")
               : pending.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status(StatusCode::kDeadlineExceeded, last.message());
}

}  // namespace mp::integration
