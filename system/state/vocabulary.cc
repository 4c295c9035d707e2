#include "system/state/vocabulary.h"

#include "system/state/trading_state.h"

namespace crashdrill::system {

std::string_view SideName(Side side) {
  switch (side) {
    case Side::kBuy: return "buy";
    case Side::kSell: return "sell";
  }
  return "invalid";
}

std::string_view OrderTypeName(OrderType type) {
  switch (type) {
    case OrderType::kLimit: return "limit";
    case OrderType::kMarket: return "market";
    case OrderType::kImmediateOrCancel: return "ioc";
  }
  return "invalid";
}

std::string BalanceKey(std::string_view venue, std::string_view currency) {
  std::string key(venue);
  key.push_back('/');
  key.append(currency);
  return key;
}

}  // namespace crashdrill::system
