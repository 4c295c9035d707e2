// What `crashdrill chaos` shows while it runs, driven with made-up times (no
// waiting): a status line per period off a terminal, one line redrawn in place
// on a terminal, colour only on a terminal without NO_COLOR, violations with
// their replay line, the time left when it is knowable.
#include "scenarios/cli/chaos_progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace crashdrill::scenarios {
namespace {

// What a ChaosProgress printed, through a memory stream.
class Printed {
 public:
  Printed() : stream_(open_memstream(&buffer_, &size_)) {}
  ~Printed() {
    std::fclose(stream_);
    std::free(buffer_);
  }
  std::FILE* stream() { return stream_; }
  std::string text() {
    std::fflush(stream_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  std::FILE* stream_;
};

ProgressFigures At(double elapsed_s, uint64_t cases, uint64_t violations = 0) {
  return {.cases = cases, .crashes = cases * 10, .violations = violations, .elapsed_s = elapsed_s};
}

TEST(ChaosProgressTest, ColourOnlyOnATerminalWithoutNoColor) {
  EXPECT_TRUE(StyleFor(true, nullptr).colour);
  EXPECT_TRUE(StyleFor(true, "").colour);  // set but empty: no-color.org says ignore it
  EXPECT_FALSE(StyleFor(true, "1").colour);
  EXPECT_FALSE(StyleFor(false, nullptr).colour);
  EXPECT_TRUE(StyleFor(true, "1").terminal);
  EXPECT_FALSE(StyleFor(false, nullptr).terminal);
}

TEST(ChaosProgressTest, TimeLeftFromACaseCountOrATimeBudget) {
  EXPECT_EQ(SecondsLeft(At(20, 40), {.total_cases = 100}), 30.0);  // 2 cases/s, 60 to go
  EXPECT_EQ(SecondsLeft(At(20, 40), {.budget_s = 60}), 40.0);
  EXPECT_EQ(SecondsLeft(At(70, 40), {.budget_s = 60}), 0.0);
  EXPECT_EQ(SecondsLeft(At(20, 40), {}), std::nullopt);
  EXPECT_EQ(SecondsLeft(At(0, 0), {.total_cases = 100}), std::nullopt);
}

TEST(ChaosProgressTest, DurationsReadAsHoursMinutesSeconds) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(42.4), "42s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
}

TEST(ChaosProgressTest, TheProgressNamesCasesCrashesViolationsRateAndTimeLeft) {
  EXPECT_EQ(FormatProgress(At(20, 40, 1), {.total_cases = 100}, false),
            "40 cases, 400 crashes, 1 violation, 2.0 cases/s, 30s left");
  EXPECT_EQ(FormatProgress(At(20, 40), {}, false),
            "40 cases, 400 crashes, 0 violations, 2.0 cases/s");
  EXPECT_EQ(FormatProgress(At(20, 40, 3), {}, true),
            "40 cases, 400 crashes, \x1b[31m3 violations\x1b[0m, 2.0 cases/s");
}

TEST(ChaosProgressTest, OffATerminalAStatusLineEveryPeriod) {
  Printed out;
  ChaosProgress progress(out.stream(), StyleFor(false, nullptr), {.budget_s = 60});
  for (int tenth = 1; tenth <= 250; ++tenth) progress.Update(At(tenth / 10.0, tenth / 2));
  EXPECT_EQ(out.text(),
            "chaos: 50 cases, 500 crashes, 0 violations, 5.0 cases/s, 50s left, 10s elapsed\n"
            "chaos: 100 cases, 1000 crashes, 0 violations, 5.0 cases/s, 40s left, 20s elapsed\n");
}

TEST(ChaosProgressTest, ThePeriodIsASetting) {
  Printed out;
  ProgressStyle style = StyleFor(false, nullptr);
  style.status_period_s = 1;
  ChaosProgress progress(out.stream(), style, {});
  for (int tenth = 1; tenth <= 30; ++tenth) progress.Update(At(tenth / 10.0, tenth));
  const std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
}

TEST(ChaosProgressTest, OnATerminalOneLineRedrawnAndClearedForAViolation) {
  Printed out;
  ChaosProgress progress(out.stream(), StyleFor(true, "1"), {.total_cases = 10});
  progress.Update(At(0.1, 1));  // within the redraw period: nothing yet
  progress.Update(At(1, 2));
  progress.Violation("P2", "mixed", "an acknowledged fill is lost", "mixed@42");
  progress.Update(At(2, 4));
  progress.Finish(At(5, 10, 1));
  EXPECT_EQ(out.text(),
            "\rchaos: 2 cases, 20 crashes, 0 violations, 2.0 cases/s, 4s left\x1b[K"
            "\r\x1b[K"
            "VIOLATION P2 in mixed: an acknowledged fill is lost\n"
            "  crashdrill replay mixed@42\n"
            "\rchaos: 4 cases, 40 crashes, 0 violations, 2.0 cases/s, 3s left\x1b[K"
            "\r\x1b[K"
            "chaos: FAILED: 10 cases, 100 crashes, 1 violation in 5.0 s\n");
}

TEST(ChaosProgressTest, ColourMarksViolationsAndTheVerdict) {
  Printed out;
  ChaosProgress progress(out.stream(), StyleFor(true, nullptr), {});
  progress.Violation("P5", "bit-rot", "a corrupted copy was the base", "bit-rot@7");
  progress.Finish(At(1, 1, 1));
  EXPECT_EQ(out.text(),
            "\x1b[1;31mVIOLATION\x1b[0m P5 in bit-rot: a corrupted copy was the base\n"
            "  crashdrill replay bit-rot@7\n"
            "chaos: \x1b[1;31mFAILED\x1b[0m: 1 case, 10 crashes, \x1b[31m1 violation\x1b[0m in "
            "1.0 s\n");
}

TEST(ChaosProgressTest, OffATerminalNoControlSequencesAtAll) {
  Printed out;
  ChaosProgress progress(out.stream(), StyleFor(false, nullptr), {});
  progress.Update(At(11, 3, 1));
  progress.Violation("P1", "mixed", "positions differ", "mixed@1");
  progress.Finish(At(12, 4, 1));
  EXPECT_EQ(out.text().find('\x1b'), std::string::npos) << out.text();
  EXPECT_EQ(out.text().find('\r'), std::string::npos) << out.text();
}

}  // namespace
}  // namespace crashdrill::scenarios
