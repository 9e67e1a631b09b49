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
// The sizes take turns, round after round, so that a machine that gets
// busier or quieter affects them alike (the goal is their ratio). Each turn
// runs in a child process of its own: thousands of runtimes made and freed
// for the small sizes would otherwise leave the heap fragmented for the big
// one, a state a host that opens its stores does not get into. In its turn
// a size runs, each time on a fresh runtime, until about 30,000 stores have
// logged off (at least 3 and at most 30 times; a single preemption by another
// process would otherwise decide a fraction of a millisecond), after one run
// to warm up.
// The median of each size's runs is reported.
//
// Usage: uvmapi_bench_scale [rounds [stores...]]
// (by default 5 rounds of 1, 100, 1000 and 10000 stores)
#if defined(__APPLE__)
#include <malloc/malloc.h>
#else
#include <malloc.h>
#endif

#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <sstream>
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

// One turn of a size, in a child process: the runs' times, one "open logoff"
// pair of milliseconds per line, on the pipe.
std::vector<Timing> turn_in_child(std::size_t stores) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) die("pipe");
  const pid_t child = ::fork();
  if (child < 0) die("fork");
  if (child == 0) {
    ::close(pipe_fds[0]);
    const std::size_t runs = std::clamp<std::size_t>(30000 / stores, 3, 30);
    run_once(stores);  // Warm-up: the code, and the allocator's arenas.
    std::string out;
    for (std::size_t run = 0; run < runs; ++run) {
      Timing timing = run_once(stores);
      out += std::to_string(timing.open_ms) + " " + std::to_string(timing.logoff_ms) + "\n";
    }
    const bool written =
        ::write(pipe_fds[1], out.data(), out.size()) == static_cast<ssize_t>(out.size());
    ::_exit(written ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die("the run of " + std::to_string(stores) + " stores failed");
  }
  std::vector<Timing> timings;
  std::istringstream lines(text);
  for (Timing timing; lines >> timing.open_ms >> timing.logoff_ms;) timings.push_back(timing);
  return timings;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(std::atoi(argv[1]), 1) : 5;
  std::vector<std::size_t> sizes(std::begin(kSizes), std::end(kSizes));
  if (argc > 2) sizes.clear();
  for (int i = 2; i < argc; ++i) sizes.push_back(std::strtoul(argv[i], nullptr, 10));
  Report report("scale");
  // Children are made before this process starts any thread of its own.
  std::vector<std::vector<double>> open_ms(sizes.size()), logoff_ms(sizes.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      for (const Timing& timing : turn_in_child(sizes[i])) {
        open_ms[i].push_back(timing.open_ms);
        logoff_ms[i].push_back(timing.logoff_ms);
      }
    }
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    report.metric("open_ms_" + std::to_string(sizes[i]), median(open_ms[i]));
    report.metric("logoff_ms_" + std::to_string(sizes[i]), median(logoff_ms[i]));
  }
  if (heap_in_use() != 0) {
    report.metric("idle_store_bytes_core", idle_store_bytes_core());
    report.metric("idle_store_bytes_abi", idle_store_bytes_abi());
  }
  report.info("memory_method", heap_method());
  report.info("rounds", std::to_string(rounds));
  describe_build(report);
  report.print();
  return 0;
}
