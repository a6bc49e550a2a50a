#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "bench/session.h"
#include "bench/workload.h"
#include "common/status.h"

namespace mp::bench {

// Set-up steps of one session, run outside the timed part. Each returns the
// first unexpected reply as kInternal (or the connection's error), naming
// the call, the status and the reply body.

// Creates the account "<tag><s|b><index>" and logs in: the session keeps
// the token and its user id.
boost::asio::awaitable<Status> CreateAccountAndLogin(Session& session, std::string_view tag);

// Registers `count` new items, each with enough units for every run.
boost::asio::awaitable<Status> SeedItems(Session& session, int count);

// Gives a buyer a purchase history (two items bought, retried while the
// payment service declines) to vote on and list, and one item in its cart,
// saved. REQUIRES: context.pool is not empty; session.bought is sized to it.
boost::asio::awaitable<Status> SeedBuyer(const WorkloadContext& context, Session& session);

}  // namespace mp::bench
