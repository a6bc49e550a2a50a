#include "launcher/supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

namespace mp::launcher {
namespace {

// A child that stayed up this long before dying was not crash-looping.
constexpr auto kStableRun = std::chrono::seconds(30);

}  // namespace

StatusOr<Component::User> LookUpUser(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return NotFound("no user " + name);
  }
  return Component::User{found->pw_uid, found->pw_gid};
}

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
  int log = -1;
  if (!c.log_file.empty()) {
    log = open(c.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log < 0) return Unavailable(c.log_file + ": " + strerror(errno));
    if (c.user && fchown(log, c.user->uid, c.user->gid) != 0) {
      close(log);
      return Unavailable(c.log_file + ": " + strerror(errno));
    }
  }
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
    if (log >= 0 && (dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)) _exit(127);
    // Groups first: once the uid is dropped, they can no longer be changed.
    if (c.user && (setgroups(0, nullptr) != 0 || setgid(c.user->gid) != 0 ||
                   setuid(c.user->uid) != 0 || chdir("/") != 0)) {
      int error = errno;
      (void)!write(report[1], &error, sizeof error);
      _exit(127);
    }
    execv(argv[0], argv.data());
    int error = errno;
    (void)!write(report[1], &error, sizeof error);
    _exit(127);
  }
  close(report[1]);
  if (log >= 0) close(log);
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
  size_t group = children_.size();  // first child of the group being started
  for (Component& c : components) {
    MP_ASSIGN_OR_RETURN(pid_t pid, Spawn(c));
    const bool with_next = c.start_with_next;
    children_.push_back({std::move(c), pid});
    WriteState();
    if (with_next) continue;
    for (; group < children_.size(); ++group) {
      const Child& child = children_[group];
      MP_RETURN_IF_ERROR(WaitHealthy(child, timeout));
      std::cout << "  " << child.component.name << "\t" << child.component.address << "\tpid "
                << child.pid << std::endl;
    }
  }
  return Status();
}

void Supervisor::WriteState() const {
  if (state_file_.empty()) return;
  // Written aside and renamed: a reader never sees half a file.
  std::string temporary = state_file_ + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const Child& child : children_) {
      out << child.component.name << "\t" << child.pid << "\t" << child.component.probe << "\t"
          << child.component.address << "\n";
    }
  }
  std::rename(temporary.c_str(), state_file_.c_str());
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
        if (child.component.after_exit) child.component.after_exit();
      }
      // Back off when a component keeps dying right away.
      std::this_thread::sleep_for(std::chrono::milliseconds(200 * std::min(++child.restarts, 10)));
      auto pid = Spawn(child.component);
      child.pid = pid.ok() ? *pid : -1;
      child.started = std::chrono::steady_clock::now();
      if (!pid.ok()) std::cerr << "marketplace: " << pid.status().ToString() << std::endl;
      WriteState();
    }
  }
  std::cout << "marketplace: stopping" << std::endl;
  StopAll();
}

void Supervisor::StopAll() {
  if (!state_file_.empty()) std::remove(state_file_.c_str());
  int top = 0;
  for (const Child& child : children_) top = std::max(top, child.component.stop_tier);
  for (int tier = top; tier >= 0; --tier) {
    // Reverse order: frontends before the services they call.
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if (it->pid > 0 && it->component.stop_tier == tier) kill(it->pid, SIGTERM);
    }
    // Patroni may take a while to stop PostgreSQL cleanly; killed sooner,
    // it would leave the server running without it.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(tier == 1 ? 30 : 10);
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if (it->pid <= 0 || it->component.stop_tier != tier) continue;
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
      if (it->component.after_exit) it->component.after_exit();
    }
  }
}

}  // namespace mp::launcher
