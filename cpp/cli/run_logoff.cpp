// `uvmapi run`: the logoff on the first signal, the escalation to abort on a
// second one, and the verdict. docs/cli.md ("How run logs off") tells the story.
#include <chrono>

#include "cli/run.h"
#include "error.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "shared_dir_transport.h"
#include "smtp/smtp_transport.h"
#include "store_support.h"

namespace uvmapi::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string seconds_text(milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms.count()) / 1000.0);
  return text;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

int Spool::log_off(int signal) {
  stop_offer_timer();
  say(std::string(signal_name(signal)) + ": logging off with " + logoff_flags_name(config_.mode) +
      " (drain deadline " + seconds_text(config_.deadline) + "; a second signal aborts)");
  HRESULT result = S_OK;
  std::string why;
  std::uint32_t activity = 0;
  runtime_->invoke([&] {
    std::uint32_t flags = config_.mode;
    if (failed(result = opener_->store_logoff(flags))) {
      why = core_error("StoreLogoff failed", result);
      return;
    }
    activity = flags;
    opener_->release(&ticket_);
    // An abort cancels the held sends first; then they may go on and see it.
    if (config_.mode == LOGOFF_ABORT) open_gate();
    if (ticket_) ticket_->subscribe([](const LogoffReport&) { Wakeups::wake(); });
  });
  if (failed(result)) throw CliError(why);
  if (!ticket_) throw CliError("the release did not start a logoff");
  say("activity at StoreLogoff: " + activity_short(activity) + "; " + counts_text(counts()));

  bool shown_return = false;
  bool shown_escalation = false;
  auto last_progress = Clock::now();
  for (;;) {
    std::vector<int> signals = std::move(pending_signals_);
    pending_signals_.clear();
    for (int extra : signals) escalate(extra);

    const LogoffReport report = ticket_->snapshot();
    if (report.returned && !shown_return) {
      say("returned: " + logoff_flags_name(report.at_return));
      shown_return = true;
    }
    if (report.escalated && !shown_escalation) {
      say("the drain deadline (" + seconds_text(config_.deadline) +
          ") passed: the logoff is now an abort");
      open_gate();
      shown_escalation = true;
    }
    if (report.finished) return conclude(report);

    if (Clock::now() - last_progress >= milliseconds(500)) {
      last_progress = Clock::now();
      std::uint32_t now = 0;
      bool known = false;
      runtime_->invoke([&] { known = !failed(opener_->activity(now)); });
      say(std::string("draining: activity ") + (known ? activity_short(now) : "?") + "; " +
          counts_text(counts()));
    }
    // Held sends wait for the escalation: look at the ticket more often then.
    pending_signals_ = Wakeups::wait(milliseconds(gate_ ? 100 : 250));
  }
}

void Spool::escalate(int signal) {
  const std::string name = signal_name(signal);
  if (escalation_requested_) {
    say(name + ": already escalating to abort; the logoff ends by its deadlines (drain " +
        seconds_text(config_.deadline) + ", abort " + seconds_text(config_.abort_deadline) + ")");
    return;
  }
  escalation_requested_ = true;
  const bool under_way = steer_to_abort(true);
  open_gate();
  if (!under_way) {
    say(name + ": the logoff is already over");
    return;
  }
  say(name + ": second signal: escalating to abort: cancelling what is in flight, starting " +
      "nothing new");
}

bool Spool::steer_to_abort(bool only_while_logging_off) {
  bool steered = false;
  runtime_->invoke([&] {
    // A drain under way becomes an abort, as its deadline would make it.
    if (succeeded_escalation()) {
      steered = true;
      return;
    }
    if (only_while_logging_off) return;
    // No drain (a kept store after QUIET or an abort that could not stop):
    // steer the spooler as an abort does, so held sends see the cancel.
    std::shared_ptr<StoreSupport> support;
    if (failed(opener_->support(support)) || !support) return;
    steered = true;
    Spooler& spooler = support->spooler();
    spooler.set_inbound_open(false);
    spooler.set_outbound_open(false);
    spooler.cancel_activity();
  });
  return steered;
}

bool Spool::succeeded_escalation() {
  return !failed(runtime_->escalate_logoff(opener_->store_name()));
}

void Spool::open_gate() {
  if (gate_) gate_->open();
}

void Spool::shut_down() {
  stop_offer_timer();
  // A closed gate would hold the runtime's shutdown forever.
  open_gate();
  if (runtime_) runtime_->shutdown();
}

int Spool::conclude(const LogoffReport& report) {
  std::string final_line = "final: " + logoff_flags_name(report.at_final) +
                           (report.released ? ", released" : ", not released");
  if (report.status != S_OK) final_line += ", " + hresult_name(report.status);
  if (report.escalated) final_line += ", escalated to abort at the deadline";
  if (escalation_requested_) final_line += ", after a second signal";
  say(final_line);
  const bool clean = report.released && report.status == S_OK && !report.forced;
  if (!report.released) {
    if (report.status == MAPI_E_UNABLE_TO_ABORT) {
      say("the abort could not stop the transport within the abort deadline: the store was not "
          "logged off");
    } else {
      say("the store was busy (" + activity_short(report.at_final) +
          "): quiet does not log off a busy store");
    }
    say("shutting the runtime down: it ends the store by force");
    // Cancel first, so that held sends (the test hook) see it when the gate opens.
    steer_to_abort(false);
  }
  shut_down();
  bool forced = report.forced;
  {
    std::lock_guard<std::mutex> lock(reports_mutex_);
    for (const auto& seen : reports_) forced = forced || seen.forced;
  }
  if (forced) say("the store was ended by force: the transport did not stop in time");

  // The runtime has stopped: these run on this thread now.
  const Counts final_counts = counts();
  say("transport: " + transport_text());
  if (clean) {
    // NO_WAIT and PURGE were asked to send everything: what is left was
    // refused or could not reach its server, and a script must hear it.
    const bool sends_all = config_.mode == LOGOFF_NO_WAIT || config_.mode == LOGOFF_PURGE;
    if (sends_all && final_counts.outbox > 0) {
      std::string why;
      for (const auto& [label, problem] : transport_problems()) {
        if (!problem.empty()) why += "; " + label + ": " + problem;
      }
      const bool one = final_counts.outbox == 1;
      say(plural(final_counts.outbox, "message", "messages") + " could not be sent (" +
          logoff_mode_name(config_.mode) + " left " + (one ? "it" : "them") +
          " queued in the Outbox for the next run)" + why);
      say("every message accounted for, but not everything was sent: " + counts_text(final_counts));
      return kExitUnsent;
    }
    if (final_counts.outbox > 0) {
      say(plural(final_counts.outbox, "message", "messages") +
          " left queued in the Outbox for the next run: accounted for");
    }
    say("every message accounted for: " + counts_text(final_counts));
    return kExitOk;
  }
  say("not logged off cleanly: " + counts_text(final_counts) +
      "; what the transport held is still in the Outbox and may be sent again");
  return kExitFailure;
}

}  // namespace uvmapi::cli
