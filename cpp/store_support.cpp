#include "store_support.h"

#include <algorithm>

#include "error.h"
#include "opener.h"
#include "runtime.h"

namespace uvmapi {

HRESULT check_logoff_flag(std::uint32_t flags) {
  if (flags & ~LOGOFF_INPUT_MASK) {
    return fail(MAPI_E_UNKNOWN_FLAGS, "unknown logoff flags: " + logoff_flags_name(flags));
  }
  // Exactly one bit: non-zero and a power of two.
  if (flags == 0 || (flags & (flags - 1)) != 0) {
    return fail(MAPI_E_INVALID_PARAMETER,
                "a logoff takes exactly one of NO_WAIT, ORDERLY, PURGE, ABORT, QUIET; got " +
                    logoff_flags_name(flags));
  }
  return S_OK;
}

StoreSupport::StoreSupport(Runtime& runtime, std::string name, MessageStore& store,
                           std::shared_ptr<StoreSupport>& slot)
    : runtime_(runtime),
      slot_(slot),
      name_(std::move(name)),
      store_(store),
      spooler_(store, [this] { schedule_step(); }) {}

StoreSupport::~StoreSupport() {
  spooler_.logoff(LOGOFF_HURRY);
}

HRESULT StoreSupport::logon(const std::vector<std::shared_ptr<TransportProvider>>& providers) {
  return spooler_.logon(providers, name_);
}

void StoreSupport::add_opener(std::shared_ptr<Opener> opener) {
  openers_.push_back(std::move(opener));
}

HRESULT StoreSupport::store_logoff_transports(Opener& opener, std::uint32_t flags,
                                              std::shared_ptr<LogoffTicket>& ticket) {
  if (HRESULT result = check_logoff_flag(flags); failed(result)) return result;
  return begin(opener, flags, false, ticket);
}

HRESULT StoreSupport::escalate_logoff() {
  if (!active_ || !active_->escalate()) {
    return fail(MAPI_E_NOT_FOUND, "no drain of '" + name_ + "' is under way to escalate");
  }
  drive();
  return S_OK;
}

void StoreSupport::force_logoff(Opener& opener) {
  std::shared_ptr<LogoffTicket> ticket;
  begin(opener, LOGOFF_ABORT, true, ticket);
}

HRESULT StoreSupport::begin(Opener& opener, std::uint32_t flags, bool forced,
                            std::shared_ptr<LogoffTicket>& ticket) {
  if (opener.support_.get() != this || opener.state_ == Opener::State::Released) {
    return fail(MAPI_E_INVALID_OBJECT, "the opener is not logged on to '" + name_ + "'");
  }
  if (active_) {
    return fail(MAPI_E_BUSY, "a logoff of '" + name_ + "' is already under way");
  }
  if (!forced) ++opener.logoff_transports_calls_;
  ticket = std::make_shared<LogoffTicket>(flags);

  // Shared store: another opener, here or in another process, keeps the
  // transports busy for itself, so this one just goes, and nothing else changes.
  if (openers_.size() > 1 || store_.opened_elsewhere()) {
    auto keep = ticket;
    release_opener(opener);
    keep->report_final(S_OK, LOGOFF_COMPLETE, true);
    runtime_.logoff_finished(name_, keep->snapshot());
    return S_OK;
  }

  opener.state_ = Opener::State::LoggingOff;
  active_opener_ = &opener;
  active_ticket_ = ticket;
  LogoffDeadlines deadlines{runtime_.options().drain_deadline, runtime_.options().abort_deadline};
  active_ = std::make_unique<LogoffOperation>(runtime_.loop(), store_, spooler_, flags, deadlines,
                                              forced, ticket, [this] { schedule_step(); });
  active_->start();
  drive();
  return S_OK;
}

void StoreSupport::schedule_step() {
  if (!active_ || step_scheduled_) return;
  step_scheduled_ = true;
  // A transport may be calling us right now; the step may log it off, so it
  // runs from the loop, outside the transport's call.
  std::weak_ptr<StoreSupport> weak = weak_from_this();
  runtime_.post([weak] {
    if (auto self = weak.lock()) {
      self->step_scheduled_ = false;
      self->drive();
    }
  });
}

void StoreSupport::drive() {
  if (!active_) return;
  active_->step();
  if (!active_->done()) return;

  // Keep ourselves alive: releasing the last opener drops the runtime's reference.
  auto self = shared_from_this();
  auto operation = std::move(active_);
  Opener& opener = *active_opener_;
  auto ticket = std::move(active_ticket_);
  active_opener_ = nullptr;
  if (operation->released()) {
    release_opener(opener);
  } else {
    opener.state_ = opener.refs_ > 0 ? Opener::State::Open : Opener::State::Kept;
  }
  runtime_.logoff_finished(name_, ticket->snapshot());
}

void StoreSupport::release_opener(Opener& opener) {
  opener.state_ = Opener::State::Released;
  auto self = std::move(opener.support_);
  openers_.erase(std::remove_if(openers_.begin(), openers_.end(),
                                [&](const auto& held) { return held.get() == &opener; }),
                 openers_.end());
  if (openers_.empty()) runtime_.store_logged_off(slot_);
}

}  // namespace uvmapi
