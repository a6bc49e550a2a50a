#include "launcher/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

namespace mp::launcher {
namespace {

// A child that stayed up this long before dying was not crash-looping.
constexpr auto kStableRun = std::chrono::seconds(30);

}  // namespace

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
  // exec's errno comes back through a close-on-exec pipe: EOF means exec
  // succeeded.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Unavailable("pipe: " + std::string(strerror(errno)));
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec. The child gets
    // SIGTERM should we die without stopping it (even by SIGKILL), so it
    // never outlives us. Its own process group keeps a terminal's Ctrl-C to
    // us; we pass it on as SIGTERM. Default signal handling, empty mask.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    for (int sig : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP}) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    int error = errno;
    (void)!write(report[1], &error, sizeof error);
    _exit(127);
  }
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    return Unavailable("fork: " + std::string(strerror(errno)));
  }
  int error = 0;
  ssize_t n;
  do {
    n = read(report[0], &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    return Unavailable("cannot start " + c.program + ": " + strerror(error));
  }
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
    // Ctrl-C or SIGTERM during start-up stops at once (the caller stops
    // what started); SIGCHLD only wakes us early.
    timespec pause{0, 100'000'000};
    int sig = sigtimedwait(&signals_, nullptr, &pause);
    if (sig == SIGINT || sig == SIGTERM) {
      return Status(StatusCode::kAborted, "interrupted during start-up");
    }
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
    // Reap and restart any child that died (SIGCHLD or the periodic tick),
    // and retry one whose restart could not even spawn.
    for (Child& child : children_) {
      if (child.pid > 0) {
        int wstatus = 0;
        if (waitpid(child.pid, &wstatus, WNOHANG) != child.pid) continue;
        std::cerr << "marketplace: " << child.component.name << " (pid " << child.pid
                  << ") exited with status " << wstatus << "; restarting" << std::endl;
        // A crash after a long healthy run is not a crash loop: it starts
        // over from the shortest pause.
        if (std::chrono::steady_clock::now() - child.started > kStableRun) child.restarts = 0;
      }
      // Back off when a component keeps dying right away.
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * std::min(++child.restarts, 10)));
      auto pid = Spawn(child.component);
      child.pid = pid.ok() ? *pid : -1;
      child.started = std::chrono::steady_clock::now();
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
