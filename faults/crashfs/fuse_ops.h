// The FUSE low-level operation table of the crashfs daemon: each handler translates one
// request into a CrashFs call and replies. Internal to faults/crashfs.
#pragma once

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <ctime>

#include "faults/crashfs/crash_fs.h"

namespace crashdrill::faults::crashfs {

struct FuseContext {
  CrashFs* fs = nullptr;
  time_t started = 0;  // every timestamp (crashfs keeps none)
};

// The operations; the session's userdata must be a FuseContext.
fuse_lowlevel_ops MakeFuseOps();

}  // namespace crashdrill::faults::crashfs
