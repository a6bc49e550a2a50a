#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace mp::rpc {

struct ClientOptions {
  // "host:port" of every replica of the service; calls are spread over them.
  std::vector<std::string> addresses;
  // TCP connections per address. One HTTP/2 connection serializes its
  // frames, so many concurrent callers need several.
  int channels_per_address = 4;
  // Deadline of every call.
  std::chrono::milliseconds deadline{5000};
};

// A fixed set of channels, each on its own TCP connection, handed out round
// robin. Thread-safe.
class ChannelPool {
 public:
  explicit ChannelPool(const ClientOptions& options);

  size_t size() const { return channels_.size(); }
  const std::shared_ptr<grpc::Channel>& channel(size_t i) const { return channels_[i]; }
  // Index of the channel for the next call.
  size_t Next() const { return next_.fetch_add(1, std::memory_order_relaxed) % channels_.size(); }

 private:
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  mutable std::atomic<size_t> next_{0};
};

// Splits "a:1,b:2" into its addresses.
std::vector<std::string> SplitAddresses(const std::string& list);

}  // namespace mp::rpc
