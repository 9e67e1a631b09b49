// The one way into the loop thread. Any thread appends work to a single
// queue; only the append that finds the queue empty calls uv_async_send, so a
// burst of requests costs one wake-up and is run as one batch.
#ifndef UVMAPI_CPP_LOOP_QUEUE_H
#define UVMAPI_CPP_LOOP_QUEUE_H

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

namespace uvmapi {

class LoopQueue {
 public:
  using Work = std::function<void()>;

  // Runs on the loop thread: uv_async_init is not thread-safe.
  explicit LoopQueue(uv_loop_t* loop);
  ~LoopQueue();
  LoopQueue(const LoopQueue&) = delete;
  LoopQueue& operator=(const LoopQueue&) = delete;

  // Any thread. False once the queue is closed: the work was not taken.
  bool post(Work work);

  // Loop thread. Refuses new work, runs what was already queued, then closes
  // the async handle; the loop can end once its close callback has run.
  void close();

 private:
  static void on_async(uv_async_t* handle);
  void drain();

  std::mutex mutex_;
  std::vector<Work> pending_;
  // Loop thread only: an empty vector that keeps the capacity of an earlier
  // batch and becomes the next pending_, so steady work allocates no queue.
  std::vector<Work> spare_;
  bool closed_ = false;
  std::atomic<int> sending_{0};  // Posts between their decision to wake and their send.
  uv_async_t* async_;            // Heap-allocated: its close completes after we are gone.
};

}  // namespace uvmapi

#endif
