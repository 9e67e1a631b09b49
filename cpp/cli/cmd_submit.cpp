// uvmapi submit DIR --from ADDR --to ADDR [--to ADDR ...] [FILE]
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "cli/cli.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"

namespace uvmapi::cli {

const char* const kSubmitHelp =
    "Usage: uvmapi submit DIR --from ADDR --to ADDR [--to ADDR ...] [FILE]\n"
    "\n"
    "Puts an RFC 5322 message into the Outbox of the store at DIR, with the\n"
    "envelope given by --from and --to. The message is read from FILE, or from\n"
    "standard input when FILE is '-' or missing. It is stored unchanged.\n"
    "\n"
    "The message must look like mail: header fields 'Name: value' (folded lines\n"
    "allowed), then a blank line and the body (or no body); CRLF or LF line\n"
    "ends; no NUL bytes, no control characters in the header, at most 64 MiB.\n"
    "Anything else is refused and the store is not touched.\n"
    "\n"
    "submit sends nothing itself: 'uvmapi run' on the store spools the Outbox,\n"
    "and picks up what submit added while it runs.\n"
    "\n"
    "Options:\n"
    "  --from ADDR   the envelope sender (required)\n"
    "  --to ADDR     an envelope recipient (required; repeat for more)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 queued, 1 failure (missing store, bad message, ...; nothing\n"
    "queued), 2 bad command line.\n"
    "\n"
    "Examples:\n"
    "  uvmapi submit ~/mail/alice --from alice --to bob message.eml\n"
    "  printf 'Subject: hi\\n\\nHello.\\n' | uvmapi submit ~/mail/alice --from alice --to bob\n";

namespace {

std::string read_all(std::FILE* in, const std::string& source) {
  std::string data;
  char buffer[65536];
  for (;;) {
    std::size_t n = std::fread(buffer, 1, sizeof buffer, in);
    data.append(buffer, n);
    if (data.size() > kMaxMessageBytes) {
      throw CliError("bad message (" + source + "): more than the limit of " +
                     std::to_string(kMaxMessageBytes) + " bytes");
    }
    if (n < sizeof buffer) break;
  }
  if (std::ferror(in)) throw CliError("cannot read " + source + ": " + std::strerror(errno));
  return data;
}

std::string read_message(const std::string& file, std::string& source) {
  if (file.empty() || file == "-") {
    source = "standard input";
    if (::isatty(STDIN_FILENO)) {
      throw CliError(
          "no FILE given and standard input is a terminal; give a FILE or pipe a message in");
    }
    return read_all(stdin, source);
  }
  source = file;
  std::FILE* in = std::fopen(file.c_str(), "rb");
  if (in == nullptr) throw CliError("cannot open " + file + ": " + std::strerror(errno));
  std::string data;
  try {
    data = read_all(in, source);
  } catch (...) {
    std::fclose(in);
    throw;
  }
  std::fclose(in);
  return data;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

int run_submit(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_args(args, {{"from", true, false}, {"to", true, true}});
  if (print_help_if_asked(parsed, kSubmitHelp)) return kExitOk;
  expect_positionals(parsed, 1, 2, "DIR and an optional FILE");
  if (!parsed.has("from")) throw UsageError("missing --from ADDR");
  if (!parsed.has("to")) throw UsageError("missing --to ADDR (at least one recipient)");
  const std::string dir = parsed.positionals[0];
  const std::string file = parsed.positionals.size() > 1 ? parsed.positionals[1] : "";

  Message message;
  message.envelope.sender = parsed.value("from");
  for (char c : message.envelope.sender) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      throw UsageError("option '--from': '" + message.envelope.sender +
                       "' holds a space or control character");
    }
  }
  for (const auto& to : parsed.values("to")) {
    check_address("to", to);
    bool seen = false;
    for (const auto& known : message.envelope.recipients) seen = seen || known == to;
    if (!seen) message.envelope.recipients.push_back(to);
  }

  // Everything is checked before the store is opened: an error changes nothing.
  std::string source;
  message.content = read_message(file, source);
  check_message(message.content, source);
  require_store(dir);
  std::unique_ptr<MaildirStore> durable = open_store_dir(dir);

  // The store goes into a runtime without transport providers: only
  // `uvmapi run` spools. ORDERLY at the end leaves the queue as it is.
  std::unique_ptr<Runtime> runtime;
  if (HRESULT made = Runtime::create(RuntimeOptions{}, runtime); failed(made)) {
    throw CliError(core_error("cannot start the runtime", made));
  }
  HRESULT result = S_OK;
  std::string why;
  std::size_t queued = 0;
  std::shared_ptr<LogoffTicket> ticket;
  runtime->invoke([&] {
    auto factory = [&durable](std::unique_ptr<MessageStore>& storage) -> HRESULT {
      storage = std::move(durable);
      return S_OK;
    };
    std::shared_ptr<Opener> opener;
    if (failed(result = runtime->open_store(dir, opener, factory))) {
      why = core_error("cannot open the store at " + dir, result);
      return;
    }
    MessageId id = 0;
    if (failed(result = opener->submit(message, id))) {
      why = core_error("cannot queue the message in " + dir, result);
    } else {
      opener->count(Folder::Outbox, queued);
    }
    std::uint32_t flags = LOGOFF_ORDERLY;
    opener->store_logoff(flags);
    opener->release(&ticket);
  });
  if (ticket) {
    LogoffReport report;
    ticket->wait_finished(std::chrono::seconds(30), report);
  }
  runtime->shutdown();
  runtime.reset();
  if (failed(result)) throw CliError(why);
  say("queued a message from " + message.envelope.sender + " to " +
      join(message.envelope.recipients) + " in " + dir + "/Outbox (" + std::to_string(queued) +
      " queued)");
  return kExitOk;
}

}  // namespace uvmapi::cli
