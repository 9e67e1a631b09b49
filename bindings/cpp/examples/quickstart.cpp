// A C++ host: a transport written in C++, a store, two messages, and the
// logoff of a busy store in ORDERLY mode, with its outcome printed and
// checked. Exits 0 only if everything happened as docs/semantics.md says.
#include <uvmapi/uvmapi.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <vector>

using namespace std::chrono_literals;

// A transport that holds every message it accepts until the peer
// acknowledges it (acknowledge_all), and honours cancellation.
class HoldingTransport final : public uvmapi::Transport {
 public:
  using Transport::Transport;

  // The runtime's loop thread offers a message: take it and hold it.
  uvmapi::SendAnswer submit(std::uint64_t send, const uvmapi::Message&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.push_back(send);
    return uvmapi::SendAnswer::Accepted;
  }

  // An ABORT cancels a send: give it back to the spooler, which requeues it.
  void notify(uvmapi::NotifyFlags flags, std::uint64_t activity) override {
    if (!has(flags, uvmapi::NotifyFlags::CancelMessage)) return;
    if (take(activity)) support().complete_send(activity, MAPI_E_USER_CANCEL);
  }

  // The peer has everything we hold. Called by the host's own thread, so the
  // lock is dropped before calling the library (see "The threading rule").
  void acknowledge_all() {
    std::vector<std::uint64_t> sends;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sends.swap(held_);
    }
    for (std::uint64_t send : sends) support().complete_send(send);
  }

 private:
  bool take(std::uint64_t send) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (*it == send) {
        held_.erase(it);
        return true;
      }
    }
    return false;
  }

  std::mutex mutex_;
  std::vector<std::uint64_t> held_;
};

int main() {
  try {
    std::shared_ptr<HoldingTransport> transport;
    uvmapi::Runtime runtime(uvmapi::Runtime::Options().drain_deadline(10s));
    runtime.add_transport_provider([&](const std::string&, uvmapi::TransportSupport support) {
      transport = std::make_shared<HoldingTransport>(std::move(support));
      return transport;
    });

    uvmapi::Store store = runtime.open_store("alice");
    uvmapi::Message message;
    message.sender = "alice@example.org";
    message.recipients = {"bob@example.org"};
    message.content = "Subject: hello\r\n\r\nHello, Bob.\r\n";
    store.submit(message);
    store.submit(message);
    std::cout << "activity:   " << to_string(store.activity()) << "\n";

    // ORDERLY returns at once and releases the store when the sends in
    // flight are done; done hears the final outcome on the loop thread.
    std::promise<uvmapi::Outcome> done;
    std::future<uvmapi::Outcome> finished = done.get_future();
    std::move(store).logoff_async(uvmapi::LogoffFlags::Orderly,
                                  [&](const uvmapi::Outcome& outcome) { done.set_value(outcome); });
    transport->acknowledge_all();
    if (finished.wait_for(10s) != std::future_status::ready) {
      std::cerr << "the logoff did not finish\n";
      return 1;
    }
    uvmapi::Outcome outcome = finished.get();
    std::cout << "at return:  " << to_string(outcome.at_return) << "\n"
              << "at final:   " << to_string(outcome.at_final) << "\n"
              << "released:   " << (outcome.released ? "yes" : "no") << "\n";

    // The messages outlive the logon: a new one finds them in Sent Items.
    uvmapi::Store reader = runtime.open_store("alice");
    std::uint32_t sent = reader.count(uvmapi::Folder::SentItems);
    std::cout << "sent items: " << sent << "\n";

    using uvmapi::LogoffFlags;
    if (outcome.at_return != (LogoffFlags::Complete | LogoffFlags::Outbound) ||
        outcome.at_final != LogoffFlags::Complete || !outcome.released || sent != 2) {
      std::cerr << "unexpected outcome\n";
      return 1;
    }
    return 0;
  } catch (const uvmapi::Error& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
}
