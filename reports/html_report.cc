#include "reports/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <numeric>

#include "reports/svg_chart.h"

namespace crashdrill::reports {
namespace {

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem 3rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.25rem; border-bottom: 2px solid #ccc; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
.verdict { display: inline-block; white-space: nowrap; padding: .15rem .6rem; border-radius: .3rem; font-weight: bold; }
.held { background: #d7f0e5; color: #00583a; border: 1px solid #009E73; }
.failed { background: #fbe1d6; color: #8a2b00; border: 1px solid #D55E00; }
dl.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .6rem 0; }
dl.provenance dt { color: #555; } dl.provenance dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; }
th { background: #f2f2f2; }
.miss { color: #8a2b00; font-weight: bold; }
.ok { color: #00583a; }
figure { margin: .8rem 1.2rem .8rem 0; display: inline-block; vertical-align: top; break-inside: avoid;
         max-width: 640px; }
figure.half { max-width: 520px; }
figcaption { font-size: .85rem; color: #333; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
details { font-size: .85rem; } summary { cursor: pointer; color: #0b5394; }
code.repro { background: #f4f4f4; padding: .1rem .3rem; border-radius: .2rem; user-select: all; }
ol.violations li { margin-bottom: .6rem; }
button.copy { font-size: .75rem; margin-left: .4rem; }
.note { color: #555; font-size: .9rem; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; }
table.checklist td.mark { text-align: center; }
section.step { border-left: 4px solid #009E73; padding-left: .8rem; margin: 1.2rem 0; }
section.step.failed-step { border-left-color: #D55E00; }
ul.checks { padding-left: 1.2rem; } ul.checks li { margin-bottom: .2rem; }
section.signoff { margin-top: 2.5rem; border: 1px solid #333; padding: .8rem 1.2rem 1.6rem; break-inside: avoid; }
.signoff .field { display: inline-block; margin: 1.6rem 2.5rem 0 0; }
.signoff .line { display: inline-block; min-width: 14rem; border-bottom: 1px solid #000; padding: 0 .3rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  button.copy, summary { display: none; }
  h2 { break-after: avoid; } section.scenario, section.step { break-inside: avoid; }
}
)";

// Opens every data table before printing, and gives each replay line a copy button.
constexpr const char* kScript = R"(
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
});
document.querySelectorAll('button.copy').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () {
    var text = button.getAttribute('data-text');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { button.textContent = 'copied'; },
                                               function () { button.textContent = 'select the line to copy'; });
    } else {
      var range = document.createRange();
      range.selectNodeContents(button.previousElementSibling);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      button.textContent = 'selected: press Ctrl+C';
    }
  });
});
)";

constexpr std::array<const char*, 6> kSources = {"l1", "l2", "l3", "l4", "backup", "venue"};

std::string E(const std::string& text) { return HtmlEscape(text); }

// Ids for charts: the scenario's index, never its name (which may hold anything).
std::string ChartId(const std::string& kind, size_t index) {
  return fmt::format("c-{}-{}", kind, index);
}

std::string Verdict(bool held) {
  return held ? "<span class=\"verdict held\">&#10004; held</span>"
              : "<span class=\"verdict failed\">&#10008; FAILED</span>";
}

std::string Figure(const std::string& svg, const std::string& caption, const std::string& table,
                   bool half = false) {
  return fmt::format(
      "<figure{}>{}<figcaption>{}</figcaption><details><summary>The numbers</summary>{}</details>"
      "</figure>\n",
      half ? " class=\"half\"" : "", svg, caption, table);
}

// "12.3 / 40.1 / 52.0 / 60.2" with the p99 marked when it misses the target.
std::string Distribution(const Samples& s) {
  if (s.values_ms.empty()) return "<td colspan=\"2\" class=\"text note\">no recoveries</td>";
  const double p99 = Percentile(s.values_ms, 0.99);
  const bool met = s.target_ms <= 0 || p99 <= static_cast<double>(s.target_ms);
  return fmt::format("<td>{} / {} / <span class=\"{}\">{}</span> / {}</td><td>{}{}</td>",
                     FormatMs(Percentile(s.values_ms, 0.5)),
                     FormatMs(Percentile(s.values_ms, 0.95)), met ? "ok" : "miss", FormatMs(p99),
                     FormatMs(s.values_ms.back()), s.target_ms,
                     met ? "" : " <span class=\"miss\">(p99 missed)</span>");
}

// A number of the run's configuration, which reports/ copies and does not
// check: 0 when it is missing or not a number from 0 to 1e15.
double ConfigurationNumber(const nlohmann::json& configuration, const char* key) {
  const auto it = configuration.find(key);
  if (it == configuration.end() || !it->is_number()) return 0;
  const double value = it->get<double>();
  return value >= 0 && value <= 1e15 ? value : 0;
}

std::string Budget(const nlohmann::json& configuration) {
  const double minutes = ConfigurationNumber(configuration, "minutes");
  const auto cases =
      static_cast<uint64_t>(ConfigurationNumber(configuration, "cases_per_scenario"));
  if (minutes > 0) return fmt::format("{} minutes of cases", minutes);
  if (cases > 0) return fmt::format("{} cases per scenario", cases);
  return "the nightly default";
}

// `text` as one word of a POSIX shell command line.
std::string ShellWord(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '@' || c == '/' || c == ':';
  });
  if (plain) return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string ReproduceCommand(const ResultRecord& r) {
  std::string command = "crashdrill chaos";
  for (const ScenarioRecord& s : r.scenarios) command += " --scenario " + ShellWord(s.name);
  command += fmt::format(" --seed {}", r.provenance.seed);
  const auto cases =
      static_cast<uint64_t>(ConfigurationNumber(r.provenance.configuration, "cases_per_scenario"));
  if (cases > 0) command += fmt::format(" --cases {}", cases);
  return command;
}

std::string Header(const History& h) {
  const Night& night = h.nights[h.current];
  const ResultRecord& r = night.result;
  const Provenance& p = r.provenance;
  uint64_t cases = 0, crashes = 0;
  size_t rto_met = 0, with_rto = 0;
  for (const ScenarioRecord& s : r.scenarios) {
    cases += s.cases;
    crashes += s.crashes;
    if (s.rto.values_ms.empty()) continue;
    ++with_rto;
    rto_met += Percentile(s.rto.values_ms, 0.99) <= static_cast<double>(s.rto.target_ms);
  }
  std::string out = fmt::format(
      "<header><h1>crashdrill chaos run {}</h1>\n<p>{} scenario{}, {} cases, {} crashes, "
      "<strong>{} violation{}</strong> of the properties P1&ndash;P9; RTO p99 within target in "
      "{} of {} scenarios with recoveries.</p>\n",
      Verdict(r.violations() == 0), r.scenarios.size(), r.scenarios.size() == 1 ? "" : "s", cases,
      crashes, r.violations(), r.violations() == 1 ? "" : "s", rto_met, with_rto);
  const auto row = [&](const std::string& name, const std::string& value) {
    out += fmt::format("<dt>{}</dt><dd>{}</dd>", name, value);
  };
  out += "<dl class=\"provenance\">";
  row("started", p.started_at.empty() ? "not recorded" : E(p.started_at));
  row("covered", fmt::format("{:.1f} s of wall time{}", p.wall_seconds,
                             p.shard_wall_seconds.empty()
                                 ? ""
                                 : fmt::format(" (the longest of {} shards run side by side)",
                                               p.shard_wall_seconds.size())));
  row("commit", E(p.commit));
  row("build", E(p.build_type) + ", " + E(p.compiler));
  row("machine", E(p.machine));
  row("seed", fmt::format("{}", p.seed));
  row("shards", night.paths.size() > 1 ? fmt::format("{} merged", night.paths.size()) : "1");
  row("budget", E(Budget(p.configuration)));
  std::string files;
  for (const std::string& path : night.paths) files += (files.empty() ? "" : ", ") + E(path);
  row("from", files);
  out += "</dl></header>\n";
  return out;
}

std::string SummaryTable(const ResultRecord& r) {
  std::string out =
      "<h2 id=\"summary\">Scenarios</h2>\n<table><thead><tr><th>scenario</th><th>verdict</th>"
      "<th>cases</th><th>crashes</th><th>violations</th><th>RTO ms p50 / p95 / p99 / max</th>"
      "<th>RTO target ms</th><th>RPO ms p50 / p95 / p99 / max</th><th>RPO target ms</th>"
      "<th>critical RPO max ms</th></tr></thead><tbody>\n";
  for (size_t i = 0; i < r.scenarios.size(); ++i) {
    const ScenarioRecord& s = r.scenarios[i];
    out += fmt::format(
        "<tr><td><a href=\"#s-{}\">{}</a></td><td class=\"text\">{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td>{}{}<td>{}</td></tr>\n",
        i, E(s.name), Verdict(s.violations.empty()), s.cases, s.crashes, s.violations.size(),
        Distribution(s.rto), Distribution(s.rpo_strategy),
        s.rpo_critical.values_ms.empty() ? "-" : FormatMs(s.rpo_critical.values_ms.back()));
  }
  return out + "</tbody></table>\n";
}

std::string SourcesChart(const ResultRecord& r) {
  // The sources of DESIGN §9 in their order, then any other a result names.
  std::vector<std::string> segments(kSources.begin(), kSources.end());
  for (const ScenarioRecord& s : r.scenarios) {
    for (const auto& [source, n] : s.recovered_from) {
      if (std::find(segments.begin(), segments.end(), source) == segments.end()) {
        segments.push_back(source);
      }
    }
  }
  std::vector<BarRow> rows;
  std::string table = "<table><tr><th>scenario</th>";
  for (const std::string& source : segments) table += "<th>" + E(source) + "</th>";
  table += "</tr>";
  uint64_t total = 0;
  for (const ScenarioRecord& s : r.scenarios) {
    BarRow row{.label = s.name};
    table += "<tr><td>" + E(s.name) + "</td>";
    for (const std::string& source : segments) {
      const auto it = s.recovered_from.find(source);
      const uint64_t n = it == s.recovered_from.end() ? 0 : it->second;
      row.values.push_back(static_cast<double>(n));
      table += fmt::format("<td>{}</td>", n);
      total += n;
    }
    table += "</tr>";
    rows.push_back(std::move(row));
  }
  table += "</table>";
  std::string out = "<h2 id=\"sources\">Where recoveries came from</h2>\n";
  if (total == 0) return out + "<p class=\"note\">No recovery in this run.</p>\n";
  return out +
         Figure(StackedBarsSvg({.id = "c-sources",
                                .title = "Where recoveries came from, per scenario",
                                .desc = "For each scenario, how many recoveries started from the "
                                        "L1, L2, L3 or L4 copy, a backup, or the venue alone."},
                               segments, rows, "recoveries"),
                "Recoveries per scenario by the copy they started from: L1 memory-mapped "
                "checkpoint, L2 whole-state file, L3 log and snapshots, L4 archive, a backup, or "
                "nothing local (the venue's state).",
                table);
}

std::string PhasesChart(const ResultRecord& r) {
  std::string out = "<h2 id=\"phases\">Time per recovery phase</h2>\n";
  std::vector<std::string> segments(kRecoveryPhases.begin(), kRecoveryPhases.end());
  segments.push_back("other");
  std::vector<BarRow> rows;
  std::string table = "<table><tr><th>scenario</th>";
  for (const std::string& segment : segments) table += "<th>" + segment + " ms</th>";
  table += "<th>recoveries</th></tr>";
  for (const ScenarioRecord& s : r.scenarios) {
    const size_t recoveries = s.rto.values_ms.size();
    if (recoveries == 0 || s.recovery_phase_ns.empty()) continue;
    BarRow row{.label = s.name};
    double phases = 0;
    for (const char* phase : kRecoveryPhases) {
      const auto it = s.recovery_phase_ns.find(phase);
      const double ms =
          (it == s.recovery_phase_ns.end() ? 0 : static_cast<double>(it->second) / 1e6) /
          static_cast<double>(recoveries);
      row.values.push_back(ms);
      phases += ms;
    }
    const double mean_rto =
        std::accumulate(s.rto.values_ms.begin(), s.rto.values_ms.end(), 0.0) / recoveries;
    row.values.push_back(std::max(0.0, mean_rto - phases));
    table += "<tr><td>" + E(s.name) + "</td>";
    for (const double v : row.values) table += "<td>" + FormatMs(v) + "</td>";
    table += fmt::format("<td>{}</td></tr>", recoveries);
    rows.push_back(std::move(row));
  }
  table += "</table>";
  if (rows.empty()) {
    return out + "<p class=\"note\">No recovery in this run recorded its phases.</p>\n";
  }
  return out +
         Figure(StackedBarsSvg({.id = "c-phases",
                                .title = "Mean time per recovery phase, per scenario",
                                .desc = "For each scenario, the mean time of a recovery split "
                                        "into discover, load, validate, replay, reconcile and "
                                        "other (restart, retries, waiting for the venue)."},
                               segments, rows, "milliseconds per recovery (mean)"),
                "Mean time of one recovery, by phase, on the clock RTO is measured on "
                "(simulated in sim mode). Other: the time to ready that no phase covers: the "
                "restart itself, a retried recovery, waiting out a partition.",
                table);
}

std::string DistributionFigure(const std::string& id, const std::string& what,
                               const std::string& scenario, const Samples& s) {
  if (s.values_ms.empty()) {
    return fmt::format("<p class=\"note\">No {} samples: no recovery in this scenario.</p>\n",
                       what);
  }
  const double p99 = Percentile(s.values_ms, 0.99);
  const std::string desc = fmt::format(
      "{} of {} over {} recoveries: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms; target {} ms, "
      "{}.",
      what, scenario, s.values_ms.size(), FormatMs(Percentile(s.values_ms, 0.5)),
      FormatMs(Percentile(s.values_ms, 0.95)), FormatMs(p99), FormatMs(s.values_ms.back()),
      s.target_ms, p99 <= static_cast<double>(s.target_ms) ? "met at p99" : "missed at p99");
  std::string table = "<table><tr><th>percentile</th><th>ms</th></tr>";
  for (const double p : {0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
    table += fmt::format("<tr><td>p{:g}</td><td>{}</td></tr>", p * 100,
                         FormatMs(Percentile(s.values_ms, p)));
  }
  table += "</table>";
  return Figure(EcdfSvg({.id = id, .title = what + " of " + scenario, .desc = desc}, s.values_ms,
                        static_cast<double>(s.target_ms)),
                E(desc), table, /*half=*/true);
}

std::string ScenarioSection(const ScenarioRecord& s, size_t index) {
  std::string out = fmt::format(
      "<section class=\"scenario\" id=\"s-{}\"><h3>{} {}</h3>\n<p>{} mode, {} cases, {} crashes, "
      "{} acknowledged critical updates, {} violation{}.</p>\n",
      index, E(s.name), Verdict(s.violations.empty()), E(s.mode), s.cases, s.crashes,
      s.acknowledged, s.violations.size(), s.violations.size() == 1 ? "" : "s");
  out += DistributionFigure(ChartId("rto", index), "RTO", s.name, s.rto);
  out += DistributionFigure(ChartId("rpo", index), "RPO (strategy state)", s.name, s.rpo_strategy);
  const double critical = s.rpo_critical.values_ms.empty() ? 0 : s.rpo_critical.values_ms.back();
  out += fmt::format(
      "<p>Critical state (orders, fills, positions, balances): largest loss {} ms over {} "
      "recoveries{}.</p>\n",
      FormatMs(critical), s.rpo_critical.values_ms.size(),
      critical > 0 ? " <span class=\"miss\">(acknowledged critical updates were lost)</span>"
                   : " (nothing acknowledged was lost)");
  std::vector<std::pair<std::string, uint64_t>> faults(s.faults_fired.begin(),
                                                       s.faults_fired.end());
  std::stable_sort(faults.begin(), faults.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (faults.empty()) return out + "<p class=\"note\">No fault fired.</p></section>\n";
  const uint64_t most = faults.front().second;
  out +=
      "<table class=\"faults\"><caption>Faults fired</caption><tr><th>fault</th>"
      "<th>times</th><th>per case</th><th><span class=\"note\">(bar: times)</span></th></tr>";
  for (const auto& [kind, n] : faults) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{:.2f}</td><td class=\"text\"><svg width=\"120\" "
        "height=\"10\" aria-hidden=\"true\"><rect width=\"{:.1f}\" height=\"10\" "
        "fill=\"#56B4E9\"/></svg></td></tr>",
        E(kind), n, s.cases > 0 ? static_cast<double>(n) / s.cases : 0.0,
        most > 0 ? 120.0 * n / most : 0.0);
  }
  return out + "</table></section>\n";
}

std::string Violations(const ResultRecord& r) {
  std::string out = "<h2 id=\"violations\">Violations</h2>\n";
  if (r.violations() == 0) {
    return out + "<p>None: every property held after every recovery.</p>\n";
  }
  out += "<ol class=\"violations\">\n";
  for (const ScenarioRecord& s : r.scenarios) {
    for (const ViolationRecord& v : s.violations) {
      const std::string replay = "crashdrill replay " + ShellWord(v.repro);
      out += fmt::format(
          "<li><strong>{} {}</strong> in <em>{}</em>, case {}: {}<br><code class=\"repro\">{}"
          "</code><button class=\"copy\" type=\"button\" hidden data-text=\"{}\">copy</button>"
          "</li>\n",
          E(v.property), E(PropertyTitle(v.property)), E(s.name), v.case_index, E(v.detail),
          E(replay), E(replay));
    }
  }
  return out + "</ol>\n";
}

std::string Trend(const History& h) {
  std::string out = fmt::format(
      "<h2 id=\"trend\">Trend over {} nights</h2>\n<p class=\"note\">A night is marked worse "
      "when a figure is past the median of the up to {} nights before it: a scenario's RTO or RPO "
      "p99 above 1.25&times; and at least 1 ms more, violations where there were none, crashes "
      "per second below 0.8&times;. The RTO and RPO charts mark a night when any scenario got "
      "worse (the table below says which); the night reported on is circled.</p>\n",
      h.nights.size(), kBaselineNights);
  const auto flagged = [&](size_t night, const std::string& figure, const std::string& scenario,
                           bool any_scenario) {
    return std::any_of(h.regressions.begin(), h.regressions.end(), [&](const Regression& r) {
      return r.night == night && r.figure == figure && (any_scenario || r.scenario == scenario);
    });
  };
  struct Chart {
    const char* id;
    const char* figure;
    const char* title;
    const char* unit;
    double (*value)(const NightFigures&);
  };
  const Chart charts[] = {
      {"c-trend-rto", "RTO p99", "RTO p99 of the worst scenario", "ms",
       [](const NightFigures& f) { return f.rto_p99_ms; }},
      {"c-trend-rpo", "RPO p99", "RPO p99 (strategy state) of the worst scenario", "ms",
       [](const NightFigures& f) { return f.rpo_p99_ms; }},
      {"c-trend-cases", "", "Cases", "cases",
       [](const NightFigures& f) { return static_cast<double>(f.cases); }},
      {"c-trend-violations", "violations", "Violations", "violations",
       [](const NightFigures& f) { return static_cast<double>(f.violations); }},
      {"c-trend-speed", "crashes per second", "Crashes per second of wall time", "crashes/s",
       [](const NightFigures& f) { return f.crashes_per_second; }},
  };
  for (const Chart& chart : charts) {
    std::vector<TrendPoint> points;
    std::string table = fmt::format("<table><tr><th>night</th><th>{}</th></tr>", chart.unit);
    std::string worse;
    for (size_t n = 0; n < h.nights.size(); ++n) {
      const double value = chart.value(h.figures[n]);
      const bool is_flagged = *chart.figure != '\0' && flagged(n, chart.figure, "", true);
      points.push_back({.label = h.nights[n].label, .value = value, .flagged = is_flagged});
      table +=
          fmt::format("<tr><td>{}{}</td><td>{:.6g}{}</td></tr>", E(h.nights[n].label),
                      n == h.current ? " (this night)" : "", value, is_flagged ? " (worse)" : "");
      if (is_flagged) worse += (worse.empty() ? "" : ", ") + h.nights[n].label;
    }
    table += "</table>";
    const std::string desc =
        fmt::format("{} for each of {} nights, from {} to {}; {}.", chart.title, h.nights.size(),
                    h.nights.front().label, h.nights.back().label,
                    worse.empty() ? "no night marked worse" : "marked worse: " + worse);
    out += Figure(TrendSvg({.id = chart.id, .title = chart.title, .desc = desc}, points, h.current,
                           chart.unit),
                  E(desc), table, /*half=*/true);
  }
  // Per scenario: which one got worse.
  out +=
      "<h3>Per scenario</h3>\n<table><tr><th>scenario</th><th>RTO p99 over the nights</th>"
      "<th>RTO p99 this night ms</th><th>RPO p99 over the nights</th>"
      "<th>RPO p99 this night ms</th></tr>\n";
  std::vector<std::string> names;
  for (const NightFigures& f : h.figures) {
    for (const auto& [name, value] : f.scenario_rto_p99_ms) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    out += "<tr><td>" + E(name) + "</td>";
    for (const auto& [figure, of] : {std::pair{"RTO p99", &NightFigures::scenario_rto_p99_ms},
                                     std::pair{"RPO p99", &NightFigures::scenario_rpo_p99_ms}}) {
      std::vector<TrendPoint> points;
      size_t current = SIZE_MAX;  // the scenario may not have run this night
      for (size_t n = 0; n < h.nights.size(); ++n) {
        const auto it = (h.figures[n].*of).find(name);
        if (it == (h.figures[n].*of).end()) continue;
        if (n == h.current) current = points.size();
        points.push_back({.label = h.nights[n].label,
                          .value = it->second,
                          .flagged = flagged(n, figure, name, false)});
      }
      const auto now = (h.figures[h.current].*of).find(name);
      out += fmt::format(
          "<td class=\"text\">{}</td><td>{}</td>",
          SparklineSvg(
              {.id = fmt::format("c-spark-{}-{}", figure[1] == 'T' ? "rto" : "rpo", i),
               .title = fmt::format("{} of {} over {} nights", figure, name, points.size()),
               .desc = fmt::format("{} nights with this scenario{}", points.size(),
                                   std::any_of(points.begin(), points.end(),
                                               [](const TrendPoint& p) { return p.flagged; })
                                       ? ", some marked worse"
                                       : "")},
              points, current),
          now == (h.figures[h.current].*of).end() ? "-" : FormatMs(now->second));
    }
    out += "</tr>\n";
  }
  out += "</table>\n";
  if (h.regressions.empty()) return out + "<p>No night got worse than the nights before it.</p>\n";
  out += "<h3>Nights that got worse</h3>\n<ul>\n";
  for (const Regression& r : h.regressions) {
    out += fmt::format("<li>{}{}: {}</li>\n", E(h.nights[r.night].label),
                       r.night == h.current ? " (this night)" : "", E(DescribeRegression(r)));
  }
  return out + "</ul>\n";
}

// The drill report (DESIGN §10): a drill's result gets this page instead of
// the chaos run's.

std::string Mark(bool ok) {
  return ok ? "<span class=\"ok\">&#10004;</span>" : "<span class=\"miss\">&#10008;</span>";
}

std::string DrillHeader(const ResultRecord& r) {
  const DrillRecord& d = *r.drill;
  const bool held = d.passed() && r.violations() == 0;
  const size_t passed =
      std::count_if(d.steps.begin(), d.steps.end(), [](const DrillStep& s) { return s.passed(); });
  return fmt::format(
      "<h1>crashdrill drill: {} {}</h1>\n<p>{} of {} steps passed.</p>\n<dl class=\"provenance\">"
      "<dt>plan</dt><dd>{} ({})</dd><dt>state directory</dt><dd><code>{}</code></dd>"
      "<dt>venue</dt><dd><code>{}</code></dd><dt>commit</dt><dd>{}</dd><dt>build</dt><dd>{}, {}"
      "</dd><dt>machine</dt><dd>{}</dd><dt>started</dt><dd>{}</dd></dl>\n",
      E(d.plan), Verdict(held), passed, d.steps.size(), E(d.plan), E(d.plan_source), E(d.state_dir),
      E(d.venue), E(r.provenance.commit), E(r.provenance.build_type), E(r.provenance.compiler),
      E(r.provenance.machine),
      r.provenance.started_at.empty() ? "not recorded" : E(r.provenance.started_at));
}

std::string DrillChecklist(const DrillRecord& d) {
  const std::vector<std::string> properties = DrillProperties(d);
  std::string out =
      "<h2 id=\"checklist\">Checklist</h2>\n<table class=\"checklist\"><tr><th>step</th>"
      "<th>passed</th><th>name</th><th>started</th><th>fault</th><th>recovered from</th>"
      "<th>RTO ms</th><th>target ms</th><th>RPO critical ms</th>";
  for (const std::string& p : properties) {
    out += fmt::format("<th title=\"{}\">{}</th>", E(PropertyTitle(p)), E(p));
  }
  out += "</tr>\n";
  for (const DrillStep& s : d.steps) {
    const bool met = s.rto_ms <= static_cast<double>(s.rto_target_ms);
    out += fmt::format(
        "<tr><td><a href=\"#step-{0}\">{0}</a></td><td class=\"mark\">{1}</td><td class=\"text\">"
        "{2}</td><td class=\"text\">{3}</td><td class=\"text\">{4}</td><td class=\"text\">{5}</td>"
        "<td>{6}</td><td>{7}</td><td>{8}</td>",
        s.index, Mark(s.passed()), E(s.name), E(s.started_at), E(s.fault),
        s.recovered_from.empty() ? "<span class=\"miss\">did not finish</span>"
                                 : E(s.recovered_from),
        s.recovered_from.empty()
            ? "-"
            : fmt::format("<span class=\"{}\">{}</span>{}", met ? "ok" : "miss", FormatMs(s.rto_ms),
                          met ? "" : " (over)"),
        s.rto_target_ms, FormatMs(s.rpo_critical_ms));
    for (const std::string& p : properties) {
      std::string cell = "-";
      for (const DrillCheck& c : s.checks) {
        if (c.property == p && (cell == "-" || !c.held)) cell = Mark(c.held);
      }
      out += "<td class=\"mark\">" + cell + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string DrillRtoChart(const DrillRecord& d) {
  std::vector<TargetBar> rows;
  std::string table = "<table><tr><th>step</th><th>RTO ms</th><th>target ms</th></tr>";
  size_t over = 0;
  for (const DrillStep& s : d.steps) {
    rows.push_back({.label = fmt::format("{}. {}", s.index, s.name),
                    .has_value = !s.recovered_from.empty(),
                    .value = s.rto_ms,
                    .target = static_cast<double>(s.rto_target_ms)});
    over += rows.back().has_value && s.rto_target_ms > 0 &&
            s.rto_ms > static_cast<double>(s.rto_target_ms);
    table += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>", s.index,
                         s.recovered_from.empty() ? "did not recover" : FormatMs(s.rto_ms),
                         s.rto_target_ms);
  }
  table += "</table>";
  if (rows.empty()) return "<p class=\"note\">The drill has no step.</p>\n";
  const std::string desc = fmt::format(
      "RTO of each of the {} steps against its target: {} over target.", rows.size(), over);
  return "<h2 id=\"rto\">RTO per step</h2>\n" +
         Figure(TargetBarsSvg({.id = "c-drill-rto", .title = "RTO per step", .desc = desc}, rows,
                              "milliseconds from restart to ready to trade", "did not recover"),
                E(desc) + " The dashed line on each row is the step's target.", table);
}

std::string DrillStepSection(const DrillStep& s) {
  std::string out = fmt::format(
      "<section class=\"step{}\" id=\"step-{}\"><h3>Step {}: {} {}</h3>\n<p>Fault <code>{}</code>: "
      "{}. Started {}; {} acknowledged before the fault; {}; critical RPO {} ms.</p>\n",
      s.passed() ? "" : " failed-step", s.index, s.index, E(s.name), Verdict(s.passed()),
      E(s.fault), E(s.fault_detail), E(s.started_at), s.acknowledged,
      s.recovered_from.empty()
          ? std::string("<span class=\"miss\">recovery did not finish</span>")
          : fmt::format("recovered from {} in {} ms (target {} ms)", E(s.recovered_from),
                        FormatMs(s.rto_ms), s.rto_target_ms),
      FormatMs(s.rpo_critical_ms));
  if (s.actions.empty()) {
    out += "<p class=\"note\">No checklist action was recorded.</p>\n";
  } else {
    out +=
        "<table class=\"actions\"><caption>The operator's checklist, as performed</caption><tr>"
        "<th>action</th><th>ok</th><th>ms</th><th>outcome</th></tr>";
    for (const DrillAction& a : s.actions) {
      out += fmt::format(
          "<tr><td>{}</td><td class=\"mark\">{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
          E(a.name), Mark(a.ok), FormatMs(a.duration_ms), E(a.outcome));
    }
    out += "</table>\n";
  }
  out += "<ul class=\"checks\">\n";
  if (s.checks.empty()) out += "<li class=\"miss\">No property was checked.</li>\n";
  for (const DrillCheck& c : s.checks) {
    out += fmt::format("<li>{} <strong>{} {}</strong>: {}</li>\n", Mark(c.held), E(c.property),
                       E(PropertyTitle(c.property)), E(c.evidence));
  }
  out += "</ul>\n";
  if (!s.passed()) {
    out += fmt::format(
        "<p>Run it again: <code class=\"repro\">{0}</code><button class=\"copy\" type=\"button\" "
        "hidden data-text=\"{0}\">copy</button></p>\n",
        E(s.repro));
  }
  return out + "</section>\n";
}

std::string DrillSignOff(const DrillRecord& d) {
  const auto field = [](const char* label, const std::string& value) {
    return fmt::format(
        "<div class=\"field\"><span class=\"label\">{}:</span> <span class=\"line\">{}</span>"
        "</div>",
        label, value.empty() ? "&nbsp;" : E(value));
  };
  const size_t failed =
      std::count_if(d.steps.begin(), d.steps.end(), [](const DrillStep& s) { return !s.passed(); });
  return fmt::format(
      "<section class=\"signoff\" id=\"sign-off\"><h2>Sign-off</h2>\n<p>I have read this report; "
      "the steps above were performed as recorded.</p>{}\n<div class=\"form\" "
      "role=\"group\" aria-label=\"sign-off\">{}{}{}</div></section>\n",
      d.signed_off() && failed > 0
          ? fmt::format("<p class=\"miss\">Signed off with {} failed step(s).</p>", failed)
          : "",
      field("Operator", d.operator_name), field("Signature", ""), field("Date", d.signed_off_at));
}

std::string DrillHtml(const ResultRecord& r) {
  const DrillRecord& d = *r.drill;
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
      "<title>crashdrill drill {}: {}</title>\n<style>{}</style></head>\n<body>\n",
      E(d.plan), d.passed() && r.violations() == 0 ? "held" : "FAILED", kStyle);
  out += DrillHeader(r);
  out +=
      "<nav><a href=\"#checklist\">Checklist</a> &middot; <a href=\"#rto\">RTO</a> &middot; "
      "<a href=\"#steps\">Steps</a> &middot; <a href=\"#sign-off\">Sign-off</a></nav>\n";
  out += DrillChecklist(d);
  out += DrillRtoChart(d);
  out += "<h2 id=\"steps\">Steps</h2>\n";
  for (const DrillStep& s : d.steps) out += DrillStepSection(s);
  out += DrillSignOff(d);
  out += fmt::format(
      "<footer><p>Written by <code>crashdrill report</code> from a drill result (schema {}).</p>"
      "</footer>\n<script>{}</script>\n</body></html>\n",
      kResultSchema, kScript);
  return out;
}

}  // namespace

std::string HtmlReport(const History& h) {
  const ResultRecord& r = h.night();
  if (r.drill) return DrillHtml(r);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
      "<title>crashdrill chaos run: {} ({})</title>\n<style>{}</style></head>\n<body>\n",
      r.violations() == 0 ? "held" : "FAILED", E(h.nights[h.current].label), kStyle);
  out += Header(h);
  out +=
      "<nav><a href=\"#summary\">Scenarios</a> &middot; <a href=\"#sources\">Sources</a> "
      "&middot; <a href=\"#phases\">Phases</a> &middot; <a href=\"#violations\">Violations"
      "</a>";
  if (h.nights.size() > 1) out += " &middot; <a href=\"#trend\">Trend</a>";
  out += "</nav>\n";
  out += SummaryTable(r);
  out += Violations(r);
  out += SourcesChart(r);
  out += PhasesChart(r);
  out +=
      "<h2 id=\"distributions\">RTO and RPO per scenario</h2>\n<p class=\"note\">Each curve "
      "shows the share of recoveries that came back (RTO) or lost (RPO) at most so many "
      "milliseconds; the dashed line is the target, the dots are p50, p95 and p99.</p>\n";
  for (size_t i = 0; i < r.scenarios.size(); ++i) out += ScenarioSection(r.scenarios[i], i);
  if (h.nights.size() > 1) out += Trend(h);
  out += fmt::format(
      "<footer><p>Reproduce this run: <code class=\"repro\">{}</code>; a single case: "
      "<code>crashdrill replay SCENARIO@SEED</code> from the violations above.</p><p>Written by "
      "<code>crashdrill report</code> from {} (schema {}).</p></footer>\n",
      E(ReproduceCommand(r)), h.nights[h.current].paths.size() == 1 ? "one result" : "results",
      kResultSchema);
  out += fmt::format("<script>{}</script>\n</body></html>\n", kScript);
  return out;
}

}  // namespace crashdrill::reports
