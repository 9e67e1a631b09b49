/* The runtime: a libuv loop that runs the stores, their spoolers and the
 * transports. Its functions may be called from any thread; they hand the
 * work to the loop thread and wait for it (on the loop thread they run at once).
 *
 * Every function returns an HRESULT. On failure, uvmapi_last_error_message()
 * tells the calling thread why, in a sentence. */
#ifndef UVMAPI_RUNTIME_H
#define UVMAPI_RUNTIME_H

#include "uvmapi/defs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmapi_runtime uvmapi_runtime;

/* The error of the calling thread's last failed call (S_OK after a success),
 * and a sentence about it. The text stays valid until this thread's next call. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_last_error(void);
UVMAPI_EXTERN const char* uvmapi_last_error_message(void);
/* "MAPI_E_BUSY" and so on, in static storage; for codes it does not know,
 * the hex value in a per-thread buffer valid until this thread's next call. */
UVMAPI_EXTERN const char* uvmapi_hresult_name(uvmapi_hresult hr);

/* Called on the loop thread with the final outcome of every logoff. */
typedef void (*uvmapi_logoff_callback)(void* context, const char* store_name,
                                       const uvmapi_logoff_outcome* outcome);

#define UVMAPI_RUNTIME_OPTIONS_VERSION 1
typedef struct uvmapi_runtime_options {
  uint32_t version; /* UVMAPI_RUNTIME_OPTIONS_VERSION */
  /* NULL: the runtime runs its own loop on its own thread (the default).
   * Otherwise a uv_loop_t* that the host drives with uv_run on the thread
   * that calls uvmapi_runtime_create. */
  void* host_loop;
  /* How long NO_WAIT, ORDERLY and PURGE may drain before they become ABORT;
   * 0 means the default, 30000. */
  uint32_t drain_deadline_ms;
  /* How long an abort waits for the transports to stop; 0 means 5000. */
  uint32_t abort_deadline_ms;
  uvmapi_logoff_callback on_logoff; /* May be NULL. */
  void* on_logoff_context;
} uvmapi_runtime_options;
#define UVMAPI_RUNTIME_OPTIONS_INIT \
  { UVMAPI_RUNTIME_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL }

/* Fills options with the defaults of the given version (for languages that
 * cannot use the _INIT macro). */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_options_init(uvmapi_runtime_options* options,
                                                         uint32_t version);

/* options may be NULL for the defaults. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_create(const uvmapi_runtime_options* options,
                                                   uvmapi_runtime** runtime);

/* Logs off every store still open (each with its saved flag, or ABORT), ends
 * by force what would not log off, and stops the loop. Returns within about
 * drain + 2 x abort deadline. Embedded loop: any thread but the loop's. Host
 * loop: the loop's thread, while uv_run is not running. A second call returns
 * S_OK. Afterwards every store handle fails with MAPI_E_INVALID_OBJECT. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_shutdown(uvmapi_runtime* runtime);

/* Shuts down if needed and frees the runtime. The handle is invalid afterwards. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_destroy(uvmapi_runtime* runtime);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_RUNTIME_H */
