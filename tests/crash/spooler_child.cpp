// The process the crash tests kill: a spooler for the durable store "alice"
// under ROOT/stores/alice, sending through the shared-directory transport
// under ROOT/mail.
//
//   uvmapi_crash_child ROOT logoff MODE   log off with MODE (orderly, purge, ...)
//                                         once the store is busy; exit 0 when
//                                         the logoff is final and released
//   uvmapi_crash_child ROOT hold          keep the store open until stdin closes
//
// It writes one line to stdout when it reaches the interesting point ("L" as
// the logoff starts, "H" once the store is open), so the test can act then.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include "error.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "shared_dir_transport.h"

using namespace uvmapi;

namespace {

std::uint32_t parse_mode(const std::string& mode) {
  if (mode == "orderly") return LOGOFF_ORDERLY;
  if (mode == "purge") return LOGOFF_PURGE;
  if (mode == "no-wait") return LOGOFF_NO_WAIT;
  if (mode == "abort") return LOGOFF_ABORT;
  return 0;
}

int fail_with(const char* what) {
  std::fprintf(stderr, "crash child: %s: %s\n", what, last_error_message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string root = argv[1], action = argv[2];
  std::uint32_t mode = argc > 3 ? parse_mode(argv[3]) : 0;
  if (action == "logoff" && mode == 0) return 2;

  std::unique_ptr<Runtime> runtime;
  RuntimeOptions options;
  options.drain_deadline = std::chrono::seconds(30);
  if (failed(Runtime::create(options, runtime))) return fail_with("runtime");
  SharedDirOptions transport;
  transport.root = root + "/mail";
  transport.send_capacity = 4;
  transport.address_of = [](const std::string&) { return std::string("alice"); };
  std::shared_ptr<Opener> alice;
  HRESULT opened = S_OK;
  runtime->invoke([&] {
    auto provider = std::make_shared<SharedDirTransportProvider>(runtime->loop(), transport);
    if (failed(opened = runtime->add_transport_provider(provider))) return;
    std::string dir = root + "/stores/alice";
    opened = runtime->open_store("alice", alice, [dir](std::unique_ptr<MessageStore>& storage) {
      std::unique_ptr<MaildirStore> durable;
      HRESULT made = MaildirStore::open(dir, durable);
      storage = std::move(durable);
      return made;
    });
  });
  if (failed(opened)) return fail_with("open");

  if (action == "hold") {
    std::printf("H\n");
    std::fflush(stdout);
    char byte;
    while (read(0, &byte, 1) > 0) {
    }
    runtime->invoke([&] { alice->release(); });
    return failed(runtime->shutdown()) ? 1 : 0;
  }

  // Log off as soon as a send is in flight (or there is nothing to send).
  for (int polls = 0; polls < 5000; ++polls) {
    std::uint32_t activity = 0;
    runtime->invoke([&] { alice->activity(activity); });
    if (activity & LOGOFF_OUTBOUND || activity == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // Between polls.
  }
  std::shared_ptr<LogoffTicket> ticket;
  runtime->invoke([&] {
    std::uint32_t flags = mode;
    if (failed(alice->store_logoff(flags))) return;
    std::printf("L\n");
    std::fflush(stdout);
    alice->release(&ticket);
  });
  if (!ticket) return fail_with("logoff");
  LogoffReport report;
  if (failed(ticket->wait_finished(std::chrono::seconds(60), report))) return fail_with("wait");
  runtime->shutdown();
  std::printf("%s\n", logoff_flags_name(report.at_final).c_str());
  return report.released ? 0 : 1;
}
