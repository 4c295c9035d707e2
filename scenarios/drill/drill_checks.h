// The drill's checks after each recovery, made by the harness from what it
// knows independently of the engine's files: the acknowledgements the engines
// streamed to it (P2), the exchange's own books queried over its protocol (P1,
// P4). Each returns a reports::DrillCheck: the property, whether it held, and
// its evidence in words an auditor can follow.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "reports/drill_record.h"
#include "scenarios/drill/drill_processes.h"
#include "system/engine/venue.h"

namespace crashdrill::scenarios {

// P2: every acknowledged record is in the recovered directory as it was
// acknowledged (type and order id, by state_seq), and the recovered state_seq
// covers the newest. `lost_since_ns` gets the wall time of the oldest lost
// acknowledgement (0 when none was lost): the critical RPO is measured from it.
reports::DrillCheck CheckNothingAcknowledgedLost(const std::string& state_dir,
                                                 const std::vector<Ack>& acks,
                                                 uint64_t recovered_seq, int64_t* lost_since_ns);

// P1: the directory's recovered state (a read-only recovery pass) agrees with
// the venue exactly: positions, open orders and their fills, balances.
// REQUIRES: the venue holds still (market paused, no engine running).
reports::DrillCheck CheckAgreementWithVenue(const std::string& state_dir, system::Venue& venue);

// P4: the venue refused no client order id as a duplicate, and every order it
// has of the account since `*cursor` is one the engines acknowledged as an
// intent (no orphan). Advances `*cursor` to the newest report checked.
reports::DrillCheck CheckNoDuplicateOrOrphanOrders(system::Venue& venue,
                                                   const std::set<std::string>& intents,
                                                   uint64_t* cursor);

}  // namespace crashdrill::scenarios
