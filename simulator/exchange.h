// Exchange: the matching engine and the exchange's accounts, the oracle that a
// recovered engine is checked against. Single-threaded and deterministic: every
// call takes the time explicitly, every event gets the next global exchange_seq,
// and the same calls give the same event log (and EventLogHash) byte for byte.
// Matching: per symbol price-time priority; limit, market and IOC orders; self-trade
// prevention cancels the RESTING order of the same account and keeps matching the
// incoming one. Memory is bounded by the limits in ExchangeConfig.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "simulator/account.h"
#include "simulator/event.h"
#include "simulator/order_book.h"
#include "system/engine/venue.h"
#include "system/io/result.h"
#include "system/state/market_data_state.h"

namespace crashdrill::simulator {

struct SymbolSpec {
  std::string name;
  system::Ticks price_increment_ticks = 1;  // a price must be a multiple of this
  system::Lots lot_increment_lots = 1;      // a quantity must be a multiple of this
  system::Ticks initial_fair_ticks = 10'000;
};

struct ExchangeConfig {
  std::vector<SymbolSpec> symbols = {{"ACME", 1, 1, 10'000}, {"BOLT", 5, 10, 50'000}};
  int64_t maker_fee_per_million = -50;  // a rebate of 0.5 bp
  int64_t taker_fee_per_million = 250;  // 2.5 bp
  std::string venue_name = "crashdrill-sim";
  std::string currency = "USD";
  size_t report_history_per_account = 1 << 16;  // reports kept per account
  size_t orders_per_account_max = 1 << 20;      // order ids remembered per account
  size_t event_log_retained = 1 << 20;          // events kept for the checker
};

inline constexpr system::Ticks kMaxPriceTicks = 1'000'000'000;
inline constexpr system::Lots kMaxQuantityLots = 1'000'000;
inline constexpr std::string_view kFeeAccountName = "exchange-fees";

struct ExchangeCounters {
  uint64_t orders_submitted = 0;
  uint64_t orders_rejected = 0;
  uint64_t duplicate_client_order_ids = 0;
  uint64_t cancels_acked = 0;
  uint64_t cancels_rejected = 0;
  uint64_t trades = 0;
  uint64_t self_trades_prevented = 0;
};

// An order as the exchange holds it.
struct OrderRecord {
  uint64_t id = 0;
  AccountId account = 0;
  SymbolId symbol = 0;
  system::Side side = system::Side::kBuy;
  system::OrderType type = system::OrderType::kLimit;
  system::OrderState state = system::OrderState::kOpen;
  system::Ticks price_ticks = 0;
  system::Lots quantity_lots = 0;
  system::Lots filled_lots = 0;
  system::Seq last_exchange_seq = 0;
  system::TimeNs created_ns = 0;
  system::TimeNs updated_ns = 0;
  std::string client_order_id;
  OrderBook::Position book_position;  // valid while resting
};

class Exchange {
 public:
  explicit Exchange(ExchangeConfig config);

  // Opens (or finds) the account `name`; a new account is credited `deposit_minor`.
  AccountId OpenAccount(std::string_view name, system::Minor deposit_minor = 0,
                        bool keep_history = true);
  std::optional<AccountId> FindAccount(std::string_view name) const;
  std::optional<SymbolId> FindSymbol(std::string_view name) const;

  // Validates, matches and rests an order; every outcome is an event.
  void Submit(AccountId account, const system::NewOrder& order, system::TimeNs now_ns);
  void Cancel(AccountId account, std::string_view client_order_id, system::TimeNs now_ns);

  // Recovery queries of one account (what a Venue serves).
  std::vector<system::Position> Positions(AccountId account) const;
  system::Balance BalanceOf(AccountId account) const;
  std::vector<system::Order> OpenOrders(AccountId account) const;
  system::Result<system::VenueOrder> OrderOf(AccountId account,
                                             std::string_view client_order_id) const;
  system::Result<std::vector<system::ExecutionReport>> ReportsSince(AccountId account,
                                                                    system::Seq after_exchange_seq,
                                                                    size_t max_count) const;
  // The fills among ReportsSince, at most `max_count` of them.
  system::Result<std::vector<system::Fill>> FillsSince(AccountId account,
                                                       system::Seq after_exchange_seq,
                                                       size_t max_count) const;
  // Reports with account_report_seq > after; starts at the oldest kept if trimmed.
  std::vector<system::ExecutionReport> ReportsAfter(AccountId account, system::Seq after,
                                                    size_t max_count) const;
  system::Seq LastReportSeq(AccountId account) const;

  // Market data: the best `depth` levels per side of `symbol`'s book, each level the
  // sum of the leaves of its resting orders, as of last_exchange_seq(). kNotFound for
  // an unknown symbol. O(depth + orders at those levels).
  system::Result<system::BookSnapshot> BookOf(std::string_view symbol, size_t depth) const;

  // Truth for the checker.
  const Account& account(AccountId id) const { return accounts_.at(id); }
  size_t AccountCount() const { return accounts_.size(); }
  AccountId fee_account() const { return fee_account_; }
  const std::vector<SymbolSpec>& symbols() const { return config_.symbols; }
  const OrderBook& book(SymbolId symbol) const { return books_.at(symbol); }
  const OrderRecord* FindOrder(uint64_t exchange_order_id) const;
  const std::deque<Event>& event_log() const { return event_log_; }
  uint64_t events_trimmed() const { return events_trimmed_; }
  uint64_t EventLogHash() const { return hasher_.Digest(); }
  system::Seq last_exchange_seq() const { return next_exchange_seq_ - 1; }
  const ExchangeCounters& counters() const { return counters_; }
  system::ExecutionReport ToReport(const Event& event) const;

 private:
  system::RejectReason Validate(const Account& account, const system::NewOrder& order,
                                SymbolId* symbol) const;
  void Match(OrderRecord& taker, system::TimeNs now_ns);
  void Trade(OrderRecord& maker, OrderRecord& taker, system::Lots lots, system::TimeNs now_ns);
  void CloseOrder(OrderRecord& order, system::RejectReason reason, system::TimeNs now_ns);
  void Forget(OrderRecord& order);
  Event OrderEvent(const OrderRecord& order, system::ExecType type, system::TimeNs now_ns) const;
  system::Seq Emit(Event event);
  system::Order ToOrder(const OrderRecord& record) const;
  system::Status CheckKept(const Account& account, system::Seq after_exchange_seq) const;
  std::deque<Event>::const_iterator FirstAfter(const Account& account,
                                               system::Seq after_exchange_seq) const;

  ExchangeConfig config_;
  std::vector<Account> accounts_;
  std::unordered_map<std::string, AccountId, StringHash, std::equal_to<>> account_ids_;
  AccountId fee_account_ = 0;
  std::vector<OrderBook> books_;
  std::unordered_map<uint64_t, OrderRecord> orders_;
  uint64_t next_order_id_ = 1;
  uint64_t next_trade_id_ = 1;
  system::Seq next_exchange_seq_ = 1;
  std::deque<Event> event_log_;
  uint64_t events_trimmed_ = 0;
  EventHasher hasher_;
  ExchangeCounters counters_;
};

}  // namespace crashdrill::simulator
