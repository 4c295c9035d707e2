// Which files of a state directory a backup set copies, and in what order,
// so that the copy is a consistent point recovery can start from.
//
// A set is anchored at a snapshot boundary: the newest snapshot that reads
// back valid (state_seq S), every published L2 version of every type, the L1
// file, and every WAL segment that may hold a record after S. Older snapshots,
// WAL segments wholly at or below S, temp files and quarantine are left out.
//
// Consistency while the engine keeps running (why the order matters):
// files are read snapshot → L2 → L1 → WAL, and the WAL is LISTED only after
// the others were read. Every state in a snapshot, an L2 version or an L1 slot
// at state_seq N was committed, and a commit appends its WAL record before it
// is acknowledged (the checkpointer's sequence rule), so the WAL read last
// holds every record up to at least the highest N copied before it. Each WAL
// segment is copied up to the size it had when opened: the engine only
// appends, so that is a prefix of the segment, and a prefix that ends inside
// a frame is a torn tail, which recovery treats as the end of the log
// (wal_format.h). Segments are contiguous from the one holding S+1, since
// retention only drops the oldest. Recovery of the copy therefore finds a base
// (the highest valid copy) and a gap-free log after it, and reaches the state
// of the last whole record copied: a state that existed. An L1 slot copied
// mid-write fails its checksum and recovery uses the other slot. If retention
// deletes a listed file before it is read, the backup fails (kNotFound) and is
// not published; running it again picks the new files.
#pragma once

#include <functional>
#include <string>

#include "system/io/fs.h"
#include "system/state/vocabulary.h"

namespace crashdrill::system {

// Called once per file, in the order above, with its path relative to
// `state_dir` and its bytes. Returns the anchor (S; 0 when there is no valid
// snapshot and every WAL segment is copied).
using StateFileVisitor = std::function<Status(const std::string& relative_path, ByteSpan bytes)>;
Result<Seq> VisitStateFiles(Fs& fs, const std::string& state_dir, const StateFileVisitor& visit);

}  // namespace crashdrill::system
