#include "bench/bench_options.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace mp::bench {

std::string_view WorkloadName(Workload w) { return w == Workload::kRead ? "read" : "mixed"; }

StatusOr<Workload> ParseWorkload(std::string_view text) {
  if (text == "read") return Workload::kRead;
  if (text == "mixed") return Workload::kMixed;
  return InvalidArgument("workload", "must be \"read\" or \"mixed\"");
}

StatusOr<std::vector<ServerAddress>> ParseServerList(std::string_view list) {
  std::vector<ServerAddress> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string_view entry = list.substr(start, comma - start);
    start = comma + 1;
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.front()))) {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && std::isspace(static_cast<unsigned char>(entry.back()))) {
      entry.remove_suffix(1);
    }
    if (entry.starts_with("http://")) entry.remove_prefix(7);
    if (entry.empty()) continue;
    size_t colon = entry.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == entry.size() ||
        !std::all_of(entry.begin() + colon + 1, entry.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      std::string problem(entry);
      problem.append(" is not host:port");
      return InvalidArgument("server", problem);
    }
    std::string_view host = entry.substr(0, colon);
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    out.push_back({std::string(host), std::string(entry.substr(colon + 1))});
  }
  if (out.empty()) return InvalidArgument("server", "is empty");
  return out;
}

Status CheckFloorGrpc(std::string_view transport) {
  if (transport == "unix" || transport == "tcp") return Status();
  return InvalidArgument("floor-grpc", "must be unix or tcp");
}

Status ApplyScenario(BenchOptions& o, bool explicit_sellers, bool explicit_buyers,
                     bool explicit_calls, bool explicit_runs) {
  // docs/contract.md §8: scenario 1 = 1+1, 2 = 10+10, 3 = 100+100; K = 1000, R = 10.
  static constexpr int kClients[] = {0, 1, 10, 100};
  if (o.scenario < 0 || o.scenario > 3) return InvalidArgument("scenario", "must be 1, 2 or 3");
  if (o.scenario > 0) {
    if (!explicit_sellers) o.sellers = kClients[o.scenario];
    if (!explicit_buyers) o.buyers = kClients[o.scenario];
    if (!explicit_calls) o.calls = 1000;
    if (!explicit_runs) o.runs = 10;
  }
  if (o.sellers < 0 || o.buyers < 0 || o.sellers + o.buyers < 1) {
    return InvalidArgument("sellers", "and buyers must add up to at least 1");
  }
  if (o.buyers > 0 && o.sellers < 1) {
    return InvalidArgument("sellers", "buyers need at least one seller to buy from");
  }
  for (auto [field, value] :
       {std::pair{"calls", o.calls}, std::pair{"runs", o.runs}, std::pair{"threads", o.threads},
        std::pair{"setup-concurrency", o.setup_concurrency},
        std::pair{"items-per-seller", o.items_per_seller},
        std::pair{"search-limit", o.search_limit}, std::pair{"timeout", o.timeout_s}}) {
    if (value < 1) return InvalidArgument(field, "must be at least 1");
  }
  if (o.duration_s < 0) return InvalidArgument("duration", "must not be negative");
  if (o.catalog < 0) return InvalidArgument("catalog", "must not be negative");
  if (o.accounts < 0 || o.accounts > kMaxAccounts) {
    return InvalidArgument("accounts", "must be from 0 to " + std::to_string(kMaxAccounts));
  }
  if (o.history < 1 || o.history > kMaxHistory) {
    return InvalidArgument("history", "must be from 1 to " + std::to_string(kMaxHistory));
  }
  if (o.floor_calls < 0) return InvalidArgument("floor-calls", "must not be negative");
  MP_RETURN_IF_ERROR(CheckFloorGrpc(o.floor_grpc));
  if (o.retry_wait_ms < 0) return InvalidArgument("retry-wait", "must not be negative");
  if (o.settle_ms < 0) return InvalidArgument("settle", "must not be negative");
  if (!o.journal.empty() && !o.resilient) {
    return InvalidArgument("journal", "needs --resilient");
  }
  return Status();
}

}  // namespace mp::bench
