// Case "smtp": N queued messages of 4 KiB leave a store with a PURGE logoff
// through the SMTP transport to Postfix's smtp-sink on loopback, over 1 and
// over 10 connections. Timed from the store's logon (the spooler offers the
// whole Outbox at once) until the PURGE has released it; every message is
// then in Sent Items (checked).
//
// The peer, in the same run and against the same sink: Postfix's own
// smtp-source sending the same message file N times (-d: one connection for
// many messages; -s: sessions in parallel). smtp-source runs before and
// after uvmapi and its rate is taken over both runs.
//
// Usage: uvmapi_bench_smtp [messages]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>

#include <fstream>
#include <memory>
#include <string>

#include "bench_util.h"
#include "logoff_ticket.h"
#include "memory_store.h"
#include "opener.h"
#include "runtime.h"
#include "smtp/smtp_transport.h"

extern char** environ;

using namespace uvmapi;
using namespace uvmapi::bench;

namespace {

constexpr auto kPatience = std::chrono::seconds(300);

std::string find_program(const char* name) {
  for (std::string dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/opt/homebrew/sbin/"}) {
    if (::access((dir + name).c_str(), X_OK) == 0) return dir + name;
  }
  die(std::string(name) + " is not installed (Debian: the postfix package)");
}

pid_t spawn(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int failed = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (failed) die("cannot start " + args[0]);
  return pid;
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool greets(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    pollfd pfd{fd, POLLIN, 0};
    char reply[3];
    ok = ::poll(&pfd, 1, 1000) == 1 && ::recv(fd, reply, 3, 0) == 3 && reply[0] == '2';
  }
  ::close(fd);
  return ok;
}

std::string message_text() {
  std::string text =
      "From: alice@bench.invalid\r\nTo: bob@bench.invalid\r\nSubject: smtp bench\r\n\r\n";
  while (text.size() + 78 <= 4096) text += std::string(76, 'x') + "\r\n";
  return text;
}

double source_seconds(const std::string& source, std::uint16_t port, int messages, int sessions,
                      const std::string& file) {
  auto start = Clock::now();
  pid_t pid = spawn({source, "-d", "-s", std::to_string(sessions), "-m", std::to_string(messages),
                     "-F", file, "-f", "alice@bench.invalid", "-t", "bob@bench.invalid",
                     "127.0.0.1:" + std::to_string(port)});
  int status = 0;
  ::waitpid(pid, &status, 0);
  double seconds = micros_since(start) / 1e6;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("smtp-source failed");
  return seconds;
}

double uvmapi_seconds(std::uint16_t port, int messages, int connections, const std::string& text) {
  std::unique_ptr<Runtime> runtime;
  RuntimeOptions options;
  options.drain_deadline = kPatience;
  check(Runtime::create(options, runtime), "Runtime::create");
  SmtpConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.security = SmtpSecurity::None;
  config.connections = static_cast<std::size_t>(connections);
  HRESULT added = MAPI_E_CALL_FAILED;
  runtime->invoke([&] {
    std::shared_ptr<SmtpTransportProvider> provider;
    added = SmtpTransportProvider::create(runtime->loop(), config, provider);
    if (added == S_OK) added = runtime->add_transport_provider(provider);
  });
  check(added, "adding the SMTP transport");
  // The Outbox is filled before the logon, so what is timed is the sending.
  auto store = std::make_unique<MemoryStore>();
  Message message;
  message.envelope.sender = "alice@bench.invalid";
  message.envelope.recipients = {"bob@bench.invalid"};
  message.content = text;
  for (int i = 0; i < messages; ++i) {
    MessageId id = 0;
    check(store->add(Folder::Outbox, message, id), "queueing a message");
  }
  MessageStore* storage = store.get();
  std::shared_ptr<LogoffTicket> ticket;
  auto start = Clock::now();
  runtime->invoke([&] {
    std::shared_ptr<Opener> opener;
    check(runtime->open_store("alice", opener,
                              [&](std::unique_ptr<MessageStore>& made) {
                                made = std::move(store);
                                return S_OK;
                              }),
          "open_store");
    std::uint32_t flags = LOGOFF_PURGE;
    check(opener->store_logoff(flags), "StoreLogoff");
    opener->release(&ticket);
  });
  LogoffReport report;
  check(ticket->wait_finished(kPatience, report), "waiting for the PURGE");
  double seconds = micros_since(start) / 1e6;
  std::size_t sent = 0;
  runtime->invoke([&] { sent = storage->count(Folder::SentItems); });
  if (sent != static_cast<std::size_t>(messages)) die("not every message reached Sent Items");
  runtime->shutdown();
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int messages = argc > 1 ? std::atoi(argv[1]) : 5000;
  std::string sink_path = find_program("smtp-sink");
  std::string source = find_program("smtp-source");
  ScratchDir scratch("smtp");
  std::string file = scratch.path() + "/message.eml";
  std::string text = message_text();
  std::ofstream(file, std::ios::binary) << text;

  std::uint16_t port = free_port();
  std::vector<std::string> sink_args = {sink_path};
  if (::geteuid() == 0) sink_args.insert(sink_args.end(), {"-u", "nobody"});
  sink_args.insert(sink_args.end(), {"127.0.0.1:" + std::to_string(port), "256"});
  pid_t sink = spawn(sink_args);
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!greets(port)) {
    if (Clock::now() > deadline) die("smtp-sink did not start");
    ::poll(nullptr, 0, 5);  // The polling interval; the greeting decides.
  }

  Report report("smtp");
  for (int connections : {1, 10}) {
    std::string n = std::to_string(connections);
    double before = source_seconds(source, port, messages, connections, file);
    double ours = uvmapi_seconds(port, messages, connections, text);
    double after = source_seconds(source, port, messages, connections, file);
    report.metric("source_" + n + "_msgs_per_s", 2 * messages / (before + after));
    report.metric("uvmapi_" + n + "_msgs_per_s", messages / ours);
  }
  ::kill(sink, SIGTERM);
  ::waitpid(sink, nullptr, 0);
  report.metric("messages", messages);
  report.info("message_bytes", std::to_string(text.size()));
  describe_build(report);
  report.print();
  return 0;
}
