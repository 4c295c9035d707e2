// The night's result as OpenMetrics text (the format Prometheus scrapes and
// node_exporter's textfile collector reads), for the dashboards and alerts a
// team already has: RTO/RPO per scenario against their targets, and counts of
// cases, crashes and violations. Reads the result record only; writes nothing.
#pragma once

#include <string>

#include "reports/result_model.h"

namespace crashdrill::reports {

// The night's result in the OpenMetrics text format (what node_exporter's
// textfile collector and Prometheus read), ending with "# EOF\n".
//
// Every family is written once, its samples together, with # HELP and # TYPE
// (and # UNIT for *_seconds); times are in seconds (the result's
// milliseconds / 1000). Families and samples come in a fixed order (scenarios
// as in `result`, map keys sorted), so the same result gives the same text.
// crashdrill_violations has a sample for every property P1..P9 of every
// scenario, 0 when it held, so an alert can match "> 0". A quantile of a
// scenario without samples is NaN (as Prometheus clients write it), not 0.
// crashdrill_run_start_timestamp_seconds is left out when
// provenance.started_at is empty or not "YYYY-MM-DDTHH:MM:SSZ".
// REQUIRES: every Samples::values_ms is sorted (as in result_model.h).
std::string OpenMetricsText(const ResultRecord& result);

}  // namespace crashdrill::reports
