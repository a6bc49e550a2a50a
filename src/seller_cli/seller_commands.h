#pragma once

#include <vector>

#include "client/command.h"

namespace mp::seller_cli {

// The command table of seller-cli: the seller REST API of docs/contract.md §4, one
// command per call. Everything else comes from src/client.
std::vector<client::Command> Commands();

}  // namespace mp::seller_cli
