// What `crashdrill report` does (DESIGN §9-10): results in, reports out.
// Today: --merge OUT.json (shard results into the whole run's result),
// --md F and --junit F. Each report is one entry of a table of writers, so
// --html, --metrics and --history are one entry each when they come.
#pragma once

#include <string>
#include <vector>

namespace crashdrill::reports {

struct ReportRequest {
  std::vector<std::string> results;  // RESULT.json files, in the order given
  std::string merge_path;            // --merge: write the merged result here
  std::string markdown_path;         // --md
  std::string junit_path;            // --junit
};

struct ReportOutcome {
  enum class Kind {
    kDone,
    kRefused,      // a usage error or an input that is not what it must be (exit 2)
    kWriteFailed,  // a report could not be written (exit 3)
  };
  Kind kind = Kind::kDone;
  std::string message;               // why, when not done: names the file and the field
  std::vector<std::string> written;  // the paths written, in order
};

// Reads the results, merges them when asked (several results need --merge),
// and writes every report asked for, each atomically. Nothing is written when
// an input is refused.
ReportOutcome MakeReports(const ReportRequest& request);

}  // namespace crashdrill::reports
