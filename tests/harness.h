// What every core test needs: a runtime on its own loop thread with a
// scripted transport, calls onto the loop, and questions about where a
// message is now.
#ifndef UVMAPI_TESTS_HARNESS_H
#define UVMAPI_TESTS_HARNESS_H

#include <doctest/doctest.h>

#include <ftw.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "error.h"
#include "maildir_store.h"
#include "opener.h"
#include "runtime.h"
#include "scripted_transport.h"
#include "store_support.h"

namespace uvmapi::test {

using namespace std::chrono_literals;

// Long enough never to pass in a healthy run; the deadline tests set short ones.
constexpr std::chrono::milliseconds kNoDeadline = 60s;
// How long a test waits for something that must happen.
constexpr std::chrono::milliseconds kPatience = 10s;

inline Message make_message(const std::string& body) {
  Message message;
  message.envelope.sender = "alice@example.org";
  message.envelope.recipients = {"bob@example.org"};
  message.content = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: " + body +
                    "\r\n\r\n" + body + "\r\n";
  return message;
}

inline RuntimeOptions quick_options(std::chrono::milliseconds drain = kNoDeadline,
                                    std::chrono::milliseconds abort = kNoDeadline) {
  RuntimeOptions options;
  options.drain_deadline = drain;
  options.abort_deadline = abort;
  return options;
}

// Where the stores of a Harness keep their messages.
enum class Storage { Memory, Durable };

class Harness {
 public:
  explicit Harness(RuntimeOptions options = quick_options(), Storage storage = Storage::Memory)
      : provider_(std::make_shared<ScriptedTransportProvider>()) {
    if (storage == Storage::Durable) {
      char root[] = "/tmp/uvmapi-harness-XXXXXX";
      REQUIRE(mkdtemp(root) != nullptr);
      durable_root_ = root;
    }
    REQUIRE(Runtime::create(std::move(options), runtime_) == S_OK);
    REQUIRE(invoke([&] { return runtime_->add_transport_provider(provider_); }) == S_OK);
  }
  ~Harness() {
    runtime_->shutdown();
    runtime_.reset();  // Closes the durable stores before their files go.
    if (!durable_root_.empty()) {
      nftw(
          durable_root_.c_str(),
          [](const char* path, const struct stat*, int, struct FTW*) { return std::remove(path); },
          16, FTW_DEPTH | FTW_PHYS);
    }
  }

  Runtime& runtime() { return *runtime_; }

  // Runs fn on the loop thread and returns its result.
  template <typename Fn>
  auto invoke(Fn fn) -> decltype(fn()) {
    decltype(fn()) result{};
    REQUIRE(runtime_->invoke([&] { result = fn(); }) == S_OK);
    return result;
  }
  template <typename Fn>
  void run(Fn fn) {
    REQUIRE(runtime_->invoke(fn) == S_OK);
  }

  std::shared_ptr<Opener> open(const std::string& store = "store") {
    std::shared_ptr<Opener> opener;
    REQUIRE(invoke([&] { return runtime_->open_store(store, opener, storage_for(store)); }) ==
            S_OK);
    return opener;
  }

  // The storage a store of this harness gets on its first logon.
  Runtime::StorageFactory storage_for(const std::string& store) const {
    if (durable_root_.empty()) return nullptr;
    std::string root = durable_root_ + "/" + store;
    return [root](std::unique_ptr<MessageStore>& storage) {
      std::unique_ptr<MaildirStore> durable;
      HRESULT opened = MaildirStore::open(root, durable);
      storage = std::move(durable);
      return opened;
    };
  }

  // The scripted transport serving a store (its newest session).
  std::shared_ptr<ScriptedTransport> transport(const std::string& store = "store") {
    return invoke([&] { return provider_->session(store); });
  }

  MessageId submit(Opener& opener, const std::string& body) {
    MessageId id = 0;
    REQUIRE(invoke([&] { return opener.submit(make_message(body), id); }) == S_OK);
    return id;
  }

  std::shared_ptr<LogoffTicket> release(Opener& opener) {
    std::shared_ptr<LogoffTicket> ticket;
    run([&] { opener.release(&ticket); });
    return ticket;
  }

  // How many messages of a folder carry body, read through a fresh opener so
  // it works whatever state the tested opener is in.
  std::size_t count_in(Folder folder, const std::string& body, const std::string& store = "store") {
    // Runs on the loop thread, where a failing REQUIRE would throw through
    // libuv: CHECK only.
    return invoke([&] {
      std::size_t found = 0;
      std::shared_ptr<Opener> reader;
      CHECK(runtime_->open_store(store, reader, storage_for(store)) == S_OK);
      if (!reader) return found;
      std::vector<MessageId> ids;
      CHECK(reader->list(folder, ids) == S_OK);
      for (MessageId id : ids) {
        Message message;
        CHECK(reader->read(id, message) == S_OK);
        if (message.content == make_message(body).content) ++found;
      }
      reader->release();
      return found;
    });
  }

 private:
  std::shared_ptr<ScriptedTransportProvider> provider_;
  std::unique_ptr<Runtime> runtime_;
  std::string durable_root_;  // Empty for in-memory stores.
};

inline LogoffReport wait_returned(const std::shared_ptr<LogoffTicket>& ticket) {
  REQUIRE((ticket != nullptr));
  LogoffReport report;
  REQUIRE(ticket->wait_returned(kPatience, report) == S_OK);
  return report;
}

inline LogoffReport wait_finished(const std::shared_ptr<LogoffTicket>& ticket) {
  REQUIRE((ticket != nullptr));
  LogoffReport report;
  REQUIRE(ticket->wait_finished(kPatience, report) == S_OK);
  return report;
}

}  // namespace uvmapi::test

// Readable flag sets in failure messages.
namespace doctest {
template <>
struct StringMaker<uvmapi::Opener::State> {
  static String convert(uvmapi::Opener::State state) {
    switch (state) {
      case uvmapi::Opener::State::Open:
        return "Open";
      case uvmapi::Opener::State::LoggingOff:
        return "LoggingOff";
      case uvmapi::Opener::State::Kept:
        return "Kept";
      case uvmapi::Opener::State::Released:
        return "Released";
    }
    return "?";
  }
};
}  // namespace doctest

#endif
