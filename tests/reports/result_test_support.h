// A chaos run made up by hand for the reports tests: per case fixed counts,
// samples and violations, so a run and its shards can be built without the
// runner, exactly as the runner adds cases up (case k of every scenario in
// turn; case k belongs to shard k mod N).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "reports/result_model.h"

namespace crashdrill::reports::testing {

inline ResultRecord MadeUpRun(uint64_t cases, ShardId shard, uint64_t seed = 7) {
  ResultRecord run;
  run.provenance = {.commit = "abc123",
                    .build_type = "RelWithDebInfo",
                    .compiler = "g++ 12.2.0",
                    .machine = "Linux 6.1 x86_64",
                    .seed = seed,
                    .shard = shard,
                    .configuration = {{"scenarios", {"power-loss", "bit-rot"}},
                                      {"cases_per_scenario", cases},
                                      {"minutes", 0.0}},
                    .disk_cost_model = {{"sync_ns", 1000000}},
                    .wall_seconds = 1.5 + static_cast<double>(shard.index)};
  for (const char* name : {"power-loss", "bit-rot"}) {
    ScenarioRecord s{.name = name, .mode = "sim"};
    s.rto.target_ms = 5000;
    s.rpo_strategy.target_ms = 1000;
    s.recovered_from = {{"l1", 0}, {"l2", 0}, {"l3", 0}, {"l4", 0}, {"backup", 0}, {"venue", 0}};
    run.scenarios.push_back(s);
  }
  for (uint64_t k = 0; k < cases; ++k) {
    if (k % shard.count != shard.index) continue;
    for (size_t i = 0; i < run.scenarios.size(); ++i) {
      ScenarioRecord& s = run.scenarios[i];
      const double x = static_cast<double>(k * 7 + i);
      ++s.cases;
      s.crashes += k + 2;
      s.acknowledged += 100 * k + 1;
      s.rto.values_ms.insert(s.rto.values_ms.end(), {x * 1.25 + 0.1, 40.0 - x});
      s.rpo_strategy.values_ms.insert(s.rpo_strategy.values_ms.end(), {x * 3.5, 0.0});
      s.rpo_critical.values_ms.insert(s.rpo_critical.values_ms.end(), {0.0, 0.0});
      s.recovered_from[k % 2 == 0 ? "l1" : "l3"] += 2;
      s.faults_fired[i == 0 ? "power_loss" : "bit_flip"] += k + 1;
      s.recovery_cpu_ms += 0.5;
      // Cases 1 and 4 find two violations each, in an order a sort by
      // property or text would change.
      if (k % 3 == 1) {
        const std::string repro = s.name + "@" + std::to_string(1000 + k);
        s.violations.push_back({"P8", repro, "case " + std::to_string(k) + " slow", k});
        s.violations.push_back({"P2", repro, "case " + std::to_string(k) + " lost", k});
      }
    }
  }
  for (ScenarioRecord& s : run.scenarios) {
    for (Samples* samples : {&s.rto, &s.rpo_strategy, &s.rpo_critical}) {
      std::sort(samples->values_ms.begin(), samples->values_ms.end());
    }
  }
  return run;
}

// Night `n` (0-based) of a made-up nightly history: three scenarios with
// samples that wobble a little from night to night, started at 02:00 UTC on
// consecutive days from 2026-10-01. `rto_factor` scales one scenario's RTO
// (power-loss): a regression when it is well above 1.
inline ResultRecord MadeUpNight(int n, double rto_factor = 1.0) {
  ResultRecord night;
  const int day = n % 28 + 1, month = 10 + n / 28;
  night.provenance = {.commit = "c" + std::to_string(1000 + n),
                      .build_type = "RelWithDebInfo",
                      .compiler = "g++ 12.2.0",
                      .machine = "Linux 6.1 x86_64",
                      .seed = static_cast<uint64_t>(n + 1),
                      .configuration = {{"scenarios", {"power-loss", "bit-rot", "full-disk"}},
                                        {"cases_per_scenario", 200},
                                        {"minutes", 0.0}},
                      .started_at = (month < 10 ? "2026-0" : "2026-") + std::to_string(month) +
                                    (day < 10 ? "-0" : "-") + std::to_string(day) + "T02:00:00Z",
                      .wall_seconds = 60.0 + (n % 3)};
  const double wobble = 1.0 + 0.04 * ((n * 7) % 5 - 2);  // 0.92 .. 1.08
  const char* names[] = {"power-loss", "bit-rot", "full-disk"};
  for (int i = 0; i < 3; ++i) {
    ScenarioRecord s{.name = names[i],
                     .mode = "sim",
                     .cases = 200,
                     .crashes = 600 + 10 * static_cast<uint64_t>(i)};
    s.acknowledged = 50000;
    s.rto.target_ms = 5000;
    s.rpo_strategy.target_ms = 1000;
    s.rpo_critical.target_ms = 0;
    const double scale = (i == 0 ? rto_factor : 1.0) * wobble * (20.0 + 10 * i);
    for (int k = 0; k < 300; ++k) {
      s.rto.values_ms.push_back(scale * (1.0 + (k * 37 % 100) / 50.0));
      s.rpo_strategy.values_ms.push_back(wobble * (k * 53 % 400));
      s.rpo_critical.values_ms.push_back(0);
    }
    s.recovered_from = {{"l1", 200}, {"l2", 60},    {"l3", 30},
                        {"l4", 0},   {"backup", 0}, {"venue", 10}};
    s.faults_fired = {{"power_loss", 300}, {"process_crash", 300}, {"enospc", 20 + i}};
    const uint64_t ms = 1'000'000;  // recovery_phase_ns is in ns
    s.recovery_phase_ns = {{"discover", 300 * ms},
                           {"load", 900 * ms},
                           {"validate", 150 * ms},
                           {"replay", 1200 * ms * static_cast<uint64_t>(i + 1)},
                           {"reconcile", 600 * ms}};
    s.recovery_cpu_ms = 40;
    for (Samples* samples : {&s.rto, &s.rpo_strategy, &s.rpo_critical}) {
      std::sort(samples->values_ms.begin(), samples->values_ms.end());
    }
    night.scenarios.push_back(std::move(s));
  }
  return night;
}

// A monthly drill made up by hand: five steps, one per fault kind, with the
// operator's checklist; step 3 (power loss) lost an acknowledged fill (P2),
// step 4 (partition) came back over its RTO target (P8) and a checklist
// action failed. Its one scenario, "drill", holds what the steps measured.
inline ResultRecord MadeUpDrill() {
  ResultRecord result;
  result.provenance = {.commit = "d4e5f6",
                       .build_type = "RelWithDebInfo",
                       .compiler = "g++ 12.2.0",
                       .machine = "Linux 6.1 x86_64",
                       .seed = 0,
                       .configuration = {{"plan", "monthly"}},
                       .started_at = "2026-11-28T06:15:00Z",
                       .wall_seconds = 412.5};
  DrillRecord drill{.plan = "monthly",
                    .plan_source = "built-in",
                    .state_dir = "/var/lib/crashdrill/drill-2026-11",
                    .venue = "127.0.0.1:47211"};
  struct Made {
    const char* name;
    const char* fault;
    const char* detail;
    const char* from;
    double rto_ms;
    double rpo_critical_ms;
    bool p2_held, p8_held, reconcile_ok;
  };
  const Made made[] = {
      {"kill -9 during a snapshot", "kill", "SIGKILL to pid 4242 while writing snapshot 7", "l2",
       812.5, 0, true, true, true},
      {"ENOSPC on WAL append", "fiu", "fiu-ctrl -e crashdrill/fs/append -f ENOSPC (3 s)", "l3",
       1204.25, 0, true, true, true},
      {"power loss under crashfs", "power-loss",
       "crashfs --power-loss: unsynced writes dropped, torn at 512 B", "l3", 2310, 850, false, true,
       true},
      {"partition during recovery", "partition", "iptables drop to the venue for 40 s", "venue",
       61250, 0, true, false, false},
      {"wall clock 2 h back", "clock", "faketime '-2h' on the restarted engine", "l1", 95.5, 0,
       true, true, true},
  };
  ScenarioRecord s{.name = "drill", .mode = "process"};
  s.rto.target_ms = 30000;
  s.rpo_critical.target_ms = 0;
  s.rpo_strategy.target_ms = 1000;
  s.recovered_from = {{"l1", 0}, {"l2", 0}, {"l3", 0}, {"l4", 0}, {"backup", 0}, {"venue", 0}};
  for (uint64_t i = 0; i < std::size(made); ++i) {
    const Made& m = made[i];
    const uint64_t index = i + 1;
    const std::string repro = "crashdrill drill --plan monthly --step " + std::to_string(index);
    const uint64_t acknowledged = 400 + 12 * i;
    DrillStep step{.index = index,
                   .name = m.name,
                   .fault = m.fault,
                   .fault_detail = m.detail,
                   .started_at = "2026-11-28T06:1" + std::to_string(5 + i) + ":07Z",
                   .recovered_from = m.from,
                   .rto_ms = m.rto_ms,
                   .rto_target_ms = 30000,
                   .rpo_critical_ms = m.rpo_critical_ms,
                   .acknowledged = acknowledged,
                   .repro = repro};
    step.actions = {
        {"stop the engine", true, 12.5, "exit 0 after SIGTERM"},
        {"inspect the state directory", true, 140, "3 L1 slots, 2 L2 files, 4 WAL segments"},
        {"recover and reconcile with the exchange", m.reconcile_ok, m.rto_ms,
         m.reconcile_ok ? "exit 0; base state_seq 1830, 40 WAL records replayed"
                        : "exit 3 after 2 retries: venue unreachable <timeout> | retried"},
        {"compare with the exchange", true, 35, "positions, orders, balances equal"},
        {"resume trading", true, 20, "first order acknowledged"}};
    const std::string ack = std::to_string(acknowledged);
    step.checks = {
        {"P1", true, "positions, 12 open orders and balances equal the venue's"},
        {"P2", m.p2_held,
         m.p2_held ? ack + " acknowledged records, all in the recovered state (state_seq 1870)"
                   : "fill 17 (acknowledged 850 ms before the cut) is not in the recovered state"},
        {"P4", true, "every venue order maps to one intent; nothing sent twice"},
        {"P8", m.p8_held, fmt::format("RTO {} ms against a target of 30000 ms", m.rto_ms)},
        {"P9", true, "an order was submitted and acknowledged after recovery"}};
    for (const DrillCheck& c : step.checks) {
      if (!c.held) s.violations.push_back({c.property, repro, c.evidence, index});
    }
    ++s.cases;
    ++s.crashes;
    s.acknowledged += acknowledged;
    s.rto.values_ms.push_back(m.rto_ms);
    s.rpo_critical.values_ms.push_back(m.rpo_critical_ms);
    s.rpo_strategy.values_ms.push_back(100.0 * static_cast<double>(i));
    ++s.recovered_from[m.from];
    ++s.faults_fired[m.fault];
    drill.steps.push_back(std::move(step));
  }
  for (Samples* samples : {&s.rto, &s.rpo_strategy, &s.rpo_critical}) {
    std::sort(samples->values_ms.begin(), samples->values_ms.end());
  }
  result.scenarios.push_back(std::move(s));
  result.drill = std::move(drill);
  return result;
}

}  // namespace crashdrill::reports::testing
