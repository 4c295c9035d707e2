#include "system/state/trading_image.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "system/state/validation.h"
#include "tests/support/state_generators.h"
#include "tests/support/update_generators.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

Result<TradingState> Decode(const TradingImage& image) {
  return DecodeTradingImage(image.bytes(), "image", 0);
}

RC_GTEST_PROP(TradingImageProperty, ResetDecodesToTheState, ()) {
  const TradingState state = *testing::GenAnyTradingState();
  TradingImage image;
  image.Reset(state);
  auto decoded = Decode(image);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == state);
  RC_ASSERT(image.free_bytes() == 0u);
}

// The L1 path: updates applied as the checkpointer applies them, the image
// refreshed from what they changed every few updates. The image must decode
// to the state every time, through slack reuse, removals, the fill window
// and compaction (a small threshold here so compaction happens).
RC_GTEST_PROP(TradingImageProperty, RefreshedImageAlwaysDecodesToTheState, ()) {
  // From nothing, removals soon outweigh what is live, so compaction happens.
  EngineState state = *rc::gen::arbitrary<bool>() ? EngineState{} : *testing::GenValidEngineState();
  TradingImage image(/*compact_after_free_bytes=*/512);
  image.Reset(state.trading);
  const int steps = *rc::gen::inRange(1, 300);
  const int every = *rc::gen::inRange(1, 8);
  TradingChanges changes;
  size_t refreshes = 0;
  for (int i = 0; i < steps; ++i) {
    const StateUpdate update = *testing::GenNextUpdate(state, 1000 + i);
    RC_ASSERT(ApplyStateUpdate(state, update, state.trading.state_seq + 1, i, &changes).ok());
    if (i % every != 0 && i + 1 != steps) continue;
    image.Refresh(state.trading, changes);
    changes = {};
    ++refreshes;
    auto decoded = Decode(image);
    RC_ASSERT(decoded.ok());
    RC_ASSERT(*decoded == state.trading);
  }
  RC_ASSERT(image.Verify(state.trading).ok());
  RC_CLASSIFY(image.compactions() > 0, "compacted");
  RC_CLASSIFY(image.free_bytes() > 0, "with free space");
  RC_CLASSIFY(refreshes > 20, "over 20 refreshes");
}

// A refused update adds nothing to the changes: the image stays right.
TEST(TradingImageTest, RefusedUpdateNamesNoChange) {
  EngineState state;
  TradingChanges changes;
  Status refused = ApplyStateUpdate(state, CancelRequested{"nope"}, 1, 1, &changes);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(changes.empty());
}

TEST(TradingImageTest, FillWindowRotatesAndDecodesInOrder) {
  EngineState state;
  TradingImage image(/*compact_after_free_bytes=*/4096);
  image.Reset(state.trading);
  Seq exchange_seq = 0;
  for (int i = 0; i < 4 * static_cast<int>(TradingState::kRecentFillsMax) + 7; ++i) {
    TradingChanges changes;
    Order order{.client_order_id = "o" + std::to_string(i), .symbol = "SYM",
                .venue = "SIMX", .price_ticks = 100, .quantity_lots = 1};
    ASSERT_TRUE(ApplyStateUpdate(state, OrderSubmitted{order}, state.state_seq() + 1, i,
                                 &changes).ok());
    Fill fill{.exchange_seq = ++exchange_seq, .trade_id = exchange_seq,
              .client_order_id = order.client_order_id, .symbol = "SYM", .price_ticks = 100,
              .quantity_lots = 1};
    ASSERT_TRUE(ApplyStateUpdate(state, FillReceived{fill, "USD"}, state.state_seq() + 1, i,
                                 &changes).ok());
    image.Refresh(state.trading, changes);
  }
  auto decoded = Decode(image);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->recent_fills.size(), TradingState::kRecentFillsMax);
  EXPECT_EQ(*decoded, state.trading);
  EXPECT_GT(image.compactions(), 0u) << "removed orders and dropped fills leave free space";
}

// A change the bookkeeping does not name is a bug; Verify must catch it.
TEST(TradingImageTest, VerifyNamesAChangeTheChangesMissed) {
  EngineState state = testing::GoldenState();
  TradingImage image;
  image.Reset(state.trading);
  ASSERT_FALSE(state.trading.open_orders.empty());
  const std::string id = state.trading.open_orders.begin()->first;
  ASSERT_TRUE(ApplyStateUpdate(state, CancelRequested{id}, state.state_seq() + 1, 1).ok());
  image.Refresh(state.trading, TradingChanges{});  // the change was not collected
  Status status = image.Verify(state.trading);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("open_orders"), std::string::npos) << status.ToString();
}

TEST(TradingImageTest, DecoderNamesTheRecordThatIsWrong) {
  TradingImage image;
  image.Reset(testing::GoldenState().trading);
  std::vector<std::byte> bytes(image.bytes().begin(), image.bytes().end());
  // The first record after the 8-byte image header is the scalars record.
  bytes[8 + 4] = std::byte{99};
  auto decoded = DecodeTradingImage(bytes, "l1", 4120);
  ASSERT_TRUE(decoded.status().IsCorruption());
  EXPECT_EQ(decoded.status().offset(), 4120 + 8);
  EXPECT_EQ(decoded.status().field(), "image.record.tag");

  bytes.assign(image.bytes().begin(), image.bytes().end());
  bytes[8 + 3] = std::byte{0x7f};  // the scalars record's length runs past the image
  decoded = DecodeTradingImage(bytes, "l1", 0);
  ASSERT_TRUE(decoded.status().IsCorruption());
  EXPECT_EQ(decoded.status().field(), "image.record.scalars");
}

TEST(TradingImageTest, RecordsThatAppearTwiceAreCorruption) {
  TradingImage image;
  image.Reset(testing::GoldenState().trading);
  // Every record again after the image: the scalars are the first repeated.
  std::vector<std::byte> bytes(image.bytes().begin(), image.bytes().end());
  bytes.insert(bytes.end(), image.bytes().begin() + 8, image.bytes().end());
  auto decoded = DecodeTradingImage(bytes, "l1", 0);
  ASSERT_TRUE(decoded.status().IsCorruption()) << decoded.status().ToString();
  EXPECT_NE(decoded.status().message().find("duplicate"), std::string::npos);
  EXPECT_EQ(decoded.status().offset(), static_cast<int64_t>(image.bytes().size()));
}

// Arbitrary damage never crashes the decoder and never reads past the image
// (run under ASan in the sanitizer tree): each result is a state or corruption.
RC_GTEST_PROP(TradingImageProperty, DecoderSurvivesAnyDamage, ()) {
  TradingImage image;
  image.Reset(*testing::GenAnyTradingState());
  std::vector<std::byte> bytes(image.bytes().begin(), image.bytes().end());
  const int damages = *rc::gen::inRange(1, 6);
  for (int i = 0; i < damages; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = static_cast<std::byte>(*rc::gen::inRange(0, 256));
  }
  if (*rc::gen::arbitrary<bool>()) bytes.resize(*rc::gen::inRange<size_t>(0, bytes.size() + 1));
  auto decoded = DecodeTradingImage(bytes, "image", 0);
  RC_ASSERT(decoded.ok() || decoded.status().IsCorruption());
  RC_CLASSIFY(decoded.ok(), "still decodes");
}

}  // namespace
}  // namespace crashdrill::system
