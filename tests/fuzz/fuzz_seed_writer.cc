// Writes the seed corpus of every fuzz target, made by the real encoders and
// writers at build time so the seeds always speak the current formats:
//   fuzz_seed_writer OUT_DIR  ->  OUT_DIR/<target>/<seed>
// Each seed is a valid input of its kind (a WAL written by Wal, a snapshot
// written by EncodeSnapshot, a session of protocol frames) or one with a
// known, named defect, so the fuzzer starts from the interesting paths.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "faults/sim_disk.h"
#include "simulator/protocol.h"
#include "system/levels/snapshot_store.h"
#include "system/levels/wal.h"
#include "tests/fuzz/protocol_check.h"
#include "tests/fuzz/snapshot_check.h"
#include "tests/fuzz/state_update_check.h"
#include "tests/fuzz/wal_format_check.h"
#include "tests/fuzz/wal_reader_check.h"
#include "tests/system/state/golden_state.h"

namespace crashdrill::testing {
namespace {

using namespace crashdrill::system;
using Seeds = std::map<std::string, Bytes>;

// The seeds are made by code that cannot fail on a fresh SimDisk: if it does,
// that is a bug to see at once, not a corpus to write without it.
void Require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz_seed_writer: %s\n", what);
  std::exit(3);
}

// One update of every RecordType, in an order that applies to GoldenState().
std::vector<StateUpdate> SampleUpdates() {
  const EngineState golden = GoldenState();
  Order submitted = golden.trading.open_orders.at("o-17");
  submitted.client_order_id = "s-1";
  submitted.exchange_order_id = 0;
  submitted.filled_lots = 0;
  Order rejected = submitted;
  rejected.client_order_id = "s-2";
  Fill fill = golden.trading.recent_fills.back();
  fill.exchange_seq = 48;
  fill.trade_id = 7'003;
  fill.quantity_lots = 1;
  Fill pending_fill = fill;
  pending_fill.client_order_id = "p-18";
  pending_fill.symbol = "CLF7";
  pending_fill.side = Side::kBuy;
  pending_fill.price_ticks = 7'100;
  pending_fill.exchange_seq = 50;
  ConfigurationState config = golden.config;
  config.version = 8;
  config.risk_limits.max_order_lots = 50;
  StrategyState strategy = golden.strategies.at("mm-1");
  strategy.parameters["spread_ticks"] = 3;
  strategy.pnl_minor = 400;
  return {OrderSubmitted{submitted},
          OrderAcknowledged{"s-1", 9'100, 46},
          OrderSubmitted{rejected},
          OrderRejected{"s-2", "price band", 47},
          CancelRequested{"o-17"},
          FillReceived{fill, "USD"},
          CancelAcknowledged{"o-17", 49},
          FillReceived{pending_fill, "USD"},
          PositionSet{{"NQH7", 2, 2 * 21'000, 0}},
          BalanceSet{{"SIMX", "EUR", 500'000, 400'000}},
          RiskHalted{"daily loss limit"},
          RiskResumed{},
          ConfigChanged{config},
          StrategyUpdated{strategy}};
}

std::vector<WalRecord> SampleRecords(Seq first_seq) {
  std::vector<WalRecord> records;
  for (const StateUpdate& update : SampleUpdates()) {
    const Seq seq = first_seq + records.size();
    records.push_back({TypeOf(update), seq, 1'763'900'002'000'000'000 + static_cast<TimeNs>(seq),
                       EncodeStateUpdate(update)});
  }
  return records;
}

Seeds WalFormatSeeds() {
  Seeds seeds;
  for (const WalRecord& record : SampleRecords(1'235)) {
    for (uint8_t mode : {uint8_t{0}, kWalFormatSealed}) {
      Bytes input{std::byte(mode)};
      AppendWalFrame(record, record.state_seq, input);
      seeds[fmt::format("frame-{}-mode{}", RecordTypeName(record.type), mode)] = input;
    }
  }
  for (Seq previous : {Seq{0}, Seq{1'234}}) {
    Bytes input{std::byte(0)};
    const Bytes header = WalSegmentHeader(previous);
    input.insert(input.end(), header.begin(), header.end());
    seeds[fmt::format("segment-header-after-{}", previous)] = input;
  }
  seeds["zero-frame"] = Bytes(1 + kWalFrameHeaderBytes);
  return seeds;
}

// The segment files of `dir` on `disk`, oldest first.
std::vector<Bytes> SegmentFiles(faults::SimDisk& disk, const std::string& dir) {
  Result<std::vector<WalSegment>> segments = WalReader(disk, dir).Segments();
  Require(segments.ok(), "listing the segments just written failed");
  std::vector<Bytes> files;
  for (const WalSegment& segment : *segments) {
    Result<Bytes> bytes = ReadWholeFile(disk, segment.path);
    Require(bytes.ok(), "reading a segment just written failed");
    files.push_back(std::move(*bytes));
  }
  return files;
}

// A segment built by hand: header, then frames with the batch ids given.
Bytes HandBuiltSegment(Seq previous, const std::vector<std::pair<WalRecord, Seq>>& frames,
                       std::vector<size_t>* offsets = nullptr) {
  Bytes segment = WalSegmentHeader(previous);
  for (const auto& [record, batch_first] : frames) {
    if (offsets != nullptr) offsets->push_back(segment.size());
    AppendWalFrame(record, batch_first, segment);
  }
  segment.resize(std::max<size_t>(segment.size() + 64, 512));
  return segment;
}

Seeds WalReaderSeeds() {
  Seeds seeds;
  {  // The real writer: records spill over several preallocated 512-byte segments.
    faults::SimDisk disk({});
    Wal wal(disk, {.dir = "/wal", .segment_bytes = 512});
    Require(wal.Open().ok(), "Wal::Open on a fresh SimDisk failed");
    for (const WalRecord& record : SampleRecords(1)) {
      Require(wal.Append(record).ok(), "Wal::Append on a fresh SimDisk failed");
    }
    std::vector<Bytes> files = SegmentFiles(disk, "/wal");
    if (files.size() > kWalFuzzSegmentsMax) files.resize(kWalFuzzSegmentsMax);
    seeds["writer-segments"] = WalReaderInput(0, files);
    seeds["writer-segments-resealed-chunk41"] = WalReaderInput(kWalFuzzReseal | 4, files);
    seeds["writer-first-segment-chunk8"] = WalReaderInput(2, {files.front()});
  }
  std::vector<std::pair<WalRecord, Seq>> frames;
  for (const WalRecord& record : SampleRecords(1)) {
    if (frames.size() == 6) break;
    frames.push_back({record, record.state_seq <= 3 ? 1 : 4});  // batches {1,2,3}, {4,5,6}
  }
  std::vector<size_t> offsets;
  const Bytes batches = HandBuiltSegment(0, frames, &offsets);
  seeds["two-batches"] = WalReaderInput(kWalFuzzReseal | 3, {batches});
  Bytes torn = batches;  // the middle frame of the last batch never reached the disk
  std::fill(torn.begin() + static_cast<long>(offsets[4]),
            torn.begin() + static_cast<long>(offsets[5]), std::byte{0});
  seeds["torn-last-batch"] = WalReaderInput(1, {torn});
  Bytes damaged = batches;  // a durable frame of the first batch went bad
  damaged[offsets[1] + kWalFrameHeaderBytes] ^= std::byte{0x40};
  seeds["damaged-durable-batch"] = WalReaderInput(5, {damaged});
  std::vector<std::pair<WalRecord, Seq>> later;
  for (WalRecord record : SampleRecords(42)) {
    if (later.size() == 3) break;
    later.push_back({record, record.state_seq});
  }
  seeds["starts-after-dropped-segments"] = WalReaderInput(6, {HandBuiltSegment(41, later)});
  const Bytes header_only = WalSegmentHeader(6);
  seeds["torn-segment-header"] =
      WalReaderInput(7, {batches, Bytes(header_only.begin(), header_only.begin() + 20)});
  return seeds;
}

Seeds StateUpdateSeeds() {
  Seeds seeds;
  const std::vector<StateUpdate> updates = SampleUpdates();
  Bytes all{std::byte(0)};
  for (const StateUpdate& update : updates) {
    AppendStateUpdateRecord(all, TypeOf(update), EncodeStateUpdate(update));
    Bytes one{std::byte(0)};
    AppendStateUpdateRecord(one, TypeOf(update), EncodeStateUpdate(update));
    seeds[fmt::format("golden-{}-{}", seeds.size(), RecordTypeName(TypeOf(update)))] = one;
  }
  seeds["golden-every-type"] = all;
  Bytes from_empty{std::byte(1)};  // submit, ack and fill an order from nothing
  for (size_t i : {0, 1, 8, 9}) {
    AppendStateUpdateRecord(from_empty, TypeOf(updates[i]), EncodeStateUpdate(updates[i]));
  }
  seeds["empty-submit-ack-position-balance"] = from_empty;
  return seeds;
}

Seeds SnapshotSeeds() {
  Seeds seeds;
  const EngineState golden = GoldenState();
  const EngineState empty;
  for (uint8_t mode : {kSnapshotAsIs, kSnapshotResealed}) {
    for (const auto& [name, state] : {std::pair{"golden", &golden}, std::pair{"empty", &empty}}) {
      Bytes input{std::byte(mode)};
      const Bytes file = EncodeSnapshot(*state, 3);
      input.insert(input.end(), file.begin(), file.end());
      seeds[fmt::format("{}-mode{}", name, mode)] = input;
    }
  }
  for (const auto& [name, state] : {std::pair{"golden", &golden}, std::pair{"empty", &empty}}) {
    Bytes input(9);
    input[0] = std::byte(kSnapshotCompressedHere);
    PutLittleEndian(input, 1, state->state_seq(), 8);
    const Bytes document = EncodeEngineState(*state);
    input.insert(input.end(), document.begin(), document.end());
    seeds[fmt::format("{}-document", name)] = input;
  }
  return seeds;
}

// One message of every type, its payload made by the encoders both sides use.
std::vector<std::pair<simulator::MessageType, std::string>> ProtocolMessages() {
  using namespace crashdrill::simulator;
  const EngineState golden = GoldenState();
  const Order& order = golden.trading.open_orders.at("o-17");
  const Fill& fill = golden.trading.recent_fills.back();
  ExecutionReport report{.exchange_seq = 44,
                         .account_report_seq = 3,
                         .type = ExecType::kPartialFill,
                         .client_order_id = order.client_order_id,
                         .exchange_order_id = order.exchange_order_id,
                         .symbol = order.symbol,
                         .side = order.side,
                         .price_ticks = order.price_ticks,
                         .quantity_lots = order.quantity_lots,
                         .filled_lots = 2,
                         .leaves_lots = 3,
                         .fill = fill,
                         .exchange_time_ns = fill.exchange_time_ns};
  ExecutionReport reject = report;
  reject.type = ExecType::kReject;
  reject.reason = RejectReason::kPriceNotOnTick;
  reject.fill = {};
  reject.fill.side = static_cast<Side>(0);  // a non-fill carries the empty fill
  const auto one = [](auto encode) {
    Writer writer;
    encode(writer);
    return writer.Take();
  };
  std::vector<std::pair<MessageType, std::string>> messages = {
      {MessageType::kHello, one([](Writer& w) { w.String("acct-golden"); })},
      {MessageType::kSubmit, one([&](Writer& w) {
         Encode(w, NewOrder{"s-1", "ESZ6", Side::kBuy, OrderType::kLimit, 480'000, 4});
       })},
      {MessageType::kCancel, one([](Writer& w) { w.String("o-17"); })},
      {MessageType::kPoll, one([](Writer& w) { w.U32(100); })},
      {MessageType::kQueryPositions, ""},
      {MessageType::kQueryBalances, ""},
      {MessageType::kQueryOpenOrders, ""},
      {MessageType::kQueryOrder, one([](Writer& w) { w.String("o-17"); })},
      {MessageType::kQueryReportsSince, one([](Writer& w) {
         w.U64(41);
         w.U32(100);
       })},
      {MessageType::kQueryFillsSince, one([](Writer& w) {
         w.U64(41);
         w.U32(100);
       })},
      {MessageType::kQueryBook, one([](Writer& w) {
         w.String("ESZ6");
         w.U32(10);
       })},
      {MessageType::kOk, ""},
      {MessageType::kReports, EncodeList(std::vector{report, reject})},
      {MessageType::kPositions, EncodeList(std::vector{golden.trading.positions.at("ESZ6")})},
      {MessageType::kBalances, EncodeList(std::vector{golden.trading.balances.begin()->second})},
      {MessageType::kOrders, EncodeList(std::vector{order})},
      {MessageType::kVenueOrder, one([&](Writer& w) {
         Encode(w, VenueOrder{order, OrderState::kOpen, 44});
       })},
      {MessageType::kFills, EncodeList(std::vector<Fill>(golden.trading.recent_fills.begin(),
                                                         golden.trading.recent_fills.end()))},
      {MessageType::kError, one([](Writer& w) {
         w.U8(static_cast<uint8_t>(StatusCode::kNotFound));
         w.String("query_order");
         w.String("no such order");
       })},
      {MessageType::kProtocolError, one([](Writer& w) { w.String("malformed payload"); })},
      {MessageType::kBook, one([](Writer& w) {
         Encode(w, BookSnapshot{.symbol = "ESZ6",
                                .bids = {{479'975, 12}, {479'950, 3}},
                                .asks = {{480'000, 4}, {480'050, 20}},
                                .exchange_seq = 44});
       })},
  };
  return messages;
}

// Each message alone, and all of them as one session arriving in pieces.
Seeds ProtocolSeeds() {
  using namespace crashdrill::simulator;
  Seeds seeds;
  std::string session;
  uint32_t request_id = 1;
  for (const auto& [type, payload] : ProtocolMessages()) {
    std::string frame;
    AppendFrame({type, request_id++, payload}, frame);
    session += frame;
    Bytes input{std::byte(request_id * 7)};  // pieces of varied size
    const ByteSpan bytes = AsBytes(frame);
    input.insert(input.end(), bytes.begin(), bytes.end());
    seeds[fmt::format("message-{}", static_cast<int>(type))] = input;
  }
  for (uint8_t piece : {0, 5, 63}) {
    Bytes input{std::byte(piece)};
    const ByteSpan bytes = AsBytes(session);
    input.insert(input.end(), bytes.begin(), bytes.end());
    seeds[fmt::format("session-pieces-{}", piece + 1)] = input;
  }
  return seeds;
}

void WriteSeeds(const std::filesystem::path& dir, const Seeds& seeds) {
  std::filesystem::remove_all(dir);  // a seed dropped here leaves no stale file behind
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : seeds) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    Require(static_cast<bool>(out), "cannot write a seed file");
  }
}

}  // namespace
}  // namespace crashdrill::testing

int main(int argc, char** argv) {
  using namespace crashdrill::testing;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_writer OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  WriteSeeds(out / "wal_format_fuzzer", WalFormatSeeds());
  WriteSeeds(out / "wal_reader_fuzzer", WalReaderSeeds());
  WriteSeeds(out / "state_update_fuzzer", StateUpdateSeeds());
  WriteSeeds(out / "snapshot_fuzzer", SnapshotSeeds());
  WriteSeeds(out / "protocol_fuzzer", ProtocolSeeds());
  return 0;
}
