#include "rpc/channel_pool.h"

#include <sstream>
#include <string_view>

#include "common/log.h"
#include "rpc/tls_credentials.h"

namespace mp::rpc {
namespace {

// READY, IDLE (connects on the next call) and CONNECTING may carry a call;
// TRANSIENT_FAILURE and SHUTDOWN fail it at once.
bool Usable(grpc_connectivity_state state) {
  return state != GRPC_CHANNEL_TRANSIENT_FAILURE && state != GRPC_CHANNEL_SHUTDOWN;
}

}  // namespace

ChannelPool::ChannelPool(const ClientOptions& options) : addresses_(options.addresses) {
  int per_address = std::max(1, options.channels_per_address);
  // Interleaved (a0, b0, a1, b1, ...), so that round robin alternates
  // replicas and a skipped channel hands its turn to another replica.
  for (int i = 0; i < per_address; ++i) {
    for (size_t a = 0; a < addresses_.size(); ++a) {
      grpc::ChannelArguments args;
      // Without this, channels with equal arguments share one subchannel and
      // so one TCP connection; the index keeps them apart.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("mp.channel_index", i);
      // Keepalive also sets TCP_USER_TIMEOUT to the keepalive timeout: a
      // connection whose data goes unacknowledged that long (its host is
      // gone) is dropped, so later calls reconnect and move on.
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
      // Also the connect timeout (gRPC's default is 20 s): a replica whose
      // host does not answer fails a call's connect after 1 s, and the call
      // moves to another replica within its deadline.
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
      // The same limit as the servers', both ways (rpc/message_size.h):
      // gRPC's default receive limit (4 MiB) was below what a server sent.
      args.SetMaxReceiveMessageSize(options.max_message_bytes);
      args.SetMaxSendMessageSize(options.max_message_bytes);
      channels_.push_back(grpc::CreateCustomChannel(
          addresses_[a], CredentialsFor(addresses_[a], options.credentials), args));
      address_of_.push_back(a);
    }
  }
}

std::optional<size_t> ChannelPool::Pick(std::optional<size_t> avoid_address) const {
  const size_t n = channels_.size();
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  std::optional<size_t> fallback;
  for (size_t k = 0; k < n; ++k) {
    size_t i = (start + k) % n;
    if (avoid_address && address_of_[i] == *avoid_address) continue;
    if (Usable(channels_[i]->GetState(/*try_to_connect=*/false))) return i;
    if (!fallback) fallback = i;
  }
  // Every candidate is down: use one anyway, so the caller gets gRPC's
  // error for it (and the channel's own reconnection is not starved).
  return fallback;
}

size_t ChannelPool::Next() const { return *Pick(std::nullopt); }

std::optional<size_t> ChannelPool::RetryChannel(size_t failed, const grpc::Status& status) const {
  if (!NeverSent(status)) return std::nullopt;
  std::optional<size_t> other = Pick(address_of_[failed]);
  if (other) {
    log::Warn("{} unreachable ({}); repeating the call on {}", address(failed),
              status.error_message(), address(*other));
  }
  return other;
}

bool NeverSent(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  // gRPC 1.51's texts for a call that failed in the load-balancing pick,
  // before any transport had it: pick_first's, round_robin's and the
  // resolver's.
  static constexpr std::string_view kPickFailures[] = {
      "failed to connect to all addresses",
      "connections to all backends failing",
      "DNS resolution failed",
  };
  const std::string& message = status.error_message();
  for (std::string_view prefix : kPickFailures) {
    if (std::string_view(message).starts_with(prefix)) return true;
  }
  return false;
}

std::vector<std::string> SplitAddresses(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t begin = item.find_first_not_of(" \t");
    if (begin == std::string::npos) continue;
    out.push_back(item.substr(begin, item.find_last_not_of(" \t") - begin + 1));
  }
  return out;
}

}  // namespace mp::rpc
