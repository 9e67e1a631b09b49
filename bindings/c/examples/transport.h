/* An example transport written in C against <uvmapi/transport.h>.
 *
 * It stands for a connection to a mail server ("the peer"). Each session
 * holds the messages it accepted until the host says the peer acknowledged
 * them, so a host can log a store off while sends are in flight and watch
 * what each logoff mode does. It:
 *
 *   - holds up to `capacity` sends at once and refuses more with
 *     MAPI_E_BUSY (the spooler keeps them queued), calling NotifyReady when
 *     it can take sends again;
 *   - completes what it holds when the host calls
 *     example_session_complete_held, or at once in "send at once" mode;
 *   - honours NOTIFY_CANCEL_MESSAGE: the send goes back to the spooler;
 *   - answers FlushQueues: an upload flush sends everything it holds and
 *     everything offered after it, then FlushComplete;
 *   - counts what happened, for the host to print and check.
 *
 * The runtime calls a session on its loop thread, and the host calls the
 * functions below from its own thread, so the state sits under a mutex. The
 * session never calls the library while holding that mutex: a call from the
 * host's thread waits for the loop thread, which may itself be waiting for the
 * mutex inside one of the session's callbacks (docs/c-api.md, "The
 * threading rule"). */
#ifndef UVMAPI_EXAMPLE_TRANSPORT_H
#define UVMAPI_EXAMPLE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <uvmapi/uvmapi.h>

typedef struct example_provider example_provider;
typedef struct example_session example_session;

/* A provider whose sessions each hold up to capacity sends. NULL when out of
 * memory. */
example_provider* example_provider_create(unsigned capacity);
/* Registers it: stores logged on from now on get a session. */
uvmapi_hresult example_provider_register(example_provider* provider, uvmapi_runtime* runtime);
/* Frees the provider and its sessions; only after uvmapi_runtime_destroy, when
 * the runtime can no longer call them. */
void example_provider_destroy(example_provider* provider);
/* The newest session of a store, or NULL. Sessions stay readable until the
 * provider is destroyed, also after their logoff. */
example_session* example_provider_session(example_provider* provider, const char* store_name);

/* The peer acknowledged every send the session holds: each is completed with
 * S_OK and moves to Sent Items. Returns how many. Host threads only. */
unsigned example_session_complete_held(example_session* session);
/* From now on complete each send as soon as it is offered. */
void example_session_set_send_at_once(example_session* session, int on);

/* What the session saw. */
typedef struct example_session_stats {
  unsigned held;         /* Sends held right now. */
  unsigned sent;         /* Sends the peer acknowledged. */
  unsigned refused;      /* Offers refused with MAPI_E_BUSY. */
  unsigned cancelled;    /* Sends cancelled by NOTIFY_CANCEL_MESSAGE. */
  unsigned flushes;      /* FlushQueues calls. */
  int logged_off;        /* TransportLogoff was called... */
  uint32_t logoff_flags; /* ...with these flags (LOGOFF_NORMAL or LOGOFF_HURRY). */
} example_session_stats;

example_session_stats example_session_get_stats(example_session* session);

#endif /* UVMAPI_EXAMPLE_TRANSPORT_H */
