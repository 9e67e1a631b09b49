// A transport whose every move is scripted by a test or a demo, so each
// activity state of a store can be built on purpose: it can hold a send or a
// receive in flight, complete it, fail it, refuse new work, or hang and never
// answer at all.
//
// Loop thread only, like every transport. The provider makes one session per
// store logon and keeps them, so a script can reach the session of a store.
#ifndef UVMAPI_CPP_SCRIPTED_TRANSPORT_H
#define UVMAPI_CPP_SCRIPTED_TRANSPORT_H

#include <cstddef>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace uvmapi {

class ScriptedTransport final : public TransportSession {
 public:
  enum class SendPolicy {
    Hold,      // Keep every accepted send in flight until the script ends it.
    Complete,  // The peer accepts each send at once.
    Fail,      // Each send fails at once.
  };
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  ScriptedTransport(std::string store_name, std::shared_ptr<TransportSupport> support);

  // --- The script ------------------------------------------------------------

  // How many sends it holds at once; 0 refuses every send (the queue stays
  // queued). Raising it tells the spooler it is ready again.
  void set_capacity(std::size_t capacity);
  void set_send_policy(SendPolicy policy);
  // A hung transport ignores cancels and flushes: it never answers.
  void set_hung(bool hung) { hung_ = hung; }

  // Ends every held send with result (S_OK: the peer accepted it).
  std::size_t finish_sends(HRESULT result = S_OK);

  // Puts a message at the source (the remote mailbox). With begin, starts
  // delivering it at once and holds the delivery in flight.
  HRESULT arrive(const Message& message, bool begin);
  // Commits every receive in flight: the message goes to the Inbox, and only
  // then leaves the source.
  std::size_t commit_receives();

  // --- What it saw -----------------------------------------------------------

  const std::string& store_name() const { return store_name_; }
  std::size_t sends_in_flight() const { return sends_.size(); }
  std::size_t receives_in_flight() const { return receives_.size(); }
  std::size_t at_source() const { return source_.size(); }
  // Bodies the peer accepted, in order.
  const std::vector<std::string>& delivered() const { return delivered_; }
  const std::vector<std::uint32_t>& notifications() const { return notifications_; }
  const std::vector<std::uint32_t>& flushes() const { return flushes_; }
  bool logged_off() const { return logoff_flags_ != 0; }
  std::uint32_t logoff_flags() const { return logoff_flags_; }

  // --- TransportSession --------------------------------------------------------

  HRESULT submit_message(ActivityId send, const Message& message) override;
  void flush_queues(std::uint32_t flags) override;
  void transport_notify(std::uint32_t flags, ActivityId activity) override;
  void transport_logoff(std::uint32_t flags) override;

 private:
  HRESULT begin_receive(std::uint64_t source_key);

  const std::string store_name_;
  std::shared_ptr<TransportSupport> support_;
  std::size_t capacity_ = kUnlimited;
  SendPolicy policy_ = SendPolicy::Hold;
  bool hung_ = false;
  std::map<ActivityId, Message> sends_;
  std::map<std::uint64_t, Message> source_;
  std::uint64_t next_source_key_ = 1;
  std::map<ActivityId, std::uint64_t> receives_;  // Receive -> source key.
  std::vector<std::string> delivered_;
  std::vector<std::uint32_t> notifications_;
  std::vector<std::uint32_t> flushes_;
  std::uint32_t logoff_flags_ = 0;
};

class ScriptedTransportProvider final : public TransportProvider {
 public:
  HRESULT transport_logon(const std::string& store_name, std::shared_ptr<TransportSupport> support,
                          std::shared_ptr<TransportSession>& session) override;

  // The newest session for a store, or null.
  std::shared_ptr<ScriptedTransport> session(const std::string& store_name) const;
  const std::vector<std::shared_ptr<ScriptedTransport>>& sessions() const { return sessions_; }

 private:
  std::vector<std::shared_ptr<ScriptedTransport>> sessions_;
};

}  // namespace uvmapi

#endif
