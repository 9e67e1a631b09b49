// The shared-directory transport, in the spirit of the MAPI SDK's sample
// transport: every address has a mailbox directory under one shared root
// (see mailbox_dir.h); sending writes the message atomically into each
// recipient's mailbox, and each store's session takes the mail of its own
// mailbox into the store's Inbox, committing it before removing it from the
// mailbox. docs/shared-dir-transport.md describes the layout, the sequences
// and how each logoff mode, flush and notification is handled.
//
// The blocking file I/O runs on the libuv threadpool (uv_queue_work); every
// call in and out of the spooler happens on the loop thread.
#ifndef UVMAPI_CPP_SHARED_DIR_TRANSPORT_H
#define UVMAPI_CPP_SHARED_DIR_TRANSPORT_H

#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "transport.h"

namespace uvmapi {

// A test hook: sends stop at the gate while it is closed, after their files
// are staged in the recipients' tmp/ and before the rename that delivers
// them. So a test can hold a send in flight, cancel it before its rename, or
// log off around it, without sleeping. Thread-safe.
//
// A closed gate holds libuv threadpool threads: open it before the runtime
// shuts down, or the shutdown waits for the held sends forever.
class SendGate {
 public:
  explicit SendGate(bool open = true) : open_(open) {}

  void open();
  void close();
  // Sends waiting at the gate right now.
  std::size_t waiting() const;
  // Waits until at least count sends wait at the gate; false at the deadline.
  bool wait_for_waiting(std::size_t count, std::chrono::milliseconds timeout) const;

  // Called by a send on a threadpool thread: returns when the gate is open.
  void pass();

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool open_;
  std::size_t waiting_ = 0;
};

struct SharedDirOptions {
  // The shared root. Created (0700) at the first logon if missing; its parent
  // must exist.
  std::string root;
  // The address whose mailbox a store receives, by store name. Null: the
  // store name is the address. An empty result makes a send-only session.
  std::function<std::string(const std::string& store_name)> address_of;
  // Sends one session holds at once; beyond it submit_message answers
  // MAPI_E_BUSY, and the spooler is told when a slot frees. At least 1.
  std::size_t send_capacity = 16;
  // Messages one session reads and commits at once. At least 1.
  std::size_t receive_capacity = 8;
  // How often the mailbox is scanned in case a file-system event was missed
  // or coalesced. Zero: never (only events, flushes and notifications scan).
  std::chrono::milliseconds scan_interval{2000};
  // Watch new/ with uv_fs_event. Off, only the periodic scan notices mail.
  bool watch = true;
  // A recipient without a mailbox: false (the default) fails the whole send,
  // which stays in the Outbox; true creates the mailbox and delivers.
  bool create_missing_mailboxes = false;
  // Larger files in a mailbox are left there and reported, never read.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  // Files in tmp/ and orphan envelopes older than this are removed when a
  // session starts receiving (what a crashed writer left behind).
  std::chrono::seconds stale_after{36 * 3600};
  // Test hook, see SendGate. Null in production.
  std::shared_ptr<SendGate> send_gate;
};

// What the sessions of one store did, summed over its logons. Loop thread.
struct SharedDirStats {
  // Sending.
  std::size_t sends_accepted = 0;
  std::size_t sends_refused = 0;  // MAPI_E_BUSY: at capacity.
  std::size_t sends_delivered = 0;
  std::size_t sends_failed = 0;
  std::size_t cancel_requests = 0;     // NOTIFY_CANCEL_MESSAGE for a send.
  std::size_t cancelled_queued = 0;    // uv_cancel stopped the work before it ran.
  std::size_t cancelled_staged = 0;    // Stopped before the rename; tmp files removed.
  std::size_t cancelled_too_late = 0;  // The rename had happened: reported as sent.
  // Receiving.
  std::size_t scans = 0;
  std::size_t receives_begun = 0;
  std::size_t receives_committed = 0;
  std::size_t receives_refused = 0;  // begin_inbound said MAPI_E_BUSY.
  std::size_t receives_aborted = 0;  // Cancelled, gone, or not committed.
  std::size_t commit_failures = 0;   // commit_inbound failed: the file stays.
  std::size_t left_at_source = 0;    // Files seen but not begun (reception closed or refused).
  std::size_t removals_failed = 0;   // Committed but could not be removed.
  std::size_t skipped_files = 0;     // Too large or unreadable: left alone.
  // The newest failure, for humans (a send that failed, a file left alone).
  std::string last_problem;
};

class SharedDirTransportProvider final : public TransportProvider {
 public:
  // loop: the runtime's loop (Runtime::loop()); every session lives on it.
  SharedDirTransportProvider(uv_loop_t* loop, SharedDirOptions options);

  HRESULT transport_logon(const std::string& store_name, std::shared_ptr<TransportSupport> support,
                          std::shared_ptr<TransportSession>& session) override;

  const SharedDirOptions& options() const { return *options_; }

  // Loop thread. The counters of a store's sessions (zero if none logged on yet).
  SharedDirStats stats(const std::string& store_name) const;

  // Any thread (blocking). Creates the mailbox of address under root, 0700,
  // with root itself if missing: what `uvmapi init` would do for an address.
  static HRESULT create_mailbox(const std::string& root, const std::string& address);

 private:
  uv_loop_t* loop_;
  std::shared_ptr<const SharedDirOptions> options_;
  std::map<std::string, std::shared_ptr<SharedDirStats>> stats_;
};

}  // namespace uvmapi

#endif
