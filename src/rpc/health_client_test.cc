#include "rpc/health_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <set>
#include <thread>

#include "rpc/server.h"

namespace mp::rpc {
namespace {

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// A loopback port nobody listens on (the kernel just handed it out).
std::string DeadAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return Loopback(ntohs(addr.sin_port));
}

Status Probe(const HealthProbe& probe) {
  std::promise<Status> result;
  probe.Check([&result](Status s) { result.set_value(std::move(s)); });
  return result.get_future().get();
}

class HealthProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = GrpcServer::Start("127.0.0.1:0", {});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    live_ = Loopback(server_->port());
  }

  std::unique_ptr<GrpcServer> server_;
  std::string live_;
  std::string dead_ = DeadAddress();
};

TEST_F(HealthProbeTest, EveryAddressMustServe) {
  EXPECT_TRUE(Probe(HealthProbe({live_})).ok());
  Status s = Probe(HealthProbe({live_, dead_}));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(dead_), std::string::npos) << s.message();
}

TEST_F(HealthProbeTest, OneServingReplicaPerServiceIsEnough) {
  EXPECT_TRUE(Probe(HealthProbe::AnyReplica({{dead_, live_}, {live_}})).ok());
  Status s = Probe(HealthProbe::AnyReplica({{dead_, live_}, {dead_}}));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(dead_), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(live_), std::string::npos)
      << "names only the service with no replica: " << s.message();
}

TEST_F(HealthProbeTest, NothingToAskIsHealthy) {
  EXPECT_TRUE(Probe(HealthProbe::AnyReplica({})).ok());
}

// Answers and failures alike end on the process's one client-queue thread
// (rpc/client_queue.h), never on the caller's thread nor a pool of gRPC's.
TEST_F(HealthProbeTest, EveryAnswerEndsOnTheOneClientQueueThread) {
  std::set<std::thread::id> threads;
  for (int i = 0; i < 6; ++i) {
    HealthProbe probe({i % 2 == 0 ? live_ : dead_});
    std::promise<std::thread::id> ended;
    probe.Check([&ended](const Status&) { ended.set_value(std::this_thread::get_id()); });
    threads.insert(ended.get_future().get());
  }
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

}  // namespace
}  // namespace mp::rpc
