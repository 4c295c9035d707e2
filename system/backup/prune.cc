#include "system/backup/prune.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "system/backup/backup.h"

namespace crashdrill::system {
namespace {

constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;

int64_t DayOf(int64_t wall_ns) {
  return wall_ns >= 0 ? wall_ns / kNanosPerDay : (wall_ns - kNanosPerDay + 1) / kNanosPerDay;
}
// 1970-01-01 was a Thursday: +3 makes weeks start on Monday (ISO).
int64_t WeekOf(int64_t wall_ns) {
  const int64_t day = DayOf(wall_ns) + 3;
  return day >= 0 ? day / 7 : (day - 6) / 7;
}
int64_t MonthOf(int64_t wall_ns) {
  using namespace std::chrono;
  const year_month_day date{sys_days{days{DayOf(wall_ns)}}};
  return int64_t{static_cast<int>(date.year())} * 12 + static_cast<unsigned>(date.month());
}

// Keeps the newest set of each of the `count` most recent buckets.
void KeepPerBucket(const std::vector<const Manifest*>& newest_first, size_t count,
                   int64_t (*bucket_of)(int64_t), std::set<std::string>& keep) {
  std::set<int64_t> seen;
  for (const Manifest* set : newest_first) {
    if (seen.size() >= count) return;
    if (seen.insert(bucket_of(set->created_at_ns)).second) keep.insert(set->set_id);
  }
}

// Adds every ancestor of every kept set that is on the target.
void KeepAncestors(const std::map<std::string, const Manifest*>& by_id,
                   std::set<std::string>& keep) {
  std::vector<std::string> pending(keep.begin(), keep.end());
  while (!pending.empty()) {
    const auto set = by_id.find(pending.back());
    pending.pop_back();
    if (set == by_id.end() || set->second->parent_id.empty()) continue;
    if (keep.insert(set->second->parent_id).second) pending.push_back(set->second->parent_id);
  }
}

// Whether every manifest from `set_id` back to a full is on the target.
bool ChainIsComplete(const std::map<std::string, const Manifest*>& by_id, std::string set_id) {
  for (size_t hops = 0; hops <= by_id.size(); ++hops) {
    const auto set = by_id.find(set_id);
    if (set == by_id.end()) return false;
    if (set->second->parent_id.empty()) return true;
    set_id = set->second->parent_id;
  }
  return false;  // a cycle: not a chain
}

}  // namespace

Result<PruneResult> PruneBackups(BackupTarget& target, const BackupKey& key,
                                 const PrunePolicy& policy) {
  CD_ASSIGN_OR_RETURN(const std::vector<Manifest> sets, ListBackups(target, key));
  PruneResult result;
  if (sets.empty()) return result;
  std::map<std::string, const Manifest*> by_id;
  std::vector<const Manifest*> newest_first;
  for (const Manifest& set : sets) {
    by_id[set.set_id] = &set;
    newest_first.push_back(&set);
  }
  // Newest by created-at, ties (and equal labels after a clock step) by number.
  std::sort(newest_first.begin(), newest_first.end(), [](const Manifest* a, const Manifest* b) {
    if (a->created_at_ns != b->created_at_ns) return a->created_at_ns > b->created_at_ns;
    return *ParseSetId(a->set_id) > *ParseSetId(b->set_id);
  });
  // Always: the newest set, and the newest whose chain is whole (they differ
  // when an ancestor's manifest went missing: then the older one is the
  // newest point that still restores).
  std::set<std::string> keep = {sets.back().set_id};
  for (auto set = sets.rbegin(); set != sets.rend(); ++set) {
    if (!ChainIsComplete(by_id, set->set_id)) continue;
    keep.insert(set->set_id);
    break;
  }
  KeepPerBucket(newest_first, policy.keep_daily, DayOf, keep);
  KeepPerBucket(newest_first, policy.keep_weekly, WeekOf, keep);
  KeepPerBucket(newest_first, policy.keep_monthly, MonthOf, keep);
  KeepAncestors(by_id, keep);

  std::set<std::string> referenced;
  for (const std::string& set_id : keep) {
    const auto set = by_id.find(set_id);  // absent: a kept set's missing ancestor
    if (set == by_id.end()) continue;
    for (const ManifestEntry& entry : set->second->files) referenced.insert(entry.object);
  }
  CD_ASSIGN_OR_RETURN(const std::vector<std::string> names, target.List());
  const uint64_t newest_number = *ParseSetId(sets.back().set_id);
  for (const Manifest& set : sets) {
    if (keep.contains(set.set_id)) result.kept.push_back(set.set_id);
  }
  // Newest first, so a child's manifest goes before its parent's: a prune
  // cut short never leaves a listed set whose chain it broke. Each manifest
  // goes before the set's objects: a set is never listed without them.
  for (auto set = sets.rbegin(); set != sets.rend(); ++set) {
    if (keep.contains(set->set_id)) continue;
    CD_RETURN_IF_ERROR(target.Delete(ManifestObjectName(set->set_id)));
    ++result.objects_deleted;
    result.deleted_sets.insert(result.deleted_sets.begin(), set->set_id);
  }
  for (const std::string& name : names) {
    const std::string set_id = SetIdOfObject(name);
    if (set_id.empty() || IsManifestObject(name) || keep.contains(set_id) ||
        referenced.contains(name)) {
      continue;
    }
    // An interrupted set newer than every complete one may still be being written.
    if (!by_id.contains(set_id) && *ParseSetId(set_id) > newest_number) continue;
    CD_RETURN_IF_ERROR(target.Delete(name));
    ++result.objects_deleted;
  }
  return result;
}

}  // namespace crashdrill::system
