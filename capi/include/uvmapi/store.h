/* Message stores as clients see them: a COM-style IMsgStore. A handle is a
 * struct whose first member points to a const vtable; QueryInterface, AddRef
 * and Release come first. The flat uvmapi_store_* functions make the same
 * calls for hosts that prefer functions.
 *
 * Any thread may call. A handle whose store was released answers every call
 * but Release with MAPI_E_INVALID_OBJECT; Release on it succeeds with a
 * count of zero. This holds while the released handle is among the 4096
 * most recently released ones; a pointer older than that is undefined. */
#ifndef UVMAPI_STORE_H
#define UVMAPI_STORE_H

#include "uvmapi/defs.h"
#include "uvmapi/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmapi_store uvmapi_store;

/* A message the library allocated for the caller: free with uvmapi_message_free. */
typedef struct uvmapi_message_data {
  uvmapi_message message;
} uvmapi_message_data;

#define UVMAPI_STORE_VTBL_VERSION 1
typedef struct uvmapi_store_vtbl {
  uint32_t version; /* Slots are only ever added at the end. */
  uvmapi_hresult (*QueryInterface)(uvmapi_store* self, const uvmapi_iid* iid, void** object);
  uint32_t (*AddRef)(uvmapi_store* self);
  /* The release that drops the count to zero logs the store off with the
   * flag saved by StoreLogoff (ABORT if none). */
  uint32_t (*Release)(uvmapi_store* self);
  /* Validates and saves *flags (exactly one LOGOFF_ input flag); nothing
   * else happens. On return *flags holds the store's activity bits. */
  uvmapi_hresult (*StoreLogoff)(uvmapi_store* self, uint32_t* flags);
  /* Puts a message in the Outbox for the transports; *id (id may be NULL)
   * names it in this store. The message needs at least one recipient
   * (MAPI_E_INVALID_PARAMETER otherwise). MAPI_E_BUSY while the store logs
   * off: the message was not taken. */
  uvmapi_hresult (*SubmitMessage)(uvmapi_store* self, const uvmapi_message* message, uint64_t* id);
  uvmapi_hresult (*GetFolderCount)(uvmapi_store* self, uvmapi_folder folder, uint32_t* count);
  /* Writes up to capacity ids, oldest first; *count is the folder's size. */
  uvmapi_hresult (*ListFolder)(uvmapi_store* self, uvmapi_folder folder, uint64_t* ids,
                               uint32_t capacity, uint32_t* count);
  uvmapi_hresult (*ReadMessage)(uvmapi_store* self, uint64_t id, uvmapi_message_data** message);
  /* The activity bits (LOGOFF_INBOUND/OUTBOUND/OUTBOUND_QUEUE) without saving anything. */
  uvmapi_hresult (*GetActivity)(uvmapi_store* self, uint32_t* activity);
} uvmapi_store_vtbl;

struct uvmapi_store {
  const uvmapi_store_vtbl* lpVtbl;
};

UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_unknown;
UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_store;

#define UVMAPI_STORE_OPTIONS_VERSION 1
typedef struct uvmapi_store_options {
  uint32_t version; /* UVMAPI_STORE_OPTIONS_VERSION */
  /* Stores with the same name are the same store: a second open shares it.
   * May be NULL when path is given: the path is the name then. */
  const char* name;
  /* NULL: an in-memory store that lives as long as the runtime. Otherwise
   * the directory of a durable store (Maildir folders Inbox, Outbox and
   * Sent, created when missing; see docs/store.md). Other processes may
   * open the same directory: the shared-store rule holds across them. */
  const char* path;
} uvmapi_store_options;
#define UVMAPI_STORE_OPTIONS_INIT \
  { UVMAPI_STORE_OPTIONS_VERSION, NULL, NULL }

/* Logs on to a store; *store holds one reference. MAPI_E_BUSY while the
 * store's last opener is logging off. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_open(uvmapi_runtime* runtime,
                                               const uvmapi_store_options* options,
                                               uvmapi_store** store);

/* Flat forms of the vtable. AddRef and Release report the new count through
 * *count (may be NULL). */
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_add_ref(uvmapi_store* store, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_release(uvmapi_store* store, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_logoff(uvmapi_store* store, uint32_t* flags);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_submit(uvmapi_store* store, const uvmapi_message* message,
                                                 uint64_t* id);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_folder_count(uvmapi_store* store, uvmapi_folder folder,
                                                       uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_list(uvmapi_store* store, uvmapi_folder folder,
                                               uint64_t* ids, uint32_t capacity, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_read(uvmapi_store* store, uint64_t id,
                                               uvmapi_message_data** message);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_activity(uvmapi_store* store, uint32_t* activity);
UVMAPI_EXTERN void uvmapi_message_free(uvmapi_message_data* message);

/* The one-call logoff: StoreLogoff(flag), then the release of the caller's
 * reference, which must be the last one (else MAPI_E_BUSY, and nothing
 * changes). The handle is gone afterwards, whatever the outcome.
 *
 * _wait blocks until the final outcome or timeout_ms (MAPI_E_TIMEOUT, with
 * *outcome filled as far as known); it fails on the loop thread.
 * _async returns at once and calls done (which must not be NULL) once, on
 * the loop thread, with the final outcome.
 *
 * The flag is checked first (MAPI_E_INVALID_PARAMETER, MAPI_E_UNKNOWN_FLAGS),
 * then the reference count; on either error the handle stays valid. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_logoff_wait(uvmapi_store* store, uint32_t flag,
                                                      uint32_t timeout_ms,
                                                      uvmapi_logoff_outcome* outcome);
typedef void (*uvmapi_logoff_done)(void* context, const uvmapi_logoff_outcome* outcome);
UVMAPI_EXTERN uvmapi_hresult uvmapi_store_logoff_async(uvmapi_store* store, uint32_t flag,
                                                       uvmapi_logoff_done done, void* context);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_STORE_H */
