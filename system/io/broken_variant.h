// Deliberately broken variants of the system, which prove that the chaos
// harness catches durability bugs (tests/broken/). Each variant is one small
// branch next to the code it breaks, with a comment naming it:
//
//   // kWalOpenTrustsTail: the adopted tail is not made durable.
//   if (!CRASHDRILL_BROKEN(kWalOpenTrustsTail)) CD_RETURN_IF_ERROR(segment_->Sync());
//
// Contract: in every shipped build CRASHDRILL_BROKEN(Name) is the constant
// false — the branch still compiles (so it keeps type-checking) and is then
// discarded, and Active() is not even declared. Only the variant copies of the
// libraries that tests/broken/CMakeLists.txt compiles with
// -DCRASHDRILL_BROKEN_VARIANTS call Active(), which only the test sources
// define (tests/broken/broken_variants.cc): a shipped binary could not link a
// broken branch. A branch goes in a .cc of the library chain tests/broken
// copies (system/levels up to the runner), never in a header.
#pragma once

namespace crashdrill::broken {

// What each one breaks, and where: tests/broken/broken_variants.cc.
enum class Variant {
  kRecoveryFirstValid,
  kAckBeforeSync,
  kResendPendingAfterRestart,
  kIgnoreDowntimeFills,
  kCopiesByWallTime,
  kTruncateWalBeforeSnapshotDurable,
  kFsyncFailureRetried,
  kWalOpenTrustsTail,
  kTornTailNotRepaired,
  kWalTruncatedToNewestSnapshot,
  kCount,  // not a variant
};

#ifdef CRASHDRILL_BROKEN_VARIANTS
// True while `variant` is the active one. Defined only in the test sources.
bool Active(Variant variant);
#endif

}  // namespace crashdrill::broken

#ifdef CRASHDRILL_BROKEN_VARIANTS
#define CRASHDRILL_BROKEN(Name) (::crashdrill::broken::Active(::crashdrill::broken::Variant::Name))
#else
#define CRASHDRILL_BROKEN(Name) (static_cast<void>(::crashdrill::broken::Variant::Name), false)
#endif
