#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "storage/session_repository.h"

namespace mp::customer_db {

// Deletes expired sessions and their working carts every `period`, on its own
// thread, so that abandoned sessions do not pile up. Expiry itself is decided
// on every request; this only reclaims space.
class SessionSweeper {
 public:
  SessionSweeper(storage::SessionRepository& sessions, std::chrono::milliseconds period);
  ~SessionSweeper();  // stops and joins the thread

 private:
  storage::SessionRepository& sessions_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mp::customer_db
