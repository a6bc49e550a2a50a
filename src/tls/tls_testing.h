#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tls/certificates.h"
#include "tls/tls_files.h"

namespace mp::tls::testing {

// A private CA and the system's certificates (EnsureCertificates, hosts
// localhost, 127.0.0.1, ::1) in a fresh temporary directory, plus the
// identities a server must refuse. Removed on destruction. Aborts the test
// program when OpenSSL fails.
class TestPki {
 public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // ca.pem, <role>.pem, <role>.key.
  TlsFiles Files(std::string_view role) const;

  // Identities to refuse, each with our ca.pem to check the server:
  // a self-signed certificate named "frontend";
  TlsFiles SelfSigned() const { return Extra("self-signed"); }
  // a "frontend" certificate from another CA;
  TlsFiles OtherCa() const { return Extra("other-ca"); }
  // a client certificate from our CA for another role ("customer-db").
  TlsFiles WrongRole() const { return Extra("wrong-role"); }

 private:
  TlsFiles Extra(const std::string& name) const;
  void Write(const std::string& name, const KeyPair& pair);

  std::filesystem::path dir_;
};

}  // namespace mp::tls::testing
