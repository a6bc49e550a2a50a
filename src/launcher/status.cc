#include "launcher/status.h"

#include <signal.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "common/flags.h"
#include "launcher/http_probe.h"
#include "launcher/launcher_options.h"
#include "rpc/health_client.h"
#include "rpc/tls_credentials.h"
#include "tls/tls_files.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace mp::launcher {
namespace {

struct Row {
  std::string name;
  long pid = -1;
  std::string probe;
  std::string address;
};

// "HOST:PORT/PATH" -> address and path.
std::pair<std::string, std::string> SplitTarget(const std::string& target) {
  size_t slash = target.find('/');
  if (slash == std::string::npos) return {target, "/"};
  return {target.substr(0, slash), target.substr(slash)};
}

// The probe's answer: "" when healthy, else what is wrong; `role` gets a
// Patroni node's role.
std::string Ask(const std::string& probe, const fs::path& tls_dir, std::string& role) {
  std::istringstream in(probe);
  std::string kind, target;
  in >> kind >> target;
  auto [address, path] = SplitTarget(target);
  Status status;
  if (kind == "grpc" || kind == "grpc-tls") {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (kind == "grpc-tls") {
      auto files = tls::ResolveTlsFiles({.dir = tls_dir.string()}, tls::kFrontend);
      auto made = files.ok() ? rpc::ChannelCredentials(*files) : files.status();
      if (!made.ok()) return made.status().message();
      credentials = *made;
    }
    status = rpc::CheckHealth(address, "", std::chrono::seconds(1), credentials);
  } else if (kind == "http") {
    status = CheckHttpHealth(address, path);
  } else if (kind == "https" || kind == "payment-tls") {
    tls::TlsFiles files{.ca = (tls_dir / "ca.pem").string()};
    if (kind == "payment-tls") {
      auto resolved = tls::ResolveTlsFiles({.dir = tls_dir.string()}, tls::kFrontend);
      if (!resolved.ok()) return resolved.status().message();
      files = *resolved;
    }
    auto context = tls::NewClientContext(files, address.substr(0, address.rfind(':')));
    if (!context.ok()) return context.status().message();
    status = CheckHttpHealth(address, path, *context);
  } else if (kind == "patroni") {
    status = CheckHttpHealth(address, "/health");
    if (status.ok()) {
      // "sync": the standby that has every commit, the one to promote.
      role = CheckHttpHealth(address, "/primary").ok()   ? "primary"
             : CheckHttpHealth(address, "/sync").ok()    ? "sync"
             : CheckHttpHealth(address, "/replica").ok() ? "replica"
                                                         : "starting";
    }
  } else {
    return "";
  }
  return status.ok() ? "" : status.message();
}

}  // namespace

int RunStatus(int argc, char** argv) {
  UpOptions up;
  po::options_description desc(
      "marketplace status options: the processes of the `marketplace up` that uses the data "
      "directory, their health, and which PostgreSQL node is primary");
  desc.add_options()("data-dir", po::value(&up.data_dir)->default_value(up.data_dir),
                     "the data directory of `marketplace up`");
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);
  fs::path state = fs::path(up.data_dir) / "run" / "state";
  std::ifstream in(state);
  if (!in) {
    std::cout << "marketplace status: nothing runs on " << up.data_dir << " (no " << state.string()
              << ")\n";
    return 1;
  }
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    Row row;
    std::string pid;
    if (!std::getline(fields, row.name, '\t') || !std::getline(fields, pid, '\t') ||
        !std::getline(fields, row.probe, '\t') || !std::getline(fields, row.address)) {
      continue;
    }
    row.pid = std::atol(pid.c_str());
    rows.push_back(std::move(row));
  }
  int unhealthy = 0;
  std::cout << std::left << std::setw(16) << "PROCESS" << std::setw(9) << "PID" << std::setw(10)
            << "STATE" << std::setw(9) << "ROLE"
            << "ADDRESS\n";
  for (const Row& row : rows) {
    std::string role;
    std::string problem = row.pid > 0 && kill(static_cast<pid_t>(row.pid), 0) == 0
                              ? Ask(row.probe, fs::path(up.data_dir) / "tls", role)
                              : "not running";
    unhealthy += !problem.empty();
    std::cout << std::setw(16) << row.name << std::setw(9) << row.pid << std::setw(10)
              << (problem.empty() ? "healthy" : "DOWN") << std::setw(9)
              << (role.empty() ? "-" : role) << row.address
              << (problem.empty() ? "" : "  (" + problem + ")") << "\n";
  }
  std::cout << "marketplace status: " << rows.size() - unhealthy << " of " << rows.size()
            << " healthy\n";
  return unhealthy == 0 ? 0 : 1;
}

}  // namespace mp::launcher
