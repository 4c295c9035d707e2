// WalReader reads segments a chunk at a time. These tests pin down that the
// chunk size never changes what a log reads as: frames straddling chunk
// boundaries, frames larger than a chunk, and damage found past the first
// chunk are read and classified exactly as with one chunk the size of the
// segment.
#include "system/levels/wal_reader.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "system/io/posix_fs.h"
#include "tests/support/temp_dir.h"

namespace crashdrill::system {
namespace {

struct ReadOutcome {
  std::vector<WalRecord> records;
  StatusCode code = StatusCode::kOk;
  int64_t error_offset = -1;
  WalEnd::Kind kind = WalEnd::Kind::kClean;
  uint64_t end_offset = 0;
  Seq last_seq = 0;
  size_t discarded_frames = 0;

  bool operator==(const ReadOutcome&) const = default;
};

ReadOutcome ReadWith(Fs& fs, const std::string& dir, size_t chunk_bytes) {
  WalReader reader(fs, dir, chunk_bytes);
  ReadOutcome out;
  WalEnd end;
  const Status status = reader.Read(0, [&](const WalRecordView& r) {
    out.records.push_back(r.ToRecord());
    return Status::Ok();
  }, end);
  out.code = status.code();
  out.error_offset = status.offset();
  out.kind = end.kind;
  out.end_offset = end.offset;
  out.last_seq = end.last_seq;
  out.discarded_frames = end.discarded_frames;
  return out;
}

// One segment: header, frames (record, batch_first_seq), then zeros up to `size`.
void WriteSegment(Fs& fs, const std::string& dir,
                  const std::vector<std::pair<WalRecord, Seq>>& frames, size_t size,
                  std::vector<size_t>& offsets) {
  ASSERT_TRUE(fs.MakeDir(dir).ok() || *fs.Exists(dir));
  std::vector<std::byte> bytes = WalSegmentHeader(0);
  for (const auto& [record, batch_first] : frames) {
    offsets.push_back(bytes.size());
    AppendWalFrame(record, batch_first, bytes);
  }
  bytes.resize(std::max(size, bytes.size()));
  auto file = fs.Open(JoinPath(dir, WalSegmentName(1)), OpenOptions::CreateTruncate());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, bytes).ok());
}

void Overwrite(Fs& fs, const std::string& path, uint64_t offset, std::byte value) {
  auto file = fs.Open(path, OpenOptions::ReadWrite());
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(offset, ByteSpan(&value, 1)).ok());
}

WalRecord Record(Seq seq, size_t payload_bytes) {
  std::string payload(payload_bytes, '\0');
  for (size_t i = 0; i < payload_bytes; ++i) payload[i] = static_cast<char>('a' + (seq + i) % 26);
  return {RecordType::kFillReceived, seq, static_cast<TimeNs>(seq), std::move(payload)};
}

class WalReaderChunkTest : public ::testing::Test {
 protected:
  std::string Segment() const { return JoinPath(dir_, WalSegmentName(1)); }

  testing::TempDir temp_;
  const std::string dir_ = temp_.Join("wal");
  PosixFs fs_;
};

TEST_F(WalReaderChunkTest, FramesAcrossAndLargerThanChunksReadBackWhole) {
  std::vector<std::pair<WalRecord, Seq>> frames;
  Seq seq = 0;
  for (int i = 0; i < 3000; ++i, ++seq) frames.push_back({Record(seq + 1, 100 + i % 700), seq + 1});
  ++seq;
  frames.push_back({Record(seq, 3 << 20), seq});  // larger than a 1 MiB chunk
  for (int i = 0; i < 100; ++i, ++seq) frames.push_back({Record(seq + 1, 5000), seq + 1});
  std::vector<size_t> offsets;
  WriteSegment(fs_, dir_, frames, 8 << 20, offsets);
  ASSERT_GT(offsets.back(), 4u << 20) << "the log must span several default chunks";

  const ReadOutcome whole = ReadWith(fs_, dir_, 16 << 20);
  ASSERT_EQ(whole.code, StatusCode::kOk);
  ASSERT_EQ(whole.records.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) ASSERT_EQ(whole.records[i], frames[i].first) << i;
  EXPECT_EQ(whole.kind, WalEnd::Kind::kClean);
  EXPECT_EQ(whole.last_seq, seq);
  for (size_t chunk : {size_t{40}, size_t{4096}, size_t{65536}, WalReader::kDefaultChunkBytes}) {
    EXPECT_EQ(ReadWith(fs_, dir_, chunk), whole) << "chunk " << chunk;
  }
}

TEST_F(WalReaderChunkTest, DamagePastTheFirstChunkIsClassifiedAsWithOneChunk) {
  std::vector<std::pair<WalRecord, Seq>> frames;
  for (Seq seq = 1; seq <= 4000; ++seq) frames.push_back({Record(seq, 600), seq});
  std::vector<size_t> offsets;
  WriteSegment(fs_, dir_, frames, 4 << 20, offsets);
  ASSERT_GT(offsets[3000], WalReader::kDefaultChunkBytes);

  // A bad durable frame followed by later batches: corruption at its offset.
  Overwrite(fs_, Segment(), offsets[3000] + kWalFrameHeaderBytes + 7, std::byte{0xee});
  ReadOutcome corrupt = ReadWith(fs_, dir_, WalReader::kDefaultChunkBytes);
  EXPECT_EQ(corrupt.code, StatusCode::kCorruption);
  EXPECT_EQ(corrupt.error_offset, static_cast<int64_t>(offsets[3000]));
  EXPECT_EQ(corrupt.records.size(), 3000u);
  EXPECT_EQ(corrupt, ReadWith(fs_, dir_, 16 << 20));
}

TEST_F(WalReaderChunkTest, TornLastBatchPastTheFirstChunkIsATornTail) {
  std::vector<std::pair<WalRecord, Seq>> frames;
  for (Seq seq = 1; seq <= 3000; ++seq) frames.push_back({Record(seq, 600), seq});
  for (Seq seq = 3001; seq <= 3010; ++seq) frames.push_back({Record(seq, 600), 3001});
  std::vector<size_t> offsets;
  WriteSegment(fs_, dir_, frames, 4 << 20, offsets);
  Overwrite(fs_, Segment(), offsets[3002] + 20, std::byte{0x5a});
  const ReadOutcome torn = ReadWith(fs_, dir_, WalReader::kDefaultChunkBytes);
  EXPECT_EQ(torn.code, StatusCode::kOk);
  EXPECT_EQ(torn.kind, WalEnd::Kind::kTornTail);
  EXPECT_EQ(torn.records.size(), 3002u);
  EXPECT_EQ(torn.end_offset, offsets[3002]);
  EXPECT_EQ(torn.discarded_frames, 7u);
  EXPECT_EQ(torn, ReadWith(fs_, dir_, 16 << 20));
}

// Random logs, random batches, random damage (a flipped byte, a zeroed run, a
// cut-off end): every chunk size reads exactly what one whole-segment read does.
RC_GTEST_PROP(WalReaderChunkProperty, ChunkSizeNeverChangesWhatALogReadsAs, ()) {
  const auto count = *rc::gen::inRange<int>(1, 60);
  std::vector<std::pair<WalRecord, Seq>> frames;
  Seq batch_first = 1;
  for (Seq seq = 1; seq <= static_cast<Seq>(count); ++seq) {
    if (*rc::gen::inRange(0, 3) == 0) batch_first = seq;
    frames.push_back({Record(seq, *rc::gen::inRange<size_t>(0, 3000)), batch_first});
  }
  testing::TempDir temp;
  PosixFs fs;
  const std::string dir = temp.Join("wal");
  std::vector<size_t> offsets;
  WriteSegment(fs, dir, frames, 0, offsets);
  const std::string path = JoinPath(dir, WalSegmentName(1));
  auto size = ReadWholeFile(fs, path)->size();
  const int damage = *rc::gen::inRange(0, 4);
  if (damage == 1) {
    Overwrite(fs, path, *rc::gen::inRange<size_t>(0, size), std::byte{0xa5});
  } else if (damage == 2) {
    const size_t at = *rc::gen::inRange<size_t>(0, size);
    for (size_t i = at; i < std::min(size, at + 64); ++i) Overwrite(fs, path, i, std::byte{0});
  } else if (damage == 3) {
    auto file = fs.Open(path, OpenOptions::ReadWrite());
    RC_ASSERT((*file)->Truncate(*rc::gen::inRange<size_t>(0, size)).ok());
  }
  RC_TAG(damage);
  const ReadOutcome whole = ReadWith(fs, dir, 64 << 20);
  RC_TAG(whole.code == StatusCode::kOk ? (whole.kind == WalEnd::Kind::kTornTail ? "torn" : "clean")
                                       : "corruption");
  for (size_t chunk : {size_t{8}, size_t{40}, size_t{1000}, size_t{4096}}) {
    RC_ASSERT(ReadWith(fs, dir, chunk) == whole);
  }
}

}  // namespace
}  // namespace crashdrill::system
