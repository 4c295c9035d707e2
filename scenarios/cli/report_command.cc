// `crashdrill report RESULT.json... [--html F] [--md F] [--junit F]
// [--metrics F] [--history DIR] [--merge OUT.json]` (DESIGN §9-10): the
// command line of reports::MakeReports, which does the work.
// Exit: 0 written, 2 usage or an input refused (the message names the file
// and the field), 3 a report could not be written.
#include <cstdio>
#include <memory>
#include <string>

#include "reports/report_request.h"
#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {
namespace {

int RunReport(const reports::ReportRequest& request) {
  const reports::ReportOutcome outcome = reports::MakeReports(request);
  switch (outcome.kind) {
    case reports::ReportOutcome::Kind::kDone:
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
  command->callback([&registry, request] { registry.Select([=] { return RunReport(*request); }); });
}

}  // namespace crashdrill::scenarios
