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

std::string Mark(bool ok) { return ok ? "\u2714" : "\u2718"; }  // check mark, ballot x

// What a drill check found, for a table cell: its mark, or "-" when the step
// did not check the property.
std::string CheckCell(const DrillStep& step, const std::string& property) {
  std::string cell;
  for (const DrillCheck& c : step.checks) {
    if (c.property == property) cell = cell.empty() || !c.held ? Mark(c.held) : cell;
  }
  return cell.empty() ? "-" : cell;
}

std::string RtoCell(const DrillStep& s) {
  if (s.recovered_from.empty()) return "did not recover";
  const bool met = s.rto_ms <= static_cast<double>(s.rto_target_ms);
  return fmt::format("{}{} ({})", Ms(s.rto_ms), met ? "" : " \u2718 over", s.rto_target_ms);
}

void DrillStepDetails(const DrillStep& s, std::ostringstream& out) {
  out << fmt::format("#### {} Step {}: {}\n\n", Mark(s.passed()), s.index, Cell(s.name));
  out << fmt::format(
      "Fault {}: {}. Started {}; {} acknowledged before the fault; {}; critical RPO {} ms.\n\n",
      Code(s.fault), Cell(s.fault_detail), Cell(s.started_at), s.acknowledged,
      s.recovered_from.empty() ? std::string("recovery did not finish")
                               : fmt::format("recovered from {} in {} ms (target {} ms)",
                                             Cell(s.recovered_from), Ms(s.rto_ms), s.rto_target_ms),
      Ms(s.rpo_critical_ms));
  if (s.actions.empty()) {
    out << "No checklist action was recorded.\n\n";
  } else {
    out << "| action | ok | ms | outcome |\n|---|---|---|---|\n";
    for (const DrillAction& a : s.actions) {
      out << fmt::format("| {} | {} | {} | {} |\n", Cell(a.name), Mark(a.ok), Ms(a.duration_ms),
                         Cell(a.outcome));
    }
    out << "\n";
  }
  if (s.checks.empty()) out << "No property was checked.\n";
  for (const DrillCheck& c : s.checks) {
    const std::string title = PropertyTitle(c.property);
    out << fmt::format("- {} **{}**{}{}: {}\n", Mark(c.held), Cell(c.property),
                       title.empty() ? "" : " ", title, Cell(c.evidence));
  }
  if (!s.passed()) out << fmt::format("\nRun it again: {}\n", Code(s.repro));
  out << "\n";
}

}  // namespace

std::string MarkdownSummary(const History& history) {
  const ResultRecord& result = history.night();
  if (result.drill) return DrillMarkdown(result);
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
  if (result.drill) return DrillJunitXml(result);
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

std::string DrillMarkdown(const ResultRecord& result) {
  const DrillRecord& d = *result.drill;
  const bool held = d.passed() && result.violations() == 0;
  const size_t passed =
      std::count_if(d.steps.begin(), d.steps.end(), [](const DrillStep& s) { return s.passed(); });
  std::ostringstream out;
  out << "## crashdrill drill: " << (held ? "held" : "FAILED") << "\n\n";
  out << fmt::format(
      "Plan {} ({}), state directory {}, venue {}; commit {}, started {}.\n\n", Code(d.plan),
      Cell(d.plan_source), Code(d.state_dir), Code(d.venue), Cell(result.provenance.commit),
      result.provenance.started_at.empty() ? "not recorded" : result.provenance.started_at);
  out << fmt::format(
      "{} of {} steps passed{}.\n\n", passed, d.steps.size(),
      passed == d.steps.size() ? "" : fmt::format("; {} failed", d.steps.size() - passed));
  const std::vector<std::string> properties = DrillProperties(d);
  out << "| | step | name | started | fault | recovered from | RTO ms (target) | RPO critical ms |";
  for (const std::string& p : properties) out << " " << Cell(p) << " |";
  out << "\n|---|---|---|---|---|---|---|---|";
  for (size_t i = 0; i < properties.size(); ++i) out << "---|";
  out << "\n";
  for (const DrillStep& s : d.steps) {
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |", Mark(s.passed()), s.index,
                       Cell(s.name), Cell(s.started_at), Cell(s.fault),
                       s.recovered_from.empty() ? "-" : Cell(s.recovered_from), RtoCell(s),
                       Ms(s.rpo_critical_ms));
    for (const std::string& p : properties) out << " " << CheckCell(s, p) << " |";
    out << "\n";
  }
  if (passed < d.steps.size()) {
    out << "\n### Failed steps: run them again\n\n";
    for (const DrillStep& s : d.steps) {
      if (!s.passed())
        out << fmt::format("- step {}, {}: {}\n", s.index, Cell(s.name), Code(s.repro));
    }
  }
  out << "\n### Steps\n\n";
  for (const DrillStep& s : d.steps) DrillStepDetails(s, out);
  out << "### Sign-off\n\n";
  out << "I have read this report; the steps above were performed as recorded.\n\n";
  if (d.signed_off() && !d.passed()) {
    out << fmt::format("Signed off with {} failed step(s).\n\n", d.steps.size() - passed);
  }
  out << fmt::format("Operator: {}  Signature: ____  Date: {}\n",
                     d.signed_off() ? Cell(d.operator_name) : "____",
                     d.signed_off() ? Cell(d.signed_off_at) : "____");
  return out.str();
}

std::string DrillJunitXml(const ResultRecord& result) {
  const DrillRecord& d = *result.drill;
  const size_t failures =
      std::count_if(d.steps.begin(), d.steps.end(), [](const DrillStep& s) { return !s.passed(); });
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"crashdrill\" tests=\"{}\" failures=\"{}\">\n",
                     d.steps.size(), failures);
  out << fmt::format("  <testsuite name=\"drill {}\" tests=\"{}\" failures=\"{}\"{}>\n",
                     Escape(d.plan), d.steps.size(), failures,
                     UtcSeconds(result.provenance.started_at)
                         ? fmt::format(" timestamp=\"{}\"", result.provenance.started_at)
                         : "");
  for (const DrillStep& s : d.steps) {
    out << fmt::format(
        "    <testcase classname=\"crashdrill.drill.{}\" name=\"step {}: {}\" time=\"{:.3f}\"",
        Escape(d.plan), s.index, Escape(s.name), s.rto_ms / 1000);
    if (s.passed()) {
      out << "/>\n";
      continue;
    }
    std::string body;
    std::vector<std::string> failed;
    if (s.recovered_from.empty()) {
      failed.push_back("recovery");
      body += "recovery did not finish\n";
    }
    if (s.checks.empty()) {
      failed.push_back("checks");
      body += "no property was checked\n";
    }
    for (const DrillCheck& c : s.checks) {
      if (c.held) continue;
      failed.push_back(c.property);
      body += fmt::format("{} {} did not hold: {}\n", c.property, PropertyTitle(c.property),
                          c.evidence);
    }
    for (const DrillAction& a : s.actions) {
      if (a.ok) continue;
      failed.push_back("'" + a.name + "'");
      body += fmt::format("action '{}' failed: {}\n", a.name, a.outcome);
    }
    body += s.repro + "\n";
    out << fmt::format(
        ">\n      <failure message=\"step {} failed: {}\">{}</failure>\n    </testcase>\n", s.index,
        Escape(fmt::format("{}", fmt::join(failed, ", "))), Escape(body));
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace crashdrill::reports
