#include "system/state/state_undo.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "system/state/codec.h"
#include "tests/support/next_update_generator.h"

namespace crashdrill::system {
namespace {

// A valid engine state, sometimes with recent_fills full, so that applying a
// fill pushes the oldest one out.
rc::Gen<EngineState> GenBase() {
  return rc::gen::exec([] {
    EngineState state = *testing::GenValidEngineState();
    TradingState& t = state.trading;
    if (*rc::gen::arbitrary<bool>()) {
      Seq exchange_seq = t.recent_fills.empty() ? 0 : t.recent_fills.back().exchange_seq;
      while (t.recent_fills.size() < TradingState::kRecentFillsMax) {
        Fill fill = t.recent_fills.empty() ? Fill{} : t.recent_fills.back();
        fill.exchange_seq = ++exchange_seq;
        t.recent_fills.push_back(fill);
      }
      t.last_exchange_seq = std::max(t.last_exchange_seq, exchange_seq);
    }
    return state;
  });
}

// An update that usually fits `base` (and every kind that rarely does).
rc::Gen<StateUpdate> GenUpdateFor(const EngineState& base) {
  return rc::gen::oneOf(testing::GenNextUpdateOwning(base, 1'000), testing::GenAnyUpdate(),
                        rc::gen::map(testing::GenStrategyState("trend-2"),
                                     [](StrategyState s) -> StateUpdate {
                                       return StrategyUpdated{std::move(s)};
                                     }));
}

Seq SeqFor(const EngineState& state, const StateUpdate& update) {
  return IsCritical(update) ? state.state_seq() + 1 : state.state_seq();
}

RC_GTEST_PROP(StateUndoProperty, RestoreAfterAnAppliedUpdateGivesBackTheStateByteForByte, ()) {
  const EngineState base = *GenBase();
  const StateUpdate update = *GenUpdateFor(base);
  EngineState state = base;
  const StateUndo undo = StateUndo::Before(state, update);
  TradingChanges changes;
  const bool applied = ApplyStateUpdate(state, update, SeqFor(state, update), 77, &changes).ok();
  RC_PRE(applied);  // a refused update changed nothing (state_update_test checks that)
  RC_ASSERT(undo.Covers(changes));
  undo.Restore(state);
  RC_ASSERT(state == base);
  RC_ASSERT(EncodeEngineState(state) == EncodeEngineState(base));
  RC_TAG(std::string(RecordTypeName(TypeOf(update))));
  RC_CLASSIFY(base.trading.recent_fills.size() == TradingState::kRecentFillsMax,
              "recent fills full");
}

// The other side of Covers(): an entry changed that the record did not save.
TEST(StateUndoTest, ChangesOfAnotherUpdateAreNotCovered) {
  EngineState state;
  const StateUndo undo = StateUndo::Before(state, PositionSet{{"ESZ6", 1, 100, 0}});
  TradingChanges changes;
  changes.symbols.insert("ESZ6");
  EXPECT_TRUE(undo.Covers(changes));
  changes.balances.insert("SIMX/USD");
  EXPECT_FALSE(undo.Covers(changes));
  changes.balances.clear();
  changes.fills_appended = 1;
  EXPECT_FALSE(undo.Covers(changes));
}

}  // namespace
}  // namespace crashdrill::system
