#include "faults/fault_trace.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace crashdrill::faults {
namespace {

constexpr std::array<const char*, kProbeCount> kProbeNames = {
    "process_crash",  "power_loss",    "write_lost",       "torn_prefix",
    "torn_arbitrary", "torn_zeros",    "torn_garbage",     "grew_without_data",
    "truncate_dropped", "dir_op_lost", "rename_both_names", "no_space",
    "short_write",    "read_error",    "write_error",      "meta_error",
    "sync_failure",   "bit_flip",      "zero_sector",      "misdirected_write",
    "latency",        "crash_triggered", "append_cut",
};

}  // namespace

std::string ProbeName(Probe probe) { return kProbeNames[static_cast<size_t>(probe)]; }

void FaultTrace::Record(FaultEvent event) {
  ++counts_[static_cast<size_t>(event.probe)];
  events_.push_back(std::move(event));
}

void AddProbeCounts(ProbeCounts& into, const ProbeCounts& from) {
  for (size_t i = 0; i < into.size(); ++i) into[i] += from[i];
}

std::string FormatProbeCounts(const ProbeCounts& counts) {
  std::string out;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", kProbeNames[i], counts[i]);
  }
  return out;
}

void to_json(nlohmann::json& json, const FaultEvent& event) {
  json = nlohmann::json{{"op_index", event.op_index}, {"path", event.path},
                        {"offset", event.offset},     {"length", event.length},
                        {"kind", ProbeName(event.probe)}, {"detail", event.detail}};
}

}  // namespace crashdrill::faults
