#include "client/token_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fs = std::filesystem;

namespace mp::client {
namespace {

Status IoError(const std::string& what, const fs::path& path, int err) {
  return Internal(what + " " + path.string() + ": " + std::strerror(err));
}

Status WriteAll(int fd, const std::string& data, const fs::path& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
  return Status();
}

}  // namespace

fs::path DefaultTokenPath(const std::string& role, const std::string& config_home,
                          const std::string& home) {
  std::string file = role + ".token";
  if (!config_home.empty()) return fs::path(config_home) / "marketplace" / file;
  if (!home.empty()) return fs::path(home) / ".config" / "marketplace" / file;
  return fs::path(".marketplace-" + file);
}

Status CreatePrivateDirectory(const fs::path& dir) {
  if (dir.empty()) return Status();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status();
  MP_RETURN_IF_ERROR(CreatePrivateDirectory(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("cannot create directory", dir, errno);
  }
  return Status();
}

StatusOr<std::optional<std::string>> TokenStore::Load() const {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return IoError("cannot read", path_, errno);
  }
  std::string token;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IoError("cannot read", path_, err);
    }
    token.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(token));
}

Status TokenStore::Save(const std::string& token) const {
  MP_RETURN_IF_ERROR(CreatePrivateDirectory(path_.parent_path()));
  // Write a fresh private file beside the target and rename it over: a
  // reader never sees half a token, and an old file's wider mode (if someone
  // chmod-ed it) is never inherited.
  fs::path tmp = path_;
  tmp += ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return IoError("cannot create", tmp, errno);
  // The umask can only narrow 0600, but say it explicitly.
  Status written = ::fchmod(fd, 0600) == 0 ? WriteAll(fd, token + "\n", tmp)
                                           : IoError("cannot chmod", tmp, errno);
  if (written.ok() && ::fsync(fd) != 0) written = IoError("cannot sync", tmp, errno);
  ::close(fd);
  if (written.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    written = IoError("cannot replace", path_, errno);
  }
  if (!written.ok()) ::unlink(tmp.c_str());
  return written;
}

Status TokenStore::Remove() const {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return IoError("cannot delete", path_, errno);
  }
  return Status();
}

}  // namespace mp::client
