#pragma once
// The seller API tests' fixture and request builders, on both engines
// (seller_routes_test.cc: the routes; seller_validation_test.cc: what they
// refuse).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "bad_tokens.h"
#include "http_expect.h"
#include "storage/test_database.h"
#include "test_stack.h"

namespace mp::seller_testing {

namespace json = boost::json;
using storage::Engine;
using testing::ErrorRow;
using testing::ExpectRefused;
using testing::HttpResult;
using testing::TestHttpClient;
using testing::TestStack;

inline json::object Lamp() {
  return {{"name", "Lamp"},     {"category", 3}, {"keywords", json::array{"Red", "lamp"}},
          {"condition", "new"}, {"price", 12.5}, {"quantity", 4}};
}

inline std::string With(const char* field, json::value value) {
  json::object o = Lamp();
  o[field] = std::move(value);
  return json::serialize(o);
}

inline json::string Repeat(const char* text, int times) {
  json::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// A register body of exactly `size` bytes (its name made long enough).
inline std::string BodyOfSize(size_t size) {
  const size_t base = With("name", "").size();
  return With("name", json::string(size - base, 'x'));
}

inline std::string Without(const char* field) {
  json::object o = Lamp();
  o.erase(field);
  return json::serialize(o);
}

// One request with exactly the Content-Type given (none when nullopt): the
// shared test client always sends application/json.
inline HttpResult SendAs(int port, const std::string& method, const std::string& target,
                         std::optional<std::string> content_type, const std::string& body) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  if (content_type) req.set(bhttp::field::content_type, *content_type);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  HttpResult result;
  result.status = static_cast<int>(res.result_int());
  result.body = res.body();
  for (const auto& field : res) {
    result.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return result;
}

class SellerApiTest : public ::testing::TestWithParam<Engine> {
 protected:
  virtual TestStack::Options StackOptions() const { return {.engine = GetParam()}; }

  void SetUp() override {
    auto stack = TestStack::Start(StackOptions());
    ASSERT_TRUE(stack.ok()) << stack.status().ToString();
    stack_ = std::move(stack).value();
    http_ = std::make_unique<TestHttpClient>(stack_->seller_port());
    token_ = http_->SignUpAndLogIn("seller1", "password1", &seller_id_);
    ASSERT_FALSE(token_.empty());
  }

  // Registers `item` as seller1 and returns its id.
  std::string Register(const json::object& item) {
    HttpResult r = http_->Post("/v1/items", item, token_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.json().at("item_id").as_string()) : "";
  }

  std::unique_ptr<TestStack> stack_;
  std::unique_ptr<TestHttpClient> http_;
  std::string token_;
  int64_t seller_id_ = 0;
};

}  // namespace mp::seller_testing
