// seller-cli: the seller's client of the marketplace (docs/contract.md §7). One command
// per call for scripts, or an interactive shell ("seller>") without one.
#include <cstdlib>

#include "client/cli.h"
#include "seller_cli/seller_commands.h"

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

int main(int argc, char** argv) {
  mp::client::CliSpec spec{.program = "seller-cli",
                           .role = "seller",
                           .default_server = "127.0.0.1:8081",
                           .server_env = "MP_SELLER_SERVER",
                           .commands = mp::seller_cli::Commands()};
  mp::client::CliEnvironment env{.server = Env("MP_SELLER_SERVER"),
                                 .token_file = Env("MP_TOKEN_FILE"),
                                 .config_home = Env("XDG_CONFIG_HOME"),
                                 .home = Env("HOME")};
  return mp::client::RunCliMain(spec, env, argc, argv);
}
