// Logs off a store in each of the five modes while a message is being
// received (I), one is being sent (O) and one waits in the Outbox (Q), and
// prints what each mode did. The transport is the scripted one: after the
// logoff call returns, it finishes whatever the mode still lets it finish.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "error.h"
#include "opener.h"
#include "runtime.h"
#include "scripted_transport.h"

using namespace uvmapi;

namespace {

Message make_message(const std::string& subject) {
  Message message;
  message.envelope = {"alice@example.org", {"bob@example.org"}};
  message.content = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: " + subject +
                    "\r\n\r\nHello.\r\n";
  return message;
}

struct Row {
  std::uint32_t activity = 0;
  LogoffReport report;
  double elapsed_ms = 0;
  std::size_t inbox = 0, outbox = 0, sent = 0, at_source = 0;
  bool ok = true;
};

// Runs one mode on a fresh runtime and reports what happened. Returns false
// on an unexpected error.
bool run_mode(std::uint32_t mode, Row& row) {
  RuntimeOptions options;
  options.drain_deadline = std::chrono::seconds(5);
  options.abort_deadline = std::chrono::seconds(2);
  std::unique_ptr<Runtime> runtime;
  if (failed(Runtime::create(options, runtime))) return false;
  auto provider = std::make_shared<ScriptedTransportProvider>();
  std::shared_ptr<Opener> opener;
  std::shared_ptr<ScriptedTransport> transport;
  std::shared_ptr<LogoffTicket> ticket;
  HRESULT result = S_OK;
  auto started = std::chrono::steady_clock::now();

  runtime->invoke([&] {
    if (failed(result = runtime->add_transport_provider(provider))) return;
    if (failed(result = runtime->open_store("demo", opener))) return;
    transport = provider->session("demo");
    MessageId id = 0;
    if (failed(result = opener->submit(make_message("being sent"), id))) return;
    transport->set_capacity(1);  // The next message stays queued.
    if (failed(result = opener->submit(make_message("queued"), id))) return;
    if (failed(result = transport->arrive(make_message("being received"), true))) return;
    std::uint32_t flags = mode;
    if (failed(result = opener->store_logoff(flags))) return;
    row.activity = flags;
    started = std::chrono::steady_clock::now();
    opener->release(&ticket);
  });
  if (failed(result) || !ticket) {
    std::fprintf(stderr, "demo: %s: %s\n", hresult_name(result).c_str(),
                 last_error_message().c_str());
    return false;
  }
  LogoffReport returned;
  ticket->wait_returned(std::chrono::seconds(10), returned);

  // The transport finishes what it is still allowed to finish.
  runtime->invoke([&] {
    if (transport->logged_off()) return;
    transport->set_send_policy(ScriptedTransport::SendPolicy::Complete);
    transport->finish_sends();
    transport->commit_receives();
    transport->set_capacity(ScriptedTransport::kUnlimited);
  });
  ticket->wait_finished(std::chrono::seconds(10), row.report);
  row.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

  runtime->invoke([&] {
    std::shared_ptr<Opener> reader;
    if (failed(runtime->open_store("demo", reader))) return;
    reader->count(Folder::Inbox, row.inbox);
    reader->count(Folder::Outbox, row.outbox);
    reader->count(Folder::SentItems, row.sent);
    row.at_source = transport->at_source();
    reader->release();
  });
  runtime->shutdown();
  // Three messages went in; each must be in exactly one place.
  row.ok = row.report.finished && row.inbox + row.at_source == 1 && row.outbox + row.sent == 2;
  return true;
}

// The output flags in the short form of the legend: C|I|O|Q.
std::string short_flags(std::uint32_t flags, bool with_complete) {
  std::string out;
  auto add = [&](std::uint32_t bit, const char* name) {
    if ((flags & bit) == 0) return;
    if (!out.empty()) out += '|';
    out += name;
  };
  if (with_complete) add(LOGOFF_COMPLETE, "C");
  add(LOGOFF_INBOUND, "I");
  add(LOGOFF_OUTBOUND, "O");
  add(LOGOFF_OUTBOUND_QUEUE, "Q");
  return out.empty() ? "-" : out;
}

}  // namespace

int main() {
  std::printf("uvmapi logoff demo: one store, one scripted transport, in flight at the logoff:\n");
  std::printf("a message being received (I), one being sent (O), one queued (Q).\n");
  std::printf("Flags: C = LOGOFF_COMPLETE, I = LOGOFF_INBOUND, O = LOGOFF_OUTBOUND,\n");
  std::printf("Q = LOGOFF_OUTBOUND_QUEUE.\n\n");
  std::printf("%-8s %-9s %-10s %-10s %-10s %8s  %s\n", "mode", "activity", "at return", "at final",
              "released", "time", "where the messages ended");

  const std::uint32_t modes[] = {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT,
                                 LOGOFF_QUIET};
  bool all_ok = true;
  for (std::uint32_t mode : modes) {
    Row row;
    if (!run_mode(mode, row)) return 1;
    all_ok &= row.ok;
    char where[128];
    std::snprintf(where, sizeof where, "Inbox %zu, at source %zu, Outbox %zu, Sent Items %zu",
                  row.inbox, row.at_source, row.outbox, row.sent);
    std::string released = row.report.released ? "yes" : "no (kept)";
    std::printf(
        "%-8s %-9s %-10s %-10s %-10s %6.2fms  %s\n", logoff_flags_name(mode).c_str(),
        short_flags(row.activity, false).c_str(), short_flags(row.report.at_return, true).c_str(),
        short_flags(row.report.at_final, true).c_str(), released.c_str(), row.elapsed_ms, where);
  }
  std::printf("\n%s\n", all_ok ? "every message accounted for" : "MESSAGES UNACCOUNTED FOR");
  return all_ok ? 0 : 1;
}
