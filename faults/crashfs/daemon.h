// The crashfs daemon: a CrashFs served through FUSE (libfuse3 low-level API) at a
// mountpoint, plus the control socket that cuts the power. Fault contract: CrashFs's
// (faults/crashfs/crash_fs.h). A power loss, in this order: SIGKILL every process using
// the mount and wait until they are gone; invalidate every known inode (the kernel's
// dirty pages, mmap stores included, arrive as plain unsynced writes); resolve the power
// loss; invalidate every inode and every name whose meaning changed. Notifications are
// sent from the control thread, holding no lock a FUSE handler needs (PITFALLS: FUSE).
// Mount: no writeback_cache, no direct_io (shared writable mmap works; msync(MS_SYNC)
// arrives as writes plus fsync), zero attribute and entry timeouts.
// A stuck connection is aborted with `echo 1 > /sys/fs/fuse/connections/N/abort`, where N
// is the minor device number of the mount (`stat -c %d MOUNTPOINT`; the daemon prints it;
// mount fusectl with `mount -t fusectl none /sys/fs/fuse/connections` if it is missing),
// then `fusermount3 -uz MOUNTPOINT`.
#pragma once

#include <cstdio>
#include <string>

#include "faults/sim_disk.h"
#include "system/io/status.h"

namespace crashdrill::faults::crashfs {

struct DaemonOptions {
  std::string backing_dir;
  std::string mountpoint;
  SimDiskOptions disk;  // disk.plan.seed: the seed of every power loss
};

// Mounts, serves until SIGTERM, SIGINT or SIGHUP, then unmounts and makes everything
// durable in the backing directory (a clean shutdown). Progress lines go to `out`.
system::Status RunDaemon(const DaemonOptions& options, std::FILE* out);

}  // namespace crashdrill::faults::crashfs
