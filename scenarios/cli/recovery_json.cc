#include "scenarios/cli/recovery_json.h"

#include <fmt/format.h>

#include <ctime>

namespace crashdrill::scenarios {
namespace {

using nlohmann::json;
using system::Status;

json StatusJson(const Status& status) {
  if (status.ok()) return "ok";
  return status.ToString();
}

std::string_view WalEndKind(system::WalEnd::Kind kind) {
  switch (kind) {
    case system::WalEnd::Kind::kClean:
      return "clean";
    case system::WalEnd::Kind::kTornTail:
      return "torn_tail";
    case system::WalEnd::Kind::kCorruption:
      return "corruption";
  }
  return "invalid";
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

std::string WallLabel(system::TimeNs wall_ns) {
  if (wall_ns == 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, (wall_ns / 1'000'000) % 1000);
}

json RecoveryReportJson(const system::RecoveryReport& r) {
  json candidates = json::array();
  for (const auto& c : r.candidates) {
    candidates.push_back({{"level", system::CopyLevelName(c.level)},
                          {"kind", c.kind},
                          {"location", c.location},
                          {"version", c.version},
                          {"bytes", c.bytes},
                          {"state_seq", c.state_seq},
                          {"wall_time", WallLabel(c.wall_ns)},
                          {"trading_only", c.trading_only},
                          {"examined", c.examined},
                          {"valid", c.verdict.ok()},
                          {"verdict", StatusJson(c.verdict)}});
  }
  json segments = json::array();
  for (const auto& s : r.wal_segments) {
    segments.push_back({{"path", s.path}, {"first_seq", s.first_seq}, {"bytes", s.bytes}});
  }
  json discrepancies = json::array();
  for (const auto& d : r.discrepancies) {
    discrepancies.push_back({{"what", d.what},
                             {"key", d.key},
                             {"local", d.local},
                             {"venue", d.venue},
                             {"action", d.action}});
  }
  json unreadable = json::array();
  for (const auto& u : r.unreadable) unreadable.push_back(u.ToString());
  json base = nullptr;
  if (r.base) base = candidates[*r.base];
  return {{"schema", "crashdrill.recovery/1"},
          {"state_dir", r.state_dir},
          {"candidates", candidates},
          {"wal_segments", segments},
          {"unreadable", unreadable},
          {"base", base},
          {"base_reason", r.base_reason},
          {"source", r.source},
          {"base_seq", r.base_seq},
          {"recovered_seq", r.recovered_seq},
          {"records_replayed", r.records_replayed},
          {"bytes_read", r.bytes_read},
          {"wal_end",
           {{"kind", WalEndKind(r.wal_end.kind)},
            {"segment", r.wal_end.segment},
            {"offset", r.wal_end.offset},
            {"last_seq", r.wal_end.last_seq},
            {"detail", r.wal_end.detail}}},
          {"wal_stop", StatusJson(r.wal_stop)},
          {"config_source", r.config_source},
          {"notes", r.notes},
          {"reconciled", r.reconciled},
          {"reconcile_status", StatusJson(r.reconcile_status)},
          {"discrepancies", discrepancies},
          {"reports_applied", r.reports_applied},
          {"pending_adopted", r.pending_adopted},
          {"pending_never_sent", r.pending_never_sent},
          {"reports_gone", r.reports_gone},
          {"final_seq", r.final_seq},
          {"phases_ms",
           {{"discover", Ms(r.phases.discover_ns)},
            {"load", Ms(r.phases.load_ns)},
            {"validate", Ms(r.phases.validate_ns)},
            {"replay", Ms(r.phases.replay_ns)},
            {"reconcile", Ms(r.phases.reconcile_ns)},
            {"total", Ms(r.phases.total_ns())}}}};
}

std::string RecoveryReportText(const system::RecoveryReport& r) {
  std::string out = fmt::format("state directory {}\n", r.state_dir);
  if (r.candidates.empty()) out += "copies: none\n";
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    const std::string verdict = c.verdict.ok() ? "valid"
                                : c.examined
                                    ? "INVALID: " + c.verdict.ToString()
                                    : "not examined (a newer copy of the same sequence is valid)";
    out += fmt::format("{} {:<3} {:<12} seq {:<10} {:<24} {:>10} B  {}  {}\n",
                       r.base == i ? "*" : " ", system::CopyLevelName(c.level), c.kind, c.state_seq,
                       WallLabel(c.wall_ns), c.bytes, c.location, verdict);
  }
  for (const auto& s : r.wal_segments) {
    out += fmt::format("  wal first seq {:<10} {:>10} B  {}\n", s.first_seq, s.bytes, s.path);
  }
  if (!r.wal_segments.empty() || r.wal_end.last_seq != 0) {
    out += fmt::format("log: {} after seq {}{}{}\n", WalEndKind(r.wal_end.kind), r.wal_end.last_seq,
                       r.wal_end.segment.empty()
                           ? std::string()
                           : fmt::format(" at {}:{}", r.wal_end.segment, r.wal_end.offset),
                       r.wal_end.detail.empty() ? std::string() : " (" + r.wal_end.detail + ")");
  }
  if (!r.wal_stop.ok()) out += fmt::format("replay stopped: {}\n", r.wal_stop.ToString());
  for (const auto& u : r.unreadable) out += fmt::format("unreadable: {}\n", u.ToString());
  out += fmt::format("base: {}\n", r.base_reason);
  out += fmt::format(
      "recovered from {} at state_seq {} (base {}, {} records replayed, {} bytes "
      "read); configuration from {}\n",
      r.source, r.recovered_seq, r.base_seq, r.records_replayed, r.bytes_read,
      r.config_source.empty() ? "-" : r.config_source);
  for (const auto& note : r.notes) out += fmt::format("note: {}\n", note);
  if (r.reconciled || !r.reconcile_status.ok()) {
    out += r.reconciled ? fmt::format(
                              "reconciled with the venue: {} reports applied, {} pending "
                              "adopted, {} pending never sent, {} discrepancies; "
                              "state_seq {}\n",
                              r.reports_applied, r.pending_adopted, r.pending_never_sent,
                              r.discrepancies.size(), r.final_seq)
                        : fmt::format("NOT reconciled: {}\n", r.reconcile_status.ToString());
    for (const auto& d : r.discrepancies) {
      out += fmt::format("  {} {}: local {} / venue {}: {}\n", d.what, d.key, d.local, d.venue,
                         d.action);
    }
  }
  out += fmt::format(
      "phases ms: discover {:.3f} load {:.3f} validate {:.3f} replay {:.3f} "
      "reconcile {:.3f} total {:.3f}\n",
      Ms(r.phases.discover_ns), Ms(r.phases.load_ns), Ms(r.phases.validate_ns),
      Ms(r.phases.replay_ns), Ms(r.phases.reconcile_ns), Ms(r.phases.total_ns()));
  return out;
}

}  // namespace crashdrill::scenarios
