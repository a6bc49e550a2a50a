#include "bench/results.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "bench/markdown.h"

namespace mp::bench {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTool = "marketplace-bench";
constexpr int kFormat = 1;

json::object ToJson(const Figures& f) {
  json::object o{{"calls", f.calls},     {"errors", f.errors},        {"declined", f.declined},
                 {"mean_ms", f.mean_ms}, {"p50_ms", f.p50_ms},        {"p99_ms", f.p99_ms},
                 {"max_ms", f.max_ms},   {"throughput", f.throughput}};
  // Only resilient runs have them; other results stay as they were.
  if (f.unavailable > 0) o["unavailable"] = f.unavailable;
  if (f.interrupted > 0) o["interrupted"] = f.interrupted;
  return o;
}

json::object ToJson(const Range& r) { return {{"avg", r.avg}, {"min", r.min}, {"max", r.max}}; }

json::object ToJson(const FigureRanges& f) {
  json::object o{{"calls", ToJson(f.calls)},   {"mean_ms", ToJson(f.mean_ms)},
                 {"p50_ms", ToJson(f.p50_ms)}, {"p99_ms", ToJson(f.p99_ms)},
                 {"max_ms", ToJson(f.max_ms)}, {"throughput", ToJson(f.throughput)},
                 {"errors", f.errors},         {"declined", f.declined}};
  if (f.unavailable > 0) o["unavailable"] = f.unavailable;
  if (f.interrupted > 0) o["interrupted"] = f.interrupted;
  return o;
}

template <typename T>
json::object MapToJson(const std::map<std::string, T>& m) {
  json::object out;
  for (const auto& [name, value] : m) out[name] = ToJson(value);
  return out;
}

json::array Strings(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }

// Reading: the JSON is ours, so a missing or mistyped field means a broken
// or foreign file. Readers throw std::invalid_argument, caught once in
// ResultFromJson.
const json::value& Field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) throw std::invalid_argument("missing field " + std::string(name));
  return *v;
}
const json::object& Object(const json::object& o, std::string_view name) {
  const json::value& v = Field(o, name);
  if (!v.is_object()) throw std::invalid_argument(std::string(name) + " is not an object");
  return v.get_object();
}
double Number(const json::object& o, std::string_view name) {
  const json::value& v = Field(o, name);
  if (!v.is_number()) throw std::invalid_argument(std::string(name) + " is not a number");
  return v.to_number<double>();
}
int64_t Int(const json::object& o, std::string_view name) {
  return static_cast<int64_t>(Number(o, name));
}
// Fields added after the first format: absent in older results.
int64_t OptionalInt(const json::object& o, std::string_view name) {
  return o.contains(name) ? Int(o, name) : 0;
}
std::string String(const json::object& o, std::string_view name) {
  const json::value& v = Field(o, name);
  if (!v.is_string()) throw std::invalid_argument(std::string(name) + " is not a string");
  return std::string(v.get_string());
}
std::vector<std::string> StringList(const json::object& o, std::string_view name) {
  const json::value& v = Field(o, name);
  if (!v.is_array()) throw std::invalid_argument(std::string(name) + " is not an array");
  std::vector<std::string> out;
  for (const json::value& e : v.get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

Figures FiguresFrom(const json::object& o) {
  return {.calls = Int(o, "calls"),
          .errors = Int(o, "errors"),
          .declined = Int(o, "declined"),
          .unavailable = OptionalInt(o, "unavailable"),
          .interrupted = OptionalInt(o, "interrupted"),
          .mean_ms = Number(o, "mean_ms"),
          .p50_ms = Number(o, "p50_ms"),
          .p99_ms = Number(o, "p99_ms"),
          .max_ms = Number(o, "max_ms"),
          .throughput = Number(o, "throughput")};
}

Range RangeFrom(const json::object& o) {
  return {.avg = Number(o, "avg"), .min = Number(o, "min"), .max = Number(o, "max")};
}

FigureRanges RangesFrom(const json::object& o) {
  return {.calls = RangeFrom(Object(o, "calls")),
          .mean_ms = RangeFrom(Object(o, "mean_ms")),
          .p50_ms = RangeFrom(Object(o, "p50_ms")),
          .p99_ms = RangeFrom(Object(o, "p99_ms")),
          .max_ms = RangeFrom(Object(o, "max_ms")),
          .throughput = RangeFrom(Object(o, "throughput")),
          .errors = Int(o, "errors"),
          .declined = Int(o, "declined"),
          .unavailable = OptionalInt(o, "unavailable"),
          .interrupted = OptionalInt(o, "interrupted")};
}

BenchConfig ConfigFromJson(const json::object& o) {
  BenchConfig c;
  c.label = String(o, "label");
  c.workload = String(o, "workload");
  c.scenario = static_cast<int>(Int(o, "scenario"));
  c.sellers = static_cast<int>(Int(o, "sellers"));
  c.buyers = static_cast<int>(Int(o, "buyers"));
  c.calls = static_cast<int>(Int(o, "calls"));
  c.runs = static_cast<int>(Int(o, "runs"));
  c.threads = static_cast<int>(Int(o, "threads"));
  c.items_per_seller = static_cast<int>(Int(o, "items_per_seller"));
  c.catalog = OptionalInt(o, "catalog");
  c.accounts = OptionalInt(o, "accounts");
  c.history = static_cast<int>(OptionalInt(o, "history"));
  c.search_limit = static_cast<int>(Int(o, "search_limit"));
  c.seller_servers = StringList(o, "seller_servers");
  c.buyer_servers = StringList(o, "buyer_servers");
  const json::value& seed = Field(o, "seed");
  c.seed = seed.is_uint64() ? seed.get_uint64() : static_cast<uint64_t>(Int(o, "seed"));
  c.duration_s = static_cast<int>(OptionalInt(o, "duration_s"));
  const json::value* resilient = o.if_contains("resilient");
  c.resilient = resilient != nullptr && resilient->is_bool() && resilient->get_bool();
  return c;
}

json::object ToJson(const Outage& o) {
  return {{"run", o.run}, {"start_s", o.start_s}, {"seconds", o.seconds}, {"calls", o.calls}};
}

Outage OutageFrom(const json::object& o) {
  return {.run = static_cast<int>(Int(o, "run")),
          .start_s = Number(o, "start_s"),
          .seconds = Number(o, "seconds"),
          .calls = Int(o, "calls")};
}

json::object ToJson(const Floor& f) {
  return {{"http", ToJson(f.http)},
          {"grpc", ToJson(f.grpc)},
          {"grpc_tls", f.grpc_tls},
          {"grpc_unix", f.grpc_unix},
          {"https", f.https}};
}

bool Bool(const json::object& o, std::string_view name) {
  const json::value& v = Field(o, name);
  if (!v.is_bool()) throw std::invalid_argument(std::string(name) + " is not a boolean");
  return v.get_bool();
}

Floor FloorFrom(const json::object& o) {
  return {.http = FiguresFrom(Object(o, "http")),
          .grpc = FiguresFrom(Object(o, "grpc")),
          .grpc_tls = Bool(o, "grpc_tls"),
          // Absent from results written before the Unix-socket hop existed.
          .grpc_unix = o.contains("grpc_unix") && Bool(o, "grpc_unix"),
          .https = Bool(o, "https")};
}

}  // namespace

BenchConfig ConfigFrom(const BenchOptions& o) {
  BenchConfig c;
  c.label = o.label;
  c.workload = std::string(WorkloadName(o.workload));
  c.scenario = o.scenario;
  c.sellers = o.sellers;
  c.buyers = o.buyers;
  c.calls = o.calls;
  c.runs = o.runs;
  c.threads = o.threads;
  c.items_per_seller = o.items_per_seller;
  c.catalog = o.catalog;
  if (o.accounts > 0) {
    c.accounts = o.accounts;
    c.history = o.history;
  }
  c.search_limit = o.search_limit;
  c.seed = o.seed;
  c.duration_s = o.duration_s;
  c.resilient = o.resilient;
  for (const ServerAddress& a : o.seller_servers) c.seller_servers.push_back(a.ToString());
  for (const ServerAddress& a : o.buyer_servers) c.buyer_servers.push_back(a.ToString());
  return c;
}

std::string ResultKey(const BenchConfig& c) {
  std::string key = c.workload;
  // A preset keeps its name when K or R are changed: the config says so.
  if (c.scenario > 0) {
    key.append("-s").append(std::to_string(c.scenario));
  } else {
    key.append("-").append(std::to_string(c.sellers)).append("+");
    key.append(std::to_string(c.buyers)).append("x");
    key.append(c.duration_s > 0 ? std::to_string(c.duration_s) + "s" : std::to_string(c.calls));
  }
  if (c.resilient) key.append("-resilient");
  return key;
}

std::string ScenarioTitle(const BenchConfig& c) {
  std::string clients = std::to_string(c.sellers) + "+" + std::to_string(c.buyers);
  if (c.scenario > 0) return Cat({"scenario ", std::to_string(c.scenario), " (", clients, ")"});
  return clients + " clients";
}

std::string ScenarioShort(const BenchConfig& c) {
  std::string clients = std::to_string(c.sellers) + "+" + std::to_string(c.buyers);
  return c.scenario > 0 ? Cat({"s", std::to_string(c.scenario), ":", clients}) : clients;
}

json::value ToJson(const BenchResult& r) {
  const BenchConfig& c = r.config;
  json::object config{{"label", c.label},
                      {"workload", c.workload},
                      {"scenario", c.scenario},
                      {"sellers", c.sellers},
                      {"buyers", c.buyers},
                      {"calls", c.calls},
                      {"runs", c.runs},
                      {"threads", c.threads},
                      {"items_per_seller", c.items_per_seller},
                      {"search_limit", c.search_limit},
                      {"seller_servers", Strings(c.seller_servers)},
                      {"buyer_servers", Strings(c.buyer_servers)},
                      {"seed", c.seed}};
  if (c.duration_s > 0) config["duration_s"] = c.duration_s;
  if (c.catalog > 0) config["catalog"] = c.catalog;
  if (c.accounts > 0) {
    config["accounts"] = c.accounts;
    config["history"] = c.history;
  }
  if (c.resilient) config["resilient"] = true;
  json::array runs;
  for (const RunFigures& run : r.runs) {
    runs.push_back(json::object{{"run", run.run},
                                {"wall_s", run.wall_s},
                                {"overall", ToJson(run.overall)},
                                {"calls", MapToJson(run.by_call)}});
  }
  json::object out{{"tool", kTool},
                   {"format", kFormat},
                   {"config", std::move(config)},
                   {"started", r.started},
                   {"host", r.host},
                   {"cpus", r.cpus},
                   {"setup_s", r.setup_s},
                   {"runs", std::move(runs)},
                   {"summary", json::object{{"overall", ToJson(r.summary.overall)},
                                            {"calls", MapToJson(r.summary.by_call)}}},
                   {"error_samples", Strings(r.error_samples)}};
  // Optional, so that results without it stay as they were.
  if (r.floor) out["floor"] = ToJson(*r.floor);
  if (c.catalog > 0) out["catalog_load_s"] = r.catalog_load_s;
  if (c.accounts > 0) out["accounts_load_s"] = r.accounts_load_s;
  if (c.resilient) {
    json::array outages;
    for (const Outage& o : r.outages) outages.push_back(ToJson(o));
    out["outages"] = std::move(outages);
    out["unavailable_samples"] = Strings(r.unavailable_samples);
  }
  return out;
}

StatusOr<BenchResult> ResultFromJson(const json::value& value) {
  try {
    if (!value.is_object()) throw std::invalid_argument("not an object");
    const json::object& o = value.get_object();
    if (String(o, "tool") != kTool) throw std::invalid_argument("not a marketplace-bench result");
    BenchResult r;
    r.config = ConfigFromJson(Object(o, "config"));
    r.started = String(o, "started");
    r.host = String(o, "host");
    r.cpus = static_cast<int>(Int(o, "cpus"));
    r.setup_s = Number(o, "setup_s");
    if (const json::value* load = o.if_contains("catalog_load_s"); load && load->is_number()) {
      r.catalog_load_s = load->to_number<double>();
    }
    if (const json::value* load = o.if_contains("accounts_load_s"); load && load->is_number()) {
      r.accounts_load_s = load->to_number<double>();
    }
    const json::value& runs = Field(o, "runs");
    if (!runs.is_array()) throw std::invalid_argument("runs is not an array");
    for (const json::value& v : runs.get_array()) {
      if (!v.is_object()) throw std::invalid_argument("a run is not an object");
      const json::object& run = v.get_object();
      RunFigures f;
      f.run = static_cast<int>(Int(run, "run"));
      f.wall_s = Number(run, "wall_s");
      f.overall = FiguresFrom(Object(run, "overall"));
      for (const auto& [name, calls] : Object(run, "calls")) {
        if (!calls.is_object()) throw std::invalid_argument("a call's figures are not an object");
        f.by_call[std::string(name)] = FiguresFrom(calls.get_object());
      }
      r.runs.push_back(std::move(f));
    }
    const json::object& summary = Object(o, "summary");
    r.summary.overall = RangesFrom(Object(summary, "overall"));
    for (const auto& [name, calls] : Object(summary, "calls")) {
      if (!calls.is_object()) throw std::invalid_argument("a call's summary is not an object");
      r.summary.by_call[std::string(name)] = RangesFrom(calls.get_object());
    }
    r.error_samples = StringList(o, "error_samples");
    if (const json::value* outages = o.if_contains("outages"); outages && outages->is_array()) {
      for (const json::value& v : outages->get_array()) {
        if (!v.is_object()) throw std::invalid_argument("an outage is not an object");
        r.outages.push_back(OutageFrom(v.get_object()));
      }
    }
    if (o.contains("floor")) r.floor = FloorFrom(Object(o, "floor"));
    if (o.contains("unavailable_samples")) {
      r.unavailable_samples = StringList(o, "unavailable_samples");
    }
    return r;
  } catch (const std::exception& e) {
    return InvalidArgument("result", e.what());
  }
}

Status SaveResult(const fs::path& dir, const BenchResult& result) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path file = dir / (ResultKey(result.config) + ".json");
  std::ofstream out(file);
  out << json::serialize(ToJson(result)) << "\n";
  out.close();
  if (!out) return Internal("cannot write " + file.string());
  return Status();
}

namespace {

StatusOr<BenchResult> LoadFile(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return NotFound("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value value = json::parse(text.str(), ec);
  if (ec) return InvalidArgument("result", file.string() + ": " + ec.message());
  auto result = ResultFromJson(value);
  if (!result.ok())
    return InvalidArgument("result", file.string() + ": " + result.status().message());
  return result;
}

}  // namespace

StatusOr<std::vector<BenchResult>> LoadResults(const fs::path& path) {
  std::vector<BenchResult> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() != ".json") continue;
      auto r = LoadFile(e.path());
      if (r.ok()) out.push_back(std::move(r).value());  // other JSON files are not ours
    }
  } else {
    MP_ASSIGN_OR_RETURN(BenchResult r, LoadFile(path));
    out.push_back(std::move(r));
  }
  if (out.empty()) return NotFound("no marketplace-bench results in " + path.string());
  std::sort(out.begin(), out.end(), [](const BenchResult& a, const BenchResult& b) {
    auto key = [](const BenchConfig& c) {
      return std::tuple(c.workload != "read", c.sellers + c.buyers, c.scenario, c.calls);
    };
    return key(a.config) < key(b.config);
  });
  return out;
}

}  // namespace mp::bench
