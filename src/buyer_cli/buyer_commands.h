#pragma once

#include <vector>

#include "client/command.h"

namespace mp::buyer_cli {

// The command table of buyer-cli: the buyer REST API of docs/contract.md §4, one
// command per call. Everything else comes from src/client.
std::vector<client::Command> Commands();

}  // namespace mp::buyer_cli
