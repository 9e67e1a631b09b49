#include "shared_dir_session.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <utility>

#include "error.h"
#include "loop_scope.h"

namespace uvmapi::shared_dir {

// ---- Threadpool work ---------------------------------------------------------

// One uv_queue_work request that owns itself: run goes on a threadpool
// thread, done on the loop (status 0, or UV_ECANCELED after uv_cancel), and
// the request is freed after done. Whatever done captures (the session, via
// shared_ptr) lives until then, so a late answer never touches freed state.
struct Work {
  uv_work_t req{};
  std::function<void()> run;
  std::function<void(int)> done;
};

namespace {

Work* queue_work(uv_loop_t* loop, std::function<void()> run, std::function<void(int)> done) {
  auto* work = new Work;
  work->run = std::move(run);
  work->done = std::move(done);
  work->req.data = work;
  int result = uv_queue_work(
      loop, &work->req, [](uv_work_t* req) { static_cast<Work*>(req->data)->run(); },
      [](uv_work_t* req, int status) {
        LoopScope scope;
        std::unique_ptr<Work> owned(static_cast<Work*>(req->data));
        owned->done(status);
      });
  if (result != 0) {
    delete work;
    return nullptr;
  }
  return work;
}

// Closes a heap-allocated handle and frees it in its close callback. Its
// data is cleared first, so a callback already queued finds no owner.
template <typename Handle>
void close_handle(Handle*& handle) {
  if (!handle) return;
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  handle = nullptr;
}

void cancel_work(Work* work) {
  // UV_EBUSY when it already runs or ran: then its own outcome stands.
  uv_cancel(reinterpret_cast<uv_req_t*>(&work->req));
}

}  // namespace

// ---- One send ----------------------------------------------------------------

struct SendJob {
  // Set on the loop before the work is queued; read-only afterwards.
  mailbox::Delivery delivery;
  std::shared_ptr<SendGate> gate;
  // The loop asks, the worker looks.
  std::atomic<bool> cancel{false};
  // Loop only.
  Work* work = nullptr;  // Valid until send_done runs.
  bool cancel_sent = false;
  // Written by the worker, read on the loop once the work came back.
  mailbox::DeliveryOutcome outcome = mailbox::DeliveryOutcome::Failed;
  HRESULT error = MAPI_E_CALL_FAILED;
  std::string why;
};

namespace {

void run_send(SendJob& job) {
  job.outcome = mailbox::deliver(
      job.delivery, [&job] { return job.cancel.load(); },
      [&job] {
        if (job.gate) job.gate->pass();
      },
      job.error, job.why);
}

}  // namespace

// ---- Receiving jobs ----------------------------------------------------------

struct ScanJob {
  mailbox::Paths where;
  bool for_flush = false;
  bool clean = false;
  std::chrono::seconds stale_after{0};
  HRESULT result = S_OK;
  std::string why;
  std::vector<std::string> names;
};

struct ReadJob {
  mailbox::Paths where;
  std::string name;
  std::string address;
  std::size_t max_bytes = 0;
  mailbox::ReadOutcome outcome = mailbox::ReadOutcome::Unreadable;
  Message message;
  std::string why;
};

struct RemoveJob {
  mailbox::Paths where;
  std::string name;
  HRESULT result = S_OK;
  std::string why;
};

// ---- The session -------------------------------------------------------------

Session::Session(uv_loop_t* loop, std::shared_ptr<const SharedDirOptions> options,
                 std::string address, const std::string& directory,
                 std::shared_ptr<TransportSupport> support, std::shared_ptr<SharedDirStats> stats)
    : loop_(loop),
      options_(std::move(options)),
      address_(std::move(address)),
      where_(mailbox::paths(options_->root, directory)),
      receives_mail_(!directory.empty()),
      support_(std::move(support)),
      stats_(std::move(stats)) {}

Session::~Session() {
  stop_watching();
}

void Session::start() {
  if (!receives_mail_) return;
  try_receive();
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  arm_timer();
}

// ---- Sending -------------------------------------------------------------------

HRESULT Session::submit_message(ActivityId send, const Message& message) {
  // Plain codes, no fail(): the spooler's caller must not inherit our refusal
  // as its last error. Reasons go to stats_->last_problem.
  if (logged_off_) return MAPI_E_INVALID_OBJECT;
  if (sends_.size() >= options_->send_capacity) {
    refused_ = true;
    ++stats_->sends_refused;
    return MAPI_E_BUSY;
  }
  auto job = std::make_shared<SendJob>();
  mailbox::Delivery& delivery = job->delivery;
  std::set<std::string> seen;
  for (const auto& recipient : message.envelope.recipients) {
    std::string why;
    std::string name = mailbox::mailbox_name(recipient, why);
    if (name.empty()) {
      stats_->last_problem = "cannot send to " + why;
      return MAPI_E_INVALID_PARAMETER;
    }
    if (!seen.insert(name).second) continue;  // One copy per mailbox.
    delivery.mailboxes.push_back(std::move(name));
    delivery.addresses.push_back(recipient);
  }
  if (delivery.mailboxes.empty()) {
    stats_->last_problem = "a message without recipients cannot be sent";
    return MAPI_E_INVALID_PARAMETER;
  }
  delivery.root = options_->root;
  delivery.sender = message.envelope.sender.empty() ? address_ : message.envelope.sender;
  delivery.content = message.content;
  delivery.create_missing = options_->create_missing_mailboxes;
  job->gate = options_->send_gate;

  auto self = shared_from_this();
  Work* work = queue_work(
      loop_, [job] { run_send(*job); },
      [self, send, job](int status) { self->send_done(send, *job, status); });
  if (!work) {
    stats_->last_problem = "cannot queue the send on the threadpool";
    return MAPI_E_CALL_FAILED;
  }
  ++jobs_;
  job->work = work;
  sends_.emplace(send, std::move(job));
  ++stats_->sends_accepted;
  return S_OK;
}

void Session::send_done(ActivityId send, SendJob& job, int status) {
  --jobs_;
  sends_.erase(send);
  HRESULT result = S_OK;
  if (status == UV_ECANCELED) {
    result = MAPI_E_USER_CANCEL;
    ++stats_->cancelled_queued;
  } else {
    switch (job.outcome) {
      case mailbox::DeliveryOutcome::Delivered:
        ++stats_->sends_delivered;
        if (job.cancel_sent) ++stats_->cancelled_too_late;
        break;
      case mailbox::DeliveryOutcome::Cancelled:
        result = MAPI_E_USER_CANCEL;
        ++stats_->cancelled_staged;
        break;
      case mailbox::DeliveryOutcome::Failed:
        result = job.error;
        ++stats_->sends_failed;
        stats_->last_problem = job.why;
        break;
    }
  }
  if (logged_off_) return job_back();
  support_->complete_send(send, result);
  if (!logged_off_ && refused_ && sends_.size() < options_->send_capacity) {
    refused_ = false;
    support_->notify_ready();
  }
}

void Session::cancel_send(SendJob& job) {
  if (job.cancel_sent) return;
  job.cancel_sent = true;
  job.cancel.store(true);
  cancel_work(job.work);
}

// ---- Receiving -----------------------------------------------------------------

bool Session::try_receive() {
  if (lock_.held()) return true;
  if (logged_off_ || !lock_.try_acquire(where_)) return false;
  if (options_->watch) {
    watcher_ = new uv_fs_event_t;
    uv_fs_event_init(loop_, watcher_);
    watcher_->data = this;
    int result = uv_fs_event_start(watcher_, &Session::on_event, where_.fresh.c_str(), 0);
    if (result != 0) {
      // The periodic scan still finds the mail.
      stats_->last_problem =
          "cannot watch " + where_.fresh + " (" + uv_strerror(result) + "); scanning only";
      close_handle(watcher_);
    }
  }
  return true;
}

void Session::arm_timer() {
  if (!timer_ || logged_off_) return;
  const auto interval = static_cast<std::uint64_t>(options_->scan_interval.count());
  std::uint64_t delay = interval;
  // Until it holds the receiver lock, the session asks for it again soon.
  if (!lock_.held()) delay = interval > 0 ? std::min<std::uint64_t>(interval, 250) : 250;
  if (delay == 0) return;
  uv_timer_start(timer_, &Session::on_timer, delay, 0);
}

void Session::on_timer(uv_timer_t* handle) {
  LoopScope scope;
  auto* self = static_cast<Session*>(handle->data);
  if (!self) return;
  if (self->try_receive()) self->request_scan(false);
  self->arm_timer();
}

void Session::on_event(uv_fs_event_t* handle, const char* filename, int, int status) {
  LoopScope scope;
  auto* self = static_cast<Session*>(handle->data);
  if (!self || status < 0) return;
  // Our own removals change new/ too; they need no scan.
  if (filename && self->known_.count(filename)) return;
  self->request_scan(false);
}

void Session::stop_watching() {
  close_handle(watcher_);
  close_handle(timer_);
}

void Session::request_scan(bool for_flush) {
  if (logged_off_ || !lock_.held()) return;
  if (for_flush) flush_scan_wanted_ = true;
  if (scan_running_) {
    scan_again_ = true;
    return;
  }
  auto job = std::make_shared<ScanJob>();
  job->where = where_;
  job->for_flush = flush_scan_wanted_;
  job->clean = !cleaned_;
  job->stale_after = options_->stale_after;
  auto self = shared_from_this();
  Work* work = queue_work(
      loop_,
      [job] {
        if (job->clean) mailbox::clean_stale(job->where, job->stale_after);
        job->result = mailbox::list_new(job->where, job->names);
        if (failed(job->result)) job->why = last_error_message();
      },
      [self, job](int status) { self->scan_done(*job, status); });
  if (!work) return;  // The next tick tries again.
  ++jobs_;
  scan_running_ = true;
  scan_again_ = false;
  flush_scan_wanted_ = false;
  cleaned_ = true;
}

void Session::scan_done(ScanJob& job, int status) {
  --jobs_;
  scan_running_ = false;
  if (logged_off_) return job_back();
  ++stats_->scans;
  if (status == 0 && !failed(job.result)) {
    const std::set<std::string> listed(job.names.begin(), job.names.end());
    // What vanished (another reader took it) is no longer waited for.
    for (auto it = flush_names_.begin(); it != flush_names_.end();) {
      it = (!listed.count(*it) && !known_.count(*it)) ? flush_names_.erase(it) : std::next(it);
    }
    for (auto it = retry_at_.begin(); it != retry_at_.end();) {
      it = listed.count(it->first) ? std::next(it) : retry_at_.erase(it);
    }
    const std::uint64_t now = uv_now(loop_);
    backlog_.clear();
    for (const auto& name : job.names) {
      if (known_.count(name)) continue;
      if (skipped_.count(name)) {
        flush_names_.erase(name);
        continue;
      }
      auto retry = retry_at_.find(name);
      if (retry != retry_at_.end() && retry->second > now) continue;
      backlog_.push_back(name);
      if (job.for_flush) flush_names_.insert(name);
    }
  } else {
    stats_->last_problem = status != 0 ? "the scan was cancelled" : job.why;
  }
  if (job.for_flush) flush_scan_pending_ = false;
  pump();
  if (scan_again_) request_scan(false);
  maybe_finish_flush();
}

void Session::pump() {
  while (!logged_off_ && !backlog_.empty() && receives_.size() < options_->receive_capacity) {
    std::string name = std::move(backlog_.front());
    backlog_.pop_front();
    if (known_.count(name)) continue;
    if (!inbound_open_) {
      leave(name);
      continue;
    }
    ActivityId receive = 0;
    if (failed(support_->begin_inbound(receive))) {
      // The store takes no new mail now: everything stays in the mailbox.
      ++stats_->receives_refused;
      leave(name);
      for (const auto& rest : backlog_) leave(rest);
      backlog_.clear();
      return;
    }
    start_read(receive, name);
  }
}

void Session::leave(const std::string& name) {
  ++stats_->left_at_source;
  flush_names_.erase(name);
}

void Session::start_read(ActivityId receive, const std::string& name) {
  auto job = std::make_shared<ReadJob>();
  job->where = where_;
  job->name = name;
  job->address = address_;
  job->max_bytes = options_->max_message_bytes;
  auto self = shared_from_this();
  Work* work = queue_work(
      loop_,
      [job] {
        job->outcome = mailbox::read(job->where, job->name, job->address, job->max_bytes,
                                     job->message, job->why);
      },
      [self, receive, job](int status) { self->read_done(receive, *job, status); });
  if (!work) {
    stats_->last_problem = "cannot queue a read on the threadpool";
    ++stats_->receives_aborted;
    flush_names_.erase(name);
    support_->abort_inbound(receive);
    return;
  }
  ++jobs_;
  ++stats_->receives_begun;
  known_[name] = false;
  receives_[receive] = Receive{name, work, false};
}

void Session::read_done(ActivityId receive, ReadJob& job, int status) {
  --jobs_;
  bool aborted = true;
  if (auto it = receives_.find(receive); it != receives_.end()) {
    aborted = it->second.aborted;
    receives_.erase(it);
  }
  if (logged_off_) {
    known_.erase(job.name);
    return job_back();
  }
  if (aborted || status == UV_ECANCELED) {
    // A cancel answered it already; the file stays for a later receive.
    forget(job.name);
  } else if (job.outcome != mailbox::ReadOutcome::Read) {
    ++stats_->receives_aborted;
    if (job.outcome != mailbox::ReadOutcome::Gone) {
      ++stats_->skipped_files;
      stats_->last_problem = job.why;
      skipped_.insert(job.name);
    }
    forget(job.name);
    support_->abort_inbound(receive);
  } else if (failed(support_->commit_inbound(receive, job.message))) {
    // Not in the store, so it must stay in the mailbox: try again later.
    ++stats_->commit_failures;
    ++stats_->receives_aborted;
    forget(job.name);
    retry_at_[job.name] =
        uv_now(loop_) + static_cast<std::uint64_t>(options_->scan_interval.count());
    if (!logged_off_) support_->abort_inbound(receive);
  } else {
    // In the Inbox for good: only now may it leave the mailbox.
    ++stats_->receives_committed;
    start_remove(job.name);
  }
  pump();
  maybe_finish_flush();
}

void Session::start_remove(const std::string& name) {
  known_[name] = true;
  auto job = std::make_shared<RemoveJob>();
  job->where = where_;
  job->name = name;
  auto self = shared_from_this();
  auto run = [job] { job->result = mailbox::remove(job->where, job->name, job->why); };
  Work* work = queue_work(loop_, run, [self, job](int status) {
    if (status != 0) {
      job->result = MAPI_E_CALL_FAILED;
      job->why = "the removal was cancelled";
    }
    self->remove_done(*job);
  });
  if (work) {
    ++jobs_;
    return;
  }
  // No threadpool: do it here rather than leave a committed message behind.
  run();
  ++jobs_;
  remove_done(*job);
}

void Session::remove_done(RemoveJob& job) {
  --jobs_;
  if (failed(job.result)) {
    // It is in the store already; never deliver it again from this session.
    ++stats_->removals_failed;
    stats_->last_problem = job.why;
    skipped_.insert(job.name);
  }
  if (logged_off_) {
    known_.erase(job.name);
    return job_back();
  }
  forget(job.name);
  maybe_finish_flush();
}

void Session::forget(const std::string& name) {
  known_.erase(name);
  flush_names_.erase(name);
}

void Session::maybe_finish_flush() {
  if (!flushing_ || logged_off_ || flush_scan_pending_ || !flush_names_.empty()) return;
  flushing_ = false;
  support_->flush_complete();
}

void Session::job_back() {
  // The receiver lock is held until the last removal is done, so a session
  // that follows this one never begins a message this one committed.
  if (logged_off_ && jobs_ == 0) lock_.release();
}

// ---- Flush, notify, logoff ---------------------------------------------------

void Session::flush_queues(std::uint32_t flags) {
  if (logged_off_) return;
  flushing_ = true;
  if ((flags & FLUSH_UPLOAD) && refused_) {
    // Sends go out as soon as they are offered; all an upload flush can add
    // is taking again what capacity refused.
    refused_ = false;
    support_->notify_ready();
    if (logged_off_) return;
  }
  if ((flags & FLUSH_DOWNLOAD) && receives_mail_ && try_receive()) {
    retry_at_.clear();  // A flush retries at once what failed before.
    for (const auto& entry : known_) flush_names_.insert(entry.first);
    flush_scan_pending_ = true;
    request_scan(true);
    if (!scan_running_) flush_scan_pending_ = false;  // Could not queue it.
  }
  maybe_finish_flush();
}

void Session::transport_notify(std::uint32_t flags, ActivityId activity) {
  if (logged_off_) return;
  if (flags & NOTIFY_CANCEL_MESSAGE) {
    if (auto send = sends_.find(activity); send != sends_.end()) {
      ++stats_->cancel_requests;
      cancel_send(*send->second);  // Answered when the work comes back.
    } else if (auto receive = receives_.find(activity);
               receive != receives_.end() && !receive->second.aborted) {
      receive->second.aborted = true;
      cancel_work(receive->second.work);
      ++stats_->receives_aborted;
      support_->abort_inbound(activity);  // The file stays in the mailbox.
    }
    return;
  }
  if (flags & NOTIFY_END_INBOUND) {
    inbound_open_ = false;
    for (const auto& name : backlog_) leave(name);
    backlog_.clear();
    maybe_finish_flush();
  }
  if (flags & NOTIFY_BEGIN_INBOUND) {
    inbound_open_ = true;
    request_scan(false);
  }
}

void Session::transport_logoff(std::uint32_t) {
  // LOGOFF_NORMAL and LOGOFF_HURRY alike: by now the spooler has drained what
  // the mode asked for, and whatever is still in flight is abandoned. A send
  // not yet renamed into place is stopped (its message is in the Outbox); a
  // read is dropped uncommitted (its file stays in the mailbox).
  if (logged_off_) return;
  logged_off_ = true;
  for (auto& entry : sends_) cancel_send(*entry.second);
  for (auto& entry : receives_) {
    if (entry.second.aborted) continue;
    entry.second.aborted = true;
    cancel_work(entry.second.work);
  }
  backlog_.clear();
  flush_names_.clear();
  flushing_ = false;
  stop_watching();
  job_back();
}

}  // namespace uvmapi::shared_dir
