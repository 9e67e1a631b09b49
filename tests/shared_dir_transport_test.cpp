// The shared-directory transport against the core runtime and its in-memory
// stores: delivery into mailboxes and Inboxes, the periodic scan, flushes,
// cancels, every logoff mode with sends in flight, and commit-before-remove.
// Each test has its own temporary root. Every wait has a deadline: a
// LogoffTicket wait, a SendGate wait, or a poll of a condition.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"
#include "mailbox_dir.h"
#include "memory_store.h"
#include "shared_dir_transport.h"

namespace uvmapi::test {
namespace {

namespace fs = std::filesystem;

const std::string kAlice = "alice@example.org";
const std::string kBob = "bob@example.org";
constexpr std::chrono::milliseconds kQuickScan{50};

class TempRoot {
 public:
  TempRoot() {
    std::string pattern = (fs::temp_directory_path() / "uvmapi-shared-dir-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string mailbox(const std::string& address, const char* sub = "") const {
    std::string why;
    return (fs::path(path_) / mailbox::mailbox_name(address, why) / sub).string();
  }

 private:
  std::string path_;
};

Message letter(const std::string& subject, const std::string& from = kAlice,
               const std::vector<std::string>& to = {kBob}) {
  Message message;
  message.envelope.sender = from;
  message.envelope.recipients = to;
  std::string to_field;
  for (const auto& address : to) to_field += (to_field.empty() ? "" : ", ") + address;
  message.content = "From: " + from + "\r\nTo: " + to_field + "\r\nSubject: " + subject +
                    "\r\nMessage-ID: <" + subject + "@test>\r\n\r\nbody of " + subject + "\r\n";
  return message;
}

std::string subject_of(const std::string& content) {
  const std::string field = "\r\nSubject: ";
  std::size_t start = content.find(field);
  if (start == std::string::npos) return {};
  start += field.size();
  return content.substr(start, content.find("\r\n", start) - start);
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Subjects of the messages waiting in a mailbox's new/.
std::multiset<std::string> mailbox_subjects(const TempRoot& root, const std::string& address) {
  std::multiset<std::string> subjects;
  const std::string dir = root.mailbox(address, "new");
  for (const auto& name : files_in(dir)) subjects.insert(subject_of(slurp(dir + "/" + name)));
  return subjects;
}

// What an external mail delivery agent does: write in tmp/, rename into new/.
void drop_by_hand(const TempRoot& root, const std::string& address, const std::string& name,
                  const std::string& content) {
  const std::string tmp = root.mailbox(address, "tmp") + "/" + name;
  {
    std::ofstream out(tmp, std::ios::binary);
    out << content;
  }
  REQUIRE(::rename(tmp.c_str(), (root.mailbox(address, "new") + "/" + name).c_str()) == 0);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Polls a condition on the test thread until it holds or the deadline passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds patience = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // The poll interval.
  }
}

// A store that refuses new Inbox mail while told to: commit_inbound fails.
class RefusingStore final : public MessageStore {
 public:
  explicit RefusingStore(std::shared_ptr<std::atomic<bool>> refuse) : refuse_(std::move(refuse)) {}

  HRESULT add(Folder folder, const Message& message, MessageId& id) override {
    if (folder == Folder::Inbox && refuse_->load()) {
      return fail(MAPI_E_CALL_FAILED, "the test store refuses new mail");
    }
    return inner_.add(folder, message, id);
  }
  HRESULT move(MessageId id, Folder from, Folder to) override { return inner_.move(id, from, to); }
  std::optional<Message> read(MessageId id) const override { return inner_.read(id); }
  std::vector<MessageId> list(Folder folder) const override { return inner_.list(folder); }
  std::size_t count(Folder folder) const override { return inner_.count(folder); }

 private:
  std::shared_ptr<std::atomic<bool>> refuse_;
  MemoryStore inner_;
};

// One runtime with the shared-directory transport, like one process.
class Node {
 public:
  explicit Node(SharedDirOptions options, RuntimeOptions runtime_options = quick_options())
      : gate_(options.send_gate) {
    REQUIRE(Runtime::create(std::move(runtime_options), runtime_) == S_OK);
    run([&] {
      provider_ = std::make_shared<SharedDirTransportProvider>(runtime_->loop(), options);
      CHECK(runtime_->add_transport_provider(provider_) == S_OK);
    });
  }
  ~Node() {
    // A closed gate would hold the threadpool, and so the shutdown, forever.
    if (gate_) gate_->open();
    runtime_->shutdown();
  }

  void run(const std::function<void()>& fn) { REQUIRE(runtime_->invoke(fn) == S_OK); }

  // Logs on to a store, creating it in memory (or with storage) on first use.
  std::shared_ptr<Opener> open(const std::string& store,
                               std::unique_ptr<MessageStore> storage = nullptr) {
    std::shared_ptr<Opener> opener;
    HRESULT result = S_OK;
    run([&] {
      if (!stores_.count(store)) {
        if (!storage) storage = std::make_unique<MemoryStore>();
        stores_[store] = storage.get();
      }
      // Called only when the store is made, on first use.
      result = runtime_->open_store(store, opener, [&](std::unique_ptr<MessageStore>& made) {
        made = std::move(storage);
        return S_OK;
      });
    });
    REQUIRE(result == S_OK);
    return opener;
  }

  // Logs on without requiring success (store created in memory).
  HRESULT try_open(const std::string& store, std::shared_ptr<Opener>& opener) {
    HRESULT result = S_OK;
    run([&] { result = runtime_->open_store(store, opener); });
    return result;
  }

  void submit(Opener& opener, const Message& message) {
    HRESULT result = S_OK;
    run([&] {
      MessageId id = 0;
      result = opener.submit(message, id);
    });
    REQUIRE(result == S_OK);
  }

  // StoreLogoff(flag), then the last release.
  std::shared_ptr<LogoffTicket> logoff(Opener& opener, std::uint32_t flag) {
    std::shared_ptr<LogoffTicket> ticket;
    HRESULT result = S_OK;
    run([&] {
      std::uint32_t flags = flag;
      result = opener.store_logoff(flags);
      opener.release(&ticket);
    });
    REQUIRE(result == S_OK);
    REQUIRE((ticket != nullptr));
    return ticket;
  }

  // Read straight from the storage, so no logon (and no session) is needed.
  std::multiset<std::string> subjects(const std::string& store, Folder folder) {
    std::multiset<std::string> found;
    run([&] {
      auto it = stores_.find(store);
      if (it == stores_.end()) return;
      for (MessageId id : it->second->list(folder)) {
        if (auto message = it->second->read(id)) found.insert(subject_of(message->content));
      }
    });
    return found;
  }
  std::size_t count(const std::string& store, Folder folder) {
    return subjects(store, folder).size();
  }

  std::optional<Message> first(const std::string& store, Folder folder) {
    std::optional<Message> message;
    run([&] {
      auto ids = stores_.at(store)->list(folder);
      if (!ids.empty()) message = stores_.at(store)->read(ids.front());
    });
    return message;
  }

  SharedDirStats stats(const std::string& store) {
    SharedDirStats stats;
    run([&] { stats = provider_->stats(store); });
    return stats;
  }

  std::uint32_t activity(Opener& opener) {
    std::uint32_t bits = 0;
    run([&] { CHECK(opener.activity(bits) == S_OK); });
    return bits;
  }

  // Handles of a type that are active and not closing, on this loop.
  std::size_t live_handles(uv_handle_type type) {
    struct Count {
      uv_handle_type type;
      std::size_t n = 0;
    } count{type};
    run([&] {
      uv_walk(
          runtime_->loop(),
          [](uv_handle_t* handle, void* arg) {
            auto* c = static_cast<Count*>(arg);
            if (handle->type == c->type && uv_is_active(handle) && !uv_is_closing(handle)) ++c->n;
          },
          &count);
    });
    return count.n;
  }

 private:
  std::shared_ptr<SendGate> gate_;
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<SharedDirTransportProvider> provider_;
  std::map<std::string, MessageStore*> stores_;  // Owned by the runtime.
};

SharedDirOptions options_for(const TempRoot& root) {
  SharedDirOptions options;
  options.root = root.path();
  options.scan_interval = kQuickScan;
  return options;
}

// The libuv threadpool size, as libuv reads it.
std::size_t threadpool_size() {
  const char* value = std::getenv("UV_THREADPOOL_SIZE");
  long n = value ? std::atol(value) : 4;
  return static_cast<std::size_t>(n < 1 ? 1 : n > 1024 ? 1024 : n);
}

// Every subject is in exactly one place on the sender's side (Outbox or
// Sent Items), and the recipient has a copy exactly when it was sent.
void check_each_in_one_place(Node& node, const TempRoot& root, const std::string& sender,
                             const std::string& recipient,
                             const std::vector<std::string>& subjects) {
  auto outbox = node.subjects(sender, Folder::Outbox);
  auto sent = node.subjects(sender, Folder::SentItems);
  auto delivered = mailbox_subjects(root, recipient);
  auto inbox = node.subjects(recipient, Folder::Inbox);
  delivered.insert(inbox.begin(), inbox.end());
  for (const auto& subject : subjects) {
    CAPTURE(subject);
    CHECK(outbox.count(subject) + sent.count(subject) == 1);
    CHECK(delivered.count(subject) == sent.count(subject));
  }
  CHECK(fs::is_empty(root.mailbox(recipient, "tmp")));
}

}  // namespace

TEST_CASE("shared-dir: a message travels from alice's Outbox through bob's mailbox to his Inbox") {
  TempRoot root;
  REQUIRE(SharedDirTransportProvider::create_mailbox(root.path(), kBob) == S_OK);
  Node node(options_for(root));
  auto alice = node.open(kAlice);
  node.submit(*alice, letter("hello"));

  // Bob is not logged on: the message waits in his mailbox, as a file a
  // mail reader can read, with its envelope beside it.
  REQUIRE(eventually([&] { return node.count(kAlice, Folder::SentItems) == 1; }));
  CHECK(node.count(kAlice, Folder::Outbox) == 0);
  auto waiting = files_in(root.mailbox(kBob, "new"));
  REQUIRE(waiting.size() == 1);
  const std::string file = root.mailbox(kBob, "new") + "/" + waiting[0];
  CHECK(slurp(file) == letter("hello").content);
  CHECK(mode_of(file) == 0600);
  CHECK(fs::exists(root.mailbox(kBob, "envelopes") + "/" + waiting[0]));
  for (const char* sub : {"", "tmp", "new", "cur", "envelopes"}) {
    CHECK(mode_of(root.mailbox(kAlice, sub)) == 0700);
  }
  CHECK(fs::is_empty(root.mailbox(kBob, "tmp")));

  auto bob = node.open(kBob);
  REQUIRE(eventually([&] { return node.count(kBob, Folder::Inbox) == 1; }));
  // Removed after the commit: the message first, then its envelope.
  REQUIRE(eventually([&] {
    return files_in(root.mailbox(kBob, "new")).empty() &&
           files_in(root.mailbox(kBob, "envelopes")).empty();
  }));
  auto received = node.first(kBob, Folder::Inbox);
  REQUIRE(received.has_value());
  CHECK(received->content == letter("hello").content);
  CHECK(received->envelope.sender == kAlice);
  CHECK(received->envelope.recipients == std::vector<std::string>{kBob});

  CHECK(wait_finished(node.logoff(*bob, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
  CHECK(wait_finished(node.logoff(*alice, LOGOFF_ORDERLY)).at_final == LOGOFF_COMPLETE);
}

TEST_CASE("shared-dir: stores in two runtimes exchange mail through the shared root") {
  TempRoot root;
  Node alice_side(options_for(root));
  Node bob_side(options_for(root));
  auto bob = bob_side.open(kBob);  // Creates bob's mailbox at logon.
  auto alice = alice_side.open(kAlice);
  std::vector<std::string> subjects;
  for (int i = 0; i < 5; ++i) {
    subjects.push_back("two-runtimes-" + std::to_string(i));
    alice_side.submit(*alice, letter(subjects.back()));
  }
  REQUIRE(eventually([&] { return bob_side.count(kBob, Folder::Inbox) == 5; }));
  CHECK(bob_side.subjects(kBob, Folder::Inbox) ==
        std::multiset<std::string>(subjects.begin(), subjects.end()));
  CHECK(eventually([&] { return alice_side.count(kAlice, Folder::SentItems) == 5; }));
  // Bob answers; alice's mailbox exists since her logon.
  bob_side.submit(*bob, letter("reply", kBob, {kAlice}));
  CHECK(eventually([&] { return alice_side.count(kAlice, Folder::Inbox) == 1; }));
}

TEST_CASE("shared-dir: a few hundred messages are all accounted for") {
  constexpr int kMessages = 300;
  TempRoot root;
  SharedDirOptions options = options_for(root);
  options.send_capacity = 8;  // Far fewer than the queue: refusals and notify_ready.
  options.receive_capacity = 4;
  Node node(options);
  auto bob = node.open(kBob);
  auto alice = node.open(kAlice);
  std::multiset<std::string> expected;
  for (int i = 0; i < kMessages; ++i) {
    expected.insert("many-" + std::to_string(i));
    node.submit(*alice, letter("many-" + std::to_string(i)));
  }
  const auto patience = std::chrono::milliseconds(60000);
  REQUIRE(eventually([&] { return node.count(kBob, Folder::Inbox) == kMessages; }, patience));
  REQUIRE(eventually([&] { return node.count(kAlice, Folder::SentItems) == kMessages; }, patience));
  CHECK(node.count(kAlice, Folder::Outbox) == 0);
  CHECK(node.subjects(kBob, Folder::Inbox) == expected);
  CHECK(node.subjects(kAlice, Folder::SentItems) == expected);
  CHECK(eventually([&] { return files_in(root.mailbox(kBob, "new")).empty(); }));
  CHECK(fs::is_empty(root.mailbox(kBob, "tmp")));
  auto stats = node.stats(kAlice);
  CHECK(stats.sends_delivered == kMessages);
  CHECK(stats.sends_refused > 0);
  CHECK(node.stats(kBob).receives_committed == kMessages);
}

TEST_CASE("shared-dir: a file dropped in by hand is found by the periodic scan without events") {
  TempRoot root;
  SharedDirOptions options = options_for(root);
  options.watch = false;  // Every event is "missed": only the timer can find it.
  Node node(options);
  auto bob = node.open(kBob);
  const std::string content =
      "From: Carol <carol@example.net>\r\nTo: bob@example.org, dave@example.net\r\n"
      "Subject: by-hand\r\n\r\nwritten by another program\r\n";
  drop_by_hand(root, kBob, "1700000000.external.host", content);
  REQUIRE(eventually([&] { return node.count(kBob, Folder::Inbox) == 1; }));
  auto received = node.first(kBob, Folder::Inbox);
  REQUIRE(received.has_value());
  CHECK(received->content == content);
  // No envelope sidecar: the header fields stand in.
  CHECK(received->envelope.sender == "carol@example.net");
  CHECK(received->envelope.recipients == std::vector<std::string>{kBob, "dave@example.net"});
  CHECK(eventually([&] { return files_in(root.mailbox(kBob, "new")).empty(); }));
  CHECK(node.stats(kBob).scans >= 1);
}

TEST_CASE("shared-dir: PURGE fetches the mail still waiting in the mailbox") {
  TempRoot root;
  SharedDirOptions options = options_for(root);
  options.watch = false;
  options.scan_interval = std::chrono::milliseconds(0);  // Only logon and flushes scan.
  Node node(options);
  auto bob = node.open(kBob);
  // The scan of the logon is over before the mail arrives.
  REQUIRE(eventually([&] { return node.stats(kBob).scans >= 1; }));
  for (int i = 0; i < 3; ++i) {
    drop_by_hand(root, kBob, "1700000000.purge" + std::to_string(i) + ".host",
                 letter("purge-" + std::to_string(i)).content);
  }
  CHECK(node.count(kBob, Folder::Inbox) == 0);

  auto report = wait_finished(node.logoff(*bob, LOGOFF_PURGE));
  CHECK(report.released);
  CHECK(report.at_return == LOGOFF_COMPLETE);
  CHECK(report.at_final == LOGOFF_COMPLETE);
  CHECK(node.subjects(kBob, Folder::Inbox) ==
        std::multiset<std::string>{"purge-0", "purge-1", "purge-2"});
  // The flush ends only once the mailbox is empty.
  CHECK(files_in(root.mailbox(kBob, "new")).empty());
}

TEST_CASE("shared-dir: ORDERLY finishes the sends in flight and keeps the queue") {
  TempRoot root;
  REQUIRE(SharedDirTransportProvider::create_mailbox(root.path(), kBob) == S_OK);
  SharedDirOptions options = options_for(root);
  options.send_capacity = 2;
  options.send_gate = std::make_shared<SendGate>(false);
  Node node(options);
  auto alice = node.open(kAlice);
  std::vector<std::string> subjects;
  for (int i = 0; i < 5; ++i) {
    subjects.push_back("orderly-" + std::to_string(i));
    node.submit(*alice, letter(subjects.back()));
  }
  REQUIRE(
      options.send_gate->wait_for_waiting(std::min<std::size_t>(2, threadpool_size()), kPatience));
  CHECK(node.activity(*alice) == (LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE));

  auto ticket = node.logoff(*alice, LOGOFF_ORDERLY);
  CHECK(wait_returned(ticket).at_return ==
        (LOGOFF_COMPLETE | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE));
  options.send_gate->open();
  auto report = wait_finished(ticket);
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(node.count(kAlice, Folder::SentItems) == 2);
  CHECK(node.count(kAlice, Folder::Outbox) == 3);
  CHECK(mailbox_subjects(root, kBob).size() == 2);
  check_each_in_one_place(node, root, kAlice, kBob, subjects);
}

TEST_CASE("shared-dir: NO_WAIT sends what is in flight and what is queued") {
  TempRoot root;
  REQUIRE(SharedDirTransportProvider::create_mailbox(root.path(), kBob) == S_OK);
  SharedDirOptions options = options_for(root);
  options.send_capacity = 2;
  options.send_gate = std::make_shared<SendGate>(false);
  Node node(options);
  auto alice = node.open(kAlice);
  std::vector<std::string> subjects;
  for (int i = 0; i < 5; ++i) {
    subjects.push_back("no-wait-" + std::to_string(i));
    node.submit(*alice, letter(subjects.back()));
  }
  REQUIRE(
      options.send_gate->wait_for_waiting(std::min<std::size_t>(2, threadpool_size()), kPatience));

  auto ticket = node.logoff(*alice, LOGOFF_NO_WAIT);
  CHECK(wait_returned(ticket).at_return ==
        (LOGOFF_COMPLETE | LOGOFF_OUTBOUND | LOGOFF_OUTBOUND_QUEUE));
  options.send_gate->open();
  auto report = wait_finished(ticket);
  CHECK(report.at_final == LOGOFF_COMPLETE);
  CHECK(node.count(kAlice, Folder::SentItems) == 5);
  CHECK(node.count(kAlice, Folder::Outbox) == 0);
  CHECK(mailbox_subjects(root, kBob).size() == 5);
  check_each_in_one_place(node, root, kAlice, kBob, subjects);
}

TEST_CASE("shared-dir: ABORT cancels sends before their rename and they stay in the Outbox") {
  TempRoot root;
  REQUIRE(SharedDirTransportProvider::create_mailbox(root.path(), kBob) == S_OK);
  const std::size_t pool = threadpool_size();
  const std::size_t in_flight = pool + 2;  // pool at the gate, two never started.
  SharedDirOptions options = options_for(root);
  options.send_capacity = in_flight;
  options.send_gate = std::make_shared<SendGate>(false);
  Node node(options);
  auto alice = node.open(kAlice);
  std::vector<std::string> subjects;
  for (std::size_t i = 0; i < in_flight + 1; ++i) {  // One more stays queued.
    subjects.push_back("abort-" + std::to_string(i));
    node.submit(*alice, letter(subjects.back()));
  }
  REQUIRE(options.send_gate->wait_for_waiting(pool, kPatience));
  // Staged: the files are in tmp/, nothing is in new/ yet.
  CHECK(files_in(root.mailbox(kBob, "tmp")).size() == pool);
  CHECK(files_in(root.mailbox(kBob, "new")).empty());

  auto ticket = node.logoff(*alice, LOGOFF_ABORT);
  // The sends at the gate learn of the cancel only when they pass it.
  REQUIRE(eventually([&] { return node.stats(kAlice).cancel_requests == in_flight; }));
  options.send_gate->open();
  auto report = wait_finished(ticket);
  CHECK(report.status == S_OK);
  CHECK(report.at_return == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  CHECK(node.count(kAlice, Folder::Outbox) == in_flight + 1);
  CHECK(node.count(kAlice, Folder::SentItems) == 0);
  CHECK(files_in(root.mailbox(kBob, "new")).empty());
  CHECK(files_in(root.mailbox(kBob, "tmp")).empty());
  CHECK(files_in(root.mailbox(kBob, "envelopes")).empty());
  auto stats = node.stats(kAlice);
  CHECK(stats.cancelled_staged == pool);
  CHECK(stats.cancelled_queued == 2);
  CHECK(stats.sends_delivered == 0);
  check_each_in_one_place(node, root, kAlice, kBob, subjects);

  // Nothing was lost: the next logon sends the whole queue.
  auto again = node.open(kAlice);
  CHECK(eventually([&] { return node.count(kAlice, Folder::SentItems) == in_flight + 1; }));
  CHECK(mailbox_subjects(root, kBob).size() == in_flight + 1);
}

TEST_CASE("shared-dir: a failed commit leaves the file in the mailbox until the store takes it") {
  TempRoot root;
  Node node(options_for(root));
  auto refuse = std::make_shared<std::atomic<bool>>(true);
  auto bob = node.open(kBob, std::make_unique<RefusingStore>(refuse));
  drop_by_hand(root, kBob, "1700000000.refused.host", letter("refused").content);

  REQUIRE(eventually([&] { return node.stats(kBob).commit_failures >= 1; }));
  CHECK(files_in(root.mailbox(kBob, "new")) == std::vector<std::string>{"1700000000.refused.host"});
  CHECK(node.count(kBob, Folder::Inbox) == 0);
  // The failed receive was abandoned: nothing stays in flight.
  CHECK(eventually([&] { return (node.activity(*bob) & LOGOFF_INBOUND) == 0; }));

  refuse->store(false);
  REQUIRE(eventually([&] { return node.count(kBob, Folder::Inbox) == 1; }));
  CHECK(eventually([&] { return files_in(root.mailbox(kBob, "new")).empty(); }));
  CHECK(node.subjects(kBob, Folder::Inbox) == std::multiset<std::string>{"refused"});
}

TEST_CASE("shared-dir: mail arriving while the store logs off stays in the mailbox") {
  if (threadpool_size() < 2) {
    MESSAGE("needs a second threadpool thread to scan while a send is held");
    return;
  }
  TempRoot root;
  REQUIRE(SharedDirTransportProvider::create_mailbox(root.path(), kAlice) == S_OK);
  SharedDirOptions options = options_for(root);
  options.send_gate = std::make_shared<SendGate>(false);
  Node node(options);

  SUBCASE("ABORT: the spooler refuses begin_inbound") {
    auto bob = node.open(kBob);
    node.submit(*bob, letter("held", kBob, {kAlice}));
    REQUIRE(options.send_gate->wait_for_waiting(1, kPatience));
    auto ticket = node.logoff(*bob, LOGOFF_ABORT);  // Waits for the held send.
    REQUIRE(eventually([&] { return node.stats(kBob).cancel_requests == 1; }));
    drop_by_hand(root, kBob, "1700000000.late.host", letter("late").content);
    REQUIRE(eventually([&] { return node.stats(kBob).receives_refused >= 1; }));
    CHECK(files_in(root.mailbox(kBob, "new")).size() == 1);
    options.send_gate->open();
    CHECK(wait_finished(ticket).at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  }
  SUBCASE("NO_WAIT: reception ends at once") {
    auto bob = node.open(kBob);
    node.submit(*bob, letter("held", kBob, {kAlice}));
    REQUIRE(options.send_gate->wait_for_waiting(1, kPatience));
    auto ticket = node.logoff(*bob, LOGOFF_NO_WAIT);  // Drains the held send.
    CHECK(wait_returned(ticket).at_return == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND));
    drop_by_hand(root, kBob, "1700000000.late.host", letter("late").content);
    REQUIRE(eventually([&] { return node.stats(kBob).left_at_source >= 1; }));
    CHECK(files_in(root.mailbox(kBob, "new")).size() == 1);
    options.send_gate->open();
    CHECK(wait_finished(ticket).at_final == LOGOFF_COMPLETE);
  }

  CHECK(node.count(kBob, Folder::Inbox) == 0);
  CHECK(files_in(root.mailbox(kBob, "new")).size() == 1);
  // The next logon receives it.
  auto bob = node.open(kBob);
  CHECK(eventually([&] { return node.subjects(kBob, Folder::Inbox).count("late") == 1; }));
  CHECK(eventually([&] { return files_in(root.mailbox(kBob, "new")).empty(); }));
}

TEST_CASE("shared-dir: an unknown recipient fails the send unless mailboxes may be created") {
  TempRoot root;
  const std::string nobody = "Nobody@Example.org";
  SUBCASE("by default the message stays in the Outbox") {
    Node node(options_for(root));
    auto alice = node.open(kAlice);
    node.submit(*alice, letter("lost?", kAlice, {nobody}));
    REQUIRE(eventually([&] { return node.stats(kAlice).sends_failed == 1; }));
    CHECK(node.stats(kAlice).last_problem.find("no mailbox") != std::string::npos);
    CHECK(node.count(kAlice, Folder::Outbox) == 1);
    CHECK(node.count(kAlice, Folder::SentItems) == 0);
    CHECK_FALSE(fs::exists(root.mailbox(nobody)));
    auto report = wait_finished(node.logoff(*alice, LOGOFF_ORDERLY));
    CHECK(report.at_final == (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE));
  }
  SUBCASE("with create_missing_mailboxes it is delivered") {
    SharedDirOptions options = options_for(root);
    options.create_missing_mailboxes = true;
    Node node(options);
    auto alice = node.open(kAlice);
    node.submit(*alice, letter("found", kAlice, {nobody, kAlice, "NOBODY@example.org"}));
    REQUIRE(eventually([&] { return node.count(kAlice, Folder::SentItems) == 1; }));
    // One mailbox per address, whatever the case of its letters.
    CHECK(root.mailbox(nobody) == root.path() + "/nobody@example.org/");
    CHECK(mode_of(root.mailbox(nobody)) == 0700);
    CHECK(mailbox_subjects(root, nobody) == std::multiset<std::string>{"found"});
    CHECK(eventually([&] { return node.count(kAlice, Folder::Inbox) == 1; }));
  }
}

TEST_CASE("shared-dir: only one session receives from a mailbox") {
  TempRoot root;
  Node first(options_for(root));
  Node second(options_for(root));
  auto bob_first = first.open(kBob);
  auto bob_second = second.open(kBob);
  for (int i = 0; i < 20; ++i) {
    drop_by_hand(root, kBob, "1700000000.one" + std::to_string(i) + ".host",
                 letter("one-" + std::to_string(i)).content);
  }
  REQUIRE(eventually([&] { return first.count(kBob, Folder::Inbox) == 20; }));
  CHECK(eventually([&] { return files_in(root.mailbox(kBob, "new")).empty(); }));
  CHECK(second.count(kBob, Folder::Inbox) == 0);

  // When the first lets go, the second takes over.
  CHECK(wait_finished(first.logoff(*bob_first, LOGOFF_ORDERLY)).released);
  drop_by_hand(root, kBob, "1700000000.two.host", letter("two").content);
  CHECK(eventually([&] { return second.count(kBob, Folder::Inbox) == 1; }));
  CHECK(first.count(kBob, Folder::Inbox) == 20);
}

TEST_CASE("shared-dir: a logged-off session leaves no handle open") {
  TempRoot root;
  SharedDirOptions options = options_for(root);
  Node node(options);
  const std::size_t timers_before = node.live_handles(UV_TIMER);
  auto bob = node.open(kBob);
  CHECK(node.live_handles(UV_FS_EVENT) == 1);
  CHECK(node.live_handles(UV_TIMER) == timers_before + 1);
  CHECK(wait_finished(node.logoff(*bob, LOGOFF_ABORT)).released);
  CHECK(node.live_handles(UV_FS_EVENT) == 0);
  CHECK(node.live_handles(UV_TIMER) == timers_before);
}

TEST_CASE("shared-dir: an address that cannot name a directory is refused") {
  TempRoot root;
  std::string why;
  CHECK(mailbox::mailbox_name("Bob@Example.ORG", why) == "bob@example.org");
  for (const std::string bad : {"", "../evil", ".hidden", "a/b", "with space", "tab\there"}) {
    CAPTURE(bad);
    CHECK(mailbox::mailbox_name(bad, why).empty());
    CHECK_FALSE(why.empty());
  }
  Node node(options_for(root));
  std::shared_ptr<Opener> opener;
  CHECK(node.try_open("../evil", opener) == MAPI_E_INVALID_PARAMETER);
  CHECK((opener == nullptr));
  CHECK_FALSE(fs::exists(fs::path(root.path()).parent_path() / "evil"));
}

}  // namespace uvmapi::test
