// buyer-cli: the buyer's client of the marketplace (docs/contract.md §7). One command
// per call for scripts, or an interactive shell ("buyer>") without one.
#include <cstdlib>

#include "buyer_cli/buyer_commands.h"
#include "client/cli.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

int main(int argc, char** argv) {
  mp::client::CliSpec spec{.program = "buyer-cli",
                           .role = "buyer",
                           .default_server = "127.0.0.1:8082",
                           .server_env = "MP_BUYER_SERVER",
                           .commands = mp::buyer_cli::Commands()};
  mp::client::CliEnvironment env{.server = Env("MP_BUYER_SERVER"),
                                 .token_file = Env("MP_TOKEN_FILE"),
                                 .config_home = Env("XDG_CONFIG_HOME"),
                                 .home = Env("HOME")};
  return mp::client::RunCliMain(spec, env, argc, argv);
}
