/* The example transport (see transport.h). */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99. */

#include "transport.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HELD 16
#define MAX_SESSIONS 16

struct example_session {
  uvmapi_transport iface; /* First: the pointer the runtime holds is the session's. */
  example_provider* provider;
  char store_name[64];
  /* Guarded by provider->mutex. */
  unsigned refs;        /* The runtime's reference, and ours while we call out. */
  uvmapi_xpsupport* xp; /* AddRef'ed in TransportLogon, released with the last reference. */
  unsigned capacity;
  int send_at_once;
  int wants_ready; /* A send was refused: tell the spooler when there is room. */
  uint64_t held[MAX_HELD];
  unsigned held_count;
  example_session_stats stats;
};

struct example_provider {
  pthread_mutex_t mutex;
  unsigned capacity;
  example_session* sessions[MAX_SESSIONS];
  unsigned session_count;
};

#define SESSION(self) ((example_session*)(void*)(self))

/* --- Holding a reference while calling out ---------------------------------
 * A host thread that calls the library on behalf of a session takes a
 * reference to it (and so to its xpsupport) under the mutex, drops the mutex,
 * makes the call, and gives the reference back. */

static uvmapi_xpsupport* get_xp(example_session* session) {
  uvmapi_xpsupport* xp = NULL;
  pthread_mutex_lock(&session->provider->mutex);
  if (session->refs > 0 && session->xp != NULL) {
    ++session->refs;
    xp = session->xp;
  }
  pthread_mutex_unlock(&session->provider->mutex);
  return xp;
}

static uint32_t put_session(example_session* session) {
  uvmapi_xpsupport* drop = NULL;
  uint32_t refs;
  pthread_mutex_lock(&session->provider->mutex);
  refs = --session->refs;
  if (refs == 0) {
    drop = session->xp;
    session->xp = NULL;
  }
  pthread_mutex_unlock(&session->provider->mutex);
  if (drop != NULL) drop->lpVtbl->Release(drop); /* Outside the mutex, like every call out. */
  return refs;
}

/* --- The session, as the runtime calls it (loop thread) --------------------- */

static uvmapi_hresult session_query_interface(uvmapi_transport* self, const uvmapi_iid* iid,
                                              void** object) {
  example_session* session = SESSION(self);
  if (iid == NULL || object == NULL) return MAPI_E_INVALID_PARAMETER;
  if (memcmp(iid, &uvmapi_iid_unknown, sizeof *iid) != 0 &&
      memcmp(iid, &uvmapi_iid_transport, sizeof *iid) != 0) {
    *object = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
  }
  pthread_mutex_lock(&session->provider->mutex);
  ++session->refs;
  pthread_mutex_unlock(&session->provider->mutex);
  *object = self;
  return UVMAPI_S_OK;
}

static uint32_t session_add_ref(uvmapi_transport* self) {
  example_session* session = SESSION(self);
  uint32_t refs;
  pthread_mutex_lock(&session->provider->mutex);
  refs = ++session->refs;
  pthread_mutex_unlock(&session->provider->mutex);
  return refs;
}

/* The session's memory stays with the provider, so the host can still read
 * its counts after the runtime let it go. */
static uint32_t session_release(uvmapi_transport* self) {
  return put_session(SESSION(self));
}

static uvmapi_hresult session_submit(uvmapi_transport* self, uint64_t send,
                                     const uvmapi_message* message) {
  example_session* session = SESSION(self);
  int at_once;
  (void)message; /* A real transport copies the message here and sends it. */

  pthread_mutex_lock(&session->provider->mutex);
  at_once = session->send_at_once;
  if (!at_once) {
    if (session->held_count >= session->capacity || session->held_count == MAX_HELD) {
      ++session->stats.refused;
      session->wants_ready = 1;
      pthread_mutex_unlock(&session->provider->mutex);
      return MAPI_E_BUSY; /* Not now: the message stays queued in the Outbox. */
    }
    session->held[session->held_count++] = send;
  } else {
    ++session->stats.sent;
  }
  pthread_mutex_unlock(&session->provider->mutex);

  /* On the loop thread the call runs at once, so a send may end before
   * SubmitMessage returns. */
  if (at_once) session->xp->lpVtbl->CompleteSend(session->xp, send, UVMAPI_S_OK);
  return UVMAPI_S_OK;
}

static void session_flush(uvmapi_transport* self, uint32_t flags) {
  example_session* session = SESSION(self);
  pthread_mutex_lock(&session->provider->mutex);
  ++session->stats.flushes;
  pthread_mutex_unlock(&session->provider->mutex);
  if (flags & FLUSH_UPLOAD) {
    /* Send what we hold, and everything offered after it. */
    example_session_set_send_at_once(session, 1);
    example_session_complete_held(session);
  }
  /* This transport has no remote mailbox, so FLUSH_DOWNLOAD finds nothing. */
  session->xp->lpVtbl->FlushComplete(session->xp);
}

static void session_notify(uvmapi_transport* self, uint32_t flags, uint64_t activity) {
  example_session* session = SESSION(self);
  unsigned i;
  int found = 0;
  if (!(flags & NOTIFY_CANCEL_MESSAGE)) return; /* The other notifications need no answer. */
  pthread_mutex_lock(&session->provider->mutex);
  for (i = 0; i < session->held_count && !found; ++i) {
    if (session->held[i] != activity) continue;
    session->held[i] = session->held[--session->held_count];
    ++session->stats.cancelled;
    found = 1;
  }
  pthread_mutex_unlock(&session->provider->mutex);
  /* A cancelled send goes back to the Outbox's queue, as it was. */
  if (found) session->xp->lpVtbl->CompleteSend(session->xp, activity, MAPI_E_USER_CANCEL);
}

static void session_logoff(uvmapi_transport* self, uint32_t flags) {
  example_session* session = SESSION(self);
  pthread_mutex_lock(&session->provider->mutex);
  /* What we still hold stays in the store's Outbox for the next logon. */
  session->held_count = 0;
  session->stats.logged_off = 1;
  session->stats.logoff_flags = flags;
  pthread_mutex_unlock(&session->provider->mutex);
}

static const uvmapi_transport_vtbl session_vtbl = {
    UVMAPI_TRANSPORT_VTBL_VERSION,
    session_query_interface,
    session_add_ref,
    session_release,
    session_submit,
    session_flush,
    session_notify,
    session_logoff,
};

/* IXPProvider::TransportLogon: a new session for a store. */
static uvmapi_hresult provider_logon(void* context, const char* store_name,
                                     uvmapi_xpsupport* support, uvmapi_transport** out) {
  example_provider* provider = (example_provider*)context;
  example_session* session = (example_session*)calloc(1, sizeof *session);
  if (session == NULL) return MAPI_E_NOT_ENOUGH_MEMORY;
  session->iface.lpVtbl = &session_vtbl;
  session->provider = provider;
  strncpy(session->store_name, store_name, sizeof session->store_name - 1);
  session->refs = 1; /* The runtime's. */
  session->capacity = provider->capacity;

  pthread_mutex_lock(&provider->mutex);
  if (provider->session_count == MAX_SESSIONS) {
    pthread_mutex_unlock(&provider->mutex);
    free(session);
    return MAPI_E_NOT_ENOUGH_MEMORY;
  }
  provider->sessions[provider->session_count++] = session;
  pthread_mutex_unlock(&provider->mutex);

  /* Kept to answer later from the host's threads. */
  support->lpVtbl->AddRef(support);
  session->xp = support;
  *out = &session->iface;
  return UVMAPI_S_OK;
}

/* --- The provider and the host's side --------------------------------------- */

example_provider* example_provider_create(unsigned capacity) {
  example_provider* provider = (example_provider*)calloc(1, sizeof *provider);
  if (provider == NULL) return NULL;
  pthread_mutex_init(&provider->mutex, NULL);
  provider->capacity = capacity;
  return provider;
}

uvmapi_hresult example_provider_register(example_provider* provider, uvmapi_runtime* runtime) {
  uvmapi_transport_provider registration = UVMAPI_TRANSPORT_PROVIDER_INIT;
  registration.context = provider;
  registration.TransportLogon = provider_logon;
  return uvmapi_runtime_add_transport_provider(runtime, &registration);
}

void example_provider_destroy(example_provider* provider) {
  unsigned i;
  if (provider == NULL) return;
  for (i = 0; i < provider->session_count; ++i) free(provider->sessions[i]);
  pthread_mutex_destroy(&provider->mutex);
  free(provider);
}

example_session* example_provider_session(example_provider* provider, const char* store_name) {
  example_session* found = NULL;
  unsigned i;
  pthread_mutex_lock(&provider->mutex);
  for (i = provider->session_count; i-- > 0 && found == NULL;) {
    if (strcmp(provider->sessions[i]->store_name, store_name) == 0) {
      found = provider->sessions[i];
    }
  }
  pthread_mutex_unlock(&provider->mutex);
  return found;
}

unsigned example_session_complete_held(example_session* session) {
  uint64_t held[MAX_HELD];
  unsigned count, i;
  int ready;
  uvmapi_xpsupport* xp = get_xp(session);
  if (xp == NULL) return 0; /* The runtime let the session go. */

  pthread_mutex_lock(&session->provider->mutex);
  count = session->held_count;
  memcpy(held, session->held, count * sizeof held[0]);
  session->held_count = 0;
  session->stats.sent += count;
  ready = session->wants_ready && !session->stats.logged_off;
  session->wants_ready = 0;
  pthread_mutex_unlock(&session->provider->mutex);

  for (i = 0; i < count; ++i) xp->lpVtbl->CompleteSend(xp, held[i], UVMAPI_S_OK);
  /* There is room again for what we refused. */
  if (ready) xp->lpVtbl->NotifyReady(xp);
  put_session(session);
  return count;
}

void example_session_set_send_at_once(example_session* session, int on) {
  pthread_mutex_lock(&session->provider->mutex);
  session->send_at_once = on;
  pthread_mutex_unlock(&session->provider->mutex);
}

example_session_stats example_session_get_stats(example_session* session) {
  example_session_stats stats;
  pthread_mutex_lock(&session->provider->mutex);
  stats = session->stats;
  stats.held = session->held_count;
  pthread_mutex_unlock(&session->provider->mutex);
  return stats;
}
