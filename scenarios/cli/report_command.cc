// `crashdrill report RESULT.json... [--html F] [--md F] [--junit F]
// [--metrics F] [--history DIR] [--merge OUT.json] [--sign-off NAME
// [--sign-off-failed]]` (DESIGN §9-10): the command line of
// reports::MakeReports, which does the work. A sign-off is dated now (UTC,
// the system's wall clock).
// Exit: 0 written, 2 usage or an input refused (the message names the file
// and the field), 3 a report could not be written.
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reports/report_request.h"
#include "reports/result_files.h"
#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {
namespace {

// Now, RFC 3339 UTC ("2026-11-28T09:30:00Z"): when an operator signs off.
std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int RunReport(reports::ReportRequest request) {
  if (!request.sign_off_name.empty()) request.now_utc = NowUtc();
  const reports::ReportOutcome outcome = reports::MakeReports(request);
  switch (outcome.kind) {
    case reports::ReportOutcome::Kind::kDone:
      if (!request.sign_off_name.empty()) {
        std::fprintf(stderr, "report: %s signed off by %s at %s\n", request.results[0].c_str(),
                     request.sign_off_name.c_str(), request.now_utc.c_str());
      }
      if (outcome.night.empty()) return kExitOk;  // only signed off
      std::fprintf(stderr, "report: night %s%s\n", outcome.night.c_str(),
                   outcome.nights > 1
                       ? (", with " + std::to_string(outcome.nights - 1) + " other nights").c_str()
                       : "");
      for (const std::string& path : outcome.written)
        std::fprintf(stderr, "report: %s\n", path.c_str());
      return kExitOk;
    case reports::ReportOutcome::Kind::kRefused:
      std::fprintf(stderr, "crashdrill report: %s\n", outcome.message.c_str());
      return kExitUsage;
    case reports::ReportOutcome::Kind::kWriteFailed:
      std::fprintf(stderr, "crashdrill report: cannot write %s\n", outcome.message.c_str());
      return kExitHarnessFailed;
  }
  return kExitHarnessFailed;
}

}  // namespace

void RegisterReportCommand(CLI::App& app, CommandRegistry& registry) {
  auto* command = app.add_subcommand(
      "report", "reports from chaos results: HTML, Markdown, JUnit, OpenMetrics; trends");
  auto request = std::make_shared<reports::ReportRequest>();
  command
      ->add_option("RESULT.json", request->results,
                   "crashdrill.result/1 files: shards of one run are merged, other runs are "
                   "earlier nights; the newest is reported on")
      ->required();
  command->add_option("--html", request->html_path,
                      "one self-contained HTML file with charts (works offline)");
  command->add_option("--md", request->markdown_path, "a Markdown summary");
  command->add_option("--junit", request->junit_path, "JUnit XML (a testcase per property)");
  command->add_option("--metrics", request->metrics_path,
                      "OpenMetrics text (node_exporter's textfile collector)");
  command->add_option("--history", request->history_dir,
                      "DIR of earlier nights' results (*.json): the trend and what got worse");
  command->add_option("--merge", request->merge_path,
                      "OUT.json: the results are the shards of one run (crashdrill chaos --shard "
                      "I/N); write the whole run's result");
  command->add_option("--sign-off", request->sign_off_name,
                      "NAME: sign off the drill in the one RESULT.json given (operator name and "
                      "the time now, UTC) and rewrite it; refused for a drill with a failed step");
  command->add_flag("--sign-off-failed", request->sign_off_failed,
                    "with --sign-off: sign a drill whose steps did not all pass (the report says "
                    "so)");
  command->callback([&registry, request] { registry.Select([=] { return RunReport(*request); }); });
}

int WriteResultAndReports(const std::string& command, const std::string& out_dir,
                          const nlohmann::json& result) {
  const reports::Checked<reports::ResultRecord> record = reports::ResultFromJson(result);
  if (!record.ok()) {
    std::fprintf(stderr, "crashdrill %s: the result does not read back: %s\n", command.c_str(),
                 record.error().c_str());
    return kExitHarnessFailed;
  }
  const std::string result_path = out_dir + "/result.json";
  std::vector<std::pair<std::string, std::string>> files = {
      {result_path, reports::ResultFileText(result)}};
  for (auto& [name, text] : reports::ReportsOfOneRun(result_path, *record)) {
    files.emplace_back(out_dir + "/" + name, std::move(text));
  }
  for (const auto& [path, text] : files) {
    if (auto why = reports::WriteFileAtomically(path, text)) {
      std::fprintf(stderr, "crashdrill %s: cannot write %s\n", command.c_str(), why->c_str());
      return kExitHarnessFailed;
    }
  }
  return kExitOk;
}

}  // namespace crashdrill::scenarios
