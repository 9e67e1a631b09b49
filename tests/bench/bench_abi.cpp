// Case "abi": what the C ABI adds to a trivial call. The call is GetActivity
// of an idle in-memory store: uvmapi_store_activity through the shared
// library (what a C host pays), against Opener::activity on the C++ object of
// the core, linked into this program.
//
// Both runtimes run on a host loop owned by this thread, so both calls run
// inline on the calling thread and neither crosses threads: the difference
// is the ABI layer itself (the exception barrier, the handle lookup, the
// dispatch to the loop thread, the per-thread error). The two are timed in
// alternating blocks of many calls, each result kept alive through a
// compiler barrier so that no call is optimised away.
//
// Usage: uvmapi_bench_abi [calls-per-block]
#include <uv.h>

#include <memory>

#include "bench_util.h"
#include "opener.h"
#include "runtime.h"
#include "uvmapi/uvmapi.h"

using namespace uvmapi;
using namespace uvmapi::bench;

namespace {

constexpr int kBlocks = 15;

double nanos_per_call(Clock::time_point start, long calls) {
  return micros_since(start) * 1000 / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const long calls = argc > 1 ? std::max(std::atol(argv[1]), 1L) : 2000000L;

  // The C ABI: a runtime on this thread's loop, and one store.
  uv_loop_t abi_loop;
  if (uv_loop_init(&abi_loop) != 0) die("uv_loop_init");
  uvmapi_runtime_options runtime_options = UVMAPI_RUNTIME_OPTIONS_INIT;
  runtime_options.host_loop = &abi_loop;
  uvmapi_runtime* abi_runtime = nullptr;
  check(uvmapi_runtime_create(&runtime_options, &abi_runtime), "uvmapi_runtime_create");
  uvmapi_store_options store_options = UVMAPI_STORE_OPTIONS_INIT;
  store_options.name = "abi";
  uvmapi_store* store = nullptr;
  check(uvmapi_store_open(abi_runtime, &store_options, &store), "uvmapi_store_open");

  // The C++ core: the same, on a loop of its own.
  uv_loop_t core_loop;
  if (uv_loop_init(&core_loop) != 0) die("uv_loop_init");
  RuntimeOptions core_options;
  core_options.host_loop = &core_loop;
  std::unique_ptr<Runtime> core_runtime;
  check(Runtime::create(std::move(core_options), core_runtime), "Runtime::create");
  std::shared_ptr<Opener> opener;
  check(core_runtime->open_store("abi", opener), "Runtime::open_store");

  std::vector<double> abi_ns, core_ns;
  for (int block = 0; block < kBlocks; ++block) {
    auto start = Clock::now();
    for (long i = 0; i < calls; ++i) {
      std::uint32_t activity = 0;
      HRESULT result = uvmapi_store_activity(store, &activity);
      keep(result);
      keep(activity);
    }
    abi_ns.push_back(nanos_per_call(start, calls));

    start = Clock::now();
    for (long i = 0; i < calls; ++i) {
      std::uint32_t activity = 0;
      HRESULT result = opener->activity(activity);
      keep(result);
      keep(activity);
    }
    core_ns.push_back(nanos_per_call(start, calls));
  }
  std::uint32_t activity = 1;
  if (uvmapi_store_activity(store, &activity) != S_OK || activity != 0 ||
      opener->activity(activity) != S_OK || activity != 0) {
    die("the calls did not report an idle store");
  }

  uvmapi_store_release(store, nullptr);
  check(uvmapi_runtime_destroy(abi_runtime), "uvmapi_runtime_destroy");
  uv_loop_close(&abi_loop);
  opener->release();
  opener.reset();
  check(core_runtime->shutdown(), "Runtime::shutdown");
  core_runtime.reset();
  uv_loop_close(&core_loop);

  Report report("abi");
  report.metric("abi_ns", median(abi_ns));
  report.metric("core_ns", median(core_ns));
  report.metric("overhead_ns", median(abi_ns) - median(core_ns));
  report.info("calls_per_block", std::to_string(calls));
  report.info("blocks", std::to_string(kBlocks));
  describe_build(report);
  report.print();
  return 0;
}
