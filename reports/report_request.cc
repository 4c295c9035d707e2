#include "reports/report_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "reports/history.h"
#include "reports/html_report.h"
#include "reports/openmetrics.h"
#include "reports/result_files.h"
#include "reports/result_merge.h"
#include "reports/result_writers.h"

namespace crashdrill::reports {
namespace {

ReportOutcome Refused(std::string message) {
  return {.kind = ReportOutcome::Kind::kRefused, .message = std::move(message)};
}

// The report writers, with the path each is asked for.
struct Writer {
  const std::string& path;
  std::function<std::string(const History&)> write;
};

std::vector<Writer> WritersOf(const ReportRequest& request) {
  return {{request.html_path, HtmlReport},
          {request.markdown_path, MarkdownSummary},
          {request.junit_path, [](const History& h) { return JunitXml(h.night()); }},
          {request.metrics_path, [](const History& h) { return OpenMetricsText(h.night()); }}};
}

Checked<std::vector<ShardResult>> ReadAll(const std::vector<std::string>& paths) {
  std::vector<ShardResult> results;
  for (const std::string& path : paths) {
    Checked<ResultRecord> result = ReadResultFile(path);
    if (!result.ok()) return Refusal{result.error()};
    results.push_back({path, std::move(result).value()});
  }
  return results;
}

// The same run given twice (a result passed on the command line that is also
// in the history directory).
bool SameRun(const Night& a, const Night& b) {
  const Provenance& p = a.result.provenance;
  const Provenance& q = b.result.provenance;
  return p.commit == q.commit && p.seed == q.seed && p.shard == q.shard &&
         p.configuration == q.configuration && p.started_at == q.started_at &&
         p.wall_seconds == q.wall_seconds;
}

// The nights of the request, oldest first, and the one reported on.
Checked<History> HistoryOfRequest(const ReportRequest& request) {
  Checked<std::vector<ShardResult>> given = ReadAll(request.results);
  if (!given.ok()) return Refusal{given.error()};
  std::vector<Night> nights;
  if (!request.merge_path.empty()) {  // the results are one run's shards: one night
    Checked<ResultRecord> merged = MergeShards(std::move(given).value());
    if (!merged.ok()) return Refusal{merged.error()};
    nights.push_back({.label = NightLabel(*merged, request.results.front()),
                      .paths = request.results,
                      .result = std::move(merged).value()});
  } else {
    Checked<std::vector<Night>> grouped = NightsOf(std::move(given).value());
    if (!grouped.ok()) return Refusal{grouped.error()};
    nights = std::move(grouped).value();
  }
  Night current = std::move(nights.back());  // the newest night given
  nights.pop_back();
  if (!request.history_dir.empty()) {
    Checked<std::vector<std::string>> files = ResultFilesIn(request.history_dir);
    if (!files.ok()) return Refusal{files.error()};
    Checked<std::vector<ShardResult>> earlier = ReadAll(*files);
    if (!earlier.ok()) return Refusal{earlier.error()};
    Checked<std::vector<Night>> grouped = NightsOf(std::move(earlier).value());
    if (!grouped.ok()) return Refusal{grouped.error()};
    for (Night& night : std::move(grouped).value()) nights.push_back(std::move(night));
  }
  // Each run once: the night reported on, and the first of any other run given twice.
  std::vector<Night> others;
  for (Night& night : nights) {
    const auto same = [&](const Night& other) { return SameRun(night, other); };
    if (!same(current) && std::none_of(others.begin(), others.end(), same)) {
      others.push_back(std::move(night));
    }
  }
  std::stable_sort(others.begin(), others.end(), NightBefore);
  const auto at = std::upper_bound(others.begin(), others.end(), current, NightBefore);
  const size_t index = static_cast<size_t>(at - others.begin());
  others.insert(at, std::move(current));
  return HistoryOf(std::move(others), index);
}

// Signs off the drill in the one result given and rewrites its file.
ReportOutcome SignOffResult(const ReportRequest& request) {
  if (request.results.size() != 1 || !request.merge_path.empty()) {
    return Refused(fmt::format("--sign-off signs the drill of one result file; {} given{}",
                               request.results.size(),
                               request.merge_path.empty() ? "" : " with --merge"));
  }
  const std::string& path = request.results.front();
  Checked<ResultRecord> result = ReadResultFile(path);
  if (!result.ok()) return Refused(result.error());
  if (!result->drill) {
    return Refused(fmt::format("{}: no field 'drill': only a drill's result is signed off", path));
  }
  if (auto why = SignOff(&*result.value().drill, request.sign_off_name, request.now_utc,
                         request.sign_off_failed)) {
    return Refused(fmt::format("{}: cannot sign off: {}", path, *why));
  }
  if (auto why = WriteFileAtomically(path, ResultFileText(ToJson(*result)))) {
    return {.kind = ReportOutcome::Kind::kWriteFailed, .message = *why};
  }
  return {.written = {path}};
}

}  // namespace

ReportOutcome MakeReports(const ReportRequest& request) {
  if (request.results.empty()) return Refused("no RESULT.json given");
  bool any_report = !request.merge_path.empty();
  for (const Writer& writer : WritersOf(request)) any_report |= !writer.path.empty();
  if (!any_report && request.sign_off_name.empty()) {
    return Refused(
        "no report asked for (--html F, --md F, --junit F, --metrics F, --merge F, --sign-off "
        "NAME)");
  }
  std::vector<std::string> signed_off;
  if (!request.sign_off_name.empty()) {
    ReportOutcome signing = SignOffResult(request);
    if (signing.kind != ReportOutcome::Kind::kDone || !any_report) return signing;
    signed_off = std::move(signing.written);
  }
  const Checked<History> history = HistoryOfRequest(request);
  if (!history.ok()) return Refused(history.error());

  ReportOutcome outcome{.written = std::move(signed_off),
                        .night = history->nights[history->current].label,
                        .nights = history->nights.size()};
  std::vector<std::pair<std::string, std::string>> files;
  if (!request.merge_path.empty()) {
    files.emplace_back(request.merge_path, ResultFileText(ToJson(history->night())));
  }
  for (const Writer& writer : WritersOf(request)) {
    if (!writer.path.empty()) files.emplace_back(writer.path, writer.write(*history));
  }
  for (const auto& [path, text] : files) {
    if (auto why = WriteFileAtomically(path, text)) {
      outcome.kind = ReportOutcome::Kind::kWriteFailed;
      outcome.message = *why;
      return outcome;
    }
    outcome.written.push_back(path);
  }
  return outcome;
}

std::vector<std::pair<std::string, std::string>> ReportsOfOneRun(const std::string& result_path,
                                                                 const ResultRecord& result) {
  const History history = HistoryOf(
      {{.label = NightLabel(result, result_path), .paths = {result_path}, .result = result}}, 0);
  return {{"report.html", HtmlReport(history)},
          {"summary.md", MarkdownSummary(history)},
          {"junit.xml", JunitXml(result)},
          {"metrics.prom", OpenMetricsText(result)}};
}

}  // namespace crashdrill::reports
