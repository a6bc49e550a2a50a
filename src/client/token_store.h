#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/status.h"

namespace mp::client {

// The default token file of a role ("seller", "buyer"):
// $XDG_CONFIG_HOME/marketplace/<role>.token, else
// $HOME/.config/marketplace/<role>.token, else ./.marketplace-<role>.token.
// Arguments are the environment values ("" when unset); main reads them.
std::filesystem::path DefaultTokenPath(const std::string& role, const std::string& config_home,
                                       const std::string& home);

// The session token kept between one-shot commands, in a file only its owner
// may read or write (mode 0600, in a directory created 0700). Not thread-safe.
class TokenStore {
 public:
  explicit TokenStore(std::filesystem::path path) : path_(std::move(path)) {}

  const std::filesystem::path& path() const { return path_; }

  // The stored token, or nullopt when there is no file. kInternal when the
  // file exists but cannot be read.
  StatusOr<std::optional<std::string>> Load() const;
  // Replaces the file atomically. The new file is created with O_EXCL and
  // mode 0600, so the token is never readable by anyone else, not even
  // briefly. kInternal on I/O errors.
  Status Save(const std::string& token) const;
  // Deletes the file; OK when it does not exist.
  Status Remove() const;

 private:
  std::filesystem::path path_;
};

// Creates `dir` and its missing parents with mode 0700. kInternal on failure.
Status CreatePrivateDirectory(const std::filesystem::path& dir);

}  // namespace mp::client
