// What every exported function shares: the exception barrier, handle
// lookups that report misuse, running work on the loop thread, and the
// conversions between the ABI's structs and the core's.
#ifndef UVMAPI_CAPI_API_H
#define UVMAPI_CAPI_API_H

#include <cstring>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "error.h"
#include "handles.h"
#include "logoff_ticket.h"
#include "message.h"

namespace uvmapi::capi {

// What the ABI keeps per thread, in one plain struct so that a call reaches
// it with one thread-local access and needs no initialisation guard.
struct CallState {
  // How deep the thread is in guard(): a host callback may call the ABI
  // while the runtime works for an outer call on the same thread.
  int depth;
  // Whether the thread's last call failed. The core's last error (code and
  // message) is then the one to report; after a success it may be stale, so
  // uvmapi_last_error() reports S_OK and an empty message without reading it.
  // This spares a success the clearing of the core's error, which sits
  // behind a call and a thread-local access of the core's own.
  bool failed;
};

// The calling thread's state. __thread rather than thread_local: a plain
// struct needs no initialisation, and this spelling promises the compiler so,
// which spares every access a call to the TLS init wrapper.
extern __thread CallState call_state;

// guard()'s way out of a failed call, out of line to keep the successful
// path short: see guard.
[[gnu::cold]] void note_failure(HRESULT result, bool outermost);

// Runs body and returns its HRESULT. No exception leaves: memory exhaustion
// becomes MAPI_E_NOT_ENOUGH_MEMORY, anything else MAPI_E_CALL_FAILED.
// A failure marks the thread's last call failed, and the outermost call
// makes sure that the core's last error names it; the outermost call's
// success marks it succeeded, while a nested success leaves the outer
// call's error alone.
template <typename Body>
uvmapi_hresult guard(Body&& body) noexcept {
  // Reached once: the empty asm keeps the compiler from finding the
  // thread's block again (a call to __tls_get_addr) after body.
  CallState* state_address = &call_state;
  asm("" : "+r"(state_address));
  CallState& state = *state_address;
  ++state.depth;
  HRESULT result;
  try {
    result = body();
  } catch (const std::bad_alloc&) {
    result = fail(MAPI_E_NOT_ENOUGH_MEMORY, "out of memory");
  } catch (const std::exception& error) {
    result = fail(MAPI_E_CALL_FAILED, std::string("internal error: ") + error.what());
  } catch (...) {
    result = fail(MAPI_E_CALL_FAILED, "internal error");
  }
  bool outermost = --state.depth == 0;
  if (failed(result)) {
    note_failure(result, outermost);
  } else if (outermost) {
    state.failed = false;
  }
  return result;
}

// Fails with MAPI_E_INVALID_PARAMETER: name is NULL.
[[gnu::cold]] HRESULT null_argument(const char* name);
// Fails with MAPI_E_INVALID_OBJECT: name is not a live handle of its kind.
[[gnu::cold]] HRESULT not_a_live_handle(const char* name);

// Finds the live handle of type T under key, or fails: NULL is an invalid
// parameter; anything else that is not a live T (released, foreign, another
// kind) is an invalid object.
template <typename T>
HRESULT lookup(const void* key, const char* name, std::shared_ptr<T>& handle) {
  if (key == nullptr) return null_argument(name);
  handle = find<T>(key);
  if (!handle) return not_a_live_handle(name);
  return S_OK;
}

// Release of a handle that may already be released: that succeeds with a
// count of zero (the contract exempts Release from MAPI_E_INVALID_OBJECT).
// Returns true, with S_OK in result, when key is such a handle.
template <typename T>
bool released_already(const void* key, std::uint32_t* count, HRESULT& result) {
  if (key == nullptr || !is_retired(key, T::kKind)) return false;
  if (count) *count = 0;
  result = S_OK;
  return true;
}

// The runtime of a handle, or MAPI_E_INVALID_OBJECT once it is destroyed.
HRESULT live_runtime(const RuntimeHandle& handle, std::shared_ptr<Runtime>& runtime);

// Runs work on the runtime's loop thread (at once when already there) and
// returns its HRESULT, with its last error carried to this thread.
HRESULT on_loop(Runtime& runtime, const std::function<HRESULT()>& work);

// Blocking calls refuse the loop thread: it would wait for itself.
HRESULT refuse_loop_thread(const Runtime& runtime, const char* call);

// ABI message -> core message, validating every field.
HRESULT read_message(const uvmapi_message* in, Message& out);

// Core message -> ABI message. The view points into message, which must
// outlive it.
class MessageView {
 public:
  explicit MessageView(const Message& message);
  const uvmapi_message* get() const { return &view_; }

 private:
  std::vector<const char*> recipients_;
  uvmapi_message view_;
};

uvmapi_logoff_outcome to_outcome(const LogoffReport& report);

// QueryInterface of a handle that has IUnknown and one interface of its own:
// on a match add_ref takes the new reference and *object is self.
template <typename H>
HRESULT query_interface(void* self, const char* name, const uvmapi_iid* iid, const uvmapi_iid& own,
                        void** object, const std::function<HRESULT()>& add_ref) {
  std::shared_ptr<H> handle;
  if (HRESULT result = lookup(self, name, handle); failed(result)) return result;
  if (iid == nullptr) return null_argument("iid");
  if (object == nullptr) return null_argument("object");
  *object = nullptr;
  if (std::memcmp(iid, &uvmapi_iid_unknown, sizeof *iid) != 0 &&
      std::memcmp(iid, &own, sizeof *iid) != 0) {
    return fail(MAPI_E_INTERFACE_NOT_SUPPORTED,
                std::string("a ") + name + " has only IUnknown and its own interface");
  }
  if (HRESULT result = add_ref(); failed(result)) return result;
  *object = self;
  return S_OK;
}

// The AddRef/Release vtable slots, which return the count, over the flat
// functions, which return an HRESULT and the count through a pointer.
template <typename Self, uvmapi_hresult (*Flat)(Self*, std::uint32_t*)>
std::uint32_t counted(Self* self) {
  std::uint32_t count = 0;
  Flat(self, &count);
  return count;
}

}  // namespace uvmapi::capi

#endif
