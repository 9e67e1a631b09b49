#include "loop_queue.h"

#include <thread>
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    const bool wake = pending_.empty();
    pending_.push_back(std::move(work));
    if (!wake) return true;
    // Counted under the lock, so that close() either refuses this post or
    // waits for its send: the handle stays open while a send may touch it.
    sending_.fetch_add(1, std::memory_order_relaxed);
  }
  // Sent after letting go of the lock: the loop thread this wakes takes the
  // lock at once, and would otherwise sleep again until we let go of it.
  uv_async_send(async_);
  sending_.fetch_sub(1, std::memory_order_release);
  return true;
}

void LoopQueue::on_async(uv_async_t* handle) {
  LoopScope scope;
  auto* self = static_cast<LoopQueue*>(handle->data);
  if (self != nullptr) self->drain();
}

void LoopQueue::drain() {
  // The batch is a local: work may close the queue, which drains again.
  std::vector<Work> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(pending_);
    pending_.swap(spare_);
  }
  for (auto& work : batch) work();
  // spare_ is the loop thread's alone (drain runs there only), so keeping the
  // larger vector takes no lock, and a host posting right now never waits.
  batch.clear();
  if (spare_.capacity() < batch.capacity()) spare_.swap(batch);
}

void LoopQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  // A post that found the queue empty may still be inside uv_async_send; it
  // is a few instructions from leaving it.
  while (sending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
  drain();
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
}

}  // namespace uvmapi
