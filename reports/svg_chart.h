// Charts as inline SVG for the HTML report: drawn here, so the report is one
// file that needs no script and no network to show them, prints sharply and
// reads the same in every browser. Every chart is an <svg role="img"> with a
// <title> and a <desc> that say in words what it shows; every drawn datum
// (a step, a bar, a point) has class "mark" and a <title> with its value.
// Colours are the Okabe-Ito palette, which readers with the common colour
// vision deficiencies can tell apart; nothing is told by colour alone.
#pragma once

#include <string>
#include <vector>

namespace crashdrill::reports {

// Text for HTML, SVG and XML: & < > " ' escaped, and every control
// character but tab, newline and return (which XML 1.0 does not allow)
// replaced by '?'.
std::string HtmlEscape(const std::string& text);

// "0.42", "12.3", "1250": milliseconds with the precision their size needs.
std::string FormatMs(double ms);

// The i-th colour of the palette (wraps around).
const char* PaletteColour(size_t i);

struct ChartText {
  std::string id;     // unique in the page: the chart's element ids start with it
  std::string title;  // what the chart is
  std::string desc;   // what it shows, in words (the text alternative)
};

// The empirical distribution of `sorted_ms` (ascending): the share of
// samples at or below each value, with the target drawn as a dashed line (or,
// when it is more than 4x the largest sample, as a dashed arrow at the edge
// saying it is off the scale) and p50/p95/p99 marked.
// REQUIRES: !sorted_ms.empty().
std::string EcdfSvg(const ChartText& text, const std::vector<double>& sorted_ms, double target_ms);

// Horizontal bars, one per row, each split into segments (one value per
// segment name, stacked left to right), with a legend of the segment names.
struct BarRow {
  std::string label;
  std::vector<double> values;  // one per segment name
};
std::string StackedBarsSvg(const ChartText& text, const std::vector<std::string>& segments,
                           const std::vector<BarRow>& rows, const std::string& unit);

// Horizontal bars, one per row, each against its own target (a dashed tick
// across the row); a bar past its target is drawn in the warning colour and
// labelled "over target", a row without a value is labelled with `missing`.
struct TargetBar {
  std::string label;
  bool has_value = true;
  double value = 0;
  double target = 0;  // <= 0: none
};
std::string TargetBarsSvg(const ChartText& text, const std::vector<TargetBar>& rows,
                          const std::string& unit, const std::string& missing);

// One value per night, joined by a line; `flagged` nights (a regression) are
// drawn as red diamonds with a label, the `current` night is circled (none
// when `current` is not an index of `points`).
struct TrendPoint {
  std::string label;  // the night
  double value = 0;
  bool flagged = false;
};
std::string TrendSvg(const ChartText& text, const std::vector<TrendPoint>& points, size_t current,
                     const std::string& unit);

// A small line of one value per night, for a table cell.
std::string SparklineSvg(const ChartText& text, const std::vector<TrendPoint>& points,
                         size_t current);

}  // namespace crashdrill::reports
