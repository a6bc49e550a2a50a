#include "launcher/ha.h"

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>

#include "common/password.h"
#include "launcher/http_probe.h"

namespace fs = std::filesystem;

namespace mp::launcher {
namespace {

constexpr int kEtcdMembers = 3;
// Patroni's timing (docs/deployment.md, "A replicated database"): the
// leader key lives `ttl` seconds unless renewed; the loop renews it every
// `loop_wait`; a DCS or PostgreSQL call is retried for `retry_timeout`.
// Patroni requires ttl >= loop_wait + 2 * retry_timeout.
constexpr int kTtl = 6;
constexpr int kLoopWait = 1;
constexpr int kRetryTimeout = 2;
constexpr const char* kDatabase = "marketplace";
constexpr const char* kAppUser = "marketplace";

// The parts concatenated. (GCC 12 warns falsely, -Wrestrict, on
// "literal" + std::string.)
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

std::string Local(int port) { return Cat({"127.0.0.1:", std::to_string(port)}); }

int EtcdPeerPort(const UpOptions& o, int i) { return o.ha_port + 10 + i; }

// Secrets made once and kept in <ha>/secrets (0600): the passwords of
// PostgreSQL's superuser, replication and rewind users and of the
// application's user.
StatusOr<std::map<std::string, std::string>> Secrets(const fs::path& ha) {
  fs::path file = ha / "secrets";
  std::map<std::string, std::string> secrets;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) secrets[line.substr(0, eq)] = line.substr(eq + 1);
  }
  bool fresh = false;
  for (const char* name : {"superuser", "replication", "rewind", "app"}) {
    if (secrets[name].empty()) {
      secrets[name] = RandomToken().substr(0, 32);
      fresh = true;
    }
  }
  if (fresh) {
    std::ofstream out(file, std::ios::trunc);
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    for (const auto& [name, value] : secrets) out << name << "=" << value << "\n";
    if (!out.flush()) return Unavailable(file.string() + ": cannot write");
  }
  return secrets;
}

Status WriteFile(const fs::path& path, const std::string& text, fs::perms perms,
                 const std::optional<Component::User>& owner) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out.flush()) return Unavailable(path.string() + ": cannot write");
  }
  std::error_code error;
  fs::permissions(path, perms, error);
  if (!error && owner && chown(path.c_str(), owner->uid, owner->gid) != 0) {
    error = std::error_code(errno, std::generic_category());
  }
  if (error) return Unavailable(path.string() + ": " + error.message());
  return Status();
}

Status MakeDir(const fs::path& dir, const std::optional<Component::User>& owner) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (!error) fs::permissions(dir, fs::perms::owner_all, error);
  if (!error && owner && chown(dir.c_str(), owner->uid, owner->gid) != 0) {
    error = std::error_code(errno, std::generic_category());
  }
  if (error) return Unavailable(dir.string() + ": " + error.message());
  return Status();
}

// True when `user` can reach `dir` (every directory above it searchable).
bool CanReach(const Component::User& user, const fs::path& dir) {
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) _exit(2);
    _exit(access(dir.c_str(), R_OK | W_OK | X_OK) == 0 ? 0 : 1);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

// The newest PostgreSQL server's binaries in Debian's layout.
StatusOr<fs::path> PostgresBinDir() {
  fs::path best;
  int best_version = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "postgres")) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  if (best.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "no PostgreSQL server in /usr/lib/postgresql (Debian's postgresql)");
  }
  return best;
}

StatusOr<fs::path> Program(const char* name, const char* package) {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
    fs::path path = fs::path(dir) / name;
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  return Status(StatusCode::kFailedPrecondition,
                Cat({name, " not found: install Debian's ", package, " (scripts/setup.sh does)"}));
}

std::string PatroniConfig(const UpOptions& o, int i, const fs::path& ha, const fs::path& bin_dir,
                          const std::map<std::string, std::string>& secrets) {
  std::string etcd_hosts;
  for (int m = 0; m < kEtcdMembers; ++m) {
    etcd_hosts.append(m ? "," : "").append(Local(EtcdClientPort(o, m)));
  }
  fs::path node = ha / Cat({"pg", std::to_string(i)});
  std::ostringstream y;
  // Synchronous mode: a commit returns once a standby has it too, and only
  // that standby may be promoted, so a failover never loses an answered
  // commit. Not strict: with no standby left the primary goes on alone.
  y << "scope: marketplace\n"
    << "namespace: /marketplace/\n"
    << "name: pg" << i << "\n"
    << "restapi:\n"
    << "  listen: " << Local(PatroniPort(o, i)) << "\n"
    << "  connect_address: " << Local(PatroniPort(o, i)) << "\n"
    // etcd's v2 API, not etcd3: Debian's Patroni 3.0.2 renews its leader
    // key over etcd3 with an unconditional put after a stale read, so a
    // primary cut off the network took the key back from the promoted
    // standby when the network returned, and the writes acknowledged by
    // the new primary were lost (seen in tests/multihost/ha_hosts_test.sh).
    // Over v2 it renews with compare-and-swap on its own name and fails.
    << "etcd:\n"
    << "  hosts: " << etcd_hosts << "\n"
    << "bootstrap:\n"
    << "  dcs:\n"
    << "    ttl: " << kTtl << "\n"
    << "    loop_wait: " << kLoopWait << "\n"
    << "    retry_timeout: " << kRetryTimeout << "\n"
    << "    maximum_lag_on_failover: 1048576\n"
    << "    synchronous_mode: true\n"
    << "    synchronous_mode_strict: false\n"
    << "    postgresql:\n"
    << "      use_pg_rewind: true\n"
    << "      use_slots: true\n"
    << "      parameters:\n"
    << "        wal_level: replica\n"
    << "        hot_standby: 'on'\n"
    << "        wal_log_hints: 'on'\n"
    << "        max_wal_senders: 10\n"
    << "        max_replication_slots: 10\n"
    << "        wal_keep_size: 256MB\n"
    << "        synchronous_commit: 'on'\n"
    // A standby whose machine vanished (no reset) is dropped after this, and
    // Patroni names another synchronous standby: until then commits wait.
    << "        wal_sender_timeout: 5s\n"
    << "        max_connections: 200\n"
    << "  initdb:\n"
    << "    - encoding: UTF8\n"
    << "    - locale: C.UTF-8\n"
    << "    - data-checksums\n"
    << "  post_bootstrap: " << (ha / "post_bootstrap.sh").string() << "\n"
    << "postgresql:\n"
    << "  listen: " << Local(PostgresPort(o, i)) << "\n"
    << "  connect_address: " << Local(PostgresPort(o, i)) << "\n"
    << "  data_dir: " << (node / "data").string() << "\n"
    << "  bin_dir: " << bin_dir.string() << "\n"
    << "  pgpass: " << (node / "pgpass").string()
    << "\n"
    // A standby's copy starts with a checkpoint, spread over minutes
    // unless asked fast.
    << "  basebackup:\n"
    << "    - checkpoint: fast\n"
    << "  authentication:\n"
    << "    superuser:\n"
    << "      username: postgres\n"
    << "      password: " << secrets.at("superuser") << "\n"
    << "    replication:\n"
    << "      username: replicator\n"
    << "      password: " << secrets.at("replication") << "\n"
    << "    rewind:\n"
    << "      username: rewinder\n"
    << "      password: " << secrets.at("rewind") << "\n"
    << "  parameters:\n"
    << "    unix_socket_directories: " << node.string() << "\n"
    << "    shared_buffers: 64MB\n"
    << "  pg_hba:\n"
    << "    - local all all peer\n"
    << "    - host replication replicator 127.0.0.1/32 scram-sha-256\n"
    << "    - host all all 127.0.0.1/32 scram-sha-256\n"
    << "watchdog:\n"
    << "  mode: 'off'\n";
  return y.str();
}

// Stops the PostgreSQL server that a Patroni which died left running in
// `data_dir`. Left alone it would go on as a primary after a standby was
// promoted in its place once its lock expired: its commits would then wait
// for ever for a synchronous standby, and a client that reached it first
// would wait with them. An immediate shutdown; the next start recovers.
void StopOrphanedPostmaster(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return;
  // postmaster.pid outlives a crash: only a live postmaster of this data
  // directory (its working directory) is signalled.
  std::error_code error;
  fs::path cwd = fs::read_symlink(Cat({"/proc/", std::to_string(pid), "/cwd"}), error);
  if (error || !fs::equivalent(cwd, data_dir, error) || error) return;
  kill(static_cast<pid_t>(pid), SIGQUIT);
  for (int i = 0; i < 50 && kill(static_cast<pid_t>(pid), 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (kill(static_cast<pid_t>(pid), 0) == 0) kill(static_cast<pid_t>(pid), SIGKILL);
}

}  // namespace

int EtcdClientPort(const UpOptions& o, int i) { return o.ha_port + i; }
int PostgresPort(const UpOptions& o, int i) { return o.ha_port + 20 + i; }
int PatroniPort(const UpOptions& o, int i) { return o.ha_port + 30 + i; }

fs::path HaDir(const UpOptions& o) { return fs::absolute(o.data_dir) / "ha"; }

std::string HaDbUrl(const UpOptions& o) {
  std::string hosts;
  for (int i = 0; i < o.ha_nodes; ++i) hosts.append(i ? "," : "").append(Local(PostgresPort(o, i)));
  // The keepalive and user timeout end a connection to a node that
  // vanished from the network within seconds rather than TCP's minutes.
  std::string url = "postgresql://";
  url.append(kAppUser).append("@").append(hosts).append("/").append(kDatabase);
  url.append("?target_session_attrs=read-write&connect_timeout=2&keepalives_idle=2")
      .append("&keepalives_interval=1&keepalives_count=3&tcp_user_timeout=5000&passfile=")
      .append((HaDir(o) / "pgpass").string());
  return url;
}

StatusOr<std::string> KeptHaDbUrl(const fs::path& data_dir) {
  std::ifstream in(fs::absolute(data_dir) / "ha" / "db-url");
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    return NotFound(data_dir.string() + " holds no replicated database (marketplace up --ha)");
  }
  return url;
}

StatusOr<std::vector<Component>> DataTierComponents(const UpOptions& o) {
  if (o.ha_nodes < 2 || o.ha_nodes > 9) {
    return InvalidArgument("ha-nodes", "must be 2 to 9");
  }
  MP_ASSIGN_OR_RETURN(fs::path etcd, Program("etcd", "etcd-server"));
  MP_ASSIGN_OR_RETURN(fs::path patroni, Program("patroni", "patroni"));
  MP_ASSIGN_OR_RETURN(fs::path bin_dir, PostgresBinDir());
  std::optional<Component::User> postgres;
  if (geteuid() == 0) {
    auto user = LookUpUser("postgres");
    if (!user.ok()) {
      return Status(StatusCode::kFailedPrecondition,
                    "PostgreSQL refuses to run as root and there is no postgres user");
    }
    postgres = *user;
  }
  const fs::path ha = HaDir(o);
  MP_RETURN_IF_ERROR(MakeDir(ha, std::nullopt));
  MP_RETURN_IF_ERROR(MakeDir(ha / "log", std::nullopt));
  // PostgreSQL's files belong to the user it runs as, who must be able to
  // reach them: <ha> is 0700, so it is theirs too as root, and the
  // launcher (root) still reaches everything.
  if (postgres) {
    if (chown(ha.c_str(), postgres->uid, postgres->gid) != 0) {
      return Unavailable(Cat({ha.string(), ": ", strerror(errno)}));
    }
    if (!CanReach(*postgres, ha)) {
      return Status(StatusCode::kFailedPrecondition,
                    Cat({"PostgreSQL runs as the postgres user, which cannot reach ", ha.string(),
                         ": choose a --data-dir it can reach (e.g. under /tmp or /srv)"}));
    }
  }
  MP_ASSIGN_OR_RETURN(auto secrets, Secrets(ha));
  MP_RETURN_IF_ERROR(WriteFile(ha / "pgpass",
                               Cat({"*:*:*:", kAppUser, ":", secrets.at("app"), "\n"}),
                               fs::perms::owner_read | fs::perms::owner_write, std::nullopt));
  MP_RETURN_IF_ERROR(WriteFile(ha / "db-url", HaDbUrl(o) + "\n",
                               fs::perms::owner_read | fs::perms::owner_write, std::nullopt));
  // Run by Patroni once, on the node that bootstraps the cluster, with a
  // superuser connection string as $1.
  std::string psql = (bin_dir / "psql").string();
  MP_RETURN_IF_ERROR(
      WriteFile(ha / "post_bootstrap.sh",
                Cat({"#!/bin/sh\nset -e\n", psql, " -v ON_ERROR_STOP=1 \"$1\" -c \"CREATE ROLE ",
                     kAppUser, " LOGIN PASSWORD '", secrets.at("app"), "'\"\n", psql,
                     " -v ON_ERROR_STOP=1 \"$1\" -c \"CREATE DATABASE ", kDatabase, " OWNER ",
                     kAppUser, "\"\n"}),
                fs::perms::owner_all, postgres));

  std::vector<Component> components;
  std::string initial_cluster;
  for (int m = 0; m < kEtcdMembers; ++m) {
    initial_cluster.append(
        Cat({m ? "," : "", "etcd", std::to_string(m), "=http://", Local(EtcdPeerPort(o, m))}));
  }
  for (int m = 0; m < kEtcdMembers; ++m) {
    std::string name = Cat({"etcd", std::to_string(m)});
    std::string client = Cat({"http://", Local(EtcdClientPort(o, m))});
    std::string peer = Cat({"http://", Local(EtcdPeerPort(o, m))});
    std::string address = Local(EtcdClientPort(o, m));
    Component c{name,
                etcd.string(),
                {"--name", name, "--data-dir", (ha / name).string(), "--listen-client-urls", client,
                 "--advertise-client-urls", client, "--listen-peer-urls", peer,
                 "--initial-advertise-peer-urls", peer, "--initial-cluster", initial_cluster,
                 "--initial-cluster-state", "new", "--initial-cluster-token", "marketplace",
                 "--heartbeat-interval", "100", "--election-timeout", "1000",
                 // A member cut off the network campaigns with ever higher
                 // terms; without a pre-vote its return unseats the leader,
                 // and Patroni, unable to renew its lock for a moment,
                 // demotes a healthy primary.
                 "--pre-vote",
                 // For Patroni (PatroniConfig says why).
                 "--enable-v2"},
                address,
                [address] { return CheckHttpHealth(address, "/health"); }};
    c.start_with_next = m + 1 < kEtcdMembers;
    c.log_file = (ha / "log" / Cat({name, ".log"})).string();
    c.stop_tier = 0;
    c.probe = Cat({"http ", address, "/health"});
    components.push_back(std::move(c));
  }
  std::vector<std::string> rest_addresses;
  for (int i = 0; i < o.ha_nodes; ++i) rest_addresses.push_back(Local(PatroniPort(o, i)));
  for (int i = 0; i < o.ha_nodes; ++i) {
    fs::path node = ha / Cat({"pg", std::to_string(i)});
    MP_RETURN_IF_ERROR(MakeDir(node, postgres));
    fs::path config = node / "patroni.yml";
    MP_RETURN_IF_ERROR(WriteFile(config, PatroniConfig(o, i, ha, bin_dir, secrets),
                                 fs::perms::owner_read | fs::perms::owner_write, postgres));
    std::string address = Local(PatroniPort(o, i));
    const bool last = i + 1 == o.ha_nodes;
    std::string name = Cat({"postgres", std::to_string(i)});
    Component c{name,
                patroni.string(),
                {config.string()},
                Cat({Local(PostgresPort(o, i)), " (Patroni ", address, ")"}),
                [address, last, rest_addresses]() -> Status {
                  MP_RETURN_IF_ERROR(CheckHttpHealth(address, "/health"));
                  if (!last) return Status();
                  // The DB services start next: they need a primary.
                  for (const std::string& a : rest_addresses) {
                    if (CheckHttpHealth(a, "/primary").ok()) return Status();
                  }
                  return Unavailable("no primary yet");
                }};
    c.start_with_next = !last;
    c.user = postgres;
    c.log_file = (ha / "log" / Cat({name, ".log"})).string();
    c.stop_tier = 1;
    c.after_exit = [data = node / "data"] { StopOrphanedPostmaster(data); };
    c.probe = Cat({"patroni ", address});
    components.push_back(std::move(c));
  }
  return components;
}

}  // namespace mp::launcher
