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

// What one slot holds, valid or not (for recovery and `inspect`).
struct L1Slot {
  int index = 0;
  Seq state_seq = 0;      // as recorded in the slot header (untrusted if !state.ok())
  bool empty = true;      // never written
  Result<TradingState> state = Status::Error(StatusCode::kNotFound, "read", "", "empty slot");
};

class MmapCheckpoint {
 public:
  static constexpr size_t kFileHeaderBytes = 4096;
  static constexpr size_t kSlotHeaderBytes = 24;

  explicit MmapCheckpoint(Fs& fs, MmapCheckpointOptions options);
  ~MmapCheckpoint();

  // Creates and sizes the file (or checks an existing one's header), maps it and
  // learns which slot holds the newest valid state. A corrupt file header is
  // corruption: the file is kept for inspection and L1 stays closed.
  Status Open();

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
  MutableByteSpan Slot(int index) const;
  L1Slot ReadSlot(int index) const;
  Status WriteImage(Seq state_seq);
  Status InitializeFile(File& file);
  Status CheckFileHeader(File& file);

  Fs& fs_;
  MmapCheckpointOptions options_;
  std::unique_ptr<File> file_;
  std::unique_ptr<MappedRegion> region_;
  int next_slot_ = 0;
  TradingImage image_;
  uint32_t writes_since_verify_ = 0;
  uint64_t verifications_ = 0;
};

}  // namespace crashdrill::system
