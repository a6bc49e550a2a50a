#include "customer_db/session_sweeper.h"

#include "common/log.h"

namespace mp::customer_db {

SessionSweeper::SessionSweeper(storage::SessionRepository& sessions,
                               std::chrono::milliseconds period)
    : sessions_(sessions), period_(period) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period_, [this] { return stop_; })) {
      lock.unlock();
      auto deleted = sessions_.DeleteExpiredSessions();
      if (!deleted.ok()) {
        log::Warn("session sweep failed: {}", deleted.status().ToString());
      } else if (*deleted > 0) {
        log::Info("deleted {} expired sessions", *deleted);
      }
      lock.lock();
    }
  });
}

SessionSweeper::~SessionSweeper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace mp::customer_db
