// uvmapi_runtime_*: creating, shutting down and destroying a runtime.
#include "api.h"

using namespace uvmapi;
using namespace uvmapi::capi;

namespace {

constexpr std::uint32_t kDefaultDrainMs = 30000;
constexpr std::uint32_t kDefaultAbortMs = 5000;

// After a shutdown every call takes the general path, Runtime::invoke, which
// serialises the calls of a stopped runtime: an embedded loop thread has been
// joined, and a new thread may carry its id.
void forget_loop_thread(RuntimeHandle& handle) {
  handle.loop_thread.store(std::thread::id(), std::memory_order_relaxed);
}

}  // namespace

extern "C" {

uvmapi_hresult uvmapi_runtime_options_init(uvmapi_runtime_options* options, uint32_t version) {
  return guard([&]() -> HRESULT {
    if (options == nullptr) return null_argument("options");
    if (version != UVMAPI_RUNTIME_OPTIONS_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER, "unknown uvmapi_runtime_options version");
    }
    *options = uvmapi_runtime_options UVMAPI_RUNTIME_OPTIONS_INIT;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_runtime_create(const uvmapi_runtime_options* options,
                                     uvmapi_runtime** runtime) {
  return guard([&]() -> HRESULT {
    if (runtime == nullptr) return null_argument("runtime");
    *runtime = nullptr;
    uvmapi_runtime_options given = UVMAPI_RUNTIME_OPTIONS_INIT;
    if (options != nullptr) {
      if (options->version != UVMAPI_RUNTIME_OPTIONS_VERSION) {
        return fail(MAPI_E_INVALID_PARAMETER,
                    "options->version is not UVMAPI_RUNTIME_OPTIONS_VERSION");
      }
      given = *options;
    }
    auto handle = std::make_shared<RuntimeHandle>();
    handle->on_logoff = given.on_logoff;
    handle->on_logoff_context = given.on_logoff_context;

    RuntimeOptions core;
    core.host_loop = static_cast<uv_loop_t*>(given.host_loop);
    core.drain_deadline = std::chrono::milliseconds(
        given.drain_deadline_ms ? given.drain_deadline_ms : kDefaultDrainMs);
    core.abort_deadline = std::chrono::milliseconds(
        given.abort_deadline_ms ? given.abort_deadline_ms : kDefaultAbortMs);
    if (given.on_logoff != nullptr) {
      // The handle outlives the runtime's callbacks: destroy shuts down first.
      RuntimeHandle* raw = handle.get();
      core.on_logoff = [raw](const std::string& store, const LogoffReport& report) {
        uvmapi_logoff_outcome outcome = to_outcome(report);
        raw->on_logoff(raw->on_logoff_context, store.c_str(), &outcome);
      };
    }
    std::unique_ptr<Runtime> created;
    if (HRESULT result = Runtime::create(std::move(core), created); failed(result)) return result;
    // Calls on the loop thread run at once: note which thread that is. Were
    // this invoke to fail, every call would take the general path instead.
    created->invoke([&] { handle->loop_thread = std::this_thread::get_id(); });
    handle->runtime = std::move(created);
    register_handle(handle);
    *runtime = reinterpret_cast<uvmapi_runtime*>(handle.get());
    return S_OK;
  });
}

uvmapi_hresult uvmapi_runtime_shutdown(uvmapi_runtime* runtime) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> handle;
    if (HRESULT result = lookup(runtime, "runtime", handle); failed(result)) return result;
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*handle, core); failed(result)) return result;
    if (HRESULT result = core->shutdown(); failed(result)) return result;
    forget_loop_thread(*handle);
    return S_OK;
  });
}

uvmapi_hresult uvmapi_runtime_destroy(uvmapi_runtime* runtime) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> handle;
    if (HRESULT result = lookup(runtime, "runtime", handle); failed(result)) return result;
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*handle, core); failed(result)) return result;
    if (HRESULT result = core->shutdown(); failed(result)) return result;
    forget_loop_thread(*handle);
    // The SMTP provider goes with the runtime rather than with the handle's
    // memory, which the quarantine keeps. invoke serialises this with a
    // uvmapi_runtime_smtp_stats still running on another thread.
    core->invoke([&] { handle->smtp.reset(); });
    {
      std::lock_guard<std::mutex> lock(handle->mutex);
      handle->runtime.reset();
    }
    retire_handles_of(handle.get());
    retire_handle(handle->key());
    return S_OK;
  });
}

}  // extern "C"
