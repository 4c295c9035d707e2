// L1 — the newest cheap copy of the critical trading state: one fixed-size
// file, mapped once and pre-faulted, with two slots written alternately. Each
// slot holds state_seq, length and an XXH3-64 over both and a TradingImage of
// the state, so a torn slot is detected and the other slot used. The image is
// kept in memory and refreshed entry by entry from the changes since the last
// write, so a write is a copy and a checksum, not a re-encoding of the state.
//
// Durability contract: after Write() returns OK the state survives a process
// crash; with sync_each_write (msync of the slot) it also survives a power
// loss. A crash in the middle of Write() leaves the other slot as it was.
// A state that outgrows a slot is an error at write time, never truncated.
// Open() makes durable everything it adopts (file data, size and directory
// entry) before it returns, so what a crash left in the page cache cannot
// vanish under a later acknowledged write. No crash, however many and
// wherever they hit, leaves a file Open refuses: it refuses only a damaged
// header over slots with no valid state, and another format or slot size.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "system/io/fs.h"
#include "system/state/state_update.h"
#include "system/state/trading_image.h"
#include "system/state/trading_state.h"

namespace crashdrill::system {

struct MmapCheckpointOptions {
  std::string path;
  size_t slot_bytes = 1 << 20;  // payload capacity of each slot, incl. its 24-byte header
  bool sync_each_write = false;
  // Every Nth incremental write first decodes the image and compares it with
  // the state (0: never). A difference is a bug in change tracking: the whole
  // state is written and the write returns kInternal naming the difference.
  uint32_t verify_every = 128;
};

// What Open found at the path, and so what it did.
enum class L1Found : uint8_t {
  kNoFile,      // nothing: created the file
  kComplete,    // a complete L1 file: adopted as it was
  kUnfinished,  // an initialisation a crash cut short (blank or own header, or short), and
                // no valid slot: initialised it again
  kDamagedWithValidSlot,  // a lost or damaged header or a short file, but a slot holds a
                          // valid state: header and size restored in place, slots kept as they were
};

// For `inspect`, the recovery report and tests.
struct L1OpenReport {
  L1Found found = L1Found::kNoFile;
  uint64_t file_bytes = 0;  // the size Open found
  Status finding;           // what was wrong with the file; OK for kNoFile and kComplete
};

// What one slot holds, valid or not (for recovery and `inspect`).
struct L1Slot {
  int index = 0;
  Seq state_seq = 0;  // as recorded in the slot header (untrusted if !state.ok())
  bool empty = true;  // never written
  Result<TradingState> state = Status::Error(StatusCode::kNotFound, "read", "", "empty slot");
};

// What an L1 file holds, read without changing it (for recovery and `inspect`).
struct L1Inspection {
  bool exists = false;
  uint64_t file_bytes = 0;
  Status header;  // OK when the header is this build's L1 header for the slot size
  std::array<L1Slot, 2> slots;
};

class MmapCheckpoint {
 public:
  static constexpr size_t kFileHeaderBytes = 4096;
  static constexpr size_t kSlotHeaderBytes = 24;

  explicit MmapCheckpoint(Fs& fs, MmapCheckpointOptions options);
  ~MmapCheckpoint();

  // Creates and sizes the file (or checks an existing one), makes it durable,
  // maps it and learns which slot holds the newest valid state. Never maps a
  // file shorter than the layout. A file a crash left unfinished (blank or own
  // header, or short) is initialised again when no slot holds a valid state;
  // when one does, its header and size are restored and every slot kept
  // (open_report() says so). Refused, the file kept for inspection and L1
  // closed: a damaged header with no valid slot (corruption), another format
  // version or slot size (kFailedPrecondition).
  Status Open();
  const L1OpenReport& open_report() const { return report_; }

  // Reads the file at the path without creating, repairing or mapping it:
  // whether it exists, its header's verdict and both slots as they are. Slots
  // past the end of a short file read as empty. Works before (or instead of) Open.
  Result<L1Inspection> Inspect() const;

  // Writes `state` into the slot not holding the newest valid copy, encoding
  // every entry afresh. REQUIRES: Open() returned OK.
  Status Write(const TradingState& state);
  // The same, re-encoding only what `changes` names: the changes made to the
  // state since the previous Write (of either kind) of this object.
  Status Write(const TradingState& state, const TradingChanges& changes);

  // Incremental writes that verified the image against the state.
  uint64_t verifications() const { return verifications_; }

  // Both slots as they are now.
  std::array<L1Slot, 2> ReadSlots() const;
  // The valid slot with the highest state_seq; kNotFound when neither is valid.
  Result<TradingState> ReadNewest() const;

 private:
  uint64_t FileBytes() const;
  uint64_t SlotOffset(int index) const;
  MutableByteSpan Slot(int index) const;
  // Decodes a slot's bytes (from the map, or read from a file not mapped yet).
  L1Slot DecodeSlot(ByteSpan slot, int index) const;
  L1Slot ReadSlot(int index) const;
  Status WriteImage(Seq state_seq);
  Status PrepareFile(File& file, bool existed);
  Status CompleteFile(File& file, uint64_t size);
  Status MakeDurable(File& file);
  Status CheckFileHeader(ByteSpan header) const;
  Status Finding(const Status& header_status, uint64_t size, const L1Slot* newest) const;
  Result<std::array<L1Slot, 2>> ReadSlotsUnmapped(File& file, uint64_t size) const;

  Fs& fs_;
  MmapCheckpointOptions options_;
  std::unique_ptr<File> file_;
  std::unique_ptr<MappedRegion> region_;
  int next_slot_ = 0;
  L1OpenReport report_;
  TradingImage image_;
  uint32_t writes_since_verify_ = 0;
  uint64_t verifications_ = 0;
};

}  // namespace crashdrill::system
