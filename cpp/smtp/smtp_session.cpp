#include "smtp/smtp_session.h"

#include <algorithm>
#include <ctime>
#include <functional>
#include <string_view>
#include <utility>

#include "error.h"
#include "smtp/smtp_report.h"
#include "smtp/smtp_wire.h"

namespace uvmapi {

namespace {

std::uint64_t fingerprint_of(const Message& message) {
  // The standard library's string hash over the envelope and the bytes,
  // mixed with a separator that cannot occur in an address.
  std::hash<std::string_view> hash;
  std::uint64_t value = 1469598103934665603ull;
  auto mix = [&](std::string_view text) {
    value ^= hash(text) + 0x9e3779b97f4a7c15ull + (value << 6) + (value >> 2);
  };
  mix(message.envelope.sender);
  for (const auto& recipient : message.envelope.recipients) mix(recipient);
  mix(message.content);
  return value;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

SmtpSession::SmtpSession(uv_loop_t* loop, std::shared_ptr<const SmtpConfig> config,
                         std::shared_ptr<TlsContext> tls, std::shared_ptr<TransportSupport> support,
                         std::shared_ptr<SmtpStats> stats)
    : loop_(loop),
      config_(std::move(config)),
      tls_(std::move(tls)),
      support_(std::move(support)),
      stats_(std::move(stats)),
      retry_timer_(loop),
      tick_timer_(loop) {}

SmtpSession::~SmtpSession() = default;

std::vector<std::string> SmtpSession::open_recipients(const Record& record) const {
  std::vector<std::string> open;
  for (const auto& recipient : record.recipients) {
    if (contains(record.delivered, recipient)) continue;
    bool refused = std::any_of(record.refused.begin(), record.refused.end(),
                               [&](const auto& entry) { return entry.first == recipient; });
    if (!refused && !contains(open, recipient)) open.push_back(recipient);
  }
  return open;
}

HRESULT SmtpSession::submit_message(ActivityId send, const Message& message) {
  if (logged_off_) return fail(MAPI_E_INVALID_OBJECT, "the SMTP session is logged off");
  if (in_hand_ >= config_->send_capacity) {
    refused_ = true;
    return MAPI_E_BUSY;
  }
  ++in_hand_;
  std::uint64_t fingerprint = fingerprint_of(message);
  auto [it, fresh] = records_.try_emplace(fingerprint);
  Record& record = it->second;
  if (fresh) {
    record.recipients = message.envelope.recipients;
    record.sender = message.envelope.sender;
    record.header = header_section(message.content);
  }
  // Addresses that would break the command line are refused here, for good,
  // without a word to the server.
  if (!valid_envelope_address(message.envelope.sender)) {
    for (const auto& recipient : open_recipients(record)) {
      record.refused.emplace_back(recipient,
                                  local_reply(553, "5.1.7", "the sender address is not valid"));
    }
  }
  for (const auto& recipient : open_recipients(record)) {
    if (recipient.empty() || !valid_envelope_address(recipient)) {
      record.refused.emplace_back(recipient,
                                  local_reply(553, "5.1.3", "the recipient address is not valid"));
    }
  }
  std::vector<std::string> open = open_recipients(record);
  if (open.empty()) {
    conclude(send, fingerprint);
    return S_OK;
  }
  // Backing off (this message, or the whole server): the message waits in
  // the Outbox, unless a flush asks for one more try now.
  std::uint64_t now = uv_now(loop_);
  if (!flush_pending_ && unreachable_until_ > now) {
    record.next_try = std::max(record.next_try, unreachable_until_);
  }
  if (!flush_pending_ && record.next_try > now) {
    complete(send, MAPI_E_NETWORK_ERROR);
    arm_retry(record.next_try);
    return S_OK;
  }
  auto job = std::make_unique<SmtpJob>();
  job->send = send;
  job->fingerprint = fingerprint;
  job->sender = message.envelope.sender;
  job->recipients = std::move(open);
  job->wire = encode_data(message.content);
  job->eight_bit = has_8bit(message.content);
  queue_.push_back(std::move(job));
  pump();
  return S_OK;
}

void SmtpSession::pump() {
  if (logged_off_) return;
  std::size_t connecting = 0;
  for (auto& connection : connections_) {
    if (connection->closed()) continue;
    if (!connection->ready()) {
      ++connecting;
      continue;
    }
    while (!queue_.empty() && connection->can_take()) {
      std::unique_ptr<SmtpJob> job = std::move(queue_.front());
      queue_.pop_front();
      std::uint64_t limit = connection->max_size();
      if (limit > 0 && job->wire.size() > limit) {
        job->failure = local_reply(552, "5.3.4", "the message is larger than the server accepts");
        finish(std::move(job));
        continue;
      }
      connection->take(std::move(job));
    }
  }
  while (queue_.size() > connecting && connections_.size() < config_->connections) {
    connections_.push_back(std::make_unique<SmtpConnection>(loop_, *config_, tls_, *this, *stats_));
    connections_.back()->start();
    ++connecting;
  }
}

void SmtpSession::connection_ready(SmtpConnection&) {
  unreachable_ = 0;
  unreachable_until_ = 0;
  pump();
}

void SmtpSession::job_done(SmtpConnection&, std::unique_ptr<SmtpJob> job) {
  finish(std::move(job));
}

void SmtpSession::connection_closed(SmtpConnection& connection,
                                    std::vector<std::unique_ptr<SmtpJob>> unfinished,
                                    const std::string& problem, bool was_ready) {
  retire(connection);
  if (logged_off_) return;
  if (!problem.empty()) stats_->last_problem = problem;
  if (!was_ready && !problem.empty()) {
    // The server cannot be reached: every message waits out one backoff,
    // counted per session, before the next connection is tried.
    ++unreachable_;
    unreachable_until_ = retry_time(unreachable_);
  }
  for (auto& job : unfinished) finish(std::move(job));
  // A connection that never got ready fails what waits for it, unless another
  // one is up or on its way: nothing waits on a server that cannot be reached.
  bool other = std::any_of(connections_.begin(), connections_.end(),
                           [](const auto& c) { return !c->closed(); });
  if (!was_ready && !other) {
    auto waiting = std::move(queue_);
    queue_.clear();
    for (auto& job : waiting) {
      job->failure = local_reply(451, "4.4.1", problem);
      finish(std::move(job));
    }
  }
  pump();
}

void SmtpSession::retire(SmtpConnection& connection) {
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const auto& c) { return c.get() == &connection; });
  if (it == connections_.end()) return;
  retired_.push_back(std::move(*it));
  connections_.erase(it);
  tick();
}

void SmtpSession::finish(std::unique_ptr<SmtpJob> job) {
  if (logged_off_) return;
  if (job->cancelled) {
    ++stats_->cancels;
    complete(job->send, MAPI_E_USER_CANCEL);
    return;
  }
  Record& record = records_[job->fingerprint];
  bool later = false;
  const SmtpReply* cause = nullptr;
  for (std::size_t i = 0; i < job->recipients.size(); ++i) {
    const std::string& recipient = job->recipients[i];
    const SmtpReply none;
    const SmtpReply& rcpt = i < job->rcpt_replies.size() ? job->rcpt_replies[i] : none;
    // A recipient the server took shares the fate of the message's end; one
    // it answered otherwise keeps its own answer.
    const SmtpReply* verdict = &rcpt;
    if (rcpt.code == 0 || rcpt.positive()) {
      if (rcpt.positive() && job->accepted) {
        record.delivered.push_back(recipient);
        ++stats_->recipients_accepted;
        continue;
      }
      verdict = &job->failure;
    }
    if (verdict->permanent()) {
      record.refused.emplace_back(recipient, *verdict);
      ++stats_->recipients_refused;
    } else {
      later = true;
      cause = verdict->code ? verdict : cause;
      ++stats_->recipients_deferred;
    }
  }
  if (later) {
    defer(job->send, record, cause ? cause->text() : std::string("the message was not accepted"));
    return;
  }
  conclude(job->send, job->fingerprint);
}

std::uint64_t SmtpSession::retry_time(unsigned failures) const {
  auto delay = config_->retry_initial;
  for (unsigned i = 1; i < failures && delay < config_->retry_max; ++i) delay *= 2;
  delay = std::min(delay, config_->retry_max);
  // Retries fall on a grid of retry_initial, so that messages that failed at
  // about the same time are tried again together: one burst, then quiet,
  // rather than a trickle that never lets a logoff see the queue at rest.
  auto grid = static_cast<std::uint64_t>(config_->retry_initial.count());
  std::uint64_t due = uv_now(loop_) + static_cast<std::uint64_t>(delay.count());
  return (due + grid - 1) / grid * grid;
}

void SmtpSession::defer(ActivityId send, Record& record, const std::string& why) {
  ++record.attempts;
  record.next_try = std::max(retry_time(record.attempts), unreachable_until_);
  ++stats_->messages_deferred;
  ++stats_->retries_scheduled;
  stats_->last_problem = why;
  std::uint64_t due = record.next_try;
  complete(send, MAPI_E_NETWORK_ERROR);
  arm_retry(due);
}

void SmtpSession::conclude(ActivityId send, std::uint64_t fingerprint) {
  Record& record = records_[fingerprint];
  if (!record.refused.empty() && !record.reported) {
    if (!deliver_report(record)) {
      // The Inbox takes nothing now (the store is logging off): keep the
      // message in the Outbox; the report is made on the next try.
      defer(send, record, "the non-delivery report could not be stored yet");
      return;
    }
  }
  if (!record.delivered.empty()) {
    ++stats_->messages_sent;
    records_.erase(fingerprint);
    complete(send, S_OK);
    return;
  }
  ++stats_->messages_failed;
  complete(send, MAPI_E_CALL_FAILED);
}

bool SmtpSession::deliver_report(Record& record) {
  DeliveryReportInput input;
  input.original_sender = record.sender;
  input.original_header = record.header;
  input.reporting_host = config_->helo_name.empty() ? "localhost" : config_->helo_name;
  input.remote_host = config_->host;
  input.when = std::time(nullptr);
  for (const auto& recipient : record.delivered) input.recipients.push_back({recipient, true, {}});
  for (const auto& [recipient, reply] : record.refused) {
    input.recipients.push_back({recipient, false, reply});
  }
  ActivityId receive = 0;
  if (failed(support_->begin_inbound(receive))) return false;
  if (failed(support_->commit_inbound(receive, make_delivery_report(input)))) {
    support_->abort_inbound(receive);
    return false;
  }
  record.reported = true;
  ++stats_->reports_delivered;
  return true;
}

void SmtpSession::complete(ActivityId send, HRESULT result) {
  --in_hand_;
  support_->complete_send(send, result);
  if (refused_ && in_hand_ < config_->send_capacity) {
    refused_ = false;
    support_->notify_ready();
  }
  if (flush_pending_) tick();
}

void SmtpSession::arm_retry(std::uint64_t due) {
  // One timer for the earliest retry: when it fires, every deferred message
  // is offered again, and those not yet due re-arm it for their own time.
  if (logged_off_ || (retry_due_ != 0 && retry_due_ <= due)) return;
  retry_due_ = due;
  std::uint64_t now = uv_now(loop_);
  std::chrono::milliseconds delay(due > now ? due - now : 0);
  retry_timer_.start(delay, [this] {
    retry_due_ = 0;
    if (logged_off_) return;
    if (flush_pending_) {
      // A flush is the retry: each deferred message gets its one more try
      // from it. Retrying again under it would keep the flush from ending.
      retry_after_flush_ = true;
      return;
    }
    support_->retry_deferred();
  });
}

void SmtpSession::flush_queues(std::uint32_t flags) {
  (void)flags;  // Nothing to download: every flush is answered once uploads are done.
  flush_pending_ = true;
  tick();
}

void SmtpSession::tick() {
  // Runs on the next loop iteration, never inside a spooler or connection
  // call: that is what makes destroying connections and ending flushes safe.
  if (tick_armed_) return;
  tick_armed_ = true;
  tick_timer_.start(std::chrono::milliseconds(0), [this] {
    tick_armed_ = false;
    retired_.clear();
    if (flush_pending_ && in_hand_ == 0 && !refused_ && !logged_off_) {
      flush_pending_ = false;
      if (retry_after_flush_) {
        retry_after_flush_ = false;
        arm_retry(retry_time(1));
      }
      support_->flush_complete();
    }
    if (logged_off_ && connections_.empty()) {
      auto self = std::move(keep_alive_);  // May destroy this session: nothing after.
    }
  });
}

void SmtpSession::transport_notify(std::uint32_t flags, ActivityId activity) {
  if (!(flags & NOTIFY_CANCEL_MESSAGE) || logged_off_) return;
  auto queued = std::find_if(queue_.begin(), queue_.end(),
                             [&](const auto& job) { return job->send == activity; });
  if (queued != queue_.end()) {
    std::unique_ptr<SmtpJob> job = std::move(*queued);
    queue_.erase(queued);
    job->cancelled = true;
    finish(std::move(job));
    return;
  }
  for (auto& connection : connections_) {
    if (!connection->holds(activity)) continue;
    // Abandon the transaction by closing: after DATA there is no other way,
    // and the server keeps nothing of a transaction cut short.
    SmtpConnection& abandoned = *connection;
    std::vector<std::unique_ptr<SmtpJob>> jobs = abandoned.abandon();
    retire(abandoned);
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
      auto& job = *it;
      if (job->send == activity) {
        job->cancelled = true;
        finish(std::move(job));
      } else {
        // Not this one's fault: back to the head of the queue, afresh.
        job->rcpt_replies.clear();
        job->failure = SmtpReply{};
        job->accepted = false;
        queue_.push_front(std::move(job));
      }
    }
    pump();
    return;
  }
}

void SmtpSession::close_now() {
  if (!logged_off_) transport_logoff(LOGOFF_HURRY);
  for (auto& connection : connections_) {
    connection->abandon();
    retired_.push_back(std::move(connection));
  }
  connections_.clear();
  // The caller holds a reference: dropping ours cannot destroy us here.
  keep_alive_.reset();
}

void SmtpSession::transport_logoff(std::uint32_t flags) {
  if (logged_off_) return;
  logged_off_ = true;
  retry_timer_.stop();
  // The spooler forgets what we held; it is all still in the Outbox.
  queue_.clear();
  auto connections = std::move(connections_);
  connections_.clear();
  for (auto& connection : connections) {
    if (!(flags & LOGOFF_HURRY) && connection->idle()) {
      connection->quit();
      connections_.push_back(std::move(connection));
    } else {
      connection->abandon();
      retired_.push_back(std::move(connection));
    }
  }
  keep_alive_ = shared_from_this();
  tick();
}

}  // namespace uvmapi
