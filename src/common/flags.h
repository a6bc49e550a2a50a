#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "common/status.h"

namespace mp {

// Fills `vm` from the command line, then from the environment: an option
// "--db-uri" of a component with prefix "MP_CUSTOMER_DB_" may also be set as
// MP_CUSTOMER_DB_DB_URI. The command line wins. Prints usage and returns
// kFailedPrecondition/"help" for --help; kInvalidArgument on a bad flag.
Status ParseFlags(int argc, char** argv, const boost::program_options::options_description& desc,
                  const std::string& env_prefix, boost::program_options::variables_map& vm);

// Exit status for a failed ParseFlags: 0 after --help, else 2 (message on stderr).
int ExitCodeFor(const Status& flags_status);
// Logs a start-up failure and returns exit status 1.
int Fail(const Status& status);

}  // namespace mp
