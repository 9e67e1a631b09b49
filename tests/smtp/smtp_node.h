// A runtime with the SMTP transport and in-memory stores, seen from a test:
// submit, log off, and look into the folders and the counters.
#ifndef UVMAPI_TESTS_SMTP_SMTP_NODE_H
#define UVMAPI_TESTS_SMTP_SMTP_NODE_H

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "logoff_ticket.h"
#include "memory_store.h"
#include "opener.h"
#include "runtime.h"
#include "smtp/smtp_transport.h"

namespace uvmapi::test {

using namespace std::chrono_literals;

// How long a test waits for something that must happen.
constexpr std::chrono::milliseconds kSmtpPatience = 20s;

// A config for a loopback server in plain text, with timeouts short enough
// for tests that provoke them and long enough never to fire otherwise.
inline SmtpConfig plain_config(std::uint16_t port) {
  SmtpConfig config;
  config.host = "127.0.0.1";
  config.port = port;
  config.security = SmtpSecurity::None;
  config.helo_name = "client.example.test";
  config.idle_timeout = 2s;
  config.retry_initial = 50ms;
  config.retry_max = 200ms;
  return config;
}

inline Message smtp_message(const std::string& subject,
                            std::vector<std::string> recipients = {"bob@example.test"},
                            const std::string& body = "") {
  Message message;
  message.envelope.sender = "alice@example.test";
  message.envelope.recipients = std::move(recipients);
  message.content = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: " + subject +
                    "\r\n\r\n" + (body.empty() ? "Hello " + subject + "\r\n" : body);
  return message;
}

inline LogoffReport finished(const std::shared_ptr<LogoffTicket>& ticket) {
  LogoffReport report;
  REQUIRE(ticket->wait_finished(kSmtpPatience, report) == S_OK);
  return report;
}

class SmtpNode {
 public:
  explicit SmtpNode(const SmtpConfig& config, RuntimeOptions options = {}) {
    if (options.drain_deadline == RuntimeOptions{}.drain_deadline) options.drain_deadline = 30s;
    REQUIRE(Runtime::create(std::move(options), runtime_) == S_OK);
    HRESULT result = S_OK;
    run([&] {
      result = SmtpTransportProvider::create(runtime_->loop(), config, provider_);
      if (result == S_OK) result = runtime_->add_transport_provider(provider_);
    });
    REQUIRE(result == S_OK);
  }
  ~SmtpNode() { runtime_->shutdown(); }

  void run(const std::function<void()>& fn) { REQUIRE(runtime_->invoke(fn) == S_OK); }

  std::shared_ptr<Opener> open(const std::string& store = "alice") {
    std::shared_ptr<Opener> opener;
    HRESULT result = S_OK;
    run([&] {
      result = runtime_->open_store(store, opener, [&, store](std::unique_ptr<MessageStore>& made) {
        auto memory = std::make_unique<MemoryStore>();
        stores_[store] = memory.get();
        made = std::move(memory);
        return S_OK;
      });
    });
    REQUIRE(result == S_OK);
    return opener;
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

  std::vector<Message> messages(Folder folder, const std::string& store = "alice") {
    std::vector<Message> found;
    run([&] {
      auto it = stores_.find(store);
      if (it == stores_.end()) return;
      for (MessageId id : it->second->list(folder)) {
        if (auto message = it->second->read(id)) found.push_back(*message);
      }
    });
    return found;
  }
  std::size_t count(Folder folder, const std::string& store = "alice") {
    return messages(folder, store).size();
  }

  SmtpStats stats(const std::string& store = "alice") {
    SmtpStats stats;
    run([&] { stats = provider_->stats(store); });
    return stats;
  }

  std::uint32_t activity(Opener& opener) {
    std::uint32_t bits = 0;
    run([&] { CHECK(opener.activity(bits) == S_OK); });
    return bits;
  }

  // Polls a condition on the loop thread until it holds or the patience ends.
  bool wait_until(const std::function<bool(SmtpNode&)>& condition,
                  std::chrono::milliseconds patience = kSmtpPatience) {
    auto deadline = std::chrono::steady_clock::now() + patience;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition(*this)) return true;
      std::unique_lock<std::mutex> lock(poll_mutex_);
      poll_.wait_for(lock, 5ms);  // A poll interval, not a wait for the condition.
    }
    return condition(*this);
  }

  Runtime& runtime() { return *runtime_; }

 private:
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<SmtpTransportProvider> provider_;
  std::map<std::string, MessageStore*> stores_;  // Owned by the runtime.
  std::mutex poll_mutex_;
  std::condition_variable poll_;
};

}  // namespace uvmapi::test

#endif
