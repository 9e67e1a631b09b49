// The runtime: one libuv loop and everything that lives on it (stores, their
// openers and spoolers, the transport providers). The loop thread owns all of
// that state; other threads reach it only through post() and invoke().
//
// The loop is either the runtime's own, run on a thread it starts (the
// embedded default), or the host's, which the host drives with uv_run on the
// thread that created the runtime.
#ifndef UVMAPI_CPP_RUNTIME_H
#define UVMAPI_CPP_RUNTIME_H

#include <uv.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "logoff_ticket.h"
#include "loop_queue.h"
#include "message_store.h"
#include "transport.h"

namespace uvmapi {

class Opener;
class StoreSupport;

struct RuntimeOptions {
  // Null: the runtime starts its own loop thread. Otherwise the host's loop;
  // create the runtime on the thread that runs it.
  uv_loop_t* host_loop = nullptr;
  // How long NO_WAIT, ORDERLY and PURGE may drain before they become ABORT.
  std::chrono::milliseconds drain_deadline{30000};
  // How long an abort waits for the transports to stop before giving up.
  std::chrono::milliseconds abort_deadline{5000};
  // Called on the loop thread with the final outcome of every logoff.
  std::function<void(const std::string& store, const LogoffReport& report)> on_logoff;
};

class Runtime {
 public:
  static HRESULT create(RuntimeOptions options, std::unique_ptr<Runtime>& runtime);
  // Shuts down first if shutdown() was not called. Destroy a runtime where
  // shutdown() may run: off the loop thread when embedded, on it with a host loop.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // --- Any thread -----------------------------------------------------------

  bool on_loop_thread() const;

  // Queues work for the loop thread. Fails once the runtime is shut down.
  HRESULT post(std::function<void()> work);

  // Runs work on the loop thread and waits for it; on the loop thread itself
  // it runs at once. With a host loop, another thread's call waits until the
  // host runs the loop. After shutdown no loop runs any more: the work runs
  // on the calling thread, one caller at a time.
  HRESULT invoke(const std::function<void()>& work);

  // Logs off every opener (each with its saved flag, or ABORT), waits for the
  // logoffs within the deadlines, ends by force any opener that still would
  // not log off, and stops the loop. Always returns, after at most about
  // drain_deadline + 2 * abort_deadline. Embedded: call it from any thread
  // but the loop's. Host loop: call it on the loop thread while uv_run is not
  // running (it is refused inside the runtime's own callbacks); it runs the
  // loop itself until it is done.
  HRESULT shutdown();

  // --- Loop thread ----------------------------------------------------------

  uv_loop_t* loop() const { return loop_; }
  const RuntimeOptions& options() const { return options_; }

  HRESULT add_transport_provider(std::shared_ptr<TransportProvider> provider);

  // Makes the storage of a store on its first logon.
  using StorageFactory = std::function<HRESULT(std::unique_ptr<MessageStore>& storage)>;

  // Logs on to the store called name. On first use the store's storage is
  // made by make_storage, or kept in memory when it is null; later logons
  // share it. The storage lives as long as the runtime.
  HRESULT open_store(const std::string& name, std::shared_ptr<Opener>& opener,
                     const StorageFactory& make_storage = nullptr);

  // Offers the store's queue to its transports again: another process may
  // have added to a durable store's Outbox, which no event here reports.
  // MAPI_E_NOT_FOUND when the store is not logged on.
  HRESULT offer_queue(const std::string& name);

  // Turns the NO_WAIT, ORDERLY or PURGE drain under way on the store into an
  // abort now, as the drain deadline would (the report says escalated).
  // MAPI_E_NOT_FOUND when the store has no drain under way.
  HRESULT escalate_logoff(const std::string& name);

  // Every opener still logged on, in opening order (for diagnostics and tests).
  std::vector<std::shared_ptr<Opener>> openers() const;

  // Called by StoreSupport. slot is the runtime's reference to the support
  // whose last opener went, handed to it at logon, so that this needs no
  // lookup by name (with 10,000 stores a lookup costs a handful of cache misses).
  void store_logged_off(std::shared_ptr<StoreSupport>& slot);
  void logoff_finished(const std::string& store, const LogoffReport& report);

 private:
  struct StoreRecord {
    std::unique_ptr<MessageStore> data;
    std::shared_ptr<StoreSupport> support;  // Set while logged on.
  };
  enum class Stage { Running, LoggingOff, Forcing, Stopped };

  explicit Runtime(RuntimeOptions options);
  // The support of a logged-on store, or null with MAPI_E_NOT_FOUND recorded.
  std::shared_ptr<StoreSupport> logged_on(const std::string& name);
  void run_embedded(std::promise<int>* started);
  void begin_shutdown();
  void advance_shutdown();
  void stop();

  RuntimeOptions options_;
  uv_loop_t own_loop_{};
  uv_loop_t* loop_ = nullptr;
  std::thread thread_;
  std::mutex shutdown_mutex_;
  std::thread::id loop_thread_;
  std::unique_ptr<LoopQueue> queue_;

  std::vector<std::shared_ptr<TransportProvider>> providers_;
  // Hashed: a logoff looks its store up, and a tree of 10,000 names is a
  // dozen cache misses per lookup once it no longer fits in the cache.
  std::unordered_map<std::string, StoreRecord> stores_;
  std::uint64_t next_opener_id_ = 1;
  Stage stage_ = Stage::Running;
  bool shutdown_done_ = false;
  std::atomic<bool> stopped_{false};
  std::mutex stopped_mutex_;  // Serialises invoke() after shutdown.
  bool advancing_ = false;
};

}  // namespace uvmapi

#endif
