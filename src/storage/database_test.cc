// Database and driver behaviour, run against both engines: a SQLite file and
// a real PostgreSQL (MP_TEST_PG_URI).
#include "storage/database.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "common/call_deadline.h"
#include "storage/customer_schema.h"
#include "storage/migrations.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"

namespace mp::storage {
namespace {

using ::mp::storage::testing::EngineName;
using ::mp::storage::testing::TestDatabase;

// prefix + n. (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
std::string Key(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

const Sql kInsertKv{"INSERT INTO kv (k, v, n) VALUES ($1, $2, $3)"};
const Sql kSelectKv{"SELECT v, n FROM kv WHERE k = $1"};
const Sql kSelectByValue{"SELECT k FROM kv WHERE v = $1"};
const Sql kCountKv{"SELECT COUNT(*) FROM kv"};
const Sql kSelectAllKv{"SELECT k, v FROM kv ORDER BY k"};
// The marker is split so that this statement does not count itself.
const Sql kCachedProbeStatements{
    "SELECT COUNT(*), MAX(run) FROM sqlite_stmt "
    "WHERE sql LIKE '%kv' || '_probe%'",
    "SELECT COUNT(*), MAX(generic_plans + custom_plans) FROM "
    "pg_prepared_statements WHERE statement LIKE '%kv' || '_probe%'"};
const Sql kProbe{"SELECT n + $2 FROM kv WHERE k = $1 /* kv_probe */"};

class DatabaseTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }

  // A fresh database holding one scratch table.
  void Open(int max_connections = 8) {
    test_db_.reset();
    auto t = TestDatabase::Create(GetParam(), max_connections);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    test_db_ = std::move(t).value();
    Status created = db().Write([](Connection& conn) {
      return conn.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, n BIGINT)").status();
    });
    ASSERT_TRUE(created.ok()) << created.ToString();
  }

  Database& db() { return test_db_->db(); }

  Status Insert(std::string_view k, Param v, Param n) {
    return db().Write([&](Connection& conn) { return conn.Query(kInsertKv, {k, v, n}).status(); });
  }

  int64_t Count() {
    int64_t count = -1;
    Status s = db().Read([&](Connection& conn) -> Status {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kCountKv));
      count = rows.at(0).Int(0);
      return Status();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return count;
  }

  std::unique_ptr<TestDatabase> test_db_;
};

TEST_P(DatabaseTest, CommittedWriteIsVisibleToLaterReads) {
  EXPECT_EQ(db().engine(), GetParam());
  ASSERT_TRUE(Insert("a", "apple", int64_t{7}).ok());
  Rows rows;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectKv, {"a"}));
                    return Status();
                  })
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), "apple");
  EXPECT_EQ(rows[0].Int(1), 7);
}

// A caller that gave up was answered DEADLINE_EXCEEDED: its write must not
// land afterwards, or what the caller read next would be wrong.
TEST_P(DatabaseTest, WriteIsNotStartedOnceTheCallersDeadlinePassed) {
  {
    ScopedCallDeadline deadline(std::chrono::system_clock::now() - std::chrono::milliseconds(1));
    Status late = Insert("late", "pear", int64_t{1});
    EXPECT_EQ(late.code(), StatusCode::kDeadlineExceeded) << late.ToString();
  }
  {
    ScopedCallDeadline deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    EXPECT_TRUE(Insert("on-time", "plum", int64_t{2}).ok());
  }
  Rows late, on_time;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(late, conn.Query(kSelectKv, {"late"}));
                    MP_ASSIGN_OR_RETURN(on_time, conn.Query(kSelectKv, {"on-time"}));
                    return Status();
                  })
                  .ok());
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(on_time.size(), 1u);
}

// The statements ran, but past the deadline: COMMIT is not sent.
TEST_P(DatabaseTest, WriteWhoseStatementsOutlastTheDeadlineIsNotCommitted) {
  Status s;
  {
    ScopedCallDeadline deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
    s = db().Write([&](Connection& conn) -> Status {
      MP_RETURN_IF_ERROR(conn.Query(kInsertKv, {"slow", "fig", int64_t{3}}).status());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return Status();
    });
  }
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  Rows rows;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectKv, {"slow"}));
                    return Status();
                  })
                  .ok());
  EXPECT_TRUE(rows.empty());
  // The connection went back to the pool usable.
  EXPECT_TRUE(Insert("after", "kiwi", int64_t{4}).ok());
}

TEST_P(DatabaseTest, FailedWriteRollsBackEveryStatement) {
  ASSERT_TRUE(Insert("kept", "x", int64_t{1}).ok());
  // The function's own error, after two successful inserts.
  Status s = db().Write([](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kInsertKv, {"a", "1", int64_t{1}}).status());
    MP_RETURN_IF_ERROR(conn.Query(kInsertKv, {"b", "2", int64_t{2}}).status());
    return NotFound("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "changed my mind");
  // A database error in the middle of the transaction.
  s = db().Write([](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kInsertKv, {"c", "3", int64_t{3}}).status());
    return conn.Query(kInsertKv, {"kept", "dup", int64_t{4}}).status();
  });
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(), 1);
  // The connections are usable again after the rollbacks.
  EXPECT_TRUE(Insert("d", "4", int64_t{4}).ok());
  EXPECT_EQ(Count(), 2);
}

// PostgreSQL sends BEGIN with a transaction's first statement (one round
// trip): a transaction without statements, or whose first statement fails,
// must still end cleanly and leave its connection fit for the next one.
TEST_P(DatabaseTest, TransactionWithoutStatementsOrWithAFailedFirstOneLeavesNoTrace) {
  EXPECT_TRUE(db().Write([](Connection&) { return Status(); }).ok());
  EXPECT_EQ(db().Write([](Connection&) { return NotFound("nothing to do"); }).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(Insert("k", "first", int64_t{1}).ok());
  // More rounds than the pool has connections, so that each one takes a turn.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Insert("k", "again", int64_t{2}).code(), StatusCode::kAlreadyExists);
    Status s = db().Write([&](Connection& conn) -> Status {
      MP_RETURN_IF_ERROR(conn.Query(kInsertKv, {std::to_string(i), "n", int64_t{i}}).status());
      return conn.Query(kInsertKv, {"k", "again", int64_t{3}}).status();
    });
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
    std::string key = "n";
    key += std::to_string(i);
    EXPECT_TRUE(Insert(key, "n", int64_t{i}).ok());
  }
  EXPECT_EQ(Count(), 21);
}

TEST_P(DatabaseTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(Insert("k", "first", int64_t{1}).ok());
  Status s = Insert("k", "second", int64_t{2});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(s.reason(), "unique_violation");
  Rows rows;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectKv, {"k"}));
                    return Status();
                  })
                  .ok());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), "first");
}

TEST_P(DatabaseTest, NullsAreDistinctFromEmptyAndZero) {
  ASSERT_TRUE(Insert("null", nullptr, nullptr).ok());
  ASSERT_TRUE(Insert("empty", "", int64_t{0}).ok());
  Rows null_row, empty_row;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(null_row, conn.Query(kSelectKv, {"null"}));
                    MP_ASSIGN_OR_RETURN(empty_row, conn.Query(kSelectKv, {"empty"}));
                    return Status();
                  })
                  .ok());
  ASSERT_EQ(null_row.size(), 1u);
  EXPECT_TRUE(null_row[0].IsNull(0));
  EXPECT_TRUE(null_row[0].IsNull(1));
  EXPECT_EQ(null_row[0].Text(0), "");
  EXPECT_EQ(null_row[0].Int(1), 0);
  ASSERT_EQ(empty_row.size(), 1u);
  EXPECT_FALSE(empty_row[0].IsNull(0));
  EXPECT_FALSE(empty_row[0].IsNull(1));
  EXPECT_EQ(empty_row[0].Text(0), "");
}

TEST_P(DatabaseTest, IntegersRoundTripExactly) {
  const int64_t values[] = {0,
                            -1,
                            kMaxPriceCents,
                            kMaxQuantity,
                            std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min()};
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string key = Key("n", i);
    ASSERT_TRUE(Insert(key, "x", values[i]).ok()) << values[i];
    Rows rows;
    ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                      MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectKv, {key}));
                      return Status();
                    })
                    .ok());
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].Int(1), values[i]);
  }
}

TEST_P(DatabaseTest, BoundTextIsStoredVerbatimNeverRunAsSql) {
  const std::vector<std::string> values = {
      "O'Brien",           "'); DELETE FROM kv; --",   "x'; DROP TABLE kv; --", "a;b;c",
      "\"double\" `back`", "$1 ?1 :name @p",           "back\\slash\\'",        "100%_LIKE",
      "Ünïcödé 日本語",    std::string("multi\nline"),
  };
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE(Insert(values[i], values[i], int64_t(i)).ok()) << values[i];
  }
  EXPECT_EQ(Count(), static_cast<int64_t>(values.size()));
  for (const std::string& value : values) {
    Rows rows;
    ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                      MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectByValue, {value}));
                      return Status();
                    })
                    .ok());
    ASSERT_EQ(rows.size(), 1u) << value;
    EXPECT_EQ(rows[0].Text(0), value);
  }
}

TEST_P(DatabaseTest, ReusesPreparedStatementAcrossCalls) {
  // One connection, so every call lands on the same statement cache.
  ASSERT_NO_FATAL_FAILURE(Open(/*max_connections=*/1));
  ASSERT_TRUE(Insert("p", "probe", int64_t{100}).ok());
  constexpr int kCalls = 500;
  int64_t statements = 0, runs = 0;
  Status s = db().Read([&](Connection& conn) -> Status {
    for (int i = 0; i < kCalls; ++i) {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kProbe, {"p", int64_t{i}}));
      if (rows.size() != 1 || rows[0].Int(0) != 100 + i) {
        return Internal(Key("wrong answer at call ", i));
      }
    }
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kCachedProbeStatements));
    statements = rows.at(0).Int(0);
    runs = rows.at(0).Int(1);
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(statements, 1) << "the statement was prepared more than once";
  EXPECT_EQ(runs, kCalls);
}

// Two steps of a throw-away schema; each would fail if run a second time.
const std::vector<Migration> kV1 = {
    {1, "CREATE TABLE m1 (x BIGINT); INSERT INTO m1 (x) VALUES (1);"}};
const std::vector<Migration> kV2 = {
    kV1[0], {2, "CREATE TABLE m2 (y BIGINT); INSERT INTO m1 (x) VALUES (2);"}};
const Sql kSelectM1{"SELECT COUNT(*), SUM(x) FROM m1"};
const Sql kSelectVersion{"SELECT version FROM test_schema_version"};

TEST_P(DatabaseTest, AppliesEachMigrationOnce) {
  ASSERT_TRUE(db().Migrate("test_schema_version", kV1).ok());
  Status again = db().Migrate("test_schema_version", kV1);
  EXPECT_TRUE(again.ok()) << again.ToString();
  Status next = db().Migrate("test_schema_version", kV2);
  ASSERT_TRUE(next.ok()) << next.ToString();
  EXPECT_TRUE(db().Migrate("test_schema_version", kV2).ok());
  Rows m1, version;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(m1, conn.Query(kSelectM1));
                    MP_ASSIGN_OR_RETURN(version, conn.Query(kSelectVersion));
                    return Status();
                  })
                  .ok());
  EXPECT_EQ(m1.at(0).Int(0), 2);  // one row from each step
  EXPECT_EQ(m1.at(0).Int(1), 3);
  ASSERT_EQ(version.size(), 1u);
  EXPECT_EQ(version[0].Int(0), 2);
}

TEST_P(DatabaseTest, FailedMigrationLeavesSchemaAndVersionUnchanged) {
  ASSERT_TRUE(db().Migrate("test_schema_version", kV1).ok());
  const std::vector<Migration> broken = {
      kV1[0], {2, "CREATE TABLE m2 (y BIGINT); INSERT INTO missing VALUES (1);"}};
  EXPECT_FALSE(db().Migrate("test_schema_version", broken).ok());
  Rows version;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(version, conn.Query(kSelectVersion));
                    return Status();
                  })
                  .ok());
  ASSERT_EQ(version.size(), 1u);
  EXPECT_EQ(version[0].Int(0), 1);
  // m2 was rolled back with the failed step, so the fixed step applies.
  Status fixed = db().Migrate("test_schema_version", kV2);
  EXPECT_TRUE(fixed.ok()) << fixed.ToString();
}

TEST_P(DatabaseTest, ConcurrentMigrationsApplyOnce) {
  std::vector<Status> results(8);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&] { result = db().Migrate("test_schema_version", kV2); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  Rows m1;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(m1, conn.Query(kSelectM1));
                    return Status();
                  })
                  .ok());
  EXPECT_EQ(m1.at(0).Int(0), 2);
}

const Sql kCustomerVersion{"SELECT version FROM customer_schema_version"};
const Sql kProductVersion{"SELECT version FROM product_schema_version"};

TEST_P(DatabaseTest, RepositorySchemasRecordTheirVersion) {
  for (int run = 0; run < 2; ++run) {
    Status c = MigrateCustomerDatabase(db());
    ASSERT_TRUE(c.ok()) << "run " << run << ": " << c.ToString();
    Status p = ProductRepository::Migrate(db());
    ASSERT_TRUE(p.ok()) << "run " << run << ": " << p.ToString();
  }
  bool sqlite = GetParam() == Engine::kSqlite;
  size_t customer_steps =
      sqlite ? SqliteCustomerMigrations().size() : PostgresCustomerMigrations().size();
  size_t product_steps =
      sqlite ? SqliteProductMigrations().size() : PostgresProductMigrations().size();
  ASSERT_GE(customer_steps, 1u);
  ASSERT_GE(product_steps, 1u);
  Rows customer, product;
  ASSERT_TRUE(db().Read([&](Connection& conn) -> Status {
                    MP_ASSIGN_OR_RETURN(customer, conn.Query(kCustomerVersion));
                    MP_ASSIGN_OR_RETURN(product, conn.Query(kProductVersion));
                    return Status();
                  })
                  .ok());
  ASSERT_EQ(customer.size(), 1u);
  EXPECT_EQ(customer[0].Int(0), static_cast<int64_t>(customer_steps));
  ASSERT_EQ(product.size(), 1u);
  EXPECT_EQ(product[0].Int(0), static_cast<int64_t>(product_steps));
}

// A connection that fails as told: its server "closes" it at the first
// statement, or while COMMIT is under way.
class FlakyConnection final : public Connection {
 public:
  enum class Breaks { kNever, kAtFirstStatement, kAtCommit };
  explicit FlakyConnection(Breaks breaks) : breaks_(breaks) {}

  StatusOr<Rows> Query(const Sql&, std::span<const Param>) override {
    if (breaks_ == Breaks::kAtFirstStatement) return Lose();
    return Rows{};
  }
  using Connection::Query;
  StatusOr<Rows> Exec(std::string_view) override { return Rows{}; }
  Status Begin() override { return Status(); }
  Status Commit() override { return breaks_ == Breaks::kAtCommit ? Lose() : Status(); }
  Status Rollback() override { return Status(); }
  Engine engine() const override { return Engine::kPostgres; }
  bool broken() const override { return lost_; }

 private:
  Status Lose() {
    lost_ = true;
    return Unavailable("server closed the connection unexpectedly");
  }
  Breaks breaks_;
  bool lost_ = false;
};

// A pool whose connections break as `plan` says, one entry per connection
// opened, then never.
struct FlakyPool {
  explicit FlakyPool(std::vector<FlakyConnection::Breaks> plan)
      : db(
            Engine::kPostgres,
            [this, plan]() -> StatusOr<std::unique_ptr<Connection>> {
              size_t i = opened++;
              return std::unique_ptr<Connection>(std::make_unique<FlakyConnection>(
                  i < plan.size() ? plan[i] : FlakyConnection::Breaks::kNever));
            },
            DatabaseOptions{}) {}
  size_t opened = 0;
  Database db;
};

TEST(DatabaseFailoverTest, WriteWhoseConnectionBrokeBeforeCommitRunsAgainOnANewOne) {
  FlakyPool pool({FlakyConnection::Breaks::kAtFirstStatement});
  int runs = 0;
  Status s = pool.db.Write([&](Connection& conn) {
    ++runs;
    return conn.Query(kInsertKv, {"k", "v", int64_t{1}}).status();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(pool.opened, 2u);
}

TEST(DatabaseFailoverTest, WriteIsRunAgainOnlyOnceWhenTheNewConnectionBreaksToo) {
  FlakyPool pool({FlakyConnection::Breaks::kAtFirstStatement,
                  FlakyConnection::Breaks::kAtFirstStatement,
                  FlakyConnection::Breaks::kAtFirstStatement});
  int runs = 0;
  Status s = pool.db.Write([&](Connection& conn) {
    ++runs;
    return conn.Query(kInsertKv, {"k", "v", int64_t{1}}).status();
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(runs, 2);
}

// The run again after a broken connection may come seconds later (a new
// primary to find): not once the caller has given up.
TEST(DatabaseFailoverTest, WriteIsNotRunAgainOnceTheCallersDeadlinePassed) {
  FlakyPool pool({FlakyConnection::Breaks::kAtFirstStatement});
  ScopedCallDeadline deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(50));
  int runs = 0;
  Status s = pool.db.Write([&](Connection& conn) {
    ++runs;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return conn.Query(kInsertKv, {"k", "v", int64_t{1}}).status();
  });
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
  EXPECT_EQ(runs, 1);
}

TEST(DatabaseFailoverTest, ConnectionLostDuringCommitIsOutcomeUnknownAndNeverRunAgain) {
  FlakyPool pool({FlakyConnection::Breaks::kAtCommit});
  int runs = 0;
  Status s = pool.db.Write([&](Connection& conn) {
    ++runs;
    return conn.Query(kInsertKv, {"k", "v", int64_t{1}}).status();
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.reason(), kOutcomeUnknown);
  EXPECT_EQ(runs, 1);
  // The broken connection left the pool: the next write gets a new one.
  EXPECT_TRUE(pool.db.Write([](Connection&) { return Status(); }).ok());
  EXPECT_EQ(pool.opened, 2u);
}

// The server ends a pooled connection while it is idle, as a restart or a
// failover does: the next read and write get a new connection, not the
// error.
TEST(PostgresPoolTest, ConnectionTheServerClosedWhileIdleIsReplaced) {
  auto t = TestDatabase::Create(Engine::kPostgres, 1);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Database& db = (*t)->db();
  const Sql kBackend{"SELECT pg_backend_pid()"};
  auto backend = [&] {
    int64_t pid = 0;
    Status s = db.Read([&](Connection& conn) -> Status {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kBackend));
      pid = rows.at(0).Int(0);
      return Status();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return pid;
  };
  int64_t first = backend();
  ASSERT_GT(first, 0);

  auto admin = OpenPostgres((*t)->uri());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  const Sql kTerminate{"SELECT pg_terminate_backend($1)"};
  const Sql kGone{"SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1"};
  auto terminate = [&](int64_t pid) {
    ASSERT_TRUE((*admin)->Query(kTerminate, {pid}).ok());
    for (int i = 0; i < 500; ++i) {
      auto rows = (*admin)->Query(kGone, {pid});
      ASSERT_TRUE(rows.ok()) << rows.status().ToString();
      if (rows->at(0).Int(0) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "backend " << pid << " still there";
  };
  ASSERT_NO_FATAL_FAILURE(terminate(first));

  int64_t second = backend();
  EXPECT_GT(second, 0);
  EXPECT_NE(second, first);
  Status created = db.Write([](Connection& conn) {
    return conn.Exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT, n BIGINT)").status();
  });
  EXPECT_TRUE(created.ok()) << created.ToString();

  // Killed again between two writes: the write still succeeds, once.
  ASSERT_NO_FATAL_FAILURE(terminate(second));
  Status inserted = db.Write([](Connection& conn) {
    return conn.Query(kInsertKv, {"k", "v", int64_t{1}}).status();
  });
  EXPECT_TRUE(inserted.ok()) << inserted.ToString();
  const Sql kCount{"SELECT COUNT(*) FROM kv"};
  int64_t count = -1;
  Status read = db.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kCount));
    count = rows.at(0).Int(0);
    return Status();
  });
  EXPECT_TRUE(read.ok()) << read.ToString();
  EXPECT_EQ(count, 1);
}

TEST(MigrationsTest, BothEnginesHaveTheSameSteps) {
  // The two dialects must move in lock step: same number of steps.
  EXPECT_EQ(SqliteCustomerMigrations().size(), PostgresCustomerMigrations().size());
  EXPECT_EQ(SqliteProductMigrations().size(), PostgresProductMigrations().size());
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::storage
