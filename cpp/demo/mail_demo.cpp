// The main demo (make demo): two durable stores, alice and bob, under a fresh
// directory, exchanging a few hundred messages through the shared-directory
// transport. For each of the five modes, alice logs off while messages are
// being sent, queued and received; bob then drains everything that can still
// arrive. Every message is then looked for on disk by its Message-ID, in the
// sender's Outbox and Sent folders and in the recipient's mailbox and Inbox,
// and the table says where each one ended.
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "error.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "shared_dir_transport.h"

using namespace uvmapi;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMessagesEachWay = 150;
constexpr auto kPatience = std::chrono::seconds(60);

struct Tally {
  int outbox = 0, sent = 0, mailbox = 0, inbox = 0;
};

// Where one sender's messages are: by Message-ID, how many copies each place holds.
struct Census {
  std::map<std::string, Tally> by_id;
};

std::string message_id(const std::string& mode, const std::string& from, int n) {
  return mode + "." + from + "." + std::to_string(n) + "@uvmapi.demo";
}

Message make_message(const std::string& mode, const std::string& from, const std::string& to,
                     int n) {
  Message message;
  message.envelope = {from + "@uvmapi.demo", {to}};
  std::ostringstream text;
  text << "From: " << from << "@uvmapi.demo\r\nTo: " << to << "@uvmapi.demo\r\n"
       << "Message-ID: <" << message_id(mode, from, n) << ">\r\n"
       << "Subject: " << mode << " demo " << n << "\r\n\r\nHello from " << from << ".\r\n";
  message.content = text.str();
  return message;
}

// Calls count(id) for the Message-ID of every message file under dir's new/ and cur/.
template <typename Count>
void scan_maildir(const std::string& dir, Count count) {
  for (const char* sub : {"/new", "/cur"}) {
    DIR* listing = opendir((dir + sub).c_str());
    if (listing == nullptr) continue;
    while (dirent* entry = readdir(listing)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream file(dir + sub + "/" + entry->d_name);
      std::string line;
      while (std::getline(file, line) && line != "\r" && !line.empty()) {
        if (line.rfind("Message-ID: <", 0) != 0) continue;
        count(line.substr(13, line.find('>') - 13));
        break;
      }
    }
    closedir(listing);
  }
}

void census(const std::string& root, const std::string& from, const std::string& to, Census& out) {
  const std::string sender = root + "/stores/" + from, receiver = root + "/stores/" + to;
  scan_maildir(sender + "/Outbox", [&](const std::string& id) { ++out.by_id[id].outbox; });
  scan_maildir(sender + "/Sent", [&](const std::string& id) { ++out.by_id[id].sent; });
  scan_maildir(root + "/mail/" + to, [&](const std::string& id) { ++out.by_id[id].mailbox; });
  scan_maildir(receiver + "/Inbox", [&](const std::string& id) { ++out.by_id[id].inbox; });
}

// One row of the table: what one mode did to alice's store.
struct Row {
  std::uint32_t mode = 0;
  std::uint32_t activity = 0;
  LogoffReport report;
  double millis = 0;
  Tally alice_sent;      // Where alice's messages ended, summed.
  Tally alice_received;  // Where bob's messages ended, summed.
  int lost = 0, duplicated = 0;
};

Tally sum(const Census& census, int expected, int& lost, int& duplicated) {
  Tally total;
  for (const auto& [id, tally] : census.by_id) {
    total.outbox += tally.outbox;
    total.sent += tally.sent;
    total.mailbox += tally.mailbox;
    total.inbox += tally.inbox;
    // The sender keeps exactly one copy; the recipient has one exactly when
    // the sender's copy is in Sent Items (more: at-least-once duplicates).
    int sender = tally.outbox + tally.sent, receiver = tally.mailbox + tally.inbox;
    if (sender != 1) lost += sender == 0, duplicated += sender > 1;
    if (tally.sent == 1 && receiver == 0) ++lost;
    if (receiver > 1 || (tally.outbox == 1 && receiver > 0)) ++duplicated;
  }
  lost += expected - static_cast<int>(census.by_id.size());
  return total;
}

std::string letters(std::uint32_t flags) {
  std::string out;
  for (auto [bit, letter] : {std::pair{LOGOFF_COMPLETE, 'C'},
                             {LOGOFF_INBOUND, 'I'},
                             {LOGOFF_OUTBOUND, 'O'},
                             {LOGOFF_OUTBOUND_QUEUE, 'Q'}}) {
    if ((flags & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += letter;
  }
  return out.empty() ? "-" : out;
}

bool check(HRESULT result, const char* what) {
  if (!failed(result)) return true;
  std::fprintf(stderr, "demo: %s: %s: %s\n", what, hresult_name(result).c_str(),
               last_error_message().c_str());
  return false;
}

// Runs one mode from a fresh directory under base. False on an unexpected error.
bool run_mode(const std::string& base, std::uint32_t mode, Row& row) {
  const std::string name = logoff_flags_name(mode);
  const std::string root = base + "/" + name;
  if (mkdir(root.c_str(), 0700) != 0 || mkdir((root + "/stores").c_str(), 0700) != 0) {
    std::perror("demo: mkdir");
    return false;
  }
  if (!check(SharedDirTransportProvider::create_mailbox(root + "/mail", "alice"), "mailbox") ||
      !check(SharedDirTransportProvider::create_mailbox(root + "/mail", "bob"), "mailbox")) {
    return false;
  }
  RuntimeOptions options;
  options.drain_deadline = std::chrono::seconds(20);
  options.abort_deadline = std::chrono::seconds(5);
  std::unique_ptr<Runtime> runtime;
  if (!check(Runtime::create(options, runtime), "runtime")) return false;

  SharedDirOptions transport;
  transport.root = root + "/mail";
  transport.send_capacity = 4;  // So messages queue up behind the sends in flight.
  transport.scan_interval = std::chrono::milliseconds(200);
  std::shared_ptr<Opener> alice, bob;
  HRESULT opened = S_OK;
  runtime->invoke([&] {
    auto provider = std::make_shared<SharedDirTransportProvider>(runtime->loop(), transport);
    if (failed(opened = runtime->add_transport_provider(provider))) return;
    for (auto [who, opener] : {std::pair{"alice", &alice}, {"bob", &bob}}) {
      std::string dir = root + "/stores/" + who;
      opened = runtime->open_store(who, *opener, [dir](std::unique_ptr<MessageStore>& storage) {
        std::unique_ptr<MaildirStore> durable;
        HRESULT made = MaildirStore::open(dir, durable);
        storage = std::move(durable);
        return made;
      });
      if (failed(opened)) return;
    }
    for (int n = 0; n < kMessagesEachWay; ++n) {
      MessageId id = 0;
      if (failed(opened = alice->submit(make_message(name, "alice", "bob", n), id))) return;
      if (failed(opened = bob->submit(make_message(name, "bob", "alice", n), id))) return;
    }
  });
  if (!check(opened, "open and submit")) return false;

  // Wait, within a deadline, until alice is busy both ways, then log off.
  auto give_up = Clock::now() + std::chrono::seconds(10);
  std::uint32_t activity = 0;
  for (;;) {
    runtime->invoke([&] { alice->activity(activity); });
    if (activity == LOGOFF_ACTIVITY_MASK || Clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // Between polls.
  }

  std::shared_ptr<LogoffTicket> ticket;
  auto started = Clock::now();
  runtime->invoke([&] {
    std::uint32_t flags = mode;
    if (failed(alice->store_logoff(flags))) return;
    row.activity = flags;
    alice->release(&ticket);
  });
  if (!ticket) return check(MAPI_E_CALL_FAILED, "logoff");
  ticket->wait_finished(kPatience, row.report);
  row.millis = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

  // bob takes in what can still arrive and sends what it still has, then
  // the runtime ends whatever is left (QUIET's kept alice among it).
  std::shared_ptr<LogoffTicket> bob_ticket;
  runtime->invoke([&] {
    std::uint32_t flags = LOGOFF_PURGE;
    bob->store_logoff(flags);
    bob->release(&bob_ticket);
  });
  LogoffReport bob_report;
  if (bob_ticket) bob_ticket->wait_finished(kPatience, bob_report);
  runtime->shutdown();
  runtime.reset();

  Census from_alice, from_bob;
  census(root, "alice", "bob", from_alice);
  census(root, "bob", "alice", from_bob);
  row.mode = mode;
  row.alice_sent = sum(from_alice, kMessagesEachWay, row.lost, row.duplicated);
  row.alice_received = sum(from_bob, kMessagesEachWay, row.lost, row.duplicated);
  return true;
}

void remove_tree(const std::string& path) {
  nftw(
      path.c_str(),
      [](const char* entry, const struct stat*, int, struct FTW*) { return std::remove(entry); },
      16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace

int main(int argc, char** argv) {
  bool keep = argc > 1 && std::string(argv[1]) == "--keep";
  const char* tmp = std::getenv("TMPDIR");
  std::string base = std::string(tmp && *tmp ? tmp : "/tmp") + "/uvmapi-demo-XXXXXX";
  if (mkdtemp(base.data()) == nullptr) {
    std::perror("demo: mkdtemp");
    return 1;
  }

  std::printf("uvmapi demo: durable stores alice and bob under %s,\n", base.c_str());
  std::printf("the shared-directory transport between them, %d messages each way.\n",
              kMessagesEachWay);
  std::printf("alice logs off while it sends, queues and receives; bob then drains.\n");
  std::printf("Flags: C = LOGOFF_COMPLETE, I = INBOUND, O = OUTBOUND, Q = OUTBOUND_QUEUE.\n\n");
  std::printf("%55s  %-26s  %s\n", "", "alice -> bob", "bob -> alice");
  std::printf("%-8s %-8s %-9s %-9s %-8s %8s  %-26s  %s\n", "mode", "activity", "at return",
              "at final", "released", "time", "Outbox Sent mailbox Inbox",
              "Outbox Sent mailbox Inbox");

  bool accounted = true;
  for (std::uint32_t mode :
       {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT, LOGOFF_QUIET}) {
    Row row;
    if (!run_mode(base, mode, row)) {
      if (!keep) remove_tree(base);
      return 1;
    }
    accounted &= row.lost == 0;
    const Tally& a = row.alice_sent;
    const Tally& b = row.alice_received;
    char alice_col[64], bob_col[64];
    std::snprintf(alice_col, sizeof alice_col, "%6d %4d %7d %5d", a.outbox, a.sent, a.mailbox,
                  a.inbox);
    std::snprintf(bob_col, sizeof bob_col, "%6d %4d %7d %5d", b.outbox, b.sent, b.mailbox, b.inbox);
    std::string note = row.duplicated ? "  " + std::to_string(row.duplicated) + " duplicated" : "";
    std::printf("%-8s %-8s %-9s %-9s %-8s %6.0fms  %-26s  %s%s\n", logoff_flags_name(mode).c_str(),
                letters(row.activity).c_str(), letters(row.report.at_return).c_str(),
                letters(row.report.at_final).c_str(),
                row.report.released ? "yes" : (row.report.finished ? "no" : "pending"), row.millis,
                alice_col, bob_col, note.c_str());
    if (row.lost) std::printf("         %d messages LOST\n", row.lost);
  }
  std::printf("\n%s\n",
              accounted ? "every message accounted for" : "SOME MESSAGES ARE NOT ACCOUNTED FOR");
  if (keep) {
    std::printf("(kept %s)\n", base.c_str());
  } else {
    remove_tree(base);
  }
  return accounted ? 0 : 1;
}
