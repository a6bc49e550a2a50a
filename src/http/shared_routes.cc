#include "http/shared_routes.h"

#include "http/json_fields.h"

namespace mp::http {
namespace json = boost::json;

void AddAccountRoutes(Router& router, const TokenCodec& codec, v1::Role role,
                      const rpc::CustomerDbClient& customers) {
  const std::string id_field = role == v1::ROLE_SELLER ? "seller_id" : "buyer_id";

  router.Add(Verb::post, "/v1/accounts", Access::kPublic,
             [&customers, role, id_field](RequestPtr req, Caller) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(json::object body, req->JsonBody());
               v1::CreateAccountRequest r;
               r.set_role(role);
               MP_CO_ASSIGN_OR_RETURN(std::string username, RequiredString(body, "username"));
               MP_CO_ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
               MP_CO_ASSIGN_OR_RETURN(std::string name, RequiredString(body, "name"));
               r.set_username(std::move(username));
               r.set_password(std::move(password));
               r.set_name(std::move(name));
               MP_CO_ASSIGN_OR_RETURN(v1::CreateAccountResponse created,
                                      co_await customers.AsyncCreateAccount(r));
               co_return Reply::Created(json::object{{id_field, created.user_id()}});
             });

  router.Add(
      Verb::post, "/v1/sessions", Access::kPublic,
      [&customers, &codec, role, id_field](RequestPtr req, Caller) -> Task<StatusOr<Reply>> {
        MP_CO_ASSIGN_OR_RETURN(json::object body, req->JsonBody());
        MP_CO_ASSIGN_OR_RETURN(std::string username, RequiredString(body, "username"));
        MP_CO_ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
        v1::LoginRequest r;
        r.set_role(role);
        r.set_username(std::move(username));
        r.set_password(std::move(password));
        r.set_client_address(req->remote);
        MP_CO_ASSIGN_OR_RETURN(v1::LoginResponse login, co_await customers.AsyncLogin(r));
        MP_CO_ASSIGN_OR_RETURN(std::string token,
                               codec.Issue({login.session_id(), role, login.user_id()}));
        co_return Reply::Created(json::object{{"token", token}, {id_field, login.user_id()}});
      });

  router.Add(Verb::delete_, "/v1/sessions/current", Access::kToken,
             [&customers](RequestPtr, Caller caller) -> Task<StatusOr<Reply>> {
               MP_CO_RETURN_IF_ERROR((co_await customers.AsyncLogout(caller.session)).status());
               co_return Reply::NoContent();
             });
}

void AddHealthRoute(Router& router, const rpc::HealthProbe& probe) {
  router.Add(Verb::get, "/healthz", Access::kPublic,
             [&probe](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
               auto check = [&probe](std::function<void(Status)> done) {
                 probe.Check(std::move(done));
               };
               Status status = co_await Await<Status>(check);
               if (!status.ok()) co_return Unavailable(status.message());
               co_return Reply::Ok(json::object{{"status", "ok"}});
             });
}

}  // namespace mp::http
