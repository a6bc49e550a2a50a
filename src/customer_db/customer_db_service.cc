#include "customer_db/customer_db_service.h"

#include <algorithm>
#include <set>
#include <vector>

#include "common/types.h"

namespace mp::customer_db {
namespace {

Status ValidateRole(v1::Role role, std::string_view field = "role") {
  if (role != v1::ROLE_SELLER && role != v1::ROLE_BUYER) {
    return InvalidArgument(field, "must be ROLE_SELLER or ROLE_BUYER");
  }
  return Status();
}

Status CheckSessionArgs(const v1::SessionRequest& session) {
  MP_RETURN_IF_ERROR(ValidateKey("session_id", session.session_id()));
  return ValidateRole(session.role(), "session.role");
}

Status ValidateBuyerSession(const v1::SessionRequest& session) {
  MP_RETURN_IF_ERROR(CheckSessionArgs(session));
  if (session.role() != v1::ROLE_BUYER) {
    return InvalidArgument("session.role", "carts and purchases belong to buyer sessions");
  }
  return Status();
}

// The wire's messages as the repositories' values, and back.
storage::Role FromProto(v1::Role role) { return static_cast<storage::Role>(role); }
storage::SessionKey FromProto(const v1::SessionRequest& session) {
  return {session.session_id(), FromProto(session.role())};
}

void ToProto(const storage::SessionInfo& info, v1::SessionInfo* out) {
  out->set_session_id(info.session_id);
  out->set_role(static_cast<v1::Role>(info.role));
  out->set_user_id(info.user_id.value);
}

void ToProto(const storage::Cart& cart, v1::Cart* out) {
  out->set_buyer_id(cart.buyer_id.value);
  for (const storage::CartLine& line : cart.lines) {
    v1::CartLine* l = out->add_lines();
    l->set_item_id(line.item_id.ToString());
    l->set_quantity(line.quantity);
  }
}

void ToProto(const storage::PurchaseAttempt& a, v1::PurchaseAttempt* out) {
  out->set_purchase_id(a.purchase_id);
  out->set_buyer_id(a.buyer_id.value);
  out->set_session_id(a.session_id);
  out->set_state(static_cast<v1::PurchaseState>(a.state));
  for (const storage::CartLine& line : a.lines) {
    v1::CartLine* l = out->add_lines();
    l->set_item_id(line.item_id.ToString());
    l->set_quantity(line.quantity);
  }
  for (const storage::PurchaseLine& line : a.recorded) {
    v1::PurchaseLine* l = out->add_recorded();
    l->set_item_id(line.item_id.ToString());
    l->set_seller_id(line.seller_id.value);
    l->set_quantity(line.quantity);
    l->set_price_cents(line.price_cents);
  }
  out->set_total_cents(a.total_cents);
  out->set_failure_reason(a.failure_reason);
  out->set_failure_message(a.failure_message);
  out->set_created_ms(a.created_ms);
  out->set_finished_ms(a.finished_ms);
}

constexpr int kMaxSessionBatch = 1000;

// Threads for the password hashes: the hasher bounds how many run at once
// (--hash-concurrency); the rest wait here, not on a thread polling gRPC.
constexpr int kHashThreads = 4;

Status BadCredentials() { return Unauthenticated("wrong username or password"); }

}  // namespace

CustomerDbService::CustomerDbService(storage::AccountRepository& accounts,
                                     storage::SessionRepository& sessions,
                                     storage::CartRepository& carts,
                                     storage::PurchaseRepository& purchases,
                                     storage::LoginThrottleRepository& logins,
                                     PasswordHasher& hasher, rpc::HandlerPool& pool,
                                     LoginThrottle throttle)
    : accounts_(accounts),
      sessions_(sessions),
      carts_(carts),
      purchases_(purchases),
      logins_(logins),
      hasher_(hasher),
      pool_(pool),
      hash_pool_(kHashThreads),
      throttle_(throttle) {
  auto dummy = hasher_.Hash("not-a-password-of-anyone");
  if (dummy.ok()) dummy_hash_ = *dummy;
  Serve(&Async::RequestCreateAccount, "CreateAccount", hash_pool_,
        [this](const auto* req, auto* resp) { return CreateAccount(req, resp); });
  Serve(&Async::RequestLogin, "Login", hash_pool_,
        [this](const auto* req, auto* resp) { return Login(req, resp); });
  Serve(&Async::RequestLogout, "Logout", pool_,
        [this](const auto* req, auto* resp) { return Logout(req, resp); });
  Serve(&Async::RequestValidateSessions, "ValidateSessions", pool_,
        [this](const auto* req, auto* resp) { return ValidateSessions(req, resp); });
  Serve(&Async::RequestValidateSession, "ValidateSession", pool_,
        [this](const auto* req, auto* resp) { return ValidateSession(req, resp); });
  Serve(&Async::RequestGetAccount, "GetAccount", pool_,
        [this](const auto* req, auto* resp) { return GetAccount(req, resp); });
  Serve(&Async::RequestGetCart, "GetCart", pool_,
        [this](const auto* req, auto* resp) { return GetCart(req, resp); });
  Serve(&Async::RequestAddToCart, "AddToCart", pool_,
        [this](const auto* req, auto* resp) { return AddToCart(req, resp); });
  Serve(&Async::RequestRemoveFromCart, "RemoveFromCart", pool_,
        [this](const auto* req, auto* resp) { return RemoveFromCart(req, resp); });
  Serve(&Async::RequestClearCart, "ClearCart", pool_,
        [this](const auto* req, auto* resp) { return ClearCart(req, resp); });
  Serve(&Async::RequestSaveCart, "SaveCart", pool_,
        [this](const auto* req, auto* resp) { return SaveCart(req, resp); });
  Serve(&Async::RequestRecordPurchase, "RecordPurchase", pool_,
        [this](const auto* req, auto* resp) { return RecordPurchase(req, resp); });
  Serve(&Async::RequestBeginPurchase, "BeginPurchase", pool_,
        [this](const auto* req, auto* resp) { return BeginPurchase(req, resp); });
  Serve(&Async::RequestFailPurchase, "FailPurchase", pool_,
        [this](const auto* req, auto* resp) { return FailPurchase(req, resp); });
  Serve(&Async::RequestListPendingPurchases, "ListPendingPurchases", pool_,
        [this](const auto* req, auto* resp) { return ListPendingPurchases(req, resp); });
  Serve(&Async::RequestListPurchases, "ListPurchases", pool_,
        [this](const auto* req, auto* resp) { return ListPurchases(req, resp); });
  Serve(&Async::RequestGetPurchasedQuantity, "GetPurchasedQuantity", pool_,
        [this](const auto* req, auto* resp) { return GetPurchasedQuantity(req, resp); });
}

Status CustomerDbService::CreateAccount(const v1::CreateAccountRequest* req,
                                        v1::CreateAccountResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateRole(req->role()));
  MP_RETURN_IF_ERROR(ValidateUsername(req->username()));
  MP_RETURN_IF_ERROR(ValidatePassword(req->password()));
  MP_RETURN_IF_ERROR(ValidateName("name", req->name()));
  MP_ASSIGN_OR_RETURN(std::string hash, hasher_.Hash(req->password()));
  MP_ASSIGN_OR_RETURN(UserId id, accounts_.CreateAccount(FromProto(req->role()), req->username(),
                                                         hash, req->name()));
  resp->set_user_id(id.value);
  return Status();
}

Status CustomerDbService::Login(const v1::LoginRequest* req, v1::LoginResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateRole(req->role()));
  // Input no account can have is refused as such, without hashing.
  MP_RETURN_IF_ERROR(ValidateUsername(req->username()));
  MP_RETURN_IF_ERROR(ValidatePassword(req->password()));
  if (req->client_address().size() > 64) {
    return InvalidArgument("client_address", "at most 64 characters");
  }
  const std::vector<storage::LoginThrottleRepository::LoginBudget> budgets = LoginBudgets(*req);
  // Refused before hashing when a budget is already spent: guesses past it
  // cost no CPU.
  MP_ASSIGN_OR_RETURN(int64_t wait_ms, logins_.LoginRetryAfterMs(budgets, throttle_.window_ms));
  if (wait_ms > 0) return TooManyLogins(wait_ms);
  auto creds = accounts_.GetCredentials(FromProto(req->role()), req->username());
  if (!creds.ok() && creds.status().code() != StatusCode::kNotFound) return creds.status();
  // An unknown username costs one verification too, and counts like a
  // wrong password: the answers and their timing do not tell which
  // usernames exist.
  bool password_ok = false;
  if (creds.ok()) {
    password_ok = hasher_.Verify(req->password(), creds->password_hash);
  } else {
    (void)hasher_.Verify(req->password(), dummy_hash_);
  }
  // Decided after the hash, in one transaction per guess: whatever many
  // guesses run at once, at most the budget of them are answered 401, and
  // a right password is told only while the budget lasts (else the 429
  // would not hide it).
  MP_ASSIGN_OR_RETURN(wait_ms, logins_.SettleLogin(budgets, throttle_.window_ms, password_ok));
  if (wait_ms > 0) return TooManyLogins(wait_ms);
  if (!password_ok) return BadCredentials();
  std::string session_id = RandomToken();
  MP_RETURN_IF_ERROR(sessions_.CreateSession(session_id, FromProto(req->role()), creds->user_id));
  resp->set_session_id(session_id);
  resp->set_user_id(creds->user_id.value);
  return Status();
}

std::vector<storage::LoginThrottleRepository::LoginBudget> CustomerDbService::LoginBudgets(
    const v1::LoginRequest& req) const {
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" +
  // string. The address's length comes first, so that no (address, username)
  // pair can spell another's key.
  std::string user_key("ua");
  user_key += std::to_string(req.role());
  user_key += ':';
  user_key += std::to_string(req.client_address().size());
  user_key += ':';
  user_key += req.client_address();
  user_key += req.username();
  std::string address_key("a:");
  address_key += req.client_address();
  return {{std::move(user_key), throttle_.per_user},
          {std::move(address_key), throttle_.per_address}};
}

Status CustomerDbService::TooManyLogins(int64_t wait_ms) const {
  const int64_t seconds = std::max<int64_t>(1, (wait_ms + 999) / 1000);
  return TooManyRequests(
      "too many failed logins; try again in " + std::to_string(seconds) + " seconds", seconds);
}

Status CustomerDbService::Logout(const v1::SessionRequest* req, v1::Empty*) {
  MP_RETURN_IF_ERROR(CheckSessionArgs(*req));
  MP_RETURN_IF_ERROR(sessions_.CheckSession(FromProto(*req)).status());
  return sessions_.EndSession(req->session_id());
}

Status CustomerDbService::ValidateSession(const v1::SessionRequest* req, v1::SessionInfo* resp) {
  MP_RETURN_IF_ERROR(CheckSessionArgs(*req));
  MP_ASSIGN_OR_RETURN(storage::SessionInfo info, sessions_.CheckSession(FromProto(*req)));
  ToProto(info, resp);
  return Status();
}

Status CustomerDbService::ValidateSessions(const v1::ValidateSessionsRequest* req,
                                           v1::ValidateSessionsResponse* resp) {
  if (req->sessions_size() > kMaxSessionBatch) {
    return InvalidArgument("sessions", "at most 1000 per call");
  }
  // Ill-formed requests are answered here; the rest take one query.
  std::vector<storage::SessionKey> valid;
  std::vector<Status> args(static_cast<size_t>(req->sessions_size()));
  for (int i = 0; i < req->sessions_size(); ++i) {
    args[static_cast<size_t>(i)] = CheckSessionArgs(req->sessions(i));
    if (args[static_cast<size_t>(i)].ok()) valid.push_back(FromProto(req->sessions(i)));
  }
  std::vector<StatusOr<storage::SessionInfo>> infos = sessions_.CheckSessions(valid);
  size_t next = 0;
  for (const Status& arg : args) {
    v1::SessionCheck* check = resp->add_checks();
    if (!arg.ok()) {
      ToFailure(arg, check->mutable_failure());
      continue;
    }
    const StatusOr<storage::SessionInfo>& info = infos[next++];
    if (info.ok()) {
      check->set_live(true);
      ToProto(*info, check->mutable_info());
      continue;
    }
    // The database failed: the whole batch does, as one check would.
    if (info.status().code() != StatusCode::kUnauthenticated) return info.status();
    ToFailure(info.status(), check->mutable_failure());
  }
  return Status();
}

Status CustomerDbService::GetAccount(const v1::GetAccountRequest* req, v1::Account* resp) {
  MP_RETURN_IF_ERROR(ValidateRole(req->role()));
  MP_RETURN_IF_ERROR(ValidateId("user_id", req->user_id()));
  MP_ASSIGN_OR_RETURN(storage::Account account,
                      accounts_.GetAccount(FromProto(req->role()), UserId(req->user_id())));
  resp->set_role(req->role());
  resp->set_user_id(account.user_id.value);
  resp->set_username(account.username);
  resp->set_name(account.name);
  resp->set_units(account.units);
  return Status();
}

Status CustomerDbService::GetCart(const v1::SessionRequest* req, v1::Cart* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(*req));
  MP_ASSIGN_OR_RETURN(storage::Cart cart, carts_.GetCart(FromProto(*req)));
  ToProto(cart, resp);
  return Status();
}

Status CustomerDbService::AddToCart(const v1::AddToCartRequest* req, v1::Cart* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(req->session()));
  MP_ASSIGN_OR_RETURN(ItemId item, ItemId::Parse(req->item_id()));
  MP_RETURN_IF_ERROR(ValidateQuantity("quantity", req->quantity()));
  if (req->available() < 0) return InvalidArgument("available", "must not be negative");
  MP_ASSIGN_OR_RETURN(storage::Cart cart, carts_.AddToCart(FromProto(req->session()), item,
                                                           req->quantity(), req->available()));
  ToProto(cart, resp);
  return Status();
}

Status CustomerDbService::RemoveFromCart(const v1::RemoveFromCartRequest* req, v1::Cart* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(req->session()));
  MP_ASSIGN_OR_RETURN(ItemId item, ItemId::Parse(req->item_id()));
  std::optional<int64_t> quantity;
  if (req->has_quantity()) {
    MP_RETURN_IF_ERROR(ValidateQuantity("quantity", req->quantity()));
    quantity = req->quantity();
  }
  MP_ASSIGN_OR_RETURN(storage::Cart cart,
                      carts_.RemoveFromCart(FromProto(req->session()), item, quantity));
  ToProto(cart, resp);
  return Status();
}

Status CustomerDbService::ClearCart(const v1::SessionRequest* req, v1::Cart* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(*req));
  MP_ASSIGN_OR_RETURN(storage::Cart cart, carts_.ClearCart(FromProto(*req)));
  ToProto(cart, resp);
  return Status();
}

Status CustomerDbService::SaveCart(const v1::SessionRequest* req, v1::Empty*) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(*req));
  return carts_.SaveCart(FromProto(*req));
}

Status CustomerDbService::RecordPurchase(const v1::RecordPurchaseRequest* req,
                                         v1::RecordPurchaseResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  MP_RETURN_IF_ERROR(ValidateId("buyer_id", req->buyer_id()));
  if (req->lines().empty()) return InvalidArgument("lines", "a purchase has at least one line");
  if (req->lines_size() > kMaxCartLines) return InvalidArgument("lines", "at most 100 lines");
  storage::PurchaseRecord record{.purchase_id = req->purchase_id(),
                                 .buyer_id = BuyerId(req->buyer_id()),
                                 .clear_session_id = req->clear_session_id()};
  std::set<std::string> seen;
  for (const v1::PurchaseLine& line : req->lines()) {
    MP_ASSIGN_OR_RETURN(ItemId item, ItemId::Parse(line.item_id()));
    if (!seen.insert(line.item_id()).second) {
      return InvalidArgument("lines", "each item appears once");
    }
    MP_RETURN_IF_ERROR(ValidateId("lines.seller_id", line.seller_id()));
    MP_RETURN_IF_ERROR(ValidateQuantity("lines.quantity", line.quantity()));
    MP_RETURN_IF_ERROR(ValidatePriceCents(line.price_cents()));
    record.lines.push_back({item, SellerId(line.seller_id()), line.quantity(), line.price_cents()});
  }
  if (!req->clear_session_id().empty()) {
    MP_RETURN_IF_ERROR(ValidateKey("clear_session_id", req->clear_session_id()));
  }
  MP_ASSIGN_OR_RETURN(storage::RecordedPurchase recorded, purchases_.RecordPurchase(record));
  resp->set_purchase_id(recorded.purchase_id);
  resp->set_time_ms(recorded.time_ms);
  return Status();
}

Status CustomerDbService::BeginPurchase(const v1::BeginPurchaseRequest* req,
                                        v1::PurchaseAttempt* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(req->session()));
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  MP_ASSIGN_OR_RETURN(storage::PurchaseAttempt attempt,
                      purchases_.BeginPurchase(FromProto(req->session()), req->purchase_id()));
  ToProto(attempt, resp);
  return Status();
}

Status CustomerDbService::FailPurchase(const v1::FailPurchaseRequest* req,
                                       v1::PurchaseAttempt* resp) {
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  MP_RETURN_IF_ERROR(ValidateKey("reason", req->reason()));
  if (req->message().size() > 1024) return InvalidArgument("message", "at most 1024 bytes");
  MP_ASSIGN_OR_RETURN(storage::PurchaseAttempt attempt,
                      purchases_.FailPurchase(req->purchase_id(), req->reason(), req->message()));
  ToProto(attempt, resp);
  return Status();
}

Status CustomerDbService::ListPendingPurchases(const v1::ListPendingPurchasesRequest* req,
                                               v1::PurchaseAttemptList* resp) {
  // A page of at most 100 attempts of at most kMaxCartLines lines each
  // stays far below gRPC's message limit.
  if (req->limit() < 1 || req->limit() > 100) {
    return InvalidArgument("limit", "must be from 1 to 100");
  }
  if (!req->after_purchase_id().empty()) {
    MP_RETURN_IF_ERROR(ValidateKey("after_purchase_id", req->after_purchase_id()));
  }
  MP_ASSIGN_OR_RETURN(auto attempts, purchases_.ListPendingPurchases(
                                         req->started_before_ms(), req->limit(),
                                         req->after_created_ms(), req->after_purchase_id()));
  for (const storage::PurchaseAttempt& a : attempts) ToProto(a, resp->add_attempts());
  return Status();
}

Status CustomerDbService::ListPurchases(const v1::ListPurchasesRequest* req,
                                        v1::PurchaseList* resp) {
  MP_RETURN_IF_ERROR(ValidateBuyerSession(req->session()));
  int limit = req->limit() == 0 ? kDefaultPurchasePage : req->limit();
  if (limit < 1 || limit > kMaxPurchasePage) {
    return InvalidArgument("limit", "must be from 1 to 500");
  }
  if (req->offset() < 0) return InvalidArgument("offset", "must not be negative");
  MP_ASSIGN_OR_RETURN(std::vector<storage::Purchase> purchases,
                      purchases_.ListPurchases(FromProto(req->session()), limit, req->offset()));
  resp->mutable_purchases()->Reserve(static_cast<int>(purchases.size()));
  for (storage::Purchase& p : purchases) {
    v1::Purchase* out = resp->add_purchases();
    out->set_purchase_id(std::move(p.purchase_id));
    out->set_item_id(p.item_id.ToString());
    out->set_quantity(p.quantity);
    out->set_price_cents(p.price_cents);
    out->set_time_ms(p.time_ms);
  }
  return Status();
}

Status CustomerDbService::GetPurchasedQuantity(const v1::GetPurchasedQuantityRequest* req,
                                               v1::GetPurchasedQuantityResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateId("buyer_id", req->buyer_id()));
  MP_ASSIGN_OR_RETURN(ItemId item, ItemId::Parse(req->item_id()));
  MP_ASSIGN_OR_RETURN(int64_t quantity,
                      purchases_.GetPurchasedQuantity(BuyerId(req->buyer_id()), item));
  resp->set_quantity(quantity);
  return Status();
}

}  // namespace mp::customer_db
