// The durable store on disk (MaildirStore): layout, commit, recovery, locks.
// Each test works in a fresh directory from mkdtemp and removes it after.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "error.h"
#include "maildir_io.h"
#include "maildir_store.h"

namespace uvmapi {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "uvmapi-maildir-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    REQUIRE(::mkdtemp(buffer.data()) != nullptr);
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ignored;
    // Give back any permission a test took away, so everything can go.
    for (auto it = fs::recursive_directory_iterator(path_, ignored);
         it != fs::recursive_directory_iterator(); it.increment(ignored)) {
      if (it->is_directory(ignored)) ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string store() const { return path_ + "/store"; }

 private:
  std::string path_;
};

Message make_message(const std::string& subject, const std::string& from = "a@example.org",
                     std::vector<std::string> to = {"b@example.org"}) {
  Message message;
  message.envelope = {from, to};
  message.content = "From: " + from + "\r\nTo: " + (to.empty() ? std::string() : to.front()) +
                    "\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n";
  return message;
}

std::unique_ptr<MaildirStore> open_store(const std::string& root) {
  std::unique_ptr<MaildirStore> store;
  HRESULT result = MaildirStore::open(root, store);
  INFO(last_error_message());
  REQUIRE(result == S_OK);
  REQUIRE(store);
  return store;
}

unsigned mode_of(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void age(const std::string& path, long seconds) {
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  struct timeval times[2] = {{now.tv_sec - seconds, 0}, {now.tv_sec - seconds, 0}};
  REQUIRE(::utimes(path.c_str(), times) == 0);
}

std::string subject_of(const MaildirStore& store, MessageId id) {
  auto message = store.read(id);
  REQUIRE(message);
  auto at = message->content.find("Subject: ");
  REQUIRE(at != std::string::npos);
  return message->content.substr(at + 9, message->content.find('\r', at) - at - 9);
}

const char* const kFolderDirs[] = {"Inbox", "Outbox", "Sent"};

}  // namespace

TEST_CASE("maildir: open creates the layout, private whatever the umask") {
  TempDir dir;
  mode_t old_mask = ::umask(0777);  // mkdir/open alone would give mode 0000
  std::unique_ptr<MaildirStore> store;
  HRESULT opened = MaildirStore::open(dir.store(), store);
  MessageId id = 0;
  HRESULT added = opened == S_OK ? store->add(Folder::Outbox, make_message("x"), id) : opened;
  ::umask(old_mask);
  INFO(last_error_message());
  REQUIRE(opened == S_OK);
  REQUIRE(added == S_OK);

  CHECK(mode_of(dir.store()) == 0700u);
  for (const char* folder : kFolderDirs) {
    const std::string path = dir.store() + "/" + folder;
    CHECK(mode_of(path) == 0700u);
    for (const char* sub : {"tmp", "new", "cur", "envelopes"}) {
      CAPTURE(sub);
      CHECK(mode_of(path + "/" + sub) == 0700u);
    }
  }
  for (const char* lock : {".openers", ".openers.guard", ".spooler"}) {
    CAPTURE(lock);
    CHECK(mode_of(dir.store() + "/" + lock) == 0600u);
  }
  auto queued = names_in(dir.store() + "/Outbox/new");
  REQUIRE(queued.size() == 1);
  CHECK(mode_of(dir.store() + "/Outbox/new/" + queued[0]) == 0600u);
  CHECK(mode_of(dir.store() + "/Outbox/envelopes/" + queued[0]) == 0600u);
  CHECK(names_in(dir.store() + "/Outbox/tmp").empty());

  // Opening an existing store changes nothing and finds the message.
  store.reset();
  auto again = open_store(dir.store());
  CHECK(again->count(Folder::Outbox) == 1u);
  CHECK(again->recovery().temporary_files_removed == 0u);
}

TEST_CASE("maildir: add, read, list, count and move") {
  TempDir dir;
  auto store = open_store(dir.store());
  Message first_message = make_message("first");
  MessageId first = 0, second = 0, inbound = 0;
  REQUIRE(store->add(Folder::Outbox, first_message, first) == S_OK);
  REQUIRE(store->add(Folder::Outbox, make_message("second"), second) == S_OK);
  REQUIRE(store->add(Folder::Inbox, make_message("inbound"), inbound) == S_OK);
  CHECK(first != second);
  CHECK(store->list(Folder::Outbox) == std::vector<MessageId>{first, second});
  CHECK(store->list(Folder::Inbox) == std::vector<MessageId>{inbound});
  CHECK(store->count(Folder::SentItems) == 0u);

  auto read = store->read(first);
  REQUIRE(read);
  CHECK(read->content == first_message.content);
  CHECK(read->envelope.sender == first_message.envelope.sender);
  CHECK(read->envelope.recipients == first_message.envelope.recipients);

  REQUIRE(store->move(first, Folder::Outbox, Folder::SentItems) == S_OK);
  CHECK(store->list(Folder::Outbox) == std::vector<MessageId>{second});
  CHECK(store->list(Folder::SentItems) == std::vector<MessageId>{first});
  CHECK(store->move(first, Folder::Outbox, Folder::SentItems) == MAPI_E_NOT_FOUND);
  CHECK(store->count(Folder::SentItems) == 1u);
  // The id stays with the message, and so does its envelope.
  auto sent = store->read(first);
  REQUIRE(sent);
  CHECK(sent->content == first_message.content);
  CHECK(sent->envelope.recipients == first_message.envelope.recipients);
  CHECK(names_in(dir.store() + "/Sent/envelopes").size() == 1u);
  CHECK(names_in(dir.store() + "/Outbox/envelopes").size() == 1u);

  CHECK_FALSE(store->read(999999));
  CHECK(last_error_code() == MAPI_E_NOT_FOUND);
  CHECK(store->move(999999, Folder::Outbox, Folder::SentItems) == MAPI_E_NOT_FOUND);
}

TEST_CASE("maildir: list is in arrival order, in this opener and the next") {
  TempDir dir;
  std::vector<std::string> subjects;
  {
    auto store = open_store(dir.store());
    std::vector<MessageId> ids;
    for (int i = 0; i < 40; ++i) {
      MessageId id = 0;
      subjects.push_back("message " + std::to_string(i));
      REQUIRE(store->add(Folder::Inbox, make_message(subjects.back()), id) == S_OK);
      ids.push_back(id);
    }
    CHECK(store->list(Folder::Inbox) == ids);
  }
  auto reopened = open_store(dir.store());
  std::vector<std::string> seen;
  for (MessageId id : reopened->list(Folder::Inbox)) seen.push_back(subject_of(*reopened, id));
  CHECK(seen == subjects);
}

TEST_CASE("maildir: the Outbox and its envelopes survive a reopen") {
  TempDir dir;
  // An envelope the header fields do not give (a Bcc), with awkward bytes.
  Message queued = make_message("queued", "odd sender%@example.org",
                                {"b@example.org", "hidden@example.org", "line\nbreak@x"});
  Message sent = make_message("sent", "a@example.org", {"c@example.org"});
  {
    auto store = open_store(dir.store());
    MessageId id = 0, other = 0;
    REQUIRE(store->add(Folder::Outbox, queued, id) == S_OK);
    REQUIRE(store->add(Folder::Outbox, sent, other) == S_OK);
    REQUIRE(store->move(other, Folder::Outbox, Folder::SentItems) == S_OK);
  }
  auto store = open_store(dir.store());
  auto outbox = store->list(Folder::Outbox);
  REQUIRE(outbox.size() == 1u);
  auto read = store->read(outbox[0]);
  REQUIRE(read);
  CHECK(read->content == queued.content);
  CHECK(read->envelope.sender == queued.envelope.sender);
  CHECK(read->envelope.recipients == queued.envelope.recipients);
  auto sent_ids = store->list(Folder::SentItems);
  REQUIRE(sent_ids.size() == 1u);
  auto read_sent = store->read(sent_ids[0]);
  REQUIRE(read_sent);
  CHECK(read_sent->envelope.recipients == sent.envelope.recipients);
  CHECK(store->recovery().envelopes_removed == 0u);
  CHECK(store->recovery().envelopes_derived == 0u);
}

TEST_CASE("maildir: recovery at open repairs what a crash left") {
  TempDir dir;
  const std::string root = dir.store();
  Message interrupted = make_message("interrupted", "a@example.org", {"bcc-only@example.org"});
  std::string interrupted_name;
  {
    auto store = open_store(root);
    MessageId id = 0;
    REQUIRE(store->add(Folder::Outbox, make_message("kept"), id) == S_OK);
    REQUIRE(store->add(Folder::Outbox, interrupted, id) == S_OK);
    REQUIRE(store->add(Folder::Inbox, make_message("inbound"), id) == S_OK);
  }
  // A move to Sent cut short after its rename: the envelope stayed behind.
  auto outbox_names = names_in(root + "/Outbox/new");
  REQUIRE(outbox_names.size() == 2u);
  for (const auto& name : outbox_names) {
    if (read_text(root + "/Outbox/new/" + name).find("interrupted") != std::string::npos) {
      interrupted_name = name;
    }
  }
  REQUIRE(!interrupted_name.empty());
  REQUIRE(::rename((root + "/Outbox/new/" + interrupted_name).c_str(),
                   (root + "/Sent/new/" + interrupted_name).c_str()) == 0);
  // Half-written files of this store in tmp/: a message and an envelope.
  const std::string half = maildir::unique_name();
  write_file(root + "/Outbox/tmp/" + half, "From: a@example.org\r\nSubj");
  write_file(root + "/Outbox/tmp/" + half + ".envelope", "uvmapi-envelope 1\nfrom a@exa");
  // Another program's tmp files: a fresh one may be a delivery in progress.
  write_file(root + "/Inbox/tmp/foreign-fresh", "partial");
  write_file(root + "/Inbox/tmp/foreign-stale", "partial");
  age(root + "/Inbox/tmp/foreign-stale", 40 * 3600);
  // An envelope whose message never arrived.
  write_file(root + "/Outbox/envelopes/" + maildir::unique_name(),
             "uvmapi-envelope 1\nfrom x\nend\n");
  // A queued message without an envelope (put there by hand).
  const std::string by_hand = maildir::unique_name();
  write_file(root + "/Outbox/new/" + by_hand,
             "From: \"Hand, Written\" <hand@example.org>\r\nTo: one@example.org,\r\n"
             " Two <two@example.org>\r\nCc: friends: three@example.org;\r\n"
             "Subject: by hand\r\n\r\nbody\r\n");

  auto store = open_store(root);
  const auto& recovery = store->recovery();
  CHECK_FALSE(recovery.skipped);
  CHECK(recovery.temporary_files_removed == 3u);
  CHECK(names_in(root + "/Outbox/tmp").empty());
  CHECK(names_in(root + "/Inbox/tmp") == std::vector<std::string>{"foreign-fresh"});
  CHECK(recovery.envelopes_removed == 1u);
  CHECK(recovery.envelopes_rejoined == 1u);
  CHECK(recovery.envelopes_derived == 1u);

  // The interrupted move is complete, with its own envelope.
  CHECK(names_in(root + "/Sent/envelopes") == std::vector<std::string>{interrupted_name});
  auto sent = store->list(Folder::SentItems);
  REQUIRE(sent.size() == 1u);
  auto read_sent = store->read(sent[0]);
  REQUIRE(read_sent);
  CHECK(read_sent->envelope.recipients == interrupted.envelope.recipients);

  // The hand-written message is still queued, its envelope from its headers.
  CHECK(store->count(Folder::Outbox) == 2u);
  auto outbox = store->list(Folder::Outbox);
  CHECK(names_in(root + "/Outbox/envelopes").size() == 2u);
  bool found = false;
  for (MessageId id : outbox) {
    auto message = store->read(id);
    REQUIRE(message);
    if (message->content.find("by hand") == std::string::npos) continue;
    found = true;
    CHECK(message->envelope.sender == "hand@example.org");
    CHECK(message->envelope.recipients ==
          std::vector<std::string>{"one@example.org", "two@example.org", "three@example.org"});
  }
  CHECK(found);
  CHECK(store->count(Folder::Inbox) == 1u);
}

TEST_CASE("maildir: recovery waits until no other opener has the store open") {
  TempDir dir;
  auto first = open_store(dir.store());
  const std::string stray = dir.store() + "/Inbox/tmp/" + maildir::unique_name();
  write_file(stray, "could be a delivery in progress");
  {
    auto second = open_store(dir.store());
    CHECK(second->recovery().skipped);
    CHECK(fs::exists(stray));
  }
  first.reset();
  auto alone = open_store(dir.store());
  CHECK_FALSE(alone->recovery().skipped);
  CHECK_FALSE(fs::exists(stray));
}

TEST_CASE("maildir: two instances on one root see each other and count as other openers") {
  TempDir dir;
  auto a = open_store(dir.store());
  CHECK_FALSE(a->opened_elsewhere());
  auto b = open_store(dir.store());
  CHECK(a->opened_elsewhere());
  CHECK(b->opened_elsewhere());
  // Asking twice does not lose the lock.
  CHECK(a->opened_elsewhere());
  CHECK(b->opened_elsewhere());

  MessageId id = 0;
  REQUIRE(a->add(Folder::Outbox, make_message("from a"), id) == S_OK);
  REQUIRE(b->count(Folder::Outbox) == 1u);
  MessageId seen_by_b = b->list(Folder::Outbox).at(0);
  CHECK(subject_of(*b, seen_by_b) == "from a");
  REQUIRE(b->move(seen_by_b, Folder::Outbox, Folder::SentItems) == S_OK);
  CHECK(a->count(Folder::Outbox) == 0u);
  CHECK(a->count(Folder::SentItems) == 1u);
  CHECK(subject_of(*a, a->list(Folder::SentItems).at(0)) == "from a");

  b.reset();
  CHECK_FALSE(a->opened_elsewhere());
  auto c = open_store(dir.store());
  CHECK(a->opened_elsewhere());
  CHECK(c->opened_elsewhere());
}

TEST_CASE("maildir: a folder listed long after its last change still notices a new one") {
  TempDir dir;
  auto a = open_store(dir.store());
  auto b = open_store(dir.store());
  for (const char* folder : kFolderDirs) {
    for (const char* sub : {"new", "cur"}) age(dir.store() + "/" + folder + "/" + sub, 3600);
  }
  // These scans see old directories and trust them from now on.
  CHECK(a->count(Folder::Outbox) == 0u);
  CHECK(a->count(Folder::Outbox) == 0u);
  MessageId id = 0;
  REQUIRE(b->add(Folder::Outbox, make_message("late"), id) == S_OK);
  CHECK(a->count(Folder::Outbox) == 1u);
  CHECK(subject_of(*a, a->list(Folder::Outbox).at(0)) == "late");
}

TEST_CASE("maildir: moving a message another opener moved gives MAPI_E_NOT_FOUND") {
  TempDir dir;
  auto a = open_store(dir.store());
  auto b = open_store(dir.store());
  MessageId id = 0;
  REQUIRE(a->add(Folder::Outbox, make_message("contested"), id) == S_OK);
  MessageId b_id = b->list(Folder::Outbox).at(0);
  REQUIRE(a->move(id, Folder::Outbox, Folder::SentItems) == S_OK);
  // b still believes it is queued; the rename finds it gone.
  CHECK(b->move(b_id, Folder::Outbox, Folder::SentItems) == MAPI_E_NOT_FOUND);
  CHECK(last_error_message().find("another opener") != std::string::npos);
  CHECK(b->count(Folder::SentItems) == 1u);
  CHECK(b->count(Folder::Outbox) == 0u);
  CHECK_FALSE(b->read(b_id));
}

TEST_CASE("maildir: the spooler lock is exclusive across instances") {
  TempDir dir;
  auto a = open_store(dir.store());
  auto b = open_store(dir.store());
  bool acquired = false;
  REQUIRE(a->try_lock_spooler(acquired) == S_OK);
  CHECK(acquired);
  REQUIRE(b->try_lock_spooler(acquired) == S_OK);
  CHECK_FALSE(acquired);
  REQUIRE(a->try_lock_spooler(acquired) == S_OK);
  CHECK(acquired);  // Held already: still ours.
  a->unlock_spooler();
  REQUIRE(b->try_lock_spooler(acquired) == S_OK);
  CHECK(acquired);
  REQUIRE(a->try_lock_spooler(acquired) == S_OK);
  CHECK_FALSE(acquired);
  b.reset();  // Destroying the holder lets it go.
  REQUIRE(a->try_lock_spooler(acquired) == S_OK);
  CHECK(acquired);
}

TEST_CASE("maildir: another process's opener, messages and spooler lock are seen") {
  TempDir dir;
  auto parent = open_store(dir.store());
  int to_parent[2], to_child[2];
  REQUIRE(::pipe(to_parent) == 0);
  REQUIRE(::pipe(to_child) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: its own opener. No doctest here; the exit code tells.
    ::close(to_parent[0]);
    ::close(to_child[1]);
    int code = 0;
    {
      std::unique_ptr<MaildirStore> store;
      MessageId id = 0;
      bool acquired = false;
      if (MaildirStore::open(dir.store(), store) != S_OK)
        code = 2;
      else if (store->add(Folder::Outbox, make_message("from the child"), id) != S_OK)
        code = 3;
      else if (store->try_lock_spooler(acquired) != S_OK || !acquired)
        code = 4;
      char ready = code == 0 ? 'R' : 'E';
      if (::write(to_parent[1], &ready, 1) != 1) code = 5;
      char go = 0;
      if (::read(to_child[0], &go, 1) != 1) code = 6;
    }
    ::_exit(code);  // Not exit(): the parent's objects are not the child's to destroy.
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char ready = 0;
  REQUIRE(::read(to_parent[0], &ready, 1) == 1);
  CHECK(ready == 'R');

  CHECK(parent->opened_elsewhere());
  REQUIRE(parent->count(Folder::Outbox) == 1u);
  CHECK(subject_of(*parent, parent->list(Folder::Outbox).at(0)) == "from the child");
  bool acquired = true;
  REQUIRE(parent->try_lock_spooler(acquired) == S_OK);
  CHECK_FALSE(acquired);

  char go = 'G';
  REQUIRE(::write(to_child[1], &go, 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  ::close(to_parent[0]);
  ::close(to_child[1]);

  CHECK_FALSE(parent->opened_elsewhere());
  REQUIRE(parent->try_lock_spooler(acquired) == S_OK);
  CHECK(acquired);
  CHECK(parent->count(Folder::Outbox) == 1u);
}

TEST_CASE("maildir: two processes asking at once never both find themselves alone") {
  // A refused flock() upgrade drops the shared lock for a moment; without the
  // guard, the other opener asking in that moment would see nobody.
  TempDir dir;
  auto parent = open_store(dir.store());
  constexpr int kRounds = 20000;
  int to_parent[2], to_child[2];
  REQUIRE(::pipe(to_parent) == 0);
  REQUIRE(::pipe(to_child) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    int alone = 0;
    {
      std::unique_ptr<MaildirStore> store;
      if (MaildirStore::open(dir.store(), store) != S_OK) ::_exit(100);
      char ready = 'R', go = 0;
      if (::write(to_parent[1], &ready, 1) != 1 || ::read(to_child[0], &go, 1) != 1) ::_exit(101);
      for (int i = 0; i < kRounds; ++i) alone += store->opened_elsewhere() ? 0 : 1;
      // Stay open until the parent has finished asking too.
      if (::write(to_parent[1], &ready, 1) != 1 || ::read(to_child[0], &go, 1) != 1) ::_exit(102);
    }
    ::_exit(alone > 99 ? 99 : alone);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char byte = 0;
  REQUIRE(::read(to_parent[0], &byte, 1) == 1);
  REQUIRE(::write(to_child[1], "G", 1) == 1);
  int alone = 0;
  for (int i = 0; i < kRounds; ++i) alone += parent->opened_elsewhere() ? 0 : 1;
  REQUIRE(::read(to_parent[0], &byte, 1) == 1);
  REQUIRE(::write(to_child[1], "G", 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  ::close(to_parent[0]);
  ::close(to_child[1]);
  CHECK(alone == 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(parent->opened_elsewhere());
}

TEST_CASE("maildir: names never come from the content") {
  TempDir dir;
  auto store = open_store(dir.store());
  Message hostile =
      make_message("../../etc/passwd", "../../../evil", {"/etc/passwd", "..%2f..%2fx"});
  hostile.content =
      "From: ../../evil\r\nMessage-ID: <../../x@y>\r\nSubject: ../../etc/passwd\r\n\r\n..\r\n";
  MessageId id = 0;
  REQUIRE(store->add(Folder::Inbox, hostile, id) == S_OK);
  REQUIRE(store->add(Folder::Outbox, hostile, id) == S_OK);
  REQUIRE(store->move(id, Folder::Outbox, Folder::SentItems) == S_OK);

  // Nothing beside the store; inside it, only the layout and generated names.
  CHECK(names_in(dir.path()) == std::vector<std::string>{"store"});
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.store())) {
    fs::path relative = fs::relative(entry.path(), dir.store());
    std::vector<std::string> parts(relative.begin(), relative.end());
    CAPTURE(relative.string());
    if (entry.is_directory()) {
      CHECK(parts.size() <= 2u);
      continue;
    }
    if (parts.size() == 1) {
      CHECK(parts[0].front() == '.');  // the lock files
      continue;
    }
    REQUIRE(parts.size() == 3u);
    CHECK(maildir::is_own_name(parts[2]));
    CHECK(parts[2].find("passwd") == std::string::npos);
    ++files;
  }
  CHECK(files == 4u);  // two messages and their envelopes
  auto read = store->read(id);
  REQUIRE(read);
  CHECK(read->envelope.sender == "../../../evil");
}

TEST_CASE("maildir: a message a mail reader moved to cur/ keeps its id") {
  TempDir dir;
  auto store = open_store(dir.store());
  MessageId id = 0;
  REQUIRE(store->add(Folder::Inbox, make_message("seen"), id) == S_OK);
  const std::string name = names_in(dir.store() + "/Inbox/new").at(0);
  // What mutt does when the message is read.
  REQUIRE(::rename((dir.store() + "/Inbox/new/" + name).c_str(),
                   (dir.store() + "/Inbox/cur/" + name + ":2,S").c_str()) == 0);
  CHECK(subject_of(*store, id) == "seen");
  CHECK(store->list(Folder::Inbox) == std::vector<MessageId>{id});
  REQUIRE(store->move(id, Folder::Inbox, Folder::SentItems) == S_OK);
  CHECK(fs::exists(dir.store() + "/Sent/cur/" + name + ":2,S"));
  CHECK(subject_of(*store, id) == "seen");
}

TEST_CASE("maildir: errors are clear and change nothing") {
  TempDir dir;
  std::unique_ptr<MaildirStore> store;

  SUBCASE("no root") {
    CHECK(MaildirStore::open("", store) == MAPI_E_INVALID_PARAMETER);
    CHECK_FALSE(store);
  }
  SUBCASE("a root that is a file") {
    write_file(dir.store(), "not a store");
    CHECK(MaildirStore::open(dir.store(), store) == MAPI_E_INVALID_PARAMETER);
    CHECK(last_error_message().find("not a directory") != std::string::npos);
    CHECK(read_text(dir.store()) == "not a store");
    CHECK_FALSE(store);
  }
  SUBCASE("a root whose parent is missing") {
    CHECK(MaildirStore::open(dir.path() + "/missing/store", store) == MAPI_E_NOT_FOUND);
    CHECK(last_error_message().find("parent directory does not exist") != std::string::npos);
    CHECK(names_in(dir.path()).empty());
  }
  SUBCASE("a folder that is a file") {
    REQUIRE(::mkdir(dir.store().c_str(), 0700) == 0);
    write_file(dir.store() + "/Outbox", "");
    CHECK(MaildirStore::open(dir.store(), store) == MAPI_E_INVALID_PARAMETER);
    CHECK(last_error_message().find("Outbox exists and is not a directory") != std::string::npos);
    CHECK(names_in(dir.store()) == std::vector<std::string>{"Outbox"});
  }
  SUBCASE("a root without permission") {
    if (::geteuid() == 0) {
      MESSAGE("skipped: permissions do not bind root");
      return;
    }
    REQUIRE(::mkdir(dir.store().c_str(), 0500) == 0);
    CHECK(MaildirStore::open(dir.store(), store) == MAPI_E_CALL_FAILED);
    CHECK(last_error_message().find("no permission") != std::string::npos);
    CHECK(names_in(dir.store()).empty());
  }
  SUBCASE("an unreadable message and a damaged envelope") {
    store = open_store(dir.store());
    MessageId id = 0, other = 0;
    REQUIRE(store->add(Folder::Inbox, make_message("x"), id) == S_OK);
    REQUIRE(store->add(Folder::Outbox, make_message("y"), other) == S_OK);
    const std::string name = names_in(dir.store() + "/Inbox/new").at(0);
    REQUIRE(::unlink((dir.store() + "/Inbox/new/" + name).c_str()) == 0);
    REQUIRE(::mkdir((dir.store() + "/Inbox/new/" + name).c_str(), 0700) == 0);
    CHECK_FALSE(store->read(id));
    CHECK(last_error_message().find("not a regular file") != std::string::npos);
    CHECK(store->count(Folder::Inbox) == 1u);

    const std::string queued = names_in(dir.store() + "/Outbox/new").at(0);
    write_file(dir.store() + "/Outbox/envelopes/" + queued, "garbage");
    CHECK_FALSE(store->read(other));
    CHECK(last_error_message().find("damaged") != std::string::npos);
    CHECK(store->count(Folder::Outbox) == 1u);
  }
  SUBCASE("an add that cannot commit leaves nothing behind") {
    store = open_store(dir.store());
    const std::string new_dir = dir.store() + "/Outbox/new";
    REQUIRE(::rmdir(new_dir.c_str()) == 0);
    write_file(new_dir, "");
    MessageId id = 0;
    CHECK(store->add(Folder::Outbox, make_message("lost?"), id) == MAPI_E_CALL_FAILED);
    CHECK(last_error_message().find("cannot add a message to Outbox") != std::string::npos);
    CHECK(names_in(dir.store() + "/Outbox/tmp").empty());
    CHECK(names_in(dir.store() + "/Outbox/envelopes").empty());
  }
  SUBCASE("an add whose message file cannot be made removes its envelope again") {
    store = open_store(dir.store());
    // The envelope is written first, into envelopes/; the message's file
    // then fails, and the envelope must not stay behind without it.
    const std::string tmp = dir.store() + "/Inbox/tmp";
    REQUIRE(::rmdir(tmp.c_str()) == 0);
    write_file(tmp, "");
    MessageId id = 0;
    CHECK(store->add(Folder::Inbox, make_message("half"), id) == MAPI_E_CALL_FAILED);
    CHECK(last_error_message().find("cannot create the file") != std::string::npos);
    CHECK(names_in(dir.store() + "/Inbox/envelopes").empty());
    CHECK(names_in(dir.store() + "/Inbox/new").empty());
    CHECK(store->count(Folder::Inbox) == 0u);
  }
}

TEST_CASE("maildir: envelope sidecars round trip and headers give an envelope") {
  Envelope envelope{"a b%c@example.org", {"x@example.org", "", "new\nline@example.org", "é@x"}};
  Envelope decoded;
  REQUIRE(decode_envelope(encode_envelope(envelope), decoded));
  CHECK(decoded.sender == envelope.sender);
  CHECK(decoded.recipients == envelope.recipients);
  CHECK_FALSE(decode_envelope("uvmapi-envelope 1\nfrom a\n", decoded));  // cut short
  CHECK_FALSE(decode_envelope("uvmapi-envelope 1\nfrom a%4\nend\n", decoded));
  CHECK_FALSE(decode_envelope("something else\nfrom a\nend\n", decoded));

  Envelope derived = envelope_from_headers(
      "Subject: s\r\nfrom: Someone (comment) <someone@example.org>\r\n"
      "TO: \"Last, First\" <first@example.org>, plain@example.org (Plain)\r\n"
      "Cc: undisclosed-recipients:;\r\nBcc: first@example.org,\r\n\tfolded@example.org\r\n"
      "\r\nTo: not-a-header@example.org\r\n");
  CHECK(derived.sender == "someone@example.org");
  CHECK(derived.recipients ==
        std::vector<std::string>{"first@example.org", "plain@example.org", "folded@example.org"});
}

}  // namespace uvmapi
