#include "system/state/migration.h"

#include <cstdlib>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "system/io/clock.h"
#include "system/io/posix_fs.h"
#include "system/state/codec.h"
#include "system/state/validation.h"
#include "tests/support/state_generators.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::system {
namespace {

std::string GoldenPath() {
  const char* root = std::getenv("CRASHDRILL_SOURCE_DIR");
  return JoinPath(root != nullptr ? root : ".", "tests/system/state/golden/engine_state_v1.bin");
}

TEST(MigrationTest, UtcTradingDayOfKnownInstants) {
  EXPECT_EQ(UtcTradingDay(0), 19700101u);
  EXPECT_EQ(UtcTradingDay(1'763'900'001'000'000'000), 20251123u);
  EXPECT_EQ(UtcTradingDay(951'782'400LL * kNanosPerSecond), 20000229u);  // leap day
  EXPECT_EQ(UtcTradingDay(951'782'400LL * kNanosPerSecond - 1), 20000228u);
}

TEST(MigrationTest, GoldenV1FileLoadsThroughTheMigration) {
  PosixFs fs;
  auto bytes = ReadWholeFile(fs, GoldenPath());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto header = ReadDocumentHeader(*bytes, GoldenPath());
  ASSERT_TRUE(header.ok()) << header.status().ToString();
  ASSERT_EQ(header->schema_version, 1) << "the golden file must stay a v1 file";

  auto decoded = DecodeEngineState(*bytes, GoldenPath());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EngineState expected = testing::GoldenState();
  expected.trading.trading_day = 20251123;  // what the v1->v2 migration derives
  EXPECT_EQ(decoded->trading.trading_day, 20251123u);
  EXPECT_EQ(*decoded, expected);
  EXPECT_TRUE(Validate(*decoded, {}, GoldenPath()).ok());
}

TEST(MigrationTest, GoldenV1FileIsStillByteIdenticalToTheV1Encoder) {
  PosixFs fs;
  auto bytes = ReadWholeFile(fs, GoldenPath());
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, EncodeEngineState(testing::GoldenState(), 1));
}

TEST(MigrationTest, NeverUpdatedStateGetsNoTradingDay) {
  TradingState state;
  MigrateTradingStateV1ToV2(state);
  EXPECT_EQ(state.trading_day, 0u);
}

RC_GTEST_PROP(MigrationProperty, V1DocumentsDecodeToTheMigratedState, ()) {
  EngineState state = *testing::GenAnyEngineState();
  auto decoded = DecodeEngineState(EncodeEngineState(state, 1), "v1");
  RC_ASSERT(decoded.ok());
  MigrateTradingStateV1ToV2(state.trading);
  RC_ASSERT(*decoded == state);
}

}  // namespace
}  // namespace crashdrill::system
