// The recovery report as JSON for tools (`crashdrill recover --json`, the sim
// runner's traces) and as text for an operator (`inspect`, `recover`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "system/recovery/recovery_report.h"

namespace crashdrill::scenarios {

nlohmann::json RecoveryReportJson(const system::RecoveryReport& report);

// Every copy, its verdict, the log, the base and the notes; one line each.
std::string RecoveryReportText(const system::RecoveryReport& report);

// "2026-11-27T21:05:00.123Z" for a wall-clock label (ns since the epoch).
std::string WallLabel(system::TimeNs wall_ns);

}  // namespace crashdrill::scenarios
