// What `crashdrill chaos` shows while it runs. Everything goes to one stream
// (stderr: stdout stays free for whatever a caller pipes), and the run's seed
// is printed before it. On a terminal one line is redrawn in place (cases,
// crashes, violations, cases/s, time left when a case count or --minutes
// makes it knowable); elsewhere (a CI log) a plain status line every period.
// Colour only on a terminal and only while NO_COLOR is unset or empty
// (no-color.org). Time comes from the caller, so a test needs no clock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace crashdrill::scenarios {

struct ProgressFigures {
  uint64_t cases = 0;
  uint64_t crashes = 0;
  uint64_t violations = 0;
  double elapsed_s = 0;
};

// What is known of where the run ends: at most one of them is set.
struct ProgressPlan {
  uint64_t total_cases = 0;  // the cases this shard runs; 0: not known
  double budget_s = 0;       // --minutes in seconds; 0: none
};

struct ProgressStyle {
  bool terminal = false;
  bool colour = false;
  double status_period_s = 10;   // the plain status line, when not a terminal
  double redraw_period_s = 0.2;  // the terminal line, at most this often
};

// The style for a stream that is (or is not) a terminal, given NO_COLOR's
// value (nullptr when unset).
ProgressStyle StyleFor(bool terminal, const char* no_color);

// Seconds until the run ends, when the plan makes it knowable.
std::optional<double> SecondsLeft(const ProgressFigures& figures, const ProgressPlan& plan);

// "42s", "3m05s", "1h02m".
std::string FormatDuration(double seconds);

// "120 cases, 1203 crashes, 0 violations, 45.2 cases/s, 3m05s left"; with
// `colour`, a violation count above 0 is red.
std::string FormatProgress(const ProgressFigures& figures, const ProgressPlan& plan, bool colour);

class ChaosProgress {
 public:
  // REQUIRES: `out` outlives this.
  ChaosProgress(std::FILE* out, ProgressStyle style, ProgressPlan plan);

  // After every case: redraws the terminal line, or prints a status line
  // when a period has passed since the last one.
  void Update(const ProgressFigures& figures);
  // A violation with the line that replays it (the terminal line is cleared first).
  void Violation(const std::string& property, const std::string& scenario,
                 const std::string& detail, const std::string& repro);
  // The closing line: what ran and whether everything held.
  void Finish(const ProgressFigures& figures);
  // Clears the terminal line, so that what follows starts on a clean line.
  void EndLine();

 private:
  std::FILE* out_;
  ProgressStyle style_;
  ProgressPlan plan_;
  double last_shown_s_ = 0;
  bool line_shown_ = false;  // a terminal line is on screen, not ended
};

}  // namespace crashdrill::scenarios
