#include "http/shared_routes.h"

#include "http/json_fields.h"

namespace mp::http {
namespace json = boost::json;

void AddAccountRoutes(Router& router, const SessionAuth& auth, const TokenCodec& codec,
                      const rpc::CustomerDbClient& customers) {
  const v1::Role role = auth.role();
  const std::string id_field = role == v1::ROLE_SELLER ? "seller_id" : "buyer_id";

  router.Add(Verb::post, "/v1/accounts", [&customers, role, id_field](RequestPtr req, Done done) {
    auto body = req->JsonBody();
    if (!body.ok()) return done(body.status());
    v1::CreateAccountRequest r;
    r.set_role(role);
    auto username = RequiredString(*body, "username");
    if (!username.ok()) return done(username.status());
    auto password = RequiredString(*body, "password");
    if (!password.ok()) return done(password.status());
    auto name = RequiredString(*body, "name");
    if (!name.ok()) return done(name.status());
    r.set_username(*username);
    r.set_password(*password);
    r.set_name(*name);
    customers.CreateAccount(
        r, Then<v1::CreateAccountResponse>(std::move(done), [id_field](auto resp, Done done) {
          done(Reply::Created(json::object{{id_field, resp.user_id()}}));
        }));
  });

  router.Add(
      Verb::post, "/v1/sessions", [&customers, &codec, role, id_field](RequestPtr req, Done done) {
        auto body = req->JsonBody();
        if (!body.ok()) return done(body.status());
        auto username = RequiredString(*body, "username");
        if (!username.ok()) return done(username.status());
        auto password = RequiredString(*body, "password");
        if (!password.ok()) return done(password.status());
        v1::LoginRequest r;
        r.set_role(role);
        r.set_username(*username);
        r.set_password(*password);
        r.set_client_address(req->remote);
        customers.Login(
            r, Then<v1::LoginResponse>(std::move(done), [&codec, role, id_field](auto resp,
                                                                                 Done done) {
              auto token = codec.Issue({resp.session_id(), role, resp.user_id()});
              if (!token.ok()) return done(token.status());
              done(Reply::Created(json::object{{"token", *token}, {id_field, resp.user_id()}}));
            }));
      });

  router.Add(Verb::delete_, "/v1/sessions/current", [&auth, &customers](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    customers.Logout(*session, Then<v1::Empty>(std::move(done),
                                               [](auto, Done done) { done(Reply::NoContent()); }));
  });
}

void AddHealthRoute(Router& router, const rpc::HealthProbe& probe) {
  router.Add(Verb::get, "/healthz", [&probe](RequestPtr, Done done) {
    probe.Check([done = std::move(done)](Status status) {
      if (!status.ok()) return done(Unavailable(status.message()));
      done(Reply::Ok(json::object{{"status", "ok"}}));
    });
  });
}

}  // namespace mp::http
