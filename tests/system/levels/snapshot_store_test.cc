#include "system/levels/snapshot_store.h"

#include <gtest/gtest.h>

#include "system/io/posix_fs.h"
#include "system/state/codec.h"
#include "tests/support/temp_dir.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

EngineState StateWithSeq(Seq seq) {
  EngineState state = testing::GoldenState();
  state.trading.state_seq = seq;
  return state;
}

class SnapshotStoreTest : public ::testing::Test {
 protected:
  testing::TempDir temp_;
  const std::string dir_ = temp_.Join("snapshots");
  PosixFs fs_;
};

TEST_F(SnapshotStoreTest, WrittenSnapshotReadsBackByItsSeq) {
  SnapshotStore store(fs_, {.dir = dir_});
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Write(StateWithSeq(77)).ok());
  auto files = store.List();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().state_seq, 77u);
  auto state = store.Read(files->front());
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, StateWithSeq(77));
}

// A rebuild trusts the seq in the name: a file holding another seq is corrupt.
TEST_F(SnapshotStoreTest, SnapshotNamedForAnotherSeqIsCorruption) {
  SnapshotStore store(fs_, {.dir = dir_});
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Write(StateWithSeq(1234)).ok());
  const std::string renamed = JoinPath(dir_, SnapshotStore::FileName(2000));
  ASSERT_TRUE(fs_.Rename(JoinPath(dir_, SnapshotStore::FileName(1234)), renamed).ok());
  auto files = store.List();
  ASSERT_EQ(files->size(), 1u);
  ASSERT_EQ(files->front().state_seq, 2000u);
  auto state = store.Read(files->front());
  ASSERT_TRUE(state.status().IsCorruption()) << state.status().ToString();
  EXPECT_EQ(state.status().path(), renamed);
}

TEST_F(SnapshotStoreTest, RetentionKeepsTheNewest) {
  SnapshotStore store(fs_, {.dir = dir_, .snapshots_kept = 2});
  ASSERT_TRUE(store.Open().ok());
  for (Seq seq = 1; seq <= 4; ++seq) ASSERT_TRUE(store.Write(StateWithSeq(seq)).ok());
  auto files = store.List();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ(files->back().state_seq, 4u);
}

TEST_F(SnapshotStoreTest, AnyFlippedByteIsCorruptionNamingTheFile) {
  const std::vector<std::byte> bytes = EncodeSnapshot(StateWithSeq(5), 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto copy = bytes;
    copy[i] ^= std::byte{0x10};
    auto state = DecodeSnapshot(copy, "snap");
    ASSERT_FALSE(state.ok()) << "byte " << i;
    ASSERT_TRUE(state.status().IsCorruption()) << state.status().ToString();
    ASSERT_EQ(state.status().path(), "snap");
  }
}

TEST_F(SnapshotStoreTest, TruncatedSnapshotIsCorruption) {
  const std::vector<std::byte> bytes = EncodeSnapshot(StateWithSeq(5), 3);
  for (size_t length = 0; length < bytes.size(); length += 7) {
    EXPECT_TRUE(DecodeSnapshot(ByteSpan(bytes).first(length), "snap").status().IsCorruption());
  }
}

TEST_F(SnapshotStoreTest, CompressionShrinksARealisticState) {
  EngineState state = StateWithSeq(1);
  for (int i = 0; i < 1000; ++i) {
    Order order = state.trading.open_orders.begin()->second;
    order.client_order_id = "o-" + std::to_string(1000 + i);
    state.trading.open_orders[order.client_order_id] = order;
  }
  const size_t raw = EncodeEngineState(state).size();
  const size_t compressed = EncodeSnapshot(state, 3).size();
  EXPECT_LT(compressed * 4, raw) << raw << " raw bytes, " << compressed << " compressed";
}

}  // namespace
}  // namespace crashdrill::system
