// Crash and multi-process tests of the durable store: a spooler process is
// killed with SIGKILL at random points of its logoff and restarted, and two
// processes share one store. The child is tests/crash/spooler_child.cpp,
// started with posix_spawn (this process has threads; fork alone is unsafe).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <dirent.h>
#include <doctest/doctest.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "scripted_transport.h"
#include "shared_dir_transport.h"

extern char** environ;

namespace uvmapi::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kMessages = 40;

struct Child {
  pid_t pid = -1;
  int out = -1;  // The child's stdout.
  int in = -1;   // The child's stdin.
};

Child spawn(const std::vector<std::string>& args) {
  int out[2], in[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(in) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  Child child;
  REQUIRE(posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(in[0]);
  child.out = out[0];
  child.in = in[1];
  return child;
}

// Reads one line of the child's output; false at EOF or the deadline.
bool read_line(const Child& child, std::string& line, std::chrono::milliseconds patience) {
  line.clear();
  auto deadline = Clock::now() + patience;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd ready{child.out, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(left.count())) <= 0) continue;
    char byte;
    if (read(child.out, &byte, 1) != 1) return false;
    if (byte == '\n') return true;
    line += byte;
  }
}

// Waits for the child to end (its stdout closes) and returns its exit status,
// or -1 if it was still running at the deadline (then it is killed).
int wait_exit(Child& child, std::chrono::milliseconds patience) {
  std::string rest;
  while (read_line(child, rest, patience)) {
  }
  int status = 0;
  if (waitpid(child.pid, &status, WNOHANG) == 0) {
    // Not gone yet: its stdout closed or the deadline passed.
    auto deadline = Clock::now() + patience;
    while (waitpid(child.pid, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        kill(child.pid, SIGKILL);
        waitpid(child.pid, &status, 0);
        status = -1;
        break;
      }
      pollfd none{-1, 0, 0};
      poll(&none, 0, 5);  // Between checks of a child that has closed its stdout.
    }
  }
  close(child.out);
  close(child.in);
  if (status == -1) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void kill_now(Child& child) {
  kill(child.pid, SIGKILL);
  waitpid(child.pid, nullptr, 0);
  close(child.out);
  close(child.in);
}

void remove_tree(const std::string& root) {
  nftw(
      root.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

std::string make_root() {
  char root[] = "/tmp/uvmapi-crash-XXXXXX";
  REQUIRE(mkdtemp(root) != nullptr);
  REQUIRE(mkdir((std::string(root) + "/stores").c_str(), 0700) == 0);
  return root;
}

std::string message_id(int n) {
  return "crash." + std::to_string(n) + "@uvmapi.test";
}

// alice's Outbox holds count messages to bob; both have mailboxes.
void prepare(const std::string& root, int count) {
  REQUIRE(SharedDirTransportProvider::create_mailbox(root + "/mail", "alice") == S_OK);
  REQUIRE(SharedDirTransportProvider::create_mailbox(root + "/mail", "bob") == S_OK);
  std::unique_ptr<MaildirStore> alice;
  REQUIRE(MaildirStore::open(root + "/stores/alice", alice) == S_OK);
  for (int n = 0; n < count; ++n) {
    Message message;
    message.envelope = {"alice", {"bob"}};
    message.content = "From: alice\r\nTo: bob\r\nMessage-ID: <" + message_id(n) +
                      ">\r\nSubject: crash " + std::to_string(n) + "\r\n\r\nbody\r\n";
    MessageId id = 0;
    REQUIRE(alice->add(Folder::Outbox, message, id) == S_OK);
  }
}

// How many copies of each Message-ID a Maildir folder holds.
std::map<std::string, int> copies_in(const std::string& dir) {
  std::map<std::string, int> copies;
  for (const char* sub : {"/new", "/cur"}) {
    DIR* listing = opendir((dir + sub).c_str());
    if (listing == nullptr) continue;
    while (dirent* entry = readdir(listing)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream file(dir + sub + "/" + entry->d_name);
      std::string line;
      while (std::getline(file, line) && line != "\r") {
        if (line.rfind("Message-ID: <", 0) == 0) {
          ++copies[line.substr(13, line.find('>') - 13)];
          break;
        }
      }
    }
    closedir(listing);
  }
  return copies;
}

}  // namespace

TEST_CASE("crash: a spooler killed during ORDERLY and PURGE logoffs loses no message") {
  std::mt19937 random(20261121);  // Fixed: a failure can be replayed.
  // Rounds go on until 50 kills have landed in a logoff under way (a kill
  // after the logoff finished tests less), within a bound.
  constexpr int kKillsWanted = 50, kMaxRounds = 200;
  int duplicates = 0, finished_before_kill = 0, rounds = 0;
  for (; rounds - finished_before_kill < kKillsWanted && rounds < kMaxRounds; ++rounds) {
    const int round = rounds;
    const std::string mode = round % 2 ? "purge" : "orderly";
    CAPTURE(round);
    CAPTURE(mode);
    std::string root = make_root();
    prepare(root, kMessages);

    Child child = spawn({UVMAPI_CRASH_CHILD, root, "logoff", mode});
    std::string line;
    REQUIRE(read_line(child, line, 20s));
    CHECK(line == "L");
    // The kill point is the test's input, drawn at random within the logoff.
    // ORDERLY only finishes the few sends in flight; PURGE sends them all.
    auto window = mode == "orderly" ? 4000u : 40000u;
    std::this_thread::sleep_for(std::chrono::microseconds(random() % window));
    if (waitpid(child.pid, nullptr, WNOHANG) != 0) ++finished_before_kill;
    kill_now(child);

    // The restart drains what is left.
    Child again = spawn({UVMAPI_CRASH_CHILD, root, "logoff", "purge"});
    REQUIRE(read_line(again, line, 20s));
    CHECK(wait_exit(again, 60s) == 0);

    auto outbox = copies_in(root + "/stores/alice/Outbox");
    auto sent = copies_in(root + "/stores/alice/Sent");
    auto delivered = copies_in(root + "/mail/bob");
    for (int n = 0; n < kMessages; ++n) {
      std::string id = message_id(n);
      CAPTURE(id);
      // The sender keeps exactly one copy, and after the PURGE it is sent.
      CHECK(outbox[id] + sent[id] == 1);
      CHECK(sent[id] == 1);
      // The recipient has it at least once (twice only after a crash).
      CHECK(delivered[id] >= 1);
      duplicates += delivered[id] > 1 ? delivered[id] - 1 : 0;
    }
    remove_tree(root);
  }
  MESSAGE(rounds << " kills, " << finished_before_kill << " after the logoff had finished, "
                 << duplicates << " duplicate deliveries (at-least-once)");
  CHECK(rounds - finished_before_kill >= kKillsWanted);
}

TEST_CASE("crash: two processes on one store meet the shared-store rule") {
  std::string root = make_root();
  prepare(root, 0);
  Child holder = spawn({UVMAPI_CRASH_CHILD, root, "hold"});
  std::string line;
  REQUIRE(read_line(holder, line, 20s));
  REQUIRE(line == "H");

  // This process opens the same directory with a transport that holds sends.
  RuntimeOptions options;
  std::unique_ptr<Runtime> runtime;
  REQUIRE(Runtime::create(options, runtime) == S_OK);
  auto provider = std::make_shared<ScriptedTransportProvider>();
  std::shared_ptr<Opener> alice;
  std::string dir = root + "/stores/alice";
  auto durable = [dir](std::unique_ptr<MessageStore>& storage) {
    std::unique_ptr<MaildirStore> store;
    HRESULT made = MaildirStore::open(dir, store);
    storage = std::move(store);
    return made;
  };
  HRESULT opened = S_OK;
  runtime->invoke([&] {
    runtime->add_transport_provider(provider);
    opened = runtime->open_store("alice", alice, durable);
  });
  REQUIRE(opened == S_OK);

  // While the other process has it open, ABORT touches nothing.
  std::shared_ptr<LogoffTicket> ticket;
  runtime->invoke([&] {
    Message message;
    message.envelope = {"alice", {"bob"}};
    message.content = "Subject: shared\r\n\r\nbody\r\n";
    MessageId id = 0;
    CHECK(alice->submit(message, id) == S_OK);
    CHECK(provider->session("alice")->sends_in_flight() == 1u);
    alice->release(&ticket);  // No StoreLogoff: ABORT.
  });
  REQUIRE(ticket != nullptr);
  LogoffReport report;
  REQUIRE(ticket->wait_finished(10s, report) == S_OK);
  CHECK(report.at_return == LOGOFF_COMPLETE);
  CHECK(report.at_final == LOGOFF_COMPLETE);
  CHECK(report.released);
  runtime->invoke(
      [&] { CHECK(provider->session("alice")->notifications().back() != NOTIFY_CANCEL_MESSAGE); });

  // Once the other process is gone, the same ABORT cancels and reports the queue.
  close(holder.in);
  CHECK(wait_exit(holder, 20s) == 0);
  std::shared_ptr<Opener> alone;
  runtime->invoke([&] { opened = runtime->open_store("alice", alone, durable); });
  REQUIRE(opened == S_OK);
  runtime->invoke([&] { alone->release(&ticket); });
  REQUIRE(ticket->wait_finished(10s, report) == S_OK);
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  runtime->shutdown();
  remove_tree(root);
}

}  // namespace uvmapi::test
