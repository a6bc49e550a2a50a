// Checks that docs/api/{seller,buyer}.yaml and the routers agree: every route
// a server serves is documented, and every documented route is served.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "buyer_frontend/buyer_routes.h"
#include "http/auth.h"
#include "http/frontend.h"
#include "http/router.h"
#include "http/token.h"
#include "rpc/customer_db_client.h"
#include "rpc/health_client.h"
#include "rpc/product_db_client.h"
#include "seller_frontend/seller_routes.h"

namespace mp {
namespace {

// The operations under `paths:` of an OpenAPI YAML document, as
// "METHOD /path". A line-based reader for the layout of docs/api: top-level
// keys at column 0, paths at 2 spaces, operations at 4. Anything else at 4
// spaces inside a path but the path-level fields is an error, so that a
// layout this reader does not understand (e.g. a path item $ref) fails
// loudly instead of hiding routes. (Block scalars cannot hold lines at 2 or
// 4 spaces inside `paths:`: their text is indented deeper than their key.)
struct ParsedPaths {
  std::vector<std::string> operations;
  std::vector<std::string> errors;
};

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t");
  size_t end = s.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : s.substr(begin, end - begin + 1);
}

// "key:" (optionally quoted, optionally with a trailing comment) -> key;
// "" when the line is not a bare mapping key.
std::string BareKey(const std::string& text) {
  std::string t = Trim(text);
  if (size_t hash = t.find(" #"); hash != std::string::npos) t = Trim(t.substr(0, hash));
  if (t.size() < 2 || t.back() != ':') return "";
  t.pop_back();
  if (t.size() >= 2 && (t.front() == '\'' || t.front() == '"') && t.back() == t.front()) {
    t = t.substr(1, t.size() - 2);
  }
  return t;
}

size_t Indent(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

ParsedPaths ParseOpenApiPaths(std::istream& in) {
  static const std::set<std::string> kMethods = {"get",   "put",  "post",    "delete",
                                                 "patch", "head", "options", "trace"};
  static const std::set<std::string> kPathFields = {"summary", "description", "parameters",
                                                    "servers"};
  ParsedPaths out;
  std::set<std::string> seen;
  bool in_paths = false;
  std::string path;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    if (line.find('\t') < line.find_first_not_of(" \t")) {
      out.errors.push_back("line " + std::to_string(number) + ": tab in indentation");
      continue;
    }
    size_t indent = Indent(line);
    if (indent == 0) {
      in_paths = trimmed.rfind("paths:", 0) == 0;
      if (in_paths && trimmed != "paths:") {
        out.errors.push_back("line " + std::to_string(number) + ": inline `paths:` value");
      }
      path.clear();
      continue;
    }
    if (!in_paths) continue;
    if (indent == 2) {
      path = BareKey(line);
      if (path.empty() || path[0] != '/') {
        out.errors.push_back("line " + std::to_string(number) + ": not a path key: " + trimmed);
        path.clear();
      }
    } else if (indent == 4) {
      std::string key = BareKey(line);
      if (key.empty()) key = Trim(line.substr(0, line.find(':')));
      if (path.empty()) {
        out.errors.push_back("line " + std::to_string(number) + ": field outside a path");
      } else if (kMethods.count(key)) {
        std::string upper;
        for (char c : key) upper.push_back(static_cast<char>(c - 'a' + 'A'));
        std::string operation = upper + " " + path;
        if (!seen.insert(operation).second) {
          out.errors.push_back("line " + std::to_string(number) + ": duplicate " + operation);
        }
        out.operations.push_back(operation);
      } else if (!kPathFields.count(key)) {
        out.errors.push_back("line " + std::to_string(number) + ": unsupported path field `" + key +
                             "` under " + path);
      }
    }
  }
  return out;
}

ParsedPaths ParseFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {{}, {"cannot read " + path}};
  return ParseOpenApiPaths(in);
}

// A router built by the function every server builds its own with, with
// clients pointing at an address nothing listens on: the handlers are never
// invoked.
class Frontend {
 public:
  explicit Frontend(v1::Role role)
      : spec_(role == v1::ROLE_SELLER
                  ? seller_frontend::SellerFrontend()
                  : buyer_frontend::BuyerFrontend(
                        std::make_shared<buyer_frontend::BuyerOptions>(buyer_frontend::BuyerOptions{
                            .payment_url = "http://127.0.0.1:1/", .purchase_threads = 1}))),
        codec_(std::string(32, 'k')),
        customers_({.addresses = {"127.0.0.1:1"}, .channels_per_address = 1}),
        products_({.addresses = {"127.0.0.1:1"}, .channels_per_address = 1}),
        probe_({"127.0.0.1:1"}),
        auth_(codec_, customers_, role),
        router_(spec_.component, &auth_) {
    auto routes = http::AddFrontendRoutes(
        router_, spec_, {codec_, auth_, customers_, products_, probe_, plaintext_});
    EXPECT_TRUE(routes.ok()) << routes.status().ToString();
    if (routes.ok()) routes_ = *routes;
  }

  std::vector<std::string> Routes() const { return router_.RouteNames(); }

 private:
  const http::FrontendSpec spec_;
  http::TokenCodec codec_;
  rpc::CustomerDbClient customers_;
  rpc::ProductDbClient products_;
  rpc::HealthProbe probe_;
  const tls::TlsFiles plaintext_;
  http::SessionAuth auth_;
  http::Router router_;
  std::shared_ptr<void> routes_;
};

// Both directions, for one server and its document.
void ExpectDocumentMatchesRouter(v1::Role role, const std::string& document) {
  ParsedPaths doc = ParseFile(std::string(MP_API_DOCS_DIR) + "/" + document);
  ASSERT_THAT(doc.errors, testing::IsEmpty()) << document;
  ASSERT_FALSE(doc.operations.empty()) << "no operations read from " << document;
  std::set<std::string> documented(doc.operations.begin(), doc.operations.end());

  Frontend frontend(role);
  std::vector<std::string> routes = frontend.Routes();
  std::set<std::string> served(routes.begin(), routes.end());
  EXPECT_EQ(served.size(), routes.size()) << "a route is registered twice";
  EXPECT_TRUE(served.count("GET /metrics"));
  EXPECT_TRUE(served.count("GET /healthz"));

  for (const std::string& route : served) {
    EXPECT_TRUE(documented.count(route))
        << route << " is served but not documented in docs/api/" << document;
  }
  for (const std::string& operation : documented) {
    EXPECT_TRUE(served.count(operation))
        << operation << " is documented in docs/api/" << document << " but not served";
  }
}

TEST(ApiDocumentTest, SellerDocumentHoldsExactlyTheServedRoutes) {
  ExpectDocumentMatchesRouter(v1::ROLE_SELLER, "seller.yaml");
}

TEST(ApiDocumentTest, BuyerDocumentHoldsExactlyTheServedRoutes) {
  ExpectDocumentMatchesRouter(v1::ROLE_BUYER, "buyer.yaml");
}

// The reader itself, on the layouts it must handle and those it must refuse.
TEST(OpenApiPathReaderTest, ReadsOperationsOnlyUnderPaths) {
  std::istringstream yaml(R"(openapi: 3.1.0
info:
  title: x
  # a comment
paths:
  /a:
    get:
      summary: 'get: not an operation'
      responses:
        '200':
          description: ok
    post:
      operationId: P
  '/b/{id}':
    parameters:
      - name: id
    delete:  # trailing comment
      operationId: D
components:
  schemas:
    /notapath:
      get:
        type: string
)");
  ParsedPaths parsed = ParseOpenApiPaths(yaml);
  EXPECT_THAT(parsed.errors, testing::IsEmpty());
  EXPECT_THAT(parsed.operations, testing::ElementsAre("GET /a", "POST /a", "DELETE /b/{id}"));
}

TEST(OpenApiPathReaderTest, RefusesLayoutsItDoesNotUnderstand) {
  for (const char* text : {
           "paths:\n  /a:\n    $ref: './other.yaml#/a'\n",
           "paths:\n  /a:\n    get:\n      summary: x\n    get:\n      "
           "summary: y\n",
           "paths: {}\n",
           "paths:\n  a:\n    get:\n      summary: x\n",
       }) {
    std::istringstream yaml(text);
    EXPECT_THAT(ParseOpenApiPaths(yaml).errors, testing::Not(testing::IsEmpty())) << text;
  }
}

}  // namespace
}  // namespace mp
