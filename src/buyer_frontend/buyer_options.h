#pragma once

#include <string>

namespace mp::buyer_frontend {

// What only the buyer server has beside every frontend's options
// (http::FrontendOptions): the payment service and the purchases.
struct BuyerOptions {
  // The payment service's SOAP endpoint; "https://..." when the frontend's
  // backend TLS is on.
  std::string payment_url = "http://127.0.0.1:8083/";
  // Threads making payment calls: gSOAP blocks one per call (the other saga
  // steps hold no thread), so this is how many charges are under way at
  // once. With 8, mixed scenario 3 (100 buyers) queued them: MakePurchase
  // p50 168 ms against 44 ms with 32 (docs/benchmark/README.md).
  int purchase_threads = 32;
  // A purchase pending this long is settled by recovery.
  int recovery_age_s = 60;
  // For tests only (common/fault.h): the purchase step after which the
  // process dies ("after_begin", "after_take", "after_charge",
  // "after_record", "after_release"). "" (the default): never.
  std::string crash_at{};
};

}  // namespace mp::buyer_frontend
