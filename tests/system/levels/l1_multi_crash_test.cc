// L1 over two crashes on one disk: crash anywhere in a first life, reopen,
// write states the first life never wrote, crash anywhere again. After the
// second crash every valid slot holds exactly a state some life wrote there,
// the newest is at least the newest state a life was promised would survive
// (every acknowledged write across a process crash; across a power loss only
// with sync_each_write), a first-life state newer than what the second life
// adopted never comes back, and the L1 reopens and accepts writes — the
// engine must be able to restart whatever the crashes left.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "system/levels/mmap_checkpoint.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;
using testing::CrashPoints;

constexpr char kPath[] = "/state/l1";
constexpr char kOtherPath[] = "/state/other";
constexpr size_t kSlotBytes = 16 << 10;
constexpr Seq kWritesPerLife = 6;

MmapCheckpointOptions L1Options(bool sync_each_write) {
  return {.path = kPath, .slot_bytes = kSlotBytes, .sync_each_write = sync_each_write};
}

Order LifeOrder(faults::Rng& rng, const std::string& id, bool acknowledged) {
  static const std::array<const char*, 4> kSymbols = {"ESZ6", "NQZ6", "CLF7", "BTC-PERP"};
  Order order;
  order.client_order_id = id;
  order.exchange_order_id = acknowledged ? 1 + faults::Below(rng, 1'000'000) : 0;
  order.symbol = kSymbols[faults::Below(rng, kSymbols.size())];
  order.venue = faults::Chance(rng, 1, 2) ? "SIMX" : "SIMY";
  order.strategy_id = faults::Chance(rng, 1, 2) ? "mm-1" : "trend-2";
  order.side = faults::Chance(rng, 1, 2) ? Side::kBuy : Side::kSell;
  order.price_ticks = 1 + static_cast<Ticks>(faults::Below(rng, 1'000'000));
  order.quantity_lots = 1 + static_cast<Lots>(faults::Below(rng, 10'000));
  order.filled_lots = acknowledged ? static_cast<Lots>(faults::Below(rng, order.quantity_lots)) : 0;
  order.created_ns = 1'763'900'000'000'000'000 + static_cast<TimeNs>(faults::Below(rng, 1u << 30));
  order.updated_ns = order.created_ns + static_cast<TimeNs>(faults::Below(rng, 1u << 20));
  return order;
}

// The state `life` writes at `seq`, drawn from (life, seq) alone so every
// case of a sweep replays it. Sizes swing from a few hundred bytes to most of
// a slot between consecutive seqs (a write then spans several sectors and can
// tear), and the two lives' states at one seq differ, so a stale or torn slot
// never passes for the state that replaced it.
TradingState LifeState(int life, Seq seq) {
  faults::Rng rng(faults::Mix64(seq * 4 + static_cast<uint64_t>(life)));
  TradingState state;
  state.account_id = "acct-life-" + std::to_string(life);
  state.state_seq = seq;
  static constexpr std::array<size_t, 5> kOpenOrders = {0, 3, 25, 60, 95};
  const size_t open_orders = kOpenOrders[faults::Below(rng, kOpenOrders.size())];
  for (size_t i = 0; i < open_orders; ++i) {
    const std::string id = "o-" + std::to_string(seq) + "-" + std::to_string(i);
    state.open_orders.emplace(id, LifeOrder(rng, id, true));
  }
  for (size_t i = 0, n = faults::Below(rng, 4); i < n; ++i) {
    const std::string id = "p-" + std::to_string(seq) + "-" + std::to_string(i);
    state.pending_orders.emplace(id, LifeOrder(rng, id, false));
  }
  for (const char* symbol : {"ESZ6", "NQZ6", "CLF7"}) {
    if (faults::Chance(rng, 1, 2)) continue;
    Position& position = state.positions[symbol];
    position = {symbol, static_cast<Lots>(faults::Below(rng, 200)) - 100,
                static_cast<Minor>(faults::Below(rng, 1'000'000)), static_cast<Minor>(seq)};
    if (position.quantity_lots != 0) state.risk.exposure_lots[symbol] = position.quantity_lots;
  }
  Seq exchange_seq = seq * 1000;
  for (size_t i = 0, n = faults::Below(rng, 3) == 0 ? 40 : faults::Below(rng, 4); i < n; ++i) {
    exchange_seq += 1 + faults::Below(rng, 5);
    state.recent_fills.push_back({exchange_seq, faults::Below(rng, 1u << 30), "o-1", 7, "ESZ6",
                                  Side::kBuy, 480'000, 1, 2, true, 1'763'900'000'000'000'000});
  }
  state.last_exchange_seq = exchange_seq;
  state.balances[BalanceKey("SIMX", "USD")] = {"SIMX", "USD", 10'000'000, 9'000'000};
  state.realized_pnl_minor = static_cast<Minor>(seq) * 7 + life;
  state.last_update_ns = 1'763'900'000'000'000'000 + static_cast<TimeNs>(seq);
  state.trading_day = 20251123;
  return state;
}

struct Life {
  bool opened = false;
  Status problem;                    // the life could not go on though the disk had not crashed
  Seq adopted = 0;                   // the newest valid state_seq right after Open (0: none)
  L1Found found = L1Found::kNoFile;  // what Open found
  std::vector<TradingState> tried;   // every state handed to Write
  Seq acknowledged = 0;              // the newest state_seq whose Write returned OK
};

bool Tried(const Life& life, const TradingState& state) {
  return std::find(life.tried.begin(), life.tried.end(), state) != life.tried.end();
}

// The state directory, made durable every life as the checkpointer's Open does.
bool EnsureStateDir(SimDisk& disk) { return disk.MakeDir("/state").ok() && disk.SyncDir("/").ok(); }

// A life opens L1 where the previous one left it and writes kWritesPerLife
// states after the newest it found. After each write the engine does its
// other I/O (a write to another file), so crash points fall between L1
// writes too, not only inside Open and inside msyncs.
Life RunLife(SimDisk& disk, int life, bool sync_each_write) {
  Life out;
  if (!EnsureStateDir(disk)) return out;
  MmapCheckpoint l1(disk, L1Options(sync_each_write));
  if (Status opened = l1.Open(); !opened.ok()) {
    if (!disk.halted()) out.problem = opened;
    return out;
  }
  out.opened = true;
  out.found = l1.open_report().found;
  const Result<TradingState> newest = l1.ReadNewest();
  out.adopted = newest.ok() ? newest->state_seq : 0;
  auto other = disk.Open(kOtherPath, OpenOptions::CreateOrOpen());
  if (!other.ok()) {
    if (!disk.halted()) out.problem = other.status();
    return out;
  }
  for (Seq seq = out.adopted + 1; seq <= out.adopted + kWritesPerLife; ++seq) {
    out.tried.push_back(LifeState(life, seq));
    if (Status written = l1.Write(out.tried.back()); !written.ok()) {
      if (!disk.halted()) out.problem = written;
      return out;
    }
    out.acknowledged = seq;
    if (Status other_io = (*other)->WriteAt(seq * 64, AsBytes("the engine's other I/O"));
        !other_io.ok()) {
      if (!disk.halted()) out.problem = other_io;
      return out;
    }
  }
  return out;
}

struct SweepCase {
  bool sync_each_write = false;
  CrashKind first = CrashKind::kPowerLoss;
  CrashKind second = CrashKind::kPowerLoss;
};

struct L1Stats {
  size_t cases = 0;                // crash sequences checked (some with no second crash)
  size_t torn_slot_writes = 0;     // torn writes into the slots, as the disk reports them
  size_t torn_slots_read = 0;      // slots the final reopen found written but invalid
  size_t unfinished_reopened = 0;  // second lives whose Open found an unfinished file
};

void CheckTwoLives(const SweepCase& sweep, L1Stats& stats, SimDisk& disk,
                   const std::array<Life, 2>& lives, const CrashPoints& points) {
  const std::string where =
      points.Describe() + (sweep.sync_each_write ? "; sync_each_write" : "; no sync_each_write");
  for (const faults::FaultEvent& event : disk.trace().events()) {
    if (event.path == kPath && event.offset >= MmapCheckpoint::kFileHeaderBytes &&
        (event.probe == faults::Probe::kTornPrefix ||
         event.probe == faults::Probe::kTornArbitrary)) {
      ++stats.torn_slot_writes;
    }
  }
  ++stats.cases;
  const Life& first = lives[0];
  const Life& second = lives[1];
  if (second.opened && second.found == L1Found::kUnfinished) ++stats.unfinished_reopened;
  ASSERT_TRUE(first.problem.ok()) << where << ": " << first.problem.ToString();
  ASSERT_TRUE(second.problem.ok())
      << where << ": the L1 did not go on after the first crash: " << second.problem.ToString();
  // What each life was promised would survive the crashes that followed it.
  const bool process_first = sweep.first == CrashKind::kProcessCrash;
  const bool process_second = sweep.second == CrashKind::kProcessCrash;
  const bool second_crashed = points.second_op != 0;
  const Seq promised_first_crash = sweep.sync_each_write || process_first ? first.acknowledged : 0;
  const Seq promised_first_both =
      sweep.sync_each_write || (process_first && (process_second || !second_crashed))
          ? first.acknowledged
          : 0;
  const Seq promised_second =
      sweep.sync_each_write || process_second || !second_crashed ? second.acknowledged : 0;
  if (second.opened) {
    ASSERT_GE(second.adopted, promised_first_crash)
        << where << ": the second life's Open lost acknowledged state_seq " << first.acknowledged;
  }
  ASSERT_TRUE(EnsureStateDir(disk)) << where;
  MmapCheckpoint l1(disk, L1Options(sweep.sync_each_write));
  const Status reopened = l1.Open();
  ASSERT_TRUE(reopened.ok()) << where << ": the L1 does not reopen: " << reopened.ToString();
  Seq newest = 0;
  for (const L1Slot& slot : l1.ReadSlots()) {
    if (!slot.state.ok()) {
      if (!slot.empty) ++stats.torn_slots_read;
      continue;
    }
    const TradingState& state = *slot.state;
    // Seqs up to what the second life adopted belong to the first life, the
    // ones after it to the second (all to the first if the second never opened).
    const bool of_second = second.opened && state.state_seq > second.adopted;
    ASSERT_TRUE(Tried(of_second ? second : first, state))
        << where << ": slot " << slot.index << " holds a state_seq " << state.state_seq
        << " its life (" << (of_second ? "second" : "first")
        << ") never wrote: a mix, a stale or a foreign state";
    newest = std::max(newest, state.state_seq);
  }
  ASSERT_GE(newest, std::max({promised_first_both, promised_second}))
      << where << ": an acknowledged state was lost (first life acknowledged up to "
      << first.acknowledged << ", second " << second.acknowledged << ")";
  // And the engine goes on from here.
  const TradingState next = LifeState(2, newest + 1);
  const Status written = l1.Write(next);
  ASSERT_TRUE(written.ok()) << where << ": " << written.ToString();
  const Result<TradingState> read = l1.ReadNewest();
  ASSERT_TRUE(read.ok()) << where << ": " << read.status().ToString();
  ASSERT_EQ(*read, next) << where;
}

// Every crash point of the first life, then every one of the second, under
// both crash models, with and without sync_each_write.
L1Stats SweepL1(CrashKind first, CrashKind second, size_t crash_points_min) {
  L1Stats l1_stats;
  for (const bool sync_each_write : {true, false}) {
    const SweepCase sweep{sync_each_write, first, second};
    for (const auto& model : testing::SweepModels()) {
      for (const uint64_t seed : {1u, 2u}) {
        const auto started = std::chrono::steady_clock::now();
        const auto stats = testing::SweepTwoCrashes<Life>(
            model, seed, first, second,
            [&](SimDisk& disk, int life) { return RunLife(disk, life, sync_each_write); },
            [&](SimDisk& disk, const std::array<Life, 2>& lives, const CrashPoints& points) {
              CheckTwoLives(sweep, l1_stats, disk, lives, points);
            });
        const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started)
                                    .count();
        const std::string what = "L1 " + faults::CrashKindName(first) + ", " +
                                 faults::CrashKindName(second) +
                                 (sync_each_write ? ", sync_each_write" : "") + ", sector " +
                                 std::to_string(model.sector_bytes) + ", seed " +
                                 std::to_string(seed) + ", " + std::to_string(elapsed_ms) + " ms";
        testing::PrintSweep(what.c_str(), stats);
        if (::testing::Test::HasFatalFailure()) return l1_stats;
        EXPECT_GT(stats.crash_points, crash_points_min) << what;
      }
    }
  }
  std::printf(
      "[ sweep ] L1 %s, %s: %zu crash sequences, %zu torn slot writes, %zu torn slots "
      "read back, %zu unfinished files reopened\n",
      faults::CrashKindName(first).c_str(), faults::CrashKindName(second).c_str(), l1_stats.cases,
      l1_stats.torn_slot_writes, l1_stats.torn_slots_read, l1_stats.unfinished_reopened);
  return l1_stats;
}

TEST(L1MultiCrashTest, PowerLossThenPowerLossKeepsWhatWasPromisedAndReopens) {
  const L1Stats stats = SweepL1(CrashKind::kPowerLoss, CrashKind::kPowerLoss, 200);
  if (HasFatalFailure()) return;
  EXPECT_GT(stats.unfinished_reopened, 0u) << "no crash ever cut an initialisation short";
  EXPECT_GT(stats.torn_slot_writes, 0u) << "no slot write ever tore: the sweep proves little";
  EXPECT_GT(stats.torn_slots_read, 0u) << "no torn slot was ever read back";
}

TEST(L1MultiCrashTest, ProcessCrashThenPowerLossKeepsWhatWasPromisedAndReopens) {
  const L1Stats stats = SweepL1(CrashKind::kProcessCrash, CrashKind::kPowerLoss, 200);
  if (HasFatalFailure()) return;
  EXPECT_GT(stats.unfinished_reopened, 0u) << "no crash ever cut an initialisation short";
  EXPECT_GT(stats.torn_slot_writes, 0u) << "no slot write ever tore: the sweep proves little";
  EXPECT_GT(stats.torn_slots_read, 0u) << "no torn slot was ever read back";
}

TEST(L1MultiCrashTest, PowerLossThenProcessCrashKeepsWhatWasPromisedAndReopens) {
  const L1Stats stats = SweepL1(CrashKind::kPowerLoss, CrashKind::kProcessCrash, 200);
  if (HasFatalFailure()) return;
  EXPECT_GT(stats.unfinished_reopened, 0u) << "no crash ever cut an initialisation short";
  EXPECT_GT(stats.torn_slot_writes, 0u) << "no slot write ever tore: the sweep proves little";
}

// No crash here tears anything; what a process crash leaves is what Open
// must adopt, and every acknowledged write survives both.
TEST(L1MultiCrashTest, ProcessCrashThenProcessCrashKeepsEveryAcknowledgedStateAndReopens) {
  const L1Stats stats = SweepL1(CrashKind::kProcessCrash, CrashKind::kProcessCrash, 200);
  if (HasFatalFailure()) return;
  EXPECT_GT(stats.unfinished_reopened, 0u) << "no crash ever cut an initialisation short";
}

}  // namespace
}  // namespace crashdrill::system
