#include "client/cli.h"

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "client/cli_options.h"
#include "client/http_client.h"
#include "client/line_split.h"
#include "client/rest_client.h"
#include "client/terminal.h"
#include "client/token_store.h"

namespace po = boost::program_options;

namespace mp::client {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

po::options_description GlobalOptions(const CliSpec& spec, CliOptions& options) {
  po::options_description desc("global options");
  std::string server_help = "[https://]HOST:PORT[,...] of the server and its replicas (env " +
                            spec.server_env + ", default " + spec.default_server + ")";
  auto add = desc.add_options();
  add("server", po::value(&options.servers)->value_name("ADDRS"), server_help.c_str());
  add("json", po::bool_switch(&options.json), "print replies as raw JSON");
  add("token-file", po::value(&options.token_file)->value_name("PATH"),
      "where the session token is kept (env MP_TOKEN_FILE)");
  add("timeout", po::value(&options.timeout_s)->value_name("SECONDS"),
      "limit for connecting and for each reply (default 10)");
  add("ca", po::value(&options.ca_file)->value_name("FILE"),
      "CA certificate for https:// servers (default: the system's)");
  add("help,h", "show this help");
  return desc;
}

const Command* Find(const CliSpec& spec, std::string_view name) {
  for (const Command& command : spec.commands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string CommandList(const CliSpec& spec, bool in_shell) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Command& command : spec.commands) {
    rows.emplace_back(command.name, command.help);
  }
  rows.emplace_back("help [COMMAND]", "list commands, or explain one");
  if (in_shell) {
    rows.emplace_back("quit, exit", "leave the shell (so does Ctrl-D)");
  } else {
    rows.emplace_back("shell", "interactive shell (also with no command)");
  }
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out = "commands:\n";
  for (const auto& [name, help] : rows) {
    out += "  " + name + std::string(width - name.size() + 2, ' ') + help + "\n";
  }
  return out;
}

std::string TopHelp(const CliSpec& spec, const po::options_description& global) {
  std::ostringstream out;
  out << "usage: " << spec.program << " [GLOBAL OPTIONS] COMMAND [ARGS]   run one command\n"
      << "       " << spec.program << " [GLOBAL OPTIONS] [shell]          interactive shell\n\n"
      << CommandList(spec, false) << "\n"
      << global << "\nrun '" << spec.program << " help COMMAND' for a command's options\n";
  return out.str();
}

int Report(const Status& status, const Command* command, std::string_view prefix,
           std::ostream& err) {
  err << "error: " << (IsUsageError(status) ? status.message() : status.ToString()) << "\n";
  if (IsUsageError(status)) {
    if (command != nullptr) {
      err << "usage: " << prefix << command->name << " " << command->usage << "\n"
          << "(see '" << prefix << "help " << command->name << "')\n";
    }
    return kExitUsage;
  }
  if (status.code() == StatusCode::kUnauthenticated &&
      (command == nullptr || command->name != "login")) {
    err << "(start a session with '" << prefix << "login')\n";
  }
  return kExitFailed;
}

// Runs the words of one command line (one-shot or shell).
int Dispatch(const CliSpec& spec, CommandContext& context, const std::vector<std::string>& words,
             bool in_shell) {
  const std::string& prefix = context.usage_prefix();
  const std::string& name = words[0];
  if (name == "help") {
    if (words.size() == 1) {
      context.out() << CommandList(spec, in_shell);
      return kExitOk;
    }
    const Command* command = Find(spec, words[1]);
    if (command == nullptr) {
      context.err() << "error: unknown command '" << words[1] << "'\n";
      return kExitUsage;
    }
    context.out() << CommandHelp(*command, prefix);
    return kExitOk;
  }
  const Command* command = Find(spec, name);
  if (command == nullptr) {
    context.err() << "error: unknown command '" << name << "' (see '" << prefix << "help')\n";
    return kExitUsage;
  }
  Status status =
      RunCommand(*command, std::vector<std::string>(words.begin() + 1, words.end()), context);
  return status.ok() ? kExitOk : Report(status, command, prefix, context.err());
}

int RunShell(const CliSpec& spec, CommandContext& context, LineReader& reader, bool interactive) {
  if (interactive) {
    context.err() << spec.program << ": type 'help' for commands, 'quit' to leave\n";
  }
  int last = kExitOk;
  while (std::optional<std::string> line = reader.ReadLine(spec.role + "> ")) {
    StatusOr<std::vector<std::string>> words = SplitLine(*line);
    if (!words.ok()) {
      context.err() << "error: " << words.status().message() << "\n";
      last = kExitUsage;
      continue;
    }
    if (words->empty()) continue;
    const Command* command = Find(spec, words->front());
    std::vector<std::string> args(words->begin() + 1, words->end());
    if (command == nullptr || !MentionsSecret(*command, args)) {
      reader.AddHistory(*line);
    }
    if (words->front() == "quit" || words->front() == "exit") break;
    if (words->front() == "shell") continue;
    last = Dispatch(spec, context, *words, /*in_shell=*/true);
  }
  if (interactive) context.err() << "\n";
  // A person at a terminal saw each error already; a script wants a status.
  return interactive ? kExitOk : last;
}

// Parses the global flags, which may come anywhere, into `options` and
// returns the other words (command name, its options and arguments) in
// order. nullopt when the run is over: help was shown or a flag was bad
// (`exit` says which).
std::optional<std::vector<std::string>> ParseGlobalFlags(const CliSpec& spec,
                                                         const std::vector<std::string>& args,
                                                         CliOptions& options, CliIo& io,
                                                         int& exit) {
  po::options_description global = GlobalOptions(spec, options);
  std::vector<std::string> words;
  po::variables_map vm;
  try {
    po::parsed_options parsed =
        po::command_line_parser(args)
            .options(global)
            .allow_unregistered()
            .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
            .run();
    po::store(parsed, vm);
    po::notify(vm);
    words = po::collect_unrecognized(parsed.options, po::include_positional);
  } catch (const po::error& e) {
    io.err << "error: " << e.what() << "\n(see '" << spec.program << " --help')\n";
    exit = kExitUsage;
    return std::nullopt;
  }
  if (vm.count("help")) {
    if (words.empty()) {
      io.out << TopHelp(spec, global);
      exit = kExitOk;
      return std::nullopt;
    }
    words.push_back("--help");  // the command prints its own help
  }
  if (!(options.timeout_s > 0 && options.timeout_s < 86400)) {
    io.err << "error: --timeout must be between 0 and 86400 seconds\n";
    exit = kExitUsage;
    return std::nullopt;
  }
  return words;
}

// Flag, else environment, else default.
StatusOr<HttpClientOptions> HttpOptions(const CliSpec& spec, const CliEnvironment& env,
                                        const CliOptions& options) {
  std::string list = !options.servers.empty() ? options.servers
                     : !env.server.empty()    ? env.server
                                              : spec.default_server;
  HttpClientOptions http;
  MP_ASSIGN_OR_RETURN(http.servers, ParseServerList(list));
  http.timeout = std::chrono::milliseconds(std::llround(options.timeout_s * 1000));
  http.ca_file = options.ca_file;
  return http;
}

std::filesystem::path TokenPath(const CliSpec& spec, const CliEnvironment& env,
                                const CliOptions& options) {
  if (!options.token_file.empty()) return options.token_file;
  if (!env.token_file.empty()) return env.token_file;
  return DefaultTokenPath(spec.role, env.config_home, env.home);
}

}  // namespace

int RunCli(const CliSpec& spec, const CliEnvironment& env, const std::vector<std::string>& args,
           CliIo io) {
  CliOptions options;
  int exit = kExitOk;
  std::optional<std::vector<std::string>> words = ParseGlobalFlags(spec, args, options, io, exit);
  if (!words) return exit;
  StatusOr<HttpClientOptions> http_options = HttpOptions(spec, env, options);
  if (!http_options.ok()) {
    io.err << "error: " << http_options.status().message() << "\n";
    return kExitUsage;
  }
  HttpClient http(std::move(*http_options));
  RestClient rest(http);
  std::filesystem::path token_path = TokenPath(spec, env, options);
  TokenStore tokens(token_path);
  TerminalPrompter terminal_prompter(io.in, io.err);
  Prompter* prompter = io.prompter != nullptr ? io.prompter
                       : io.interactive       ? &terminal_prompter
                                              : nullptr;
  CommandContext context(rest, tokens, io.out, io.err, prompter);
  context.set_json_output(options.json);

  if (!words->empty() && words->front() != "shell") {
    context.set_usage_prefix(spec.program + " ");
    return Dispatch(spec, context, *words, /*in_shell=*/false);
  }
  if (!io.interactive) {
    StreamLineReader reader(io.in);
    return RunShell(spec, context, reader, false);
  }
  // History sits next to the token; without a directory for it the shell
  // still works, it just forgets.
  std::filesystem::path history = token_path.parent_path() / (spec.role + ".history");
  if (!CreatePrivateDirectory(token_path.parent_path()).ok()) history.clear();
  EditLineReader reader(history);
  return RunShell(spec, context, reader, true);
}

int RunCliMain(const CliSpec& spec, int argc, char** argv) {
  auto variable = [](const std::string& name) -> std::string {
    const char* value = std::getenv(name.c_str());
    return value != nullptr ? value : "";
  };
  const CliEnvironment env{.server = variable(spec.server_env),
                           .token_file = variable("MP_TOKEN_FILE"),
                           .config_home = variable("XDG_CONFIG_HOME"),
                           .home = variable("HOME")};
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  return RunCli(spec, env, args,
                CliIo{std::cin, std::cout, std::cerr, StdinIsTerminal(),
                      /*prompter=*/nullptr});
}

}  // namespace mp::client
