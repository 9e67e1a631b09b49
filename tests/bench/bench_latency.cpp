// Case "latency": the logoff of an idle store, timed from the host thread
// that asks for it to the completion that thread observes, against the floor
// measured in the same process: a bare cross-thread round trip that wakes a
// sleeping libuv loop with uv_async_send and is answered through a
// std::promise, the two wake-ups Runtime::invoke uses.
//
// Each iteration opens the store untimed (one round trip, so the loop thread
// is asleep again when the timed part starts, as the floor's loop is after
// its own untimed round trip) and then times one ORDERLY logoff, through the
// C ABI (uvmapi_store_logoff_wait, what a C host pays) and through the C++
// core (Opener::release and LogoffTicket::wait_finished). The three kinds
// take turns so that a disturbance of the machine hits them alike.
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

// The floor: a loop on its own thread that answers each uv_async_send.
class AsyncFloor {
 public:
  AsyncFloor() {
    if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &async_, &AsyncFloor::on_async) != 0) {
      die("cannot set up the floor's loop");
    }
    async_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }

  ~AsyncFloor() {
    stopping_ = true;
    round_trip();
    thread_.join();
    uv_loop_close(&loop_);
  }

  AsyncFloor(const AsyncFloor&) = delete;
  AsyncFloor& operator=(const AsyncFloor&) = delete;

  void round_trip() {
    std::promise<void> answer;
    auto answered = answer.get_future();
    pending_.store(&answer, std::memory_order_release);
    uv_async_send(&async_);
    answered.get();
  }

 private:
  static void on_async(uv_async_t* handle) {
    auto* self = static_cast<AsyncFloor*>(handle->data);
    std::promise<void>* answer = self->pending_.exchange(nullptr, std::memory_order_acq_rel);
    if (self->stopping_) uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
    if (answer != nullptr) answer->set_value();
  }

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::thread thread_;
  std::atomic<std::promise<void>*> pending_{nullptr};
  std::atomic<bool> stopping_{false};
};

// The idle-store logoff through the C ABI.
class AbiLogoff {
 public:
  AbiLogoff() { check(uvmapi_runtime_create(nullptr, &runtime_), "uvmapi_runtime_create"); }
  ~AbiLogoff() { uvmapi_runtime_destroy(runtime_); }
  AbiLogoff(const AbiLogoff&) = delete;
  AbiLogoff& operator=(const AbiLogoff&) = delete;

  double once() {
    uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
    options.name = "idle";
    uvmapi_store* store = nullptr;
    check(uvmapi_store_open(runtime_, &options, &store), "uvmapi_store_open");
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

 private:
  uvmapi_runtime* runtime_ = nullptr;
};

// The same logoff through the C++ core.
class CoreLogoff {
 public:
  CoreLogoff() { check(Runtime::create(RuntimeOptions{}, runtime_), "Runtime::create"); }
  ~CoreLogoff() { runtime_->shutdown(); }
  CoreLogoff(const CoreLogoff&) = delete;
  CoreLogoff& operator=(const CoreLogoff&) = delete;

  double once() {
    std::shared_ptr<Opener> opener;
    HRESULT opened = S_OK;
    runtime_->invoke([&] { opened = runtime_->open_store("idle", opener); });
    check(opened, "Runtime::open_store");
    const auto start = Clock::now();
    std::shared_ptr<LogoffTicket> ticket;
    runtime_->invoke([&] {
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

 private:
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int warmup = std::max(iterations / 20, 10);
  AsyncFloor floor;
  AbiLogoff abi;
  CoreLogoff core;
  std::vector<double> floor_us, abi_us, core_us;
  for (int i = 0; i < warmup + iterations; ++i) {
    double sample[3] = {};
    for (int turn = 0; turn < 3; ++turn) {
      switch ((i + turn) % 3) {
        case 0: {
          floor.round_trip();  // Untimed, as the open before each logoff.
          const auto start = Clock::now();
          floor.round_trip();
          sample[0] = micros_since(start);
          break;
        }
        case 1:
          sample[1] = abi.once();
          break;
        case 2:
          sample[2] = core.once();
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
