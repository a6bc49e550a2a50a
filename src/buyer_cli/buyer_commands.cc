#include "buyer_cli/buyer_commands.h"

#include "client/account_commands.h"
#include "client/json_util.h"
#include "client/views.h"

namespace po = boost::program_options;
namespace json = boost::json;
using boost::beast::http::verb;
using mp::client::ApiResponse;
using mp::client::Command;
using mp::client::CommandBuilder;
using mp::client::CommandContext;

namespace mp::buyer_cli {
namespace {

void AddItemIdOption(CommandBuilder& builder) {
  builder.Options()("item-id", po::value<std::string>()->value_name("ITEM_ID"), "e.g. 3-1042");
  builder.Positional("item-id").Require("item-id", "item id");
}

// The commands whose reply is the cart share one rendering.
Status EmitCart(CommandContext& ctx, StatusOr<ApiResponse> reply) {
  MP_RETURN_IF_ERROR(reply.status());
  ctx.Emit(*reply, client::RenderCart);
  return Status();
}

Command Search() {
  CommandBuilder builder("search", "--category N [--keywords A,B] [--limit L] [--offset O]",
                         "find items for sale, best keyword matches first");
  builder.Options()("category", po::value<int64_t>()->value_name("N"), "category number")(
      "keywords", po::value<std::string>()->value_name("A,B"), "up to 5 words, any case")(
      "limit", po::value<int64_t>()->value_name("L"), "at most L items (default 50, max 500)")(
      "offset", po::value<int64_t>()->value_name("O"), "skip the first O matches");
  builder.Require("category", "category");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    std::string keywords;
    for (const std::string& word :
         client::SplitList(client::StringArg(vm, "keywords").value_or(""))) {
      keywords += (keywords.empty() ? "" : ",") + word;
    }
    auto number = [&](const char* name) {
      std::optional<int64_t> value = client::IntArg(vm, name);
      return value ? std::to_string(*value) : std::string();
    };
    std::string target = client::WithQuery("/v1/items", {{"category", number("category")},
                                                         {"keywords", keywords},
                                                         {"limit", number("limit")},
                                                         {"offset", number("offset")}});
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::get, target));
    ctx.Emit(reply, [&](const json::value& v) {
      return client::RenderItemTable(v,
                                     {/*seller_column=*/true, /*score_column=*/!keywords.empty()});
    });
    return Status();
  });
}

Command Item() {
  CommandBuilder builder("item", "ITEM_ID", "show one item");
  AddItemIdOption(builder);
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::get, "/v1/items/" + id.ToString()));
    ctx.Emit(reply, client::RenderItem);
    return Status();
  });
}

Command Cart() {
  return CommandBuilder("cart", "", "show the cart; '!' marks lines short of stock")
      .Build([](CommandContext& ctx, const po::variables_map&) {
        return EmitCart(ctx, ctx.Call(verb::get, "/v1/cart"));
      });
}

Command Add() {
  CommandBuilder builder("add", "ITEM_ID [--quantity N]", "put units of an item into the cart");
  AddItemIdOption(builder);
  builder.Options()("quantity", po::value<int64_t>()->default_value(1)->value_name("N"),
                    "units to add");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    json::value body = {{"item_id", id.ToString()}, {"quantity", *client::IntArg(vm, "quantity")}};
    return EmitCart(ctx, ctx.Call(verb::post, "/v1/cart/items", &body));
  });
}

Command Remove() {
  CommandBuilder builder("remove", "ITEM_ID [--quantity N]",
                         "take units of an item out of the cart (all without --quantity)");
  AddItemIdOption(builder);
  builder.Options()("quantity", po::value<int64_t>()->value_name("N"), "units to remove");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    std::optional<int64_t> quantity = client::IntArg(vm, "quantity");
    std::string target =
        client::WithQuery("/v1/cart/items/" + id.ToString(),
                          {{"quantity", quantity ? std::to_string(*quantity) : ""}});
    return EmitCart(ctx, ctx.Call(verb::delete_, target));
  });
}

Command Save() {
  return CommandBuilder("save", "", "keep the cart for your next session")
      .Build([](CommandContext& ctx, const po::variables_map&) -> Status {
        MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::post, "/v1/cart/save"));
        ctx.Emit(reply, [](const json::value&) { return std::string("cart saved\n"); });
        return Status();
      });
}

Command Clear() {
  return CommandBuilder("clear", "", "empty the cart")
      .Build([](CommandContext& ctx, const po::variables_map&) {
        return EmitCart(ctx, ctx.Call(verb::delete_, "/v1/cart"));
      });
}

Command Purchase() {
  CommandBuilder builder("purchase",
                         "--name NAME --card-number DIGITS --expiration MM/YY "
                         "[--security-code CVV] "
                         "[--idempotency-key KEY]",
                         "buy everything in the cart with one card charge");
  builder.Options()("name", po::value<std::string>()->value_name("NAME"), "name on the card")(
      "card-number", po::value<std::string>()->value_name("DIGITS"),
      "asked without echo when left out on a terminal")(
      "expiration", po::value<std::string>()->value_name("MM/YY"), "expiry date of the card")(
      "security-code", po::value<std::string>()->value_name("CVV"), "optional")(
      "idempotency-key", po::value<std::string>()->value_name("KEY"),
      "repeat a purchase whose outcome you did not see; it is never charged "
      "twice");
  builder.Require("name", "name on the card")
      .Require("card-number", "card number", /*secret=*/true)
      .Require("expiration", "expiration (MM/YY)")
      .AskAlso("security-code", "security code", /*secret=*/true);
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    // People type card numbers in groups; the service wants the digits.
    std::string card;
    std::string typed = client::StringArg(vm, "card-number").value_or("");
    for (char c : typed) {
      if (c != ' ' && c != '-') card.push_back(c);
    }
    if (card.size() < 4) return client::UsageError("--card-number: too short");
    json::object body = {{"name", *client::StringArg(vm, "name")},
                         {"card_number", card},
                         {"expiration", *client::StringArg(vm, "expiration")}};
    if (auto code = client::StringArg(vm, "security-code")) body["security_code"] = *code;
    // One key per purchase attempt: HttpClient resends it after a lost
    // connection, and the server answers a repeat with the first result.
    std::string key =
        client::StringArg(vm, "idempotency-key").value_or(client::NewIdempotencyKey());
    json::value request = std::move(body);
    StatusOr<ApiResponse> reply = ctx.Call(verb::post, "/v1/purchases", &request,
                                           client::CallOptions::WithIdempotencyKey(key));
    if (reply.status().code() == StatusCode::kUnavailable ||
        reply.status().code() == StatusCode::kDeadlineExceeded) {
      Status s = reply.status();
      return Status(s.code(),
                    s.message() + "; the purchase may have gone through: repeat it with " +
                        "--idempotency-key " + key + " to finish it without paying twice",
                    s.reason());
    }
    MP_RETURN_IF_ERROR(reply.status());
    std::string last4 = card.substr(card.size() - 4);
    ctx.Emit(*reply, [&](const json::value& v) { return client::RenderPurchase(v, last4); });
    return Status();
  });
}

Command Feedback() {
  CommandBuilder builder("feedback", "ITEM_ID --vote up|down", "rate an item you bought");
  AddItemIdOption(builder);
  builder.Options()("vote", po::value<std::string>()->value_name("up|down"), "up or down");
  builder.Require("vote", "vote (up/down)");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    std::string vote = *client::StringArg(vm, "vote");
    json::value body = {{"item_id", id.ToString()}, {"vote", vote}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::post, "/v1/feedback", &body));
    ctx.Emit(reply, [&](const json::value&) {
      return "recorded your " + vote + " vote for item " + id.ToString() + "\n";
    });
    return Status();
  });
}

Command SellerRating() {
  CommandBuilder builder("seller-rating", "SELLER_ID", "show the feedback of a seller");
  builder.Options()("seller-id", po::value<int64_t>()->value_name("SELLER_ID"), "seller number");
  builder.Positional("seller-id").Require("seller-id", "seller id");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    int64_t seller = *client::IntArg(vm, "seller-id");
    if (seller <= 0) return client::UsageError("SELLER_ID must be a positive number");
    MP_ASSIGN_OR_RETURN(ApiResponse reply,
                        ctx.Call(verb::get, "/v1/sellers/" + std::to_string(seller) + "/rating"));
    ctx.Emit(reply, client::RenderRating);
    return Status();
  });
}

Command History() {
  return CommandBuilder("history", "", "list what you bought, with totals")
      .Build([](CommandContext& ctx, const po::variables_map&) -> Status {
        MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::get, "/v1/purchases"));
        ctx.Emit(reply, client::RenderHistory);
        return Status();
      });
}

}  // namespace

std::vector<Command> Commands() {
  std::vector<Command> commands = client::AccountCommands("buyer");
  for (auto make :
       {Search, Item, Cart, Add, Remove, Save, Clear, Purchase, Feedback, SellerRating, History}) {
    commands.push_back(make());
  }
  return commands;
}

}  // namespace mp::buyer_cli
