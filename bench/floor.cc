#include "bench/floor.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "bench/http_connection.h"
#include "bench/markdown.h"
#include "common/status_mapping.h"
#include "http/frontend_options.h"
#include "http/server.h"
#include "product_db.grpc.pb.h"
#include "rpc/channel_pool.h"
#include "rpc/client_queue.h"
#include "rpc/server.h"
#include "rpc/tls_credentials.h"

namespace mp::bench {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kFloorPath[] = "/v1/floor";
// A reply of the size of a small read (a rating, a short item).
constexpr char kFloorBody[] = R"({"item_id":"1-1","name":"Red lamp","price":"12.50","units":5})";

int WarmUpCalls(int calls) { return std::max(50, calls / 10); }

int64_t Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// While it lives, SIGINT and SIGTERM are blocked in this thread and so in
// every thread started meanwhile: the HTTP server's, and gRPC's, some of
// which outlive the floor. A run of --duration waits for those signals with
// sigtimedwait (runner.cc), which works only if no thread leaves them
// unblocked: such a thread would take the signal's default action, ending
// the process instead of the run.
class BlockStopSignals {
 public:
  BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockStopSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockStopSignals(const BlockStopSignals&) = delete;
  BlockStopSignals& operator=(const BlockStopSignals&) = delete;

 private:
  sigset_t old_;
};

// The HTTP hop: the frontends' server code with their default settings
// (http/frontend_options.h), one route answering kFloorBody, and the
// bench's own client, so that a round trip here is made as a benchmark call
// is.
StatusOr<Figures> MeasureHttpHop(int calls) {
  http::Router router("floor");
  router.Add(http::Verb::get, kFloorPath, http::Access::kPublic,
             [](http::RequestPtr, http::Caller) -> Task<StatusOr<http::Reply>> {
               static const boost::json::value body = boost::json::parse(kFloorBody);
               co_return http::Reply::Ok(body);
             });
  const http::FrontendOptions defaults;
  http::HttpServer server({.listen = "127.0.0.1:0",
                           .threads = defaults.threads,
                           .idle_timeout = std::chrono::seconds(defaults.idle_timeout_s),
                           .read_timeout = std::chrono::seconds(defaults.read_timeout_s),
                           .write_timeout = std::chrono::seconds(defaults.write_timeout_s),
                           .max_connections = defaults.max_connections},
                          router);
  MP_RETURN_IF_ERROR(server.Start());
  asio::io_context io(1);
  const auto port = static_cast<unsigned short>(server.port());
  HttpConnection connection(io, {asio::ip::make_address_v4("127.0.0.1"), port},
                            "127.0.0.1:" + std::to_string(port), std::chrono::seconds(10));
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(calls));
  double wall_s = 0;
  Status result = Internal("the HTTP hop did not finish");
  auto loop = [&]() -> asio::awaitable<Status> {
    if (Status s = co_await connection.Connect(); !s.ok()) co_return s;
    const int warm_up = WarmUpCalls(calls);
    Clock::time_point timed_start;
    for (int i = 0; i < warm_up + calls; ++i) {
      if (i == warm_up) timed_start = Clock::now();
      Clock::time_point start = Clock::now();
      auto reply = co_await connection.Call(http::Verb::get, kFloorPath);
      int64_t ns = Since(start);
      if (!reply.ok()) co_return reply.status();
      if (reply->status != 200) {
        co_return Internal("the floor's HTTP route answered " + std::to_string(reply->status));
      }
      if (i >= warm_up) latencies.push_back(ns);
    }
    wall_s = std::chrono::duration<double>(Clock::now() - timed_start).count();
    co_return Status();
  };
  asio::co_spawn(io, loop(), [&](std::exception_ptr e, Status s) {
    result = e ? Internal("the HTTP hop threw") : std::move(s);
  });
  io.run();
  server.Stop();
  MP_RETURN_IF_ERROR(result);
  return LatencyFigures(latencies, wall_s);
}

// The gRPC hop's server: a ProductDb service whose GetSellerRating answers
// a constant, inline on the polling thread, as the DB services run their
// handlers on SQLite; the server runner (GrpcServer) and the completion
// queue path are theirs.
class ConstantRating final : public rpc::UnaryService<v1::ProductDb> {
 public:
  ConstantRating() {
    Serve(&v1::ProductDb::AsyncService::RequestGetSellerRating, "GetSellerRating", inline_,
          [](const v1::GetSellerRatingRequest*, v1::Feedback* resp) {
            resp->set_up(3);
            resp->set_down(1);
            return Status();
          });
  }

 private:
  rpc::HandlerPool inline_{0};
};

// The gRPC hop: the DB services' server runner and credentials, the
// frontends' channel settings, credentials, deadline and client queue. The
// answer is posted to an io_context that the calling thread runs, as a
// frontend's answer is posted to its connection's io thread.
StatusOr<Figures> MeasureGrpcHop(int calls, const std::string& tls_dir, bool unix_socket) {
  tls::TlsFiles server_files, client_files;
  if (!tls_dir.empty() && !unix_socket) {
    MP_ASSIGN_OR_RETURN(server_files, tls::ResolveTlsFiles({.dir = tls_dir}, tls::kProductDb));
    MP_ASSIGN_OR_RETURN(client_files, tls::ResolveTlsFiles({.dir = tls_dir}, tls::kFrontend));
  }
  MP_ASSIGN_OR_RETURN(auto server_credentials,
                      rpc::ServerCredentials(server_files, std::string(tls::kFrontend)));
  MP_ASSIGN_OR_RETURN(auto channel_credentials, rpc::ChannelCredentials(client_files));
  ConstantRating service;
  struct SocketDir {
    std::string path;
    ~SocketDir() {
      std::error_code ignored;
      if (!path.empty()) std::filesystem::remove_all(path, ignored);
    }
  } socket_dir;
  if (unix_socket) {
    char dir[] = "/tmp/mp-floor.XXXXXX";
    if (::mkdtemp(dir) == nullptr) return Internal("cannot make a directory for the socket");
    socket_dir.path = dir;
  }
  std::string listen = unix_socket ? "unix:" + socket_dir.path + "/floor.sock" : "127.0.0.1:0";
  MP_ASSIGN_OR_RETURN(auto server, rpc::GrpcServer::Start(listen, {&service}, server_credentials));
  const rpc::ClientOptions defaults;
  // One channel: one connection, one call outstanding, as in scenario 1.
  rpc::ChannelPool pool(
      {.addresses = {unix_socket ? listen : "127.0.0.1:" + std::to_string(server->port())},
       .channels_per_address = 1,
       .deadline = defaults.deadline,
       .credentials = channel_credentials});
  auto stub = v1::ProductDb::NewStub(pool.channel(pool.Next()));
  asio::io_context io(1);
  auto work = asio::make_work_guard(io);
  v1::GetSellerRatingRequest request;
  request.set_seller_id(7);
  v1::Feedback response;
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(calls));
  const int warm_up = WarmUpCalls(calls);
  Clock::time_point timed_start;
  Status failed;
  for (int i = 0; i < warm_up + calls && failed.ok(); ++i) {
    if (i == warm_up) timed_start = Clock::now();
    Clock::time_point start = Clock::now();
    bool done = false;
    // One call on a client queue (rpc/client_queue.h), as the frontends'
    // clients make them. The io thread frees it: after posting, the queue
    // thread touches it no more.
    struct Call final : rpc::QueuedOp {
      asio::io_context* io;
      bool* done;
      Status* failed;
      const v1::Feedback* response;
      grpc::ClientContext context;
      grpc::Status status;
      std::unique_ptr<grpc::ClientAsyncResponseReader<v1::Feedback>> reader;
      void Done(bool /*ok*/) override {
        asio::post(*io, [this] {
          *done = true;
          if (!status.ok()) {
            *failed = FromGrpc(status);
          } else if (response->up() != 3) {
            *failed = Internal("the floor's gRPC server answered something else");
          }
          reader.reset();
          delete this;
        });
      }
    };
    auto* call = new Call;
    call->io = &io;
    call->done = &done;
    call->failed = &failed;
    call->response = &response;
    call->context.set_deadline(std::chrono::system_clock::now() + defaults.deadline);
    call->reader = stub->PrepareAsyncGetSellerRating(&call->context, request, rpc::ClientQueue());
    call->reader->StartCall();
    call->reader->Finish(&response, &call->status, static_cast<rpc::QueuedOp*>(call));
    while (!done) io.run_one();
    if (i >= warm_up) latencies.push_back(Since(start));
  }
  const double wall_s = std::chrono::duration<double>(Clock::now() - timed_start).count();
  stub.reset();
  server->Shutdown();
  MP_RETURN_IF_ERROR(failed);
  return LatencyFigures(latencies, wall_s);
}

}  // namespace

StatusOr<Floor> MeasureFloor(const FloorOptions& options) {
  if (options.calls < 1) return InvalidArgument("floor-calls", "must be at least 1");
  BlockStopSignals blocked;
  // The servers' access log (a line per request at info) is off, as in the
  // system bench/run.sh starts (--log-level warn); here it would also cost a
  // write(2) per request on the bench's unbuffered stderr.
  const spdlog::level::level_enum level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);
  Floor floor;
  auto measured = [&]() -> Status {
    MP_ASSIGN_OR_RETURN(floor.http, MeasureHttpHop(options.calls));
    MP_ASSIGN_OR_RETURN(floor.grpc,
                        MeasureGrpcHop(options.calls, options.tls_dir, options.grpc_unix));
    return Status();
  }();
  spdlog::set_level(level);
  MP_RETURN_IF_ERROR(measured);
  floor.grpc_tls = !options.tls_dir.empty() && !options.grpc_unix;
  floor.grpc_unix = options.grpc_unix;
  return floor;
}

std::string Floor::grpc_transport() const {
  return grpc_unix ? "Unix socket" : grpc_tls ? "mutual TLS" : "plaintext";
}

std::string TimesFloor(double ms, double floor_ms) {
  if (!(floor_ms > 0) || !std::isfinite(ms / floor_ms)) return "";
  const double times = ms / floor_ms;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f×", times < 9.95 ? 1 : 0, times);
  return buf;
}

std::string WithTimesFloor(const std::string& cell, double ms, std::optional<double> floor_ms) {
  if (!floor_ms) return cell;
  std::string times = TimesFloor(ms, *floor_ms);
  return times.empty() ? cell : Cat({cell, " = ", times});
}

bool ReadAgainstFloor(int sellers, int buyers) {
  return sellers <= 1 && buyers <= 1 && sellers + buyers >= 1;
}

std::string FloorMarkdown(const Floor& f, int level) {
  std::string out;
  if (level > 0) out = std::string(static_cast<size_t>(level), '#') + " The floor\n\n";
  out +=
      Cat({"One read of scenario 1 is one HTTP hop plus gRPC hops made in parallel; the floor "
           "is one of each, timed alone on loopback inside marketplace-bench with the "
           "project's own code and settings, one round trip at a time, ",
           Count(static_cast<double>(f.http.calls)),
           " of each after a warm-up. HTTP: keep-alive HTTP/1.1 to src/http's server, one route "
           "answering a small JSON body (",
           f.https ? "HTTPS" : "plain HTTP",
           "). gRPC: a unary ProductDb call answered with a constant by src/rpc's server "
           "(completion queue, inline handler) through a ChannelPool "
           "channel (",
           f.grpc_transport(),
           "). Each statistic of the floor is the sum of the two hops' (so p99 is what a read "
           "pays with both at their p99).\n\n"});
  MarkdownTable table({"hop", "round trips", "mean ms", "p50 ms", "p99 ms", "max ms"});
  auto row = [&](const std::string& name, const Figures& h) {
    table.Add({name, Count(static_cast<double>(h.calls)), Ms(h.mean_ms), Ms(h.p50_ms), Ms(h.p99_ms),
               Ms(h.max_ms)});
  };
  row(f.https ? "HTTP (HTTPS)" : "HTTP", f.http);
  row("gRPC (" + f.grpc_transport() + ")", f.grpc);
  table.Add({"**floor** (HTTP + gRPC)", "", Ms(f.mean_ms()), Ms(f.p50_ms()), Ms(f.p99_ms()), ""});
  return out + table.ToString() + "\n";
}

}  // namespace mp::bench
