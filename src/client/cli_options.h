#pragma once

#include <string>

namespace mp::client {

// Global flags of seller-cli and buyer-cli; RunCli fills them from the
// command line and the environment.
struct CliOptions {
  // "host:port,host:port": replicas of one server, tried in order. Empty:
  // the environment's value, else the CLI's default.
  std::string servers;
  // Print replies as raw JSON instead of tables.
  bool json = false;
  // Where the session token lives. Empty: MP_TOKEN_FILE, else
  // ${XDG_CONFIG_HOME:-$HOME/.config}/marketplace/<role>.token.
  std::string token_file;
  // Seconds allowed to connect, and again for each reply.
  double timeout_s = 10;
  // CA certificate file for https:// servers; empty: the system's CAs.
  std::string ca_file;
};

}  // namespace mp::client
