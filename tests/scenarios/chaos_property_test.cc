// RapidCheck stateful tests of the whole system (DESIGN §12): generated
// sequences of commands — submit, cancel, market flow, advance time,
// checkpoint, crash of each kind, crash points inside disk operations, fill
// and free the disk, fail a sync, EIO, corrupt a copy, wipe, skew the clock,
// partition the network — against the sim world the chaos runner uses, with
// P1–P9 checked after every recovery. A failure prints RapidCheck's
// reproduce string (RC_PARAMS="reproduce=…") and the equivalent
// `crashdrill replay <script>` line; shrinking removes commands and makes
// their numbers smaller.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cstdio>

#include "scenarios/runner/case_script.h"
#include "scenarios/runner/sim_case.h"

namespace crashdrill::scenarios {
namespace {

// What the generator believes: a hint only. A crash point armed earlier may
// stop the engine at any disk operation; ops that need it running are then
// no-ops until a restart, so every generated sequence is valid.
struct Model {
  bool up = true;
};

using World = SimWorld;
using Command = rc::state::Command<Model, World>;

// Totals over every generated case, shown after the property ran: a property
// test that never crashes the engine tests nothing.
struct Exercised {
  uint64_t cases = 0;
  uint64_t ops = 0;
  uint64_t crashes = 0;
  uint64_t recoveries = 0;
  uint64_t acknowledged = 0;
  std::map<std::string, uint64_t> recovered_from;
  std::map<std::string, uint64_t> faults_fired;
};
Exercised exercised;

void Fail(const CaseResult& result) {
  const Violation& v = result.violations.front();
  RC_FAIL(fmt::format("{}: {}\n  crashdrill replay {}", v.property, v.detail, v.repro));
}

// One command: one op of the script language, its fields generated.
template <OpKind kKind>
struct OpCommand : Command {
  Op op{.kind = kKind};

  OpCommand() {
    switch (kKind) {
      case OpKind::kRun:
        op.n = *rc::gen::inRange<int64_t>(1, 400);
        break;
      case OpKind::kWait:
        op.n = *rc::gen::inRange<int64_t>(1, 3'000);
        break;
      case OpKind::kMarket:
        op.n = *rc::gen::inRange<int64_t>(1, 60);
        break;
      case OpKind::kSubmit:
        op.flag = *rc::gen::arbitrary<bool>();
        op.n = *rc::gen::inRange<int64_t>(1, 30);
        break;
      case OpKind::kCancel:
      case OpKind::kCorrupt:
        op.n = *rc::gen::inRange<int64_t>(0, 1'000);
        op.flag = *rc::gen::arbitrary<bool>();
        break;
      case OpKind::kCrash:
        op.flag = *rc::gen::arbitrary<bool>();
        break;
      case OpKind::kCrashAt:
        op.flag = *rc::gen::arbitrary<bool>();
        op.n = *rc::gen::inRange<int64_t>(1, 3'000);
        break;
      case OpKind::kEioAt:
        op.flag = *rc::gen::arbitrary<bool>();
        op.n = *rc::gen::inRange<int64_t>(1, 2'000);
        break;
      case OpKind::kFsyncFailAt:
        op.n = *rc::gen::inRange<int64_t>(1, 200);
        break;
      case OpKind::kPartition:
        op.n = *rc::gen::inRange<int64_t>(1, 2'000);
        break;
      case OpKind::kClock:
        op.n = *rc::gen::element<int64_t>(-3'600'000, -60'000, -1'000, 1'000, 60'000, 3'600'000);
        break;
      default:
        break;
    }
  }

  void checkPreconditions(const Model& model) const override {
    switch (kKind) {
      case OpKind::kRun:
      case OpKind::kSubmit:
      case OpKind::kCancel:
      case OpKind::kCheckpoint:
      case OpKind::kCrash:
        RC_PRE(model.up);
        break;
      case OpKind::kCorrupt:
      case OpKind::kWipe:
      case OpKind::kRestart:
        RC_PRE(!model.up);
        break;
      default:
        break;
    }
  }

  void apply(Model& model) const override {
    if (kKind == OpKind::kCrash) model.up = false;
    if (kKind == OpKind::kRestart) model.up = true;
  }

  void run(const Model&, World& world) const override {
    world.Apply(op);
    if (!world.result().violations.empty()) Fail(world.result());
  }

  void show(std::ostream& os) const override { os << FormatOp(op); }
};

template <OpKind... kKinds>
auto Commands() {
  return rc::state::gen::execOneOfWithArgs<OpCommand<kKinds>...>();
}

// The case's setup: scenario (targets), seed, disk model and drift.
CaseScript GenerateSetup() {
  CaseScript setup;
  setup.scenario = "mixed";
  setup.seed = *rc::gen::arbitrary<uint64_t>();
  setup.ops.push_back({.kind = OpKind::kDisk, .flag = *rc::gen::arbitrary<bool>()});
  const int64_t drift = *rc::gen::element<int64_t>(0, 0, -300, 300);
  if (drift != 0) setup.ops.push_back({.kind = OpKind::kDrift, .n = drift});
  return setup;
}

void Count(const CaseResult& result) {
  ++exercised.cases;
  exercised.ops += result.ops_applied;
  exercised.crashes += result.crashes;
  exercised.recoveries += result.recoveries;
  exercised.acknowledged += result.acknowledged;
  for (const auto& [from, n] : result.recovered_from) exercised.recovered_from[from] += n;
  for (const auto& [kind, n] : result.faults_fired) exercised.faults_fired[kind] += n;
}

void PrintExercised() {
  std::printf(
      "[ property ] %llu cases, %llu ops, %llu crashes, %llu recoveries, %llu "
      "acknowledged; recovered from:",
      static_cast<unsigned long long>(exercised.cases),
      static_cast<unsigned long long>(exercised.ops),
      static_cast<unsigned long long>(exercised.crashes),
      static_cast<unsigned long long>(exercised.recoveries),
      static_cast<unsigned long long>(exercised.acknowledged));
  for (const auto& [from, n] : exercised.recovered_from) {
    std::printf(" %s %llu", from.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("; faults fired:");
  for (const auto& [kind, n] : exercised.faults_fired) {
    if (kind.starts_with("disk.")) continue;
    std::printf(" %s %llu", kind.c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\n");
}

TEST(ChaosProperty, EverySequenceOfTradingCrashesAndFaultsKeepsP1ToP9) {
  exercised = {};
  const bool held =
      rc::check("every generated sequence of trading, crashes and faults keeps P1-P9", [] {
        World world(GenerateSetup());
        if (!world.Start()) Fail(world.result());
        rc::state::check(
            Model{}, world,
            Commands<OpKind::kRun, OpKind::kRun, OpKind::kRun, OpKind::kSubmit, OpKind::kCancel,
                     OpKind::kMarket, OpKind::kWait, OpKind::kCheckpoint, OpKind::kCrash,
                     OpKind::kCrash, OpKind::kCrashAt, OpKind::kRestart, OpKind::kRestart,
                     OpKind::kFull, OpKind::kFree, OpKind::kFsyncFailAt, OpKind::kEioAt,
                     OpKind::kCorrupt, OpKind::kWipe, OpKind::kPartition, OpKind::kClock>());
        // A sequence that ends down restarts once more: its last crash is checked too.
        const CaseResult result = world.Finish();
        Count(result);
        if (!result.violations.empty()) Fail(result);
      });
  PrintExercised();
  EXPECT_TRUE(held);
  // The generated cases crashed the engine, recovered it from every kind of
  // local copy and fired the faults of the commands.
  EXPECT_GT(exercised.crashes, exercised.cases);
  EXPECT_GT(exercised.recoveries, exercised.cases / 2);
  for (const char* from : {"l1", "l2", "l3"}) {
    EXPECT_GT(exercised.recovered_from[from], 0u) << "never recovered from " << from;
  }
  for (const char* kind : {"power_loss", "process_crash", "no_space", "network_partition",
                           "clock_step", "bit_flip", "zero_sector", "wipe"}) {
    EXPECT_GT(exercised.faults_fired[kind], 0u) << kind << " never fired";
  }
}

}  // namespace
}  // namespace crashdrill::scenarios
