#include "common/task.h"

#include "common/log.h"

namespace mp::task_internal {

Status FromException(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log::Error("a task threw: {}", e.what());
    return Internal(e.what());
  } catch (...) {
    log::Error("a task threw something that is not a std::exception");
    return Internal("unknown exception");
  }
}

}  // namespace mp::task_internal
