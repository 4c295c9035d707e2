// What `crashdrill report` does (DESIGN §9-10): results in, reports out.
// The results given are read and grouped into nights (the shards of one run
// are merged); --history DIR adds every result in DIR as earlier nights. The
// night reported on is the newest of those given. Each report is one entry of
// a table of writers and is written atomically.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "reports/result_model.h"

namespace crashdrill::reports {

struct ReportRequest {
  std::vector<std::string> results;  // RESULT.json files, in the order given
  std::string merge_path;            // --merge: the results are one run's shards; write it here
  std::string html_path;             // --html
  std::string markdown_path;         // --md
  std::string junit_path;            // --junit
  std::string metrics_path;          // --metrics: OpenMetrics text
  std::string history_dir;           // --history: earlier nights' results
  // --sign-off NAME: sign off the drill in the one result given (SignOff in
  // drill_record.h) and rewrite that file atomically, before any report is
  // written from it. --sign-off-failed: sign a drill whose steps did not all pass.
  std::string sign_off_name;
  bool sign_off_failed = false;
  std::string now_utc;  // RFC 3339 UTC: when the sign-off happens (the caller's clock)
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
  std::string night;                 // the label of the night reported on
  size_t nights = 0;                 // how many nights the history held
};

// Reads the results, merges what belongs together, and writes every report
// asked for, each atomically. Nothing is written when an input is refused
// (a sign-off that is refused included).
ReportOutcome MakeReports(const ReportRequest& request);

// Every report of one night with no history (what `crashdrill chaos --out`
// writes beside result.json): file name -> text.
std::vector<std::pair<std::string, std::string>> ReportsOfOneRun(const std::string& result_path,
                                                                 const ResultRecord& result);

}  // namespace crashdrill::reports
