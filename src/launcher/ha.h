#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "launcher/launcher_options.h"
#include "launcher/supervisor.h"

namespace mp::launcher {

// The replicated data tier of `marketplace up --ha` on one host
// (docs/deployment.md, "A replicated database"): an etcd cluster of three
// and options.ha_nodes PostgreSQL servers, each under Patroni, which keeps
// one of them primary with synchronous replication to a standby, so that a
// commit a client saw is on two nodes and survives the primary's loss.
// Everything lives under <data-dir>/ha.
//
// Ports, from --ha-port P: etcd member i serves clients at P+i and its peers
// at P+10+i; PostgreSQL node i listens at P+20+i, its Patroni's REST API at
// P+30+i.
int EtcdClientPort(const UpOptions& options, int i);
int PostgresPort(const UpOptions& options, int i);
int PatroniPort(const UpOptions& options, int i);

// <data-dir>/ha, absolute.
std::filesystem::path HaDir(const UpOptions& options);

// The URL the DB services and payment use: libpq's multi-host form over
// every node, taking the one that accepts writes, with its password in a
// passfile (never on a command line). Also kept in <data-dir>/ha/db-url,
// for `marketplace audit` and `marketplace status`.
std::string HaDbUrl(const UpOptions& options);

// Writes what the tier needs on first use (secrets, Patroni's configs, a
// bootstrap script) and returns its components: the etcd members, then the
// Patroni nodes, the last of which is healthy only once a primary accepts
// connections. As root, Patroni and PostgreSQL run as the `postgres` user;
// kFailedPrecondition when a program is missing (Debian's etcd-server,
// patroni, postgresql) or that user cannot reach the data directory.
StatusOr<std::vector<Component>> DataTierComponents(const UpOptions& options);

// The URL kept by an earlier `marketplace up --ha` in `data_dir`, or
// kNotFound when that directory holds no replicated tier.
StatusOr<std::string> KeptHaDbUrl(const std::filesystem::path& data_dir);

}  // namespace mp::launcher
