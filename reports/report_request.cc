#include "reports/report_request.h"

#include <fmt/format.h>

#include <functional>

#include "reports/result_files.h"
#include "reports/result_merge.h"
#include "reports/result_writers.h"

namespace crashdrill::reports {
namespace {

using nlohmann::json;

ReportOutcome Refused(std::string message) {
  return {.kind = ReportOutcome::Kind::kRefused, .message = std::move(message)};
}

// The report writers that derive a file from one result, with the path asked for.
struct Writer {
  const std::string& path;
  std::function<std::string(const json&)> write;
};

std::vector<Writer> WritersOf(const ReportRequest& request) {
  return {{request.markdown_path, MarkdownSummary}, {request.junit_path, JunitXml}};
}

// The one result to report on: the merge of every input, or the only input.
Checked<json> ResultToReport(const ReportRequest& request) {
  if (request.merge_path.empty()) {
    Checked<json> result = ReadJsonFile(request.results.front());
    if (!result.ok()) return result;
    if (auto why = CheckResult(*result)) {
      return Refusal{fmt::format("{}: {}", request.results.front(), *why)};
    }
    return result;
  }
  std::vector<ShardResult> shards;
  for (const std::string& path : request.results) {
    Checked<ResultRecord> result = ReadResultFile(path);
    if (!result.ok()) return Refusal{result.error()};
    shards.push_back({path, std::move(result).value()});
  }
  Checked<ResultRecord> merged = MergeShards(std::move(shards));
  if (!merged.ok()) return Refusal{merged.error()};
  return ToJson(*merged);
}

}  // namespace

ReportOutcome MakeReports(const ReportRequest& request) {
  if (request.results.empty()) return Refused("no RESULT.json given");
  if (request.merge_path.empty() && request.results.size() > 1) {
    return Refused(
        fmt::format("{} results given: merge shard results with --merge OUT.json to report on them",
                    request.results.size()));
  }
  bool any_report = !request.merge_path.empty();
  for (const Writer& writer : WritersOf(request)) any_report |= !writer.path.empty();
  if (!any_report) return Refused("no report asked for (--merge OUT.json, --md F, --junit F)");

  const Checked<json> result = ResultToReport(request);
  if (!result.ok()) return Refused(result.error());
  ReportOutcome outcome;
  std::vector<std::pair<std::string, std::string>> files;
  if (!request.merge_path.empty()) files.emplace_back(request.merge_path, ResultFileText(*result));
  for (const Writer& writer : WritersOf(request)) {
    if (!writer.path.empty()) files.emplace_back(writer.path, writer.write(*result));
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

}  // namespace crashdrill::reports
