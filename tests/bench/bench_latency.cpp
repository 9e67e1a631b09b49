// Case "latency": the logoff of an idle store, timed from the host thread
// that asks for it to the completion that thread observes, against the floor
// measured in the same process: a bare cross-thread round trip that wakes the
// sleeping loop with uv_async_send and is answered through a std::promise,
// the two wake-ups Runtime::invoke uses.
//
// One loop, on one thread of this program, serves all three: the floor's
// async handle, a runtime made through the C ABI and one made with the C++
// core, both on that loop as their host loop. So every round trip wakes the
// same thread through the same epoll, wherever the scheduler put it; with a
// loop thread each, the three would be measured on different placements.
//
// Each iteration opens the store untimed (one round trip, so the loop is
// asleep again when the timed part starts, as it is after the floor's own
// untimed round trip) and then times one ORDERLY logoff, through the C ABI
// (uvmapi_store_logoff_wait, what a C host pays) and through the C++ core
// (Opener::release and LogoffTicket::wait_finished). The three kinds take
// turns so that a disturbance of the machine hits them alike.
//
// Usage: uvmapi_bench_latency [iterations]
#include <uv.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "bench_util.h"
#include "opener.h"
#include "runtime.h"
#include "uvmapi/uvmapi.h"

using namespace uvmapi;
using namespace uvmapi::bench;

namespace {

constexpr auto kPatience = std::chrono::seconds(10);

// The loop thread, and on it the floor's handle and the two runtimes.
class SharedLoop {
 public:
  SharedLoop() {
    std::promise<void> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, &ready] { run(ready); });
    started.get();
  }

  ~SharedLoop() {
    uv_async_send(&stop_);
    thread_.join();
  }

  SharedLoop(const SharedLoop&) = delete;
  SharedLoop& operator=(const SharedLoop&) = delete;

  // The floor: wake the loop, and wait for its answer.
  void round_trip() {
    std::promise<void> answer;
    auto answered = answer.get_future();
    pending_.store(&answer, std::memory_order_release);
    uv_async_send(&floor_);
    answered.get();
  }

  uvmapi_runtime* abi() const { return abi_; }
  Runtime& core() const { return *core_; }

 private:
  void run(std::promise<void>& ready) {
    if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &floor_, &SharedLoop::on_floor) != 0 ||
        uv_async_init(&loop_, &stop_, &SharedLoop::on_stop) != 0) {
      die("cannot set up the loop");
    }
    floor_.data = this;
    uvmapi_runtime_options options = UVMAPI_RUNTIME_OPTIONS_INIT;
    options.host_loop = &loop_;
    check(uvmapi_runtime_create(&options, &abi_), "uvmapi_runtime_create");
    RuntimeOptions core_options;
    core_options.host_loop = &loop_;
    check(Runtime::create(std::move(core_options), core_), "Runtime::create");
    ready.set_value();

    uv_run(&loop_, UV_RUN_DEFAULT);  // Until on_stop.

    check(uvmapi_runtime_destroy(abi_), "uvmapi_runtime_destroy");
    check(core_->shutdown(), "Runtime::shutdown");
    core_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&floor_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  static void on_floor(uv_async_t* handle) {
    auto* self = static_cast<SharedLoop*>(handle->data);
    std::promise<void>* answer = self->pending_.exchange(nullptr, std::memory_order_acq_rel);
    if (answer != nullptr) answer->set_value();
  }

  static void on_stop(uv_async_t* handle) { uv_stop(handle->loop); }

  uv_loop_t loop_{};
  uv_async_t floor_{};
  uv_async_t stop_{};
  std::thread thread_;
  std::atomic<std::promise<void>*> pending_{nullptr};
  uvmapi_runtime* abi_ = nullptr;
  std::unique_ptr<Runtime> core_;
};

// The idle-store logoff through the C ABI.
double abi_once(uvmapi_runtime* runtime) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  options.name = "idle";
  uvmapi_store* store = nullptr;
  check(uvmapi_store_open(runtime, &options, &store), "uvmapi_store_open");
  const auto start = Clock::now();
  uvmapi_logoff_outcome outcome{};
  check(uvmapi_store_logoff_wait(store, LOGOFF_ORDERLY, 10000, &outcome),
        "uvmapi_store_logoff_wait");
  const double micros = micros_since(start);
  if (!outcome.finished || !outcome.released || outcome.flags_at_final != LOGOFF_COMPLETE) {
    die("the idle store's logoff through the C ABI did not simply complete");
  }
  return micros;
}

// The same logoff through the C++ core.
double core_once(Runtime& runtime) {
  std::shared_ptr<Opener> opener;
  HRESULT opened = S_OK;
  runtime.invoke([&] { opened = runtime.open_store("idle", opener); });
  check(opened, "Runtime::open_store");
  const auto start = Clock::now();
  std::shared_ptr<LogoffTicket> ticket;
  runtime.invoke([&] {
    std::uint32_t flags = LOGOFF_ORDERLY;
    if (opener->store_logoff(flags) == S_OK) opener->release(&ticket);
  });
  LogoffReport report;
  if (!ticket || ticket->wait_finished(kPatience, report) != S_OK) {
    die("the idle store's logoff through the C++ core did not finish");
  }
  const double micros = micros_since(start);
  if (!report.released || report.at_final != LOGOFF_COMPLETE) {
    die("the idle store's logoff through the C++ core did not simply complete");
  }
  return micros;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int warmup = std::max(iterations / 20, 10);
  SharedLoop loop;
  std::vector<double> floor_us, abi_us, core_us;
  for (int i = 0; i < warmup + iterations; ++i) {
    double sample[3] = {};
    for (int turn = 0; turn < 3; ++turn) {
      switch ((i + turn) % 3) {
        case 0: {
          loop.round_trip();  // Untimed, as the open before each logoff.
          const auto start = Clock::now();
          loop.round_trip();
          sample[0] = micros_since(start);
          break;
        }
        case 1:
          sample[1] = abi_once(loop.abi());
          break;
        case 2:
          sample[2] = core_once(loop.core());
          break;
      }
    }
    if (i < warmup) continue;
    floor_us.push_back(sample[0]);
    abi_us.push_back(sample[1]);
    core_us.push_back(sample[2]);
  }

  Report report("latency");
  report.metric("floor_us", median(floor_us));
  report.metric("abi_us", median(abi_us));
  report.metric("core_us", median(core_us));
  report.metric("floor_p90_us", quantile(floor_us, 0.9));
  report.metric("abi_p90_us", quantile(abi_us, 0.9));
  report.metric("core_p90_us", quantile(core_us, 0.9));
  report.info("iterations", std::to_string(iterations));
  describe_build(report);
  report.print();
  return 0;
}
