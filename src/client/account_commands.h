#pragma once

#include <string>
#include <vector>

#include "client/command.h"

namespace mp::client {

// create-account, login and logout, which both CLIs share: the REST calls
// are the same on both servers (docs/contract.md §4) and only the id field differs,
// "<role>_id". login keeps the token in the token file; logout deletes it.
std::vector<Command> AccountCommands(const std::string& role);

}  // namespace mp::client
