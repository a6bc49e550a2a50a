#include "storage/test_database.h"

#include <cstdlib>
#include <filesystem>

#include "common/password.h"

namespace mp::storage::testing {

std::string EngineName(Engine engine) { return engine == Engine::kSqlite ? "sqlite" : "postgres"; }

StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(Engine engine, int max_connections) {
  auto t = std::unique_ptr<TestDatabase>(new TestDatabase());
  t->engine_ = engine;
  std::string suffix = RandomToken().substr(0, 12);
  if (engine == Engine::kSqlite) {
    t->dir_ = (std::filesystem::temp_directory_path() / ("mp-test-" + suffix)).string();
    std::filesystem::create_directories(t->dir_);
    t->uri_ = t->dir_ + "/test.db";
  } else {
    const char* base = std::getenv("MP_TEST_PG_URI");
    if (base == nullptr || *base == '\0') {
      return Status(StatusCode::kFailedPrecondition,
                    "MP_TEST_PG_URI is not set: run the suite with `./marketplace test`, which "
                    "starts a private PostgreSQL, or point MP_TEST_PG_URI at a server");
    }
    t->admin_uri_ = base;
    t->schema_ = "t_" + suffix;
    MP_ASSIGN_OR_RETURN(auto admin, Database::Open({.uri = t->admin_uri_, .max_connections = 1}));
    MP_RETURN_IF_ERROR(admin->Read(
        [&](Connection& conn) { return conn.Exec("CREATE SCHEMA " + t->schema_).status(); }));
    char sep = t->admin_uri_.find('?') == std::string::npos ? '?' : '&';
    t->uri_ = t->admin_uri_ + sep + "options=-csearch_path%3D" + t->schema_;
  }
  MP_ASSIGN_OR_RETURN(t->db_, Database::Open({.uri = t->uri_, .max_connections = max_connections}));
  return t;
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (engine_ == Engine::kSqlite) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    return;
  }
  auto admin = Database::Open({.uri = admin_uri_, .max_connections = 1});
  if (admin.ok()) {
    (void)(*admin)->Read([&](Connection& conn) {
      return conn.Exec("DROP SCHEMA " + schema_ + " CASCADE").status();
    });
  }
}

}  // namespace mp::storage::testing
