#include "client/command.h"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace po = boost::program_options;
namespace json = boost::json;

namespace mp::client {
namespace {

constexpr std::string_view kUsageReason = "usage";

// No prefix guessing: "--q" must not silently mean "--quantity".
constexpr int kStyle = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;

po::options_description AllOptions(const Command& command) {
  po::options_description all;
  if (command.options) all.add(*command.options);
  all.add_options()("json", po::bool_switch(), "print the reply as raw JSON")("help,h",
                                                                              "show this help");
  return all;
}

StatusOr<po::variables_map> Parse(const Command& command, const std::vector<std::string>& args) {
  try {
    po::options_description all = AllOptions(command);
    po::variables_map vm;
    po::store(po::command_line_parser(args)
                  .options(all)
                  .positional(command.positional)
                  .style(kStyle)
                  .run(),
              vm);
    po::notify(vm);
    return vm;
  } catch (const po::error& e) {
    return UsageError(e.what());
  }
}

// How the usage line names a value: ITEM_ID for a positional, else --name.
std::string DisplayName(const Command& command, const std::string& option) {
  unsigned count = std::min(command.positional.max_total_count(), 8u);
  for (unsigned i = 0; i < count; ++i) {
    if (command.positional.name_for_position(i) == option) {
      std::string upper = option;
      for (char& c : upper) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
      return upper;
    }
  }
  return "--" + option;
}

// Asks for every missing value and appends the answers to `args`.
Status AskForMissing(const Command& command, const po::variables_map& vm, Prompter& prompter,
                     std::vector<std::string>& args) {
  for (const RequiredValue& value : command.required) {
    if (vm.count(value.option)) continue;
    std::string label = value.label + (value.optional ? " (optional)" : "");
    MP_ASSIGN_OR_RETURN(std::string answer, prompter.Ask(label, value.secret));
    if (answer.empty()) {
      if (value.optional) continue;
      return UsageError("no " + value.label + " given");
    }
    // "--opt=value" keeps an answer that starts with '-' a value.
    args.push_back("--" + value.option + "=" + answer);
  }
  return Status();
}

}  // namespace

Status UsageError(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message), std::string(kUsageReason));
}

bool IsUsageError(const Status& status) { return status.reason() == kUsageReason; }

CommandContext::CommandContext(RestClient& rest, const TokenStore& tokens, std::ostream& out,
                               std::ostream& err, Prompter* prompter)
    : rest_(rest), tokens_(tokens), out_(out), err_(err), prompter_(prompter) {}

StatusOr<ApiResponse> CommandContext::Call(boost::beast::http::verb method, std::string target,
                                           const json::value* body, CallOptions options) {
  if (options.authenticated) {
    if (!token_loaded_) {
      MP_ASSIGN_OR_RETURN(std::optional<std::string> token, tokens_.Load());
      rest_.set_token(std::move(token));
      token_loaded_ = true;
    }
    if (!rest_.token()) return Unauthenticated("not logged in");
  }
  return rest_.Call(method, std::move(target), body, options);
}

Status CommandContext::SaveToken(const std::string& token) {
  rest_.set_token(token);
  token_loaded_ = true;
  return tokens_.Save(token);
}

Status CommandContext::ForgetToken() {
  rest_.set_token(std::nullopt);
  token_loaded_ = true;
  return tokens_.Remove();
}

void CommandContext::Emit(const ApiResponse& reply,
                          const std::function<std::string(const json::value&)>& render) {
  if (json_output_) {
    std::string raw = reply.raw.empty() ? "{}" : reply.raw;
    out_ << raw << (raw.ends_with('\n') ? "" : "\n");
  } else {
    out_ << render(reply.json);
  }
  out_.flush();
}

CommandBuilder::CommandBuilder(std::string name, std::string usage, std::string help) {
  command_.name = std::move(name);
  command_.usage = std::move(usage);
  command_.help = std::move(help);
  command_.options = std::make_shared<po::options_description>("options");
}

po::options_description_easy_init CommandBuilder::Options() {
  return command_.options->add_options();
}

CommandBuilder& CommandBuilder::Positional(const char* name, int max_count) {
  command_.positional.add(name, max_count);
  return *this;
}

CommandBuilder& CommandBuilder::Require(std::string option, std::string label, bool secret) {
  command_.required.push_back({std::move(option), std::move(label), secret, false});
  return *this;
}

CommandBuilder& CommandBuilder::AskAlso(std::string option, std::string label, bool secret) {
  command_.required.push_back({std::move(option), std::move(label), secret, true});
  return *this;
}

Command CommandBuilder::Build(CommandHandler handler) {
  command_.handler = std::move(handler);
  return std::move(command_);
}

Status RunCommand(const Command& command, std::vector<std::string> args, CommandContext& context) {
  MP_ASSIGN_OR_RETURN(po::variables_map vm, Parse(command, args));
  if (vm.count("help")) {
    context.out() << CommandHelp(command, context.usage_prefix());
    return Status();
  }
  std::string missing;
  for (const RequiredValue& value : command.required) {
    if (!value.optional && !vm.count(value.option)) {
      missing += (missing.empty() ? "" : ", ") + DisplayName(command, value.option);
    }
  }
  if (!missing.empty()) {
    if (context.prompter() == nullptr) return UsageError("missing " + missing);
    MP_RETURN_IF_ERROR(AskForMissing(command, vm, *context.prompter(), args));
    MP_ASSIGN_OR_RETURN(vm, Parse(command, args));
  }
  bool json_before = context.json_output();
  if (vm["json"].as<bool>()) context.set_json_output(true);
  Status status = command.handler(context, vm);
  context.set_json_output(json_before);
  return status;
}

std::string CommandHelp(const Command& command, std::string_view prefix) {
  std::ostringstream out;
  out << "usage: " << prefix << command.name << (command.usage.empty() ? "" : " ") << command.usage
      << "\n  " << command.help << "\n";
  if (command.options && !command.options->options().empty()) out << "\n" << *command.options;
  out << "  --json                print the reply as raw JSON\n";
  return out.str();
}

bool MentionsSecret(const Command& command, const std::vector<std::string>& args) {
  for (const RequiredValue& value : command.required) {
    if (!value.secret) continue;
    std::string flag = "--" + value.option;
    for (const std::string& arg : args) {
      if (arg == flag || arg.starts_with(flag + "=")) return true;
    }
  }
  return false;
}

std::optional<std::string> StringArg(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

std::optional<int64_t> IntArg(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<int64_t>();
}

StatusOr<ItemId> ItemIdArg(const po::variables_map& vm, const std::string& name) {
  std::optional<std::string> text = StringArg(vm, name);
  if (!text) return UsageError("missing " + name);
  StatusOr<ItemId> id = ItemId::Parse(*text, name);
  if (!id.ok()) return UsageError(id.status().message());
  return id;
}

StatusOr<Money> MoneyArg(const po::variables_map& vm, const std::string& name) {
  std::optional<std::string> text = StringArg(vm, name);
  if (!text) return UsageError("missing --" + name);
  StatusOr<Money> money = Money::Parse(*text, "--" + name);
  if (!money.ok()) return UsageError(money.status().message());
  return money;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    size_t begin = item.find_first_not_of(" \t");
    if (begin != std::string_view::npos) {
      items.emplace_back(item.substr(begin, item.find_last_not_of(" \t") - begin + 1));
    }
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return items;
}

}  // namespace mp::client
