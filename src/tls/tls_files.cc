#include "tls/tls_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/log.h"

namespace po = boost::program_options;

namespace mp::tls {

void AddTlsFlags(po::options_description& desc, TlsFlags& flags, TlsSide side) {
  const bool server = side == TlsSide::kServer;
  desc.add_options()("tls-dir", po::value(&flags.dir),
                     "directory with ca.pem, <role>.pem, <role>.key (turns on mutual TLS)")(
      "tls-ca", po::value(&flags.ca), "CA certificate file (overrides the one in --tls-dir)")(
      server ? "tls-cert" : "tls-client-cert", po::value(&flags.cert),
      "certificate file (overrides the one in --tls-dir)")(
      server ? "tls-key" : "tls-client-key", po::value(&flags.key),
      "private key file (overrides the one in --tls-dir)");
}

StatusOr<TlsFiles> ResolveTlsFiles(const TlsFlags& flags, std::string_view role) {
  TlsFiles files{flags.ca, flags.cert, flags.key};
  if (!flags.dir.empty()) {
    std::filesystem::path dir(flags.dir);
    std::string name(role);
    if (files.ca.empty()) files.ca = (dir / "ca.pem").string();
    if (files.cert.empty()) files.cert = (dir / (name + ".pem")).string();
    if (files.key.empty()) files.key = (dir / (name + ".key")).string();
  }
  int given = !files.ca.empty() + !files.cert.empty() + !files.key.empty();
  if (given == 0) return files;
  if (given != 3) {
    return InvalidArgument("tls", "give --tls-dir, or all of the CA, certificate and key files");
  }
  for (const std::string* path : {&files.ca, &files.cert, &files.key}) {
    std::ifstream in(*path, std::ios::binary);
    if (!in || in.peek() == std::ifstream::traits_type::eof()) {
      return Status(StatusCode::kFailedPrecondition, "cannot read TLS file " + *path);
    }
  }
  struct stat st {};
  if (stat(files.key.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
    log::Warn("private key {} is readable by every user; make it 0600 (or 0640)", files.key);
  }
  return files;
}

StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    return Status(StatusCode::kFailedPrecondition, "cannot read TLS file " + path);
  }
  return text.str();
}

std::string Describe(const TlsFiles& files) {
  if (!files.enabled()) return "tls=off";
  std::string out = "tls=on (ca=";
  out += files.ca;
  out += ", cert=";
  out += files.cert;
  out += ", key=";
  out += files.key;
  out += ")";
  return out;
}

}  // namespace mp::tls
