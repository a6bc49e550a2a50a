#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/message_size.h"

namespace mp::rpc {

struct ClientOptions {
  // "host:port" of every replica of the service; calls are spread over them.
  std::vector<std::string> addresses;
  // TCP connections per address. One HTTP/2 connection serializes its
  // frames, so many concurrent callers need several.
  int channels_per_address = 4;
  // Deadline of every call, a failover retry included.
  std::chrono::milliseconds deadline{5000};
  // TLS (rpc/tls_credentials.h); null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials{};
  // Largest message sent or received (rpc/message_size.h); tests lower it.
  int max_message_bytes = kMaxMessageBytes;
};

// A fixed set of channels, each on its own TCP connection, handed out round
// robin over the channels of every replica (interleaved, so consecutive
// calls go to different replicas). Thread-safe.
//
// Failover between replicas, in two parts:
//  - Next() skips a channel whose connection is known to be down
//    (TRANSIENT_FAILURE or SHUTDOWN) while another one is READY, IDLE or
//    CONNECTING. gRPC keeps reconnecting such a channel in the background
//    (with backoff), so a replica that comes back gets calls again.
//  - A call that failed on one channel is repeated once, on a channel of
//    another address, only when the request cannot have reached a server
//    (see RetryChannel). A channel to a replica that just died is IDLE, not
//    TRANSIENT_FAILURE, until a call tries it: that first call fails to
//    connect and is the one that moves elsewhere. A host that does not
//    answer at all fails the connect after 1 s (not gRPC's default 20 s).
// A call that failed after its request may have been sent (the connection
// broke mid-call, or the deadline passed) is never repeated: RegisterItem,
// WithdrawUnits, AddToCart and others are not idempotent, and the replica
// may have committed the write before it died. The caller gets kUnavailable
// or kDeadlineExceeded and decides. (So when a replica's host vanishes
// without closing its connections, the calls already sent on them fail with
// kDeadlineExceeded; a connection whose data stays unacknowledged for 5 s is
// then dropped, and later calls move on.)
class ChannelPool {
 public:
  // REQUIRES: !options.addresses.empty().
  explicit ChannelPool(const ClientOptions& options);

  size_t size() const { return channels_.size(); }
  const std::shared_ptr<grpc::Channel>& channel(size_t i) const { return channels_[i]; }
  // The "host:port" channel `i` connects to.
  const std::string& address(size_t i) const { return addresses_[address_of_[i]]; }

  // Index of the channel for the next call (see the class comment).
  size_t Next() const;
  // Where to repeat a call that failed on channel `failed` with `status`:
  // a channel of another address (chosen as Next() does) when `status` says
  // the request never left this process (NeverSent), nullopt otherwise or
  // when every channel goes to the same address.
  std::optional<size_t> RetryChannel(size_t failed, const grpc::Status& status) const;

 private:
  // Round robin from the shared counter, skipping channels of
  // `avoid_address` and preferring channels not known to be down; nullopt
  // when every channel is of `avoid_address`.
  std::optional<size_t> Pick(std::optional<size_t> avoid_address) const;

  std::vector<std::string> addresses_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<size_t> address_of_;  // per channel: index into addresses_
  mutable std::atomic<size_t> next_{0};
};

// True when a call that ended with `status` cannot have reached a server:
// UNAVAILABLE because the channel could not connect to (or resolve) its
// address, so the request was never written to any connection. gRPC's C++
// API carries no structured flag for this; the test is on the fixed text of
// gRPC's own "pick failed" errors, and should that text ever change the
// answer becomes false, which only costs the retry, never a double write
// (rpc_test checks it against the installed gRPC).
bool NeverSent(const grpc::Status& status);

// Splits "a:1,b:2" into its addresses (blanks around entries and empty
// entries dropped).
std::vector<std::string> SplitAddresses(const std::string& list);

}  // namespace mp::rpc
