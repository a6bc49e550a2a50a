#include "process_stack.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/password.h"
#include "launcher/http_probe.h"
#include "rpc/health_client.h"

namespace mp::integration {
namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr Component kAll[] = {Component::kCustomerDb, Component::kProductDb, Component::kPayment,
                              Component::kSellerServer, Component::kBuyerServer};

const char* Program(Component c) {
  switch (c) {
    case Component::kCustomerDb:
      return "mp-customer-db";
    case Component::kProductDb:
      return "mp-product-db";
    case Component::kPayment:
      return "mp-payment";
    case Component::kSellerServer:
      return "mp-seller-server";
    case Component::kBuyerServer:
      return "mp-buyer-server";
  }
  return "";
}

// A port the kernel just handed out on loopback. Another process may take it
// before ours binds it; StartOne then tries another.
StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc == 0) rc = getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  if (rc != 0) return Unavailable("cannot pick a free port");
  return ntohs(addr.sin_port);
}

// Reaps `pid` if it has ended; true then.
bool Reaped(pid_t pid, int* wstatus) { return waitpid(pid, wstatus, WNOHANG) == pid; }

}  // namespace

std::string ComponentName(Component c) {
  std::string name = Program(c);
  return name.substr(3);  // without "mp-"
}

ProcessStack::ProcessStack(const StackOptions& options) : options_(options) {}

StatusOr<std::unique_ptr<ProcessStack>> ProcessStack::Start(const StackOptions& options) {
  const char* bin = std::getenv("MP_TEST_BIN_DIR");
  if (bin == nullptr || *bin == '\0') {
    return Status(StatusCode::kFailedPrecondition,
                  "MP_TEST_BIN_DIR is not set: run through ctest, or point it "
                  "at build/bin");
  }
  auto stack = std::unique_ptr<ProcessStack>(new ProcessStack(options));
  stack->dir_ = (fs::temp_directory_path() / ("mp-stack-" + RandomToken().substr(0, 12))).string();
  fs::create_directories(stack->dir_);
  for (Component c : kAll) {
    Process& p = stack->processes_[c];
    p.component = c;
    p.program = (fs::path(bin) / Program(c)).string();
    p.log_path = stack->dir_ + "/" + ComponentName(c) + ".log";
    if (!fs::exists(p.program)) return NotFound(p.program + " is not built");
  }
  for (Component c : {Component::kCustomerDb, Component::kProductDb, Component::kPayment}) {
    MP_ASSIGN_OR_RETURN(stack->dbs_[c], storage::testing::TestDatabase::Create(options.engine, 2));
  }
  // The backends first, then the REST servers (which probe them), seller
  // before buyer so that one of them creates the shared JWT key.
  for (Component c : kAll) {
    MP_RETURN_IF_ERROR(stack->StartOne(c, /*pick_new_ports=*/true));
  }
  stack->customers_ = std::make_unique<rpc::CustomerDbClient>(
      rpc::ClientOptions{.addresses = {stack->address(Component::kCustomerDb)}});
  stack->products_ = std::make_unique<rpc::ProductDbClient>(
      rpc::ClientOptions{.addresses = {stack->address(Component::kProductDb)}});
  return stack;
}

ProcessStack::~ProcessStack() {
  // Our channels closed first, so the servers need not wait for them.
  customers_.reset();
  products_.reset();
  // Frontends are signalled first: they call the backends, not the other
  // way round.
  for (auto it = std::rbegin(kAll); it != std::rend(kAll); ++it) {
    Process& p = processes_[*it];
    if (p.pid > 0) kill(p.pid, SIGTERM);
  }
  for (auto it = std::rbegin(kAll); it != std::rend(kAll); ++it) {
    Process& p = processes_[*it];
    if (p.pid <= 0) continue;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    int wstatus = 0;
    while (!Reaped(p.pid, &wstatus)) {
      if (Clock::now() > deadline) {
        kill(p.pid, SIGKILL);
        waitpid(p.pid, &wstatus, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    p.pid = -1;
  }
  dbs_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

ProcessStack::Process& ProcessStack::process(Component c) { return processes_.at(c); }
const ProcessStack::Process& ProcessStack::process(Component c) const { return processes_.at(c); }

int ProcessStack::port(Component c) const { return process(c).port; }

std::string ProcessStack::address(Component c) const {
  return "127.0.0.1:" + std::to_string(port(c));
}

storage::Database& ProcessStack::db(Component c) { return dbs_.at(c)->db(); }

std::vector<std::string> ProcessStack::Args(Component c) const {
  std::vector<std::string> args = {"--listen", address(c), "--log-level", options_.log_level};
  auto add = [&](std::initializer_list<std::string> more) { args.insert(args.end(), more); };
  switch (c) {
    case Component::kCustomerDb:
    case Component::kProductDb:
      add({"--db-uri", dbs_.at(c)->uri()});
      break;
    case Component::kPayment:
      add({"--db-uri", dbs_.at(c)->uri(), "--approval-rate", std::to_string(options_.approval_rate),
           "--seed", std::to_string(options_.seed)});
      break;
    case Component::kBuyerServer:
      add({"--payment-url", "http://" + address(Component::kPayment) + "/", "--recovery-age",
           std::to_string(options_.recovery_age_s), "--purchase-threads",
           std::to_string(options_.purchase_threads)});
      [[fallthrough]];
    case Component::kSellerServer:
      add({"--customer-db", address(Component::kCustomerDb), "--product-db",
           address(Component::kProductDb), "--jwt-key-file", dir_ + "/jwt.key"});
      break;
  }
  if (auto it = options_.crash_at.find(c); it != options_.crash_at.end()) {
    add({"--crash-at", it->second});
  }
  if (auto it = options_.extra_args.find(c); it != options_.extra_args.end()) {
    args.insert(args.end(), it->second.begin(), it->second.end());
  }
  return args;
}

Status ProcessStack::Spawn(Process& p) {
  std::vector<std::string> args = Args(p.component);
  std::vector<char*> argv;
  argv.push_back(p.program.data());
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = open(p.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Unavailable("cannot open " + p.log_path);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(log_fd);
  if (pid < 0) return Unavailable("fork failed");
  p.pid = pid;
  return Status();
}

Status ProcessStack::WaitHealthy(Process& p, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  Status last = Unavailable("not probed yet");
  while (Clock::now() < deadline) {
    int wstatus = 0;
    if (Reaped(p.pid, &wstatus)) {
      p.pid = -1;
      return Unavailable(ComponentName(p.component) + " exited during start-up (status " +
                         std::to_string(wstatus) + ")");
    }
    switch (p.component) {
      case Component::kCustomerDb:
      case Component::kProductDb:
        last = rpc::CheckHealth(address(p.component));
        break;
      case Component::kPayment:
        last = launcher::CheckHttpHealth(address(p.component), "/?wsdl");
        break;
      default:
        last = launcher::CheckHttpHealth(address(p.component), "/healthz");
    }
    if (last.ok()) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Unavailable(ComponentName(p.component) + " not healthy after " +
                     std::to_string(timeout.count()) + " s: " + last.message());
}

Status ProcessStack::StartOne(Component c, bool pick_new_ports) {
  Process& p = process(c);
  Status last;
  // A port picked by FreePort may be taken by someone else meanwhile.
  for (int attempt = 0; attempt < (pick_new_ports ? 3 : 1); ++attempt) {
    if (pick_new_ports) {
      MP_ASSIGN_OR_RETURN(p.port, FreePort());
    }
    MP_RETURN_IF_ERROR(Spawn(p));
    last = WaitHealthy(p, std::chrono::seconds(20));
    if (last.ok()) return last;
    if (p.pid > 0) (void)Kill(c);
  }
  return Status(last.code(), last.message() + "\n" + Logs());
}

bool ProcessStack::Running(Component c) {
  Process& p = process(c);
  int wstatus = 0;
  if (p.pid > 0 && Reaped(p.pid, &wstatus)) p.pid = -1;
  return p.pid > 0;
}

Status ProcessStack::Kill(Component c) {
  Process& p = process(c);
  if (p.pid <= 0) return Status();
  kill(p.pid, SIGKILL);
  int wstatus = 0;
  waitpid(p.pid, &wstatus, 0);
  p.pid = -1;
  return Status();
}

StatusOr<int> ProcessStack::WaitForExit(Component c, std::chrono::milliseconds timeout) {
  Process& p = process(c);
  if (p.pid <= 0)
    return Status(StatusCode::kFailedPrecondition, ComponentName(c) + " was not running");
  auto deadline = Clock::now() + timeout;
  int wstatus = 0;
  while (!Reaped(p.pid, &wstatus)) {
    if (Clock::now() > deadline) {
      return Status(StatusCode::kDeadlineExceeded, ComponentName(c) + " is still running");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  p.pid = -1;
  return wstatus;
}

Status ProcessStack::Restart(Component c, Crash crash) {
  MP_RETURN_IF_ERROR(Kill(c));
  if (crash == Crash::kDisarm) options_.crash_at.erase(c);
  return StartOne(c, /*pick_new_ports=*/false);
}

std::string ProcessStack::Logs(size_t max_bytes) const {
  std::ostringstream out;
  for (Component c : kAll) {
    std::ifstream in(process(c).log_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
    out << "----- " << ComponentName(c) << " log -----\n" << text;
  }
  return out.str();
}

json::value HttpResult::json() const {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? json::value() : v;
}

std::string HttpResult::error_code() const {
  json::value v = json();
  if (!v.is_object()) return "";
  const json::value* error = v.as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return "";
  const json::value* code = error->as_object().if_contains("code");
  return code != nullptr && code->is_string() ? std::string(code->as_string()) : "";
}

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::map<std::string, std::string>& headers) const {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  using tcp = boost::asio::ip::tcp;
  try {
    boost::asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout_);
    stream.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(port_)));
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return HttpResult{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return HttpResult{};  // refused, dropped or timed out: the test sees status
                          // 0
  }
}

HttpResult HttpClient::Get(const std::string& target, const std::string& token) const {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return Send("GET", target, "", headers);
}

HttpResult HttpClient::Post(const std::string& target, const json::value& body,
                            const std::string& token,
                            std::map<std::string, std::string> const& extra) const {
  std::map<std::string, std::string> headers = extra;
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return Send("POST", target, json::serialize(body), headers);
}

std::string HttpClient::SignUpAndLogIn(const std::string& username, int64_t* user_id) const {
  const std::string password = "password1";
  Post("/v1/accounts",
       json::object{{"username", username}, {"password", password}, {"name", username}});
  HttpResult login =
      Post("/v1/sessions", json::object{{"username", username}, {"password", password}});
  json::value v = login.json();
  if (login.status != 201 || !v.is_object()) return "";
  const json::object& o = v.as_object();
  if (user_id != nullptr) {
    const json::value* id = o.if_contains("seller_id");
    if (id == nullptr) id = o.if_contains("buyer_id");
    *user_id = id != nullptr && id->is_int64() ? id->as_int64() : 0;
  }
  const json::value* token = o.if_contains("token");
  return token != nullptr && token->is_string() ? std::string(token->as_string()) : "";
}

}  // namespace mp::integration
