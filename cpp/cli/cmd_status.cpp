// uvmapi status DIR [--json]
#include <cstdio>

#include "cli/cli.h"
#include "error.h"
#include "maildir_store.h"

namespace uvmapi::cli {

const char* const kStatusHelp =
    "Usage: uvmapi status DIR [--json]\n"
    "\n"
    "Shows the store at DIR: how many messages each folder holds (Inbox, Outbox,\n"
    "Sent Items), the queue (the Outbox: messages not yet sent), whether a\n"
    "spooler ('uvmapi run') is running on the store, and whether other openers\n"
    "(a 'run', a 'submit', another program) have it open right now.\n"
    "\n"
    "To tell whether a spooler runs, status tries the store's spooler lock and\n"
    "lets it go at once if it got it.\n"
    "\n"
    "Options:\n"
    "  --json        print one JSON object instead of text:\n"
    "                {\"store\": DIR, \"folders\": {\"Inbox\": N, \"Outbox\": N,\n"
    "                \"Sent Items\": N}, \"queue\": N, \"spooler_running\": BOOL,\n"
    "                \"opened_elsewhere\": BOOL}\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 shown, 1 failure (no store at DIR, ...), 2 bad command line.\n"
    "\n"
    "Examples:\n"
    "  uvmapi status ~/mail/alice\n"
    "  uvmapi status ~/mail/alice --json\n";

int run_status(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_args(args, {{"json", false, false}});
  if (print_help_if_asked(parsed, kStatusHelp)) return kExitOk;
  expect_positionals(parsed, 1, 1, "DIR");
  const std::string dir = parsed.positionals[0];
  require_store(dir);
  std::unique_ptr<MaildirStore> store = open_store_dir(dir);

  const std::size_t inbox = store->count(Folder::Inbox);
  const std::size_t outbox = store->count(Folder::Outbox);
  const std::size_t sent = store->count(Folder::SentItems);
  bool acquired = false;
  if (HRESULT tried = store->try_lock_spooler(acquired); failed(tried)) {
    throw CliError(core_error("cannot tell whether a spooler runs on " + dir, tried));
  }
  if (acquired) store->unlock_spooler();
  const bool spooler_running = !acquired;
  const bool elsewhere = store->opened_elsewhere();
  store.reset();

  if (parsed.has("json")) {
    say("{\"store\": " + json_string(dir) + ", \"folders\": {\"Inbox\": " + std::to_string(inbox) +
        ", \"Outbox\": " + std::to_string(outbox) + ", \"Sent Items\": " + std::to_string(sent) +
        "}, \"queue\": " + std::to_string(outbox) +
        ", \"spooler_running\": " + (spooler_running ? "true" : "false") +
        ", \"opened_elsewhere\": " + (elsewhere ? "true" : "false") + "}");
    return kExitOk;
  }
  say("store:       " + dir);
  say("Inbox:       " + std::to_string(inbox));
  say("Outbox:      " + std::to_string(outbox));
  say("Sent Items:  " + std::to_string(sent));
  say("queue:       " + std::to_string(outbox) + (outbox == 1 ? " message" : " messages") +
      " waiting to be sent");
  say(std::string("spooler:     ") +
      (spooler_running ? "running (a 'uvmapi run' holds the store)" : "not running"));
  say(std::string("openers:     ") +
      (elsewhere ? "others have the store open" : "no one else has the store open"));
  return kExitOk;
}

}  // namespace uvmapi::cli
