// The processes using a mount (an open fd, cwd, root, executable or mapping under it, as
// /proc shows them), and killing them the way a power cut does: SIGKILL, no warning.
// Contract: KillMountUsers returns once no process other than `spared` holds anything
// under the mount, or fails with kUnavailable naming the survivors after `timeout_ms`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "system/io/result.h"

namespace crashdrill::faults::crashfs {

// Pids (other than those in `spared`) holding something at or under `mountpoint`.
std::vector<pid_t> MountUsers(const std::string& mountpoint, const std::set<pid_t>& spared);

// SIGKILLs every user, again and again, until none is left (an exiting process leaves
// /proc/PID/fd empty before it is reaped by its parent). Returns how many were killed.
system::Result<uint64_t> KillMountUsers(const std::string& mountpoint,
                                        const std::set<pid_t>& spared, int64_t timeout_ms);

}  // namespace crashdrill::faults::crashfs
