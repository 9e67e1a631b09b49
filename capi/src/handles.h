// Handles the C ABI gives out, and the registry that tells a live handle
// from a released, foreign or wrong-kind pointer without dereferencing it.
//
// Every handle is registered under the address the host holds. A released
// handle leaves the registry at once, but its memory is kept in a quarantine
// of the most recently released handles, so a late call through its vtable
// still lands in our code and fails cleanly.
#ifndef UVMAPI_CAPI_HANDLES_H
#define UVMAPI_CAPI_HANDLES_H

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "handle_index.h"
#include "runtime.h"
#include "uvmapi/uvmapi.h"

namespace uvmapi {
class SmtpTransportProvider;
}

namespace uvmapi::capi {

enum class Kind { Runtime, Store, Support, XpSupport };
static_assert(HandleIndex::tag(Kind::XpSupport) <= HandleIndex::kTagMask);

struct Handle {
  virtual ~Handle() = default;
  virtual Kind kind() const = 0;
  // The address the host holds, under which the handle is registered.
  virtual const void* key() const = 0;
  // The runtime the handle belongs to; null for the runtime handle itself.
  virtual const Handle* owner() const { return nullptr; }
};
static_assert(alignof(Handle) > HandleIndex::kTagMask, "the index tags a handle's address");

// The runtime handle. Calls copy the Runtime out under the mutex, so a
// concurrent destroy cannot free it under them.
struct RuntimeHandle final : Handle {
  static constexpr Kind kKind = Kind::Runtime;
  Kind kind() const override { return kKind; }
  const void* key() const override { return this; }

  std::shared_ptr<Runtime> get() const {
    std::lock_guard<std::mutex> lock(mutex);
    return runtime;
  }

  // Whether the caller is the runtime's loop thread, where a call may run at
  // once: Runtime::on_loop_thread() without the mutex and the reference
  // count of reaching the runtime. While this is true the runtime cannot be
  // freed under such a call: with a host loop only the loop thread itself
  // may destroy it, and an embedded loop thread is joined first, after
  // which its id is forgotten.
  bool on_loop_thread() const {
    return loop_thread.load(std::memory_order_relaxed) == std::this_thread::get_id();
  }

  mutable std::mutex mutex;
  std::shared_ptr<Runtime> runtime;
  // Set once the runtime runs; reset when an embedded loop thread has been
  // joined, as its id may then be given to a new thread.
  std::atomic<std::thread::id> loop_thread{};

  uvmapi_logoff_callback on_logoff = nullptr;
  void* on_logoff_context = nullptr;
  // Which store names belong to host providers (loop thread only): a name
  // maps to its provider, or to null for a built-in store.
  std::map<std::string, uvmapi_store_provider*> store_kinds;
  // The SMTP transport added last, whose counters uvmapi_runtime_smtp_stats
  // reads (loop thread only); null until one is added.
  std::shared_ptr<SmtpTransportProvider> smtp;
};

// The index in front of the registry, written under the registry's mutex.
extern HandleIndex handle_index;

void register_handle(std::shared_ptr<Handle> handle);
// The live handle registered under key with that kind, or null.
std::shared_ptr<Handle> find_handle(const void* key, Kind kind);
// find_live's way through the registry's mutex, for handles the index does
// not hold.
Handle* find_live_handle(const void* key, Kind kind);
// Whether key names a handle of that kind released recently (in quarantine).
bool is_retired(const void* key, Kind kind);
// Takes the handle out of the registry; its memory goes to the quarantine.
void retire_handle(const void* key);
// Retires every live handle that belongs to runtime (it is being destroyed).
void retire_handles_of(const Handle* runtime);

template <typename T>
std::shared_ptr<T> find(const void* key) {
  return std::static_pointer_cast<T>(find_handle(key, T::kKind));
}

// As find, without a reference, and without a lock for most handles. The
// pointer stays valid until the handle is retired and then until it leaves
// the quarantine, so it serves a call that runs inline, not one that waits.
template <typename T>
T* find_live(const void* key) {
  if (Handle* handle = handle_index.find(key, HandleIndex::tag(T::kKind))) {
    return static_cast<T*>(handle);
  }
  return static_cast<T*>(find_live_handle(key, T::kKind));
}

}  // namespace uvmapi::capi

#endif
