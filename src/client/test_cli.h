#pragma once

#include <string>
#include <vector>

#include "client/cli.h"

namespace mp::client::testing {

struct CliRun {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs a CLI in-process on `args` with `input` as its stdin. With a
// `prompter` the run counts as interactive (prompts for missing values).
CliRun RunCliForTest(const CliSpec& spec, const CliEnvironment& env,
                     const std::vector<std::string>& args, const std::string& input = "",
                     Prompter* prompter = nullptr);

}  // namespace mp::client::testing
