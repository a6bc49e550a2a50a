#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
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
};

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

  std::vector<Child> children_;
  sigset_t signals_;
};

}  // namespace mp::launcher
