// The C++ wrapper itself: the five modes with and without activity, a shared
// store, the release path, transports written in C++, and misuse.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <thread>

#include "scripted_transport.h"

using namespace uvmapi_test;
using uvmapi::FlushFlags;
using uvmapi::Folder;
using uvmapi::LogoffFlags;
using uvmapi::NotifyFlags;
using uvmapi::TransportLogoffFlags;

namespace {

constexpr LogoffFlags C = LogoffFlags::Complete;
constexpr LogoffFlags I = LogoffFlags::Inbound;
constexpr LogoffFlags O = LogoffFlags::Outbound;
constexpr LogoffFlags Q = LogoffFlags::OutboundQueue;

// Runs fn and returns the HRESULT of the uvmapi::Error it throws (S_OK if none).
template <typename Fn>
uvmapi_hresult error_of(Fn&& fn) {
  try {
    fn();
  } catch (const uvmapi::Error& error) {
    CHECK(std::string(error.what()).find(error.name()) != std::string::npos);
    return error.code();
  }
  return UVMAPI_S_OK;
}

// The state every mode test starts from: I, O and Q, one message each.
struct BusyStore {
  explicit BusyStore(Fixture& fixture, const std::string& name = "store")
      : store(fixture.runtime.open_store(name)), transport(fixture.provider->session(name)) {
    REQUIRE(transport != nullptr);
    store.submit(make_message("o"));
    REQUIRE(transport->wait_sends_in_flight(1));
    transport->set_capacity(1);
    store.submit(make_message("q"));
    transport->arrive(make_message("i"), true);
    REQUIRE(store.activity() == (I | O | Q));
  }
  uvmapi::Store store;
  std::shared_ptr<ScriptedTransport> transport;
};

// logoff_async's outcome, waited for from the test thread.
struct AsyncOutcome {
  std::promise<uvmapi::Outcome> promise;
  std::future<uvmapi::Outcome> future = promise.get_future();
  std::function<void(const uvmapi::Outcome&)> done() {
    return [this](const uvmapi::Outcome& outcome) { promise.set_value(outcome); };
  }
  uvmapi::Outcome get() {
    REQUIRE(future.wait_for(kPatience) == std::future_status::ready);
    return future.get();
  }
};

}  // namespace

// --- Flags --------------------------------------------------------------------

TEST_CASE("flags: bit operators stay within their enum and keep MAPI's values") {
  static_assert(uvmapi::bits(LogoffFlags::NoWait) == 0x1u);
  static_assert(uvmapi::bits(C | Q) == 0x00090000u);
  static_assert(((C | Q | O) & O) == O);
  static_assert(uvmapi::has(C | Q, Q) && !uvmapi::has(C, Q));
  static_assert(!uvmapi::any(LogoffFlags::None) && uvmapi::any(Q));
  static_assert(uvmapi::bits(NotifyFlags::CancelMessage) == 0x80000000u);
  static_assert(uvmapi::bits(TransportLogoffFlags::Hurry) == 0x80000000u);
  static_assert(uvmapi::bits(FlushFlags::Upload | FlushFlags::Download | FlushFlags::Force) ==
                0xEu);
  static_assert(!std::is_convertible_v<NotifyFlags, LogoffFlags>);
  LogoffFlags flags = C;
  flags |= Q;
  flags &= ~C;
  CHECK(flags == Q);
  flags ^= Q;
  CHECK(flags == LogoffFlags::None);
  CHECK(uvmapi::to_string(C | Q) == "LOGOFF_COMPLETE|LOGOFF_OUTBOUND_QUEUE");
  CHECK(uvmapi::to_string(LogoffFlags::None) == "0");
  CHECK(uvmapi::to_string(static_cast<LogoffFlags>(0x1001u)) == "LOGOFF_NO_WAIT|0x00001000");
}

// --- The five modes -----------------------------------------------------------

TEST_CASE("modes: every mode releases an idle store at once") {
  const std::pair<LogoffFlags, TransportLogoffFlags> modes[] = {
      {LogoffFlags::NoWait, TransportLogoffFlags::Normal},
      {LogoffFlags::Orderly, TransportLogoffFlags::Normal},
      {LogoffFlags::Purge, TransportLogoffFlags::Normal},
      {LogoffFlags::Abort, TransportLogoffFlags::Hurry},
      {LogoffFlags::Quiet, TransportLogoffFlags::Normal},
  };
  for (const auto& entry : modes) {
    // Plain variables: lambdas (CAPTURE's among them) cannot capture
    // structured bindings before C++20.
    const LogoffFlags mode = entry.first;
    const TransportLogoffFlags transport_flags = entry.second;
    CAPTURE(mode);
    Fixture fixture;
    uvmapi::Store store = fixture.runtime.open_store("idle");
    auto transport = fixture.provider->session("idle");
    uvmapi::Outcome outcome = std::move(store).logoff(mode, kPatience);
    CHECK(outcome.finished);
    CHECK(outcome.released);
    CHECK(outcome.requested == mode);
    CHECK(outcome.status == UVMAPI_S_OK);
    CHECK(outcome.at_return == C);
    CHECK(outcome.at_final == C);
    CHECK(transport->logged_off());
    CHECK(transport->logoff_flags() == transport_flags);
    // PURGE flushes even an idle store both ways; no other mode flushes.
    CHECK(transport->flushes().size() == (mode == LogoffFlags::Purge ? 1u : 0u));
  }
}

TEST_CASE("modes: NO_WAIT stops reception, sends everything, then releases") {
  Fixture fixture;
  BusyStore busy(fixture);
  AsyncOutcome done;
  std::move(busy.store).logoff_async(LogoffFlags::NoWait, done.done());
  CHECK(busy.transport->notes_with(NotifyFlags::EndInbound) == 1);
  CHECK(busy.transport->notes_with(NotifyFlags::EndOutbound) == 0);
  // Reception has ended: a new delivery is refused and stays at the source.
  CHECK(error_of([&] { busy.transport->arrive(make_message("late"), true); }) == MAPI_E_BUSY);
  CHECK(done.future.wait_for(0s) == std::future_status::timeout);
  busy.transport->finish_everything();
  uvmapi::Outcome outcome = done.get();
  CHECK(outcome.at_return == (C | I | O | Q));
  CHECK(outcome.at_final == C);
  CHECK(outcome.released);
  CHECK(busy.transport->delivered_count() == 2);
  CHECK(busy.transport->at_source(make_message("late")) == 1);
  CHECK(busy.transport->logoff_flags() == TransportLogoffFlags::Normal);
}

TEST_CASE("modes: ORDERLY finishes what is in flight and leaves the queue for the next logon") {
  Fixture fixture;
  BusyStore busy(fixture);
  AsyncOutcome done;
  std::move(busy.store).logoff_async(LogoffFlags::Orderly, done.done());
  CHECK(busy.transport->notes_with(NotifyFlags::EndInbound | NotifyFlags::EndOutbound) == 1);
  busy.transport->finish_everything();
  uvmapi::Outcome outcome = done.get();
  CHECK(outcome.at_return == (C | I | O | Q));
  CHECK(outcome.at_final == (C | Q));
  CHECK(busy.transport->delivered_count() == 1);

  // The next logon's session sends what ORDERLY left.
  uvmapi::Store again = fixture.runtime.open_store("store");
  auto next = fixture.provider->session("store");
  REQUIRE(next != busy.transport);
  next->finish_everything();
  CHECK(next->delivered(make_message("q")) == 1);
  CHECK(count_in(again, Folder::SentItems, make_message("q")) == 1);
  CHECK(again.count(Folder::Outbox) == 0);
}

TEST_CASE("modes: PURGE flushes both ways before it returns") {
  Fixture fixture;
  BusyStore busy(fixture);
  busy.transport->arrive(make_message("waiting"), false);  // Mail waiting at the source.
  uvmapi::Outcome outcome = std::move(busy.store).logoff(LogoffFlags::Purge, kPatience);
  CHECK(outcome.finished);
  CHECK(outcome.at_return == C);
  CHECK(outcome.at_final == C);
  REQUIRE(busy.transport->flushes().size() == 1);
  CHECK(busy.transport->flushes()[0] ==
        (FlushFlags::Upload | FlushFlags::Download | FlushFlags::Force));
  CHECK(busy.transport->notes_with(NotifyFlags::BeginInboundFlush |
                                   NotifyFlags::BeginOutboundFlush) == 1);
  CHECK(busy.transport->notes_with(NotifyFlags::EndInboundFlush | NotifyFlags::EndOutboundFlush) ==
        1);
  CHECK(busy.transport->delivered_count() == 2);
  CHECK(busy.transport->at_source(make_message("waiting")) == 0);
  CHECK(busy.transport->at_source(make_message("i")) == 0);
}

TEST_CASE("modes: ABORT cancels what is in flight and loses nothing") {
  Fixture fixture;
  BusyStore busy(fixture);
  uvmapi::Outcome outcome = std::move(busy.store).logoff(LogoffFlags::Abort, kPatience);
  CHECK(outcome.finished);
  CHECK(outcome.released);
  CHECK(outcome.at_return == (C | Q));
  CHECK(outcome.at_final == (C | Q));
  CHECK(busy.transport->notes_with(NotifyFlags::CancelMessage) == 2);  // The send and the receive.
  CHECK(busy.transport->logoff_flags() == TransportLogoffFlags::Hurry);
  CHECK(busy.transport->delivered_count() == 0);
  CHECK(busy.transport->at_source(make_message("i")) == 1);
  fixture.provider->set_default_capacity(0);
  uvmapi::Store reader = fixture.runtime.open_store("store");
  CHECK(reader.count(Folder::Outbox) == 2);
  CHECK(reader.count(Folder::Inbox) == 0);
}

TEST_CASE("modes: QUIET does nothing to a busy store, which the runtime keeps") {
  Fixture fixture;
  BusyStore busy(fixture);
  const std::size_t notes = busy.transport->notes().size();
  uvmapi::Outcome outcome = std::move(busy.store).logoff(LogoffFlags::Quiet, kPatience);
  CHECK(outcome.finished);
  CHECK_FALSE(outcome.released);
  CHECK(outcome.status == UVMAPI_S_OK);
  CHECK(outcome.at_return == (I | O | Q));
  CHECK(outcome.at_final == (I | O | Q));
  CHECK(busy.transport->notes().size() == notes);  // The transport was told nothing.
  CHECK_FALSE(busy.transport->logged_off());
  // The kept opener still owns its transports: the work goes on.
  busy.transport->finish_everything();
  CHECK(busy.transport->delivered_count() == 2);
  // Shutdown ends it, as an abort.
  fixture.runtime.shutdown();
  uvmapi::Outcome ended;
  REQUIRE(fixture.log.wait("store", 1, ended));
  CHECK(ended.requested == LogoffFlags::Abort);
  CHECK(ended.released);
  CHECK(busy.transport->logged_off());
}

// --- The release path and the shared store -----------------------------------

TEST_CASE("release: the last reference logs off with the saved flag, or ABORT") {
  Fixture fixture;
  {
    uvmapi::Store store = fixture.runtime.open_store("saved");
    CHECK(store.store_logoff(LogoffFlags::Orderly) == LogoffFlags::None);
    CHECK(store.store_logoff(LogoffFlags::NoWait) == LogoffFlags::None);  // Overwrites.
  }  // The destructor's release.
  {
    uvmapi::Store store = fixture.runtime.open_store("default");
    store.release();
    CHECK_FALSE(store);
  }
  uvmapi::Outcome saved, fallback;
  REQUIRE(fixture.log.wait("saved", 0, saved));
  REQUIRE(fixture.log.wait("default", 0, fallback));
  CHECK(saved.requested == LogoffFlags::NoWait);
  CHECK(fallback.requested == LogoffFlags::Abort);
  CHECK(saved.released);
  CHECK(fallback.released);
}

TEST_CASE("release: a second reference keeps the opener, and moving keeps one reference") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  uvmapi::Store extra = store.add_ref();
  CHECK(extra.get() == store.get());
  uvmapi::Store moved = std::move(extra);
  CHECK_FALSE(extra);
  moved = uvmapi::Store();  // Releases one of the two references.
  CHECK(fixture.log.count("store") == 0);
  fixture.provider->session("store")->set_auto_complete(true);
  store.submit(make_message("still open"));
  uvmapi::Outcome outcome = std::move(store).logoff(LogoffFlags::NoWait, kPatience);
  CHECK(outcome.released);
}

TEST_CASE("shared store: every mode releases only this opener, and the other goes on") {
  for (LogoffFlags mode : {LogoffFlags::NoWait, LogoffFlags::Orderly, LogoffFlags::Purge,
                           LogoffFlags::Abort, LogoffFlags::Quiet}) {
    CAPTURE(mode);
    Fixture fixture;
    BusyStore busy(fixture);
    uvmapi::Store other = fixture.runtime.open_store("store");
    uvmapi::Outcome outcome = std::move(busy.store).logoff(mode, kPatience);
    CHECK(outcome.finished);
    CHECK(outcome.released);
    CHECK(outcome.at_return == C);
    CHECK(outcome.at_final == C);
    CHECK_FALSE(busy.transport->logged_off());
    CHECK(busy.transport->flushes().empty());
    CHECK(busy.transport->notes_with(NotifyFlags::CancelMessage) == 0);
    // The other opener works, and the transport serves it.
    other.submit(make_message("more"));
    busy.transport->finish_everything();
    CHECK(count_in(other, Folder::SentItems, make_message("o")) == 1);
    CHECK(count_in(other, Folder::SentItems, make_message("q")) == 1);
    CHECK(count_in(other, Folder::SentItems, make_message("more")) == 1);
    CHECK(count_in(other, Folder::Inbox, make_message("i")) == 1);
    uvmapi::Outcome last = std::move(other).logoff(LogoffFlags::NoWait, kPatience);
    CHECK(last.released);
    CHECK(busy.transport->logged_off());
  }
}

// --- Deadlines ----------------------------------------------------------------

TEST_CASE(
    "deadlines: a drain past its deadline escalates, and an abort that cannot stop gives up") {
  Fixture fixture(100ms, 100ms);
  uvmapi::Store store = fixture.runtime.open_store("store");
  auto transport = fixture.provider->session("store");
  store.submit(make_message("stuck"));
  transport->set_hung(true);
  uvmapi::Outcome outcome = std::move(store).logoff(LogoffFlags::NoWait, kPatience);
  CHECK(outcome.finished);
  CHECK(outcome.escalated);
  CHECK(outcome.status == MAPI_E_UNABLE_TO_ABORT);
  CHECK_FALSE(outcome.released);
  CHECK(outcome.at_final == O);
}

// --- Transports written in C++ ------------------------------------------------

namespace {

// A transport whose every function throws: nothing may cross into C.
class ThrowingTransport final : public uvmapi::Transport {
 public:
  using Transport::Transport;
  uvmapi::SendAnswer submit(std::uint64_t, const uvmapi::Message&) override {
    ++submits;
    if (submits == 1) throw uvmapi::Error(MAPI_E_NOT_FOUND, "the peer is unknown");
    throw std::runtime_error("not a uvmapi error");
  }
  void flush(FlushFlags) override { throw std::runtime_error("flush"); }
  void notify(NotifyFlags, std::uint64_t) override { throw 42; }
  void logoff(TransportLogoffFlags) override { throw std::bad_alloc(); }
  void unhandled_exception(const char* slot) noexcept override {
    std::lock_guard<std::mutex> lock(mutex);
    slots.push_back(slot);
    try {
      std::rethrow_exception(std::current_exception());
    } catch (...) {
      ++rethrown;
    }
  }
  std::atomic<int> submits{0};
  std::mutex mutex;
  std::vector<std::string> slots;
  int rethrown = 0;
};

}  // namespace

TEST_CASE("transport: exceptions become HRESULTs or unhandled_exception, never cross into C") {
  std::shared_ptr<ThrowingTransport> transport;
  uvmapi::Runtime runtime;
  runtime.add_transport_provider(
      [&](const std::string&,
          uvmapi::TransportSupport support) -> std::shared_ptr<uvmapi::Transport> {
        transport = std::make_shared<ThrowingTransport>(std::move(support));
        return transport;
      });
  uvmapi::Store store = runtime.open_store("store");
  REQUIRE(transport != nullptr);
  // A send that fails stays in the Outbox, deferred until the next flush.
  store.submit(make_message("one"));
  store.submit(make_message("two"));
  CHECK(transport->submits == 2);
  CHECK(store.count(Folder::Outbox) == 2);
  CHECK(store.activity() == Q);
  uvmapi::Outcome outcome = std::move(store).logoff(LogoffFlags::Abort, kPatience);
  CHECK(outcome.released);
  CHECK(outcome.at_final == (C | Q));
  // The notification at logon and the logoff threw; both were caught.
  std::lock_guard<std::mutex> lock(transport->mutex);
  CHECK(transport->slots == std::vector<std::string>{"TransportNotify", "TransportLogoff"});
  CHECK(transport->rethrown == 2);
}

TEST_CASE("transport: flush and notify exceptions reach unhandled_exception") {
  std::shared_ptr<ThrowingTransport> transport;
  uvmapi::Runtime runtime(uvmapi::Runtime::Options().drain_deadline(100ms).abort_deadline(100ms));
  runtime.add_transport_provider(
      [&](const std::string&,
          uvmapi::TransportSupport support) -> std::shared_ptr<uvmapi::Transport> {
        transport = std::make_shared<ThrowingTransport>(std::move(support));
        return transport;
      });
  uvmapi::Store store = runtime.open_store("store");
  // PURGE: the flush throws and never answers, so the drain deadline ends it.
  uvmapi::Outcome outcome = std::move(store).logoff(LogoffFlags::Purge, kPatience);
  CHECK(outcome.finished);
  CHECK(outcome.escalated);
  CHECK(outcome.released);
  std::lock_guard<std::mutex> lock(transport->mutex);
  // Logon and PURGE notify, then the flush, then the logoff.
  CHECK(transport->slots == std::vector<std::string>{"TransportNotify", "TransportNotify",
                                                     "FlushQueues", "TransportLogoff"});
}

TEST_CASE("transport: a provider that throws or returns nothing fails the open") {
  uvmapi::Runtime runtime;
  int calls = 0;
  runtime.add_transport_provider(
      [&](const std::string& name, uvmapi::TransportSupport) -> std::shared_ptr<uvmapi::Transport> {
        ++calls;
        if (name == "throws") throw uvmapi::Error(MAPI_E_NO_SUPPORT, "no such account");
        return nullptr;
      });
  CHECK(error_of([&] { runtime.open_store("throws"); }) == MAPI_E_NO_SUPPORT);
  CHECK(error_of([&] { runtime.open_store("empty"); }) == MAPI_E_CALL_FAILED);
  CHECK(calls == 2);
  CHECK(error_of([&] { runtime.add_transport_provider(nullptr); }) == MAPI_E_INVALID_PARAMETER);
}

TEST_CASE("transport: answers after the session's logoff fail cleanly") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  auto transport = fixture.provider->session("store");
  store.submit(make_message("held"));
  std::move(store).logoff(LogoffFlags::Abort, kPatience);
  REQUIRE(transport->logged_off());
  CHECK(error_of([&] { transport->support().notify_ready(); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { transport->support().begin_inbound(); }) == MAPI_E_INVALID_OBJECT);
  // Copies share the handle; an empty one refuses every call.
  uvmapi::TransportSupport copy = transport->support();
  CHECK(copy.get() == transport->support().get());
  uvmapi::TransportSupport moved = std::move(copy);
  CHECK_FALSE(copy);
  CHECK(error_of([&] { copy.flush_complete(); }) == MAPI_E_INVALID_OBJECT);
}

// --- Misuse -------------------------------------------------------------------

TEST_CASE("misuse: bad flags are refused and change nothing") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  const std::pair<LogoffFlags, uvmapi_hresult> bad[] = {
      {LogoffFlags::None, MAPI_E_INVALID_PARAMETER},
      {LogoffFlags::NoWait | LogoffFlags::Orderly, MAPI_E_INVALID_PARAMETER},
      {LogoffFlags::Complete, MAPI_E_UNKNOWN_FLAGS},
      {static_cast<LogoffFlags>(0x1000u), MAPI_E_UNKNOWN_FLAGS},
      // Unknown bits are checked first, even with two valid flags beside them.
      {LogoffFlags::NoWait | LogoffFlags::Orderly | static_cast<LogoffFlags>(0x2000u),
       MAPI_E_UNKNOWN_FLAGS},
  };
  for (const auto& entry : bad) {
    const LogoffFlags flags = entry.first;
    const uvmapi_hresult expected = entry.second;
    CAPTURE(flags);
    CHECK(error_of([&] { store.store_logoff(flags); }) == expected);
    CHECK(error_of([&] { std::move(store).logoff(flags, kPatience); }) == expected);
    REQUIRE(store);  // Still held: the refused logoff consumed nothing.
  }
  CHECK(fixture.log.count("store") == 0);
  // Nothing was saved: the release path uses ABORT.
  store.release();
  uvmapi::Outcome outcome;
  REQUIRE(fixture.log.wait("store", 0, outcome));
  CHECK(outcome.requested == LogoffFlags::Abort);
}

TEST_CASE("misuse: the one-call logoff without the last reference is MAPI_E_BUSY") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  uvmapi::Store extra = store.add_ref();
  CHECK(error_of([&] { std::move(store).logoff(LogoffFlags::NoWait, kPatience); }) == MAPI_E_BUSY);
  CHECK(error_of([&] { std::move(store).logoff_async(LogoffFlags::NoWait, nullptr); }) ==
        MAPI_E_BUSY);
  REQUIRE(store);
  fixture.provider->session("store")->set_auto_complete(true);
  store.submit(make_message("still usable"));
  extra.release();
  CHECK(std::move(store).logoff(LogoffFlags::NoWait, kPatience).released);
}

TEST_CASE("misuse: moved-from, released and logged-off objects throw MAPI_E_INVALID_OBJECT") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  uvmapi::Store moved_to = std::move(store);
  auto all_refused = [](uvmapi::Store& empty) {
    CHECK(error_of([&] { empty.submit(make_message("x")); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.activity(); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.store_logoff(LogoffFlags::NoWait); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.count(Folder::Inbox); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.list(Folder::Inbox); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.read(1); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.add_ref(); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { empty.release(); }) == MAPI_E_INVALID_OBJECT);
    CHECK(error_of([&] { std::move(empty).logoff(LogoffFlags::NoWait, kPatience); }) ==
          MAPI_E_INVALID_OBJECT);
  };
  all_refused(store);  // Moved from.
  uvmapi::Store released = fixture.runtime.open_store("other");
  released.release();
  all_refused(released);
  std::move(moved_to).logoff(LogoffFlags::NoWait, kPatience);
  all_refused(moved_to);  // Consumed by its logoff.

  uvmapi::Runtime runtime;
  uvmapi::Runtime moved_runtime = std::move(runtime);
  CHECK_FALSE(runtime);
  CHECK(error_of([&] { runtime.open_store("x"); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { runtime.shutdown(); }) == MAPI_E_INVALID_OBJECT);
  CHECK(static_cast<bool>(moved_runtime.open_store("x")));
}

TEST_CASE("misuse: a handle the library released answers MAPI_E_INVALID_OBJECT") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  // A second wrapper around the same single reference: the first release
  // ends the opener, and the library then refuses the stale handle, except
  // Release, which succeeds with a count of zero (store.h).
  uvmapi::Store alias(store.get());
  store.release();
  CHECK(error_of([&] { alias.submit(make_message("x")); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { alias.activity(); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { alias.add_ref(); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { std::move(alias).logoff(LogoffFlags::NoWait, kPatience); }) ==
        MAPI_E_INVALID_OBJECT);
  REQUIRE(alias);  // The refused logoff kept the (stale) handle.
  CHECK(error_of([&] { alias.release(); }) == UVMAPI_S_OK);
  CHECK_FALSE(alias);
  // The opener logged off once, whatever came after.
  CHECK(fixture.log.count("store") == 1);
}

TEST_CASE("misuse: after shutdown stores are invalid and the runtime opens nothing") {
  Fixture fixture;
  uvmapi::Store store = fixture.runtime.open_store("store");
  uvmapi::Store kept = fixture.runtime.open_store("kept");
  fixture.runtime.shutdown();
  fixture.runtime.shutdown();  // A second call is harmless.
  CHECK(error_of([&] { store.submit(make_message("x")); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { store.activity(); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { store.store_logoff(LogoffFlags::NoWait); }) == MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { std::move(store).logoff(LogoffFlags::NoWait, kPatience); }) ==
        MAPI_E_INVALID_OBJECT);
  CHECK(error_of([&] { fixture.runtime.open_store("new"); }) == MAPI_E_CALL_FAILED);
  CHECK(error_of([&] { fixture.runtime.add_transport_provider(fixture.provider); }) ==
        MAPI_E_CALL_FAILED);
  // Release still counts down after shutdown.
  kept.release();
  // Shutdown logged both openers off, as their last release would have.
  uvmapi::Outcome outcome;
  REQUIRE(fixture.log.wait("store", 0, outcome));
  CHECK(outcome.requested == LogoffFlags::Abort);
  CHECK(outcome.released);
}

TEST_CASE(
    "misuse: options refuse a deadline of 0 ms, which the library would read as the default") {
  CHECK(error_of([] { uvmapi::Runtime::Options().drain_deadline(0ms); }) ==
        MAPI_E_INVALID_PARAMETER);
  CHECK(error_of([] { uvmapi::Runtime::Options().abort_deadline(-5ms); }) ==
        MAPI_E_INVALID_PARAMETER);
}

TEST_CASE("misuse: an exception thrown by on_logoff or a logoff_async callback is swallowed") {
  uvmapi::Runtime runtime(uvmapi::Runtime::Options().on_logoff(
      [](const std::string&, const uvmapi::Outcome&) { throw std::runtime_error("callback"); }));
  uvmapi::Store store = runtime.open_store("store");
  std::atomic<bool> called{false};
  std::move(store).logoff_async(LogoffFlags::NoWait, [&](const uvmapi::Outcome& outcome) {
    called = outcome.released;
    throw std::runtime_error("done");
  });
  CHECK(called);  // An idle store finishes before logoff_async returns.
  uvmapi::Store second = runtime.open_store("second");
  CHECK(std::move(second).logoff(LogoffFlags::NoWait, kPatience).released);
}

TEST_CASE("messages: submit, list and read round-trip the envelope and the bytes") {
  Fixture fixture;
  fixture.provider->set_default_capacity(0);  // Nothing leaves the Outbox.
  uvmapi::Store store = fixture.runtime.open_store("store");
  uvmapi::Message message = make_message("round trip");
  message.recipients.push_back("carol@example.org");
  message.content += std::string("\0binary\0", 8);
  std::uint64_t id = store.submit(message);
  CHECK(store.list(Folder::Outbox) == std::vector<std::uint64_t>{id});
  CHECK(store.read(id) == message);
  CHECK(error_of([&] { store.read(id + 1000); }) == MAPI_E_NOT_FOUND);
  uvmapi::Message no_recipient = make_message("nobody");
  no_recipient.recipients.clear();
  CHECK(error_of([&] { store.submit(no_recipient); }) == MAPI_E_INVALID_PARAMETER);
}

TEST_CASE("durable store: what ORDERLY leaves in the Outbox survives the runtime") {
  // A fresh directory of our own under the system's temporary directory.
  std::string pattern =
      (std::filesystem::temp_directory_path() / "uvmapi-cpp-durable-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  const std::filesystem::path root = std::filesystem::path(pattern) / "store";
  {
    Fixture fixture;
    fixture.provider->set_default_capacity(0);  // The transport takes nothing.
    uvmapi::Store store = fixture.runtime.open_durable_store(root.string());
    store.submit(make_message("kept"));
    uvmapi::Outcome outcome = std::move(store).logoff(LogoffFlags::Orderly, kPatience);
    CHECK(outcome.released);
    CHECK(outcome.at_final == (C | Q));
  }
  {
    // Another runtime, as after a restart: the message is still queued, and
    // the next logon's transport sends it.
    Fixture fixture;
    uvmapi::Store store = fixture.runtime.open_durable_store(root.string(), "again");
    CHECK(count_in(store, Folder::Outbox, make_message("kept")) == 1);
    auto transport = fixture.provider->session("again");
    REQUIRE(transport != nullptr);
    transport->finish_everything();
    CHECK(count_in(store, Folder::SentItems, make_message("kept")) == 1);
    CHECK(std::move(store).logoff(LogoffFlags::NoWait, kPatience).released);
  }
  std::filesystem::remove_all(pattern);
}
