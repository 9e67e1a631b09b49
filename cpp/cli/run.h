// `uvmapi run`: the spooler of one store, embedded in the tool. Spool owns
// the runtime, its transport providers (the shared directory, SMTP, or both)
// and the one opener, and drives the logoff when a signal comes. The main thread steers it and
// prints; everything that touches the store runs on the runtime's loop
// thread through Runtime::invoke.
#ifndef UVMAPI_CPP_CLI_RUN_H
#define UVMAPI_CPP_CLI_RUN_H

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli.h"
#include "logoff_ticket.h"
#include "smtp/smtp_config.h"

namespace uvmapi {
class MaildirStore;
class Opener;
class Runtime;
class SendGate;
class SharedDirTransportProvider;
class SmtpTransportProvider;
struct SmtpStats;
}  // namespace uvmapi

namespace uvmapi::cli {

struct RunConfig {
  std::string dir;
  // The shared-directory transport; both empty when only --smtp is given.
  std::string address;
  std::string root;
  // The SMTP transport (--smtp), checked in full.
  std::optional<SmtpConfig> smtp;
  std::uint32_t mode = LOGOFF_ORDERLY;
  std::chrono::milliseconds deadline{30000};
  std::chrono::milliseconds abort_deadline{5000};
  std::chrono::milliseconds scan_interval{1000};
  bool create_mailboxes = false;
  // Test hook (UVMAPI_TEST_HOLD_SENDS=1): sends wait in flight until an
  // abort begins. See docs/cli.md.
  bool hold_sends = false;
};

// SIGINT and SIGTERM through a self-pipe: the handler only writes the
// signal's number to the pipe; the main thread reads it. The loop thread
// writes a zero byte to wake the main thread when a logoff moves on.
class Wakeups {
 public:
  // Installs the handlers. Throws CliError.
  static void install();
  // Keeps the two signals from threads started while blocked (the runtime's),
  // so only the main thread runs the handler.
  static void block();
  static void unblock();
  // Waits up to timeout for a signal or a wake-up; returns the signals that came.
  static std::vector<int> wait(std::chrono::milliseconds timeout);
  // Any thread.
  static void wake();
};

const char* signal_name(int signal);

// Exit code of a run that logged off cleanly but whose NO_WAIT or PURGE
// left messages in the Outbox that the transports could not send.
constexpr int kExitUnsent = 3;

// --- The SMTP transport (run_smtp.cpp) -------------------------------------------

// --smtp URL and the --smtp-* options as the transport's config, checked as
// far as the command line goes; nullopt without --smtp. Throws UsageError.
// No message holds a password.
std::optional<SmtpConfig> parse_smtp_options(const ParsedArgs& parsed);
// Completes a parsed config with what lies outside the command line: the
// password file, and every check the transport makes (the CA file is
// loaded). Throws CliError.
void load_smtp_config(const ParsedArgs& parsed, SmtpConfig& config);
// "smtp mail.example.org:587 (STARTTLS, user alice)", for the running line.
std::string smtp_description(const SmtpConfig& config);
// "smtp: sent N, deferred N, failed N, connections N (N failed)".
std::string smtp_counters_text(const SmtpStats& stats);

class Spool {
 public:
  explicit Spool(RunConfig config);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Locks and opens the store, starts the runtime and the transport.
  // Throws CliError (the store is "locked" when another run holds it).
  void start();
  // Spools and prints what changes until SIGINT or SIGTERM; returns it.
  int serve();
  // Logs off as configured, escalating on a second signal. Returns the exit code.
  int log_off(int signal);

 private:
  struct Counts {
    std::size_t inbox = 0, outbox = 0, sent = 0;
    bool operator!=(const Counts& other) const {
      return inbox != other.inbox || outbox != other.outbox || sent != other.sent;
    }
  };

  Counts counts();
  static std::string counts_text(const Counts& counts);
  std::string transport_text();
  // The newest problem of each transport (empty if none), after its label.
  std::vector<std::pair<std::string, std::string>> transport_problems();
  void start_offer_timer();
  void stop_offer_timer();
  void escalate(int signal);
  // Closes the spooler's gates and cancels what is in flight; false when
  // the opener has no store any more (or, with only_while_logging_off, no
  // logoff runs).
  bool steer_to_abort(bool only_while_logging_off);
  // Loop thread: Runtime::escalate_logoff on this store; true if it escalated.
  bool succeeded_escalation();
  void open_gate();
  void shut_down();
  int conclude(const LogoffReport& report);

  RunConfig config_;
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<SharedDirTransportProvider> provider_;  // Null without --address.
  std::shared_ptr<SmtpTransportProvider> smtp_;           // Null without --smtp.
  std::shared_ptr<SendGate> gate_;
  std::shared_ptr<Opener> opener_;
  std::shared_ptr<LogoffTicket> ticket_;
  MaildirStore* store_ = nullptr;  // Owned by the runtime; used on its loop only.
  uv_timer_t* offer_timer_ = nullptr;
  std::vector<int> pending_signals_;
  bool escalation_requested_ = false;
  std::mutex reports_mutex_;
  std::vector<LogoffReport> reports_;  // Every logoff the runtime finished.
};

int run_spool(const RunConfig& config);

}  // namespace uvmapi::cli

#endif
