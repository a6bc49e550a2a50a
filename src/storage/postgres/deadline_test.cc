// The PostgreSQL driver never waits for the server past the deadline of the
// call it serves: a statement stuck on a lock is cancelled, and so is a
// COMMIT stuck waiting for a synchronous standby, which then ends committed
// on the primary and is answered outcome_unknown (docs/contract.md §9).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "common/call_deadline.h"
#include "storage/database.h"
#include "storage/test_database.h"

namespace mp::storage {
namespace {

using ::mp::storage::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Sql kInsertKv{"INSERT INTO kv (k, n) VALUES ($1, $2)"};
const Sql kUpdateKv{"UPDATE kv SET n = $2 WHERE k = $1"};
const Sql kSelectKv{"SELECT n FROM kv WHERE k = $1"};

// A write of `key` = `n` under a deadline `budget` away, on a thread of its
// own (the deadline is the thread's), so that a driver that waits for ever
// fails the test instead of hanging it.
std::future<Status> WriteWithin(Database& db, const Sql& sql, std::string key, int64_t n,
                                milliseconds budget) {
  return std::async(std::launch::async, [&db, &sql, key, n, budget] {
    ScopedCallDeadline deadline(std::chrono::system_clock::now() + budget);
    return db.Write([&](Connection& conn) { return conn.Query(sql, {key, n}).status(); });
  });
}

StatusOr<std::optional<int64_t>> ReadKey(Database& db, const std::string& key) {
  std::optional<int64_t> n;
  MP_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectKv, {key}));
    if (!rows.empty()) n = rows[0].Int(0);
    return Status();
  }));
  return n;
}

Status CreateKv(Database& db) {
  return db.Write([](Connection& conn) {
    return conn.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT)").status();
  });
}

TEST(PostgresDeadlineTest, StatementWaitingForALockPastTheDeadlineIsCancelled) {
  auto t = TestDatabase::Create(Engine::kPostgres);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Database& db = (*t)->db();
  ASSERT_TRUE(CreateKv(db).ok());
  ASSERT_TRUE(db.Write([](Connection& c) {
                  return c.Query(kInsertKv, {"x", int64_t{0}}).status();
                }).ok());

  // A transaction holds x's row lock until told to commit.
  std::promise<void> release;
  std::promise<void> locked;
  auto holder = std::async(std::launch::async, [&] {
    return db.Write([&](Connection& conn) -> Status {
      MP_RETURN_IF_ERROR(conn.Query(kUpdateKv, {"x", int64_t{1}}).status());
      locked.set_value();
      release.get_future().wait_for(seconds(30));
      return Status();
    });
  });
  locked.get_future().wait();

  std::future<Status> late = WriteWithin(db, kUpdateKv, "x", 2, milliseconds(200));
  bool answered_while_locked = late.wait_for(seconds(20)) == std::future_status::ready;
  release.set_value();
  EXPECT_TRUE(answered_while_locked) << "the write waited for the lock past its deadline";
  Status s = late.get();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  ASSERT_TRUE(holder.get().ok());

  auto n = ReadKey(db, "x");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1) << "the cancelled write must not have landed";
  // The pool goes on serving (the cancelled connection was dropped).
  EXPECT_TRUE(WriteWithin(db, kUpdateKv, "x", 3, seconds(10)).get().ok());
  EXPECT_EQ(*ReadKey(db, "x"), 3);
}

StatusOr<std::string> Shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Internal("popen failed");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  if (pclose(pipe) != 0) return Internal(command + " failed");
  return out;
}

// A server of this test's own (tests/faults/pg_cluster.sh) whose primary
// names a synchronous standby that never connects: every COMMIT waits, as
// it does when the standby's machine is cut off until Patroni names another.
class StuckStandbyServer {
 public:
  StuckStandbyServer() {
    auto out = Shell(std::string(MP_PG_CLUSTER_SCRIPT) + " start");
    if (out.ok()) std::istringstream(*out) >> dir_ >> uri_;
  }
  ~StuckStandbyServer() {
    if (!dir_.empty()) (void)Shell(std::string(MP_PG_CLUSTER_SCRIPT) + " stop " + dir_);
  }
  const std::string& uri() const { return uri_; }

  // Makes every later COMMIT wait for a standby named "nobody".
  static Status NameAbsentStandby(Database& db) {
    MP_RETURN_IF_ERROR(db.Read([](Connection& conn) -> Status {
      MP_RETURN_IF_ERROR(
          conn.Exec("ALTER SYSTEM SET synchronous_standby_names = 'nobody'").status());
      return conn.Exec("SELECT pg_reload_conf()").status();
    }));
    // The reload is asynchronous: wait until the pool's sessions see it.
    for (int i = 0; i < 100; ++i) {
      std::string value;
      MP_RETURN_IF_ERROR(db.Read([&](Connection& conn) -> Status {
        MP_ASSIGN_OR_RETURN(Rows rows, conn.Exec("SHOW synchronous_standby_names"));
        value = rows.at(0).Text(0);
        return Status();
      }));
      if (value == "nobody") return Status();
      std::this_thread::sleep_for(milliseconds(50));
    }
    return Internal("synchronous_standby_names did not take effect");
  }

 private:
  std::string dir_;
  std::string uri_;
};

TEST(PostgresDeadlineTest, CommitWaitingForTheStandbyIsCutAtTheDeadlineAsOutcomeUnknown) {
  ASSERT_NE(std::getenv("MP_TEST_PG_URI"), nullptr)
      << "MP_TEST_PG_URI is not set: run the suite with `./marketplace test` (this test starts "
         "a PostgreSQL server of its own too)";
  StuckStandbyServer server;
  ASSERT_FALSE(server.uri().empty()) << "pg_cluster.sh start failed";
  auto opened = Database::Open({.uri = server.uri(), .max_connections = 4});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Database& db = **opened;
  ASSERT_TRUE(CreateKv(db).ok());
  ASSERT_TRUE(StuckStandbyServer::NameAbsentStandby(db).ok());

  // The reload reaches each backend, and the checkpointer that tells them
  // a synchronous standby is named, at their own pace: until then a COMMIT
  // does not wait (seen in CI). Writes go on until one waits.
  Status s;
  std::string key;
  for (int i = 0; i < 100 && s.ok(); ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(50));
    key = std::to_string(i);
    key.insert(0, 1, 'a');
    std::future<Status> write = WriteWithin(db, kInsertKv, key, 1, milliseconds(300));
    ASSERT_EQ(write.wait_for(seconds(20)), std::future_status::ready)
        << "the COMMIT waited for the standby past the caller's deadline";
    s = write.get();
  }
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_EQ(s.reason(), kOutcomeUnknown) << s.ToString();
  // Committed on the primary once the wait was cut, and visible there now:
  // what the caller reads back is what will stay (unless a failover to the
  // standby, which may lack it, loses it; then it is gone everywhere).
  auto n = ReadKey(db, key);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  // The next write gets a connection that answers, and the same outcome.
  std::future<Status> next = WriteWithin(db, kInsertKv, "b", 2, milliseconds(300));
  ASSERT_EQ(next.wait_for(seconds(20)), std::future_status::ready);
  EXPECT_EQ(next.get().reason(), kOutcomeUnknown);
}

}  // namespace
}  // namespace mp::storage
