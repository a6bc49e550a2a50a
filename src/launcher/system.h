#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/launcher_options.h"
#include "launcher/supervisor.h"

namespace mp::launcher {

// The five servers of `marketplace up`, in start order (the DB services and
// the payment service before the REST servers that call them), with their
// flags and health checks. `bin` holds the server binaries. With
// options.tls, every server gets --tls-dir <data_dir>/tls (paths only) and
// the health checks present the frontend's certificate; kFailedPrecondition
// when those files cannot be used (see TlsDir).
StatusOr<std::vector<Component>> SystemComponents(const UpOptions& options,
                                                  const std::filesystem::path& bin);

// Where `marketplace up` keeps the CA and the certificates: <data_dir>/tls.
std::filesystem::path TlsDir(const UpOptions& options);

// Where the DB service `name` ("customer-db", "product-db") listens for the
// REST servers: an absolute path in <data_dir>/run, or nullopt when
// options.unix_sockets is off or the path is too long for a Unix socket
// (108 bytes), in which case the hop is TCP.
std::optional<std::filesystem::path> SocketFor(const UpOptions& options, std::string_view name);

// What to print once the system is up: the commands that start the two
// CLIs against it (binaries from `bin`, --server set to the REST servers).
std::string ClientInstructions(const UpOptions& options, const std::filesystem::path& bin);

}  // namespace mp::launcher
