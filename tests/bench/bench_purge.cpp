// Case "purge": 2,000 queued messages of 4 KiB leave a durable store with a
// PURGE logoff, through the shared-directory transport, into another durable
// store. Timed from the sender's logon (whose PURGE starts at once) until the
// receiver's own PURGE has fetched whatever its mailbox still held: then
// every message is in the receiver's Inbox, durably, and in the sender's
// Sent Items. Checked on disk afterwards.
//
// The floor, in the same process and on the same file system: a plain loop
// that writes each of the same files to tmp/, fsyncs it and renames it into
// new/, then fsyncs new/ once. It runs before and after uvmapi, and its rate
// is taken over both runs, so that a disk that got busier or quieter during
// the run does not favour either side.
//
// Usage: uvmapi_bench_purge [messages]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "bench_util.h"
#include "maildir_io.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "shared_dir_transport.h"

using namespace uvmapi;
using namespace uvmapi::bench;

namespace {

constexpr std::size_t kMessageBytes = 4096;
constexpr auto kPatience = std::chrono::seconds(300);

std::string content_of(int n) {
  std::string content = "From: alice@bench.invalid\r\nTo: bob@bench.invalid\r\nMessage-ID: <" +
                        std::to_string(n) + "@bench.invalid>\r\nSubject: purge " +
                        std::to_string(n) + "\r\n\r\n";
  while (content.size() + 2 < kMessageBytes) content += content.size() % 64 == 62 ? '\n' : 'x';
  content += "\r\n";
  return content;
}

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0) die("cannot create " + path);
}

void sync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) die("cannot fsync " + path);
  ::close(fd);
}

// The floor: write, fsync and rename each file, then fsync the directory once.
double floor_seconds(const std::string& dir, const std::vector<std::string>& contents) {
  make_dir(dir);
  make_dir(dir + "/tmp");
  make_dir(dir + "/new");
  std::vector<std::string> names;
  for (std::size_t i = 0; i < contents.size(); ++i) names.push_back(maildir::unique_name());
  const auto start = Clock::now();
  for (std::size_t i = 0; i < contents.size(); ++i) {
    const std::string temp = dir + "/tmp/" + names[i];
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("cannot create " + temp);
    const std::string& data = contents[i];
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
        ::fsync(fd) != 0 || ::close(fd) != 0) {
      die("cannot write " + temp);
    }
    if (::rename(temp.c_str(), (dir + "/new/" + names[i]).c_str()) != 0) die("cannot rename");
  }
  sync_path(dir + "/new");
  return micros_since(start) / 1e6;
}

std::size_t count_new(const std::string& dir) {
  std::vector<std::string> names;
  if (maildir::list_dir(dir, names) != S_OK) die("cannot list " + dir);
  return names.size();
}

struct PurgeTimes {
  double send_seconds = 0;   // The sender's PURGE: every message delivered to the mailbox.
  double total_seconds = 0;  // ... and fetched into the receiver's Inbox.
};

std::shared_ptr<LogoffTicket> purge(Runtime& runtime, const std::shared_ptr<Opener>& opener) {
  std::shared_ptr<LogoffTicket> ticket;
  runtime.invoke([&] {
    std::uint32_t flags = LOGOFF_PURGE;
    if (opener->store_logoff(flags) == S_OK) opener->release(&ticket);
  });
  if (!ticket) die("the PURGE logoff did not start");
  return ticket;
}

LogoffReport finished(const std::shared_ptr<LogoffTicket>& ticket, const char* who) {
  LogoffReport report;
  if (ticket->wait_finished(kPatience, report) != S_OK || !report.released) {
    die(std::string("the PURGE of ") + who + " did not end released");
  }
  return report;
}

PurgeTimes uvmapi_seconds(const std::string& root, const std::vector<std::string>& contents) {
  const int count = static_cast<int>(contents.size());
  const std::string stores = root + "/stores", mail = root + "/mail";
  make_dir(root);
  make_dir(stores);
  check(SharedDirTransportProvider::create_mailbox(mail, "alice"), "create_mailbox");
  check(SharedDirTransportProvider::create_mailbox(mail, "bob"), "create_mailbox");

  // The queue, filled before the runtime starts: the sender has it at logon.
  std::unique_ptr<MaildirStore> alice_store;
  check(MaildirStore::open(stores + "/alice", alice_store), "MaildirStore::open");
  for (int i = 0; i < count; ++i) {
    Message message{{"alice", {"bob"}}, contents[static_cast<std::size_t>(i)]};
    MessageId id = 0;
    check(alice_store->add(Folder::Outbox, message, id), "filling the Outbox");
  }

  std::unique_ptr<Runtime> runtime;
  check(Runtime::create(RuntimeOptions{}, runtime), "Runtime::create");
  std::shared_ptr<Opener> alice, bob;
  HRESULT result = S_OK;
  runtime->invoke([&] {
    SharedDirOptions options;
    options.root = mail;
    result = runtime->add_transport_provider(
        std::make_shared<SharedDirTransportProvider>(runtime->loop(), options));
    if (result != S_OK) return;
    result = runtime->open_store("bob", bob, [&](std::unique_ptr<MessageStore>& storage) {
      std::unique_ptr<MaildirStore> durable;
      HRESULT opened = MaildirStore::open(stores + "/bob", durable);
      storage = std::move(durable);
      return opened;
    });
  });
  check(result, "opening the receiving store");

  PurgeTimes times;
  const auto start = Clock::now();
  runtime->invoke([&] {
    result = runtime->open_store("alice", alice, [&](std::unique_ptr<MessageStore>& storage) {
      storage = std::move(alice_store);
      return S_OK;
    });
  });
  check(result, "opening the sending store");
  const LogoffReport sent = finished(purge(*runtime, alice), "the sender");
  times.send_seconds = micros_since(start) / 1e6;
  finished(purge(*runtime, bob), "the receiver");
  times.total_seconds = micros_since(start) / 1e6;
  runtime->shutdown();
  if (sent.at_final != LOGOFF_COMPLETE) die("the sender's PURGE left messages queued");

  std::unique_ptr<MaildirStore> check_alice, check_bob;
  check(MaildirStore::open(stores + "/alice", check_alice), "MaildirStore::open");
  check(MaildirStore::open(stores + "/bob", check_bob), "MaildirStore::open");
  const auto wanted = static_cast<std::size_t>(count);
  if (check_alice->count(Folder::Outbox) != 0 || check_alice->count(Folder::SentItems) != wanted ||
      check_bob->count(Folder::Inbox) != wanted || count_new(mail + "/bob/new") != 0) {
    die("the messages did not all arrive exactly once");
  }
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::max(std::atoi(argv[1]), 1) : 2000;
  std::vector<std::string> contents;
  for (int i = 0; i < messages; ++i) contents.push_back(content_of(i));
  ScratchDir scratch("purge");

  const double floor_before = floor_seconds(scratch.path() + "/floor-before", contents);
  const PurgeTimes uvmapi = uvmapi_seconds(scratch.path() + "/uvmapi", contents);
  const double floor_after = floor_seconds(scratch.path() + "/floor-after", contents);

  Report report("purge");
  report.metric("floor_msgs_per_s", 2 * messages / (floor_before + floor_after));
  report.metric("uvmapi_msgs_per_s", messages / uvmapi.total_seconds);
  report.metric("uvmapi_send_msgs_per_s", messages / uvmapi.send_seconds);
  report.info("messages", std::to_string(messages));
  report.info("message_bytes", std::to_string(kMessageBytes));
  report.info("scratch", scratch.path());
  describe_build(report);
  report.print();
  return 0;
}
