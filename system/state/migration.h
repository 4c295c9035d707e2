// Explicit, tested migrations between schema versions of persisted state.
// Each one takes a state decoded at version N (fields added later hold their
// defaults) and fills what version N+1 added. Migrations never fail: a field
// they cannot derive gets a documented default.
#pragma once

#include <cstdint>

#include "system/state/engine_state.h"

namespace crashdrill::system {

// v1 -> v2: TradingState::trading_day (YYYYMMDD) is the UTC date of
// last_update_ns, or 0 when the state was never updated.
void MigrateTradingStateV1ToV2(TradingState& state);

// Applies every migration from `from_version` up to the current version.
void MigrateTradingState(TradingState& state, uint16_t from_version);
void MigrateEngineState(EngineState& state, uint16_t from_version);

// UTC date of a wall-clock time as YYYYMMDD.
uint32_t UtcTradingDay(TimeNs wall_ns);

}  // namespace crashdrill::system
