// RunDrill: the monthly recovery drill on real processes and a real state
// directory (DESIGN §7 process mode). It starts the exchange on loopback and,
// for each step of the plan: starts the engine (`crashdrill trade --acks`,
// acknowledgements streamed to the harness), waits for its acknowledgements,
// injects the step's fault from outside (kill -9, libfiu over fiu-ctrl's fifo,
// faketime, the exchange's partition hook, a power loss through crashfs),
// restarts with `crashdrill recover --venue` and times it (RTO, wall time),
// then checks P1, P2, P4, P8 and P9 from what the harness knows independently
// of the engine's files. Each step is the operator's manual recovery checklist,
// performed and measured. Steps run in plan order on one state directory, so
// each recovery starts from what the previous steps left.
#pragma once

#include <functional>
#include <string>

#include "reports/drill_record.h"
#include "reports/result_model.h"
#include "scenarios/drill/drill_plan.h"
#include "system/io/result.h"

namespace crashdrill::scenarios {

struct DrillOptions {
  std::string binary;     // the crashdrill executable the children run
  std::string out_dir;    // logs, fifos, the crashfs mountpoint; must exist
  std::string state_dir;  // the engine's state directory (created when missing)
  size_t only_step = 0;   // 1-based: run that step alone; 0: every step
  std::function<void(const std::string&)> progress;  // a line per action, may be empty
};

struct DrillOutcome {
  reports::DrillRecord drill;
  reports::ScenarioRecord scenario;  // "drill", mode "process": counts, RTO/RPO samples
  bool interrupted = false;
};

// kUnavailable when the harness itself could not run (the exchange did not
// start); property failures are in the outcome, never an error.
system::Result<DrillOutcome> RunDrill(const DrillPlan& plan, const DrillOptions& options);

}  // namespace crashdrill::scenarios
