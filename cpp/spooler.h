// The spooler of one logged-on store: it logs the transports on, hands them
// the Outbox, takes their inbound mail into the Inbox, and keeps the store's
// activity bits (I, O, Q). It decides nothing about logoff; LogoffOperation
// steers it through the gates and calls below.
#ifndef UVMAPI_CPP_SPOOLER_H
#define UVMAPI_CPP_SPOOLER_H

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "message_store.h"
#include "transport.h"

namespace uvmapi {

class SessionLink;

class Spooler {
 public:
  // on_change runs after every change a transport causes. It may run inside a
  // transport's call, so the listener must defer anything that calls a
  // transport (StoreSupport schedules a step on the loop).
  Spooler(MessageStore& store, std::function<void()> on_change);
  ~Spooler();
  Spooler(const Spooler&) = delete;
  Spooler& operator=(const Spooler&) = delete;

  // Logs every provider on for this store. On failure, the sessions already
  // logged on are logged off again and the error is returned.
  HRESULT logon(const std::vector<std::shared_ptr<TransportProvider>>& providers,
                const std::string& store_name);

  // The store's activity as LOGOFF_INBOUND | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE.
  std::uint32_t activity() const;
  // Queued messages the spooler would still offer: not held, not deferred.
  std::size_t sendable() const;
  bool flushing() const { return flushes_pending_ > 0; }

  // Takes a submitted message into the Outbox and offers it when it can.
  HRESULT submit(const Message& message, MessageId& id);
  // Reads the Outbox again (another process may have added to it) and
  // offers what it holds.
  void rescan();

  // Gates: while closed, no new send is offered or no new receive is begun.
  // Activity already under way is not affected.
  void set_outbound_open(bool open);
  void set_inbound_open(bool open);
  // While closed, retry_deferred does nothing: deferred messages stay
  // deferred (a logoff is under way; PURGE's flush is their one more try).
  void set_retries_open(bool open) { retries_open_ = open; }

  void notify_all(std::uint32_t flags);
  // Sends NOTIFY_CANCEL_MESSAGE for every send and receive in flight.
  void cancel_activity();
  // Makes deferred (failed) messages sendable again and flushes every session.
  void flush_all(std::uint32_t flags);
  // TransportLogoff on every session; what they held stays in the Outbox or
  // at its source. The spooler is inert afterwards.
  void logoff(std::uint32_t flags);

  // The TransportSupport calls of one session, reached through its SessionLink.
  HRESULT complete_send(ActivityId send, HRESULT result);
  HRESULT begin_inbound(std::size_t session, ActivityId& receive);
  HRESULT commit_inbound(ActivityId receive, const Message& message);
  HRESULT abort_inbound(ActivityId receive);
  HRESULT notify_ready();
  HRESULT retry_deferred();
  HRESULT flush_complete(std::size_t session);

 private:
  struct Slot {
    std::shared_ptr<TransportSession> session;
    std::shared_ptr<SessionLink> link;
    bool flushing = false;
  };
  struct Send {
    MessageId message;
    std::size_t session;
  };

  void offer_queue();
  void release_deferred();
  void changed();

  MessageStore& store_;
  std::function<void()> on_change_;
  std::vector<Slot> slots_;
  std::map<ActivityId, Send> sends_;
  std::map<ActivityId, std::size_t> receives_;
  std::set<MessageId> held_;
  std::set<MessageId> deferred_;
  // Outbox messages neither held nor deferred: what offer_queue offers.
  std::set<MessageId> queue_;
  std::size_t flushes_pending_ = 0;
  bool outbound_open_ = true;
  bool inbound_open_ = true;
  bool retries_open_ = true;
  bool offering_ = false;
  bool logged_off_ = false;
};

}  // namespace uvmapi

#endif
