#include "loop_queue.h"

#include <utility>

#include "loop_scope.h"

namespace uvmapi {

LoopQueue::LoopQueue(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, &LoopQueue::on_async);
  async_->data = this;
}

LoopQueue::~LoopQueue() {
  close();
}

bool LoopQueue::post(Work work) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  bool wake = pending_.empty();
  pending_.push_back(std::move(work));
  // Sending under the lock keeps the handle alive for the send: close() must
  // take the same lock before it closes the handle.
  if (wake) uv_async_send(async_);
  return true;
}

void LoopQueue::on_async(uv_async_t* handle) {
  LoopScope scope;
  auto* self = static_cast<LoopQueue*>(handle->data);
  if (self != nullptr) self->drain();
}

void LoopQueue::drain() {
  std::vector<Work> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(pending_);
  }
  for (auto& work : batch) work();
}

void LoopQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  drain();
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
}

}  // namespace uvmapi
