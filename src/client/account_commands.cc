#include "client/account_commands.h"

#include "client/json_util.h"

namespace po = boost::program_options;
namespace json = boost::json;
using boost::beast::http::verb;

namespace mp::client {
namespace {

void AddCredentials(CommandBuilder& builder) {
  builder.Options()("username", po::value<std::string>()->value_name("NAME"), "login name")(
      "password", po::value<std::string>()->value_name("PASSWORD"),
      "8-128 characters; asked without echo when left out on a terminal");
  builder.Require("username", "username").Require("password", "password", /*secret=*/true);
}

Command CreateAccount(const std::string& role) {
  CommandBuilder builder("create-account", "--username NAME --password PASSWORD --name NAME",
                         "create a " + role + " account");
  AddCredentials(builder);
  builder.Options()("name", po::value<std::string>()->value_name("NAME"),
                    "display name, 1-32 characters");
  builder.Require("name", "name");
  return builder.Build([role](CommandContext& ctx, const po::variables_map& vm) -> Status {
    json::value body = {{"username", *StringArg(vm, "username")},
                        {"password", *StringArg(vm, "password")},
                        {"name", *StringArg(vm, "name")}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply,
                        ctx.Call(verb::post, "/v1/accounts", &body, CallOptions::Anonymous()));
    std::string username = *StringArg(vm, "username");
    ctx.Emit(reply, [&](const json::value& v) {
      return "created " + role + " account " + TextField(v, role + "_id") + " for " + username +
             "; log in with: login --username " + username + "\n";
    });
    return Status();
  });
}

Command Login(const std::string& role) {
  CommandBuilder builder("login", "--username NAME --password PASSWORD",
                         "start a session; later commands use it until logout");
  AddCredentials(builder);
  return builder.Build([role](CommandContext& ctx, const po::variables_map& vm) -> Status {
    json::value body = {{"username", *StringArg(vm, "username")},
                        {"password", *StringArg(vm, "password")}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply,
                        ctx.Call(verb::post, "/v1/sessions", &body, CallOptions::Anonymous()));
    const json::value& token = Field(reply.json, "token");
    if (!token.is_string() || token.get_string().empty()) {
      return Internal("the login reply carries no token");
    }
    MP_RETURN_IF_ERROR(ctx.SaveToken(std::string(token.get_string())));
    std::string username = *StringArg(vm, "username");
    ctx.Emit(reply, [&](const json::value& v) {
      return "logged in as " + username + " (" + role + " " + TextField(v, role + "_id") + ")\n";
    });
    return Status();
  });
}

Command Logout() {
  CommandBuilder builder("logout", "", "end the session and forget its token");
  return builder.Build([](CommandContext& ctx, const po::variables_map&) -> Status {
    StatusOr<ApiResponse> reply = ctx.Call(verb::delete_, "/v1/sessions/current");
    Status status = reply.status();
    // While the server is unreachable the session is still alive: keep the
    // token so that logout can be tried again.
    if (status.code() == StatusCode::kUnavailable ||
        status.code() == StatusCode::kDeadlineExceeded) {
      return status;
    }
    MP_RETURN_IF_ERROR(ctx.ForgetToken());
    // Already ended (timed out, or no token here): the goal is reached.
    if (status.code() == StatusCode::kUnauthenticated || status.code() == StatusCode::kNotFound) {
      ctx.Emit(ApiResponse{}, [](const json::value&) { return std::string("not logged in\n"); });
      return Status();
    }
    MP_RETURN_IF_ERROR(status);
    ctx.Emit(*reply, [](const json::value&) { return std::string("logged out\n"); });
    return Status();
  });
}

}  // namespace

std::vector<Command> AccountCommands(const std::string& role) {
  return {CreateAccount(role), Login(role), Logout()};
}

}  // namespace mp::client
