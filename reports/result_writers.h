// Writers derived from a chaos result (crashdrill.result/1, DESIGN §9-10): a
// short Markdown summary (what a CI job posts to a pull request or a chat)
// and JUnit XML (a testsuite per scenario, a testcase per property; a failure
// carries its replay lines). Both read a result that ResultFromJson accepted.
// A drill's result (one with a drill record) gets the drill's own: the
// checklist an auditor reads and signs, and a testcase per step.
#pragma once

#include <string>

#include "reports/history.h"
#include "reports/result_model.h"

namespace crashdrill::reports {

// The night's verdict, a line per scenario and every violation with its
// replay line; with more than one night, the nights that got worse.
// A drill's result: DrillMarkdown of it (the history is not shown).
std::string MarkdownSummary(const History& history);

// A drill's result: DrillJunitXml of it.
std::string JunitXml(const ResultRecord& result);

// The drill report: plan, state directory, venue and verdict; a table of
// every step (verdict, start, fault, source of recovery, RTO against its
// target, critical RPO, each property checked); the command that runs each
// failed step again; per step the operator's checklist as performed and the
// checks with their evidence; and the sign-off block (operator, signature,
// date), filled with the sign-off when there is one.
// REQUIRES: result.drill.
std::string DrillMarkdown(const ResultRecord& result);

// A testsuite for the drill, a testcase per step (time: its RTO in seconds);
// a failed step's failure carries the evidence of every check that did not
// hold, every action that was not ok, and the command that runs it again.
// REQUIRES: result.drill.
std::string DrillJunitXml(const ResultRecord& result);

}  // namespace crashdrill::reports
