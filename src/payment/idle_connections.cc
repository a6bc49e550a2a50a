#include "payment/idle_connections.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mp::payment {

IdleConnections::IdleConnections(std::chrono::milliseconds idle_timeout)
    : idle_timeout_(idle_timeout) {}

IdleConnections::~IdleConnections() {
  Stop();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

Status IdleConnections::Start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Internal(std::string("epoll_create1: ") + std::strerror(errno));
  thread_ = std::thread([this] { Loop(); });
  return Status();
}

void IdleConnections::Stop() {
  std::unordered_map<int, Entry> left;
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
    left.swap(watched_);
  }
  if (thread_.joinable()) thread_.join();
  for (auto& [fd, entry] : left) entry.close();
}

void IdleConnections::Watch(int fd, std::function<void()> ready, std::function<void()> close) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      watched_[fd] = {std::move(ready), close, std::chrono::steady_clock::now()};
      // One-shot: the connection leaves the set when it turns readable,
      // so two threads never serve it at once.
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
      event.data.fd = fd;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0) return;
      watched_.erase(fd);
    }
  }
  close();
}

size_t IdleConnections::size() const {
  std::lock_guard lock(mu_);
  return watched_.size();
}

void IdleConnections::Loop() {
  std::vector<epoll_event> events(64);
  while (true) {
    // A short wait: how often it looks at stop_ and at idle connections.
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 200);
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      for (int i = 0; i < n; ++i) {
        auto it = watched_.find(events[i].data.fd);
        if (it == watched_.end()) continue;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
        run.push_back(std::move(it->second.ready));
        watched_.erase(it);
      }
      auto now = std::chrono::steady_clock::now();
      for (auto it = watched_.begin(); it != watched_.end();) {
        if (now - it->second.since < idle_timeout_) {
          ++it;
          continue;
        }
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
        run.push_back(std::move(it->second.close));
        it = watched_.erase(it);
      }
    }
    for (auto& f : run) f();
  }
}

}  // namespace mp::payment
