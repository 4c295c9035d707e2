// ConfigurationState: the engine's configuration; every change is critical and
// bumps `version`.
#pragma once

#include <map>
#include <string>

#include "system/state/vocabulary.h"

namespace crashdrill::system {

struct SystemConfig {
  std::string instance_id;
  int64_t l1_period_ms = 100;
  int64_t l2_period_ms = 1000;
  int64_t snapshot_period_ms = 5 * 60 * 1000;
  int64_t archive_period_ms = 60 * 60 * 1000;
  int64_t clock_skew_tolerance_ms = 5 * 60 * 1000;

  bool operator==(const SystemConfig&) const = default;
};

struct VenueConfig {
  std::string name;
  std::string address;  // host:port or unix:path
  std::string account_id;
  bool enabled = true;

  bool operator==(const VenueConfig&) const = default;
};

struct RiskLimits {
  Lots max_order_lots = 0;
  Lots max_position_lots = 0;
  Minor max_daily_loss_minor = 0;
  Minor max_drawdown_minor = 0;
  std::map<std::string, Lots> position_limit_lots;  // per symbol, overrides max_position_lots

  bool operator==(const RiskLimits&) const = default;
};

struct StrategyConfig {
  std::string strategy_id;
  bool enabled = false;
  std::map<std::string, int64_t> parameters;

  bool operator==(const StrategyConfig&) const = default;
};

struct ConfigurationState {
  SystemConfig system;
  std::map<std::string, VenueConfig> venues;        // by name
  RiskLimits risk_limits;
  std::map<std::string, StrategyConfig> strategies;  // by strategy_id
  uint64_t version = 0;

  bool operator==(const ConfigurationState&) const = default;
};

}  // namespace crashdrill::system
