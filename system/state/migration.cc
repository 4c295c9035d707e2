#include "system/state/migration.h"

#include <chrono>

#include "system/state/codec.h"

namespace crashdrill::system {

uint32_t UtcTradingDay(TimeNs wall_ns) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(wall_ns)));
  const year_month_day date(day);
  return static_cast<uint32_t>(static_cast<int>(date.year()) * 10000 +
                               static_cast<int>(static_cast<unsigned>(date.month())) * 100 +
                               static_cast<int>(static_cast<unsigned>(date.day())));
}

void MigrateTradingStateV1ToV2(TradingState& state) {
  state.trading_day = state.last_update_ns > 0 ? UtcTradingDay(state.last_update_ns) : 0;
}

void MigrateTradingState(TradingState& state, uint16_t from_version) {
  static_assert(kSchemaVersionCurrent == 2, "add the migration to the new version here");
  if (from_version < 2) MigrateTradingStateV1ToV2(state);
}

void MigrateEngineState(EngineState& state, uint16_t from_version) {
  MigrateTradingState(state.trading, from_version);
}

}  // namespace crashdrill::system
