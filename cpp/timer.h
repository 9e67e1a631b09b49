// A one-shot libuv timer owned by a C++ object. The uv handle outlives the
// object until its close callback runs, so destroying a Timer at any moment
// on the loop thread is safe.
#ifndef UVMAPI_CPP_TIMER_H
#define UVMAPI_CPP_TIMER_H

#include <uv.h>

#include <chrono>
#include <functional>

namespace uvmapi {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop) : loop_(loop) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Replaces any pending shot.
  void start(std::chrono::milliseconds delay, std::function<void()> fire);
  void stop();

 private:
  static void on_fire(uv_timer_t* handle);

  uv_loop_t* loop_;
  // Made at the first start: most logoffs end before they need a deadline,
  // and a handle costs an allocation and a close.
  uv_timer_t* handle_ = nullptr;
  std::function<void()> fire_;
};

}  // namespace uvmapi

#endif
