// Merging the shard results of one chaos run (`crashdrill chaos --shard I/N`)
// into the result of the whole run. The merge is exact: counts add up,
// samples are pooled and sorted, percentiles are computed again from them, and
// violations come in case order, so the merged result equals the unsharded
// run's result.json apart from the wall-time fields (WithoutWallTime). Shards
// of different runs, a shard given twice and a missing shard are refused.
#pragma once

#include <string>
#include <vector>

#include "reports/checked.h"
#include "reports/result_model.h"

namespace crashdrill::reports {

// One input of a merge: a shard's result and the file it came from (named in refusals).
struct ShardResult {
  std::string path;
  ResultRecord result;
};

// The whole run `shards` are the parts of, with provenance.shard 0/1,
// wall_seconds the longest shard's and shard_wall_seconds each shard's.
// Commit, seed, configuration, disk cost model, shard count and the scenarios
// (names, modes, targets) must agree; machine, compiler and build type may
// differ (each case is deterministic from its seed) and are then listed.
// A drill result (with a "drill") is refused: a drill is not sharded.
// A refusal names the file and the field.
Checked<ResultRecord> MergeShards(std::vector<ShardResult> shards);

}  // namespace crashdrill::reports
