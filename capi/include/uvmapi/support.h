/* Store providers written by the host, and the support object the runtime
 * gives them (IMAPISupport).
 *
 * A host that keeps messages its own way implements uvmapi_store_provider:
 * the storage of the three folders. It logs the store on with
 * uvmapi_runtime_logon_store_provider and gets a uvmapi_support for that
 * logon. Its own IMsgStore, the one its clients hold, saves the flag of
 * StoreLogoff and, when its reference count reaches zero, calls
 * StoreLogoffTransports on the support with that flag (ABORT if none) and
 * then releases the support, as a MAPI store provider does. The contract
 * holds for it as for the built-in stores. */
#ifndef UVMAPI_SUPPORT_H
#define UVMAPI_SUPPORT_H

#include "uvmapi/defs.h"
#include "uvmapi/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmapi_store_provider uvmapi_store_provider;
typedef struct uvmapi_support uvmapi_support;

/* Implemented by the host; called on the loop thread, except the final
 * Release, which comes from the thread that destroys the runtime. Each call
 * either does all it says or nothing. ListFolder and GetFolderCount must not
 * fail: the runtime would take the folder for empty. */
#define UVMAPI_STORE_PROVIDER_VTBL_VERSION 1
typedef struct uvmapi_store_provider_vtbl {
  uint32_t version; /* UVMAPI_STORE_PROVIDER_VTBL_VERSION the host was built with. */
  uvmapi_hresult (*QueryInterface)(uvmapi_store_provider* self, const uvmapi_iid* iid,
                                   void** object);
  uint32_t (*AddRef)(uvmapi_store_provider* self);
  uint32_t (*Release)(uvmapi_store_provider* self);
  /* Stores a copy of message in folder for good and returns a new id, never
   * reused. */
  uvmapi_hresult (*AddMessage)(uvmapi_store_provider* self, uvmapi_folder folder,
                               const uvmapi_message* message, uint64_t* id);
  /* Moves a message as one step. MAPI_E_NOT_FOUND if it is not in from. */
  uvmapi_hresult (*MoveMessage)(uvmapi_store_provider* self, uint64_t id, uvmapi_folder from,
                                uvmapi_folder to);
  /* Fills *message; what it points to must stay valid until the next call
   * into this provider. MAPI_E_NOT_FOUND for an unknown id. */
  uvmapi_hresult (*ReadMessage)(uvmapi_store_provider* self, uint64_t id, uvmapi_message* message);
  /* Up to capacity ids in arrival order; *count is the folder's size. */
  uvmapi_hresult (*ListFolder)(uvmapi_store_provider* self, uvmapi_folder folder, uint64_t* ids,
                               uint32_t capacity, uint32_t* count);
  uvmapi_hresult (*GetFolderCount)(uvmapi_store_provider* self, uvmapi_folder folder,
                                   uint32_t* count);
} uvmapi_store_provider_vtbl;

struct uvmapi_store_provider {
  const uvmapi_store_provider_vtbl* lpVtbl;
};

/* Implemented by the runtime; any thread may call. */
#define UVMAPI_SUPPORT_VTBL_VERSION 1
typedef struct uvmapi_support_vtbl {
  uint32_t version;
  uvmapi_hresult (*QueryInterface)(uvmapi_support* self, const uvmapi_iid* iid, void** object);
  uint32_t (*AddRef)(uvmapi_support* self);
  /* The last release logs the store off with ABORT if StoreLogoffTransports
   * was never called. */
  uint32_t (*Release)(uvmapi_support* self);
  /* IMAPISupport::StoreLogoffTransports. *flags: exactly one LOGOFF_ input
   * flag; on return the flags at return (LOGOFF_COMPLETE and activity bits).
   * Blocks until control returns: at once for NO_WAIT, ORDERLY and QUIET,
   * after the work for PURGE and ABORT (which are therefore refused on the
   * loop thread). The final outcome reaches the runtime's on_logoff callback.
   * When the result holds LOGOFF_COMPLETE, only Release may follow. */
  uvmapi_hresult (*StoreLogoffTransports)(uvmapi_support* self, uint32_t* flags);
  /* A client submitted a message: it is added to the provider's Outbox and
   * the spooler takes it from there. MAPI_E_BUSY while logging off. */
  uvmapi_hresult (*SubmitMessage)(uvmapi_support* self, const uvmapi_message* message,
                                  uint64_t* id);
  /* The store's activity bits, for the provider's own StoreLogoff. */
  uvmapi_hresult (*GetActivity)(uvmapi_support* self, uint32_t* activity);
} uvmapi_support_vtbl;

struct uvmapi_support {
  const uvmapi_support_vtbl* lpVtbl;
};

UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_store_provider;
UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_support;

/* Logs on to the provider's store under name. The runtime holds a reference
 * to provider until it is destroyed: the store's messages outlive its logons,
 * as a built-in store's do. A second logon with the same
 * name and provider shares the store (the shared-store rule applies); the
 * same name with another provider, or a built-in store's name, is refused
 * with MAPI_E_INVALID_PARAMETER. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_logon_store_provider(uvmapi_runtime* runtime,
                                                                 const char* name,
                                                                 uvmapi_store_provider* provider,
                                                                 uvmapi_support** support);

/* Flat forms of the support vtable. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_support_add_ref(uvmapi_support* support, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_support_release(uvmapi_support* support, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_support_store_logoff_transports(uvmapi_support* support,
                                                                    uint32_t* flags);
UVMAPI_EXTERN uvmapi_hresult uvmapi_support_submit(uvmapi_support* support,
                                                   const uvmapi_message* message, uint64_t* id);
UVMAPI_EXTERN uvmapi_hresult uvmapi_support_activity(uvmapi_support* support, uint32_t* activity);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_SUPPORT_H */
