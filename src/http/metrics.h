#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace mp::http {

// Request counts and latency histograms per route, in Prometheus text
// format. Routes are registered before serving; Record is then lock-free.
class Metrics {
 public:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};

  // Returns the index to Record with.
  size_t AddRoute(std::string name);
  void Record(size_t route, int status, double seconds);
  // A counter kept by another part (purchase recovery's, say), read each
  // time the metrics are rendered; `read` must outlive this object's use.
  void AddCounter(std::string name, std::string help, std::function<uint64_t()> read);
  std::string Render(const std::string& component) const;

 private:
  struct RouteStats {
    std::string name;
    // By status class: 2xx, 3xx, 4xx, 5xx.
    std::array<std::atomic<uint64_t>, 4> by_class{};
    std::array<std::atomic<uint64_t>, kBucketsSeconds.size()> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };
  struct Counter {
    std::string name;
    std::string help;
    std::function<uint64_t()> read;
  };
  std::deque<RouteStats> routes_;  // deque: stable addresses, atomics never move
  std::vector<Counter> counters_;
};

}  // namespace mp::http
