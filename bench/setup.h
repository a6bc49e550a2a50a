#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bench/catalog.h"
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

// Logs in as catalogue seller "<tag>cs<index>" (new) and registers the
// catalogue's items [first, first + count), counting each in `done`.
boost::asio::awaitable<Status> LoadCatalogSeller(Session& session, std::string_view tag,
                                                 const Catalog& catalog, int64_t first,
                                                 int64_t count, std::atomic<int64_t>& done);

// Creates buyer "<tag>b<index>" and gives it `purchases` purchases of one
// unit each of an item drawn from `items`, retried while the payment
// service declines.
boost::asio::awaitable<Status> LoadHistoryBuyer(Session& session, std::string_view tag,
                                                const std::vector<std::string>& items,
                                                int purchases, const std::string& purchase_body);

// Gives a buyer a purchase history (two items bought, retried while the
// payment service declines) to vote on and list, and one item in its cart,
// saved. REQUIRES: context.pool is not empty; session.bought is sized to it.
boost::asio::awaitable<Status> SeedBuyer(const WorkloadContext& context, Session& session);

}  // namespace mp::bench
