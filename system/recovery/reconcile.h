// Reconciliation with the venue (DESIGN §5 steps 5-6), after local recovery
// and with the engine open on the recovered state:
//   1. the account's reports since the last exchange_seq the state holds are
//      applied exactly once (fills, acks, rejects, cancels while it was down);
//   2. pending orders (intent logged, no report) are resolved by client order
//      id: adopted when the venue has them, marked never sent otherwise, and
//      never sent again;
//   3. positions, balances and open orders are compared with the venue's, at
//      a point where no report came in between the queries, and every
//      difference is adopted from the venue (a critical update, so logged) and
//      listed in the report;
//   4. market data (recoverable state) is rebuilt from the venue's books.
// With nothing valid locally this is the rebuild from the venue: everything
// the venue knows is adopted, the rest is said in the report's notes.
// Running it again converges: a second pass finds nothing to adopt.
#pragma once

#include "system/engine/engine.h"
#include "system/recovery/recovery_report.h"

namespace crashdrill::system {

struct ReconcileOptions {
  size_t page = 1024;   // reports per query
  int rounds_max = 16;  // comparisons retried while reports keep arriving
};

// Fills report.reconciled / discrepancies / counts / phases.reconcile_ns.
// kUnavailable when the venue cannot be reached (the caller retries; the
// engine must not trade before this returns OK).
Status Reconcile(Engine& engine, Clock& clock, RecoveryReport& report,
                 const ReconcileOptions& options = {});

}  // namespace crashdrill::system
