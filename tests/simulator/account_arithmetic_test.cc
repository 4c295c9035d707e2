// FeeFor and ApplyToPosition take a 64-bit path when the products fit and a
// 128-bit one otherwise: both must give exactly what the plain 128-bit formula
// gives, on both sides of the 64-bit boundary.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "simulator/account.h"
#include "simulator/random.h"

namespace crashdrill::simulator {
namespace {

int64_t FeeBy128(int64_t notional_minor, int64_t rate_per_million) {
  const __int128 product = static_cast<__int128>(notional_minor) * rate_per_million;
  if (product >= 0) return static_cast<int64_t>((product + 999'999) / 1'000'000);
  return static_cast<int64_t>(product / 1'000'000);
}

std::vector<int64_t> Notionals() {
  std::vector<int64_t> values = {0,
                                 1,
                                 19'999,
                                 20'000,
                                 999'999,
                                 1'000'000,
                                 1'000'000'000'000'000,  // kMaxPriceTicks * kMaxQuantityLots
                                 INT64_MAX / 250,
                                 INT64_MAX / 250 + 1,
                                 INT64_MAX / 50,
                                 INT64_MAX - 999'999,
                                 INT64_MAX - 999'998,
                                 INT64_MAX - 1'000,
                                 INT64_MAX};
  const size_t fixed = values.size();
  for (size_t i = 0; i < fixed; ++i) {
    values.push_back(values[i] - 1);
    values.push_back(-values[i]);
  }
  Random random(7);
  for (int i = 0; i < 2'000; ++i)
    values.push_back(static_cast<int64_t>(random.Next()) >> random.Below(63));
  return values;
}

TEST(FeeFor, EqualsThe128BitFormulaOnBothSidesOf64Bits) {
  for (int64_t rate : {-1'000'000, -50, -1, 0, 1, 250, 999'999, 1'000'000, 1'000'001}) {
    for (int64_t notional : Notionals()) {
      ASSERT_EQ(FeeFor(notional, rate), FeeBy128(notional, rate))
          << "notional " << notional << " rate " << rate;
    }
  }
}

TEST(ApplyToPosition, ClosingCostEqualsThe128BitFormulaForHugeCosts) {
  for (int64_t cost : {int64_t{1} << 40, int64_t{1} << 50, int64_t{1} << 62}) {
    for (int64_t held : {int64_t{3}, int64_t{1'000}, int64_t{999'983}}) {
      for (int64_t closing = 1; closing < held; closing += held / 3 + 1) {
        PositionRecord position;
        position.quantity_lots = held;
        position.cost_minor = cost;
        ApplyToPosition(position, -closing, 7);
        const int64_t removed = static_cast<int64_t>(static_cast<__int128>(cost) * closing / held);
        EXPECT_EQ(position.cost_minor, cost - removed) << cost << " " << held << " " << closing;
        EXPECT_EQ(position.realized_pnl_minor, closing * 7 - removed);
      }
    }
  }
}

}  // namespace
}  // namespace crashdrill::simulator
