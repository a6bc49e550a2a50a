// Fuzzes the payment service's SOAP endpoint: the input is what a client
// sends on a connection (HTTP headers and a SOAP envelope, possibly several
// requests kept alive), served by the generated gSOAP service (soap/) with
// the settings PaymentServer::Start gives it, and answered by the real
// PaymentServer::Charge over a SQLite file in a temporary directory. gSOAP
// reads the input from a std::istream (soap->is) instead of a socket and
// writes its answers to a string (soap->os).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "common/log.h"
#include "fuzz_check.h"
#include "payment/charge_policy.h"
#include "payment/payment_server.h"
#include "soapPaymentService.h"
#include "storage/database.h"
#include "storage/payment_repository.h"

namespace {

struct Payment {
  Payment() {
    char dir_template[] = "/tmp/mp-fuzz-soap.XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) std::abort();
    dir = dir_template;
    std::atexit([] { std::filesystem::remove_all(Instance().dir); });
    auto opened = mp::storage::Database::Open({.uri = dir + "/payment.db", .max_connections = 1});
    MP_FUZZ_CHECK(opened.ok());
    db = std::move(*opened);
    MP_FUZZ_CHECK(mp::storage::PaymentRepository::Migrate(*db).ok());
    repo = std::make_unique<mp::storage::PaymentRepository>(*db);
    policy = std::make_unique<mp::payment::ChargePolicy>(0.5, 1, clock);
    server = std::make_unique<mp::payment::PaymentServer>(options, *policy, *repo);
  }
  static Payment& Instance() {
    static Payment* payment = [] {
      mp::log::Init("fuzz", "off");
      return new Payment();  // never destroyed: atexit removes its files
    }();
    return *payment;
  }

  std::string dir;
  mp::SystemClock clock;
  mp::payment::PaymentOptions options;
  std::unique_ptr<mp::storage::Database> db;
  std::unique_ptr<mp::storage::PaymentRepository> repo;
  std::unique_ptr<mp::payment::ChargePolicy> policy;
  std::unique_ptr<mp::payment::PaymentServer> server;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Payment& payment = Payment::Instance();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::ostringstream out;
  {
    // As PaymentServer::Start and AcceptLoop set up each connection.
    PaymentService service(SOAP_IO_KEEPALIVE);
    struct soap* soap = service.soap;
    mp::payment::PaymentServer::ConfigureSoap(soap, payment.server.get());
    soap->is = &in;
    soap->os = &out;
    service.serve();
    service.destroy();
  }
  return 0;
}
