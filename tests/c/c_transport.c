/* The scripted C transport (see c_transport.h for what it can do).
 *
 * Its answers from inside the runtime's callbacks (a cancel, an immediate
 * completion, FlushComplete) go through the xpsupport vtable; the script's
 * calls from the test threads go through the flat uvmapi_xpsupport_*
 * functions. Both forms of the ABI are therefore used on every run. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "c_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_time.h"

/* The handle the runtime holds is the session's first member. */
#define SESSION(self) ((ct_session*)(void*)(self))

static void lock(ct_provider* provider) {
  pthread_mutex_lock(&provider->mutex);
}

/* Every unlock after a change wakes the waiters: they re-check their condition. */
static void unlock_changed(ct_provider* provider) {
  pthread_cond_broadcast(&provider->changed);
  pthread_mutex_unlock(&provider->mutex);
}

static void unlock(ct_provider* provider) {
  pthread_mutex_unlock(&provider->mutex);
}

static int same_iid(const uvmapi_iid* a, const uvmapi_iid* b) {
  return memcmp(a, b, sizeof *a) == 0;
}

static int same_content(const char* stored, size_t size, const uvmapi_message* message) {
  return size == message->content_size && memcmp(stored, message->content, size) == 0;
}

/* Copies a message's content; a content too big for the table marks the
 * session as overflowed, which the harness reports as a failure. */
static void copy_content(ct_session* session, char* out, size_t* size,
                         const uvmapi_message* message) {
  size_t n = message->content ? message->content_size : 0;
  if (n >= CT_CONTENT_MAX) {
    session->overflow = 1;
    n = CT_CONTENT_MAX - 1;
  }
  if (n) memcpy(out, message->content, n);
  out[n] = '\0';
  *size = n;
}

static void record_delivered(ct_session* session, const char* content) {
  size_t n = strlen(content);
  char* slot;
  if (session->delivered_count == CT_MAX_ITEMS) {
    session->overflow = 1;
    return;
  }
  /* content lives in another table of the same session: memmove, not a
   * restrict-qualified copy. It is shorter than CT_CONTENT_MAX already. */
  slot = session->delivered[session->delivered_count++];
  memmove(slot, content, n);
  slot[n] = '\0';
}

/* What a remote message looks like when it is committed to the Inbox. */
static uvmapi_message inbound_message(const ct_item* item, const char* const* recipients) {
  uvmapi_message message = UVMAPI_MESSAGE_INIT;
  message.sender = "remote@example.org";
  message.recipients = recipients;
  message.recipient_count = 1;
  message.content = item->content;
  message.content_size = item->size;
  return message;
}

uvmapi_xpsupport* ct_get_xp(ct_session* session) {
  uvmapi_xpsupport* xp = NULL;
  lock(session->provider);
  if (session->refs > 0 && session->xp) {
    ++session->refs;
    xp = session->xp;
  }
  unlock(session->provider);
  return xp;
}

/* Drops one session reference; the last one drops our xpsupport reference,
 * outside the mutex like every call into the library. */
static uint32_t put_session(ct_session* session) {
  uvmapi_xpsupport* drop = NULL;
  uint32_t refs;
  lock(session->provider);
  if (session->refs > 0) --session->refs;
  refs = session->refs;
  if (refs == 0) {
    drop = session->xp;
    session->xp = NULL;
  }
  unlock_changed(session->provider);
  if (drop) drop->lpVtbl->Release(drop);
  return refs;
}

void ct_put_xp(ct_session* session) {
  put_session(session);
}

/* --- The transport vtable (the runtime's loop thread) ---------------------- */

static uvmapi_hresult ct_query_interface(uvmapi_transport* self, const uvmapi_iid* iid,
                                         void** object) {
  ct_session* session = SESSION(self);
  if (iid == NULL || object == NULL) return MAPI_E_INVALID_PARAMETER;
  if (same_iid(iid, &uvmapi_iid_unknown) || same_iid(iid, &uvmapi_iid_transport)) {
    lock(session->provider);
    ++session->refs;
    unlock(session->provider);
    *object = self;
    return UVMAPI_S_OK;
  }
  *object = NULL;
  return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static uint32_t ct_add_ref(uvmapi_transport* self) {
  ct_session* session = SESSION(self);
  uint32_t refs;
  lock(session->provider);
  refs = ++session->refs;
  unlock(session->provider);
  return refs;
}

static uint32_t ct_release(uvmapi_transport* self) {
  return put_session(SESSION(self));
}

static uvmapi_hresult ct_submit_message(uvmapi_transport* self, uint64_t send,
                                        const uvmapi_message* message) {
  ct_session* session = SESSION(self);
  ct_provider* provider = session->provider;
  ct_submit_hook hook;
  void* hook_context;
  int complete_now = 0;
  ct_item* item;
  uvmapi_xpsupport* xp;

  lock(provider);
  hook = provider->submit_hook;
  hook_context = provider->submit_hook_context;
  unlock(provider);
  if (hook) hook(hook_context, session);

  lock(provider);
  ++session->submits;
  if (session->send_count >= session->capacity || session->send_count == CT_MAX_ITEMS) {
    unlock_changed(provider);
    return MAPI_E_BUSY;
  }
  /* Even a send completed at once passes through the table, for its content. */
  item = &session->sends[session->send_count];
  item->id = send;
  item->receive = 0;
  copy_content(session, item->content, &item->size, message);
  if (session->auto_complete) {
    record_delivered(session, item->content);
    complete_now = 1;
  } else {
    ++session->send_count;
  }
  unlock_changed(provider);

  if (complete_now && (xp = ct_get_xp(session)) != NULL) {
    /* Allowed before returning: the runtime keeps the send from the moment it offers it. */
    xp->lpVtbl->CompleteSend(xp, send, UVMAPI_S_OK);
    ct_put_xp(session);
  }
  return UVMAPI_S_OK;
}

static void ct_flush_queues(uvmapi_transport* self, uint32_t flags) {
  ct_session* session = SESSION(self);
  ct_provider* provider = session->provider;
  uint64_t keys[CT_MAX_ITEMS];
  size_t key_count = 0, i;
  int answer;
  uvmapi_xpsupport* xp;

  lock(provider);
  if (session->flush_count < CT_MAX_NOTES) session->flushes[session->flush_count++] = flags;
  answer = !session->hung && !session->ignore_flush;
  unlock_changed(provider);
  if (!answer) return;

  if (flags & FLUSH_UPLOAD) {
    /* A forced upload sends everything: what it held and what it refused. */
    ct_set_auto_complete(session, 1);
    ct_finish_sends(session, UVMAPI_S_OK);
    ct_set_capacity(session, CT_UNLIMITED);
  }
  if (flags & FLUSH_DOWNLOAD) {
    lock(provider);
    for (i = 0; i < session->source_count; ++i) {
      if (session->source[i].receive == 0) keys[key_count++] = session->source[i].id;
    }
    unlock(provider);
    for (i = 0; i < key_count; ++i) {
      uvmapi_hresult begun = UVMAPI_S_OK;
      uint64_t receive = 0;
      if ((xp = ct_get_xp(session)) == NULL) break;
      begun = xp->lpVtbl->BeginInbound(xp, &receive);
      ct_put_xp(session);
      if (UVMAPI_FAILED(begun)) break; /* The store takes no more: the rest stays at the source. */
      lock(provider);
      for (size_t j = 0; j < session->source_count; ++j) {
        if (session->source[j].id == keys[i]) session->source[j].receive = receive;
      }
      unlock_changed(provider);
    }
    ct_commit_receives(session);
  }
  if ((xp = ct_get_xp(session)) != NULL) {
    xp->lpVtbl->FlushComplete(xp);
    ct_put_xp(session);
  }
}

static void ct_transport_notify(uvmapi_transport* self, uint32_t flags, uint64_t activity) {
  ct_session* session = SESSION(self);
  ct_provider* provider = session->provider;
  enum { NOTHING, CANCEL_SEND, CANCEL_RECEIVE } action = NOTHING;
  size_t i;
  uvmapi_xpsupport* xp;

  lock(provider);
  if (session->note_count < CT_MAX_NOTES) {
    session->notes[session->note_count++] = flags;
  } else {
    session->overflow = 1;
  }
  if ((flags & NOTIFY_CANCEL_MESSAGE) && !session->hung) {
    for (i = 0; i < session->send_count && action == NOTHING; ++i) {
      if (session->sends[i].id != activity) continue;
      memmove(&session->sends[i], &session->sends[i + 1],
              (session->send_count - i - 1) * sizeof session->sends[0]);
      --session->send_count;
      action = CANCEL_SEND;
    }
    for (i = 0; i < session->source_count && action == NOTHING; ++i) {
      if (session->source[i].receive != activity) continue;
      session->source[i].receive = 0; /* The message stays at the source. */
      action = CANCEL_RECEIVE;
    }
    if (action != NOTHING) ++session->cancels;
  }
  unlock_changed(provider);

  if (action == NOTHING || (xp = ct_get_xp(session)) == NULL) return;
  if (action == CANCEL_SEND) {
    xp->lpVtbl->CompleteSend(xp, activity, MAPI_E_USER_CANCEL);
  } else {
    xp->lpVtbl->AbortInbound(xp, activity);
  }
  ct_put_xp(session);
}

static void ct_transport_logoff(uvmapi_transport* self, uint32_t flags) {
  ct_session* session = SESSION(self);
  size_t i;
  lock(session->provider);
  session->logged_off = 1;
  session->logoff_flags = flags;
  ++session->logoff_calls;
  /* Whatever was in flight is abandoned: sends stay in the store's Outbox,
   * receives at the source. */
  session->send_count = 0;
  for (i = 0; i < session->source_count; ++i) session->source[i].receive = 0;
  unlock_changed(session->provider);
}

static const uvmapi_transport_vtbl ct_vtbl = {
    UVMAPI_TRANSPORT_VTBL_VERSION,
    ct_query_interface,
    ct_add_ref,
    ct_release,
    ct_submit_message,
    ct_flush_queues,
    ct_transport_notify,
    ct_transport_logoff,
};

static uvmapi_hresult ct_transport_logon(void* context, const char* store_name,
                                         uvmapi_xpsupport* support, uvmapi_transport** out) {
  ct_provider* provider = (ct_provider*)context;
  ct_session* session;
  if (store_name == NULL || support == NULL || out == NULL) return MAPI_E_INVALID_PARAMETER;
  session = (ct_session*)calloc(1, sizeof *session);
  if (session == NULL) return MAPI_E_NOT_ENOUGH_MEMORY;
  session->iface.lpVtbl = &ct_vtbl;
  session->provider = provider;
  snprintf(session->store_name, sizeof session->store_name, "%s", store_name);
  session->refs = 1; /* The runtime's. */
  session->next_source_key = 1;
  support->lpVtbl->AddRef(support); /* Kept to answer later, from any thread. */
  session->xp = support;

  lock(provider);
  if (provider->session_count == CT_MAX_SESSIONS) {
    unlock(provider);
    support->lpVtbl->Release(support);
    free(session);
    return MAPI_E_NOT_ENOUGH_MEMORY;
  }
  session->capacity = provider->default_capacity;
  provider->sessions[provider->session_count++] = session;
  unlock_changed(provider);
  *out = &session->iface;
  return UVMAPI_S_OK;
}

/* --- The provider ----------------------------------------------------------- */

void ct_provider_init(ct_provider* provider) {
  memset(provider, 0, sizeof *provider);
  pthread_mutex_init(&provider->mutex, NULL);
  pthread_cond_init(&provider->changed, NULL);
  provider->default_capacity = CT_UNLIMITED;
  provider->registration.version = UVMAPI_TRANSPORT_PROVIDER_VERSION;
  provider->registration.context = provider;
  provider->registration.TransportLogon = ct_transport_logon;
}

unsigned ct_provider_destroy(ct_provider* provider) {
  unsigned unreleased = 0;
  size_t i;
  for (i = 0; i < provider->session_count; ++i) {
    /* A session the runtime still holds keeps its xpsupport reference: the
     * runtime is gone, so it is leaked rather than released late. */
    if (provider->sessions[i]->refs != 0) ++unreleased;
    free(provider->sessions[i]);
  }
  provider->session_count = 0;
  pthread_cond_destroy(&provider->changed);
  pthread_mutex_destroy(&provider->mutex);
  return unreleased;
}

uvmapi_hresult ct_provider_register(ct_provider* provider, uvmapi_runtime* runtime) {
  return uvmapi_runtime_add_transport_provider(runtime, &provider->registration);
}

ct_session* ct_provider_session(ct_provider* provider, const char* store_name) {
  ct_session* found = NULL;
  size_t i;
  lock(provider);
  for (i = provider->session_count; i-- > 0 && found == NULL;) {
    if (strcmp(provider->sessions[i]->store_name, store_name) == 0) found = provider->sessions[i];
  }
  unlock(provider);
  return found;
}

size_t ct_provider_session_count(ct_provider* provider) {
  size_t count;
  lock(provider);
  count = provider->session_count;
  unlock(provider);
  return count;
}

void ct_set_default_capacity(ct_provider* provider, size_t capacity) {
  lock(provider);
  provider->default_capacity = capacity;
  unlock(provider);
}

void ct_set_submit_hook(ct_provider* provider, ct_submit_hook hook, void* context) {
  lock(provider);
  provider->submit_hook = hook;
  provider->submit_hook_context = context;
  unlock(provider);
}

/* --- The script ------------------------------------------------------------- */

void ct_set_capacity(ct_session* session, size_t capacity) {
  int more;
  uvmapi_xpsupport* xp;
  lock(session->provider);
  more = capacity > session->capacity && !session->logged_off;
  session->capacity = capacity;
  unlock_changed(session->provider);
  if (more && (xp = ct_get_xp(session)) != NULL) {
    uvmapi_xpsupport_notify_ready(xp);
    ct_put_xp(session);
  }
}

#define CT_SETTER(name, field)                \
  void name(ct_session* session, int value) { \
    lock(session->provider);                  \
    session->field = value;                   \
    unlock_changed(session->provider);        \
  }
CT_SETTER(ct_set_auto_complete, auto_complete)
CT_SETTER(ct_set_hung, hung)
CT_SETTER(ct_set_ignore_flush, ignore_flush)

size_t ct_finish_sends(ct_session* session, uvmapi_hresult result) {
  ct_item sends[CT_MAX_ITEMS];
  size_t count, i;
  uvmapi_xpsupport* xp;
  lock(session->provider);
  count = session->send_count;
  memcpy(sends, session->sends, count * sizeof sends[0]);
  session->send_count = 0;
  /* The peer has them before the spooler hears of it. */
  for (i = 0; i < count && result == UVMAPI_S_OK; ++i) record_delivered(session, sends[i].content);
  unlock_changed(session->provider);
  if (count == 0 || (xp = ct_get_xp(session)) == NULL) return count;
  for (i = 0; i < count; ++i) uvmapi_xpsupport_complete_send(xp, sends[i].id, result);
  ct_put_xp(session);
  return count;
}

uvmapi_hresult ct_arrive(ct_session* session, const uvmapi_message* message, int begin) {
  uint64_t key, receive = 0;
  uvmapi_hresult result;
  size_t i;
  uvmapi_xpsupport* xp;
  lock(session->provider);
  if (session->source_count == CT_MAX_ITEMS) {
    session->overflow = 1;
    unlock(session->provider);
    return MAPI_E_NOT_ENOUGH_MEMORY;
  }
  key = session->next_source_key++;
  session->source[session->source_count].id = key;
  session->source[session->source_count].receive = 0;
  copy_content(session, session->source[session->source_count].content,
               &session->source[session->source_count].size, message);
  ++session->source_count;
  unlock_changed(session->provider);
  if (!begin) return UVMAPI_S_OK;

  if ((xp = ct_get_xp(session)) == NULL) return MAPI_E_INVALID_OBJECT;
  result = uvmapi_xpsupport_begin_inbound(xp, &receive);
  ct_put_xp(session);
  if (UVMAPI_FAILED(result)) return result; /* Refused: it stays at the source. */
  lock(session->provider);
  for (i = 0; i < session->source_count; ++i) {
    if (session->source[i].id == key) session->source[i].receive = receive;
  }
  unlock_changed(session->provider);
  return UVMAPI_S_OK;
}

size_t ct_commit_receives(ct_session* session) {
  static const char* const recipients[] = {"alice@example.org"};
  ct_item receives[CT_MAX_ITEMS];
  size_t count = 0, committed = 0, i, j;
  uvmapi_xpsupport* xp;
  lock(session->provider);
  for (i = 0; i < session->source_count; ++i) {
    if (session->source[i].receive != 0) receives[count++] = session->source[i];
  }
  unlock(session->provider);
  if (count == 0 || (xp = ct_get_xp(session)) == NULL) return 0;
  for (i = 0; i < count; ++i) {
    uvmapi_message message = inbound_message(&receives[i], recipients);
    if (UVMAPI_FAILED(uvmapi_xpsupport_commit_inbound(xp, receives[i].receive, &message))) continue;
    /* Only now that the store has it may it leave the source. */
    lock(session->provider);
    for (j = 0; j < session->source_count; ++j) {
      if (session->source[j].id != receives[i].id) continue;
      memmove(&session->source[j], &session->source[j + 1],
              (session->source_count - j - 1) * sizeof session->source[0]);
      --session->source_count;
      break;
    }
    unlock_changed(session->provider);
    ++committed;
  }
  ct_put_xp(session);
  return committed;
}

void ct_finish_everything(ct_session* session) {
  ct_set_auto_complete(session, 1);
  if (ct_logged_off(session)) return;
  ct_finish_sends(session, UVMAPI_S_OK);
  ct_commit_receives(session);
  ct_set_capacity(session, CT_UNLIMITED);
}

/* --- What it saw ------------------------------------------------------------ */

#define CT_GETTER(type, name, expression) \
  type name(ct_session* session) {        \
    type value;                           \
    lock(session->provider);              \
    value = (expression);                 \
    unlock(session->provider);            \
    return value;                         \
  }
CT_GETTER(size_t, ct_sends_in_flight, session->send_count)
CT_GETTER(size_t, ct_flush_count, session->flush_count)
CT_GETTER(uint32_t, ct_last_flush,
          session->flush_count ? session->flushes[session->flush_count - 1] : 0)
CT_GETTER(unsigned, ct_submits, session->submits)
CT_GETTER(int, ct_logged_off, session->logged_off)
CT_GETTER(uint32_t, ct_logoff_flags, session->logoff_flags)
CT_GETTER(unsigned, ct_logoff_calls, session->logoff_calls)
CT_GETTER(unsigned, ct_refs, session->refs)
CT_GETTER(int, ct_overflowed, session->overflow)

size_t ct_receives_in_flight(ct_session* session) {
  size_t count = 0, i;
  lock(session->provider);
  for (i = 0; i < session->source_count; ++i) count += session->source[i].receive != 0;
  unlock(session->provider);
  return count;
}

size_t ct_at_source(ct_session* session, const uvmapi_message* message) {
  size_t count = 0, i;
  lock(session->provider);
  for (i = 0; i < session->source_count; ++i) {
    count += same_content(session->source[i].content, session->source[i].size, message);
  }
  unlock(session->provider);
  return count;
}

size_t ct_delivered(ct_session* session, const uvmapi_message* message) {
  size_t count = 0, i;
  lock(session->provider);
  for (i = 0; i < session->delivered_count; ++i) {
    count += same_content(session->delivered[i], strlen(session->delivered[i]), message);
  }
  unlock(session->provider);
  return count;
}

size_t ct_notes_with(ct_session* session, uint32_t mask) {
  size_t count = 0, i;
  lock(session->provider);
  for (i = 0; i < session->note_count; ++i) count += (session->notes[i] & mask) == mask;
  unlock(session->provider);
  return count;
}

/* Waits on the provider's condition until done(session, arg) or the deadline. */
static int wait_for(ct_session* session, int (*done)(ct_session*, uint32_t), uint32_t arg,
                    unsigned timeout_ms) {
  struct timespec deadline = test_deadline_after(timeout_ms);
  int result;
  lock(session->provider);
  while (!(result = done(session, arg))) {
    if (pthread_cond_timedwait(&session->provider->changed, &session->provider->mutex, &deadline) ==
        ETIMEDOUT) {
      result = done(session, arg);
      break;
    }
  }
  unlock(session->provider);
  return result;
}

static int saw_note(ct_session* session, uint32_t mask) {
  size_t i;
  for (i = 0; i < session->note_count; ++i) {
    if ((session->notes[i] & mask) == mask) return 1;
  }
  return 0;
}

static int is_logged_off(ct_session* session, uint32_t unused) {
  (void)unused;
  return session->logged_off;
}

int ct_wait_note(ct_session* session, uint32_t mask, unsigned timeout_ms) {
  return wait_for(session, saw_note, mask, timeout_ms);
}

int ct_wait_logged_off(ct_session* session, unsigned timeout_ms) {
  return wait_for(session, is_logged_off, 0, timeout_ms);
}
