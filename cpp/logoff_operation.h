// One StoreLogoffTransports on a store that no other opener shares: the state
// machine that drains, flushes or aborts the store's transport activity as
// the requested mode says, under the drain and abort deadlines, and then
// releases the spooler's transport sessions.
//
// The operation never releases the opener itself: it reports, and its owner
// (StoreSupport) acts on released() once done() is true.
#ifndef UVMAPI_CPP_LOGOFF_OPERATION_H
#define UVMAPI_CPP_LOGOFF_OPERATION_H

#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include "logoff_ticket.h"
#include "spooler.h"
#include "timer.h"

namespace uvmapi {

struct LogoffDeadlines {
  std::chrono::milliseconds drain{30000};
  std::chrono::milliseconds abort{5000};
};

class LogoffOperation {
 public:
  // forced: the runtime is shutting down, so an abort that cannot stop ends
  // in a release anyway instead of leaving the opener logged on.
  // wake: asks the owner to look at done() again after a deadline passed.
  LogoffOperation(uv_loop_t* loop, MessageStore& store, Spooler& spooler, std::uint32_t mode,
                  LogoffDeadlines deadlines, bool forced, std::shared_ptr<LogoffTicket> ticket,
                  std::function<void()> wake);

  void start();
  // Re-evaluates after the store's activity changed (or a deadline passed).
  void step();

  // Turns a drain (NO_WAIT, ORDERLY, PURGE) into an abort at once, as its
  // deadline would. False when there is no drain to escalate.
  bool escalate();

  bool done() const { return phase_ == Phase::Done; }
  bool released() const { return released_; }

 private:
  enum class Phase { Draining, Aborting, Done };

  bool drained() const;
  void begin_abort();
  void on_drain_deadline();
  void on_abort_deadline();
  void release(std::uint32_t transport_flags, bool forced = false);
  void give_up(HRESULT status);

  MessageStore& store_;
  Spooler& spooler_;
  const std::uint32_t mode_;
  const LogoffDeadlines deadlines_;
  const bool forced_;
  std::shared_ptr<LogoffTicket> ticket_;
  std::function<void()> wake_;
  Timer drain_timer_;
  Timer abort_timer_;
  Phase phase_ = Phase::Draining;
  bool released_ = false;
};

}  // namespace uvmapi

#endif
