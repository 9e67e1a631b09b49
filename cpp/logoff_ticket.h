// The outcome of one StoreLogoffTransports call, shared between the loop
// thread that writes it and the host threads that wait for it.
//
// A logoff is reported at two moments: when control returns to the caller,
// and when the opener is finally released (or the logoff is given up).
#ifndef UVMAPI_CPP_LOGOFF_TICKET_H
#define UVMAPI_CPP_LOGOFF_TICKET_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "mapi_defs.h"

namespace uvmapi {

struct LogoffReport {
  std::uint32_t requested = 0;  // The input flag the logoff ran with.
  // S_OK, or MAPI_E_UNABLE_TO_ABORT when an abort did not stop the activity
  // within the abort deadline (the logoff did not happen).
  HRESULT status = S_OK;
  std::uint32_t at_return = 0;
  std::uint32_t at_final = 0;
  bool returned = false;   // at_return is valid.
  bool finished = false;   // at_final is valid; nothing more will change.
  bool released = false;   // The opener was released.
  bool escalated = false;  // The drain deadline passed and the logoff became an abort.
  bool forced = false;     // Runtime shutdown ended an opener that would not log off.
};

class LogoffTicket {
 public:
  using Listener = std::function<void(const LogoffReport&)>;

  explicit LogoffTicket(std::uint32_t requested);

  LogoffReport snapshot() const;

  // Blocking waits for the two moments. MAPI_E_TIMEOUT when the deadline
  // passes first. Never call them on the loop thread: the loop would wait
  // for itself (the runtime's wrappers check this).
  HRESULT wait_returned(std::chrono::milliseconds timeout, LogoffReport& out) const;
  HRESULT wait_finished(std::chrono::milliseconds timeout, LogoffReport& out) const;

  // Calls listener at each moment still to come, on the loop thread; for a
  // moment already passed it is called at once, on the caller's thread.
  void subscribe(Listener listener);

  // Loop thread only: the logoff operation records the two moments.
  void mark_escalated();
  void report_return(std::uint32_t flags);
  void report_final(HRESULT status, std::uint32_t flags, bool released, bool forced = false);

 private:
  HRESULT wait(std::chrono::milliseconds timeout, bool LogoffReport::*moment,
               LogoffReport& out) const;
  void publish(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  mutable std::condition_variable moved_;
  LogoffReport report_;
  std::vector<Listener> listeners_;
};

}  // namespace uvmapi

#endif
