#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "client/command.h"

namespace mp::client {

// What makes a CLI seller-cli or buyer-cli: everything else is shared.
struct CliSpec {
  std::string program;         // "seller-cli", for usage lines
  std::string role;            // "seller": prompt "seller> ", file "seller.token"
  std::string default_server;  // "127.0.0.1:8081"
  std::string server_env;      // "MP_SELLER_SERVER", named in --help
  std::vector<Command> commands;
};

// The environment variables a CLI reads; RunCliMain fills this ("" when
// unset), so nothing below it calls getenv.
struct CliEnvironment {
  std::string server;       // the value of CliSpec::server_env
  std::string token_file;   // MP_TOKEN_FILE
  std::string config_home;  // XDG_CONFIG_HOME
  std::string home;         // HOME
};

// The streams of one run. Only an interactive run (stdin is a terminal)
// prompts for missing values and edits lines with libedit; otherwise the
// shell reads plain lines from `in`.
struct CliIo {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool interactive = false;
  // Used for prompts when set (tests); else a TerminalPrompter when
  // interactive.
  Prompter* prompter = nullptr;
};

// Runs one CLI invocation; `args` excludes the program name. With a command
// it runs that command once (one-shot); with none, or "shell", it starts the
// shell. Returns the exit status: 0 on success, 1 when a command failed
// (API or I/O error), 2 for a usage error. A shell reading a script returns
// the status of its last command.
int RunCli(const CliSpec& spec, const CliEnvironment& env, const std::vector<std::string>& args,
           CliIo io);

// RunCli on argv with the standard streams and the process's environment,
// for main.
int RunCliMain(const CliSpec& spec, int argc, char** argv);

}  // namespace mp::client
