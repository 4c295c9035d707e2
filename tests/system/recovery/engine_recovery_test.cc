// The engine and its recovery against an in-process exchange on a SimDisk:
// pending orders resolved without duplicates, fills made while the engine was
// down applied exactly once, a full disk halts and resumes, a crash during
// recovery converges, and long lives with many crashes keep every
// acknowledged update and agree with the venue after every recovery.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/system/levels/crash_sweep.h"
#include "tests/system/recovery/engine_world.h"
#include "tests/system/recovery/fake_archive.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using testing::EngineWorld;

faults::SimDiskOptions Disk(uint64_t seed, faults::FaultPlan plan = {},
                            faults::CrashModel model = {}) {
  plan.seed = seed;
  return {.model = model, .capacity_bytes = 1ull << 30, .plan = plan};
}

// The one order the venue has of `id`, and how many it has of it.
size_t VenueOrdersWithId(EngineWorld& w, const std::string& id) {
  const auto& ids = w.exchange().account(w.account()).client_order_ids;
  return ids.count(id);
}

OrderIntent Bid(Ticks price, Lots lots) {
  return {"ACME", Side::kBuy, OrderType::kLimit, price, lots, "mm1"};
}

class PendingOrderTest : public ::testing::TestWithParam<int> {};

// Crash points of one order's life: 0 after the intent is logged and before it
// is sent, 1 after it is sent and before the ack is seen, 2 after the ack and
// before the fill (the fill happens while the engine is down).
TEST_P(PendingOrderTest, ResolvesWithoutADuplicateAtTheVenue) {
  const int point = GetParam();
  EngineWorld w(7, Disk(7), /*market_actions_per_second=*/0);
  w.options().engine.strategy.instruments.clear();  // only this test's order
  w.StartFresh();
  faults::Rng rng(point);
  std::string id;
  if (point == 0) {
    Order order;
    id = w.engine().ClientOrderId(w.engine().state().state_seq() + 1);
    order.client_order_id = id;
    order.symbol = "ACME";
    order.venue = "crashdrill-sim";
    order.side = Side::kBuy;
    order.price_ticks = 9'990;
    order.quantity_lots = 5;
    ASSERT_TRUE(w.engine().CommitCritical(OrderSubmitted{order}).ok());
  } else {
    id = w.engine().ClientOrderId(w.engine().state().state_seq() + 1);
    ASSERT_TRUE(w.engine().Submit(Bid(9'990, 5)).ok());
    w.clock().Advance(kNanosPerMilli);  // the request reaches the exchange
    w.venue().Pump();
    if (point == 2) {
      w.Run(3);
      ASSERT_TRUE(w.engine().state().trading.open_orders.contains(id));
    }
  }
  w.Crash(CrashKind::kPowerLoss, rng);
  if (point == 2) {
    // Another account sells into the resting bid while the engine is down.
    const auto seller = w.exchange().OpenAccount("seller", 0);
    w.exchange().Submit(seller, {"s1", "ACME", Side::kSell, OrderType::kLimit, 9'990, 3},
                        w.clock().Mono());
  }
  w.clock().Advance(kNanosPerSecond);
  w.Recover("point " + std::to_string(point), rng);
  const TradingState& t = w.engine().state().trading;
  EXPECT_FALSE(t.pending_orders.contains(id));
  EXPECT_EQ(VenueOrdersWithId(w, id), point == 0 ? 0u : 1u);
  if (point == 0) {
    EXPECT_EQ(w.report().pending_never_sent, 1u);
    EXPECT_FALSE(t.open_orders.contains(id));
  } else {
    ASSERT_TRUE(t.open_orders.contains(id));
    EXPECT_EQ(t.open_orders.at(id).filled_lots, point == 2 ? 3 : 0);
  }
  // Nothing is sent again, however long the engine runs.
  w.Run(500);
  EXPECT_EQ(VenueOrdersWithId(w, id), point == 0 ? 0u : 1u);
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
}

INSTANTIATE_TEST_SUITE_P(CrashPoints, PendingOrderTest, ::testing::Values(0, 1, 2));

TEST(EngineRecoveryTest, FillsWhileDownAreAppliedExactlyOnce) {
  EngineWorld w(11, Disk(11));
  w.StartFresh();
  w.Run(2'000);
  faults::Rng rng(11);
  w.Crash(CrashKind::kProcessCrash, rng);
  w.clock().Advance(3 * kNanosPerSecond);  // the market trades against the resting quotes
  w.venue().Pump();
  w.Recover("after 3 s down", rng);
  EXPECT_GT(w.report().reports_applied, 0u) << "the market filled nothing while down";
  const TradingState first = w.engine().state().trading;
  // Reconciling again finds nothing to apply or adopt.
  RecoveryReport again;
  ASSERT_TRUE(Reconcile(w.engine(), w.clock(), again).ok());
  EXPECT_EQ(again.reports_applied, 0u);
  EXPECT_TRUE(again.discrepancies.empty());
  EXPECT_EQ(w.engine().state().trading.positions, first.positions);
  EXPECT_EQ(w.engine().state().trading.recent_fills, first.recent_fills);
}

// The venue keeps a short report history and the engine stays down long
// enough for the market to trade past it: the report of the order sent just
// before the crash is gone. Recovery says so, takes what the reports would
// have said from the venue's positions, balances and orders (P1), and
// resolves the pending order by asking for it, never by sending it again (P4).
TEST(EngineRecoveryTest, ALongOutagePastTheVenuesHistoryResolvesByQueryAndAgrees) {
  simulator::ExchangeConfig exchange;
  exchange.report_history_per_account = 8;
  EngineWorld w(17, Disk(17), /*market_actions_per_second=*/2'000, exchange);
  w.StartFresh();
  w.Run(1'000);
  const std::string id = w.engine().ClientOrderId(w.engine().state().state_seq() + 1);
  ASSERT_TRUE(w.engine().Submit(Bid(9'990, 5)).ok());
  w.clock().Advance(kNanosPerMilli);  // the request reaches the exchange
  w.venue().Pump();
  ASSERT_TRUE(w.engine().state().trading.pending_orders.contains(id));
  faults::Rng rng(17);
  w.Crash(CrashKind::kProcessCrash, rng);
  const Seq reports_before = w.exchange().account(w.account()).history.back().exchange_seq;
  w.clock().Advance(5 * kNanosPerSecond);  // the market trades against the resting quotes
  w.venue().Pump();
  const simulator::Account& account = w.exchange().account(w.account());
  ASSERT_GT(account.trimmed_through_exchange_seq, reports_before)
      << "the history still holds the reports of the last life: the test tests nothing";
  w.Recover("after 5 s down", rng);
  EXPECT_TRUE(w.report().reports_gone);
  EXPECT_FALSE(w.report().notes.empty());
  EXPECT_FALSE(w.engine().state().trading.pending_orders.contains(id));
  EXPECT_EQ(VenueOrdersWithId(w, id), 1u);
  w.Run(500);
  EXPECT_EQ(VenueOrdersWithId(w, id), 1u);
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
  // The life after goes on and loses power: what it acknowledged survives
  // (P2/P3), and the next recovery agrees with the venue again (P1/P4).
  w.Crash(CrashKind::kPowerLoss, rng);
  w.clock().Advance(2 * kNanosPerSecond);
  w.venue().Pump();
  w.Recover("after a power loss in the life after", rng);
  w.Run(200);
  EXPECT_EQ(VenueOrdersWithId(w, id), 1u);
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
}

// Reports are lost on the way while the engine runs, and the venue's short
// history no longer keeps them: the engine cannot apply what came after as if
// nothing was missed. It stops sending until it is reconciled, and then
// agrees with the venue (P1) and sent nothing twice (P4).
TEST(EngineRecoveryTest, ReportsLostAndGoneFromTheVenueStopTheEngineUntilReconciled) {
  simulator::ExchangeConfig exchange;
  exchange.report_history_per_account = 8;
  EngineWorld w(19, Disk(19), /*market_actions_per_second=*/2'000, exchange);
  w.StartFresh();
  w.Run(500);
  simulator::NetworkFaults drop_reports;
  drop_reports.drop_to_engine_per_million = 1'000'000;
  w.venue().SetNetworkFaults(drop_reports);
  const Seq seen_before = w.exchange().account(w.account()).history.back().exchange_seq;
  for (int i = 0; i < 3'000; ++i) {  // 3 s of market: the quotes trade, their reports are lost
    w.clock().Advance(kNanosPerMilli);
    w.venue().Pump();
  }
  w.venue().ClearNetworkFaults();
  ASSERT_GT(w.exchange().account(w.account()).trimmed_through_exchange_seq, seen_before)
      << "the venue still keeps every report lost: the test tests nothing";
  for (int i = 0; i < 200 && !w.engine().resync_needed(); ++i) w.Run(1);
  ASSERT_TRUE(w.engine().resync_needed());
  EXPECT_EQ(w.engine().stats().history_lost, 1u);
  const uint64_t sent = w.engine().stats().orders_sent;
  w.Run(100);
  EXPECT_EQ(w.engine().stats().orders_sent, sent) << "sent orders on a state known to be stale";
  ASSERT_TRUE(Reconcile(w.engine(), w.clock(), w.report()).ok());
  EXPECT_TRUE(w.report().reports_gone);
  EXPECT_FALSE(w.engine().resync_needed());
  w.CheckAgreesWithVenue("after resynchronising");
  w.Run(500);
  EXPECT_GT(w.engine().stats().orders_sent, sent) << "trading did not resume";
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
}

// The drill found it: the space halt and its resume are two commits, and a
// crash between them left a state halted for "persistence failed". The
// restarted engine, whose disk takes writes, then never traded again. A
// persistence halt is the engine's own, so the restart resumes it as the
// running engine would (a commit that succeeds proves the disk takes writes);
// a circuit breaker's halt stays for the operator.
TEST(EngineRecoveryTest, ACrashBetweenASpaceHaltAndItsResumeDoesNotHaltTheRestartForGood) {
  for (const bool persistence : {true, false}) {
    SCOPED_TRACE(persistence ? "persistence halt" : "circuit breaker");
    EngineWorld w(17, Disk(17));
    w.StartFresh();
    w.Run(500);
    const std::string reason =
        persistence ? "persistence failed: no_space: write wal_00000000000000000001: No space left "
                      "on device (errno 28)"
                    : "circuit breaker: daily loss 5000001 beyond the limit of 5000000";
    ASSERT_TRUE(w.engine().CommitCritical(RiskHalted{reason}).ok());
    faults::Rng rng(17);
    w.Crash(CrashKind::kProcessCrash, rng);
    w.Recover("halted before the crash", rng);
    const uint64_t sent = w.engine().stats().orders_sent;
    w.Run(1'000);
    if (persistence) {
      EXPECT_FALSE(w.engine().state().trading.risk.halted)
          << w.engine().state().trading.risk.halt_reason;
      EXPECT_GT(w.engine().stats().orders_sent, sent + 10) << "trading did not resume";
    } else {
      EXPECT_TRUE(w.engine().state().trading.risk.halted);
      EXPECT_EQ(w.engine().stats().orders_sent, sent);
    }
  }
}

TEST(EngineRecoveryTest, AFullDiskHaltsNewOrdersAcknowledgesNothingAndResumes) {
  EngineWorld w(13, Disk(13));
  w.StartFresh();
  w.Run(500);
  // Full from now on. The WAL still takes records into its preallocated
  // segment (durable, so acknowledged); the engine halts when a write needs
  // space the disk no longer has.
  w.disk().SetCapacity(w.disk().used_bytes());
  int steps = 0;
  while (!w.engine().stats().space_halted && steps < 100'000) {
    w.Run(1);
    ++steps;
  }
  ASSERT_TRUE(w.engine().stats().space_halted) << "the engine never noticed the full disk";
  EXPECT_EQ(w.engine().stats().last_error.code(), StatusCode::kNoSpace)
      << w.engine().stats().last_error.ToString();
  const uint64_t sent = w.engine().stats().orders_sent;
  const uint64_t halted_decisions = w.engine().stats().decisions_halted;
  const size_t acked = w.acked().size();
  w.Run(2'000);  // the market goes on; reports queue up in memory
  // A small record may still fit the WAL segment's preallocated tail: it is
  // durable, so acknowledging it is right. No order leaves without a durable
  // intent, and new orders are refused while the halt lasts.
  size_t intents_while_full = 0;
  for (size_t i = acked; i < w.acked().size(); ++i) {
    intents_while_full += std::holds_alternative<OrderSubmitted>(w.acked()[i].second);
  }
  EXPECT_LE(w.engine().stats().orders_sent - sent, intents_while_full);
  EXPECT_GT(w.engine().stats().decisions_halted, halted_decisions + 50)
      << "the strategy was not stopped while full";
  // Space comes back: the engine persists the halt it could not write, resumes,
  // and applies the reports it kept.
  w.disk().SetCapacity(1ull << 30);
  const uint64_t sent_before_resume = w.engine().stats().orders_sent;
  const size_t acked_before_resume = w.acked().size();
  w.Run(1'000);
  EXPECT_FALSE(w.engine().stats().space_halted) << w.engine().stats().last_error.ToString();
  EXPECT_GT(w.engine().stats().orders_sent, sent_before_resume + 10) << "trading did not resume";
  bool halt_logged = false, resume_logged = false;
  for (size_t i = acked_before_resume; i < w.acked().size(); ++i) {
    if (const auto* halt = std::get_if<RiskHalted>(&w.acked()[i].second)) {
      halt_logged = halt->reason.find("No space") != std::string::npos;
    }
    resume_logged |= halt_logged && std::holds_alternative<RiskResumed>(w.acked()[i].second);
  }
  EXPECT_TRUE(halt_logged && resume_logged);
  // Full again, and a power loss while it is: nothing acknowledged is lost
  // (Recover checks P2 before it reconciles, which needs space: it comes back first).
  w.disk().SetCapacity(w.disk().used_bytes());
  w.Run(2'000);
  faults::Rng rng(13);
  w.Crash(CrashKind::kPowerLoss, rng);
  w.disk().SetCapacity(1ull << 30);
  w.Recover("power loss while the disk was full", rng);
  const uint64_t sent_after = w.engine().stats().orders_sent;
  w.Run(1'000);
  EXPECT_GT(w.engine().stats().orders_sent, sent_after + 10) << "trading did not resume";
  std::printf("full disk: halted after %d steps while full\n", steps);
}

// Damage in the log loses acknowledged records: the engine's state_seq goes
// back, and ids derived from it would repeat ids the venue has. A recovery
// that lost history takes a new id space instead; nothing is sent twice.
// Deletes every copy of every level of /state (the files, not the directories).
void WipeStateDirectory(faults::SimDisk& disk) {
  for (const std::string dir :
       {"/state/l2/automatic", "/state/l2/manual", "/state/snapshots", "/state/wal"}) {
    auto names = disk.List(dir);
    if (!names.ok()) continue;
    for (const std::string& name : *names) ASSERT_TRUE(disk.Unlink(dir + "/" + name).ok());
  }
  ASSERT_TRUE(disk.Unlink("/state/l1").ok());
}

// The state directory is lost and the archive's copy is an hour old: the
// engine comes back from it (RPO: the history since, rebuilt from the venue)
// and, since state_seq goes on below ids it had already sent, takes a new
// client order id space (P4).
TEST(EngineRecoveryTest, FromAnArchivedCopyAfterLosingTheDirectoryNewOrdersNeverReuseAnId) {
  EngineWorld w(23, Disk(23));
  w.StartFresh();
  w.Run(800);
  FakeArchive archive;
  archive.Add(w.engine().state());
  const Seq archived_seq = w.engine().state().state_seq();
  w.Run(800);
  ASSERT_GT(w.engine().state().state_seq(), archived_seq + 50);
  faults::Rng rng(23);
  w.Crash(CrashKind::kPowerLoss, rng);
  WipeStateDirectory(w.disk());
  w.options().copy_sources = {&archive};
  w.Recover("from the archive", rng, /*history_lost=*/true);
  EXPECT_EQ(w.report().source, "l4");
  EXPECT_EQ(w.report().base_seq, archived_seq);
  EXPECT_EQ(w.engine().IdPrefix(), "cd1.1");
  const uint64_t sent = w.engine().stats().orders_sent;
  w.Run(1'500);
  EXPECT_GT(w.engine().stats().orders_sent, sent + 50);
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
  // A crash right after: the directory now holds the recovered copy.
  w.options().copy_sources.clear();
  w.Crash(CrashKind::kPowerLoss, rng);
  w.Recover("after the archive recovery", rng);
  EXPECT_NE(w.report().source, "l4");
  w.Run(500);
  EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
}

TEST(EngineRecoveryTest, AfterLosingHistoryNewOrdersNeverReuseAnId) {
  for (const bool wipe_everything : {false, true}) {
    SCOPED_TRACE(wipe_everything ? "state directory wiped" : "log damaged");
    EngineWorld w(19, Disk(19));
    w.StartFresh();
    w.Run(1'500);
    faults::Rng rng(19);
    w.Crash(CrashKind::kProcessCrash, rng);
    auto& disk = w.disk();
    if (wipe_everything) {
      WipeStateDirectory(disk);
    } else {
      // Garbage over the middle of the first WAL segment's records, and no L1/L2
      // copy newer than it: recovery stops in the middle of the history.
      auto names = disk.List("/state/wal");
      ASSERT_TRUE(names.ok() && !names->empty());
      auto file = disk.Open("/state/wal/" + names->front(), OpenOptions::ReadWrite());
      ASSERT_TRUE(file.ok());
      const std::vector<std::byte> garbage(64, std::byte{0x5a});
      ASSERT_TRUE((*file)->WriteAt(20'000, garbage).ok());
      ASSERT_TRUE((*file)->Sync().ok());
      for (const std::string dir : {"/state/l2/automatic", "/state/snapshots"}) {
        auto copies = disk.List(dir);
        if (!copies.ok()) continue;
        for (const std::string& name : *copies) ASSERT_TRUE(disk.Unlink(dir + "/" + name).ok());
      }
      ASSERT_TRUE(disk.Unlink("/state/l1").ok());
    }
    w.Recover("after losing history", rng, /*history_lost=*/true);
    if (wipe_everything) {
      EXPECT_EQ(w.report().source, "venue");
    } else {
      EXPECT_FALSE(w.report().wal_stop.ok());
    }
    EXPECT_EQ(w.engine().IdPrefix(), "cd1.1");
    const uint64_t sent = w.engine().stats().orders_sent;
    w.Run(1'500);
    EXPECT_GT(w.engine().stats().orders_sent, sent + 50);
    EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
    // And again: the next loss takes the next space, above both.
    w.Crash(CrashKind::kProcessCrash, rng);
    auto names = disk.List("/state/wal");
    ASSERT_TRUE(names.ok());
    for (const std::string& name : *names) ASSERT_TRUE(disk.Unlink("/state/wal/" + name).ok());
    for (const std::string dir :
         {"/state/l2/automatic", "/state/l2/manual", "/state/l2/emergency", "/state/snapshots"}) {
      auto copies = disk.List(dir);
      if (!copies.ok()) continue;
      for (const std::string& name : *copies) ASSERT_TRUE(disk.Unlink(dir + "/" + name).ok());
    }
    ASSERT_TRUE(disk.Unlink("/state/l1").ok());
    w.Recover("after losing everything again", rng, /*history_lost=*/true);
    EXPECT_EQ(w.engine().IdPrefix(), "cd1.2");
    w.Run(1'000);
    EXPECT_EQ(w.exchange().account(w.account()).duplicate_client_order_ids, 0u);
  }
}

// Recovery crashes at its n-th disk operation, for every n until it finishes;
// recovering again must reach the same state as an uninterrupted recovery.
TEST(EngineRecoveryTest, RecoveryAfterACrashDuringRecoveryConverges) {
  size_t points = 0;
  for (const CrashKind kind : {CrashKind::kProcessCrash, CrashKind::kPowerLoss}) {
    // The reference: one life, a crash, an uninterrupted recovery (quiet market,
    // so every run sees the same venue).
    TradingState reference;
    uint64_t ops_before_recovery = 0;
    {
      EngineWorld w(17, Disk(17), 0);
      w.StartFresh();
      w.Run(300);
      faults::Rng rng(1);
      w.Crash(kind, rng);
      ops_before_recovery = w.disk().op_count();
      w.Recover("reference", rng);
      reference = w.engine().state().trading;
    }
    for (uint64_t n = 1;; ++n) {
      faults::FaultPlan plan{
          17,
          {faults::FaultEntry{
              faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = ops_before_recovery + n},
              faults::Fault{.kind = faults::FaultKind::kCrash, .crash_kind = kind}}}};
      EngineWorld w(17, Disk(17, plan), 0);
      w.StartFresh();
      w.Run(300);
      faults::Rng rng(1);
      w.Crash(kind, rng);
      ASSERT_EQ(w.disk().op_count(), ops_before_recovery);
      w.Recover("crash at recovery op " + std::to_string(n), rng);
      if (w.crashes_during_recovery() == 0) break;  // recovery finished before op n
      ++points;
      const TradingState& t = w.engine().state().trading;
      EXPECT_EQ(t.open_orders, reference.open_orders) << n;
      EXPECT_EQ(t.positions, reference.positions) << n;
      EXPECT_EQ(t.pending_orders, reference.pending_orders) << n;
      if (::testing::Test::HasFailure()) {
        std::printf(
            "replay: EngineRecoveryTest.RecoveryAfterACrashDuringRecoveryConverges "
            "kind %s n %llu\n",
            faults::CrashKindName(kind).c_str(), static_cast<unsigned long long>(n));
        return;
      }
    }
  }
  std::printf("crash points inside recovery: %zu\n", points);
  EXPECT_GT(points, 20u);
}

// Long lives: trade, crash (each kind, at planned disk operations, so in the
// middle of WAL appends, checkpoints and recovery itself), recover, check,
// trade on; many times per life. The same seed gives the same life.
TEST(EngineRecoveryTest, ManyCrashesPerLifeKeepEveryAcknowledgedUpdateAndAgreeWithTheVenue) {
  size_t crashes = 0, during_recovery = 0, acked = 0;
  const auto models = crashdrill::testing::SweepModels();
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const size_t model_index = seed % models.size();
    faults::Rng plan_rng(Mix64(seed));
    faults::FaultPlan plan;
    uint64_t at = 0;
    for (int i = 0; i < 10; ++i) {
      at += 400 + plan_rng.Below(4'000);
      plan.entries.push_back({faults::Trigger{.on = faults::TriggerOn::kAnyOp, .nth = at},
                              faults::Fault{.kind = faults::FaultKind::kCrash,
                                            .crash_kind = i % 2 == 0 ? CrashKind::kPowerLoss
                                                                     : CrashKind::kProcessCrash}});
    }
    EngineWorld w(seed, Disk(seed, plan, models[model_index]));
    const std::string replay = "replay: EngineRecoveryTest.ManyCrashesPerLife seed " +
                               std::to_string(seed) + " model " + std::to_string(model_index);
    w.StartFresh();
    faults::Rng crash_rng(Mix64(seed + 99));
    for (int life = 0; life < 12 && !::testing::Test::HasFailure(); ++life) {
      w.Run(3'000);
      if (!w.disk().halted()) continue;  // the plan's crashes are used up
      ++crashes;
      w.Crash(w.disk().halted_crash_kind(), crash_rng);
      w.clock().Advance(200 * kNanosPerMilli);  // down for a while; the market goes on
      w.Recover(replay + " life " + std::to_string(life), crash_rng);
    }
    during_recovery += static_cast<size_t>(w.crashes_during_recovery());
    acked += w.acked().size();
    if (::testing::Test::HasFailure()) {
      std::printf("%s\n", replay.c_str());
      return;
    }
  }
  std::printf("lives: %zu crashes (%zu during recovery), %zu acknowledged updates checked\n",
              crashes, during_recovery, acked);
  EXPECT_GE(crashes, 20u);
}

}  // namespace
}  // namespace crashdrill::system
