// Encoders and decoders of each state type, used by codec.cc. Internal to
// system/state: callers use the document functions of codec.h.
#pragma once

#include <cstdint>

#include "system/state/byte_codec.h"
#include "system/state/engine_state.h"

namespace crashdrill::system::codec {

void PutOrder(ByteWriter& w, const Order& o);
void GetOrder(ByteReader& r, Order& o);
void PutFill(ByteWriter& w, const Fill& f);
void GetFill(ByteReader& r, Fill& f);
void PutPosition(ByteWriter& w, const Position& p);
void GetPosition(ByteReader& r, Position& p);
void PutBalance(ByteWriter& w, const Balance& b);
void GetBalance(ByteReader& r, Balance& b);
void PutRisk(ByteWriter& w, const RiskState& risk);
void GetRisk(ByteReader& r, RiskState& risk);

void Put(ByteWriter& w, const TradingState& s, uint16_t version);
void Put(ByteWriter& w, const StrategyState& s, uint16_t version);
void Put(ByteWriter& w, const ConfigurationState& s, uint16_t version);
void Put(ByteWriter& w, const MarketDataState& s, uint16_t version);

void Get(ByteReader& r, TradingState& s, uint16_t version);
void Get(ByteReader& r, StrategyState& s, uint16_t version);
void Get(ByteReader& r, ConfigurationState& s, uint16_t version);
void Get(ByteReader& r, MarketDataState& s, uint16_t version);

}  // namespace crashdrill::system::codec
