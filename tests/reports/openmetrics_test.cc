// The OpenMetrics text of a result: a golden file for a fixed result, and the
// rules a scraper enforces (one TYPE per family before its samples, families
// not interleaved, names, label escaping, numbers, "# EOF") checked by a small
// reader of the format. promtool is not a Debian package, so nothing here needs it.
#include "reports/openmetrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/reports/golden_file.h"
#include "tests/reports/result_test_support.h"

namespace crashdrill::reports {
namespace {

// A scenario name a label value must escape: a double quote, a backslash, a newline.
constexpr const char* kAwkwardName = "bit \"rot\" \\ l2\nsecond line";

ResultRecord FixedResult() {
  ResultRecord result;
  result.provenance = {.commit = "abc123",
                       .build_type = "RelWithDebInfo",
                       .seed = 7,
                       .shard = {.index = 1, .count = 4},
                       .started_at = "2026-11-28T06:17:07Z",
                       .wall_seconds = 93.25};
  ScenarioRecord power{.name = "power-loss", .mode = "sim", .cases = 3, .crashes = 24};
  power.violations = {{"P8", "power-loss@1001", "case 1 slow", 1}};
  power.rto = {{12.25, 30.0, 6031.5}, 5000};
  power.rpo_strategy = {{0.0, 200.0, 250.0}, 1000};
  power.rpo_critical = {{0.0, 0.0, 0.0}, 0};
  power.recovered_from = {{"l1", 2}, {"l3", 1}, {"venue", 0}};
  power.faults_fired = {{"torn_write", 5}, {"power_loss", 3}};
  ScenarioRecord awkward{.name = kAwkwardName, .mode = "process", .cases = 2, .crashes = 2};
  awkward.rto = {{1500.5, 2000.0}, 1500};
  awkward.rpo_strategy = {{}, 1000};  // no samples: NaN quantiles
  awkward.recovered_from = {{"l2", 2}};
  awkward.faults_fired = {{"bit_flip", 2}};
  result.scenarios = {power, awkward};
  return result;
}

// A sample as a scraper reads it: labels decoded, value parsed.
struct ParsedSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;

  bool Has(const std::string& label) const {
    for (const auto& [name, value] : labels) {
      if (name == label) return true;
    }
    return false;
  }
  // REQUIRES: Has(label).
  std::string Label(const std::string& label) const {
    for (const auto& [name, value] : labels) {
      if (name == label) return value;
    }
    ADD_FAILURE() << name << " has no label " << label;
    return "";
  }
};

bool IsMetricName(std::string_view name, bool colon_allowed = true) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(colon_allowed && c == ':') && !(i > 0 && digit)) return false;
  }
  return true;
}

// Reads an OpenMetrics text line by line and keeps every rule it breaks.
class OpenMetricsReader {
 public:
  explicit OpenMetricsReader(const std::string& text) {
    if (!text.ends_with("# EOF\n")) errors_.push_back("the text does not end with \"# EOF\\n\"");
    std::istringstream lines(text);
    std::string line;
    bool eof = false;
    while (std::getline(lines, line)) {
      ++line_;
      if (eof) {
        Fail("a line after # EOF");
      } else if (line == "# EOF") {
        eof = true;
      } else if (line.starts_with("#")) {
        Metadata(line);
      } else {
        SampleLine(line);
      }
    }
    if (!eof) errors_.push_back("no # EOF line");
  }

  const std::vector<std::string>& errors() const { return errors_; }
  const std::vector<ParsedSample>& samples() const { return samples_; }

  std::vector<ParsedSample> SamplesNamed(const std::string& name) const {
    std::vector<ParsedSample> named;
    for (const ParsedSample& s : samples_) {
      if (s.name == name) named.push_back(s);
    }
    return named;
  }

 private:
  // Keeps the rule the current line breaks; false, for a reading that stops there.
  bool Fail(const std::string& what) {
    errors_.push_back("line " + std::to_string(line_) + ": " + what);
    return false;
  }

  // The family whose lines come now; a family that comes back after another
  // is interleaved.
  void Enter(const std::string& family) {
    if (family == family_) return;
    if (!family_.empty()) closed_.insert(family_);
    if (closed_.contains(family)) Fail("family " + family + " again after another family");
    family_ = family;
  }

  bool Metadata(const std::string& line) {
    std::istringstream words(line);
    std::string hash, kind, name, rest;
    words >> hash >> kind >> name;
    std::getline(words >> std::ws, rest);
    if (hash != "#" || (kind != "HELP" && kind != "TYPE" && kind != "UNIT")) {
      return Fail("not a HELP, TYPE or UNIT line: " + line);
    }
    if (!IsMetricName(name)) return Fail("metric name '" + name + "'");
    Enter(name);
    if (with_samples_.contains(name)) Fail(kind + " of " + name + " after its samples");
    if (!metadata_.insert({name, kind}).second) Fail("a second " + kind + " line for " + name);
    if (kind == "TYPE") {
      static const std::set<std::string> kTypes = {"counter",        "gauge",    "histogram",
                                                   "gaugehistogram", "stateset", "info",
                                                   "summary",        "unknown"};
      if (!kTypes.contains(rest)) Fail("type '" + rest + "'");
      types_[name] = rest;
    } else if (kind == "UNIT" && !name.ends_with("_" + rest)) {
      Fail("family " + name + " does not end with its unit " + rest);
    } else if (kind == "HELP") {
      // What both the Prometheus text format and OpenMetrics read the same.
      static const std::regex kHelp(R"(([^"\\]|\\\\|\\n)*)");
      if (!std::regex_match(rest, kHelp)) Fail("HELP text '" + rest + "'");
    }
    return true;
  }

  // The family of sample `name`: itself, or a summary's for _count and _sum.
  std::string FamilyOf(const std::string& name) const {
    if (types_.contains(name)) return name;
    for (const std::string suffix : {"_count", "_sum"}) {
      if (!name.ends_with(suffix)) continue;
      const std::string stem = name.substr(0, name.size() - suffix.size());
      const auto it = types_.find(stem);
      if (it != types_.end() && it->second == "summary") return stem;
    }
    return "";
  }

  bool SampleLine(const std::string& line) {
    ParsedSample sample;
    size_t at = line.find_first_of("{ ");
    sample.name = line.substr(0, at);
    if (!IsMetricName(sample.name)) return Fail("metric name '" + sample.name + "'");
    const std::string family = FamilyOf(sample.name);
    if (family.empty()) return Fail("sample " + sample.name + " has no TYPE line before it");
    Enter(family);
    with_samples_.insert(family);
    if (at != std::string::npos && line[at] == '{' && !Labels(line, &at, &sample)) return false;
    if (at == std::string::npos || line[at] != ' ') return Fail("no value: " + line);
    if (!Number(line.substr(at + 1), &sample.value)) return Fail("value of: " + line);
    if (types_[family] == "summary" && sample.name == family && !sample.Has("quantile")) {
      Fail("summary sample without a quantile: " + line);
    }
    if (sample.name.ends_with("_count") &&
        !(sample.value >= 0 && sample.value == std::floor(sample.value))) {
      Fail("_count is not a whole number: " + line);
    }
    std::string series = sample.name;
    for (const auto& [name, value] : sample.labels) series += "\n" + name + "=" + value;
    if (!series_.insert(series).second) Fail("a second sample of the same series: " + line);
    samples_.push_back(std::move(sample));
    return true;
  }

  // Reads {name="value",...} from line[*at] == '{', decoding escapes; leaves *at after '}'.
  bool Labels(const std::string& line, size_t* at, ParsedSample* sample) {
    size_t i = *at + 1;
    std::set<std::string> names;
    while (i < line.size() && line[i] != '}') {
      const size_t equals = line.find('=', i);
      if (equals == std::string::npos) return Fail("no '=' in the labels: " + line);
      const std::string name = line.substr(i, equals - i);
      if (!IsMetricName(name, /*colon_allowed=*/false) || !names.insert(name).second) {
        return Fail("label name '" + name + "': " + line);
      }
      i = equals + 1;
      if (i >= line.size() || line[i] != '"') return Fail("label value unquoted: " + line);
      std::string value;
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] != '\\') {
          value += line[i];
          continue;
        }
        const char next = i + 1 < line.size() ? line[++i] : '\0';
        if (next != '\\' && next != '"' && next != 'n') return Fail("escape in: " + line);
        value += next == 'n' ? '\n' : next;
      }
      if (i >= line.size()) return Fail("label value unterminated: " + line);
      sample->labels.emplace_back(name, value);
      ++i;
      if (i < line.size() && line[i] == ',') {
        ++i;
      } else if (i >= line.size() || line[i] != '}') {
        return Fail("after a label: " + line);
      }
    }
    if (i >= line.size()) return Fail("labels unterminated: " + line);
    *at = i + 1;
    return true;
  }

  // OpenMetrics' realnumber, NaN or an infinity, and nothing after it (no timestamp is written).
  static bool Number(const std::string& text, double* value) {
    static const std::regex kReal(R"([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)");
    if (text == "NaN" || text == "+Inf" || text == "-Inf" || std::regex_match(text, kReal)) {
      *value = std::strtod(text == "NaN" ? "nan" : text.c_str(), nullptr);
      return true;
    }
    return false;
  }

  size_t line_ = 0;
  std::string family_;
  std::set<std::string> closed_;
  std::set<std::string> with_samples_;
  std::set<std::pair<std::string, std::string>> metadata_;
  std::map<std::string, std::string> types_;
  std::set<std::string> series_;
  std::vector<ParsedSample> samples_;
  std::vector<std::string> errors_;
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

TEST(OpenMetricsTest, TextOfAFixedResultIsTheGoldenFile) {
  EXPECT_TRUE(testing::MatchesGolden("metrics.txt", OpenMetricsText(FixedResult())));
}

TEST(OpenMetricsTest, TextOfAFixedResultIsWhatAScraperAccepts) {
  const OpenMetricsReader reader(OpenMetricsText(FixedResult()));
  EXPECT_EQ(reader.errors(), std::vector<std::string>{});
  // Label values read back as the scenario names, escapes and all.
  std::vector<std::string> scenarios;
  for (const ParsedSample& s : reader.SamplesNamed("crashdrill_cases")) {
    scenarios.push_back(s.Label("scenario"));
  }
  EXPECT_EQ(scenarios, (std::vector<std::string>{"power-loss", kAwkwardName}));
}

TEST(OpenMetricsTest, TextOfAMadeUpRunIsWhatAScraperAccepts) {
  const ResultRecord run = testing::MadeUpRun(6, {});
  const OpenMetricsReader reader(OpenMetricsText(run));
  EXPECT_EQ(reader.errors(), std::vector<std::string>{});
  std::set<std::string> scenarios;
  for (const ParsedSample& s : reader.samples()) {
    if (s.Has("scenario")) scenarios.insert(s.Label("scenario"));
  }
  EXPECT_EQ(scenarios, (std::set<std::string>{"power-loss", "bit-rot"}));
}

TEST(OpenMetricsTest, EveryScenarioHasAViolationsSampleForEveryProperty) {
  const OpenMetricsReader reader(OpenMetricsText(testing::MadeUpRun(6, {})));
  std::map<std::string, std::map<std::string, double>> by_scenario;
  for (const ParsedSample& s : reader.SamplesNamed("crashdrill_violations")) {
    by_scenario[s.Label("scenario")][s.Label("property")] = s.value;
  }
  // Cases 1 and 4 of each scenario find a P2 and a P8.
  const std::map<std::string, double> expected = {{"P1", 0}, {"P2", 2}, {"P3", 0},
                                                  {"P4", 0}, {"P5", 0}, {"P6", 0},
                                                  {"P7", 0}, {"P8", 2}, {"P9", 0}};
  EXPECT_EQ(by_scenario, (std::map<std::string, std::map<std::string, double>>{
                             {"power-loss", expected}, {"bit-rot", expected}}));
}

TEST(OpenMetricsTest, StartTimestampIsWrittenOnlyForAKnownStartTime) {
  ResultRecord run = testing::MadeUpRun(2, {});
  const std::string name = "crashdrill_run_start_timestamp_seconds";
  EXPECT_EQ(OpenMetricsText(run).find(name), std::string::npos);
  run.provenance.started_at = "2026-11-28T06:17:07Z";
  const std::vector<ParsedSample> started =
      OpenMetricsReader(OpenMetricsText(run)).SamplesNamed(name);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].value, 1795846627);  // date -u -d 2026-11-28T06:17:07Z +%s
  run.provenance.started_at = "2026-02-30T06:17:07Z";
  EXPECT_EQ(OpenMetricsText(run).find(name), std::string::npos);
}

TEST(OpenMetricsTest, RunInfoNamesTheShardOrHowManyShardsAreMerged) {
  ResultRecord run = testing::MadeUpRun(2, {.index = 2, .count = 3});
  const auto shards = [&] {
    return OpenMetricsReader(OpenMetricsText(run))
        .SamplesNamed("crashdrill_run_info")
        .at(0)
        .Label("shards");
  };
  EXPECT_EQ(shards(), "2/3");
  run.provenance.shard = {};
  EXPECT_EQ(shards(), "1");
  run.provenance.shard_wall_seconds = {1.0, 2.0, 3.0};
  EXPECT_EQ(shards(), "3");
}

// The reader above is the test's oracle: each text breaks one rule and must be refused.
TEST(OpenMetricsTest, TheReaderRefusesTextsAScraperWouldRefuse) {
  const std::string type = "# TYPE a gauge";
  const std::map<std::string, std::string> broken = {
      {"no EOF", Joined({type, "a 1"})},
      {"text after EOF", Joined({type, "a 1", "# EOF", "a 2"})},
      {"sample before TYPE", Joined({"a 1", type, "# EOF"})},
      {"no TYPE", Joined({"a 1", "# EOF"})},
      {"two TYPE lines", Joined({type, type, "a 1", "# EOF"})},
      {"interleaved", Joined({type, "a 1", "# TYPE b gauge", "b 1", "a 2", "# EOF"})},
      {"metric name", Joined({"# TYPE 1a gauge", "1a 1", "# EOF"})},
      {"label name", Joined({type, "a{x-y=\"1\"} 1", "# EOF"})},
      {"raw quote", Joined({type, "a{s=\"x\"y\"} 1", "# EOF"})},
      {"raw backslash", Joined({type, "a{s=\"x\\y\"} 1", "# EOF"})},
      {"unterminated", Joined({type, "a{s=\"x} 1", "# EOF"})},
      {"value", Joined({type, "a 1,5", "# EOF"})},
      {"same series", Joined({type, "a{s=\"x\"} 1", "a{s=\"x\"} 2", "# EOF"})},
      {"unit", Joined({type, "# UNIT a seconds", "a 1", "# EOF"})},
      {"summary without quantile",
       Joined({"# TYPE a summary", "a 1", "a_count 1", "a_sum 1", "# EOF"})},
      {"quote in HELP", Joined({"# HELP a the \"a\"", type, "a 1", "# EOF"})},
  };
  for (const auto& [rule, text] : broken) {
    EXPECT_FALSE(OpenMetricsReader(text).errors().empty()) << rule << ":\n" << text;
  }
  const std::string escapes = "a{s=\"x\\\"\\\\\\n\"} 1.5e-3";  // a{s="x\"\\\n"}
  const OpenMetricsReader reader(Joined({"# HELP a an a", type, escapes, "# EOF"}));
  EXPECT_EQ(reader.errors(), std::vector<std::string>{});
  ASSERT_EQ(reader.samples().size(), 1u);
  EXPECT_EQ(reader.samples()[0].Label("s"), "x\"\\\n");
}

}  // namespace
}  // namespace crashdrill::reports
