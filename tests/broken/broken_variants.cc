#include "tests/broken/broken_variants.h"

#include <atomic>

#include "system/io/check.h"

namespace crashdrill::broken {
namespace {

constexpr int kNone = -1;
// Read on the WAL's hot path, possibly by several appenders: atomic, relaxed.
std::atomic<int> active_variant{kNone};

}  // namespace

// The one definition the variant copies of the library chain link against.
bool Active(Variant variant) {
  return active_variant.load(std::memory_order_relaxed) == static_cast<int>(variant);
}

const std::vector<VariantInfo>& Variants() {
  static const std::vector<VariantInfo> variants = {
      {Variant::kRecoveryFirstValid, "kRecoveryFirstValid", "system/recovery/local_recovery.cc",
       "the base is the first valid copy in discovery order (L1 first), not the highest state_seq"},
      {Variant::kAckBeforeSync, "kAckBeforeSync", "system/levels/wal.cc",
       "an append is acknowledged once written; its sync waits for the next batch"},
      {Variant::kResendPendingAfterRestart, "kResendPendingAfterRestart", "system/engine/engine.cc",
       "a pending order of an earlier life is sent again instead of looked up at the venue"},
      {Variant::kIgnoreDowntimeFills, "kIgnoreDowntimeFills", "system/recovery/reconcile.cc",
       "the catch-up after a restart skips the fills reported while the engine was down"},
      {Variant::kCopiesByWallTime, "kCopiesByWallTime", "system/recovery/local_recovery.cc",
       "copies are ordered by their wall-clock label, not by state_seq"},
      {Variant::kTruncateWalBeforeSnapshotDurable, "kTruncateWalBeforeSnapshotDurable",
       "system/levels/checkpointer.cc",
       "WAL segments a snapshot will cover are deleted before the snapshot is written"},
      {Variant::kFsyncFailureRetried, "kFsyncFailureRetried", "system/levels/wal.cc",
       "a failed WAL fsync is retried and its success taken as durability"},
      {Variant::kWalOpenTrustsTail, "kWalOpenTrustsTail", "system/levels/wal.cc",
       "Wal::Open adopts the tail segment without syncing it or its directory"},
      {Variant::kTornTailNotRepaired, "kTornTailNotRepaired", "system/levels/wal.cc",
       "Wal::Open appends after a torn tail without zeroing what the torn batch left"},
      {Variant::kWalTruncatedToNewestSnapshot, "kWalTruncatedToNewestSnapshot",
       "system/levels/checkpointer.cc",
       "the WAL is truncated to the newest snapshot, not the oldest retained one",
       "it loses records only when the newest snapshot and every newer copy (L1, L2) are "
       "damaged together, and the runner exempts two damaged copies from P2: it cannot yet "
       "tell which acknowledged records the surviving copies still hold"},
  };
  return variants;
}

const VariantInfo& InfoOf(Variant variant) {
  const auto index = static_cast<size_t>(variant);
  CD_CHECK(index < Variants().size() && Variants()[index].variant == variant,
           "Variants() lists every variant in enum order");
  return Variants()[index];
}

void Activate(std::optional<Variant> variant) {
  active_variant.store(variant ? static_cast<int>(*variant) : kNone, std::memory_order_relaxed);
}

std::optional<Variant> ActiveVariant() {
  const int v = active_variant.load(std::memory_order_relaxed);
  if (v == kNone) return std::nullopt;
  return static_cast<Variant>(v);
}

ScopedVariant::ScopedVariant(std::optional<Variant> variant) : previous_(ActiveVariant()) {
  Activate(variant);
}

ScopedVariant::~ScopedVariant() { Activate(previous_); }

}  // namespace crashdrill::broken
