// `crashdrill report RESULT.json... [--merge OUT.json] [--md F] [--junit F]`
// (DESIGN §9-10): the command line of reports::MakeReports, which does the
// work. --html, --metrics and --history come with their writers.
// Exit: 0 written, 2 usage or an input refused (the message names the file
// and the field), 3 a report could not be written.
#include <cstdio>
#include <memory>

#include "reports/report_request.h"
#include "scenarios/cli/commands.h"

namespace crashdrill::scenarios {
namespace {

int RunReport(const reports::ReportRequest& request) {
  const reports::ReportOutcome outcome = reports::MakeReports(request);
  switch (outcome.kind) {
    case reports::ReportOutcome::Kind::kDone:
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
  auto* command = app.add_subcommand("report", "reports from chaos results; merges shard results");
  auto request = std::make_shared<reports::ReportRequest>();
  command->add_option("RESULT.json", request->results, "crashdrill.result/1 files")->required();
  command->add_option("--merge", request->merge_path,
                      "OUT.json: the shards of one run (crashdrill chaos --shard I/N), merged "
                      "into the whole run's result");
  command->add_option("--md", request->markdown_path, "a Markdown summary");
  command->add_option("--junit", request->junit_path, "JUnit XML (a testcase per property)");
  command->callback([&registry, request] { registry.Select([=] { return RunReport(*request); }); });
}

}  // namespace crashdrill::scenarios
