// What every WAL record payload must satisfy (system/state/state_update.h),
// replayed the way recovery replays the WAL over a base state:
// - DecodeStateUpdate, for any record type byte and any payload, returns an
//   update of that type or a corruption status; an update it returns encodes
//   to the same bytes (to as many bytes when it holds a map, whose entries
//   come back in key order) and decodes to the same update;
// - ApplyStateUpdate of a decoded update never crashes (UBSan included) and
//   either applies, stamping state_seq and time, or refuses — with
//   kFailedPrecondition (the update does not fit the state) or
//   kInvalidArgument (an amount would overflow int64) — leaving the state
//   exactly as it was and naming no change;
// - the changes it names are enough for the L1 image: a TradingImage kept up
//   to date with Refresh(changes) still decodes to the trading state.
//
// Input: byte 0 picks the base state (even: the golden state of
// tests/system/state/golden_state.h, odd: the empty state); then records,
// each a type byte, a u16 payload length and the payload. A type byte with
// bit 7 set is used as it is (unknown types included); otherwise it names
// type 1 + byte % 12.
#pragma once

#include <fmt/format.h>

#include <string>

#include "system/state/codec.h"
#include "system/state/state_update.h"
#include "system/state/trading_image.h"
#include "system/state/validation.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::testing {

// One record of the input (for the seed corpus).
inline void AppendStateUpdateRecord(Bytes& input, system::RecordType type,
                                    std::string_view payload) {
  input.push_back(std::byte(static_cast<uint8_t>(type) - 1));
  input.push_back(std::byte(payload.size() & 0xff));
  input.push_back(std::byte((payload.size() >> 8) & 0xff));
  const system::ByteSpan bytes = system::AsBytes(payload);
  input.insert(input.end(), bytes.begin(), bytes.end());
}

inline system::RecordType FuzzedRecordType(uint8_t selector) {
  if ((selector & 0x80) != 0) return static_cast<system::RecordType>(selector & 0x7f);
  return static_cast<system::RecordType>(1 + selector % system::kRecordTypeMax);
}

// Empty if decoding `payload` as `type` behaves; `update` is set when it decodes.
inline std::string CheckDecode(system::RecordType type, std::string_view payload,
                               std::optional<system::StateUpdate>& update) {
  using namespace crashdrill::system;
  Result<StateUpdate> decoded = DecodeStateUpdate(type, payload, "fuzz-record");
  if (!decoded.ok()) {
    if (decoded.status().code() != StatusCode::kCorruption) {
      return Describe("decode failed without a corruption status", decoded.status());
    }
    return {};
  }
  const std::string name(RecordTypeName(type));
  if (TypeOf(*decoded) != type) return name + " decoded to an update of another type";
  const std::string again = EncodeStateUpdate(*decoded);
  if (again.size() != payload.size()) {
    return fmt::format("{}: {} payload bytes decode to an update that encodes to {}", name,
                       payload.size(), again.size());
  }
  // Without a map in it an update has one encoding: the bytes must come back.
  const bool has_map = type == RecordType::kConfigChange || type == RecordType::kStrategyUpdate;
  if (!has_map && again != payload) return name + " re-encodes to other bytes";
  Result<StateUpdate> redecoded = DecodeStateUpdate(type, again, "re-encoded");
  if (!redecoded.ok()) return Describe(name + " re-encoding does not decode", redecoded.status());
  if (!(*redecoded == *decoded)) return name + " re-encoding decodes to another update";
  update = std::move(*decoded);
  return {};
}

// Applies `update` as change `seq` and checks what ApplyStateUpdate promises;
// `image` follows the state as L1 keeps it.
inline std::string CheckApply(system::EngineState& state, const system::StateUpdate& update,
                              system::Seq seq, system::TradingImage& image) {
  using namespace crashdrill::system;
  const std::string name(RecordTypeName(TypeOf(update)));
  const EngineState before = state;
  const TimeNs time_ns = 1'763'900'002'000'000'000 + static_cast<TimeNs>(seq);
  TradingChanges changes;
  const Status applied = ApplyStateUpdate(state, update, seq, time_ns, &changes);
  if (!applied.ok()) {
    if (applied.code() != StatusCode::kFailedPrecondition &&
        applied.code() != StatusCode::kInvalidArgument) {
      return Describe(name + " refused neither as not fitting nor as overflowing", applied);
    }
    if (!(state == before)) return name + " was refused but changed the state";
    if (!changes.empty()) return name + " was refused but named changes";
    return {};
  }
  if (state.trading.state_seq != seq || state.trading.last_update_ns != time_ns) {
    return fmt::format("{} applied as seq {} left state_seq {}", name, seq,
                       state.trading.state_seq);
  }
  (void)FindViolations(state, {});  // must not crash on any state replay can reach
  image.Refresh(state.trading, changes);
  if (Status verified = image.Verify(state.trading); !verified.ok()) {
    return Describe(name + " changed entries it did not name (the L1 image went stale)", verified);
  }
  return {};
}

inline std::string CheckStateUpdates(system::ByteSpan input) {
  using namespace crashdrill::system;
  FuzzCursor cursor(input);
  EngineState state = (cursor.U8() & 1) == 0 ? GoldenState() : EngineState{};
  TradingImage image;
  image.Reset(state.trading);
  for (int index = 0; !cursor.empty(); ++index) {
    const RecordType type = FuzzedRecordType(cursor.U8());
    const size_t length = cursor.U8() | size_t{cursor.U8()} << 8;
    const std::string_view payload = AsText(cursor.Take(length));
    std::optional<StateUpdate> update;
    std::string problem = CheckDecode(type, payload, update);
    if (problem.empty() && update) {
      problem = CheckApply(state, *update, state.trading.state_seq + 1, image);
    }
    if (!problem.empty()) return fmt::format("record {}: {}", index, problem);
  }
  return {};
}

}  // namespace crashdrill::testing
