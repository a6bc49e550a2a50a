#include "common/flags.h"

#include <iostream>

#include "common/log.h"

namespace po = boost::program_options;

namespace mp {

Status ParseFlags(int argc, char** argv, const po::options_description& desc,
                  const std::string& env_prefix, po::variables_map& vm) {
  po::options_description all(desc);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    po::store(po::parse_environment(all,
                                    [&](const std::string& env) -> std::string {
                                      if (!env.starts_with(env_prefix)) return "";
                                      std::string name = env.substr(env_prefix.size());
                                      for (char& c : name) {
                                        c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
                                      }
                                      return all.find_nothrow(name, false) ? name : "";
                                    }),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Status(StatusCode::kInvalidArgument, e.what());
  }
  if (vm.count("help")) {
    std::cout << all << "\n";
    return Status(StatusCode::kFailedPrecondition, "help shown", "help");
  }
  return Status();
}

int ExitCodeFor(const Status& flags_status) {
  if (flags_status.reason() == "help") return 0;
  std::cerr << flags_status.message() << "\n";
  return 2;
}

int Fail(const Status& status) {
  log::Error("cannot start: {}", status.ToString());
  return 1;
}

}  // namespace mp
