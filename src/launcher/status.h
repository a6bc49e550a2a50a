#pragma once

namespace mp::launcher {

// `marketplace status [--data-dir DIR]`: every process of the `marketplace
// up` that uses DIR, whether it runs and answers its health check, and for
// a replicated deployment which PostgreSQL node is primary. Exit 0 when
// every one is healthy, 1 otherwise, 2 on usage errors.
int RunStatus(int argc, char** argv);

}  // namespace mp::launcher
