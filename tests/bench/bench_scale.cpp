// Case "scale": 1, 100, 1,000 and 10,000 in-memory stores open on one
// runtime, one queued message each (no transport, so it stays queued), then
// an ORDERLY logoff of all of them. Timed from the host thread's first
// request to the moment it observes the last final outcome; the host posts
// one request per store, as a host that logs its stores off one by one
// would. The time should grow linearly with the number of stores.
//
// Also the memory an idle in-memory store costs: the heap in use (glibc's
// mallinfo2, all arenas, chunk overhead included; macOS's mstats) before and
// after 10,000 idle stores are opened, divided by 10,000. Measured through
// the C++ core and through the C ABI, whose handles add their own share.
//
// Each size is run several times, each time on a fresh runtime, and the
// median is reported: at least `repetitions` times, and more for the small
// sizes (up to 30,000 stores in all), whose fraction of a millisecond a
// single preemption by another process would otherwise decide.
//
// Usage: uvmapi_bench_scale [repetitions [stores...]]
// (by default 3 repetitions of 1, 100, 1000 and 10000 stores)
#if defined(__APPLE__)
#include <malloc/malloc.h>
#else
#include <malloc.h>
#endif

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "bench_util.h"
#include "opener.h"
#include "runtime.h"
#include "uvmapi/uvmapi.h"

using namespace uvmapi;
using namespace uvmapi::bench;

namespace {

constexpr std::size_t kSizes[] = {1, 100, 1000, 10000};
constexpr std::size_t kMemoryStores = 10000;
constexpr auto kPatience = std::chrono::seconds(60);

// Bytes of heap in use by the whole process; 0 where it cannot be told.
std::size_t heap_in_use() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#elif defined(__APPLE__)
  return mstats().bytes_used;
#else
  return 0;
#endif
}

const char* heap_method() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  return "glibc mallinfo2 (uordblks + hblkhd, all arenas)";
#elif defined(__APPLE__)
  return "macOS mstats (bytes_used)";
#else
  return "unavailable";
#endif
}

std::string store_name(std::size_t i) {
  return "store-" + std::to_string(i);
}

Message queued_message(std::size_t i) {
  Message message;
  message.envelope = {"host@bench.invalid", {"peer@bench.invalid"}};
  message.content =
      "From: host@bench.invalid\r\nTo: peer@bench.invalid\r\nSubject: " + std::to_string(i) +
      "\r\n\r\nqueued\r\n";
  return message;
}

// Counts final outcomes on the loop thread and wakes the host at the last one.
struct Finish {
  std::mutex mutex;
  std::condition_variable all_done;
  std::size_t expected = 0;
  std::size_t finished = 0;
  bool unexpected = false;

  void on_logoff(const LogoffReport& report) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!report.released || report.at_final != (LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE)) {
      unexpected = true;
    }
    if (++finished == expected) all_done.notify_all();
  }
};

struct Timing {
  double open_ms = 0;
  double logoff_ms = 0;
};

Timing run_once(std::size_t stores) {
  Finish finish;
  finish.expected = stores;
  RuntimeOptions options;
  options.on_logoff = [&finish](const std::string&, const LogoffReport& report) {
    finish.on_logoff(report);
  };
  std::unique_ptr<Runtime> runtime;
  check(Runtime::create(std::move(options), runtime), "Runtime::create");

  std::vector<std::shared_ptr<Opener>> openers(stores);
  Timing timing;
  auto start = Clock::now();
  HRESULT result = S_OK;
  runtime->invoke([&] {
    for (std::size_t i = 0; i < stores && result == S_OK; ++i) {
      result = runtime->open_store(store_name(i), openers[i]);
      MessageId id = 0;
      if (result == S_OK) result = openers[i]->submit(queued_message(i), id);
    }
  });
  check(result, "opening the stores and queueing their messages");
  timing.open_ms = micros_since(start) / 1000;

  start = Clock::now();
  for (const auto& opener : openers) {
    Opener* raw = opener.get();
    check(runtime->post([raw] {
      std::uint32_t flags = LOGOFF_ORDERLY;
      if (raw->store_logoff(flags) == S_OK) raw->release();
    }),
          "Runtime::post");
  }
  {
    std::unique_lock<std::mutex> lock(finish.mutex);
    if (!finish.all_done.wait_for(lock, kPatience, [&] { return finish.finished == stores; })) {
      die("the logoffs did not all finish");
    }
  }
  timing.logoff_ms = micros_since(start) / 1000;
  if (finish.unexpected) die("a logoff did not end released with its message queued");
  runtime->shutdown();
  return timing;
}

double idle_store_bytes_core() {
  std::unique_ptr<Runtime> runtime;
  check(Runtime::create(RuntimeOptions{}, runtime), "Runtime::create");
  std::vector<std::shared_ptr<Opener>> openers(kMemoryStores);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kMemoryStores; ++i) names.push_back(store_name(i));
  HRESULT result = S_OK;
  // The first store's one-time costs (the loop's first batch) stay outside.
  runtime->invoke([&] { result = runtime->open_store("warm-up", openers[0]); });
  check(result, "Runtime::open_store");
  const std::size_t before = heap_in_use();
  runtime->invoke([&] {
    for (std::size_t i = 0; i < kMemoryStores && result == S_OK; ++i) {
      result = runtime->open_store(names[i], openers[i]);
    }
  });
  const std::size_t after = heap_in_use();
  check(result, "Runtime::open_store");
  runtime->shutdown();
  return (static_cast<double>(after) - static_cast<double>(before)) / kMemoryStores;
}

double idle_store_bytes_abi() {
  uvmapi_runtime* runtime = nullptr;
  check(uvmapi_runtime_create(nullptr, &runtime), "uvmapi_runtime_create");
  std::vector<uvmapi_store*> stores(kMemoryStores + 1);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kMemoryStores; ++i) names.push_back(store_name(i));
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  options.name = "warm-up";
  check(uvmapi_store_open(runtime, &options, &stores[kMemoryStores]), "uvmapi_store_open");
  const std::size_t before = heap_in_use();
  for (std::size_t i = 0; i < kMemoryStores; ++i) {
    options.name = names[i].c_str();
    check(uvmapi_store_open(runtime, &options, &stores[i]), "uvmapi_store_open");
  }
  const std::size_t after = heap_in_use();
  check(uvmapi_runtime_destroy(runtime), "uvmapi_runtime_destroy");
  return (static_cast<double>(after) - static_cast<double>(before)) / kMemoryStores;
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::max(std::atoi(argv[1]), 1) : 3;
  std::vector<std::size_t> sizes(std::begin(kSizes), std::end(kSizes));
  if (argc > 2) sizes.clear();
  for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
  Report report("scale");
  run_once(1000);  // Warm-up: the allocator's arenas and the code.
  for (std::size_t stores : sizes) {
    std::vector<double> open_ms, logoff_ms;
    const auto runs = std::max<std::size_t>(static_cast<std::size_t>(repetitions),
                                            std::min<std::size_t>(30000 / stores, 100));
    for (std::size_t i = 0; i < runs; ++i) {
      Timing timing = run_once(stores);
      open_ms.push_back(timing.open_ms);
      logoff_ms.push_back(timing.logoff_ms);
    }
    report.metric("open_ms_" + std::to_string(stores), median(open_ms));
    report.metric("logoff_ms_" + std::to_string(stores), median(logoff_ms));
  }
  if (heap_in_use() != 0) {
    report.metric("idle_store_bytes_core", idle_store_bytes_core());
    report.metric("idle_store_bytes_abi", idle_store_bytes_abi());
  }
  report.info("memory_method", heap_method());
  report.info("repetitions", std::to_string(repetitions));
  describe_build(report);
  report.print();
  return 0;
}
