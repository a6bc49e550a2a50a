// gSOAP interface of the financial transactions service (docs/contract.md §6); soapcpp2
// turns it into the SOAP 1.1 server and client code and the WSDL. The
// "//gsoap" lines are directives, so clang-format must leave them alone.

// clang-format off
//gsoap pay service name: Payment
//gsoap pay service namespace: urn:marketplace:payment
//gsoap pay service style: document
//gsoap pay service encoding: literal
//gsoap pay schema namespace: urn:marketplace:payment
//gsoap pay schema form: unqualified
//gsoap pay service method-documentation: Charge Charges a card once per transaction id: the same id always gets the same answer.

// clang-format on

#import "stl.h"

struct pay__ChargeResponse {
  bool approved;
  std::string reason;  // "approved", "invalid_card", "card_expired", "declined", ...
};

int pay__Charge(std::string transaction_id, std::string holder_name, std::string card_number,
                std::string expiration, std::string* security_code, LONG64 amount_cents,
                struct pay__ChargeResponse& response);
