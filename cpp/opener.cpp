#include "opener.h"

#include <utility>

#include "error.h"
#include "store_support.h"

namespace uvmapi {

Opener::Opener(std::uint64_t id, std::shared_ptr<StoreSupport> support)
    : id_(id), store_name_(support->name()), support_(std::move(support)) {}

HRESULT Opener::check_logged_on() const {
  if (state_ == State::Released) {
    return fail(MAPI_E_INVALID_OBJECT, "the store '" + store_name_ + "' was logged off");
  }
  return S_OK;
}

HRESULT Opener::add_ref() {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  ++refs_;
  return S_OK;
}

std::uint32_t Opener::release(std::shared_ptr<LogoffTicket>* ticket) {
  if (refs_ == 0) return 0;
  if (--refs_ > 0) return refs_;
  // Only an opener at rest starts a logoff here: one already logging off
  // stands for this release, and a released or kept one has had its call.
  if (state_ != State::Open) return 0;
  // A store provider's own StoreLogoffTransports already ran and did not
  // log off: that was this opener's call, so the runtime keeps it, as it
  // keeps a built-in store whose last release's logoff did not happen.
  if (logoff_transports_calls_ > 0) {
    state_ = State::Kept;
    return 0;
  }
  std::shared_ptr<LogoffTicket> started;
  std::uint32_t flag = saved_flag_ != 0 ? saved_flag_ : LOGOFF_ABORT;
  // The logoff may release us and drop support_ while the call runs.
  auto support = support_;
  support->store_logoff_transports(*this, flag, started);
  if (ticket) *ticket = std::move(started);
  return 0;
}

HRESULT Opener::store_logoff(std::uint32_t& flags) {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  if (HRESULT result = check_logoff_flag(flags); failed(result)) return result;
  saved_flag_ = flags;
  flags = support_->spooler().activity();
  return S_OK;
}

HRESULT Opener::activity(std::uint32_t& activity) const {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  activity = support_->spooler().activity();
  return S_OK;
}

HRESULT Opener::submit(const Message& message, MessageId& id) {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  if (message.envelope.recipients.empty()) {
    return fail(MAPI_E_INVALID_PARAMETER, "a message needs at least one recipient");
  }
  if (support_->logging_off()) {
    return fail(MAPI_E_BUSY,
                "the store '" + store_name_ + "' is logging off and takes no new submissions");
  }
  return support_->spooler().submit(message, id);
}

HRESULT Opener::count(Folder folder, std::size_t& count) const {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  count = support_->store().count(folder);
  return S_OK;
}

HRESULT Opener::list(Folder folder, std::vector<MessageId>& ids) const {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  ids = support_->store().list(folder);
  return S_OK;
}

HRESULT Opener::read(MessageId id, Message& message) const {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  clear_last_error();
  auto found = support_->store().read(id);
  if (!found) {
    // A durable store says why it could not read (a damaged file, say).
    if (failed(last_error_code())) return last_error_code();
    return fail(MAPI_E_NOT_FOUND, "no such message in the store");
  }
  message = std::move(*found);
  return S_OK;
}

HRESULT Opener::support(std::shared_ptr<StoreSupport>& support) const {
  if (HRESULT result = check_logged_on(); failed(result)) return result;
  support = support_;
  return S_OK;
}

}  // namespace uvmapi
