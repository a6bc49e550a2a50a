#include "rpc/channel_pool.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/server.h"

namespace mp::rpc {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

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

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// Makes every channel of `address` try to connect and fail, so that it
// reports TRANSIENT_FAILURE.
void DriveIntoFailure(const ChannelPool& pool, const std::string& address) {
  const auto deadline = system_clock::now() + milliseconds(3000);
  for (size_t i = 0; i < pool.size(); ++i) {
    if (pool.address(i) != address) continue;
    const std::shared_ptr<grpc::Channel>& channel = pool.channel(i);
    grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
           channel->WaitForStateChange(state, deadline)) {
      state = channel->GetState(true);
    }
    EXPECT_EQ(state, GRPC_CHANNEL_TRANSIENT_FAILURE);
  }
}

struct NeverSentCase {
  grpc::StatusCode code;
  std::string message;
  bool never_sent;
};

TEST(NeverSentTest, OnlyConnectFailuresCountAsNotSent) {
  const NeverSentCase kCases[] = {
      {grpc::StatusCode::UNAVAILABLE,
       "failed to connect to all addresses; last error: UNKNOWN: "
       "ipv4:127.0.0.1:1: Failed to "
       "connect to remote host: Connection refused",
       true},
      {grpc::StatusCode::UNAVAILABLE, "connections to all backends failing; last error: x", true},
      {grpc::StatusCode::UNAVAILABLE, "DNS resolution failed for nohost:1: C-ares status", true},
      {grpc::StatusCode::UNAVAILABLE, "Socket closed", false},
      {grpc::StatusCode::UNAVAILABLE, "Connection reset by peer", false},
      {grpc::StatusCode::UNAVAILABLE, "Broken pipe", false},
      {grpc::StatusCode::UNAVAILABLE, "GOAWAY received", false},
      {grpc::StatusCode::UNAVAILABLE, "the database is unavailable", false},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded", false},
      {grpc::StatusCode::INTERNAL, "failed to connect to all addresses", false},
      {grpc::StatusCode::CANCELLED, "failed to connect to all addresses", false},
  };
  for (const NeverSentCase& c : kCases) {
    EXPECT_EQ(NeverSent(grpc::Status(c.code, c.message)), c.never_sent) << c.message;
  }
}

// The text NeverSent looks for is what the installed gRPC really says.
TEST(NeverSentTest, RecognizesTheInstalledGrpcsConnectFailure) {
  ChannelPool pool({.addresses = {Loopback(DeadPort())}, .channels_per_address = 1});
  auto stub = grpc::health::v1::Health::NewStub(pool.channel(0));
  grpc::ClientContext context;
  context.set_deadline(system_clock::now() + milliseconds(3000));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_TRUE(NeverSent(status)) << status.error_message();
}

TEST(ChannelPoolTest, InterleavesReplicas) {
  ChannelPool pool({.addresses = {"a:1", "b:2"}, .channels_per_address = 2});
  ASSERT_EQ(pool.size(), 4u);
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) order.push_back(pool.address(pool.Next()));
  EXPECT_EQ(order, (std::vector<std::string>{"a:1", "b:2", "a:1", "b:2"}));
}

TEST(ChannelPoolTest, NextSkipsChannelsThatCannotConnect) {
  auto live = GrpcServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const std::string dead = Loopback(DeadPort());
  ChannelPool pool({.addresses = {dead, Loopback((*live)->port())}, .channels_per_address = 2});
  DriveIntoFailure(pool, dead);
  // Across gRPC's reconnection attempts (backoff 0.2 s growing to 2 s) the
  // channel stays skipped.
  std::set<size_t> used;
  for (int i = 0; i < 40; ++i) {
    size_t channel = pool.Next();
    EXPECT_NE(pool.address(channel), dead) << "call " << i;
    used.insert(channel);
    std::this_thread::sleep_for(milliseconds(i % 2 ? 100 : 0));
  }
  EXPECT_EQ(used.size(), 2u) << "both channels of the live replica share the calls";
}

TEST(ChannelPoolTest, NextUsesDownChannelsWhenNothingElseIsLeft) {
  const std::string dead = Loopback(DeadPort());
  ChannelPool pool({.addresses = {dead}, .channels_per_address = 2});
  DriveIntoFailure(pool, dead);
  std::set<size_t> used;
  for (int i = 0; i < 4; ++i) used.insert(pool.Next());
  EXPECT_EQ(used.size(), 2u);
}

TEST(ChannelPoolTest, RetryChannelGoesToAnotherAddressOnlyWhenNeverSent) {
  ChannelPool pool({.addresses = {"a:1", "b:2", "c:3"}, .channels_per_address = 2});
  const grpc::Status refused(grpc::StatusCode::UNAVAILABLE,
                             "failed to connect to all addresses; last error: refused");
  for (size_t failed = 0; failed < pool.size(); ++failed) {
    for (int i = 0; i < 6; ++i) {
      std::optional<size_t> other = pool.RetryChannel(failed, refused);
      ASSERT_TRUE(other.has_value());
      EXPECT_NE(pool.address(*other), pool.address(failed));
    }
    EXPECT_FALSE(
        pool.RetryChannel(failed, grpc::Status(grpc::StatusCode::UNAVAILABLE, "Socket closed")));
    EXPECT_FALSE(pool.RetryChannel(
        failed, grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded")));
  }
  ChannelPool single({.addresses = {"a:1"}, .channels_per_address = 4});
  EXPECT_FALSE(single.RetryChannel(0, refused)) << "no other address to go to";
}

// A channel skipped because its replica was down is not lost for good:
// gRPC keeps reconnecting it, and once the replica is back it carries calls.
TEST(ChannelPoolTest, ReplicaThatComesBackIsUsedAgain) {
  auto live = GrpcServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  const int port = DeadPort();
  const std::string revived = Loopback(port);
  ChannelPool pool({.addresses = {revived, Loopback((*live)->port())}, .channels_per_address = 1});
  DriveIntoFailure(pool, revived);
  auto back = GrpcServer::Start(revived, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // Reconnection backoff is at most 2 s (ChannelPool's channel arguments).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool used = false;
  while (!used && std::chrono::steady_clock::now() < deadline) {
    used = pool.address(pool.Next()) == revived;
    if (!used) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(used) << "state " << pool.channel(0)->GetState(false);
}

TEST(SplitAddressesTest, DropsBlanksAndEmptyEntries) {
  EXPECT_EQ(SplitAddresses(" a:1, b:2,,c:3 ,"), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_TRUE(SplitAddresses("").empty());
}

}  // namespace
}  // namespace mp::rpc
