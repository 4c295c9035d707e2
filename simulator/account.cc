#include "simulator/account.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace crashdrill::simulator {
namespace {

// value * numerator / denominator, truncated toward zero, without overflow in the
// product; 64-bit arithmetic when the product fits (the usual case), else 128-bit.
int64_t MulDiv(int64_t value, int64_t numerator, int64_t denominator) {
  int64_t product = 0;
  if (!__builtin_mul_overflow(value, numerator, &product)) return product / denominator;
  return static_cast<int64_t>(static_cast<__int128>(value) * numerator / denominator);
}

}  // namespace

using system::Lots;
using system::Minor;
using system::Ticks;

void ApplyToPosition(PositionRecord& position, Lots signed_lots, Ticks price_ticks) {
  const Lots held = position.quantity_lots;
  const Lots direction = signed_lots > 0 ? 1 : -1;
  if (held == 0 || (held > 0) == (signed_lots > 0)) {
    position.quantity_lots += signed_lots;
    position.cost_minor += price_ticks * signed_lots;
    return;
  }
  const Lots held_abs = std::llabs(held);
  const Lots closing = std::min<Lots>(std::llabs(signed_lots), held_abs);
  const Minor removed_cost = MulDiv(position.cost_minor, closing, held_abs);
  const Minor held_sign = held > 0 ? 1 : -1;
  position.realized_pnl_minor += held_sign * closing * price_ticks - removed_cost;
  position.cost_minor -= removed_cost;
  position.quantity_lots += direction * closing;
  const Lots opening = std::llabs(signed_lots) - closing;
  if (opening > 0) {
    position.quantity_lots += direction * opening;
    position.cost_minor += direction * opening * price_ticks;
  }
}

Minor FeeFor(Minor notional_minor, int64_t rate_per_million) {
  // Usual case first: the product and the rounding fit in 64 bits, and a 64-bit
  // division by a constant is a multiply (a 128-bit one is a library call).
  // Same result as the 128-bit path below, which takes the rest.
  int64_t product64 = 0;
  if (!__builtin_mul_overflow(notional_minor, rate_per_million, &product64) &&
      product64 <= INT64_MAX - 999'999) {
    if (product64 >= 0) return (product64 + 999'999) / 1'000'000;
    return product64 / 1'000'000;  // truncates toward zero
  }
  const __int128 product = static_cast<__int128>(notional_minor) * rate_per_million;
  if (product >= 0) return static_cast<Minor>((product + 999'999) / 1'000'000);
  return static_cast<Minor>(product / 1'000'000);  // truncates toward zero
}

}  // namespace crashdrill::simulator
