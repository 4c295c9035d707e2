#include "reports/result_writers.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "reports/svg_chart.h"

namespace crashdrill::reports {
namespace {

// Text inside JUnit XML: the markup escape of the HTML report suits XML too.
std::string Escape(const std::string& text) { return HtmlEscape(text); }

// Markdown table cells: the characters that would end a cell or start HTML
// (GitHub renders inline HTML in comments) are escaped.
std::string Cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Inline code: a backtick inside would end it, so the span takes more of them.
std::string Code(const std::string& text) {
  const std::string fence = text.find('`') == std::string::npos ? "`" : "`` ";
  const std::string close = fence == "`" ? "`" : " ``";
  std::string flat = text;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  return fence + flat + close;
}

std::string Ms(double value) { return fmt::format("{:.1f}", value); }

}  // namespace

std::string MarkdownSummary(const History& history) {
  const ResultRecord& result = history.night();
  const Provenance& p = result.provenance;
  std::ostringstream out;
  const uint64_t violations = result.violations();
  out << "## crashdrill chaos: " << (violations == 0 ? "held" : "FAILED") << "\n\n";
  out << fmt::format("seed {}, shards {}, commit {}, {}, started {}\n\n", p.seed,
                     history.nights[history.current].paths.size(), Cell(p.commit),
                     Cell(p.build_type), p.started_at.empty() ? "not recorded" : p.started_at);
  out << "| scenario | cases | crashes | violations | RTO p50 / p99 / max (target) ms | "
         "RPO p99 (target) ms | recovered from |\n";
  out << "|---|---|---|---|---|---|---|\n";
  for (const ScenarioRecord& s : result.scenarios) {
    std::string from;
    for (const auto& [level, n] : s.recovered_from) {
      if (n == 0) continue;
      from += fmt::format("{}{} {}", from.empty() ? "" : ", ", Cell(level), n);
    }
    const std::vector<double>& rto = s.rto.values_ms;
    out << fmt::format("| {} | {} | {} | {} | {} / {} / {} ({}) | {} ({}) | {} |\n", Cell(s.name),
                       s.cases, s.crashes, s.violations.size(), Ms(Percentile(rto, 0.5)),
                       Ms(Percentile(rto, 0.99)), Ms(rto.empty() ? 0 : rto.back()), s.rto.target_ms,
                       Ms(Percentile(s.rpo_strategy.values_ms, 0.99)), s.rpo_strategy.target_ms,
                       from.empty() ? "-" : from);
  }
  if (violations > 0) {
    out << "\n### Violations\n\n";
    for (const ScenarioRecord& s : result.scenarios) {
      for (const ViolationRecord& v : s.violations) {
        out << fmt::format("- **{}** in {}: {}\n  {}\n", Cell(v.property), Code(s.name),
                           Cell(v.detail), Code("crashdrill replay " + v.repro));
      }
    }
  }
  if (history.nights.size() > 1) {
    out << fmt::format("\n### Trend over {} nights ({} to {})\n\n", history.nights.size(),
                       history.nights.front().label, history.nights.back().label);
    if (history.regressions.empty()) out << "No night got worse than the nights before it.\n";
    for (const Regression& r : history.regressions) {
      out << fmt::format("- {}{}: {}\n", history.nights[r.night].label,
                         r.night == history.current ? " (this night)" : "",
                         Cell(DescribeRegression(r)));
    }
  }
  return out.str();
}

std::string JunitXml(const ResultRecord& result) {
  // Per scenario, the violations of each property; a property this build does
  // not know still gets its testcase, so no violation is left out.
  std::vector<std::vector<std::pair<std::string, std::vector<const ViolationRecord*>>>> suites;
  size_t tests = 0, failures = 0;
  for (const ScenarioRecord& s : result.scenarios) {
    auto& cases = suites.emplace_back();
    for (const auto& [id, title] : kProperties) cases.push_back({id, {}});
    for (const ViolationRecord& v : s.violations) {
      auto it = std::find_if(cases.begin(), cases.end(),
                             [&](const auto& c) { return c.first == v.property; });
      if (it == cases.end()) it = cases.insert(cases.end(), {v.property, {}});
      it->second.push_back(&v);
    }
    tests += cases.size();
    for (const auto& c : cases) failures += c.second.empty() ? 0 : 1;
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"crashdrill\" tests=\"{}\" failures=\"{}\">\n", tests,
                     failures);
  for (size_t i = 0; i < result.scenarios.size(); ++i) {
    const ScenarioRecord& s = result.scenarios[i];
    size_t failed = 0;
    for (const auto& c : suites[i]) failed += c.second.empty() ? 0 : 1;
    out << fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", Escape(s.name),
                       suites[i].size(), failed);
    for (const auto& [id, violations] : suites[i]) {
      const std::string title = PropertyTitle(id);
      out << fmt::format("    <testcase classname=\"crashdrill.{}\" name=\"{}{}{}\"",
                         Escape(s.name), Escape(id), title.empty() ? "" : " ", Escape(title));
      if (violations.empty()) {
        out << "/>\n";
        continue;
      }
      std::string body;
      for (const ViolationRecord* v : violations) {
        body += fmt::format("{}\ncrashdrill replay {}\n", v->detail, v->repro);
      }
      out << fmt::format(
          ">\n      <failure message=\"{} violation(s) of {}\">{}</failure>\n    </testcase>\n",
          violations.size(), Escape(id), Escape(body));
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace crashdrill::reports
