#include "timer.h"

#include <utility>

#include "loop_scope.h"

namespace uvmapi {

Timer::~Timer() {
  if (handle_ == nullptr) return;
  uv_timer_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
}

void Timer::start(std::chrono::milliseconds delay, std::function<void()> fire) {
  if (handle_ == nullptr) {
    handle_ = new uv_timer_t;
    uv_timer_init(loop_, handle_);
    handle_->data = this;
  }
  fire_ = std::move(fire);
  uv_timer_start(handle_, &Timer::on_fire, static_cast<std::uint64_t>(delay.count()), 0);
}

void Timer::stop() {
  if (handle_ != nullptr) uv_timer_stop(handle_);
  fire_ = nullptr;
}

void Timer::on_fire(uv_timer_t* handle) {
  LoopScope scope;
  auto* self = static_cast<Timer*>(handle->data);
  if (self == nullptr || !self->fire_) return;
  // The callback may destroy this Timer, so move it out first.
  auto fire = std::move(self->fire_);
  self->fire_ = nullptr;
  fire();
}

}  // namespace uvmapi
