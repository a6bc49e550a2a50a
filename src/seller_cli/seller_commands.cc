#include "seller_cli/seller_commands.h"

#include <cstdint>
#include <optional>
#include <string>

#include "client/account_commands.h"
#include "client/json_util.h"
#include "client/views.h"
#include "common/types.h"

namespace po = boost::program_options;
namespace json = boost::json;
using boost::beast::http::verb;
using mp::client::ApiResponse;
using mp::client::Command;
using mp::client::CommandBuilder;
using mp::client::CommandContext;

namespace mp::seller_cli {
namespace {

std::string ItemPath(const ItemId& id) { return "/v1/items/" + id.ToString(); }

Command Rating() {
  return CommandBuilder("rating", "", "show the feedback buyers gave your items")
      .Build([](CommandContext& ctx, const po::variables_map&) -> Status {
        MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::get, "/v1/rating"));
        ctx.Emit(reply, client::RenderRating);
        return Status();
      });
}

Command Register() {
  CommandBuilder builder("register",
                         "--name NAME --category N [--keywords A,B] --condition new|used --price "
                         "P --quantity N",
                         "put an item up for sale (the same item again adds to its quantity)");
  builder.Options()("name", po::value<std::string>()->value_name("NAME"), "1-32 characters")(
      "category", po::value<int64_t>()->value_name("N"), "category number, 0 or more")(
      "keywords", po::value<std::string>()->value_name("A,B"), "up to 5 words of 1-8 characters")(
      "condition", po::value<std::string>()->value_name("new|used"), "new or used")(
      "price", po::value<std::string>()->value_name("P"), "unit price, e.g. 12.5")(
      "quantity", po::value<int64_t>()->value_name("N"), "units for sale");
  builder.Require("name", "name")
      .Require("category", "category")
      .Require("condition", "condition (new/used)")
      .Require("price", "price")
      .Require("quantity", "quantity")
      .AskAlso("keywords", "keywords, comma-separated");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(Money price, client::MoneyArg(vm, "price"));
    json::array keywords;
    for (std::string& word : client::SplitList(client::StringArg(vm, "keywords").value_or(""))) {
      keywords.emplace_back(std::move(word));
    }
    json::value body = {{"name", *client::StringArg(vm, "name")},
                        {"category", *client::IntArg(vm, "category")},
                        {"keywords", std::move(keywords)},
                        {"condition", *client::StringArg(vm, "condition")},
                        {"price", client::MoneyToJson(price)},
                        {"quantity", *client::IntArg(vm, "quantity")}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::post, "/v1/items", &body));
    ctx.Emit(reply, [](const json::value& v) {
      return "item " + client::TextField(v, "item_id") + " has " +
             client::TextField(v, "quantity") + " units for sale\n";
    });
    return Status();
  });
}

Command SetPrice() {
  CommandBuilder builder("set-price", "ITEM_ID --price P", "change the price of one of your items");
  builder.Options()("item-id", po::value<std::string>()->value_name("ITEM_ID"), "e.g. 3-1042")(
      "price", po::value<std::string>()->value_name("P"), "new unit price, e.g. 12.5");
  builder.Positional("item-id").Require("item-id", "item id").Require("price", "price");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    MP_ASSIGN_OR_RETURN(Money price, client::MoneyArg(vm, "price"));
    json::value body = {{"price", client::MoneyToJson(price)}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::patch, ItemPath(id), &body));
    ctx.Emit(reply, client::RenderItem);
    return Status();
  });
}

Command Withdraw() {
  CommandBuilder builder("withdraw", "ITEM_ID [--quantity N]",
                         "take units of an item off sale (all of them without --quantity)");
  builder.Options()("item-id", po::value<std::string>()->value_name("ITEM_ID"), "e.g. 3-1042")(
      "quantity", po::value<int64_t>()->value_name("N"), "units to take off sale");
  builder.Positional("item-id").Require("item-id", "item id");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, client::ItemIdArg(vm));
    std::optional<int64_t> quantity = client::IntArg(vm, "quantity");
    std::string target =
        client::WithQuery(ItemPath(id), {{"quantity", quantity ? std::to_string(*quantity) : ""}});
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::delete_, target));
    ctx.Emit(reply, [](const json::value& v) {
      return "item " + client::TextField(v, "id") + " now has " + client::TextField(v, "quantity") +
             " units for sale\n";
    });
    return Status();
  });
}

Command List() {
  CommandBuilder builder("list", "[--limit L] [--offset O]",
                         "show your items, including sold-out ones, a page at a time");
  builder.Options()("limit", po::value<int64_t>()->value_name("L"),
                    "at most L items (default 50, max 500)")(
      "offset", po::value<int64_t>()->value_name("O"), "skip your first O items");
  return builder.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    std::optional<int64_t> limit = client::IntArg(vm, "limit");
    std::optional<int64_t> offset = client::IntArg(vm, "offset");
    auto text = [](std::optional<int64_t> n) { return n ? std::to_string(*n) : std::string(); };
    std::string target =
        client::WithQuery("/v1/items", {{"limit", text(limit)}, {"offset", text(offset)}});
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::get, target));
    ctx.Emit(reply, [&](const json::value& v) {
      std::string table =
          client::RenderItemTable(v, {/*seller_column=*/false, /*score_column=*/false});
      // A full page may have more after it: the list is paged on the
      // server, so say how to ask for the next one.
      const json::value* items = v.is_object() ? v.as_object().if_contains("items") : nullptr;
      int64_t shown =
          items && items->is_array() ? static_cast<int64_t>(items->as_array().size()) : 0;
      int64_t asked = limit.value_or(kDefaultSearchLimit);
      if (shown > 0 && shown == asked) {
        table += "more items may follow: " + ctx.usage_prefix() + "list" +
                 (limit ? " --limit " + std::to_string(*limit) : "") + " --offset " +
                 std::to_string(offset.value_or(0) + shown) + "\n";
      }
      return table;
    });
    return Status();
  });
}

}  // namespace

std::vector<Command> Commands() {
  std::vector<Command> commands = client::AccountCommands("seller");
  for (auto make : {Rating, Register, SetPrice, Withdraw, List}) commands.push_back(make());
  return commands;
}

}  // namespace mp::seller_cli
