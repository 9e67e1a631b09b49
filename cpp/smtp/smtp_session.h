// One store's SMTP session (IXPLogon): it takes the spooler's sends, spreads
// them over up to config.connections connections, and turns what the server
// answered into the send's outcome (docs/smtp.md, "Outcomes"):
//   - every recipient accepted: the message goes to Sent Items;
//   - a recipient refused for now (4xx), or the connection lost: the message
//     stays in the Outbox and comes back after a backoff; only the recipients
//     still open are tried again;
//   - refused for good (5xx): a non-delivery report goes to the Inbox; the
//     message goes to Sent Items if some recipient took it, and otherwise
//     stays in the Outbox, not sent again by this session.
// A message's record (recipients decided so far, attempts, next retry) is
// keyed by a fingerprint of its envelope and bytes, because the spooler names
// each offer anew; identical messages therefore share one record.
#ifndef UVMAPI_CPP_SMTP_SMTP_SESSION_H
#define UVMAPI_CPP_SMTP_SMTP_SESSION_H

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "smtp/smtp_connection.h"
#include "smtp/smtp_transport.h"
#include "timer.h"
#include "transport.h"

namespace uvmapi {

class SmtpSession final : public TransportSession,
                          public SmtpConnection::Owner,
                          public std::enable_shared_from_this<SmtpSession> {
 public:
  SmtpSession(uv_loop_t* loop, std::shared_ptr<const SmtpConfig> config,
              std::shared_ptr<TlsContext> tls, std::shared_ptr<TransportSupport> support,
              std::shared_ptr<SmtpStats> stats);
  ~SmtpSession() override;

  HRESULT submit_message(ActivityId send, const Message& message) override;
  void flush_queues(std::uint32_t flags) override;
  void transport_notify(std::uint32_t flags, ActivityId activity) override;
  void transport_logoff(std::uint32_t flags) override;

  // The runtime stops: every connection closes at once, QUITs unanswered,
  // and the session stops keeping itself alive.
  void close_now();

  void connection_ready(SmtpConnection& connection) override;
  void job_done(SmtpConnection& connection, std::unique_ptr<SmtpJob> job) override;
  void connection_closed(SmtpConnection& connection,
                         std::vector<std::unique_ptr<SmtpJob>> unfinished,
                         const std::string& problem, bool was_ready) override;

 private:
  struct Record {
    std::vector<std::string> recipients;  // All of the message's.
    std::vector<std::string> delivered;
    std::vector<std::pair<std::string, SmtpReply>> refused;
    std::string sender;
    std::string header;  // For the report.
    unsigned attempts = 0;
    std::uint64_t next_try = 0;  // uv_now() milliseconds.
    bool reported = false;
  };

  void pump();
  void finish(std::unique_ptr<SmtpJob> job);
  void conclude(ActivityId send, std::uint64_t fingerprint);
  bool deliver_report(Record& record);
  void defer(ActivityId send, Record& record, const std::string& why);
  void complete(ActivityId send, HRESULT result);
  void arm_retry(std::uint64_t due);
  // When the failures-th consecutive failure may be tried again (uv_now ms).
  std::uint64_t retry_time(unsigned failures) const;
  void tick();
  void retire(SmtpConnection& connection);
  std::vector<std::string> open_recipients(const Record& record) const;

  uv_loop_t* loop_;
  std::shared_ptr<const SmtpConfig> config_;
  std::shared_ptr<TlsContext> tls_;
  std::shared_ptr<TransportSupport> support_;
  std::shared_ptr<SmtpStats> stats_;

  std::deque<std::unique_ptr<SmtpJob>> queue_;  // Accepted, not on a connection yet.
  std::vector<std::unique_ptr<SmtpConnection>> connections_;
  std::vector<std::unique_ptr<SmtpConnection>> retired_;  // Destroyed at the next tick.
  std::unordered_map<std::uint64_t, Record> records_;
  std::size_t in_hand_ = 0;  // Sends accepted and not completed.
  bool refused_ = false;     // A send was refused for capacity: notify_ready is owed.
  bool flush_pending_ = false;
  bool retry_after_flush_ = false;  // A retry came due during the flush.
  // Connections that failed before getting ready, in a row, and the backoff
  // they impose on every message.
  unsigned unreachable_ = 0;
  std::uint64_t unreachable_until_ = 0;
  bool logged_off_ = false;
  Timer retry_timer_;
  std::uint64_t retry_due_ = 0;  // When retry_timer_ fires; 0: not armed.
  Timer tick_timer_;
  bool tick_armed_ = false;
  // After logoff, the session keeps itself alive until its QUITs are done.
  std::shared_ptr<SmtpSession> keep_alive_;
};

}  // namespace uvmapi

#endif
