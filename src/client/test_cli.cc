#include "client/test_cli.h"

#include <sstream>

namespace mp::client::testing {

CliRun RunCliForTest(const CliSpec& spec, const CliEnvironment& env,
                     const std::vector<std::string>& args, const std::string& input,
                     Prompter* prompter) {
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = RunCli(spec, env, args, CliIo{in, out, err, prompter != nullptr, prompter});
  return {code, out.str(), err.str()};
}

}  // namespace mp::client::testing
