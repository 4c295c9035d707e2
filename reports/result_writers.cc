#include "reports/result_writers.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <sstream>

namespace crashdrill::reports {
namespace {

using nlohmann::json;

// The properties of DESIGN §8, in order, with their short names.
constexpr std::array<std::pair<const char*, const char*>, 9> kProperties = {{
    {"P1", "agreement with the venue"},
    {"P2", "no lost acknowledged write"},
    {"P3", "prefix consistency"},
    {"P4", "no duplicate or orphan orders"},
    {"P5", "corruption is never loaded"},
    {"P6", "clock independence"},
    {"P7", "RPO within target"},
    {"P8", "RTO within target"},
    {"P9", "liveness"},
}};

std::string Escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 has no other control characters than tab, newline and return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Ms(const json& value) { return fmt::format("{:.1f}", value.get<double>()); }

}  // namespace

std::optional<std::string> CheckResult(const json& result) {
  if (!result.is_object()) return "the result is not a JSON object";
  if (!result.contains("schema") || !result["schema"].is_string())
    return "field 'schema' is missing";
  const std::string schema = result["schema"];
  if (schema != kResultSchema) {
    return fmt::format("field 'schema' is '{}': this build reads {}", schema, kResultSchema);
  }
  if (!result.contains("scenarios") || !result["scenarios"].is_array()) {
    return "field 'scenarios' is missing or not a list";
  }
  for (size_t i = 0; i < result["scenarios"].size(); ++i) {
    const json& s = result["scenarios"][i];
    for (const char* field :
         {"name", "cases", "crashes", "violations", "rto_ms", "rpo_ms", "recovered_from"}) {
      if (!s.contains(field)) return fmt::format("field 'scenarios[{}].{}' is missing", i, field);
    }
  }
  return std::nullopt;
}

std::string MarkdownSummary(const json& result) {
  std::ostringstream out;
  const uint64_t violations = result.value("violations", uint64_t{0});
  out << "## crashdrill chaos: " << (violations == 0 ? "held" : "FAILED") << "\n\n";
  if (result.contains("provenance")) {
    const json& p = result["provenance"];
    out << fmt::format(
        "seed {}, shard {}/{}, commit {}, {}\n\n", p.value("seed", uint64_t{0}),
        p["shard"].value("index", uint64_t{0}), p["shard"].value("count", uint64_t{1}),
        p.value("commit", std::string("unknown")), p.value("build_type", std::string("unknown")));
  }
  out << "| scenario | cases | crashes | violations | RTO p50 / p99 / max (target) ms | "
         "RPO p99 (target) ms | recovered from |\n";
  out << "|---|---|---|---|---|---|---|\n";
  for (const json& s : result["scenarios"]) {
    std::string from;
    for (const auto& [level, n] : s["recovered_from"].items()) {
      if (n.get<uint64_t>() == 0) continue;
      from += fmt::format("{}{} {}", from.empty() ? "" : ", ", level, n.get<uint64_t>());
    }
    const json& rto = s["rto_ms"];
    const json& rpo = s["rpo_ms"];
    out << fmt::format("| {} | {} | {} | {} | {} / {} / {} ({}) | {} ({}) | {} |\n",
                       s["name"].get<std::string>(), s["cases"].get<uint64_t>(),
                       s["crashes"].get<uint64_t>(), s["violations"].size(), Ms(rto["p50"]),
                       Ms(rto["p99"]), Ms(rto["max"]), rto["target"].get<int64_t>(), Ms(rpo["p99"]),
                       rpo["target"].get<int64_t>(), from.empty() ? "-" : from);
  }
  if (violations > 0) {
    out << "\n### Violations\n\n";
    for (const json& s : result["scenarios"]) {
      for (const json& v : s["violations"]) {
        out << fmt::format("- **{}** in `{}`: {}\n  `crashdrill replay {}`\n",
                           v["property"].get<std::string>(), s["name"].get<std::string>(),
                           v["detail"].get<std::string>(), v["repro"].get<std::string>());
      }
    }
  }
  return out.str();
}

std::string JunitXml(const json& result) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  size_t tests = 0, failures = 0;
  for (const json& s : result["scenarios"]) {
    tests += kProperties.size();
    std::map<std::string, bool> failed;
    for (const json& v : s["violations"]) failed[v["property"].get<std::string>()] = true;
    failures += failed.size();
  }
  out << fmt::format("<testsuites name=\"crashdrill\" tests=\"{}\" failures=\"{}\">\n", tests,
                     failures);
  for (const json& s : result["scenarios"]) {
    const std::string name = s["name"];
    std::map<std::string, std::vector<const json*>> by_property;
    for (const json& v : s["violations"])
      by_property[v["property"].get<std::string>()].push_back(&v);
    out << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", Escape(name),
                       kProperties.size(), by_property.size());
    for (const auto& [id, title] : kProperties) {
      out << fmt::format("    <testcase classname=\"crashdrill.{}\" name=\"{} {}\"", Escape(name),
                         id, Escape(title));
      const auto it = by_property.find(id);
      if (it == by_property.end()) {
        out << "/>\n";
        continue;
      }
      out << ">\n";
      std::string body;
      for (const json* v : it->second) {
        body += fmt::format("{}\ncrashdrill replay {}\n", (*v)["detail"].get<std::string>(),
                            (*v)["repro"].get<std::string>());
      }
      out << fmt::format("      <failure message=\"{} violation(s) of {}\">{}</failure>\n",
                         it->second.size(), id, Escape(body));
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace crashdrill::reports
