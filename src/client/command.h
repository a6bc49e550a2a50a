#pragma once

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/rest_client.h"
#include "client/token_store.h"
#include "common/status.h"
#include "common/types.h"

namespace mp::client {

// A command's arguments are wrong: the CLI prints its usage and, in one-shot
// mode, exits with status 2 (API errors exit with 1).
Status UsageError(std::string message);
bool IsUsageError(const Status& status);

// Asks the user for a value a command needs.
class Prompter {
 public:
  virtual ~Prompter() = default;
  // Shows `label` and reads one line; a `secret` is read without echo.
  // A UsageError when input ends before an answer.
  virtual StatusOr<std::string> Ask(std::string_view label, bool secret) = 0;
};

// What a command handler works with: the REST API, the session token and
// the output streams. One per CLI run; not thread-safe.
class CommandContext {
 public:
  // `prompter` may be null: then no command ever prompts (stdin is not a
  // terminal). Arguments must outlive the context.
  CommandContext(RestClient& rest, const TokenStore& tokens, std::ostream& out, std::ostream& err,
                 Prompter* prompter);

  // Calls the API. When `options.authenticated`, the stored token is sent,
  // and without one the call fails with kUnauthenticated before any request.
  StatusOr<ApiResponse> Call(boost::beast::http::verb method, std::string target,
                             const boost::json::value* body = nullptr, CallOptions options = {});

  // Keeps `token` for this run and in the token file.
  Status SaveToken(const std::string& token);
  // Forgets the token here and deletes the token file.
  Status ForgetToken();

  // --json: print replies as received instead of as tables.
  bool json_output() const { return json_output_; }
  void set_json_output(bool json) { json_output_ = json; }

  // Prints the reply to stdout: its raw body with --json ("{}" when it has
  // none), else render(reply.json).
  void Emit(const ApiResponse& reply,
            const std::function<std::string(const boost::json::value&)>& render);

  // What usage lines put before a command name: "seller-cli " in one-shot
  // mode, "" in the shell.
  const std::string& usage_prefix() const { return usage_prefix_; }
  void set_usage_prefix(std::string prefix) { usage_prefix_ = std::move(prefix); }

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  Prompter* prompter() { return prompter_; }

 private:
  RestClient& rest_;
  const TokenStore& tokens_;
  std::ostream& out_;
  std::ostream& err_;
  Prompter* prompter_;
  bool json_output_ = false;
  bool token_loaded_ = false;
  std::string usage_prefix_;
};

using CommandHandler =
    std::function<Status(CommandContext&, const boost::program_options::variables_map&)>;

// A value a command needs. When it is missing, an interactive CLI asks for
// it and a non-interactive one fails with a UsageError.
struct RequiredValue {
  std::string option;     // long option name, e.g. "password"
  std::string label;      // prompt text, e.g. "password"
  bool secret = false;    // read without echo; never kept in shell history
  bool optional = false;  // asked only when the command asked for something
                          // else already; an empty answer leaves it out
};

// One entry of a CLI's command table: serves one-shot mode and the shell.
struct Command {
  std::string name;
  std::string usage;  // what follows the name, e.g. "ITEM_ID --price PRICE"
  std::string help;   // one line
  std::shared_ptr<boost::program_options::options_description> options;
  boost::program_options::positional_options_description positional;
  std::vector<RequiredValue> required;
  CommandHandler handler;
};

// Builds a Command; keeps command tables short.
class CommandBuilder {
 public:
  CommandBuilder(std::string name, std::string usage, std::string help);
  boost::program_options::options_description_easy_init Options();
  // Maps the next positional argument(s) to option `name`.
  CommandBuilder& Positional(const char* name, int max_count = 1);
  CommandBuilder& Require(std::string option, std::string label, bool secret = false);
  CommandBuilder& AskAlso(std::string option, std::string label, bool secret = false);
  Command Build(CommandHandler handler);

 private:
  Command command_;
};

// Parses `args` (the words after the command name) with the command's
// options plus --json and --help, asks for missing required values, and runs
// the handler. --help prints the command's help instead. Errors: UsageError
// for bad arguments, else the handler's Status.
Status RunCommand(const Command& command, std::vector<std::string> args, CommandContext& context);

// "usage: <prefix><name> <usage>", the help line and the options.
std::string CommandHelp(const Command& command, std::string_view prefix);

// True when `args` passes a value of a secret option on the line itself:
// such a line must not go to the shell history.
bool MentionsSecret(const Command& command, const std::vector<std::string>& args);

// Argument helpers for handlers; each gives a UsageError naming the option.
std::optional<std::string> StringArg(const boost::program_options::variables_map& vm,
                                     const std::string& name);
std::optional<int64_t> IntArg(const boost::program_options::variables_map& vm,
                              const std::string& name);
StatusOr<ItemId> ItemIdArg(const boost::program_options::variables_map& vm,
                           const std::string& name = "item-id");
StatusOr<Money> MoneyArg(const boost::program_options::variables_map& vm, const std::string& name);
// "a, b,,c" -> {"a","b","c"}.
std::vector<std::string> SplitList(std::string_view text);

}  // namespace mp::client
