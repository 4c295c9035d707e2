// The control channel of a crashfs daemon: an abstract unix socket named after the mount,
// "@crashdrill-crashfs-<16 hex digits of FNV-1a of the absolute mount path>" (`ss -xlp`
// lists it; nothing to clean up when the daemon dies). One request line, one reply line:
// "power-loss" -> "ok <summary>" or "error <reason>". Only the daemon's own user (or root)
// is served.
#pragma once

#include <string>

#include "system/io/result.h"

namespace crashdrill::faults::crashfs {

// Absolute and lexically normal, without a trailing '/': computed without touching the
// mount (a hung daemon must not hang the caller).
std::string CanonicalMountpoint(const std::string& path);
// The socket's name without the leading NUL byte, for messages.
std::string ControlSocketName(const std::string& mountpoint);

// Listens on the mount's socket; kAlreadyExists when another daemon serves that mount.
system::Result<int> ListenControl(const std::string& mountpoint);

// Asks the daemon serving `mountpoint` to cut the power and returns its reply line.
// kNotFound when no daemon answers there: not a crashfs mount.
system::Result<std::string> RequestPowerLoss(const std::string& mountpoint);

}  // namespace crashdrill::faults::crashfs
