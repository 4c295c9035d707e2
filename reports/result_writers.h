// Writers derived from a chaos result (crashdrill.result/1, DESIGN §9-10): a
// short Markdown summary (what a CI job posts to a pull request or a chat)
// and JUnit XML (a testsuite per scenario, a testcase per property; a failure
// carries its replay lines). Both read a result that ResultFromJson accepted.
#pragma once

#include <string>

#include "reports/history.h"
#include "reports/result_model.h"

namespace crashdrill::reports {

// The night's verdict, a line per scenario and every violation with its
// replay line; with more than one night, the nights that got worse.
std::string MarkdownSummary(const History& history);

std::string JunitXml(const ResultRecord& result);

}  // namespace crashdrill::reports
