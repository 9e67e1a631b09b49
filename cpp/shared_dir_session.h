// One store's logon to the shared-directory transport (internal: reached
// only through SharedDirTransportProvider). Loop thread only; its blocking
// file work runs on the libuv threadpool, and every such request keeps the
// session alive (shared_ptr) until its answer has come back to the loop.
#ifndef UVMAPI_CPP_SHARED_DIR_SESSION_H
#define UVMAPI_CPP_SHARED_DIR_SESSION_H

#include <uv.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "mailbox_dir.h"
#include "shared_dir_transport.h"

namespace uvmapi::shared_dir {

struct Work;
struct SendJob;
struct ScanJob;
struct ReadJob;
struct RemoveJob;

class Session final : public TransportSession, public std::enable_shared_from_this<Session> {
 public:
  // address: whose mailbox the session receives; directory: the mailbox's
  // directory name (both empty: a send-only session).
  Session(uv_loop_t* loop, std::shared_ptr<const SharedDirOptions> options, std::string address,
          const std::string& directory, std::shared_ptr<TransportSupport> support,
          std::shared_ptr<SharedDirStats> stats);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Takes the receiver lock if it can and starts the watcher and the timer.
  void start();

  HRESULT submit_message(ActivityId send, const Message& message) override;
  void flush_queues(std::uint32_t flags) override;
  void transport_notify(std::uint32_t flags, ActivityId activity) override;
  void transport_logoff(std::uint32_t flags) override;

 private:
  struct Receive {
    std::string name;
    Work* work = nullptr;  // Valid until read_done runs.
    bool aborted = false;  // abort_inbound already answered it.
  };

  // Sending.
  void send_done(ActivityId send, SendJob& job, int status);
  void cancel_send(SendJob& job);

  // Receiving.
  bool try_receive();
  void arm_timer();
  void stop_watching();
  void request_scan(bool for_flush);
  void scan_done(ScanJob& job, int status);
  void pump();
  void leave(const std::string& name);
  void start_read(ActivityId receive, const std::string& name);
  void read_done(ActivityId receive, ReadJob& job, int status);
  void start_remove(const std::string& name);
  void remove_done(RemoveJob& job);
  void forget(const std::string& name);
  void maybe_finish_flush();
  void job_back();

  static void on_timer(uv_timer_t* handle);
  static void on_event(uv_fs_event_t* handle, const char* filename, int events, int status);

  uv_loop_t* loop_;
  std::shared_ptr<const SharedDirOptions> options_;
  const std::string address_;
  const mailbox::Paths where_;
  const bool receives_mail_;  // False: a send-only session.
  std::shared_ptr<TransportSupport> support_;
  std::shared_ptr<SharedDirStats> stats_;
  bool logged_off_ = false;
  std::size_t jobs_ = 0;  // Work requests not yet back.

  std::map<ActivityId, std::shared_ptr<SendJob>> sends_;
  bool refused_ = false;  // A send was refused for capacity: notify_ready is owed.

  mailbox::ReceiverLock lock_;
  uv_fs_event_t* watcher_ = nullptr;  // Heap handles, freed by their close callbacks.
  uv_timer_t* timer_ = nullptr;
  bool inbound_open_ = true;
  bool cleaned_ = false;
  bool scan_running_ = false;
  bool scan_again_ = false;
  bool flush_scan_wanted_ = false;
  std::deque<std::string> backlog_;                // Seen by the last scan, not begun yet.
  std::map<std::string, bool> known_;              // In flight; true once committed, being removed.
  std::map<ActivityId, Receive> receives_;         // Begun, not yet committed or aborted.
  std::set<std::string> skipped_;                  // Never begun again by this session.
  std::map<std::string, std::uint64_t> retry_at_;  // Commit failed: not before (uv_now).

  bool flushing_ = false;
  bool flush_scan_pending_ = false;
  std::set<std::string> flush_names_;  // What the download flush still waits for.
};

}  // namespace uvmapi::shared_dir

#endif
