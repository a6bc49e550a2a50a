#include "client/terminal.h"

// clang-format off
#include <cstdio>  // editline/readline.h uses FILE without including it
#include <editline/readline.h>
// clang-format on
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace mp::client {
namespace {

constexpr int kHistoryLines = 1000;

// Turns terminal echo off for its lifetime; restores the old mode even when
// reading fails.
class EchoOff {
 public:
  EchoOff() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

bool StdinIsTerminal() { return ::isatty(STDIN_FILENO) == 1; }

StatusOr<std::string> TerminalPrompter::Ask(std::string_view label, bool secret) {
  err_ << label << ": " << std::flush;
  std::string answer;
  bool got;
  if (secret) {
    EchoOff echo_off;
    got = static_cast<bool>(std::getline(in_, answer));
    err_ << "\n";  // the user's Enter was not echoed either
  } else {
    got = static_cast<bool>(std::getline(in_, answer));
  }
  if (!got) return UsageError("input ended at the prompt");
  return answer;
}

std::optional<std::string> StreamLineReader::ReadLine(const std::string&) {
  std::string line;
  if (!std::getline(in_, line)) return std::nullopt;
  return line;
}

EditLineReader::EditLineReader(std::filesystem::path history_file)
    : history_file_(std::move(history_file)) {
  using_history();
  stifle_history(kHistoryLines);
  if (!history_file_.empty()) read_history(history_file_.c_str());
}

EditLineReader::~EditLineReader() {
  if (history_file_.empty()) return;
  // Commands may name items and users: keep the file private. Creating it
  // 0600 first means write_history never makes it wider.
  int fd = ::open(history_file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;  // no history is no reason to fail the session
  ::fchmod(fd, 0600);
  ::close(fd);
  write_history(history_file_.c_str());
  history_truncate_file(history_file_.c_str(), kHistoryLines);
}

std::optional<std::string> EditLineReader::ReadLine(const std::string& prompt) {
  char* line = readline(prompt.c_str());
  if (line == nullptr) return std::nullopt;
  std::string out(line);
  std::free(line);
  return out;
}

void EditLineReader::AddHistory(const std::string& line) { add_history(line.c_str()); }

}  // namespace mp::client
