#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/status.h"

namespace mp::payment {

// Keep-alive connections between two requests, watched by one thread with
// epoll so that an idle connection holds no serving thread: the pool serves
// one request of a connection at a time and hands the connection back
// here. `ready` runs when its next request begins to arrive (or its peer
// hangs up, which the serving thread then finds out); `close` when it
// stayed idle for `idle_timeout`, or at Stop. Exactly one of the two runs
// per Watch, on the watching thread (or Stop's), and must not block.
// Thread-safe.
class IdleConnections {
 public:
  explicit IdleConnections(std::chrono::milliseconds idle_timeout);
  ~IdleConnections();  // Stop()

  Status Start();
  // Closes every connection still watched; later Watches close at once.
  void Stop();
  // Watches the socket `fd` until its next request.
  void Watch(int fd, std::function<void()> ready, std::function<void()> close);
  size_t size() const;

 private:
  struct Entry {
    std::function<void()> ready;
    std::function<void()> close;
    std::chrono::steady_clock::time_point since;
  };
  void Loop();

  const std::chrono::milliseconds idle_timeout_;
  int epoll_fd_ = -1;
  mutable std::mutex mu_;
  std::unordered_map<int, Entry> watched_;  // GUARDED_BY(mu_), by fd
  bool stop_ = false;                       // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace mp::payment
