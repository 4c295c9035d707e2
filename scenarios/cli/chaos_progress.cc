#include "scenarios/cli/chaos_progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace crashdrill::scenarios {
namespace {

constexpr const char* kRed = "\x1b[31m";
constexpr const char* kBoldRed = "\x1b[1;31m";
constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kClearToEnd = "\x1b[K";  // a control sequence, not a colour

std::string Painted(const std::string& text, const char* colour, bool on) {
  return on ? fmt::format("{}{}{}", colour, text, kReset) : text;
}

// "1 crash", "2 crashes".
std::string Count(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Violations(uint64_t n, bool colour) {
  const std::string text = Count(n, "violation", "violations");
  return n == 0 ? text : Painted(text, kRed, colour);
}

}  // namespace

ProgressStyle StyleFor(bool terminal, const char* no_color) {
  ProgressStyle style;
  style.terminal = terminal;
  style.colour = terminal && (no_color == nullptr || no_color[0] == '\0');
  return style;
}

std::optional<double> SecondsLeft(const ProgressFigures& figures, const ProgressPlan& plan) {
  if (plan.budget_s > 0) return std::max(0.0, plan.budget_s - figures.elapsed_s);
  if (plan.total_cases == 0 || figures.cases == 0 || figures.elapsed_s <= 0) return std::nullopt;
  const uint64_t remaining = plan.total_cases - std::min(plan.total_cases, figures.cases);
  return static_cast<double>(remaining) * figures.elapsed_s / static_cast<double>(figures.cases);
}

std::string FormatDuration(double seconds) {
  const auto s = static_cast<uint64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string FormatProgress(const ProgressFigures& figures, const ProgressPlan& plan, bool colour) {
  const double rate =
      figures.elapsed_s > 0 ? static_cast<double>(figures.cases) / figures.elapsed_s : 0;
  std::string text = fmt::format(
      "{}, {}, {}, {:.1f} cases/s", Count(figures.cases, "case", "cases"),
      Count(figures.crashes, "crash", "crashes"), Violations(figures.violations, colour), rate);
  if (const auto left = SecondsLeft(figures, plan)) text += ", " + FormatDuration(*left) + " left";
  return text;
}

ChaosProgress::ChaosProgress(std::FILE* out, ProgressStyle style, ProgressPlan plan)
    : out_(out), style_(style), plan_(plan) {}

void ChaosProgress::Update(const ProgressFigures& figures) {
  const double period = style_.terminal ? style_.redraw_period_s : style_.status_period_s;
  if (figures.elapsed_s - last_shown_s_ < period) return;
  last_shown_s_ = figures.elapsed_s;
  const std::string text = FormatProgress(figures, plan_, style_.colour);
  if (style_.terminal) {
    std::fprintf(out_, "\rchaos: %s%s", text.c_str(), kClearToEnd);
    line_shown_ = true;
  } else {
    std::fprintf(out_, "chaos: %s, %s elapsed\n", text.c_str(),
                 FormatDuration(figures.elapsed_s).c_str());
  }
  std::fflush(out_);
}

void ChaosProgress::Violation(const std::string& property, const std::string& scenario,
                              const std::string& detail, const std::string& repro) {
  EndLine();
  std::fprintf(out_, "%s %s in %s: %s\n  crashdrill replay %s\n",
               Painted("VIOLATION", kBoldRed, style_.colour).c_str(), property.c_str(),
               scenario.c_str(), detail.c_str(), repro.c_str());
  std::fflush(out_);
}

void ChaosProgress::Finish(const ProgressFigures& figures) {
  EndLine();
  const std::string verdict = figures.violations == 0 ? Painted("held", kGreen, style_.colour)
                                                      : Painted("FAILED", kBoldRed, style_.colour);
  std::fprintf(out_, "chaos: %s: %s, %s, %s in %.1f s\n", verdict.c_str(),
               Count(figures.cases, "case", "cases").c_str(),
               Count(figures.crashes, "crash", "crashes").c_str(),
               Violations(figures.violations, style_.colour).c_str(), figures.elapsed_s);
  std::fflush(out_);
}

void ChaosProgress::EndLine() {
  if (!line_shown_) return;
  std::fprintf(out_, "\r%s", kClearToEnd);
  line_shown_ = false;
}

}  // namespace crashdrill::scenarios
