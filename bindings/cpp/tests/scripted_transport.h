// A transport written against the C++ wrapper, scripted by the tests.
//
// The runtime calls it on its loop thread; the tests drive it from their own
// thread. Both touch the same state, so it sits under a mutex, and no
// TransportSupport call is ever made while that mutex is held: a call from
// the test thread waits for the loop thread, which may at that moment be
// waiting for the mutex inside one of our virtual functions.
//
// What it can do:
//   - hold each accepted send until finish_sends() ends it, or complete each
//     at once (auto-complete, the peer accepts everything);
//   - refuse sends while it holds `capacity` of them (SendAnswer::Busy);
//   - put a message at its source, begin delivering it and hold the delivery,
//     then commit it;
//   - honour NotifyFlags::CancelMessage, answer flush(), or hang (ignore both);
//   - record what it saw: notifications, flushes, its logoff and what the peer
//     accepted.
#ifndef UVMAPI_CPP_TESTS_SCRIPTED_TRANSPORT_H
#define UVMAPI_CPP_TESTS_SCRIPTED_TRANSPORT_H

#include <doctest/doctest.h>
#include <uvmapi/uvmapi.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// Flag sets in failure messages, by their MAPI names.
namespace doctest {
template <>
struct StringMaker<uvmapi::LogoffFlags> {
  static String convert(uvmapi::LogoffFlags flags) { return uvmapi::to_string(flags).c_str(); }
};
}  // namespace doctest

namespace uvmapi_test {

using namespace std::chrono_literals;

// How long a test waits for something that must happen.
constexpr std::chrono::milliseconds kPatience = 10s;
// Deadlines that never pass in a healthy run; the deadline tests set short ones.
constexpr std::chrono::milliseconds kNoDeadline = 60s;

// An RFC 5322 message whose subject and body name it.
inline uvmapi::Message make_message(const std::string& body) {
  uvmapi::Message message;
  message.sender = "alice@example.org";
  message.recipients = {"bob@example.org"};
  message.content = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: " + body +
                    "\r\n\r\n" + body + "\r\n";
  return message;
}

// Runs a TransportSupport call from the test thread, where the session may
// have been logged off in the meantime: the library then answers
// MAPI_E_INVALID_OBJECT and changes nothing, which is not a failure here.
template <typename Fn>
void unless_logged_off(Fn&& fn) {
  try {
    fn();
  } catch (const uvmapi::Error& error) {
    if (error.code() != MAPI_E_INVALID_OBJECT) throw;
  }
}

class ScriptedTransport final : public uvmapi::Transport {
 public:
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

  ScriptedTransport(uvmapi::TransportSupport support, std::size_t capacity)
      : Transport(std::move(support)), capacity_(capacity) {}

  // --- The runtime's side (loop thread) -------------------------------------

  uvmapi::SendAnswer submit(std::uint64_t send, const uvmapi::Message& message) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++submits_;
    if (held_.size() >= capacity_) return uvmapi::SendAnswer::Busy;
    if (!auto_complete_) {
      held_.push_back({send, message.content, 0});
      changed_.notify_all();
      return uvmapi::SendAnswer::Accepted;
    }
    delivered_.push_back(message.content);
    changed_.notify_all();
    lock.unlock();
    // Allowed before returning: the runtime keeps the send from the moment it offers it.
    support().complete_send(send, UVMAPI_S_OK);
    return uvmapi::SendAnswer::Accepted;
  }

  void flush(uvmapi::FlushFlags flags) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      flushes_.push_back(flags);
      changed_.notify_all();
      if (hung_) return;
    }
    if (has(flags, uvmapi::FlushFlags::Upload)) {
      // A forced upload sends everything: what it held and what it refused.
      set_auto_complete(true);
      finish_sends(UVMAPI_S_OK);
      set_capacity(kUnlimited);
    }
    if (has(flags, uvmapi::FlushFlags::Download)) fetch_source();
    support().flush_complete();
  }

  void notify(uvmapi::NotifyFlags flags, std::uint64_t activity) override {
    enum { Nothing, CancelSend, CancelReceive } action = Nothing;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      notes_.push_back(flags);
      changed_.notify_all();
      if (!has(flags, uvmapi::NotifyFlags::CancelMessage) || hung_) return;
      auto send = std::find_if(held_.begin(), held_.end(),
                               [&](const Item& item) { return item.id == activity; });
      if (send != held_.end()) {
        held_.erase(send);
        action = CancelSend;
      }
      for (Item& item : source_) {
        if (action == Nothing && item.receive == activity) {
          item.receive = 0;  // The message stays at the source.
          action = CancelReceive;
        }
      }
    }
    if (action == CancelSend) support().complete_send(activity, MAPI_E_USER_CANCEL);
    if (action == CancelReceive) support().abort_inbound(activity);
  }

  void logoff(uvmapi::TransportLogoffFlags flags) override {
    std::lock_guard<std::mutex> lock(mutex_);
    logged_off_ = true;
    logoff_flags_ = flags;
    ++logoff_calls_;
    // Whatever was in flight is abandoned: sends stay in the store's Outbox,
    // receives at the source.
    held_.clear();
    for (Item& item : source_) item.receive = 0;
    changed_.notify_all();
  }

  // --- The script (test thread) ---------------------------------------------

  // Raising the capacity tells the spooler the transport is ready again.
  void set_capacity(std::size_t capacity) {
    bool more;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      more = capacity > capacity_ && !logged_off_;
      capacity_ = capacity;
    }
    if (more) unless_logged_off([&] { support().notify_ready(); });
  }

  void set_auto_complete(bool on) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto_complete_ = on;
  }

  // Ignores cancels and flushes: never answers them.
  void set_hung(bool hung) {
    std::lock_guard<std::mutex> lock(mutex_);
    hung_ = hung;
  }

  // Ends every held send with result; returns how many.
  std::size_t finish_sends(uvmapi_hresult result) {
    std::vector<Item> sends;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sends.swap(held_);
      // The peer has them before the spooler hears of it.
      if (result == UVMAPI_S_OK) {
        for (const Item& item : sends) delivered_.push_back(item.content);
      }
      changed_.notify_all();
    }
    for (const Item& item : sends) {
      unless_logged_off([&] { support().complete_send(item.id, result); });
    }
    return sends.size();
  }

  // Puts a message at the source; with begin, starts delivering it and holds
  // the delivery in flight.
  void arrive(const uvmapi::Message& message, bool begin) {
    std::uint64_t key;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      key = next_key_++;
      source_.push_back({key, message.content, 0});
      changed_.notify_all();
    }
    if (!begin) return;
    std::uint64_t receive = support().begin_inbound();
    std::lock_guard<std::mutex> lock(mutex_);
    for (Item& item : source_) {
      if (item.id == key) item.receive = receive;
    }
  }

  // Commits every receive in flight; each leaves the source only once the
  // store has it.
  std::size_t commit_receives() {
    std::vector<Item> receives;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const Item& item : source_) {
        if (item.receive != 0) receives.push_back(item);
      }
    }
    std::size_t committed = 0;
    for (const Item& item : receives) {
      uvmapi::Message message;
      message.sender = "remote@example.org";
      message.recipients = {"alice@example.org"};
      message.content = item.content;
      try {
        support().commit_inbound(item.receive, message);
      } catch (const uvmapi::Error& error) {
        if (error.code() != MAPI_E_INVALID_OBJECT) throw;
        continue;  // Logged off meanwhile: the message stays at the source.
      }
      std::lock_guard<std::mutex> lock(mutex_);
      source_.erase(std::find_if(source_.begin(), source_.end(),
                                 [&](const Item& at) { return at.id == item.id; }));
      changed_.notify_all();
      ++committed;
    }
    return committed;
  }

  // Everything a test does to let the transport finish what it still may:
  // the peer accepts from now on, held sends complete, receives commit, and
  // the queue may flow again.
  void finish_everything() {
    set_auto_complete(true);
    if (logged_off()) return;
    finish_sends(UVMAPI_S_OK);
    commit_receives();
    set_capacity(kUnlimited);
  }

  // --- What it saw (any thread) ---------------------------------------------

  std::size_t sends_in_flight() const {
    return locked([&] { return held_.size(); });
  }
  std::size_t receives_in_flight() const {
    return locked([&] {
      return static_cast<std::size_t>(std::count_if(
          source_.begin(), source_.end(), [](const Item& item) { return item.receive != 0; }));
    });
  }
  std::size_t at_source(const uvmapi::Message& message) const {
    return locked([&] {
      return static_cast<std::size_t>(
          std::count_if(source_.begin(), source_.end(),
                        [&](const Item& item) { return item.content == message.content; }));
    });
  }
  std::size_t delivered(const uvmapi::Message& message) const {
    return locked([&] {
      return static_cast<std::size_t>(
          std::count(delivered_.begin(), delivered_.end(), message.content));
    });
  }
  std::size_t delivered_count() const {
    return locked([&] { return delivered_.size(); });
  }
  bool logged_off() const {
    return locked([&] { return logged_off_; });
  }
  uvmapi::TransportLogoffFlags logoff_flags() const {
    return locked([&] { return logoff_flags_; });
  }
  unsigned logoff_calls() const {
    return locked([&] { return logoff_calls_; });
  }
  unsigned submits() const {
    return locked([&] { return submits_; });
  }
  std::vector<uvmapi::NotifyFlags> notes() const {
    return locked([&] { return notes_; });
  }
  std::vector<uvmapi::FlushFlags> flushes() const {
    return locked([&] { return flushes_; });
  }
  // How many notifications held every bit of mask.
  std::size_t notes_with(uvmapi::NotifyFlags mask) const {
    return locked([&] {
      return static_cast<std::size_t>(std::count_if(
          notes_.begin(), notes_.end(), [&](uvmapi::NotifyFlags n) { return has(n, mask); }));
    });
  }

  // Waits until the transport holds n sends, or timeout passes.
  bool wait_sends_in_flight(std::size_t n, std::chrono::milliseconds timeout = kPatience) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return held_.size() == n; });
  }

 private:
  struct Item {
    std::uint64_t id;  // A send: the runtime's send id. At the source: our key.
    std::string content;
    std::uint64_t receive;  // At the source: the receive in flight, or 0.
  };

  // Downloads what waits at the source: begins every delivery it can, then
  // commits them. A refused BeginInbound leaves the rest at the source.
  void fetch_source() {
    std::vector<std::uint64_t> keys;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const Item& item : source_) {
        if (item.receive == 0) keys.push_back(item.id);
      }
    }
    for (std::uint64_t key : keys) {
      std::uint64_t receive = 0;
      try {
        receive = support().begin_inbound();
      } catch (const uvmapi::Error&) {
        break;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      for (Item& item : source_) {
        if (item.id == key) item.receive = receive;
      }
    }
    commit_receives();
  }

  template <typename Fn>
  auto locked(Fn fn) const -> decltype(fn()) {
    std::lock_guard<std::mutex> lock(mutex_);
    return fn();
  }

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::size_t capacity_;
  bool auto_complete_ = false;
  bool hung_ = false;
  std::vector<Item> held_;
  std::vector<Item> source_;
  std::uint64_t next_key_ = 1;
  std::vector<std::string> delivered_;
  std::vector<uvmapi::NotifyFlags> notes_;
  std::vector<uvmapi::FlushFlags> flushes_;
  unsigned submits_ = 0;
  bool logged_off_ = false;
  uvmapi::TransportLogoffFlags logoff_flags_ = uvmapi::TransportLogoffFlags::None;
  unsigned logoff_calls_ = 0;
};

// Makes a ScriptedTransport for every store logon and remembers them, so a
// test can script the session that serves a store.
class ScriptedProvider final : public uvmapi::TransportProvider {
 public:
  std::shared_ptr<uvmapi::Transport> logon(const std::string& store_name,
                                           uvmapi::TransportSupport support) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto session = std::make_shared<ScriptedTransport>(std::move(support), default_capacity_);
    sessions_.push_back({store_name, session});
    return session;
  }

  // The newest session of a store, or nullptr.
  std::shared_ptr<ScriptedTransport> session(const std::string& store_name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = sessions_.rbegin(); it != sessions_.rend(); ++it) {
      if (it->store == store_name) return it->session;
    }
    return nullptr;
  }
  std::size_t session_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
  }
  // For sessions logged on from now on.
  void set_default_capacity(std::size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    default_capacity_ = capacity;
  }

 private:
  struct Entry {
    std::string store;
    std::shared_ptr<ScriptedTransport> session;
  };
  mutable std::mutex mutex_;
  std::size_t default_capacity_ = ScriptedTransport::kUnlimited;
  std::vector<Entry> sessions_;
};

// The outcomes the runtime's on_logoff callback reported, in order.
class OutcomeLog {
 public:
  void add(const std::string& store, const uvmapi::Outcome& outcome) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back({store, outcome});
    changed_.notify_all();
  }
  std::size_t count(const std::string& store) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_locked(store);
  }
  // Waits until the log holds more than index outcomes of store, then
  // returns that one; false if none came within timeout.
  bool wait(const std::string& store, std::size_t index, uvmapi::Outcome& out,
            std::chrono::milliseconds timeout = kPatience) const {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return count_locked(store) > index; })) {
      return false;
    }
    for (const Entry& entry : entries_) {
      if (entry.store != store) continue;
      if (index-- == 0) {
        out = entry.outcome;
        return true;
      }
    }
    return false;
  }

 private:
  struct Entry {
    std::string store;
    uvmapi::Outcome outcome;
  };
  std::size_t count_locked(const std::string& store) const {
    return static_cast<std::size_t>(std::count_if(
        entries_.begin(), entries_.end(), [&](const Entry& e) { return e.store == store; }));
  }
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<Entry> entries_;
};

// A runtime with the scripted transport registered and its logoffs logged.
// Members are destroyed in reverse order: the runtime goes first, while the
// log its shutdown reports to still exists.
struct Fixture {
  explicit Fixture(std::chrono::milliseconds drain = kNoDeadline,
                   std::chrono::milliseconds abort = kNoDeadline)
      : runtime(uvmapi::Runtime::Options().drain_deadline(drain).abort_deadline(abort).on_logoff(
            [this](const std::string& store, const uvmapi::Outcome& outcome) {
              log.add(store, outcome);
            })) {
    runtime.add_transport_provider(provider);
  }

  std::shared_ptr<ScriptedProvider> provider = std::make_shared<ScriptedProvider>();
  OutcomeLog log;
  uvmapi::Runtime runtime;
};

// How many messages of a folder have the content of message.
inline std::size_t count_in(const uvmapi::Store& store, uvmapi::Folder folder,
                            const uvmapi::Message& message) {
  std::size_t found = 0;
  for (std::uint64_t id : store.list(folder)) found += store.read(id).content == message.content;
  return found;
}

}  // namespace uvmapi_test

#endif  // UVMAPI_CPP_TESTS_SCRIPTED_TRANSPORT_H
