#include "scripted_transport.h"

#include <utility>

#include "error.h"

namespace uvmapi {

ScriptedTransport::ScriptedTransport(std::string store_name,
                                     std::shared_ptr<TransportSupport> support)
    : store_name_(std::move(store_name)), support_(std::move(support)) {}

void ScriptedTransport::set_capacity(std::size_t capacity) {
  bool more = capacity > capacity_;
  capacity_ = capacity;
  if (more && !logged_off()) support_->notify_ready();
}

void ScriptedTransport::set_send_policy(SendPolicy policy) {
  policy_ = policy;
}

std::size_t ScriptedTransport::finish_sends(HRESULT result) {
  auto sends = std::move(sends_);
  sends_.clear();
  for (auto& [send, message] : sends) {
    if (result == S_OK) delivered_.push_back(message.content);
    support_->complete_send(send, result);
  }
  return sends.size();
}

HRESULT ScriptedTransport::arrive(const Message& message, bool begin) {
  std::uint64_t key = next_source_key_++;
  source_.emplace(key, message);
  return begin ? begin_receive(key) : S_OK;
}

HRESULT ScriptedTransport::begin_receive(std::uint64_t source_key) {
  ActivityId receive = 0;
  HRESULT result = support_->begin_inbound(receive);
  if (failed(result)) return result;  // Refused: it stays at the source.
  receives_.emplace(receive, source_key);
  return S_OK;
}

std::size_t ScriptedTransport::commit_receives() {
  std::size_t committed = 0;
  auto receives = std::move(receives_);
  receives_.clear();
  for (auto& [receive, key] : receives) {
    if (failed(support_->commit_inbound(receive, source_.at(key)))) {
      receives_.emplace(receive, key);
      continue;
    }
    source_.erase(key);  // Safe now: the store has it.
    ++committed;
  }
  return committed;
}

HRESULT ScriptedTransport::submit_message(ActivityId send, const Message& message) {
  if (sends_.size() >= capacity_) return MAPI_E_BUSY;
  switch (policy_) {
    case SendPolicy::Hold:
      sends_.emplace(send, message);
      return S_OK;
    case SendPolicy::Complete:
      delivered_.push_back(message.content);
      support_->complete_send(send, S_OK);
      return S_OK;
    case SendPolicy::Fail:
      support_->complete_send(send, MAPI_E_CALL_FAILED);
      return S_OK;
  }
  return S_OK;
}

void ScriptedTransport::flush_queues(std::uint32_t flags) {
  flushes_.push_back(flags);
  if (hung_) return;
  if (flags & FLUSH_UPLOAD) {
    // A forced upload sends everything: what it held and what it refused.
    policy_ = SendPolicy::Complete;
    finish_sends(S_OK);
    set_capacity(kUnlimited);
  }
  if (flags & FLUSH_DOWNLOAD) {
    for (const auto& entry : source_) {
      bool in_flight = false;
      for (const auto& receive : receives_) in_flight |= receive.second == entry.first;
      if (!in_flight) begin_receive(entry.first);
    }
    commit_receives();
  }
  support_->flush_complete();
}

void ScriptedTransport::transport_notify(std::uint32_t flags, ActivityId activity) {
  notifications_.push_back(flags);
  if ((flags & NOTIFY_CANCEL_MESSAGE) == 0 || hung_) return;
  if (sends_.erase(activity)) {
    support_->complete_send(activity, MAPI_E_USER_CANCEL);
  } else if (receives_.erase(activity)) {
    support_->abort_inbound(activity);  // The message stays at the source.
  }
}

void ScriptedTransport::transport_logoff(std::uint32_t flags) {
  logoff_flags_ = flags;
  // Whatever was in flight is abandoned: sends stay in the store's Outbox,
  // receives at the source.
  sends_.clear();
  receives_.clear();
}

HRESULT ScriptedTransportProvider::transport_logon(const std::string& store_name,
                                                   std::shared_ptr<TransportSupport> support,
                                                   std::shared_ptr<TransportSession>& session) {
  auto created = std::make_shared<ScriptedTransport>(store_name, std::move(support));
  sessions_.push_back(created);
  session = created;
  return S_OK;
}

std::shared_ptr<ScriptedTransport> ScriptedTransportProvider::session(
    const std::string& store_name) const {
  for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {
    if ((*it)->store_name() == store_name) return *it;
  }
  return nullptr;
}

}  // namespace uvmapi
