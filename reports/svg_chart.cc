#include "reports/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace crashdrill::reports {
namespace {

constexpr std::array<const char*, 8> kPalette = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                 "#56B4E9", "#D55E00", "#F0E442", "#000000"};
constexpr const char* kAxis = "#555";
constexpr const char* kGrid = "#ddd";
constexpr const char* kFlag = "#D55E00";
constexpr const char* kFont = "font-family=\"sans-serif\" font-size=\"11\"";

// About five round steps (1, 2, 2.5 or 5 times a power of ten) from 0 past `max`.
std::vector<double> Ticks(double max) {
  if (!(max > 0)) return {0, 1};
  const double raw = max / 5;
  const double power = std::pow(10, std::floor(std::log10(raw)));
  double step = power * 10;
  for (const double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  std::vector<double> ticks;
  for (int i = 0; ticks.empty() || ticks.back() < max; ++i) ticks.push_back(step * i);
  return ticks;
}

std::string Number(double value) {
  if (value == 0) return "0";
  if (std::fabs(value) >= 1e6 || std::fabs(value) < 1e-3) return fmt::format("{:.3g}", value);
  if (std::fabs(value) >= 100) return fmt::format("{:.0f}", value);
  return fmt::format("{:.4g}", value);
}

// The opening of a chart: its size, role, title and description.
std::string Open(const ChartText& text, int width, int height) {
  return fmt::format(
      "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{0}-t {0}-d\" viewBox=\"0 0 {1} {2}\" "
      "width=\"{1}\" height=\"{2}\" {3}><title id=\"{0}-t\">{4}</title><desc id=\"{0}-d\">{5}"
      "</desc>",
      HtmlEscape(text.id), width, height, kFont, HtmlEscape(text.title), HtmlEscape(text.desc));
}

struct Frame {
  double left, top, width, height;
  double x_max, y_max;
  double X(double v) const { return left + width * std::min(v, x_max) / x_max; }
  double Y(double v) const { return top + height - height * std::min(v, y_max) / y_max; }
};

std::string XAxis(const Frame& f, const std::vector<double>& ticks, const std::string& unit) {
  std::string out;
  for (const double t : ticks) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>"
        "<text x=\"{0:.1f}\" y=\"{4:.1f}\" text-anchor=\"middle\" fill=\"{5}\">{6}</text>",
        f.X(t), f.top, f.top + f.height, kGrid, f.top + f.height + 14, kAxis, Number(t));
  }
  out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                     f.left + f.width / 2, f.top + f.height + 30, kAxis, HtmlEscape(unit));
  return out;
}

std::string YAxis(const Frame& f, const std::vector<double>& ticks, bool percent) {
  std::string out;
  for (const double t : ticks) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\"/>"
        "<text x=\"{4:.1f}\" y=\"{5:.1f}\" text-anchor=\"end\" fill=\"{6}\">{7}</text>",
        f.left, f.left + f.width, f.Y(t), kGrid, f.left - 6, f.Y(t) + 4, kAxis,
        percent ? fmt::format("{:.0f}%", t * 100) : Number(t));
  }
  return out;
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // XML 1.0 allows no control character but tab, newline and return
        // (HTML shows none of them): each other becomes '?'.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string FormatMs(double ms) {
  if (ms >= 100) return fmt::format("{:.0f}", ms);
  if (ms >= 10) return fmt::format("{:.1f}", ms);
  return fmt::format("{:.2f}", ms);
}

const char* PaletteColour(size_t i) { return kPalette[i % kPalette.size()]; }

std::string EcdfSvg(const ChartText& text, const std::vector<double>& sorted_ms, double target_ms) {
  const int width = 460, height = 230;
  // A target far beyond every sample would squeeze the curve into the first
  // pixels: the axis then ends past the samples and the target is drawn as
  // off the scale, with its value.
  const bool target_on_scale = target_ms <= 4 * sorted_ms.back();
  const double max = std::max(sorted_ms.back(), target_on_scale ? target_ms : 0.0) * 1.05;
  const std::vector<double> x_ticks = Ticks(max);
  const Frame f{.left = 48,
                .top = 12,
                .width = width - 64.0,
                .height = height - 58.0,
                .x_max = x_ticks.back(),
                .y_max = 1};
  std::string out = Open(text, width, height);
  out += YAxis(f, {0, 0.25, 0.5, 0.75, 1}, /*percent=*/true);
  out += XAxis(f, x_ticks, "milliseconds (share of recoveries at or below)");
  // The steps, at most ~240 of them: the share at each distinct value kept.
  const size_t n = sorted_ms.size();
  const size_t stride = std::max<size_t>(1, n / 240);
  std::string path = fmt::format("M{:.1f},{:.1f}", f.X(0), f.Y(0));
  for (size_t i = 0; i < n; i += stride) {
    const size_t last = std::min(n - 1, i + stride - 1);
    const double x = f.X(sorted_ms[last]);
    path += fmt::format(" H{:.1f} V{:.1f}", x, f.Y(static_cast<double>(last + 1) / n));
  }
  out += fmt::format(
      "<path class=\"mark\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"><title>{} "
      "samples, {} to {} ms</title></path>",
      path, kPalette[0], n, FormatMs(sorted_ms.front()), FormatMs(sorted_ms.back()));
  for (const auto& [p, name] :
       {std::pair{0.50, "p50"}, std::pair{0.95, "p95"}, std::pair{0.99, "p99"}}) {
    const size_t rank = std::min(n - 1, static_cast<size_t>(std::ceil(p * n)) - 1);
    out += fmt::format(
        "<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{} = {} "
        "ms</title></circle>",
        f.X(sorted_ms[rank]), f.Y(p), kPalette[0], name, FormatMs(sorted_ms[rank]));
  }
  if (target_ms > 0 && !target_on_scale) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2\" stroke-dasharray=\"6 4\"/><path d=\"M{1:.1f},{4:.1f} l8,4 l-8,4 z\" "
        "fill=\"{3}\"/><text x=\"{1:.1f}\" y=\"{5:.1f}\" text-anchor=\"end\" fill=\"{3}\">target "
        "{6} ms, off the scale</text>",
        f.left + f.width - 60, f.left + f.width, f.top + 4, kFlag, f.top, f.top + 20,
        FormatMs(target_ms));
  } else if (target_ms > 0) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{4:.1f}\" y=\"{5:.1f}\" "
        "text-anchor=\"end\" fill=\"{3}\">target {6} ms</text>",
        f.X(target_ms), f.top, f.top + f.height, kFlag, f.X(target_ms) - 4, f.top + 12,
        FormatMs(target_ms));
  }
  return out + "</svg>";
}

std::string StackedBarsSvg(const ChartText& text, const std::vector<std::string>& segments,
                           const std::vector<BarRow>& rows, const std::string& unit) {
  const int label_width = 150, bar_height = 18, gap = 8;
  const int legend_height = 22;
  const int width = 640;
  const int height = legend_height + static_cast<int>(rows.size()) * (bar_height + gap) + 40;
  double max = 0;
  for (const BarRow& row : rows) {
    double sum = 0;
    for (const double v : row.values) sum += v;
    max = std::max(max, sum);
  }
  const std::vector<double> ticks = Ticks(max);
  const Frame f{.left = label_width,
                .top = legend_height,
                .width = width - label_width - 20.0,
                .height = static_cast<double>(rows.size()) * (bar_height + gap),
                .x_max = ticks.back(),
                .y_max = 1};
  std::string out = Open(text, width, height);
  double x = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    out += fmt::format(
        "<rect x=\"{:.0f}\" y=\"4\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{:.0f}\" "
        "y=\"14\">{}</text>",
        label_width + x, PaletteColour(s), label_width + x + 16, HtmlEscape(segments[s]));
    x += 24 + 7.0 * static_cast<double>(segments[s].size());
  }
  out += XAxis(f, ticks, unit);
  for (size_t r = 0; r < rows.size(); ++r) {
    const double y = f.top + static_cast<double>(r) * (bar_height + gap) + gap / 2.0;
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", label_width - 6,
                       y + bar_height - 5, HtmlEscape(rows[r].label));
    double at = 0;
    for (size_t s = 0; s < rows[r].values.size() && s < segments.size(); ++s) {
      const double v = rows[r].values[s];
      if (v <= 0) continue;
      out += fmt::format(
          "<rect class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"{}\" stroke=\"#fff\"><title>{}: {} {}</title></rect>",
          f.X(at), y, std::max(0.5, f.X(at + v) - f.X(at)), bar_height, PaletteColour(s),
          HtmlEscape(rows[r].label + ", " + segments[s]), Number(v), HtmlEscape(unit));
      at += v;
    }
  }
  return out + "</svg>";
}

std::string TargetBarsSvg(const ChartText& text, const std::vector<TargetBar>& rows,
                          const std::string& unit, const std::string& missing) {
  const int label_width = 190, bar_height = 18, gap = 10, width = 640;
  const int height = static_cast<int>(rows.size()) * (bar_height + gap) + 52;
  double max = 0;
  for (const TargetBar& row : rows) {
    max = std::max({max, row.has_value ? row.value : 0.0, row.target});
  }
  const std::vector<double> ticks = Ticks(max * 1.05);
  const Frame f{.left = label_width,
                .top = 10,
                .width = width - label_width - 20.0,
                .height = static_cast<double>(rows.size()) * (bar_height + gap),
                .x_max = ticks.back(),
                .y_max = 1};
  std::string out = Open(text, width, height);
  out += XAxis(f, ticks, unit);
  for (size_t r = 0; r < rows.size(); ++r) {
    const TargetBar& row = rows[r];
    const double y = f.top + static_cast<double>(r) * (bar_height + gap) + gap / 2.0;
    out += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", label_width - 6,
                       y + bar_height - 5, HtmlEscape(row.label));
    const bool over = row.has_value && row.target > 0 && row.value > row.target;
    if (row.has_value) {
      out += fmt::format(
          "<rect class=\"mark{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" "
          "fill=\"{}\"><title>{}: {} {}{}</title></rect>",
          over ? " flagged" : "", f.X(0), y, std::max(0.5, f.X(row.value) - f.X(0)), bar_height,
          over ? kFlag : kPalette[0], HtmlEscape(row.label), Number(row.value), HtmlEscape(unit),
          row.target > 0 ? fmt::format(", target {}", Number(row.target)) : "");
    } else {
      out += fmt::format("<text class=\"mark\" x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\">{}</text>",
                         f.X(0) + 4, y + bar_height - 5, kFlag, HtmlEscape(missing));
    }
    if (row.target > 0) {
      out += fmt::format(
          "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#000\" "
          "stroke-width=\"2\" stroke-dasharray=\"4 3\"><title>target {3} {4}</title></line>",
          f.X(row.target), y - 3, y + bar_height + 3, Number(row.target), HtmlEscape(unit));
    }
    if (over) {  // beside the bar's end, or inside it when there is no room
      const bool outside = f.X(row.value) + 80 <= width;
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" fill=\"{}\" "
          "font-weight=\"bold\">over target</text>",
          f.X(row.value) + (outside ? 4 : -4), y + bar_height - 5, outside ? "start" : "end",
          outside ? kFlag : "#fff");
    }
  }
  return out + "</svg>";
}

std::string TrendSvg(const ChartText& text, const std::vector<TrendPoint>& points, size_t current,
                     const std::string& unit) {
  const int width = 520, height = 210;
  double max = 0;
  for (const TrendPoint& p : points) max = std::max(max, p.value);
  const std::vector<double> ticks = Ticks(max * 1.05);
  const double n = static_cast<double>(std::max<size_t>(points.size(), 2) - 1);
  const Frame f{.left = 56,
                .top = 14,
                .width = width - 76.0,
                .height = height - 62.0,
                .x_max = n,
                .y_max = ticks.back()};
  std::string out = Open(text, width, height);
  out += YAxis(f, ticks, /*percent=*/false);
  out += fmt::format(
      "<text x=\"12\" y=\"{:.1f}\" fill=\"{}\" transform=\"rotate(-90 12 {:.1f})\" "
      "text-anchor=\"middle\">{}</text>",
      f.top + f.height / 2, kAxis, f.top + f.height / 2, HtmlEscape(unit));
  std::string line;
  for (size_t i = 0; i < points.size(); ++i) {
    line += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : " L", f.X(static_cast<double>(i)),
                        f.Y(points[i].value));
  }
  out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>", line,
                     kPalette[0]);
  // Night labels: the first, the last and about eight between.
  const size_t every = std::max<size_t>(1, points.size() / 8);
  for (size_t i = 0; i < points.size(); ++i) {
    const double x = f.X(static_cast<double>(i)), y = f.Y(points[i].value);
    const bool near_last = i + 1 < points.size() && points.size() - 1 - i < every;
    if ((i % every == 0 && !near_last) || i + 1 == points.size()) {
      out += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"{}\" "
          "font-size=\"9\">{}</text>",
          x, f.top + f.height + 14 + (i / every % 2) * 11.0, kAxis,
          HtmlEscape(points[i].label.substr(0, 10)));
    }
    const std::string tip =
        fmt::format("{}: {} {}{}{}", points[i].label, Number(points[i].value), unit,
                    points[i].flagged ? " (regression)" : "", i == current ? " (this night)" : "");
    if (points[i].flagged) {
      out += fmt::format(
          "<path class=\"mark flagged\" d=\"M{0:.1f},{1:.1f} l6,6 l-6,6 l-6,-6 z\" fill=\"{2}\">"
          "<title>{3}</title></path><text x=\"{0:.1f}\" y=\"{4:.1f}\" text-anchor=\"middle\" "
          "fill=\"{2}\">worse</text>",
          x, y - 6, kFlag, HtmlEscape(tip), std::max(10.0, y - 9));
    } else {
      out += fmt::format(
          "<circle class=\"mark\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{}"
          "</title></circle>",
          x, y, kPalette[0], HtmlEscape(tip));
    }
    if (i == current) {
      out += fmt::format(
          "<circle class=\"current\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"8\" fill=\"none\" "
          "stroke=\"#000\" stroke-width=\"1.5\"/>",
          x, y);
    }
  }
  return out + "</svg>";
}

std::string SparklineSvg(const ChartText& text, const std::vector<TrendPoint>& points,
                         size_t current) {
  const int width = 140, height = 26;
  double max = 0;
  for (const TrendPoint& p : points) max = std::max(max, p.value);
  const Frame f{.left = 3,
                .top = 3,
                .width = width - 6.0,
                .height = height - 6.0,
                .x_max = static_cast<double>(std::max<size_t>(points.size(), 2) - 1),
                .y_max = max > 0 ? max : 1};
  std::string out = Open(text, width, height);
  std::string line;
  for (size_t i = 0; i < points.size(); ++i) {
    line += fmt::format("{}{:.1f},{:.1f}", i == 0 ? "M" : " L", f.X(static_cast<double>(i)),
                        f.Y(points[i].value));
  }
  out += fmt::format(
      "<path class=\"mark\" d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>", line,
      kPalette[0]);
  for (size_t i = 0; i < points.size(); ++i) {
    if (!points[i].flagged && i != current) continue;
    out += fmt::format(
        "<circle class=\"mark{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\"><title>{}: {}"
        "</title></circle>",
        points[i].flagged ? " flagged" : "", f.X(static_cast<double>(i)), f.Y(points[i].value),
        points[i].flagged ? kFlag : "#000", HtmlEscape(points[i].label), Number(points[i].value));
  }
  return out + "</svg>";
}

}  // namespace crashdrill::reports
