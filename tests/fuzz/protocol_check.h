// What the loopback protocol's decoders must do with any byte stream
// (simulator/protocol.h), as the server and the client read it:
// - ParseFrame, called the way ExchangeServer::ReadFrom calls it, finds the
//   same frames and the same error whether the stream arrives whole or in
//   pieces; a frame it returns re-encodes (AppendFrame) to the bytes it
//   consumed;
// - the payload decoder of every message type accepts a payload only if it
//   is exactly what the matching encoder writes for the value decoded (the
//   wire format is canonical), and never overreads (the sanitizers watch).
// Request payloads are laid out by LoopbackVenue and read by the server's
// handlers (server_handlers.cc) with the Reader primitives, not by a codec of
// their own; ReadPayload mirrors them and has to follow them.
//
// Input: byte 0 = the size of the pieces the stream arrives in (1 + value %
// 64); the rest is the stream.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "simulator/protocol.h"
#include "tests/fuzz/fuzz_support.h"

namespace crashdrill::testing {

struct ParsedStream {
  std::vector<simulator::Frame> frames;
  std::string error;  // empty unless the stream broke a rule
};

// Feeds `stream` in pieces of `piece_bytes`, parsing after each as the server does.
inline std::string ParseStream(std::string_view stream, size_t piece_bytes, ParsedStream& out) {
  using namespace crashdrill::simulator;
  std::string buffer;
  for (size_t at = 0; at < stream.size() && out.error.empty(); at += piece_bytes) {
    buffer.append(stream.substr(at, piece_bytes));
    for (;;) {
      Frame frame;
      size_t consumed = 0;
      std::string error;
      const FrameParse parse = ParseFrame(buffer, frame, consumed, error);
      if (parse == FrameParse::kNeedMore) break;
      if (parse == FrameParse::kError) {
        out.error = error.empty() ? "(no message)" : error;
        break;
      }
      if (consumed == 0 || consumed > buffer.size()) {
        return fmt::format("a frame consumed {} of {} bytes", consumed, buffer.size());
      }
      std::string again;
      AppendFrame(frame, again);
      if (again != std::string_view(buffer).substr(0, consumed)) {
        return fmt::format("frame {} (type {}) re-encodes to other bytes", out.frames.size(),
                           static_cast<int>(frame.type));
      }
      buffer.erase(0, consumed);
      out.frames.push_back(std::move(frame));
    }
  }
  return {};
}

// Decodes a single value with `decode` and, if it is accepted, re-encodes it.
template <typename T>
std::optional<std::string> RoundTripOne(std::string_view payload) {
  simulator::Reader reader(payload);
  T value;
  if (!simulator::Decode(reader, value) || !reader.AtEnd()) return std::nullopt;
  simulator::Writer writer;
  simulator::Encode(writer, value);
  return writer.Take();
}

template <typename T>
std::optional<std::string> RoundTripList(std::string_view payload) {
  auto items = simulator::DecodeList<T>(payload);
  if (!items) return std::nullopt;
  return simulator::EncodeList(*items);
}

// The payload of `type` decoded as its reader does and encoded again, or
// nullopt when that reader refuses it.
inline std::optional<std::string> ReadPayload(simulator::MessageType type,
                                              std::string_view payload) {
  using namespace crashdrill::simulator;
  Reader reader(payload);
  Writer writer;
  switch (type) {
    case MessageType::kHello:
      writer.String(reader.String(kMaxAccountNameBytes));
      break;
    case MessageType::kSubmit:
      return RoundTripOne<system::NewOrder>(payload);
    case MessageType::kCancel:
    case MessageType::kQueryOrder:
      writer.String(reader.String(system::kMaxClientOrderIdBytes));
      break;
    case MessageType::kPoll:
      writer.U32(reader.U32());
      break;
    case MessageType::kQueryPositions:
    case MessageType::kQueryBalances:
    case MessageType::kQueryOpenOrders:
    case MessageType::kOk:
      break;
    case MessageType::kQueryReportsSince:
    case MessageType::kQueryFillsSince:
      writer.U64(reader.U64());
      writer.U32(reader.U32());
      break;
    case MessageType::kQueryBook:
      writer.String(reader.String(system::kMaxSymbolBytes));
      writer.U32(reader.U32());
      break;
    case MessageType::kReports:
      return RoundTripList<system::ExecutionReport>(payload);
    case MessageType::kPositions:
      return RoundTripList<system::Position>(payload);
    case MessageType::kBalances:
      return RoundTripList<system::Balance>(payload);
    case MessageType::kOrders:
      return RoundTripList<system::Order>(payload);
    case MessageType::kVenueOrder:
      return RoundTripOne<system::VenueOrder>(payload);
    case MessageType::kFills:
      return RoundTripList<system::Fill>(payload);
    case MessageType::kBook:
      return RoundTripOne<system::BookSnapshot>(payload);
    case MessageType::kError:  // as LoopbackVenue::Call reads it
      writer.U8(reader.U8());
      writer.String(reader.String(256));
      writer.String(reader.String(4096));
      break;
    case MessageType::kProtocolError:
      writer.String(reader.String(kMaxFrameBytes));
      break;
  }
  if (!reader.AtEnd()) return std::nullopt;
  return writer.Take();
}

inline std::string CheckProtocol(system::ByteSpan input) {
  FuzzCursor cursor(input);
  const size_t piece_bytes = 1 + cursor.U8() % 64;
  const std::string_view stream = AsText(cursor.Rest());
  ParsedStream whole, pieces;
  std::string problem = ParseStream(stream, stream.size() + 1, whole);
  if (problem.empty()) problem = ParseStream(stream, piece_bytes, pieces);
  if (!problem.empty()) return problem;
  if (pieces.error != whole.error || pieces.frames.size() != whole.frames.size()) {
    return fmt::format("in {}-byte pieces: {} frames, error '{}'; whole: {} frames, error '{}'",
                       piece_bytes, pieces.frames.size(), pieces.error, whole.frames.size(),
                       whole.error);
  }
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    const simulator::Frame& frame = whole.frames[i];
    const simulator::Frame& piece = pieces.frames[i];
    if (piece.type != frame.type || piece.request_id != frame.request_id ||
        piece.payload != frame.payload) {
      return fmt::format("frame {} differs when the stream arrives in {}-byte pieces", i,
                         piece_bytes);
    }
    const std::optional<std::string> again = ReadPayload(frame.type, frame.payload);
    if (again && *again != frame.payload) {
      return fmt::format("frame {}: a payload of type {} that decodes re-encodes to other bytes", i,
                         static_cast<int>(frame.type));
    }
  }
  return {};
}

}  // namespace crashdrill::testing
