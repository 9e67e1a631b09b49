#include "logoff_operation.h"

#include <utility>

namespace uvmapi {

namespace {

constexpr std::uint32_t kInFlight = LOGOFF_INBOUND | LOGOFF_OUTBOUND;

}  // namespace

LogoffOperation::LogoffOperation(uv_loop_t* loop, MessageStore& store, Spooler& spooler,
                                 std::uint32_t mode, LogoffDeadlines deadlines, bool forced,
                                 std::shared_ptr<LogoffTicket> ticket, std::function<void()> wake)
    : store_(store),
      spooler_(spooler),
      mode_(mode),
      deadlines_(deadlines),
      forced_(forced),
      ticket_(std::move(ticket)),
      wake_(std::move(wake)),
      drain_timer_(loop),
      abort_timer_(loop) {}

void LogoffOperation::start() {
  const std::uint32_t activity = spooler_.activity();
  // From here the logoff decides what is tried: a transport's own retries
  // would keep a drain from ever seeing the queue at rest.
  if (mode_ != LOGOFF_QUIET) spooler_.set_retries_open(false);
  switch (mode_) {
    case LOGOFF_QUIET:
      if (activity != 0) {
        give_up(S_OK);
      } else {
        release(LOGOFF_NORMAL);
      }
      return;

    case LOGOFF_ABORT:
      if (activity & kInFlight) {
        begin_abort();
      } else {
        release(LOGOFF_HURRY);
      }
      return;

    case LOGOFF_ORDERLY:
      spooler_.set_inbound_open(false);
      spooler_.set_outbound_open(false);
      spooler_.notify_all(NOTIFY_END_INBOUND | NOTIFY_END_OUTBOUND);
      ticket_->report_return(LOGOFF_COMPLETE | activity);
      break;

    case LOGOFF_NO_WAIT:
      spooler_.set_inbound_open(false);
      spooler_.notify_all(NOTIFY_END_INBOUND);
      ticket_->report_return(LOGOFF_COMPLETE | activity);
      break;

    case LOGOFF_PURGE:
      // Reception stays open until the download flush is done: fetching the
      // mail still pending at the source is what PURGE asks for.
      spooler_.notify_all(NOTIFY_BEGIN_INBOUND_FLUSH | NOTIFY_BEGIN_OUTBOUND_FLUSH);
      spooler_.flush_all(FLUSH_UPLOAD | FLUSH_DOWNLOAD | FLUSH_FORCE);
      break;
  }
  // The deadline is armed only for a drain that does not end at once.
  step();
  if (phase_ != Phase::Draining) return;
  drain_timer_.start(deadlines_.drain, [this] {
    on_drain_deadline();
    wake_();
  });
}

bool LogoffOperation::drained() const {
  if (spooler_.activity() & kInFlight) return false;
  switch (mode_) {
    case LOGOFF_ORDERLY:
      return true;
    case LOGOFF_NO_WAIT:
      return spooler_.sendable() == 0;
    case LOGOFF_PURGE:
      return !spooler_.flushing() && spooler_.sendable() == 0;
  }
  return true;
}

void LogoffOperation::step() {
  switch (phase_) {
    case Phase::Draining:
      if (mode_ == LOGOFF_PURGE && !spooler_.flushing()) spooler_.set_inbound_open(false);
      if (drained()) {
        if (mode_ == LOGOFF_PURGE) {
          spooler_.notify_all(NOTIFY_END_INBOUND_FLUSH | NOTIFY_END_OUTBOUND_FLUSH);
        }
        release(LOGOFF_NORMAL);
      }
      return;
    case Phase::Aborting:
      if ((spooler_.activity() & kInFlight) == 0) release(LOGOFF_HURRY);
      return;
    case Phase::Done:
      return;
  }
}

void LogoffOperation::begin_abort() {
  phase_ = Phase::Aborting;
  drain_timer_.stop();
  spooler_.set_inbound_open(false);
  spooler_.set_outbound_open(false);
  abort_timer_.start(deadlines_.abort, [this] {
    on_abort_deadline();
    wake_();
  });
  spooler_.cancel_activity();
}

void LogoffOperation::on_drain_deadline() {
  escalate();
}

bool LogoffOperation::escalate() {
  if (phase_ != Phase::Draining) return false;
  ticket_->mark_escalated();
  begin_abort();
  step();
  return true;
}

void LogoffOperation::on_abort_deadline() {
  if (phase_ != Phase::Aborting) return;
  if (forced_) {
    release(LOGOFF_HURRY, true);
  } else {
    give_up(MAPI_E_UNABLE_TO_ABORT);
  }
}

void LogoffOperation::release(std::uint32_t transport_flags, bool forced) {
  drain_timer_.stop();
  abort_timer_.stop();
  phase_ = Phase::Done;
  released_ = true;
  spooler_.logoff(transport_flags);
  std::uint32_t flags = LOGOFF_COMPLETE;
  if (store_.count(Folder::Outbox) > 0) flags |= LOGOFF_OUTBOUND_QUEUE;
  ticket_->report_final(S_OK, flags, true, forced);
}

void LogoffOperation::give_up(HRESULT status) {
  drain_timer_.stop();
  abort_timer_.stop();
  phase_ = Phase::Done;
  // The store goes back to normal work: the opener stays logged on.
  spooler_.set_inbound_open(true);
  spooler_.set_outbound_open(true);
  spooler_.set_retries_open(true);
  if (mode_ != LOGOFF_QUIET) spooler_.notify_all(NOTIFY_BEGIN_INBOUND | NOTIFY_BEGIN_OUTBOUND);
  ticket_->report_final(status, spooler_.activity(), false);
}

}  // namespace uvmapi
