#include "spooler.h"

#include <atomic>
#include <utility>

#include "error.h"

namespace uvmapi {

namespace {

ActivityId next_activity_id() {
  static std::atomic<ActivityId> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

// The TransportSupport a session holds. It outlives the spooler when the
// transport keeps it, so it forwards only while attached.
class SessionLink final : public TransportSupport {
 public:
  SessionLink(Spooler* spooler, std::size_t session) : spooler_(spooler), session_(session) {}

  void detach() { spooler_ = nullptr; }

  HRESULT complete_send(ActivityId send, HRESULT result) override {
    if (!spooler_) return gone();
    return spooler_->complete_send(send, result);
  }
  HRESULT begin_inbound(ActivityId& receive) override {
    if (!spooler_) return gone();
    return spooler_->begin_inbound(session_, receive);
  }
  HRESULT commit_inbound(ActivityId receive, const Message& message) override {
    if (!spooler_) return gone();
    return spooler_->commit_inbound(receive, message);
  }
  HRESULT abort_inbound(ActivityId receive) override {
    if (!spooler_) return gone();
    return spooler_->abort_inbound(receive);
  }
  HRESULT notify_ready() override {
    if (!spooler_) return gone();
    return spooler_->notify_ready();
  }
  HRESULT retry_deferred() override {
    if (!spooler_) return gone();
    return spooler_->retry_deferred();
  }
  HRESULT flush_complete() override {
    if (!spooler_) return gone();
    return spooler_->flush_complete(session_);
  }

 private:
  static HRESULT gone() {
    return fail(MAPI_E_INVALID_OBJECT, "the transport session is logged off");
  }

  Spooler* spooler_;
  std::size_t session_;
};

Spooler::Spooler(MessageStore& store, std::function<void()> on_change)
    : store_(store), on_change_(std::move(on_change)) {}

Spooler::~Spooler() {
  for (auto& slot : slots_) slot.link->detach();
}

HRESULT Spooler::logon(const std::vector<std::shared_ptr<TransportProvider>>& providers,
                       const std::string& store_name) {
  for (const auto& provider : providers) {
    auto link = std::make_shared<SessionLink>(this, slots_.size());
    std::shared_ptr<TransportSession> session;
    HRESULT result = provider->transport_logon(store_name, link, session);
    if (failed(result) || !session) {
      link->detach();
      logoff(LOGOFF_HURRY);
      return failed(result) ? result
                            : fail(MAPI_E_CALL_FAILED, "a transport provider returned no session");
    }
    slots_.push_back(Slot{std::move(session), std::move(link)});
  }
  notify_all(NOTIFY_BEGIN_INBOUND | NOTIFY_BEGIN_OUTBOUND);
  rescan();
  return S_OK;
}

void Spooler::rescan() {
  queue_.clear();
  for (MessageId message : store_.list(Folder::Outbox)) {
    if (!held_.count(message) && !deferred_.count(message)) queue_.insert(message);
  }
  offer_queue();
}

std::uint32_t Spooler::activity() const {
  std::uint32_t bits = 0;
  if (!receives_.empty()) bits |= LOGOFF_INBOUND;
  if (!sends_.empty()) bits |= LOGOFF_OUTBOUND;
  if (store_.count(Folder::Outbox) > held_.size()) bits |= LOGOFF_OUTBOUND_QUEUE;
  return bits;
}

std::size_t Spooler::sendable() const {
  // Another opener may shrink the Outbox behind our back: never wrap around.
  std::size_t outbox = store_.count(Folder::Outbox);
  std::size_t waiting = held_.size() + deferred_.size();
  return outbox > waiting ? outbox - waiting : 0;
}

HRESULT Spooler::submit(const Message& message, MessageId& id) {
  HRESULT result = store_.add(Folder::Outbox, message, id);
  if (failed(result)) return result;
  queue_.insert(id);
  offer_queue();
  return S_OK;
}

void Spooler::set_outbound_open(bool open) {
  outbound_open_ = open;
  if (open) offer_queue();
}

void Spooler::set_inbound_open(bool open) {
  inbound_open_ = open;
}

void Spooler::notify_all(std::uint32_t flags) {
  for (auto& slot : slots_) slot.session->transport_notify(flags, 0);
}

void Spooler::cancel_activity() {
  // Copy the targets first: a transport may answer the cancel at once and
  // change the maps under the loop.
  std::vector<std::pair<ActivityId, std::size_t>> targets;
  for (const auto& [id, send] : sends_) targets.emplace_back(id, send.session);
  for (const auto& [id, session] : receives_) targets.emplace_back(id, session);
  for (const auto& [id, session] : targets) {
    if (logged_off_) return;
    slots_[session].session->transport_notify(NOTIFY_CANCEL_MESSAGE, id);
  }
}

void Spooler::flush_all(std::uint32_t flags) {
  release_deferred();
  for (auto& slot : slots_) {
    if (!slot.flushing) {
      slot.flushing = true;
      ++flushes_pending_;
    }
  }
  for (std::size_t i = 0; i < slots_.size() && !logged_off_; ++i) {
    slots_[i].session->flush_queues(flags);
  }
  offer_queue();
}

void Spooler::logoff(std::uint32_t flags) {
  if (logged_off_) return;
  logged_off_ = true;
  outbound_open_ = false;
  inbound_open_ = false;
  for (auto& slot : slots_) slot.link->detach();
  // What the transports held was never taken out of the Outbox, and an
  // uncommitted receive is still at its source: dropping the records loses nothing.
  sends_.clear();
  receives_.clear();
  held_.clear();
  queue_.clear();
  flushes_pending_ = 0;
  auto slots = std::move(slots_);
  slots_.clear();
  for (auto& slot : slots) slot.session->transport_logoff(flags);
}

HRESULT Spooler::complete_send(ActivityId send, HRESULT result) {
  auto it = sends_.find(send);
  if (it == sends_.end()) return fail(MAPI_E_NOT_FOUND, "no such send in flight");
  MessageId message = it->second.message;
  sends_.erase(it);
  held_.erase(message);
  if (result == S_OK) {
    HRESULT moved = store_.move(message, Folder::Outbox, Folder::SentItems);
    if (failed(moved)) return moved;
  } else if (result == MAPI_E_USER_CANCEL) {
    queue_.insert(message);
  } else {
    deferred_.insert(message);
  }
  changed();
  offer_queue();
  return S_OK;
}

HRESULT Spooler::begin_inbound(std::size_t session, ActivityId& receive) {
  if (logged_off_ || !inbound_open_) {
    return fail(MAPI_E_BUSY, "the store accepts no new mail while it logs off");
  }
  receive = next_activity_id();
  receives_.emplace(receive, session);
  changed();
  return S_OK;
}

HRESULT Spooler::commit_inbound(ActivityId receive, const Message& message) {
  auto it = receives_.find(receive);
  if (it == receives_.end()) return fail(MAPI_E_NOT_FOUND, "no such receive in flight");
  MessageId id = 0;
  HRESULT result = store_.add(Folder::Inbox, message, id);
  if (failed(result)) return result;  // Still in flight: the transport may retry or abort.
  receives_.erase(it);
  changed();
  return S_OK;
}

HRESULT Spooler::abort_inbound(ActivityId receive) {
  if (receives_.erase(receive) == 0) return fail(MAPI_E_NOT_FOUND, "no such receive in flight");
  changed();
  return S_OK;
}

HRESULT Spooler::notify_ready() {
  offer_queue();
  return S_OK;
}

HRESULT Spooler::retry_deferred() {
  if (!retries_open_) return S_OK;
  release_deferred();
  offer_queue();
  return S_OK;
}

HRESULT Spooler::flush_complete(std::size_t session) {
  Slot& slot = slots_[session];
  if (!slot.flushing) return fail(MAPI_E_NOT_FOUND, "no flush is pending for this session");
  slot.flushing = false;
  --flushes_pending_;
  changed();
  return S_OK;
}

void Spooler::release_deferred() {
  queue_.insert(deferred_.begin(), deferred_.end());
  deferred_.clear();
}

void Spooler::offer_queue() {
  // A transport may complete a send inside submit_message, which offers the
  // queue again; the outer loop already covers that.
  if (offering_ || !outbound_open_ || logged_off_ || slots_.empty()) return;
  offering_ = true;
  std::vector<bool> busy(slots_.size(), false);
  std::size_t busy_count = 0;
  // Ids grow with submission, so the queue is in Outbox order. The cursor
  // makes one pass: a message handed back during it waits for the next.
  MessageId cursor = 0;
  while (busy_count < slots_.size() && outbound_open_ && !logged_off_) {
    auto next = queue_.upper_bound(cursor);
    if (next == queue_.end()) break;
    MessageId message = *next;
    cursor = message;
    queue_.erase(next);
    auto content = store_.read(message);
    if (!content) continue;  // Gone: another opener moved it.
    bool placed = false;
    for (std::size_t i = 0; i < slots_.size() && !placed; ++i) {
      if (busy[i]) continue;
      ActivityId send = next_activity_id();
      sends_.emplace(send, Send{message, i});
      held_.insert(message);
      HRESULT result = slots_[i].session->submit_message(send, *content);
      if (result == S_OK || logged_off_) {
        placed = true;
        break;
      }
      // Refused: the message was never in the transport's hands.
      if (sends_.erase(send)) held_.erase(message);
      if (result == MAPI_E_BUSY) {
        busy[i] = true;
        ++busy_count;
        continue;
      }
      deferred_.insert(message);
      placed = true;
    }
    if (!placed) queue_.insert(message);  // Every transport was busy.
  }
  offering_ = false;
  changed();
}

void Spooler::changed() {
  if (on_change_) on_change_();
}

}  // namespace uvmapi
