// The handle behind uvmapi_store (built-in stores) and uvmapi_support (host
// store providers): both are one opener of a store in the core.
#ifndef UVMAPI_CAPI_STORE_HANDLE_H
#define UVMAPI_CAPI_STORE_HANDLE_H

#include "api.h"
#include "opener.h"

namespace uvmapi::capi {

// Iface is the public struct whose address the host holds.
template <typename Iface, Kind K>
struct OpenerHandle final : Handle {
  static constexpr Kind kKind = K;
  Kind kind() const override { return kKind; }
  const void* key() const override { return &iface; }
  const Handle* owner() const override { return runtime.get(); }

  Iface iface{};
  std::shared_ptr<RuntimeHandle> runtime;
  std::shared_ptr<Opener> opener;
};

using StoreHandle = OpenerHandle<uvmapi_store, Kind::Store>;
using SupportHandle = OpenerHandle<uvmapi_support, Kind::Support>;

// Finds the handle and its live runtime.
template <typename H>
HRESULT lookup_opener(const void* key, const char* name, std::shared_ptr<H>& handle,
                      std::shared_ptr<Runtime>& runtime) {
  if (HRESULT result = lookup(key, name, handle); failed(result)) return result;
  return live_runtime(*handle->runtime, runtime);
}

// Counts one reference down on the loop thread; at zero the opener logs off
// (the core decides how) and the handle is retired. ticket, if given,
// receives the logoff that the release started.
template <typename H>
HRESULT release_opener(H& handle, Runtime& runtime, std::uint32_t* count,
                       std::shared_ptr<LogoffTicket>* ticket = nullptr) {
  std::uint32_t left = 0;
  HRESULT result = on_loop(runtime, [&] {
    left = handle.opener->release(ticket);
    return S_OK;
  });
  if (failed(result)) return result;
  if (left == 0) retire_handle(handle.key());
  if (count) *count = left;
  return S_OK;
}

// with_opener's general path: a reference to the handle and its runtime, and
// the work carried to the loop thread when the caller is elsewhere.
template <typename H, typename Fn>
[[gnu::noinline]] HRESULT with_opener_anywhere(const void* key, const char* name, Fn& fn) {
  std::shared_ptr<H> handle;
  std::shared_ptr<Runtime> runtime;
  if (HRESULT result = lookup_opener(key, name, handle, runtime); failed(result)) return result;
  return on_loop(*runtime, [&] { return fn(*handle->opener); });
}

// Runs fn(opener) on the loop thread for a live handle of type H.
//
// On the loop thread, the common case, fn runs at once: no lock, no
// reference count, no std::function. The handle cannot be freed under it
// (retired handles wait in the quarantine), and neither can the runtime
// (see RuntimeHandle::on_loop_thread). The caller's guard is the exception
// barrier. Elsewhere, and for every failure, the general path.
template <typename H, typename Fn>
HRESULT with_opener(const void* key, const char* name, Fn&& fn) {
  if (const H* live = find_live<H>(key); live != nullptr && live->runtime->on_loop_thread()) {
    return fn(*live->opener);
  }
  return with_opener_anywhere<H>(key, name, fn);
}

// The calls a store and a support object share, as both are one opener.
template <typename H>
HRESULT opener_add_ref(const void* key, const char* name, std::uint32_t* count) {
  return with_opener<H>(key, name, [&](Opener& opener) -> HRESULT {
    if (HRESULT result = opener.add_ref(); failed(result)) return result;
    if (count) *count = opener.refs();
    return S_OK;
  });
}

template <typename H>
HRESULT opener_release(const void* key, const char* name, std::uint32_t* count) {
  if (HRESULT done; released_already<H>(key, count, done)) return done;
  std::shared_ptr<H> handle;
  std::shared_ptr<Runtime> runtime;
  if (HRESULT result = lookup_opener(key, name, handle, runtime); failed(result)) return result;
  return release_opener(*handle, *runtime, count);
}

template <typename H>
HRESULT opener_submit(const void* key, const char* name, const uvmapi_message* message,
                      std::uint64_t* id) {
  Message parsed;
  if (HRESULT result = read_message(message, parsed); failed(result)) return result;
  return with_opener<H>(key, name, [&](Opener& opener) -> HRESULT {
    MessageId submitted = 0;
    if (HRESULT result = opener.submit(parsed, submitted); failed(result)) return result;
    if (id) *id = submitted;
    return S_OK;
  });
}

template <typename H>
HRESULT opener_activity(const void* key, const char* name, std::uint32_t* activity) {
  if (activity == nullptr) return null_argument("activity");
  return with_opener<H>(key, name, [&](Opener& opener) { return opener.activity(*activity); });
}

}  // namespace uvmapi::capi

#endif
