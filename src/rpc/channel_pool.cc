#include "rpc/channel_pool.h"

#include <sstream>

namespace mp::rpc {

ChannelPool::ChannelPool(const ClientOptions& options) {
  int per_address = std::max(1, options.channels_per_address);
  for (const std::string& address : options.addresses) {
    for (int i = 0; i < per_address; ++i) {
      grpc::ChannelArguments args;
      // Without this, channels with equal arguments share one subchannel and
      // so one TCP connection; the index keeps them apart.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("mp.channel_index", i);
      args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
      channels_.push_back(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    }
  }
}

std::vector<std::string> SplitAddresses(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace mp::rpc
