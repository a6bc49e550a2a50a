#include "rpc/payment_client.h"

#include "soapPaymentProxy.h"

namespace mp::rpc {

PaymentClient::PaymentClient(std::string url, std::chrono::seconds timeout)
    : url_(std::move(url)), timeout_(timeout) {}

StatusOr<ChargeDecision> PaymentClient::Charge(const ChargeRequest& r) const {
  PaymentProxy proxy(url_.c_str());
  soap_set_namespaces(proxy.soap, namespaces);
  int seconds = static_cast<int>(timeout_.count());
  proxy.soap->connect_timeout = seconds;
  proxy.soap->send_timeout = seconds;
  proxy.soap->recv_timeout = seconds;
  std::string security_code = r.security_code;
  pay__ChargeResponse response;
  int rc =
      proxy.Charge(r.transaction_id, r.holder_name, r.card_number, r.expiration,
                   r.security_code.empty() ? nullptr : &security_code, r.amount_cents, response);
  if (rc == SOAP_OK) return ChargeDecision{response.approved, response.reason};
  const char* detail = *soap_faultstring(proxy.soap);
  std::string message = detail ? detail : "payment service error";
  // A Client fault is our arguments; anything else leaves the outcome open.
  if (rc == SOAP_CLI_FAULT) return Status(StatusCode::kInvalidArgument, message);
  return Unavailable("payment service: " + message);
}

}  // namespace mp::rpc
