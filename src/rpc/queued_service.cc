#include "rpc/queued_service.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>

#include "common/log.h"

namespace mp::rpc {

struct HandlerPool::Threads {
  explicit Threads(int n) : pool(static_cast<size_t>(n)) {}
  boost::asio::thread_pool pool;
};

HandlerPool::HandlerPool(int threads) {
  if (threads > 0) threads_ = std::make_unique<Threads>(threads);
}

HandlerPool::~HandlerPool() {
  if (threads_) threads_->pool.join();
}

void HandlerPool::Run(std::function<void()> job) {
  if (!threads_) {
    job();
    return;
  }
  boost::asio::post(threads_->pool, std::move(job));
}

Status ForCaller(std::string_view method, Status status) {
  if (status.code() == StatusCode::kInternal) {
    // Logged here, where it is handled; callers get no internals.
    log::Error("{}: {}", method, status.message());
    return Internal("internal error");
  }
  if (log::DebugEnabled()) log::Debug("{} -> {}", method, status.ToString());
  return status;
}

Status RunHandler(std::string_view method, const std::function<Status()>& handler) {
  Status status;
  try {
    status = handler();
  } catch (const std::exception& e) {
    std::string message = "unexpected exception: ";
    message += e.what();
    status = Internal(message);
  }
  return ForCaller(method, std::move(status));
}

}  // namespace mp::rpc
