// seller-cli: the seller's client of the marketplace (docs/contract.md §7). One command
// per call for scripts, or an interactive shell ("seller>") without one.
#include "client/cli.h"
#include "seller_cli/seller_commands.h"

int main(int argc, char** argv) {
  mp::client::CliSpec spec{.program = "seller-cli",
                           .role = "seller",
                           .default_server = "127.0.0.1:8081",
                           .server_env = "MP_SELLER_SERVER",
                           .commands = mp::seller_cli::Commands()};
  return mp::client::RunCliMain(spec, argc, argv);
}
