// A chaos run made up by hand for the reports tests: per case fixed counts,
// samples and violations, so a run and its shards can be built without the
// runner, exactly as the runner adds cases up (case k of every scenario in
// turn; case k belongs to shard k mod N).
#pragma once

#include <algorithm>
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

}  // namespace crashdrill::reports::testing
