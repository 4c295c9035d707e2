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

// The id spaces of an engine's client order ids ("cd1-7": space 0,
// "cd1.3-7": space 3) that the venue's reports show.
struct IdSpaces {
  uint64_t highest = 0;   // the highest space seen
  bool own_seen = false;  // the venue has reports of this engine's orders
  bool complete = true;   // false: the venue no longer keeps its oldest reports
};
uint64_t IdSpaceOf(std::string_view base_instance_id, std::string_view client_order_id);
// kUnavailable when the venue cannot be reached.
Result<IdSpaces> ScanIdSpaces(Venue& venue, std::string_view base_instance_id, size_t page);
// The space new ids take when history may be lost: above `current` and every
// space the venue shows. When the venue no longer keeps its oldest reports,
// a space it forgot may be higher than any it shows (it still refuses those
// ids): then at least the wall clock in milliseconds, above every space an
// earlier start chose that way unless the wall clock went back since.
uint64_t NextIdSpace(const IdSpaces& seen, uint64_t current, int64_t wall_ns);

// Fills report.reconciled / discrepancies / counts / phases.reconcile_ns.
// kUnavailable when the venue cannot be reached (the caller retries; the
// engine must not trade before this returns OK).
Status Reconcile(Engine& engine, Clock& clock, RecoveryReport& report,
                 const ReconcileOptions& options = {});

}  // namespace crashdrill::system
