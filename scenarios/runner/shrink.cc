#include "scenarios/runner/shrink.h"

#include <algorithm>
#include <optional>

#include "scenarios/runner/sim_case.h"

namespace crashdrill::scenarios {
namespace {

// Setup ops (disk model, drift, schema) are not counted by
// first_violation_op: keep them in front so cutting by that count keeps the
// right ops.
CaseScript SetupFirst(CaseScript script) {
  std::stable_partition(script.ops.begin(), script.ops.end(), IsSetupOp);
  return script;
}

size_t SetupCount(const CaseScript& script) {
  return static_cast<size_t>(std::count_if(script.ops.begin(), script.ops.end(), IsSetupOp));
}

class Shrinker {
 public:
  Shrinker(uint64_t max_runs) : max_runs_(max_runs) {}

  // The ops to keep (setup ops first, then up to the one the first violation
  // was found at) when `candidate` fails as wanted.
  std::optional<size_t> Fails(const CaseScript& candidate) {
    if (runs_ >= max_runs_) return std::nullopt;
    ++runs_;
    const CaseResult result = RunScript(candidate);
    if (result.violations.empty()) return std::nullopt;
    if (!property_.empty() && result.violations.front().property != property_) return std::nullopt;
    property_ = result.violations.front().property;
    detail_ = result.violations.front().detail;
    return std::min(candidate.ops.size(), SetupCount(candidate) + result.first_violation_op);
  }

  bool exhausted() const { return runs_ >= max_runs_; }
  uint64_t runs() const { return runs_; }
  const std::string& property() const { return property_; }
  const std::string& detail() const { return detail_; }

 private:
  const uint64_t max_runs_;
  uint64_t runs_ = 0;
  std::string property_;
  std::string detail_;
};

}  // namespace

ShrinkResult ShrinkScript(const CaseScript& failing, uint64_t max_runs) {
  ShrinkResult out;
  Shrinker shrinker(max_runs);
  CaseScript start = SetupFirst(failing);
  start.planned = false;
  const auto keep = shrinker.Fails(start);
  if (!keep) {
    out.script = start;
    out.runs = shrinker.runs();
    return out;
  }
  std::optional<CaseScript> best = start;
  best->ops.resize(*keep);
  const auto accept = [&](const CaseScript& candidate) {
    const auto kept = shrinker.Fails(candidate);
    if (!kept) return false;
    *best = candidate;
    best->ops.resize(*kept);
    return true;
  };
  // Chunks of ops, halving in size down to single ops.
  size_t chunks = 2;
  while (!shrinker.exhausted() && best->ops.size() > 1) {
    const size_t size = best->ops.size();
    const size_t chunk = std::max<size_t>(1, size / chunks);
    bool removed = false;
    for (size_t begin = 0; begin < best->ops.size() && !shrinker.exhausted();) {
      CaseScript candidate = *best;
      const size_t end = std::min(begin + chunk, candidate.ops.size());
      candidate.ops.erase(candidate.ops.begin() + static_cast<std::ptrdiff_t>(begin),
                          candidate.ops.begin() + static_cast<std::ptrdiff_t>(end));
      if (accept(candidate)) {
        removed = true;  // the same position now holds the next chunk
      } else {
        begin = end;
      }
    }
    if (chunk == 1 && !removed) break;
    if (!removed) chunks = std::min(chunks * 2, best->ops.size());
  }
  // Smaller numbers: halve each count while the script still fails.
  bool changed = true;
  while (changed && !shrinker.exhausted()) {
    changed = false;
    for (size_t i = 0; i < best->ops.size() && !shrinker.exhausted(); ++i) {
      const Op op = best->ops[i];
      if (op.n <= 1 && op.n >= -1) continue;
      if (IsSetupOp(op) || op.kind == OpKind::kCorrupt || op.kind == OpKind::kCorruptIn ||
          op.kind == OpKind::kCancel) {
        continue;  // picks and rates: smaller is not simpler
      }
      CaseScript candidate = *best;
      candidate.ops[i].n = op.n / 2;
      if (accept(candidate)) changed = true;
    }
  }
  out.script = *best;
  out.property = shrinker.property();
  out.detail = shrinker.detail();
  out.runs = shrinker.runs();
  out.shrunk = true;
  return out;
}

}  // namespace crashdrill::scenarios
