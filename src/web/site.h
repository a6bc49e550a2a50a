#pragma once

#include <vector>

#include "http/router.h"

// The web pages, embedded at build time by embed.py (see CMakeLists.txt):
// each is its page at "/" and every file it reaches, at its hashed name.
namespace mp::web {

// The buyers' storefront (src/web/buyer), served by the buyer server.
const std::vector<http::StaticFile>& BuyerSite();
// The sellers' pages (src/web/seller), served by the seller server.
const std::vector<http::StaticFile>& SellerSite();

}  // namespace mp::web
