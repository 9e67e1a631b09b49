// The runtime's threads: the one queue into the loop, invoke, the embedded
// loop thread and a loop the host owns and drives.
#include <atomic>
#include <thread>

#include "harness.h"

namespace uvmapi::test {

TEST_CASE("work posted from many threads all runs, in order per thread") {
  Harness harness;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<int> last(kThreads, -1);  // Loop thread only.
  std::atomic<int> out_of_order{0};
  std::atomic<int> ran{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        REQUIRE(harness.runtime().post([&, t, i] {
          if (last[static_cast<std::size_t>(t)] != i - 1) ++out_of_order;
          last[static_cast<std::size_t>(t)] = i;
          ++ran;
        }) == S_OK);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // invoke queues behind everything posted before it.
  harness.run([] {});
  CHECK(ran.load() == kThreads * kPerThread);
  CHECK(out_of_order.load() == 0);
}

TEST_CASE("invoke runs on the loop thread and carries the last error back") {
  Harness harness;
  CHECK_FALSE(harness.runtime().on_loop_thread());
  CHECK(harness.invoke([&] { return harness.runtime().on_loop_thread(); }));
  std::shared_ptr<Opener> opener;
  REQUIRE(harness.runtime().invoke([&] { harness.runtime().open_store("", opener); }) == S_OK);
  CHECK(last_error_code() == MAPI_E_INVALID_PARAMETER);
  CHECK(last_error_message() == "a store needs a name");
  // invoke on the loop thread runs inline instead of waiting for itself.
  CHECK(harness.invoke([&] {
    bool inline_ran = false;
    harness.runtime().invoke([&] { inline_ran = true; });
    return inline_ran;
  }));
}

TEST_CASE("shutdown from the loop thread is refused instead of deadlocking") {
  Harness harness;
  HRESULT result = harness.invoke([&] { return harness.runtime().shutdown(); });
  CHECK(result == MAPI_E_CALL_FAILED);
  CHECK(last_error_message().find("loop thread") != std::string::npos);
}

TEST_CASE("bad runtime options are refused") {
  std::unique_ptr<Runtime> runtime;
  RuntimeOptions options;
  options.drain_deadline = std::chrono::milliseconds(-1);
  CHECK(Runtime::create(options, runtime) == MAPI_E_INVALID_PARAMETER);
  CHECK((runtime == nullptr));
}

TEST_CASE("a runtime on a loop the host owns and drives") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    RuntimeOptions options = quick_options();
    options.host_loop = &loop;
    std::unique_ptr<Runtime> runtime;
    REQUIRE(Runtime::create(options, runtime) == S_OK);
    CHECK(runtime->on_loop_thread());
    auto provider = std::make_shared<ScriptedTransportProvider>();
    REQUIRE(runtime->add_transport_provider(provider) == S_OK);

    std::shared_ptr<Opener> opener;
    REQUIRE(runtime->open_store("hosted", opener) == S_OK);
    MessageId id = 0;
    REQUIRE(opener->submit(make_message("hosted send"), id) == S_OK);

    // Another thread finishes the send through the queue while the host
    // drives the loop.
    std::atomic<bool> posted{false};
    std::thread helper([&] {
      REQUIRE(runtime->post([&] { provider->session("hosted")->finish_sends(); }) == S_OK);
      posted = true;
    });

    std::uint32_t flags = LOGOFF_NO_WAIT;
    REQUIRE(opener->store_logoff(flags) == S_OK);
    std::shared_ptr<LogoffTicket> ticket;
    opener->release(&ticket);
    REQUIRE((ticket != nullptr));
    auto give_up = std::chrono::steady_clock::now() + kPatience;
    while (!ticket->snapshot().finished && std::chrono::steady_clock::now() < give_up) {
      uv_run(&loop, UV_RUN_ONCE);
    }
    helper.join();
    CHECK(posted.load());
    auto report = ticket->snapshot();
    REQUIRE(report.finished);
    CHECK(report.released);
    CHECK(report.at_final == LOGOFF_COMPLETE);
    CHECK(provider->session("hosted")->delivered().size() == 1u);

    // Blocking shutdown is refused off the loop's thread, then done on it.
    std::thread stranger([&] { CHECK(runtime->shutdown() == MAPI_E_CALL_FAILED); });
    stranger.join();
    CHECK(runtime->shutdown() == S_OK);
  }
  // Every handle the runtime made is closed: the loop can be freed.
  CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace uvmapi::test

namespace uvmapi::test {

TEST_CASE("two threads shutting down at once both return") {
  Harness harness;
  auto opener = harness.open();
  std::atomic<int> ok{0};
  std::thread first([&] { ok += harness.runtime().shutdown() == S_OK; });
  std::thread second([&] { ok += harness.runtime().shutdown() == S_OK; });
  first.join();
  second.join();
  CHECK(ok.load() == 2);
  CHECK(opener->state() == Opener::State::Released);
}

}  // namespace uvmapi::test
