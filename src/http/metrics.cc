#include "http/metrics.h"

#include <sstream>

namespace mp::http {

size_t Metrics::AddRoute(std::string name) {
  routes_.emplace_back();
  routes_.back().name = std::move(name);
  return routes_.size() - 1;
}

void Metrics::AddCounter(std::string name, std::string help, std::function<uint64_t()> read) {
  counters_.push_back({std::move(name), std::move(help), std::move(read)});
}

void Metrics::Record(size_t route, int status, double seconds) {
  RouteStats& r = routes_[route];
  int cls = status / 100 - 2;
  if (cls >= 0 && cls < 4) r.by_class[cls].fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) {
      r.buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  r.count.fetch_add(1, std::memory_order_relaxed);
  r.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::Render(const std::string& component) const {
  std::ostringstream out;
  out << "# HELP mp_http_requests_total HTTP requests answered, by route and status class.\n"
         "# TYPE mp_http_requests_total counter\n";
  static constexpr const char* kClasses[] = {"2xx", "3xx", "4xx", "5xx"};
  for (const RouteStats& r : routes_) {
    for (size_t c = 0; c < 4; ++c) {
      out << "mp_http_requests_total{component=\"" << component << "\",route=\"" << r.name
          << "\",code=\"" << kClasses[c] << "\"} " << r.by_class[c].load() << "\n";
    }
  }
  out << "# HELP mp_http_request_duration_seconds Time from request read to response ready.\n"
         "# TYPE mp_http_request_duration_seconds histogram\n";
  for (const RouteStats& r : routes_) {
    std::string labels = "component=\"" + component + "\",route=\"" + r.name + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      cumulative += r.buckets[i].load();
      out << "mp_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBucketsSeconds[i]
          << "\"} " << cumulative << "\n";
    }
    uint64_t count = r.count.load();
    out << "mp_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << count
        << "\n";
    out << "mp_http_request_duration_seconds_sum{" << labels << "} "
        << static_cast<double>(r.sum_micros.load()) / 1e6 << "\n";
    out << "mp_http_request_duration_seconds_count{" << labels << "} " << count << "\n";
  }
  for (const Counter& c : counters_) {
    out << "# HELP " << c.name << " " << c.help << "\n# TYPE " << c.name << " counter\n"
        << c.name << "{component=\"" << component << "\"} " << c.read() << "\n";
  }
  return out.str();
}

}  // namespace mp::http
