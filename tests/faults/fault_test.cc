// Faults under load (issue 8, item 5): while marketplace-bench runs the mixed
// workload with resilient clients, every process of the system is killed
// with SIGKILL and restarted in turn: the seller and buyer servers, the
// customer and product DB services, the payment service and, on PostgreSQL,
// the database server itself. Afterwards every write the clients saw
// acknowledged is in the databases, stock and counters agree with the
// purchase records, and the clients saw no error but retryable ones (503,
// 504, a dropped connection) and purchases an outage undid. The outage of
// each component, as the clients saw it, is printed (docs/faults.md).
//
// The suite runs a short version; tests/faults/run_long.sh the long one.
// Settings (environment): MP_FAULT_SETTLE_S seconds of load before the first
// kill and after each restart (default 3), MP_FAULT_DOWN_S seconds between a
// kill and the restart (0), MP_FAULT_ROUNDS kills of each component (1),
// MP_FAULT_SELLERS and MP_FAULT_BUYERS clients (2, 4), MP_FAULT_REPORT a
// file the measured outages are appended to (Markdown).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/results.h"
#include "common/password.h"
#include "fault_check.h"
#include "ledger.h"
#include "process_stack.h"
#include "shop.h"

namespace mp::faults {
namespace {

namespace fs = std::filesystem;
using integration::Component;
using integration::ProcessStack;
using storage::Engine;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

struct Settings {
  int settle_s = EnvInt("MP_FAULT_SETTLE_S", 3);
  // Seconds a killed component stays down before it is started again (0:
  // at once, as a supervisor would).
  int down_s = EnvInt("MP_FAULT_DOWN_S", 0);
  int rounds = EnvInt("MP_FAULT_ROUNDS", 1);
  int sellers = EnvInt("MP_FAULT_SELLERS", 2);
  int buyers = EnvInt("MP_FAULT_BUYERS", 4);
  int items_per_seller = 10;
};

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs a shell command; its stdout, or the failure.
StatusOr<std::string> Shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Internal("popen failed");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int status = pclose(pipe);
  if (status != 0) return Internal(command + " exited with status " + std::to_string(status));
  return out;
}

// The PostgreSQL server of this test alone (tests/faults/pg_cluster.sh): it
// is crashed, and the suite's shared server serves other tests meanwhile.
class PgCluster {
 public:
  static StatusOr<std::unique_ptr<PgCluster>> Start() {
    MP_ASSIGN_OR_RETURN(std::string out, Shell(Script() + " start"));
    std::istringstream words(out);
    auto pg = std::unique_ptr<PgCluster>(new PgCluster());
    words >> pg->dir_ >> pg->uri_;
    if (pg->uri_.empty()) return Internal("pg_cluster.sh start printed " + out);
    return pg;
  }
  ~PgCluster() { (void)Shell(Script() + " stop " + dir_); }

  const std::string& uri() const { return uri_; }
  Status Crash() const { return Shell(Script() + " crash " + dir_).status(); }
  Status Restart() const { return Shell(Script() + " restart " + dir_).status(); }

 private:
  PgCluster() = default;
  static std::string Script() { return std::string(MP_FAULTS_DIR) + "/pg_cluster.sh"; }
  std::string dir_;
  std::string uri_;
};

// marketplace-bench as a child process: the mixed workload with resilient
// clients and a journal, running until Stop.
class BenchProcess {
 public:
  BenchProcess(const ProcessStack& stack, const Settings& settings, const std::string& dir,
               const std::string& label)
      : dir_(dir) {
    args_ = {std::string(std::getenv("MP_TEST_BIN_DIR")) + "/marketplace-bench",
             "--seller",
             stack.address(Component::kSellerServer),
             "--buyer",
             stack.address(Component::kBuyerServer),
             "--sellers",
             std::to_string(settings.sellers),
             "--buyers",
             std::to_string(settings.buyers),
             "--items-per-seller",
             std::to_string(settings.items_per_seller),
             "--workload",
             "mixed",
             "--duration",
             "36000",  // until Stop
             "--runs",
             "1",
             "--threads",
             "1",
             "--resilient",
             "--retry-wait",
             "100",
             "--timeout",
             "20",
             "--seed",
             "7",
             "--label",
             label,
             "--journal",
             journal(),
             "--out",
             dir + "/out"};
  }
  ~BenchProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string journal() const { return dir_ + "/journal.jsonl"; }
  // What it printed: stdout (its report), then stderr.
  std::string Output() const { return Read(dir_ + "/bench.out") + Read(dir_ + "/bench.err"); }

  // Starts it and waits until its run has started (set-up done).
  Status Start() {
    std::vector<char*> argv;
    for (std::string& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string out = dir_ + "/bench.out", err = dir_ + "/bench.err";
    int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0 || err_fd < 0) return Internal("cannot create the bench's output files");
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(out_fd, STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out_fd);
    close(err_fd);
    if (pid_ < 0) return Internal("fork failed");
    auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      if (Output().find("run 1 started") != std::string::npos) return Status();
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        return Internal("marketplace-bench ended during set-up:\n" + Output());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Internal("marketplace-bench did not start its run:\n" + Output());
  }

  // Ends the run (SIGTERM) and returns the bench's exit status.
  StatusOr<int> Stop() {
    kill(pid_, SIGTERM);
    auto deadline = Clock::now() + std::chrono::seconds(60);
    int wstatus = 0;
    while (waitpid(pid_, &wstatus, WNOHANG) != pid_) {
      if (Clock::now() > deadline) return Internal("marketplace-bench did not stop");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    if (!WIFEXITED(wstatus)) return Internal("marketplace-bench died: " + std::to_string(wstatus));
    return WEXITSTATUS(wstatus);
  }

 private:
  std::string dir_;
  std::vector<std::string> args_;
  pid_t pid_ = -1;
};

// Reads the databases after a PostgreSQL crash too: the test's own pooled
// connections may have died with the server, and a read on one fails once.
template <typename Read>
auto ReadAgain(Read read) -> decltype(read()) {
  auto result = read();
  for (int i = 0; i < 5 && !result.ok() && result.status().code() == StatusCode::kUnavailable;
       ++i) {
    result = read();
  }
  return result;
}

std::string Seconds(double s) {
  if (s < 0) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

std::string StatusCounts(const std::map<int, int64_t>& by_status) {
  std::string out;
  for (const auto& [status, n] : by_status) {
    if (!out.empty()) out += ", ";
    out.append(std::to_string(n)).append(" × ");
    out.append(status == 0 ? std::string("no reply") : std::to_string(status));
  }
  return out.empty() ? "–" : out;
}

class FaultTest : public ::testing::TestWithParam<Engine> {
 protected:
  void TearDown() override {
    if (HasFailure() && stack_ != nullptr) std::cerr << stack_->Logs();
    if (HasFailure() && bench_ != nullptr) {
      std::cerr << "----- marketplace-bench\n" << bench_->Output();
    }
    bench_.reset();
    stack_.reset();
    pg_.reset();
    if (!shared_pg_uri_.empty()) setenv("MP_TEST_PG_URI", shared_pg_uri_.c_str(), 1);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string shared_pg_uri_;  // MP_TEST_PG_URI before the test replaced it
  std::unique_ptr<PgCluster> pg_;
  std::unique_ptr<ProcessStack> stack_;
  std::unique_ptr<BenchProcess> bench_;
  std::string dir_;
};

TEST_P(FaultTest, EveryAcknowledgedWriteSurvivesKillsUnderLoad) {
  const Engine engine = GetParam();
  const Settings settings;
  if (engine == Engine::kPostgres) {
    ASSERT_NE(std::getenv("MP_TEST_PG_URI"), nullptr)
        << "MP_TEST_PG_URI is not set: run the suite with `./marketplace test`, which starts a "
           "private PostgreSQL (this test then starts one more of its own, which it crashes)";
    auto pg = PgCluster::Start();
    ASSERT_TRUE(pg.ok()) << pg.status().ToString();
    pg_ = std::move(pg).value();
    // The stack's databases (TestDatabase) go to the server this test crashes.
    shared_pg_uri_ = std::getenv("MP_TEST_PG_URI");
    setenv("MP_TEST_PG_URI", pg_->uri().c_str(), 1);
  }
  dir_ = (fs::temp_directory_path() / ("mp-faults-" + RandomToken().substr(0, 12))).string();
  fs::create_directories(dir_);
  integration::StackOptions options;
  options.engine = engine;
  options.approval_rate = 0.9;
  // Purchases a crash left pending are settled 5 s later, so the test need
  // not wait long for them at the end.
  options.recovery_age_s = 5;
  options.log_level = "warn";
  auto stack = ProcessStack::Start(options);
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  stack_ = std::move(stack).value();

  const std::string label = storage::testing::EngineName(engine);
  bench_ = std::make_unique<BenchProcess>(*stack_, settings, dir_, label);
  Status started = bench_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::this_thread::sleep_for(std::chrono::seconds(settings.settle_s));

  std::vector<std::string> components = {"seller-server", "buyer-server", "customer-db",
                                         "product-db", "payment"};
  if (engine == Engine::kPostgres) components.push_back("postgresql");
  std::vector<Fault> faults;
  for (int round = 0; round < settings.rounds; ++round) {
    for (const std::string& name : components) {
      Fault fault{.component = name, .killed_ns = NowNs()};
      Status back;
      auto down = std::chrono::seconds(settings.down_s);
      if (name == "postgresql") {
        back = pg_->Crash();
        std::this_thread::sleep_for(down);
        if (back.ok()) back = pg_->Restart();
      } else {
        Component c = Component::kSellerServer;
        for (Component each : {Component::kCustomerDb, Component::kProductDb, Component::kPayment,
                               Component::kSellerServer, Component::kBuyerServer}) {
          if (integration::ComponentName(each) == name) c = each;
        }
        back = stack_->Kill(c);  // SIGKILL
        std::this_thread::sleep_for(down);
        if (back.ok()) back = stack_->Restart(c);
      }
      fault.restarted_ns = NowNs();
      ASSERT_TRUE(back.ok()) << name << " did not come back: " << back.ToString();
      Status healthy = WaitFrontendsHealthy(*stack_, std::chrono::seconds(60));
      ASSERT_TRUE(healthy.ok()) << "after " << name << ": " << healthy.ToString();
      fault.healthy_ns = NowNs();
      faults.push_back(fault);
      std::this_thread::sleep_for(std::chrono::seconds(settings.settle_s));
    }
  }
  auto exit = bench_->Stop();
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  auto results = bench::LoadResults(dir_ + "/out");
  ASSERT_TRUE(results.ok()) << results.status().ToString() << "\n" << bench_->Output();
  const bench::BenchResult& result = results->front();
  const bench::FigureRanges& overall = result.summary.overall;
  // Only retryable failures: every other status is an error of the bench.
  EXPECT_EQ(overall.errors, 0) << ::testing::PrintToString(result.error_samples);
  EXPECT_EQ(*exit, 0) << bench_->Output();

  // Purchases left pending by a crash are settled by recovery.
  integration::Shop shop(*stack_);
  Status settled = shop.WaitNoPending(std::chrono::seconds(60));
  ASSERT_TRUE(settled.ok()) << settled.ToString();

  auto journal = ReadJournal(bench_->journal());
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  auto ledger = ReadAgain([&] { return integration::ReadLedger(*stack_); });
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  auto shelf = ReadAgain([&] { return ReadShelf(*stack_); });
  ASSERT_TRUE(shelf.ok()) << shelf.status().ToString();
  // Stock is checked against the journal (CheckJournal), which knows what
  // was put up; the rest of the purchase invariants here.
  EXPECT_THAT(integration::CheckInvariants(*ledger, {}), IsEmpty());
  EXPECT_THAT(CheckJournal(*journal, *ledger, *shelf, settings.items_per_seller), IsEmpty());

  // The run did what it is for: writes of every kind were acknowledged.
  std::map<std::string, int> acked;
  for (const JournalEntry& e : *journal) acked[e.call] += e.result == "ok";
  for (const char* call : {"RegisterItemForSale", "ChangeItemPrice", "UpdateUnitsForSale",
                           "AddItemToCart", "SaveCart", "MakePurchase"}) {
    EXPECT_GT(acked[call], 0) << call;
  }

  std::vector<FaultEffect> effects = MeasureFaults(*journal, faults);
  std::ostringstream report;
  report << "### " << label << ": " << settings.sellers << " sellers + " << settings.buyers
         << " buyers, " << settings.settle_s << " s between faults, " << settings.rounds
         << " round(s), restarted " << settings.down_s << " s after the kill\n\n"
         << "| component | process back (s) | frontends healthy (s) | outage seen by clients (s) | "
            "failed calls | their statuses | last failed call |\n"
         << "|---|---:|---:|---:|---:|---|---|\n";
  for (size_t i = 0; i < faults.size(); ++i) {
    const Fault& f = faults[i];
    const FaultEffect& e = effects[i];
    report << "| " << f.component << " | " << Seconds((f.restarted_ns - f.killed_ns) / 1e9) << " | "
           << Seconds((f.healthy_ns - f.killed_ns) / 1e9) << " | " << Seconds(e.outage_s) << " | "
           << e.failed_calls << " | " << StatusCounts(e.by_status) << " | "
           << (e.last_failed_call.empty() ? "–" : e.last_failed_call) << " |\n";
  }
  int64_t purchases = 0;
  for (const auto& [id, a] : ledger->attempts) purchases += a.state == 2;
  report << "\nCalls: " << static_cast<int64_t>(overall.calls.avg) << " in "
         << Seconds(result.runs.front().wall_s) << " s; unavailable " << overall.unavailable
         << ", interrupted purchases " << overall.interrupted << ", declined " << overall.declined
         << ", errors " << overall.errors << ". Acknowledged writes checked: ";
  int64_t writes = 0;
  for (const auto& [call, n] : acked) writes += n;
  report << writes << "; completed purchases: " << purchases
         << "; consistency violations: " << (HasFailure() ? "see the failures" : "none") << ".\n\n";
  std::cout << report.str() << std::flush;
  if (const char* file = std::getenv("MP_FAULT_REPORT"); file != nullptr && *file != '\0') {
    std::ofstream(file, std::ios::app) << report.str();
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, FaultTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::faults
