// One logon to a message store: the object a client holds as its IMsgStore.
// It counts references, keeps the flag of the last StoreLogoff, and calls
// StoreLogoffTransports on its support object when the count reaches zero.
//
// Loop thread only. A handle outlives its logon: once released, every call
// but release() fails with MAPI_E_INVALID_OBJECT.
#ifndef UVMAPI_CPP_OPENER_H
#define UVMAPI_CPP_OPENER_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "logoff_ticket.h"
#include "message.h"

namespace uvmapi {

class StoreSupport;

class Opener {
 public:
  enum class State {
    Open,        // Logged on and usable.
    LoggingOff,  // A logoff is under way: reads work, submissions are refused.
    Kept,        // The last release's logoff did not happen; the runtime holds it.
    Released,    // Gone: only release() is accepted.
  };

  Opener(std::uint64_t id, std::shared_ptr<StoreSupport> support);

  std::uint64_t id() const { return id_; }
  const std::string& store_name() const { return store_name_; }
  State state() const { return state_; }
  std::uint32_t refs() const { return refs_; }
  std::uint32_t saved_flag() const { return saved_flag_; }
  // How many times StoreLogoffTransports ran for this opener.
  int logoff_transports_calls() const { return logoff_transports_calls_; }

  // IUnknown.
  HRESULT add_ref();
  // Returns the new count. When it reaches zero the logoff starts and, if
  // ticket is given, *ticket tells its outcome. Extra releases of a released
  // opener only count down.
  std::uint32_t release(std::shared_ptr<LogoffTicket>* ticket = nullptr);

  // IMsgStore::StoreLogoff: validates and saves the flag, nothing else.
  // On return flags holds the store's activity bits.
  HRESULT store_logoff(std::uint32_t& flags);

  // The store's activity bits, without saving anything.
  HRESULT activity(std::uint32_t& activity) const;
  HRESULT submit(const Message& message, MessageId& id);
  HRESULT count(Folder folder, std::size_t& count) const;
  HRESULT list(Folder folder, std::vector<MessageId>& ids) const;
  HRESULT read(MessageId id, Message& message) const;
  // The support object, for a store provider that calls StoreLogoffTransports itself.
  HRESULT support(std::shared_ptr<StoreSupport>& support) const;

 private:
  friend class StoreSupport;

  HRESULT check_logged_on() const;

  const std::uint64_t id_;
  const std::string store_name_;
  std::shared_ptr<StoreSupport> support_;  // Empty once released.
  State state_ = State::Open;
  std::uint32_t refs_ = 1;
  std::uint32_t saved_flag_ = 0;  // Zero until StoreLogoff is called.
  int logoff_transports_calls_ = 0;
};

}  // namespace uvmapi

#endif
