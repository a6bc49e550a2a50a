#pragma once

#include "http/auth.h"
#include "http/router.h"
#include "http/token.h"
#include "rpc/customer_db_client.h"
#include "rpc/health_client.h"

namespace mp::http {

// The routes both frontends share, for `role`:
//   POST   /v1/accounts          {username,password,name} -> 201 {"<role>_id"}
//   POST   /v1/sessions          {username,password}      -> 201 {"token","<role>_id"}
//   DELETE /v1/sessions/current                           -> 204
// The references must outlive the router.
void AddAccountRoutes(Router& router, const TokenCodec& codec, v1::Role role,
                      const rpc::CustomerDbClient& customers);

// GET /healthz: 200 {"status":"ok"} when every backend of `probe` serves,
// else 503. The probe must outlive the router.
void AddHealthRoute(Router& router, const rpc::HealthProbe& probe);

}  // namespace mp::http
