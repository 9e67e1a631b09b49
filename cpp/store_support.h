// The support object of one logged-on store (IMAPISupport for a store
// provider). It holds the store's openers and its spooler, and implements
// StoreLogoffTransports: the shared-store rule here, the modes in LogoffOperation.
//
// Loop thread only. It lives while any opener of the store is logged on.
#ifndef UVMAPI_CPP_STORE_SUPPORT_H
#define UVMAPI_CPP_STORE_SUPPORT_H

#include <memory>
#include <string>
#include <vector>

#include "logoff_operation.h"
#include "spooler.h"

namespace uvmapi {

class Opener;
class Runtime;

// MAPI_E_UNKNOWN_FLAGS for bits outside the five input flags, then
// MAPI_E_INVALID_PARAMETER unless exactly one of them is set.
HRESULT check_logoff_flag(std::uint32_t flags);

class StoreSupport : public std::enable_shared_from_this<StoreSupport> {
 public:
  // slot: where the runtime keeps this support while the store is logged on
  // (it outlives the support); cleared through the runtime when the last
  // opener goes.
  StoreSupport(Runtime& runtime, std::string name, MessageStore& store,
               std::shared_ptr<StoreSupport>& slot);
  ~StoreSupport();
  StoreSupport(const StoreSupport&) = delete;
  StoreSupport& operator=(const StoreSupport&) = delete;

  HRESULT logon(const std::vector<std::shared_ptr<TransportProvider>>& providers);

  const std::string& name() const { return name_; }
  MessageStore& store() { return store_; }
  Spooler& spooler() { return spooler_; }
  bool logging_off() const { return active_ != nullptr; }
  const std::vector<std::shared_ptr<Opener>>& openers() const { return openers_; }

  void add_opener(std::shared_ptr<Opener> opener);

  // IMAPISupport::StoreLogoffTransports. Starts the logoff of opener with one
  // input flag; ticket reports when control returns and the final outcome.
  HRESULT store_logoff_transports(Opener& opener, std::uint32_t flags,
                                  std::shared_ptr<LogoffTicket>& ticket);

  // Turns the drain under way into an abort now (the host's "stop waiting").
  // MAPI_E_NOT_FOUND when no drain is under way.
  HRESULT escalate_logoff();

  // Runtime shutdown: ends an opener whatever it takes. An abort that does
  // not stop within the abort deadline is released anyway.
  void force_logoff(Opener& opener);

 private:
  HRESULT begin(Opener& opener, std::uint32_t flags, bool forced,
                std::shared_ptr<LogoffTicket>& ticket);
  void schedule_step();
  void drive();
  void release_opener(Opener& opener);

  Runtime& runtime_;
  std::shared_ptr<StoreSupport>& slot_;
  const std::string name_;
  MessageStore& store_;
  Spooler spooler_;
  std::vector<std::shared_ptr<Opener>> openers_;  // Logged on: Open, LoggingOff or Kept.
  std::unique_ptr<LogoffOperation> active_;
  Opener* active_opener_ = nullptr;
  std::shared_ptr<LogoffTicket> active_ticket_;
  bool step_scheduled_ = false;
};

}  // namespace uvmapi

#endif
