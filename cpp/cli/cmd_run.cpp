// uvmapi run DIR [--address ADDR --shared-root ROOT] [--smtp URL [--smtp-* ...]]
//                [--logoff MODE] [--deadline SECONDS] [--scan-interval MS]
//                [--create-mailboxes]
//
// The command line, and the spooler's start and normal work. The logoff is
// in run_logoff.cpp, the SMTP options in run_smtp.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>
#include <utility>

#include "cli/run.h"
#include "error.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "shared_dir_transport.h"
#include "smtp/smtp_transport.h"

namespace uvmapi::cli {

const char* const kRunHelp =
    "Usage: uvmapi run DIR --address ADDR --shared-root ROOT [options]\n"
    "       uvmapi run DIR --smtp URL [--address ADDR --shared-root ROOT] [options]\n"
    "\n"
    "Runs the spooler of the store at DIR until SIGTERM or SIGINT (Ctrl-C): it\n"
    "sends what the Outbox holds through the shared-directory transport under\n"
    "ROOT, or to an SMTP server with --smtp, and takes what arrives in the\n"
    "mailbox of ADDR into the Inbox. Messages that 'uvmapi submit' adds meanwhile\n"
    "are picked up. One run per store: a second one fails with \"locked\". It\n"
    "prints a line when the folders change.\n"
    "\n"
    "On the first signal it logs the store off with MODE (StoreLogoff, then the\n"
    "release of the last reference) and prints the activity while it drains, the\n"
    "flags when control returns and when it is final. A second signal escalates\n"
    "to abort: what is in flight is cancelled and nothing new starts; so does\n"
    "the --deadline passing.\n"
    "\n"
    "Options:\n"
    "  --address ADDR      this store's address: its mailbox under ROOT (required\n"
    "                      without --smtp; give it with --shared-root or not at all)\n"
    "  --shared-root ROOT  the shared directory of mailboxes (required without\n"
    "                      --smtp; created if missing, its parent must exist)\n"
    "  --logoff MODE       how to log off on the first signal (default orderly):\n"
    "                        no-wait  stop receiving, send everything queued, go\n"
    "                        orderly  finish what is in flight; the queue stays\n"
    "                        purge    flush both ways: send everything queued,\n"
    "                                 fetch what waits in the mailbox, then go\n"
    "                        abort    cancel what is in flight; the queue stays\n"
    "                        quiet    log off only if the store is idle\n"
    "  --deadline SECONDS  how long no-wait, orderly and purge may drain before\n"
    "                      the logoff becomes an abort (default 30)\n"
    "  --scan-interval MS  how often the Outbox is offered again and the mailbox\n"
    "                      scanned, in milliseconds (default 1000)\n"
    "  --create-mailboxes  deliver to recipients that have no mailbox yet by\n"
    "                      creating it (default: such a send fails and the message\n"
    "                      stays in the Outbox until the next flush or run)\n"
    "  -h, --help          show this help\n"
    "\n"
    "SMTP (docs/smtp.md):\n"
    "  --smtp URL          send the Outbox to this server: smtp://[USER@]HOST[:PORT]\n"
    "                      (STARTTLS, port 587) or smtps://[USER@]HOST[:PORT] (TLS,\n"
    "                      port 465); never a password in it\n"
    "  --smtp-tls MODE     none, starttls or implicit (default: as the URL says)\n"
    "  --smtp-ca FILE      trust the certificates of this PEM file, not the system's\n"
    "  --smtp-no-verify    do not check the server's certificate (tests only)\n"
    "  --smtp-user USER    authenticate as USER (default: the URL's user)\n"
    "  --smtp-password-file FILE\n"
    "                      the password, the first line of FILE; otherwise the\n"
    "                      environment variable UVMAPI_SMTP_PASSWORD. A password\n"
    "                      is never taken from the command line\n"
    "  --smtp-allow-plaintext-auth\n"
    "                      authenticate even without TLS (--smtp-tls none)\n"
    "  --smtp-connections N  parallel connections to the server (default 1, up\n"
    "                      to 100)\n"
    "  --smtp-helo NAME    the name given in EHLO (default localhost)\n"
    "\n"
    "Exit codes: 0 the store was logged off and every message is accounted for\n"
    "(in the Outbox, in Sent Items, or delivered); 1 it was not (quiet with\n"
    "activity, an abort that could not stop), or the store is missing or locked;\n"
    "2 bad command line; 3 it was logged off, but no-wait or purge left messages\n"
    "in the Outbox that could not be sent (server down, refused): they wait for\n"
    "the next run.\n"
    "\n"
    "Examples:\n"
    "  uvmapi run ~/mail/alice --address alice --shared-root ~/mail/shared --logoff purge\n"
    "  uvmapi run ~/mail/alice --smtp smtp://alice@mail.example.org \\\n"
    "      --smtp-password-file ~/.smtp-password --logoff purge\n";

namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parent_dir(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

namespace {

const std::vector<OptionSpec> kRunOptions = {
    {"address", true, false},
    {"shared-root", true, false},
    {"logoff", true, false},
    {"deadline", true, false},
    {"scan-interval", true, false},
    {"create-mailboxes", false, false},
    {"smtp", true, false},
    {"smtp-tls", true, false},
    {"smtp-ca", true, false},
    {"smtp-no-verify", false, false},
    {"smtp-user", true, false},
    {"smtp-password-file", true, false},
    {"smtp-allow-plaintext-auth", false, false},
    {"smtp-connections", true, false},
    {"smtp-helo", true, false},
};

// parse_args, with a hint for whoever tries to type a password: the option
// does not exist, on purpose, and its value is never repeated.
ParsedArgs parse_run_args(const std::vector<std::string>& args) {
  try {
    return parse_args(args, kRunOptions);
  } catch (const UsageError&) {
    for (const auto& arg : args) {
      if (arg == "--") break;
      if (arg == "--smtp-password" || arg.rfind("--smtp-password=", 0) == 0) {
        throw UsageError(
            "a password is never given on the command line, where other users can read it: "
            "use --smtp-password-file FILE or the environment variable UVMAPI_SMTP_PASSWORD");
      }
    }
    throw;
  }
}

}  // namespace

int run_run(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_run_args(args);
  if (print_help_if_asked(parsed, kRunHelp)) return kExitOk;
  expect_positionals(parsed, 1, 1, "DIR");
  std::optional<SmtpConfig> smtp = parse_smtp_options(parsed);
  // With --smtp the shared directory is optional; its two options go together.
  const bool shared_dir = !parsed.has("smtp") || parsed.has("address") || parsed.has("shared-root");
  if (shared_dir && !parsed.has("address")) throw UsageError("missing --address ADDR");
  if (shared_dir && !parsed.has("shared-root")) throw UsageError("missing --shared-root ROOT");
  if (!shared_dir && parsed.has("create-mailboxes")) {
    throw UsageError("option '--create-mailboxes' needs the shared directory (--shared-root)");
  }
  RunConfig config;
  config.dir = parsed.positionals[0];
  if (shared_dir) {
    config.address = parsed.value("address");
    config.root = parsed.value("shared-root");
    check_address("address", config.address);
  }
  if (parsed.has("logoff")) config.mode = parse_logoff_mode(parsed.value("logoff"));
  if (parsed.has("deadline")) {
    config.deadline =
        std::chrono::milliseconds(parse_seconds_ms("deadline", parsed.value("deadline"), 86400));
  }
  if (parsed.has("scan-interval")) {
    config.scan_interval = std::chrono::milliseconds(
        parse_unsigned("scan-interval", parsed.value("scan-interval"), 10, 3600000));
  }
  config.create_mailboxes = parsed.has("create-mailboxes");
  const char* hold = std::getenv("UVMAPI_TEST_HOLD_SENDS");
  config.hold_sends = shared_dir && hold != nullptr && std::string(hold) == "1";

  // Checked before anything is opened or created.
  if (shared_dir && !is_directory(config.root) && !is_directory(parent_dir(config.root))) {
    throw CliError("cannot use the shared root " + config.root +
                   ": it is not a directory, nor can it be created in an existing one");
  }
  if (smtp) load_smtp_config(parsed, *smtp);
  require_store(config.dir);
  config.smtp = std::move(smtp);
  return run_spool(config);
}

int run_spool(const RunConfig& config) {
  Spool spool(config);
  spool.start();
  return spool.log_off(spool.serve());
}

Spool::Spool(RunConfig config) : config_(std::move(config)) {}

Spool::~Spool() {
  // On an error path: let held sends go and stop the runtime here, so the
  // store (and its locks) goes before the process reports the error.
  if (runtime_) shut_down();
}

void Spool::start() {
  std::unique_ptr<MaildirStore> durable = open_store_dir(config_.dir);
  // The spooler lock. `uvmapi status` takes it for an instant to look, so a
  // refusal is retried for a moment before it counts as another run.
  bool acquired = false;
  for (int attempt = 0; attempt < 20 && !acquired; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (HRESULT tried = durable->try_lock_spooler(acquired); failed(tried)) {
      throw CliError(core_error("cannot take the spooler lock of " + config_.dir, tried));
    }
  }
  if (!acquired) {
    throw CliError("the store at " + config_.dir +
                   " is locked: another 'uvmapi run' is spooling it (see 'uvmapi status')");
  }
  store_ = durable.get();

  Wakeups::install();
  RuntimeOptions options;
  options.drain_deadline = config_.deadline;
  options.abort_deadline = config_.abort_deadline;
  options.on_logoff = [this](const std::string&, const LogoffReport& report) {
    {
      std::lock_guard<std::mutex> lock(reports_mutex_);
      reports_.push_back(report);
    }
    Wakeups::wake();
  };
  // The runtime's threads start with the signals blocked: they reach the
  // main thread only.
  Wakeups::block();
  HRESULT made = Runtime::create(std::move(options), runtime_);
  Wakeups::unblock();
  if (failed(made)) throw CliError(core_error("cannot start the runtime", made));

  HRESULT result = S_OK;
  std::string why;
  runtime_->invoke([&] {
    auto fail_with = [&](const std::string& what, HRESULT hr) {
      result = hr;
      why = core_error(what, hr);
    };
    // SMTP first: the spooler hands each message to the first transport
    // that takes it, so with both the SMTP server gets the Outbox and the
    // shared directory fills the Inbox.
    if (config_.smtp) {
      if (HRESULT created = SmtpTransportProvider::create(runtime_->loop(), *config_.smtp, smtp_);
          failed(created)) {
        return fail_with("cannot use the SMTP server", created);
      }
      if (HRESULT added = runtime_->add_transport_provider(smtp_); failed(added)) {
        return fail_with("cannot add the SMTP transport", added);
      }
    }
    if (!config_.address.empty()) {
      SharedDirOptions transport;
      transport.root = config_.root;
      transport.address_of = [address = config_.address](const std::string&) { return address; };
      transport.scan_interval = config_.scan_interval;
      transport.create_missing_mailboxes = config_.create_mailboxes;
      if (config_.hold_sends) {
        gate_ = std::make_shared<SendGate>(false);
        transport.send_gate = gate_;
      }
      provider_ = std::make_shared<SharedDirTransportProvider>(runtime_->loop(), transport);
      if (HRESULT added = runtime_->add_transport_provider(provider_); failed(added)) {
        return fail_with("cannot add the shared-directory transport", added);
      }
    }
    auto factory = [&durable](std::unique_ptr<MessageStore>& storage) -> HRESULT {
      storage = std::move(durable);
      return S_OK;
    };
    if (HRESULT opened = runtime_->open_store(config_.dir, opener_, factory); failed(opened)) {
      return fail_with("cannot open the store at " + config_.dir, opened);
    }
    start_offer_timer();
  });
  if (failed(result)) throw CliError(why);
  std::string running = "running: store " + config_.dir;
  if (!config_.address.empty()) {
    running += ", address " + config_.address + ", shared root " + config_.root;
  }
  if (config_.smtp) running += ", " + smtp_description(*config_.smtp);
  say(running + ", logoff " + logoff_mode_name(config_.mode) + ", pid " +
      std::to_string(::getpid()));
  if (config_.hold_sends) say("test hook: sends are held in flight until an abort");
}

int Spool::serve() {
  Counts shown = counts();
  std::string shown_transport = transport_text();
  say(counts_text(shown) + "; " + shown_transport);
  // The problem each transport reported last, told when it changes.
  std::map<std::string, std::string> shown_problems;
  for (;;) {
    std::vector<int> signals = Wakeups::wait(std::chrono::milliseconds(500));
    if (!signals.empty()) {
      pending_signals_.assign(signals.begin() + 1, signals.end());
      return signals.front();
    }
    const Counts now = counts();
    const std::string transport = transport_text();
    if (now != shown || transport != shown_transport) {
      say(counts_text(now) + "; " + transport);
      shown = now;
      shown_transport = transport;
    }
    for (const auto& [label, problem] : transport_problems()) {
      std::string& shown_problem = shown_problems[label];
      if (problem != shown_problem) {
        shown_problem = problem;
        if (!problem.empty()) say(label + ": " + problem);
      }
    }
  }
}

Spool::Counts Spool::counts() {
  Counts counts;
  runtime_->invoke([&] {
    counts.inbox = store_->count(Folder::Inbox);
    counts.outbox = store_->count(Folder::Outbox);
    counts.sent = store_->count(Folder::SentItems);
  });
  return counts;
}

std::string Spool::counts_text(const Counts& counts) {
  return "Outbox " + std::to_string(counts.outbox) + ", Sent Items " + std::to_string(counts.sent) +
         ", Inbox " + std::to_string(counts.inbox);
}

std::string Spool::transport_text() {
  std::string text;
  runtime_->invoke([&] {
    if (provider_) {
      const SharedDirStats stats = provider_->stats(config_.dir);
      const std::size_t cancelled = stats.cancelled_queued + stats.cancelled_staged;
      text = "sent " + std::to_string(stats.sends_delivered) + ", received " +
             std::to_string(stats.receives_committed) + ", failed sends " +
             std::to_string(stats.sends_failed) + ", cancelled sends " + std::to_string(cancelled);
    }
    if (smtp_) {
      text += (text.empty() ? "" : "; ") + smtp_counters_text(smtp_->stats(config_.dir));
    }
  });
  return text;
}

std::vector<std::pair<std::string, std::string>> Spool::transport_problems() {
  std::vector<std::pair<std::string, std::string>> problems;
  runtime_->invoke([&] {
    if (provider_)
      problems.emplace_back("transport problem", provider_->stats(config_.dir).last_problem);
    if (smtp_) problems.emplace_back("smtp problem", smtp_->stats(config_.dir).last_problem);
  });
  return problems;
}

void Spool::start_offer_timer() {
  // Loop thread. Another process (`uvmapi submit`) adds to the Outbox behind
  // the spooler's back; no event says so, so the queue is offered again.
  offer_timer_ = new uv_timer_t;
  uv_timer_init(runtime_->loop(), offer_timer_);
  offer_timer_->data = this;
  const auto every = static_cast<std::uint64_t>(config_.scan_interval.count());
  uv_timer_start(
      offer_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Spool*>(timer->data);
        if (self) self->runtime_->offer_queue(self->config_.dir);
      },
      every, every);
}

void Spool::stop_offer_timer() {
  if (!runtime_) return;
  runtime_->invoke([this] {
    if (!offer_timer_) return;
    offer_timer_->data = nullptr;
    uv_timer_stop(offer_timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(offer_timer_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    offer_timer_ = nullptr;
  });
}

}  // namespace uvmapi::cli
