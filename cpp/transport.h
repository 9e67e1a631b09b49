// The interface between the spooler and a transport provider, modelled on
// MAPI's IXPProvider / IXPLogon pair and the spooler's support object.
//
// Everything here is called on the loop thread, in both directions. A
// transport that works on other threads hands its results to the loop first
// (the C ABI does this for host transports).
#ifndef UVMAPI_CPP_TRANSPORT_H
#define UVMAPI_CPP_TRANSPORT_H

#include <cstdint>
#include <memory>
#include <string>

#include "mapi_defs.h"
#include "message.h"

namespace uvmapi {

// Names one piece of activity (a send or a receive) between the spooler and
// one transport session. Never reused within a runtime.
using ActivityId = std::uint64_t;

// What a transport session may ask of the spooler. After the session is
// logged off every call fails with MAPI_E_INVALID_OBJECT and changes nothing,
// so a late answer from a slow transport is harmless.
class TransportSupport {
 public:
  virtual ~TransportSupport() = default;

  // Ends a send that submit_message accepted. S_OK moves the message to Sent
  // Items (the peer has it). MAPI_E_USER_CANCEL puts it back in the queue.
  // Any other failure leaves it in the Outbox, deferred until the next
  // FLUSH_UPLOAD or logon.
  virtual HRESULT complete_send(ActivityId send, HRESULT result) = 0;

  // Inbound delivery: begin, then commit or abort. begin fails with
  // MAPI_E_BUSY when the store accepts no new mail (it is logging off); the
  // message then stays at its source. commit returns S_OK only once the
  // message is in the Inbox; only then may the transport delete it at the source.
  virtual HRESULT begin_inbound(ActivityId& receive) = 0;
  virtual HRESULT commit_inbound(ActivityId receive, const Message& message) = 0;
  virtual HRESULT abort_inbound(ActivityId receive) = 0;

  // The transport can take sends again after refusing one with MAPI_E_BUSY
  // (SpoolerNotify with NOTIFY_SENTDEFERRED, in MAPI's words).
  virtual HRESULT notify_ready() = 0;

  // Makes the messages deferred by earlier failed sends sendable again and
  // offers the queue (NOTIFY_SENTDEFERRED in MAPI's words). A transport that
  // retries on its own schedule calls it when a backoff ends.
  virtual HRESULT retry_deferred() = 0;

  // Answers a flush_queues call once the flush is done.
  virtual HRESULT flush_complete() = 0;
};

// One transport's logon for one store (IXPLogon).
class TransportSession {
 public:
  virtual ~TransportSession() = default;

  // Offers a message. S_OK: the transport holds it until complete_send.
  // MAPI_E_BUSY: not now; it stays queued until notify_ready. The transport
  // may call complete_send before returning.
  virtual HRESULT submit_message(ActivityId send, const Message& message) = 0;

  // FLUSH_* flags. The transport answers with flush_complete.
  virtual void flush_queues(std::uint32_t flags) = 0;

  // NOTIFY_* flags. With NOTIFY_CANCEL_MESSAGE, activity names the send or
  // receive to cancel; otherwise it is zero.
  virtual void transport_notify(std::uint32_t flags, ActivityId activity) = 0;

  // LOGOFF_NORMAL or LOGOFF_HURRY. The last call the spooler makes.
  virtual void transport_logoff(std::uint32_t flags) = 0;
};

// A transport provider (IXPProvider): logs a session on for each store logon.
class TransportProvider {
 public:
  virtual ~TransportProvider() = default;
  virtual HRESULT transport_logon(const std::string& store_name,
                                  std::shared_ptr<TransportSupport> support,
                                  std::shared_ptr<TransportSession>& session) = 0;

  // The runtime is stopping its loop, every store being logged off: work a
  // logged-off session still finishes on its own (a polite QUIT) must end
  // now, or its handles would outlive the loop.
  virtual void runtime_stopping() {}
};

}  // namespace uvmapi

#endif
