// The WAL over two crashes on one disk: crash anywhere in a first life,
// reopen, append records the first life never wrote, crash anywhere again.
// After the second crash the log must hold everything either life had
// acknowledged, read without corruption, be a prefix of the history the two
// lives wrote (nothing unacknowledged of the first life coming back after the
// second's records), and accept appends.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "system/levels/wal.h"
#include "tests/system/levels/crash_sweep.h"

namespace crashdrill::system {
namespace {

using faults::CrashKind;
using faults::SimDisk;
using testing::CrashPoints;

constexpr char kDir[] = "/state/wal";
constexpr uint64_t kSegmentBytes = 1024;
constexpr Seq kFirstLifeRecords = 16;
constexpr Seq kSecondLifeRecords = 10;

// Records of the two lives differ in content at every seq, and so do a life's
// retries of a failed batch, so a stale frame can never pass for the record
// that replaced it. The two lives' records have the same length at each seq —
// so a second-life frame ends exactly where a stale first-life frame may
// start — and retries another length.
WalRecord LifeRecord(int variant, Seq seq) {
  const size_t length = static_cast<size_t>((seq * 37 + variant / 2 * 53) % 90) + 1;
  return {static_cast<RecordType>(1 + variant % kRecordTypeMax), seq,
          static_cast<TimeNs>(seq * 1000 + variant),
          std::string(length, static_cast<char>('a' + (seq + variant * 7) % 26))};
}

struct Life {
  bool opened = false;
  Status problem;                // the life could not go on though the disk had not crashed
  Seq adopted = 0;               // last_seq right after Open
  std::vector<WalRecord> tried;  // every record handed to Append, retries included
  std::vector<WalRecord> acknowledged;
};

// The state directory, made durable every life: a crash may have left it
// only in the page cache, as the checkpointer's Open knows too.
bool EnsureStateDir(SimDisk& disk) { return disk.MakeDir("/state").ok() && disk.SyncDir("/").ok(); }

// Opens a WAL, once more if the case's one transient fault failed the first
// try (an engine retries its start-up); the status of the last try.
Status OpenWal(SimDisk& disk, std::unique_ptr<Wal>& wal) {
  Status opened;
  for (int attempt = 0; attempt < 2; ++attempt) {
    wal = std::make_unique<Wal>(disk, WalOptions{kDir, kSegmentBytes});
    opened = wal->Open();
    if (opened.ok() || !opened.injected() || disk.halted()) break;
  }
  return opened;
}

// A life appends its records in batches of 1, 2 and 3 (group commits). A
// refused batch is tried again with new content at the same seqs, on the same
// WAL — or on a reopened one after a failed sync, which poisons it — as an
// engine that keeps trading through a full disk would.
Life RunLife(SimDisk& disk, int life) {
  Life out;
  if (!EnsureStateDir(disk)) return out;
  std::unique_ptr<Wal> wal;
  if (Status opened = OpenWal(disk, wal); !opened.ok()) {
    if (!disk.halted()) out.problem = opened;
    return out;
  }
  out.opened = true;
  out.adopted = wal->last_seq();
  const Seq last = out.adopted + (life == 0 ? kFirstLifeRecords : kSecondLifeRecords);
  int variant = life;
  for (size_t batch_size = 1; wal->last_seq() < last; batch_size = batch_size % 3 + 1) {
    std::vector<WalRecord> batch;
    for (Seq seq = wal->last_seq() + 1; batch.size() < batch_size && seq <= last; ++seq) {
      batch.push_back(LifeRecord(variant, seq));
    }
    out.tried.insert(out.tried.end(), batch.begin(), batch.end());
    Status appended = wal->AppendBatch(batch);
    if (appended.ok()) {
      out.acknowledged.insert(out.acknowledged.end(), batch.begin(), batch.end());
      continue;
    }
    if (disk.halted()) return out;
    if (appended.message().find("failed sync") != std::string::npos) {
      if (Status reopened = OpenWal(disk, wal); !reopened.ok()) {
        if (!disk.halted()) out.problem = reopened.Annotate("reopen after a failed sync");
        return out;
      }
    } else {
      // Records a completed sync covered were acknowledged; the rest of the
      // batch is not, and its seqs are free for the retry.
      const Seq last_seq = wal->last_seq();
      if (last_seq + 1 < batch.front().state_seq || last_seq >= batch.back().state_seq) {
        out.problem = Status(appended).Annotate("after the failed batch last_seq is " +
                                                std::to_string(last_seq));
        return out;
      }
      for (const WalRecord& record : batch) {
        if (record.state_seq <= last_seq) out.acknowledged.push_back(record);
      }
    }
    variant += 2;
  }
  return out;
}

bool Tried(const Life& life, const WalRecord& record) {
  return std::find(life.tried.begin(), life.tried.end(), record) != life.tried.end();
}

void CheckTwoLives(SimDisk& disk, const std::array<Life, 2>& lives, const CrashPoints& points) {
  const std::string where = points.Describe();
  const Life& first = lives[0];
  const Life& second = lives[1];
  ASSERT_TRUE(first.problem.ok()) << where << ": " << first.problem.ToString();
  ASSERT_TRUE(second.problem.ok())
      << where << ": the WAL did not go on after the first crash: " << second.problem.ToString();
  std::vector<WalRecord> records;
  const Result<bool> exists = disk.Exists(kDir);
  ASSERT_TRUE(exists.ok()) << where << ": " << exists.status().ToString();
  if (*exists) {
    WalEnd end;
    Status read = WalReader(disk, kDir)
                      .Read(
                          0,
                          [&](const WalRecordView& r) {
                            records.push_back(r.ToRecord());
                            return Status::Ok();
                          },
                          end);
    ASSERT_TRUE(read.ok()) << where << ": " << read.ToString();
  }
  // Seqs up to what the second life adopted belong to the first life; the
  // ones after it to the second (all to the first if the second never opened).
  const Seq first_kept = second.opened ? second.adopted : std::numeric_limits<Seq>::max();
  for (const WalRecord& record : first.acknowledged) {
    ASSERT_LE(record.state_seq, first_kept)
        << where << ": the second life's Open lost acknowledged state_seq " << record.state_seq;
  }
  for (size_t k = 0; k < records.size(); ++k) {
    const WalRecord& record = records[k];
    ASSERT_EQ(record.state_seq, k + 1) << where << ": the log is not a prefix";
    const Life& owner = record.state_seq <= first_kept ? first : second;
    ASSERT_TRUE(Tried(owner, record))
        << where << ": state_seq " << record.state_seq << " holds a record its life "
        << "did not write there (a stale or foreign frame)";
  }
  for (const Life* life : {&first, &second}) {
    for (const WalRecord& acknowledged : life->acknowledged) {
      ASSERT_GE(records.size(), acknowledged.state_seq)
          << where << ": acknowledged state_seq " << acknowledged.state_seq << " was lost";
      ASSERT_EQ(records[acknowledged.state_seq - 1], acknowledged)
          << where << ": acknowledged state_seq " << acknowledged.state_seq << " changed";
    }
  }
  // And the log goes on (once more if the case's one transient fault, not yet
  // fired, hits this append).
  ASSERT_TRUE(EnsureStateDir(disk)) << where;
  Status appended;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Wal> wal;
    const Status reopened = OpenWal(disk, wal);
    ASSERT_TRUE(reopened.ok()) << where << ": " << reopened.ToString();
    ASSERT_EQ(wal->last_seq(), records.size()) << where;
    appended = wal->Append(LifeRecord(9, records.size() + 1));
    if (appended.ok() || !appended.injected()) break;
  }
  ASSERT_TRUE(appended.ok()) << where << ": " << appended.ToString();
}

faults::FaultEntry FaultAtWrite(faults::FaultKind kind, uint64_t nth) {
  faults::Trigger trigger{.on = kind == faults::FaultKind::kSyncFailure ? faults::TriggerOn::kSync
                                                                        : faults::TriggerOn::kWrite,
                          .nth = nth,
                          .path_glob = "/state/wal/*"};
  return {trigger, faults::Fault{.kind = kind}};
}

void SweepWal(CrashKind first, CrashKind second, const std::vector<faults::FaultEntry>& faults,
              size_t crash_points_min) {
  const std::string what = "WAL " + faults::CrashKindName(first) + ", " +
                           faults::CrashKindName(second) +
                           (faults.empty() ? ""
                                           : ", " + faults::FaultKindName(faults[0].fault.kind) +
                                                 " at " + std::to_string(faults[0].trigger.nth));
  for (const auto& model : testing::SweepModels()) {
    for (uint64_t seed : {1u, 2u}) {
      const auto stats = testing::SweepTwoCrashes<Life>(model, seed, first, second, RunLife,
                                                        CheckTwoLives, faults);
      EXPECT_GT(stats.crash_points, crash_points_min);
      if (!faults.empty()) {
        EXPECT_GT(stats.faulted_cases, 0u) << what << " never fired";
      }
      testing::PrintSweep(what.c_str(), stats);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(WalMultiCrashTest, PowerLossThenPowerLossKeepsBothLivesAcknowledgedRecords) {
  SweepWal(CrashKind::kPowerLoss, CrashKind::kPowerLoss, {}, 500);
}

TEST(WalMultiCrashTest, ProcessCrashThenPowerLossKeepsBothLivesAcknowledgedRecords) {
  SweepWal(CrashKind::kProcessCrash, CrashKind::kPowerLoss, {}, 500);
}

TEST(WalMultiCrashTest, PowerLossThenProcessCrashKeepsBothLivesAcknowledgedRecords) {
  SweepWal(CrashKind::kPowerLoss, CrashKind::kProcessCrash, {}, 500);
}

// Two process crashes keep every write that reached the page cache, synced or
// not, so the second life adopts a tail no sync covered and the check demands
// more than acknowledged records: nothing the first life wrote after what the
// second adopted may come back behind the second life's records.
TEST(WalMultiCrashTest, ProcessCrashThenProcessCrashKeepsBothLivesAcknowledgedRecords) {
  SweepWal(CrashKind::kProcessCrash, CrashKind::kProcessCrash, {}, 500);
}

// A full disk or a failed write in either life (the write counts run on
// across the restart), then crashes: the WAL keeps appending at the freed
// seqs, and what the failed write left never comes back.
TEST(WalMultiCrashTest, FailedWritesInEitherLifeLoseNothingAndBlockNothing) {
  for (const faults::FaultKind kind :
       {faults::FaultKind::kShortWrite, faults::FaultKind::kIoError}) {
    for (const uint64_t nth : {2u, 5u, 9u, 14u, 17u}) {
      SweepWal(CrashKind::kPowerLoss, CrashKind::kPowerLoss, {FaultAtWrite(kind, nth)}, 100);
      SweepWal(CrashKind::kProcessCrash, CrashKind::kPowerLoss, {FaultAtWrite(kind, nth)}, 100);
      if (HasFatalFailure()) return;
    }
  }
}

// A failed sync poisons the WAL (Linux may have dropped the dirty pages); the
// life reopens it and goes on.
TEST(WalMultiCrashTest, FailedSyncThenReopenLosesNothingAcknowledged) {
  for (const uint64_t nth : {2u, 6u, 11u, 17u}) {
    SweepWal(CrashKind::kPowerLoss, CrashKind::kPowerLoss,
             {FaultAtWrite(faults::FaultKind::kSyncFailure, nth)}, 100);
    SweepWal(CrashKind::kProcessCrash, CrashKind::kPowerLoss,
             {FaultAtWrite(faults::FaultKind::kSyncFailure, nth)}, 100);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace crashdrill::system
