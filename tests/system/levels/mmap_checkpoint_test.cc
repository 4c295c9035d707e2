#include "system/levels/mmap_checkpoint.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>

#include "system/io/posix_fs.h"
#include "system/state/codec.h"
#include "tests/support/temp_dir.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

class MmapCheckpointTest : public ::testing::Test {
 protected:
  static TradingState StateWithSeq(Seq seq) {
    TradingState state = testing::GoldenState().trading;
    state.state_seq = seq;
    return state;
  }
  // Overwrites one byte of the file through a separate handle.
  void Scribble(uint64_t offset) {
    auto file = fs_.Open(path_, OpenOptions::ReadWrite());
    ASSERT_TRUE(file.ok());
    std::byte value{};
    ASSERT_TRUE((*file)->ReadAt(offset, MutableByteSpan(&value, 1)).ok());
    value ^= std::byte{0xff};
    ASSERT_TRUE((*file)->WriteAt(offset, ByteSpan(&value, 1)).ok());
  }
  MmapCheckpointOptions Options() const { return {.path = path_, .slot_bytes = 8192}; }

  testing::TempDir temp_;
  const std::string path_ = temp_.Join("l1");
  PosixFs fs_;
};

TEST_F(MmapCheckpointTest, NewestWriteWins) {
  MmapCheckpoint l1(fs_, Options());
  ASSERT_TRUE(l1.Open().ok());
  EXPECT_TRUE(l1.ReadNewest().status().IsNotFound());
  for (Seq seq = 1; seq <= 5; ++seq) ASSERT_TRUE(l1.Write(StateWithSeq(seq)).ok());
  auto newest = l1.ReadNewest();
  ASSERT_TRUE(newest.ok()) << newest.status().ToString();
  EXPECT_EQ(*newest, StateWithSeq(5));
  const auto slots = l1.ReadSlots();
  EXPECT_EQ(slots[0].state_seq, 5u);  // writes alternate: 1,3,5 in slot 0
  EXPECT_EQ(slots[1].state_seq, 4u);
}

TEST_F(MmapCheckpointTest, TornNewestSlotFallsBackToTheOther) {
  MmapCheckpoint l1(fs_, Options());
  ASSERT_TRUE(l1.Open().ok());
  ASSERT_TRUE(l1.Write(StateWithSeq(1)).ok());  // slot 0
  ASSERT_TRUE(l1.Write(StateWithSeq(2)).ok());  // slot 1
  Scribble(MmapCheckpoint::kFileHeaderBytes + 8192 + 200);  // inside slot 1's document
  const auto slots = l1.ReadSlots();
  EXPECT_TRUE(slots[1].state.status().IsCorruption());
  EXPECT_NE(slots[1].state.status().field().find("slot1"), std::string::npos);
  // The error is stated in terms of the L1 file: its path and an offset in slot 1.
  EXPECT_EQ(slots[1].state.status().path(), path_);
  EXPECT_GE(slots[1].state.status().offset(),
            static_cast<int64_t>(MmapCheckpoint::kFileHeaderBytes + 8192));
  EXPECT_LT(slots[1].state.status().offset(),
            static_cast<int64_t>(MmapCheckpoint::kFileHeaderBytes + 2 * 8192));
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(1));
}

TEST_F(MmapCheckpointTest, OutgrowingWriteLeavesTheNewestCopyAndL1KeepsWorking) {
  MmapCheckpoint l1(fs_, Options());
  ASSERT_TRUE(l1.Open().ok());
  ASSERT_TRUE(l1.Write(StateWithSeq(1)).ok());
  ASSERT_TRUE(l1.Write(StateWithSeq(2)).ok());
  TradingState big = StateWithSeq(3);
  big.risk.halt_reason = std::string(10000, 'x');
  Status status = l1.Write(big);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(2));
  ASSERT_TRUE(l1.Write(StateWithSeq(4)).ok());
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(4));
  EXPECT_EQ(l1.ReadSlots()[1].state_seq, 2u) << "the failed write must not move to the newest slot";
}

TEST_F(MmapCheckpointTest, ReopenKeepsStateAndWritesOverTheOlderSlot) {
  {
    MmapCheckpoint l1(fs_, Options());
    ASSERT_TRUE(l1.Open().ok());
    ASSERT_TRUE(l1.Write(StateWithSeq(7)).ok());  // slot 0
  }
  MmapCheckpoint l1(fs_, Options());
  ASSERT_TRUE(l1.Open().ok());
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(7));
  ASSERT_TRUE(l1.Write(StateWithSeq(8)).ok());
  EXPECT_EQ(l1.ReadSlots()[0].state_seq, 7u) << "the newest valid slot must not be overwritten";
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(8));
}

TEST_F(MmapCheckpointTest, StateThatOutgrowsTheSlotIsAnErrorNotATruncation) {
  MmapCheckpoint l1(fs_, {.path = path_, .slot_bytes = 256});
  ASSERT_TRUE(l1.Open().ok());
  Status status = l1.Write(StateWithSeq(1));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("outgrows"), std::string::npos) << status.ToString();
  EXPECT_TRUE(l1.ReadSlots()[0].empty);
}

TEST_F(MmapCheckpointTest, CorruptFileHeaderIsReportedAndTheFileKept) {
  {
    MmapCheckpoint l1(fs_, Options());
    ASSERT_TRUE(l1.Open().ok());
  }
  Scribble(2);
  MmapCheckpoint l1(fs_, Options());
  Status status = l1.Open();
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  EXPECT_EQ(status.path(), path_);
  EXPECT_TRUE(*fs_.Exists(path_));
}

TEST_F(MmapCheckpointTest, DifferentSlotSizeIsRefused) {
  {
    MmapCheckpoint l1(fs_, Options());
    ASSERT_TRUE(l1.Open().ok());
  }
  MmapCheckpoint l1(fs_, {.path = path_, .slot_bytes = 16384});
  Status status = l1.Open();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
}

TEST_F(MmapCheckpointTest, OtherFormatVersionIsRefusedNamingTheVersionAndTheFileKept) {
  {
    MmapCheckpoint l1(fs_, Options());
    ASSERT_TRUE(l1.Open().ok());
    ASSERT_TRUE(l1.Write(StateWithSeq(1)).ok());
  }
  // Rewrite the header as format version 1, with a valid header checksum.
  auto file = fs_.Open(path_, OpenOptions::ReadWrite());
  ASSERT_TRUE(file.ok());
  std::vector<std::byte> header(24);
  ASSERT_TRUE((*file)->ReadAt(0, header).ok());
  header[4] = std::byte{1};
  const uint64_t sum = Checksum64(ByteSpan(header).first(16));
  for (int i = 0; i < 8; ++i) header[16 + i] = static_cast<std::byte>(sum >> (8 * i));
  ASSERT_TRUE((*file)->WriteAt(0, header).ok());
  MmapCheckpoint l1(fs_, Options());
  Status status = l1.Open();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_NE(status.message().find("header.version"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find("version 1"), std::string::npos) << status.ToString();
  auto bytes = ReadWholeFile(fs_, path_);
  ASSERT_TRUE(bytes.ok());
  ASSERT_GE(bytes->size(), header.size());
  EXPECT_TRUE(std::equal(header.begin(), header.end(), bytes->begin())) << "the file is kept";
}

TEST_F(MmapCheckpointTest, IncrementalWritesReadBackAsTheState) {
  EngineState engine = testing::GoldenState();
  MmapCheckpoint l1(fs_, {.path = path_, .slot_bytes = 16384, .verify_every = 1});
  ASSERT_TRUE(l1.Open().ok());
  ASSERT_TRUE(l1.Write(engine.trading).ok());
  const std::string id = engine.trading.open_orders.begin()->first;
  TradingChanges changes;
  ASSERT_TRUE(ApplyStateUpdate(engine, CancelRequested{id}, engine.state_seq() + 1, 5, &changes).ok());
  ASSERT_TRUE(ApplyStateUpdate(engine, CancelAcknowledged{id, engine.trading.last_exchange_seq + 1},
                               engine.state_seq() + 1, 6, &changes).ok());
  Status written = l1.Write(engine.trading, changes);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(*l1.ReadNewest(), engine.trading);
  MmapCheckpoint reopened(fs_, {.path = path_, .slot_bytes = 16384});
  ASSERT_TRUE(reopened.Open().ok());
  EXPECT_EQ(*reopened.ReadNewest(), engine.trading);
  // A new object has no image yet: its first incremental write encodes everything.
  ASSERT_TRUE(ApplyStateUpdate(engine, RiskHalted{"test"}, engine.state_seq() + 1, 7).ok());
  ASSERT_TRUE(reopened.Write(engine.trading, TradingChanges{}).ok());
  EXPECT_EQ(*reopened.ReadNewest(), engine.trading);
}

TEST_F(MmapCheckpointTest, MissedChangeIsReportedAndTheSlotStillHoldsTheState) {
  EngineState engine = testing::GoldenState();
  MmapCheckpoint l1(fs_, {.path = path_, .slot_bytes = 16384, .verify_every = 1});
  ASSERT_TRUE(l1.Open().ok());
  ASSERT_TRUE(l1.Write(engine.trading).ok());
  const std::string id = engine.trading.open_orders.begin()->first;
  ASSERT_TRUE(ApplyStateUpdate(engine, CancelRequested{id}, engine.state_seq() + 1, 5).ok());
  Status written = l1.Write(engine.trading, TradingChanges{});  // the change was not collected
  EXPECT_EQ(written.code(), StatusCode::kInternal) << written.ToString();
  EXPECT_EQ(*l1.ReadNewest(), engine.trading) << "the whole state is written instead";
}

// Records every msync made through the regions it maps, so a test on real
// files can see what a power loss would keep (no real file can lose power).
class MsyncRecordingFs : public FsWrapper {
 public:
  struct Range {
    size_t offset = 0;  // in the file (every L1 map starts at offset 0)
    size_t length = 0;
  };
  using FsWrapper::FsWrapper;
  const std::vector<Range>& msyncs() const { return msyncs_; }

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenOptions options) override {
    CD_ASSIGN_OR_RETURN(std::unique_ptr<File> file, target()->Open(path, options));
    return std::unique_ptr<File>(new RecordingFile(std::move(file), &msyncs_));
  }

 private:
  class RecordingRegion : public MappedRegion {
   public:
    RecordingRegion(std::unique_ptr<MappedRegion> target, uint64_t offset,
                    std::vector<Range>* msyncs)
        : target_(std::move(target)), offset_(offset), msyncs_(msyncs) {}
    MutableByteSpan data() override { return target_->data(); }
    Status Sync(size_t offset, size_t length) override {
      msyncs_->push_back({static_cast<size_t>(offset_) + offset, length});
      return target_->Sync(offset, length);
    }

   private:
    std::unique_ptr<MappedRegion> target_;
    uint64_t offset_;
    std::vector<Range>* msyncs_;
  };
  class RecordingFile : public FileWrapper {
   public:
    RecordingFile(std::unique_ptr<File> target, std::vector<Range>* msyncs)
        : FileWrapper(std::move(target)), msyncs_(msyncs) {}
    Result<std::unique_ptr<MappedRegion>> Map(uint64_t offset, size_t length) override {
      CD_ASSIGN_OR_RETURN(std::unique_ptr<MappedRegion> region, target()->Map(offset, length));
      return std::unique_ptr<MappedRegion>(new RecordingRegion(std::move(region), offset, msyncs_));
    }

   private:
    std::vector<Range>* msyncs_;
  };
  std::vector<Range> msyncs_;
};

// With sync_each_write a Write returns OK only after an msync covering every
// byte the slot now uses: its header and the whole image.
TEST_F(MmapCheckpointTest, SyncEachWriteMsyncsEveryByteOfTheSlotItWrote) {
  MsyncRecordingFs fs(&fs_);
  MmapCheckpoint l1(fs, {.path = path_, .slot_bytes = 8192, .sync_each_write = true});
  ASSERT_TRUE(l1.Open().ok());
  for (Seq seq = 3; seq <= 4; ++seq) {
    const size_t before = fs.msyncs().size();
    ASSERT_TRUE(l1.Write(StateWithSeq(seq)).ok());
    const size_t slot_offset = MmapCheckpoint::kFileHeaderBytes + (seq - 3) * 8192;
    auto file = fs_.Open(path_, OpenOptions::Read());
    ASSERT_TRUE(file.ok());
    std::vector<std::byte> length_field(8);
    ASSERT_TRUE((*file)->ReadAt(slot_offset + 8, length_field).ok());
    uint64_t image_bytes = 0;
    for (int i = 7; i >= 0; --i) {
      image_bytes = image_bytes << 8 | static_cast<uint8_t>(length_field[i]);
    }
    const size_t used_end = slot_offset + MmapCheckpoint::kSlotHeaderBytes + image_bytes;
    ASSERT_GT(image_bytes, 0u);
    const bool covered = std::any_of(
        fs.msyncs().begin() + static_cast<std::ptrdiff_t>(before), fs.msyncs().end(),
        [&](const MsyncRecordingFs::Range& r) {
          return r.offset <= slot_offset && r.offset + r.length >= used_end;
        });
    EXPECT_TRUE(covered) << "write of state_seq " << seq << " did not msync [" << slot_offset
                         << ", " << used_end << ")";
  }
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(4));
}

// Without it a Write is a copy into the map and nothing more: the option is
// what buys the power-loss guarantee, and what costs the msync.
TEST_F(MmapCheckpointTest, WithoutSyncEachWriteAWriteNeverMsyncs) {
  MsyncRecordingFs fs(&fs_);
  MmapCheckpoint l1(fs, {.path = path_, .slot_bytes = 8192});
  ASSERT_TRUE(l1.Open().ok());
  ASSERT_TRUE(l1.Write(StateWithSeq(3)).ok());
  ASSERT_TRUE(l1.Write(StateWithSeq(4)).ok());
  EXPECT_TRUE(fs.msyncs().empty());
  EXPECT_EQ(*l1.ReadNewest(), StateWithSeq(4));
}

// What a crash, or a crash of an earlier build that initialised L1 in place,
// can leave in the file: a short file and sectors that read as zeros.
struct DamagedFile {
  const char* name = "";
  std::optional<uint64_t> size;                       // truncated to this; unset: full size
  std::vector<std::pair<uint64_t, uint64_t>> zeroed;  // [offset, +length) read as zeros
  bool scribbled_header = false;                      // header bytes flipped (not a crash)
  // Expected outcome: Open refuses with this code, or opens finding `found`
  // with this newest state_seq (0: no valid slot).
  std::optional<StatusCode> refused;
  L1Found found = L1Found::kComplete;
  Seq newest = 0;
};

// Runs `body` in a forked child and returns what went wrong there ("" when
// nothing did): a map past the end of a real file is SIGBUS on first touch,
// and that must fail this test, not kill the test process.
std::string RunInChild(const std::function<std::string()>& body) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return std::string("pipe: ") + std::strerror(errno);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return std::string("fork: ") + std::strerror(errno);
  if (pid == 0) {
    close(pipe_fds[0]);
    const std::string problem = body();
    if (!problem.empty()) {
      [[maybe_unused]] const ssize_t written = write(pipe_fds[1], problem.data(), problem.size());
    }
    _exit(problem.empty() ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string problem;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) problem.append(buffer, n);
  close(pipe_fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return std::string("waitpid: ") + std::strerror(errno);
  if (WIFSIGNALED(status)) {
    return "the child was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return problem.empty() ? "the child exited with " + std::to_string(WEXITSTATUS(status))
                           : problem;
  }
  return problem;
}

// Opens the damaged file, reads both slots, and goes on writing; "" when all
// of it went as `c` expects. Runs in the child.
std::string OpenDamagedFile(Fs& fs, const std::string& path, const DamagedFile& c,
                            const std::vector<std::byte>& bytes_before) {
  const MmapCheckpointOptions options{.path = path, .slot_bytes = 8192};
  MmapCheckpoint l1(fs, options);
  const Status opened = l1.Open();
  if (c.refused.has_value()) {
    if (opened.ok() || opened.code() != *c.refused) {
      return "expected a refusal, got " + opened.ToString();
    }
    if (opened.path() != path) return "the refusal does not name the file: " + opened.ToString();
    const auto bytes_after = ReadWholeFile(fs, path);
    if (!bytes_after.ok() || *bytes_after != bytes_before) return "a refused file was changed";
    return "";
  }
  if (!opened.ok()) return "Open refused: " + opened.ToString();
  if (l1.open_report().found != c.found) {
    return "Open found kind " + std::to_string(static_cast<int>(l1.open_report().found)) +
           ", expected " + std::to_string(static_cast<int>(c.found)) +
           "; finding: " + l1.open_report().finding.ToString();
  }
  if (c.found != L1Found::kComplete && l1.open_report().finding.path() != path) {
    return "the finding does not name the file: " + l1.open_report().finding.ToString();
  }
  const auto slots = l1.ReadSlots();  // touches every byte the map holds
  const auto newest = l1.ReadNewest();
  const Seq newest_seq = newest.ok() ? newest->state_seq : 0;
  if (newest_seq != c.newest) {
    return "newest valid slot holds state_seq " + std::to_string(newest_seq) + ", expected " +
           std::to_string(c.newest) + " (" + slots[0].state.status().ToString() + "; " +
           slots[1].state.status().ToString() + ")";
  }
  TradingState expected = testing::GoldenState().trading;
  expected.state_seq = c.newest;
  if (newest.ok() && *newest != expected) return "the newest slot does not read back as written";
  expected.state_seq = 9;
  if (Status written = l1.Write(expected); !written.ok()) return "Write: " + written.ToString();
  MmapCheckpoint reopened(fs, options);
  if (Status again = reopened.Open(); !again.ok()) return "reopen: " + again.ToString();
  if (reopened.open_report().found != L1Found::kComplete) return "the reopen found it unfinished";
  const auto read = reopened.ReadNewest();
  if (!read.ok() || *read != expected) return "the write after Open did not read back";
  return "";
}

// On real files, every damaged file a crash (or an earlier build's crash in
// the middle of initialising L1 in place) can leave either opens with the
// right newest slot, or is refused naming the file, with the file unchanged.
// Never a SIGBUS: Open never maps a file shorter than its layout.
TEST_F(MmapCheckpointTest, DamagedOrShortFileOpensWithItsNewestValidSlotOrIsRefusedNeverSigbus) {
  constexpr uint64_t kSlot0 = MmapCheckpoint::kFileHeaderBytes;
  constexpr uint64_t kSlot1 = MmapCheckpoint::kFileHeaderBytes + 8192;
  constexpr uint64_t kLayout = MmapCheckpoint::kFileHeaderBytes + 2 * 8192;
  using enum L1Found;
  const std::vector<DamagedFile> cases = {
      {.name = "empty", .size = 0, .found = kUnfinished},
      {.name = "one byte", .size = 1, .found = kUnfinished},
      {.name = "header field less one byte", .size = 23, .found = kUnfinished},
      {.name = "header block less one byte", .size = kSlot0 - 1, .found = kUnfinished},
      {.name = "cut in slot 0", .size = kSlot0 + 300, .found = kUnfinished},
      {.name = "cut in slot 1", .size = kSlot1 + 300, .found = kDamagedWithValidSlot, .newest = 1},
      {.name = "one byte short", .size = kLayout - 1, .found = kDamagedWithValidSlot, .newest = 2},
      {.name = "header zeroed", .zeroed = {{0, 512}}, .found = kDamagedWithValidSlot, .newest = 2},
      {.name = "header and slot 1 zeroed",
       .zeroed = {{0, 512}, {kSlot1, 512}},
       .found = kDamagedWithValidSlot,
       .newest = 1},
      {.name = "header and both slots zeroed",
       .zeroed = {{0, 4096}, {kSlot0, 512}, {kSlot1, 512}},
       .found = kUnfinished},
      {.name = "header zeroed, cut in slot 1",
       .size = kSlot1 + 300,
       .zeroed = {{0, 512}},
       .found = kDamagedWithValidSlot,
       .newest = 1},
      {.name = "slot 1 zeroed", .zeroed = {{kSlot1, 512}}, .found = kComplete, .newest = 1},
      {.name = "slot 0 zeroed, one byte short",
       .size = kLayout - 1,
       .zeroed = {{kSlot0, 512}},
       .found = kDamagedWithValidSlot,
       .newest = 2},
      {.name = "header scribbled",
       .scribbled_header = true,
       .found = kDamagedWithValidSlot,
       .newest = 2},
      {.name = "header scribbled, both slots zeroed",
       .zeroed = {{kSlot0, 512}, {kSlot1, 512}},
       .scribbled_header = true,
       .refused = StatusCode::kCorruption},
      {.name = "header scribbled, cut in slot 0",
       .size = kSlot0 + 300,
       .scribbled_header = true,
       .refused = StatusCode::kCorruption},
  };
  for (const DamagedFile& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(std::filesystem::remove(path_) || !std::filesystem::exists(path_));
    {
      MmapCheckpoint l1(fs_, Options());
      ASSERT_TRUE(l1.Open().ok());
      ASSERT_TRUE(l1.Write(StateWithSeq(1)).ok());  // slot 0
      ASSERT_TRUE(l1.Write(StateWithSeq(2)).ok());  // slot 1
    }
    if (c.scribbled_header) Scribble(2);
    {
      auto file = fs_.Open(path_, OpenOptions::ReadWrite());
      ASSERT_TRUE(file.ok());
      for (const auto& [offset, length] : c.zeroed) {
        ASSERT_TRUE((*file)->WriteAt(offset, std::vector<std::byte>(length)).ok());
      }
      if (c.size.has_value()) {
        ASSERT_TRUE((*file)->Truncate(*c.size).ok());
      }
    }
    const auto bytes_before = ReadWholeFile(fs_, path_);
    ASSERT_TRUE(bytes_before.ok());
    const std::string problem =
        RunInChild([&] { return OpenDamagedFile(fs_, path_, c, *bytes_before); });
    EXPECT_EQ(problem, "");
  }
}

}  // namespace
}  // namespace crashdrill::system
