#pragma once

#include <vector>

namespace mp::storage {

// One step of a schema, embedded at build time from deploy/sql/<engine>/.
struct Migration {
  int version;
  const char* sql;
};

}  // namespace mp::storage
