#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "client/command.h"
#include "common/status.h"

namespace mp::client {

// True when standard input is a terminal: only then may a CLI prompt.
bool StdinIsTerminal();

// Prompts on `err` and reads standard input; turns echo off for secrets.
class TerminalPrompter final : public Prompter {
 public:
  TerminalPrompter(std::istream& in, std::ostream& err) : in_(in), err_(err) {}
  StatusOr<std::string> Ask(std::string_view label, bool secret) override;

 private:
  std::istream& in_;
  std::ostream& err_;
};

// Where the shell reads its lines from.
class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its newline; nullopt at end of input.
  virtual std::optional<std::string> ReadLine(const std::string& prompt) = 0;
  // Remembers `line` for recall (and the history file, if any).
  virtual void AddHistory(const std::string& line) = 0;
};

// Lines from a stream, without prompts or history: a script piped in.
class StreamLineReader final : public LineReader {
 public:
  explicit StreamLineReader(std::istream& in) : in_(in) {}
  std::optional<std::string> ReadLine(const std::string& prompt) override;
  void AddHistory(const std::string&) override {}

 private:
  std::istream& in_;
};

// Line editing and history through libedit's readline API. History is read
// from `history_file` at start and written back (mode 0600, last 1000
// lines) on destruction; an empty path keeps history in memory only.
// libedit keeps global state: at most one instance at a time.
class EditLineReader final : public LineReader {
 public:
  explicit EditLineReader(std::filesystem::path history_file);
  ~EditLineReader() override;
  EditLineReader(const EditLineReader&) = delete;
  EditLineReader& operator=(const EditLineReader&) = delete;

  std::optional<std::string> ReadLine(const std::string& prompt) override;
  void AddHistory(const std::string& line) override;

 private:
  std::filesystem::path history_file_;
};

}  // namespace mp::client
