#include "launcher/supervisor.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

extern char** environ;

namespace mp::launcher {

Supervisor::Supervisor() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

Supervisor::~Supervisor() { StopAll(); }

StatusOr<pid_t> Supervisor::Spawn(const Component& c) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(c.program.c_str()));
  for (const std::string& a : c.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // The child starts with default signal handling and an empty mask, so it
  // receives our SIGTERM; its own group keeps a terminal's Ctrl-C to us.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, c.program.c_str(), nullptr, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Unavailable("cannot start " + c.program + ": " + std::strerror(rc));
  return pid;
}

Status Supervisor::WaitHealthy(const Child& child, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (waitpid(child.pid, &wstatus, WNOHANG) == child.pid) {
      return Unavailable(child.component.name + " exited during start-up (see its log above)");
    }
    last = child.component.health();
    if (last.ok()) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Unavailable(child.component.name + " not healthy after " +
                     std::to_string(timeout.count()) + "s: " + last.message());
}

Status Supervisor::StartAll(std::vector<Component> components, std::chrono::seconds timeout) {
  for (Component& c : components) {
    MP_ASSIGN_OR_RETURN(pid_t pid, Spawn(c));
    children_.push_back({std::move(c), pid});
    MP_RETURN_IF_ERROR(WaitHealthy(children_.back(), timeout));
    std::cout << "  " << children_.back().component.name << "\t"
              << children_.back().component.address << "\tpid " << pid << std::endl;
  }
  return Status();
}

void Supervisor::Run() {
  for (;;) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&signals_, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) break;
    // Reap and restart any child that died (SIGCHLD or the periodic tick).
    for (Child& child : children_) {
      int wstatus = 0;
      if (child.pid <= 0 || waitpid(child.pid, &wstatus, WNOHANG) != child.pid) continue;
      std::cerr << "marketplace: " << child.component.name << " (pid " << child.pid
                << ") exited with status " << wstatus << "; restarting" << std::endl;
      // Back off when a component keeps dying right away.
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * std::min(++child.restarts, 10)));
      auto pid = Spawn(child.component);
      child.pid = pid.ok() ? *pid : -1;
      if (!pid.ok()) std::cerr << "marketplace: " << pid.status().ToString() << std::endl;
    }
  }
  std::cout << "marketplace: stopping" << std::endl;
  StopAll();
}

void Supervisor::StopAll() {
  // Reverse order: frontends before the services they call.
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->pid > 0) kill(it->pid, SIGTERM);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->pid <= 0) continue;
    int wstatus = 0;
    while (waitpid(it->pid, &wstatus, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(it->pid, SIGKILL);
        waitpid(it->pid, &wstatus, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    it->pid = -1;
  }
}

}  // namespace mp::launcher
