#include "faults/fault_plan.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

namespace crashdrill::faults {
namespace {

constexpr std::array<std::pair<FaultKind, const char*>, kFaultKindCount> kFaultNames = {{
    {FaultKind::kCrash, "crash"},
    {FaultKind::kNoSpace, "no_space"},
    {FaultKind::kShortWrite, "short_write"},
    {FaultKind::kIoError, "io_error"},
    {FaultKind::kSyncFailure, "sync_failure"},
    {FaultKind::kBitFlip, "bit_flip"},
    {FaultKind::kZeroSector, "zero_sector"},
    {FaultKind::kMisdirectedWrite, "misdirected_write"},
    {FaultKind::kLatency, "latency"},
    {FaultKind::kClockStep, "clock_step"},
    {FaultKind::kClockDrift, "clock_drift"},
    {FaultKind::kNetworkPartition, "network_partition"},
    {FaultKind::kNetworkDelay, "network_delay"},
    {FaultKind::kNetworkDrop, "network_drop"},
}};

constexpr std::array<std::pair<TriggerOn, const char*>, 5> kTriggerNames = {{
    {TriggerOn::kAnyOp, "any_op"},
    {TriggerOn::kRead, "read"},
    {TriggerOn::kWrite, "write"},
    {TriggerOn::kSync, "sync"},
    {TriggerOn::kMonoTime, "mono_time"},
}};

template <typename Enum, size_t N>
Enum EnumFromName(const std::array<std::pair<Enum, const char*>, N>& names,
                  const nlohmann::json& json) {
  const std::string name = json.get<std::string>();
  for (const auto& [value, text] : names) {
    if (name == text) return value;
  }
  throw nlohmann::json::other_error::create(501, "unknown name " + name, &json);
}

uint64_t Magnitude(const Fault& fault) {
  auto abs = [](int64_t v) { return static_cast<uint64_t>(v < 0 ? -v : v); };
  return abs(fault.duration_ns) + abs(fault.clock_step_ns) + abs(fault.drift_ppm);
}

// Candidates that simplify one entry in place.
void ShrinkEntry(const FaultPlan& plan, size_t index, std::vector<FaultPlan>& out) {
  const FaultEntry& entry = plan.entries[index];
  auto with = [&](auto&& change) {
    FaultPlan candidate = plan;
    change(candidate.entries[index]);
    out.push_back(std::move(candidate));
  };
  const uint64_t nth = entry.trigger.nth;
  if (nth > 1) with([](FaultEntry& e) { e.trigger.nth = 1; });
  if (nth > 3) with([nth](FaultEntry& e) { e.trigger.nth = nth / 2; });
  if (nth > 2) with([nth](FaultEntry& e) { e.trigger.nth = nth - 1; });
  if (entry.trigger.repeat != 1) with([](FaultEntry& e) { e.trigger.repeat = 1; });
  if (entry.trigger.at_mono_ns > 0) {
    with([](FaultEntry& e) { e.trigger.at_mono_ns /= 2; });
  }
  if (Magnitude(entry.fault) > 0) {
    with([](FaultEntry& e) {
      e.fault.duration_ns /= 2;
      e.fault.clock_step_ns /= 2;
      e.fault.drift_ppm /= 2;
    });
  }
}

}  // namespace

std::string FaultKindName(FaultKind kind) {
  for (const auto& [value, text] : kFaultNames) {
    if (value == kind) return text;
  }
  return "unknown";
}

std::string TriggerOnName(TriggerOn on) {
  for (const auto& [value, text] : kTriggerNames) {
    if (value == on) return text;
  }
  return "unknown";
}

uint64_t Complexity(const FaultPlan& plan) {
  uint64_t total = 0;
  for (const FaultEntry& entry : plan.entries) {
    total += uint64_t{1} << 40;
    total += entry.trigger.nth + (entry.trigger.repeat != 1 ? 1 : 0);
    total += static_cast<uint64_t>(entry.trigger.at_mono_ns > 0 ? entry.trigger.at_mono_ns : 0);
    total += Magnitude(entry.fault);
  }
  return total;
}

std::vector<FaultPlan> Shrink(const FaultPlan& plan) {
  std::vector<FaultPlan> out;
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    FaultPlan candidate = plan;
    candidate.entries.erase(candidate.entries.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(candidate));
  }
  for (size_t i = 0; i < plan.entries.size(); ++i) ShrinkEntry(plan, i, out);
  return out;
}

void to_json(nlohmann::json& json, const Trigger& trigger) {
  json = nlohmann::json{{"on", TriggerOnName(trigger.on)},
                        {"nth", trigger.nth},
                        {"repeat", trigger.repeat}};
  if (!trigger.path_glob.empty()) json["path_glob"] = trigger.path_glob;
  if (trigger.offset_begin != 0) json["offset_begin"] = trigger.offset_begin;
  if (trigger.offset_end != Trigger{}.offset_end) json["offset_end"] = trigger.offset_end;
  if (trigger.on == TriggerOn::kMonoTime) json["at_mono_ns"] = trigger.at_mono_ns;
}

void from_json(const nlohmann::json& json, Trigger& trigger) {
  const Trigger defaults;
  trigger.on = EnumFromName(kTriggerNames, json.at("on"));
  trigger.nth = json.value("nth", defaults.nth);
  trigger.repeat = json.value("repeat", defaults.repeat);
  trigger.path_glob = json.value("path_glob", defaults.path_glob);
  trigger.offset_begin = json.value("offset_begin", defaults.offset_begin);
  trigger.offset_end = json.value("offset_end", defaults.offset_end);
  trigger.at_mono_ns = json.value("at_mono_ns", defaults.at_mono_ns);
}

void to_json(nlohmann::json& json, const Fault& fault) {
  json = nlohmann::json{{"kind", FaultKindName(fault.kind)}, {"crash_kind", fault.crash_kind}};
  if (fault.duration_ns != 0) json["duration_ns"] = fault.duration_ns;
  if (fault.clock_step_ns != 0) json["clock_step_ns"] = fault.clock_step_ns;
  if (fault.drift_ppm != 0) json["drift_ppm"] = fault.drift_ppm;
}

void from_json(const nlohmann::json& json, Fault& fault) {
  const Fault defaults;
  fault.kind = EnumFromName(kFaultNames, json.at("kind"));
  fault.crash_kind = json.value("crash_kind", defaults.crash_kind);
  fault.duration_ns = json.value("duration_ns", defaults.duration_ns);
  fault.clock_step_ns = json.value("clock_step_ns", defaults.clock_step_ns);
  fault.drift_ppm = json.value("drift_ppm", defaults.drift_ppm);
}

void to_json(nlohmann::json& json, const FaultEntry& entry) {
  json = nlohmann::json{{"trigger", entry.trigger}, {"fault", entry.fault}};
}

void from_json(const nlohmann::json& json, FaultEntry& entry) {
  entry.trigger = json.at("trigger").get<Trigger>();
  entry.fault = json.at("fault").get<Fault>();
}

void to_json(nlohmann::json& json, const FaultPlan& plan) {
  json = nlohmann::json{{"schema", "crashdrill.fault_plan/1"},
                        {"seed", plan.seed},
                        {"entries", plan.entries}};
}

void from_json(const nlohmann::json& json, FaultPlan& plan) {
  plan.seed = json.value("seed", uint64_t{0});
  plan.entries = json.value("entries", std::vector<FaultEntry>{});
}

system::Result<FaultPlan> ParseFaultPlan(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<FaultPlan>();
  } catch (const nlohmann::json::exception& error) {
    return system::Status::InvalidArgument("parse_fault_plan", error.what());
  }
}

std::string SerializeFaultPlan(const FaultPlan& plan) {
  return nlohmann::json(plan).dump(2);
}

}  // namespace crashdrill::faults
