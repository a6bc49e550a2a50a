#include "storage/database.h"

namespace mp::storage {

StatusOr<std::unique_ptr<Connection>> OpenPostgres(const std::string&) {
  return Unavailable("this build has no PostgreSQL support (MP_WITH_POSTGRES=OFF)");
}

}  // namespace mp::storage
