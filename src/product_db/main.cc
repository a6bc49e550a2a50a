// mp-product-db: the ProductDb gRPC service (items, stock, votes, search)
// over SQLite or PostgreSQL.
#include "common/fault.h"
#include "common/log.h"
#include "db_service/db_service.h"
#include "product_db/product_db_options.h"
#include "product_db/product_db_service.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  product_db::ProductDbOptions o;
  po::options_description desc("mp-product-db options (also MP_PRODUCT_DB_<FLAG> variables)");
  db_service::AddDbServiceFlags(desc, o);
  desc.add_options()("crash-at", po::value(&o.crash_at),
                     "tests only: die at this point (after_take_commit)");
  return db_service::RunDbService(
      argc, argv, desc, "MP_PRODUCT_DB_", o,
      {.name = "product-db",
       .tls_role = tls::kProductDb,
       .migrate = &storage::ProductRepository::Migrate},
      [&](storage::Database& db, rpc::HandlerPool& pool, const db_service::ServeFn& serve) {
        if (!o.crash_at.empty()) log::Warn("test crash point armed: {}", o.crash_at);
        storage::ProductRepository repo(db);
        product_db::ProductDbService service(repo, pool, CrashPoint(o.crash_at));
        return serve(service);
      });
}
