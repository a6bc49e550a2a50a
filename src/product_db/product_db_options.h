#pragma once

#include <string>

#include "db_service/db_service.h"

namespace mp::product_db {

struct ProductDbOptions : db_service::DbServiceOptions {
  ProductDbOptions() {
    listen = "127.0.0.1:50052";
    db_uri = "data/product.db";
  }
  // For tests only (common/fault.h): "after_take_commit" makes the process
  // die once a TakeStock transaction has committed, before it answers.
  // "" (the default): never.
  std::string crash_at;
};

}  // namespace mp::product_db
