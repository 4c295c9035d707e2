// The HTML report (DESIGN §10): one self-contained file for the people who
// get the nightly result and the monthly drill. It shows the verdict and the
// run's provenance, RTO and RPO distributions per scenario against their
// targets, where recoveries came from, time per recovery phase, which faults
// fired, every violation with its replay line, and, over several nights, the
// trend with the nights that got worse marked.
//
// Offline by construction: the charts are inline SVG drawn by svg_chart.h
// (no chart library, no script needed to see them), the styles are inline,
// and a Content-Security-Policy forbids every request the page could make.
// The one script only adds copy buttons and opens the data tables for print.
#pragma once

#include <string>

#include "reports/history.h"

namespace crashdrill::reports {

// A drill's result (one with a drill record) gets the drill report instead:
// the checklist of every step, an RTO bar per step against its target, each
// step's actions and checks with their evidence, the command that runs each
// failed step again, and the sign-off as a printable form.
std::string HtmlReport(const History& history);

}  // namespace crashdrill::reports
