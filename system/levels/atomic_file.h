// Atomic replacement of a whole file: write `<name>.tmp`, Sync, rename over
// `<name>`, SyncDir. Used by L2 and the L3 snapshots.
//
// Contract: after WriteFileAtomically returns OK the new content survives a
// power loss under `name`. A crash or failure at any step leaves whatever was
// under `name` before intact; the error names the step. A failed Sync is never
// retried over the same temp file (its dirty pages may have been dropped).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "system/io/fs.h"

namespace crashdrill::system {

inline constexpr std::string_view kTempSuffix = ".tmp";

// `what` names the level in errors ("L2 checkpoint", "snapshot").
Status WriteFileAtomically(Fs& fs, const std::string& dir, const std::string& name,
                           ByteSpan bytes, std::string_view what);

// Adds "<what> step '<step>' failed" in front of a failed status's message.
Status AnnotateStep(Status status, std::string_view what, std::string_view step);

// Retention shared by the numbered levels: given paths ordered oldest first,
// with the newest durable copy last, unlinks all but the `keep` newest
// (REQUIRES keep >= 1, so the newest durable copy is never deleted).
Status KeepNewest(Fs& fs, const std::vector<std::string>& paths_oldest_first, size_t keep,
                  std::string_view what);

// Creates `dir` if needed and syncs its parent, so the directory entry itself
// survives a power loss (a level's files are only as durable as the path to them).
Status MakeDurableDir(Fs& fs, const std::string& dir);

// Removes `<prefix>*.tmp` files of `dir`: writes that never completed were
// never published, so they are not copies of anything.
Status RemoveUnpublishedTempFiles(Fs& fs, const std::string& dir, std::string_view prefix);

}  // namespace crashdrill::system
