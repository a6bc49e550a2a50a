// buyer-cli: the buyer's client of the marketplace (docs/contract.md §7). One command
// per call for scripts, or an interactive shell ("buyer>") without one.
#include "buyer_cli/buyer_commands.h"
#include "client/cli.h"

int main(int argc, char** argv) {
  mp::client::CliSpec spec{.program = "buyer-cli",
                           .role = "buyer",
                           .default_server = "127.0.0.1:8082",
                           .server_env = "MP_BUYER_SERVER",
                           .commands = mp::buyer_cli::Commands()};
  return mp::client::RunCliMain(spec, argc, argv);
}
