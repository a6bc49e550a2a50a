// Slow and abusive clients against a real seller server process (issue 8,
// item 3): slow-loris, thousands of idle connections, the connection cap,
// pipelining, huge headers, clients that vanish mid-response, and accept
// failing with EMFILE. Each case checks that the server goes on serving a
// normal client, that it freed what the abuser held, and that it is alive.
// The server runs as a child process, so its memory and file descriptors
// are measured alone (/proc/<pid>).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "raw_client.h"
#include "shop.h"

namespace mp::integration {
namespace {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Sanitizers pad and quarantine allocations: a sanitized server's RSS says
// nothing about what a connection costs (scripts/sanitize.sh builds every
// binary with the same flags as this test).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// What /proc says about the server process.
int64_t RssKib(pid_t pid) {
  std::ifstream in(Cat("/proc/", std::to_string(pid), "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

int OpenFds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it(Cat("/proc/", std::to_string(pid), "/fd"), ec), end;
       !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

// User + system CPU time used so far.
double CpuSeconds(pid_t pid) {
  std::ifstream in(Cat("/proc/", std::to_string(pid), "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Waits until `done()` holds or `timeout` passes; returns done().
template <typename F>
bool WaitFor(F done, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Raises this process's soft RLIMIT_NOFILE to its hard limit (the servers
// it starts inherit it); returns the new soft limit.
rlim_t RaiseFileLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// The body of a registration of a small item called `name`.
std::string LampJson(const std::string& name) {
  return json::serialize(json::object{{"name", name},
                                      {"category", 3},
                                      {"keywords", json::array{"lamp"}},
                                      {"condition", "new"},
                                      {"price", 12.5},
                                      {"quantity", 4}});
}

class AbuseTest : public ::testing::Test {
 protected:
  // Starts a stack whose seller server gets `seller_flags`, and a seller.
  void StartStack(std::vector<std::string> seller_flags = {}) {
    StackOptions options;
    options.extra_args[Component::kSellerServer] = std::move(seller_flags);
    auto stack = ProcessStack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status().ToString();
    stack_ = std::move(stack).value();
    port_ = stack_->seller_port();
    pid_ = stack_->pid(Component::kSellerServer);
    http_ = std::make_unique<HttpClient>(port_, 10s);
    token_ = http_->SignUpAndLogIn("seller");
    ASSERT_FALSE(token_.empty());
  }

  void TearDown() override {
    if (HasFailure() && stack_ != nullptr) std::cerr << stack_->Logs();
  }

  // A normal client is answered, by a server that still runs.
  void ExpectServes(const std::string& when) {
    EXPECT_TRUE(stack_->Running(Component::kSellerServer)) << when;
    HttpResult health = http_->Get("/healthz");
    EXPECT_EQ(health.status, 200) << when << ": " << health.body;
    HttpResult items = http_->Get("/v1/items", token_);
    EXPECT_EQ(items.status, 200) << when << ": " << items.body;
  }

  std::string RegisterItem(int i) {
    std::string name = Cat("Item ", std::to_string(i), " ");
    name.resize(32, 'x');
    HttpResult r = http_->Post(
        "/v1/items",
        json::object{
            {"name", name},
            {"category", 3},
            {"keywords", json::array{"abcdefgh", "bcdefghi", "cdefghij", "defghijk", "efghijkl"}},
            {"condition", "used"},
            {"price", 999999.99},
            {"quantity", 1000 + i}},
        token_);
    EXPECT_EQ(r.status, 201) << r.body;
    json::value v = r.json();
    return v.is_object() && v.as_object().contains("item_id")
               ? std::string(v.at("item_id").as_string())
               : "";
  }

  std::unique_ptr<ProcessStack> stack_;
  std::unique_ptr<HttpClient> http_;
  std::string token_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Slow-loris: heads (and a body) trickling in a byte at a time, steadily,
// are cut off by the read deadline counted from the first byte, while a
// normal client is served all along.
TEST_F(AbuseTest, SlowLorisIsCutOffAtTheReadDeadline) {
  ASSERT_NO_FATAL_FAILURE(StartStack({"--read-timeout", "2"}));
  constexpr int kSlow = 8;
  std::vector<Fd> slow;
  std::vector<std::string> scripts;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(Connect(port_));
    ASSERT_TRUE(slow.back().valid()) << std::strerror(errno);
    std::string script;
    if (i % 2 == 0) {
      // A head that never ends: one header after another.
      script = "GET /v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n";
      for (int h = 0; h < 1000; ++h) script += "X-Slow: a\r\n";
    } else {
      // A whole head at once, then a body announced but trickling in.
      ASSERT_TRUE(SendAll(slow.back().get(),
                          "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"));
      script = "{\"username\":\"";
      script.resize(5000, 'u');
    }
    scripts.push_back(std::move(script));
  }

  std::vector<size_t> sent(kSlow, 0);
  std::vector<bool> closed(kSlow, false);
  int open = kSlow, served = 0;
  auto deadline = Clock::now() + 30s;
  while (open > 0 && Clock::now() < deadline) {
    for (int i = 0; i < kSlow; ++i) {
      if (closed[i]) continue;
      if (ClosedByPeer(slow[i].get()) ||
          !SendAll(slow[i].get(), std::string_view(scripts[i]).substr(sent[i]++, 1))) {
        closed[i] = true;
        --open;
      }
    }
    HttpResult r = http_->Get("/healthz");
    EXPECT_EQ(r.status, 200) << "a normal client while " << open << " slow clients trickle";
    ++served;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(open, 0) << "slow clients still connected after 30 s with --read-timeout 2";
  for (int i = 0; i < kSlow; ++i) {
    EXPECT_LT(sent[i], scripts[i].size()) << "slow client " << i << " ran out of bytes to send";
  }
  EXPECT_GT(served, 0);
  ExpectServes("after the slow clients");
}

// An idle connection costs little, and thousands of them do not keep a
// normal client out. Part of them made a request with a large header first,
// so the buffers a request grew must be released while idle.
TEST_F(AbuseTest, TenThousandIdleConnections) {
  constexpr int kWanted = 10000;
  constexpr int kSpareFds = 200;  // this process's own: gRPC, logs, the stack
  const rlim_t limit = RaiseFileLimit();
  const int count =
      static_cast<int>(std::min<rlim_t>(kWanted, limit > kSpareFds ? limit - kSpareFds : 0));
  if (count < kWanted) {
    std::cout << "RLIMIT_NOFILE hard limit is " << limit << ": opening only " << count
              << " idle connections instead of " << kWanted << "\n";
  }
  ASSERT_GE(count, 1000) << "RLIMIT_NOFILE hard limit " << limit << " is too low for this test";
  ASSERT_NO_FATAL_FAILURE(StartStack());
  ExpectServes("before");
  const int fds_before = OpenFds(pid_);
  const int64_t rss_before = RssKib(pid_);
  ASSERT_GT(rss_before, 0);

  const std::string padded =
      Cat("GET /v1/no-such-route HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ", std::string(12000, 'p'),
          "\r\n\r\n");
  std::vector<Fd> idle;
  idle.reserve(count);
  for (int i = 0; i < count; ++i) {
    idle.push_back(Connect(port_));
    ASSERT_TRUE(idle.back().valid()) << "connection " << i << ": " << std::strerror(errno);
    if (i % 10 == 0) {
      ASSERT_TRUE(SendAll(idle.back().get(), padded));
    }
  }
  // Take the answers (404), leaving those connections idle after a request.
  for (int i = 0; i < count; i += 10) {
    Received r = ReadAnswer(idle[i].get(), 30s);
    ASSERT_FALSE(r.closed) << "connection " << i << " closed";
    std::vector<ParsedResponse> answers = ParseResponses(r.data);
    ASSERT_EQ(answers.size(), 1u) << "connection " << i << ": " << r.data;
    ASSERT_EQ(answers[0].status, 404) << answers[0].body;
  }
  // (A connection of the normal client may have been open at fds_before.)
  ASSERT_TRUE(WaitFor([&] { return OpenFds(pid_) >= fds_before + count - 2; }, 60s))
      << "the server holds " << OpenFds(pid_) - fds_before << " of " << count << " connections";

  ExpectServes("with the idle connections open");
  const int64_t growth_kib = RssKib(pid_) - rss_before;
  std::cout << count << " idle connections: server RSS " << rss_before << " KiB -> "
            << rss_before + growth_kib << " KiB, " << growth_kib * 1024 / count
            << " bytes per connection\n";
  // Bound: 4 KiB per connection. Measured: about 2.2 KiB (a session, its
  // socket, its pending read and timer); 8.5 KiB when every session carried
  // a 16 KiB drop buffer and kept its request buffer while idle.
  if (kSanitized) {
    std::cout << "sanitized build: the RSS bound is not checked\n";
  } else {
    EXPECT_LT(growth_kib, count * 4) << "server RSS grew by " << growth_kib << " KiB";
  }

  idle.clear();
  EXPECT_TRUE(WaitFor([&] { return OpenFds(pid_) <= fds_before + 5; }, 60s))
      << "the server still holds " << OpenFds(pid_) - fds_before << " connections";
  ExpectServes("after the idle connections closed");
}

// --max-connections: connections beyond it are closed at once; a slot
// freed by a client or by the idle timeout lets new ones in again.
TEST_F(AbuseTest, ConnectionCapRefusesExtrasUntilSlotsFree) {
  constexpr int kCap = 20;
  ASSERT_NO_FATAL_FAILURE(
      StartStack({"--max-connections", std::to_string(kCap), "--idle-timeout", "8"}));
  // The normal client's last connection of StartStack may still hold a slot
  // for a moment: the server learns of its close asynchronously.
  std::this_thread::sleep_for(500ms);
  std::vector<Fd> conns;
  for (int i = 0; i < kCap + 5; ++i) {
    conns.push_back(Connect(port_));
    ASSERT_TRUE(conns.back().valid()) << std::strerror(errno);
  }
  std::this_thread::sleep_for(1s);
  std::vector<int> accepted;
  for (int i = 0; i < kCap + 5; ++i) {
    if (!ClosedByPeer(conns[i].get())) accepted.push_back(i);
  }
  EXPECT_LE(accepted.size(), static_cast<size_t>(kCap));
  EXPECT_GE(accepted.size(), static_cast<size_t>(kCap - 2))
      << "a connection of the normal client may still hold a slot";
  EXPECT_EQ(http_->Get("/healthz").status, 0) << "served beyond --max-connections";

  // A client leaves: the next one gets in.
  ASSERT_FALSE(accepted.empty());
  conns[accepted.front()].Reset();
  EXPECT_TRUE(WaitFor([&] { return http_->Get("/healthz").status == 200; }, 10s))
      << "not served after a connection closed";

  // The idle timeout frees the rest.
  for (size_t k = 1; k < accepted.size(); ++k) {
    EXPECT_TRUE(ReadUntilClosed(conns[accepted[k]].get(), 30s).closed)
        << "connection " << accepted[k] << " not closed by the idle timeout";
  }
  ExpectServes("after the idle timeout");
}

// N requests in one send get N answers in order, an error and a write
// among them; the connection stays usable between them.
TEST_F(AbuseTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  const std::string item = LampJson("Pipelined lamp");
  struct Step {
    std::string request;
    int status;
  };
  std::vector<Step> steps;
  for (int i = 0; i < 40; ++i) {
    switch (i) {
      case 10:
        steps.push_back({RequestText("POST", "/v1/items", token_, item), 201});
        break;
      case 11:
        steps.push_back({RequestText("POST", "/v1/items", token_, "{not json"), 400});
        break;
      case 12:
        steps.push_back({RequestText("GET", "/v1/items", token_), 200});
        break;
      case 13:
        steps.push_back({RequestText("GET", "/v1/items", "not-a-token"), 401});
        break;
      default:
        if (i % 5 == 3) {
          steps.push_back({RequestText("GET", "/v1/no-such-route"), 404});
        } else {
          steps.push_back({RequestText("GET", "/healthz"), 200});
        }
    }
  }
  steps.push_back({RequestText("GET", "/healthz", "", "", /*close=*/true), 200});
  std::string all;
  for (const Step& s : steps) all += s.request;

  Fd fd = Connect(port_);
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(send(fd.get(), all.data(), all.size(), MSG_NOSIGNAL), static_cast<ssize_t>(all.size()));
  Received got = ReadUntilClosed(fd.get(), 60s);
  EXPECT_TRUE(got.closed) << "Connection: close on the last request";
  std::vector<ParsedResponse> answers = ParseResponses(got.data);
  ASSERT_EQ(answers.size(), steps.size()) << got.data;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(answers[i].status, steps[i].status) << "answer " << i << ": " << answers[i].body;
  }
  // The listing came after the registration, and shows it.
  json::value created = json::parse(answers[10].body);
  ASSERT_TRUE(created.is_object()) << answers[10].body;
  EXPECT_NE(answers[12].body.find(std::string(created.at("item_id").as_string())),
            std::string::npos)
      << answers[12].body;
  ExpectServes("after the pipeline");
}

// Replies the socket cannot take at once: a client with a small receive
// buffer pipelines listings (each answered after an RPC, so written from
// the client queue's thread while it can be) and reads nothing for a
// while. The first replies fill the socket, the rest wait on the io
// thread's write; every one then arrives whole, in order, and equal.
TEST_F(AbuseTest, RepliesTheSocketCannotTakeAtOnceArriveWholeAndInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  for (int i = 0; i < 20; ++i) ASSERT_FALSE(RegisterItem(i).empty());
  HttpResult one = http_->Get("/v1/items?limit=20", token_);
  ASSERT_EQ(one.status, 200) << one.body;
  ASSERT_GT(one.body.size(), 2000u);

  constexpr int kRequests = 200;  // about 600 KiB of replies
  std::string all;
  for (int i = 0; i < kRequests; ++i) all += RequestText("GET", "/v1/items?limit=20", token_);
  all += RequestText("GET", "/healthz", "", "", /*close=*/true);
  Fd fd = Connect(port_, /*rcvbuf=*/4096);
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(send(fd.get(), all.data(), all.size(), MSG_NOSIGNAL), static_cast<ssize_t>(all.size()));
  std::this_thread::sleep_for(1s);
  Received got = ReadUntilClosed(fd.get(), 60s);
  EXPECT_TRUE(got.closed);
  std::vector<ParsedResponse> answers = ParseResponses(got.data);
  ASSERT_EQ(answers.size(), static_cast<size_t>(kRequests + 1));
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(answers[i].status, 200) << "answer " << i << ": " << answers[i].body;
    ASSERT_EQ(answers[i].body, one.body) << "answer " << i;
  }
  EXPECT_EQ(answers.back().status, 200);
  ExpectServes("after the replies");
}

// A 100 KiB header line, 10,000 small headers and a 100 KiB target each
// get 431 with a docs/contract.md §4 body, and the connection is closed.
TEST_F(AbuseTest, HugeHeadersGet431AndTheConnectionClosed) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  std::string many = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 10000; ++i) many += Cat("X-H", std::to_string(i), ": v\r\n");
  many += "\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a 100 KiB header line", Cat("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ",
                                    std::string(100 * 1024, 'a'), "\r\n\r\n")},
      {"10,000 headers", many},
      {"a 100 KiB target", Cat("GET /healthz?q=", std::string(100 * 1024, 'q'),
                               " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")},
  };
  for (const auto& [what, request] : cases) {
    Fd fd = Connect(port_);
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(SendAll(fd.get(), request)) << what;
    Received got = ReadUntilClosed(fd.get(), 30s);
    EXPECT_TRUE(got.closed) << what << ": connection left open";
    std::vector<ParsedResponse> answers = ParseResponses(got.data);
    ASSERT_EQ(answers.size(), 1u) << what << ": " << got.data;
    EXPECT_EQ(answers[0].status, 431) << what;
    EXPECT_NE(answers[0].body.find(R"("code":"headers_too_large")"), std::string::npos)
        << what << ": " << answers[0].body;
    ExpectServes(Cat("after ", what));
  }
}

// Chunked bodies whose last bytes arrive one at a time, each in a read of
// its own. A body of only the final chunk once stopped the fuzz build on a
// Beast assertion that is wrong in Debian 12's Boost (src/common/
// boost_assert.cc); sanitizer builds of the server assert the same way.
// Both requests are answered on the same connection, which stays open.
TEST_F(AbuseTest, ChunkedBodiesTricklingInAreAnswered) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  const std::string item = LampJson("Trickled lamp");
  const size_t half = item.size() / 2;
  auto chunk = [](std::string_view data) {
    std::ostringstream out;
    out << std::hex << data.size() << "\r\n" << data << "\r\n";
    return out.str();
  };
  struct Case {
    std::string what;
    std::string body;  // chunked
    int status;
  };
  const std::vector<Case> cases = {
      {"only the final chunk", "0\r\n\r\n", 400},
      {"two chunks and the final one",
       Cat(chunk(std::string_view(item).substr(0, half)),
           chunk(std::string_view(item).substr(half)), "0\r\n\r\n"),
       201},
  };
  Fd fd = Connect(port_);
  ASSERT_TRUE(fd.valid());
  int one = 1;  // every byte its own segment
  ASSERT_EQ(setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
  for (const Case& c : cases) {
    ASSERT_TRUE(SendAll(fd.get(), Cat("POST /v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      "Authorization: Bearer ",
                                      token_,
                                      "\r\nContent-Type: application/json\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n")))
        << c.what;
    for (char byte : c.body) {
      ASSERT_TRUE(SendAll(fd.get(), std::string_view(&byte, 1))) << c.what;
      std::this_thread::sleep_for(5ms);  // one read per byte on the server's side
    }
    Received got = ReadAnswer(fd.get(), 10s);
    ASSERT_FALSE(got.closed) << c.what << ": the connection was closed: " << got.data;
    std::vector<ParsedResponse> answers = ParseResponses(got.data);
    ASSERT_EQ(answers.size(), 1u) << c.what << ": " << got.data;
    EXPECT_EQ(answers[0].status, c.status) << c.what << ": " << answers[0].body;
  }
  HttpResult listing = http_->Get("/v1/items", token_);
  ASSERT_EQ(listing.status, 200) << listing.body;
  EXPECT_NE(listing.body.find("Trickled lamp"), std::string::npos) << listing.body;
  ExpectServes("after the chunked bodies");
}

// Clients that ask for a large answer and vanish before it is written
// (reset after a few bytes, reset at once, half-close) cost the server
// nothing lasting: it serves on and holds no descriptor for them.
TEST_F(AbuseTest, ClientsVanishingMidResponse) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  for (int i = 0; i < 250; ++i) ASSERT_FALSE(RegisterItem(i).empty());
  // The largest page: the list is paged (50 items by default).
  const std::string target = "/v1/items?limit=500";
  HttpResult full = http_->Get(target, token_);
  ASSERT_EQ(full.status, 200);
  ASSERT_GT(full.body.size(), 40'000u) << "the listing must not fit the socket buffers";
  const int fds_before = OpenFds(pid_);

  const std::string request = RequestText("GET", target, token_);
  constexpr int kRounds = 300;
  for (int i = 0; i < kRounds; ++i) {
    Fd fd = Connect(port_, /*rcvbuf=*/4096);
    ASSERT_TRUE(fd.valid()) << "round " << i << ": " << std::strerror(errno);
    ASSERT_TRUE(SendAll(fd.get(), request));
    switch (i % 3) {
      case 0: {  // a few bytes, then a reset
        char buf[64];
        pollfd p{fd.get(), POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 30000), 1) << "round " << i << ": no answer";
        ASSERT_GT(recv(fd.get(), buf, sizeof buf, 0), 0);
        SendReset(fd);
        break;
      }
      case 1:  // a reset before the answer
        SendReset(fd);
        break;
      case 2:  // no more reading, and a FIN
        shutdown(fd.get(), SHUT_WR);
        fd.Reset();
        break;
    }
    if (i % 50 == 49) {
      HttpResult r = http_->Get(target, token_);
      EXPECT_EQ(r.status, 200) << "round " << i;
      EXPECT_EQ(r.body.size(), full.body.size()) << "round " << i;
    }
  }
  EXPECT_TRUE(WaitFor([&] { return OpenFds(pid_) <= fds_before + 2; }, 30s))
      << "the server still holds " << OpenFds(pid_) - fds_before << " connections";
  ExpectServes("after the vanishing clients");
}

// Out of file descriptors, accept fails with EMFILE while connections wait
// in the listen queue. The server must wait and retry, not spin on accept,
// and take the waiting connections once descriptors free up.
TEST_F(AbuseTest, AcceptOutOfFileDescriptorsBacksOffAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(StartStack());
  const int fds = OpenFds(pid_);
  ASSERT_GT(fds, 0);
  rlimit low{static_cast<rlim_t>(fds + 10), 0}, old{};
  ASSERT_EQ(prlimit(pid_, RLIMIT_NOFILE, nullptr, &old), 0) << std::strerror(errno);
  low.rlim_max = old.rlim_max;
  ASSERT_EQ(prlimit(pid_, RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);

  constexpr int kClients = 40;
  std::vector<Fd> conns;
  for (int i = 0; i < kClients; ++i) {
    conns.push_back(Connect(port_));  // the kernel completes it even unaccepted
    ASSERT_TRUE(conns.back().valid()) << std::strerror(errno);
  }
  ASSERT_TRUE(WaitFor([&] { return OpenFds(pid_) >= fds + 8; }, 10s))
      << "the server accepted only " << OpenFds(pid_) - fds;
  std::this_thread::sleep_for(500ms);  // accept is failing by now
  const double cpu_before = CpuSeconds(pid_);
  std::this_thread::sleep_for(3s);
  const double cpu = CpuSeconds(pid_) - cpu_before;
  std::cout << "out of descriptors: " << OpenFds(pid_) - fds << " connections taken, server CPU "
            << cpu << " s in 3 s\n";
  // A loop retrying accept at once takes all the CPU it can get, on each io
  // thread with a connection waiting (measured: 0.6-0.8 s in 2 s on two
  // overloaded cores); a server idle but for a retry every 100 ms takes
  // next to nothing (measured: 0). CPU time, not wall time: load cannot
  // push the latter up.
  EXPECT_LT(cpu, 0.25) << "the server used " << cpu << " s of CPU in 3 s out of descriptors";
  EXPECT_NE(stack_->Logs().find("accept failed"), std::string::npos);

  ASSERT_EQ(prlimit(pid_, RLIMIT_NOFILE, &old, nullptr), 0) << std::strerror(errno);
  // Every waiting connection is taken and served.
  const std::string health = RequestText("GET", "/healthz", "", "", /*close=*/true);
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(SendAll(conns[i].get(), health));
  for (int i = 0; i < kClients; ++i) {
    Received got = ReadAnswer(conns[i].get(), 30s);
    std::vector<ParsedResponse> answers = ParseResponses(got.data);
    ASSERT_EQ(answers.size(), 1u) << "connection " << i << ": " << got.data;
    EXPECT_EQ(answers[0].status, 200) << "connection " << i;
  }
  ExpectServes("after descriptors freed up");
}

}  // namespace
}  // namespace mp::integration
