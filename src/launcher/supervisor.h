#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mp::launcher {

// One child process of `marketplace up`.
struct Component {
  std::string name;               // e.g. "customer-db"
  std::string program;            // executable path
  std::vector<std::string> args;  // without argv[0]
  std::string address;            // where it serves, for the banner
  // OK once the component answers its health check.
  std::function<Status()> health;
  // Started at once with the component after it, and its health waited for
  // only once that one is started too: members of a cluster that answer
  // only once a quorum of them runs (etcd, Patroni).
  bool start_with_next = false;
  // Runs under this user (setgid, setuid after fork) when set: PostgreSQL
  // refuses to run as root.
  struct User {
    uid_t uid;
    gid_t gid;
  };
  std::optional<User> user{};
  // Its standard output and error go to this file (appended) when set: for
  // servers that log more than a terminal wants.
  std::string log_file{};
  // Components stop by tier, highest first, each tier once the ones above
  // it have exited: Patroni (1) stops its PostgreSQL while etcd (0) still
  // answers it, after the services (2) that use the database.
  int stop_tier = 2;
  // How `marketplace status` asks it (launcher/status.h): "grpc HOST:PORT",
  // "http HOST:PORT/PATH", "https ..." or "patroni HOST:PORT"; "" not asked.
  std::string probe{};
  // Called once the process has exited, before it is started again or the
  // supervisor goes on: e.g. to stop what it leaves running (a PostgreSQL
  // server whose Patroni died must not go on as a primary nobody watches).
  std::function<void()> after_exit{};
};

// The uid and gid of `name`; kNotFound when there is no such user.
StatusOr<Component::User> LookUpUser(const std::string& name);

// Starts components in order, waits for each to be healthy, restarts any
// that dies, and stops them all (SIGTERM, then SIGKILL after a grace period)
// when SIGINT or SIGTERM arrives, during start-up too. Each child runs in
// its own process group (a terminal's Ctrl-C reaches only the supervisor)
// and gets SIGTERM from the kernel should the supervisor die without
// stopping it, so no child outlives it. Not thread-safe: run from main.
class Supervisor {
 public:
  // REQUIRES: called before any other thread starts (it blocks the signals).
  Supervisor();
  ~Supervisor();  // stops whatever still runs

  // Starts every component and waits until each is healthy. kUnavailable
  // when one cannot start or stay up; kAborted on SIGINT/SIGTERM meanwhile.
  Status StartAll(std::vector<Component> components, std::chrono::seconds timeout);
  // Blocks until SIGINT/SIGTERM, restarting components that die meanwhile,
  // then stops all of them.
  void Run();
  void StopAll();
  // Where to keep, while running, one line per child: name, pid, probe and
  // address, tab-separated (read by `marketplace status`). "" (default):
  // nowhere.
  void set_state_file(std::string path) { state_file_ = std::move(path); }

 private:
  struct Child {
    Component component;
    pid_t pid = -1;
    // Restarts since the child last ran for kStableRun; sets the back-off.
    int restarts = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  StatusOr<pid_t> Spawn(const Component& c);
  Status WaitHealthy(const Child& child, std::chrono::seconds timeout);

  void WriteState() const;

  std::vector<Child> children_;
  std::string state_file_;
  sigset_t signals_;
};

}  // namespace mp::launcher
