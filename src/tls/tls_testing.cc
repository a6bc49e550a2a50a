#include "tls/tls_testing.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace fs = std::filesystem;

namespace mp::tls::testing {
namespace {

template <typename T>
T OrDie(StatusOr<T> value) {
  if (!value.ok()) {
    std::fprintf(stderr, "TestPki: %s\n", value.status().ToString().c_str());
    std::abort();
  }
  return std::move(value).value();
}

}  // namespace

TestPki::TestPki() {
  std::string pattern = (fs::temp_directory_path() / "mp-tls.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) std::abort();
  dir_ = fs::path(pattern) / "tls";
  OrDie(EnsureCertificates(dir_, {}));
  KeyPair ca{OrDie(ReadPemFile((dir_ / "ca.pem").string())),
             OrDie(ReadPemFile((dir_ / "ca.key").string()))};
  Write("self-signed", OrDie(CreateCa(30, std::string(kFrontend))));
  KeyPair other_ca = OrDie(CreateCa(30, "Another CA"));
  Write("other-ca", OrDie(IssueCertificate(
                        other_ca, {.role = std::string(kFrontend), .usage = Usage::kClient})));
  Write("wrong-role", OrDie(IssueCertificate(ca, {.role = std::string(kCustomerDb),
                                                  .usage = Usage::kClientAndServer})));
}

TestPki::~TestPki() {
  std::error_code ec;
  fs::remove_all(dir_.parent_path(), ec);
}

TlsFiles TestPki::Files(std::string_view role) const {
  std::string name(role);
  return {(dir_ / "ca.pem").string(), (dir_ / (name + ".pem")).string(),
          (dir_ / (name + ".key")).string()};
}

TlsFiles TestPki::Extra(const std::string& name) const { return Files(name); }

void TestPki::Write(const std::string& name, const KeyPair& pair) {
  std::ofstream(dir_ / (name + ".pem")) << pair.cert_pem;
  std::ofstream(dir_ / (name + ".key")) << pair.key_pem;
}

}  // namespace mp::tls::testing
