#include "logoff_ticket.h"

#include <utility>

namespace uvmapi {

LogoffTicket::LogoffTicket(std::uint32_t requested) {
  report_.requested = requested;
}

LogoffReport LogoffTicket::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return report_;
}

HRESULT LogoffTicket::wait(std::chrono::milliseconds timeout, bool LogoffReport::*moment,
                           LogoffReport& out) const {
  std::unique_lock<std::mutex> lock(mutex_);
  bool reached = moved_.wait_for(lock, timeout, [&] { return report_.*moment; });
  out = report_;
  return reached ? S_OK : MAPI_E_TIMEOUT;
}

HRESULT LogoffTicket::wait_returned(std::chrono::milliseconds timeout, LogoffReport& out) const {
  return wait(timeout, &LogoffReport::returned, out);
}

HRESULT LogoffTicket::wait_finished(std::chrono::milliseconds timeout, LogoffReport& out) const {
  return wait(timeout, &LogoffReport::finished, out);
}

void LogoffTicket::subscribe(Listener listener) {
  std::unique_lock<std::mutex> lock(mutex_);
  listeners_.push_back(listener);
  if (!report_.returned) return;
  LogoffReport now = report_;
  lock.unlock();
  listener(now);
}

void LogoffTicket::mark_escalated() {
  std::lock_guard<std::mutex> lock(mutex_);
  report_.escalated = true;
}

void LogoffTicket::report_return(std::uint32_t flags) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (report_.returned) return;
  report_.returned = true;
  report_.at_return = flags;
  publish(lock);
}

void LogoffTicket::report_final(HRESULT status, std::uint32_t flags, bool released, bool forced) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (report_.finished) return;
  if (!report_.returned) {
    // Control returns with the final outcome (PURGE, ABORT, an idle store).
    report_.returned = true;
    report_.at_return = flags;
  }
  report_.finished = true;
  report_.status = status;
  report_.at_final = flags;
  report_.released = released;
  report_.forced = forced;
  publish(lock);
}

void LogoffTicket::publish(std::unique_lock<std::mutex>& lock) {
  LogoffReport now = report_;
  auto listeners = listeners_;
  lock.unlock();
  moved_.notify_all();
  for (auto& listener : listeners) listener(now);
}

}  // namespace uvmapi
