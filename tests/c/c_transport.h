/* A transport written in C against uvmapi/transport.h, scripted by the tests.
 *
 * The runtime calls a session on its loop thread; the tests drive it from the
 * main thread (or a helper thread). Both touch the same state, so it sits
 * under the provider's mutex. No xpsupport call is ever made while that mutex
 * is held: an xpsupport call from another thread waits for the loop thread,
 * and the loop thread may be waiting for the mutex inside one of our callbacks.
 *
 * What a session can do:
 *   - hold each accepted send in flight until ct_finish_sends ends it;
 *   - refuse sends when it already holds `capacity` of them (MAPI_E_BUSY);
 *   - put a message at its source (the remote mailbox), begin delivering it
 *     and hold the delivery, then commit it;
 *   - honour NOTIFY_CANCEL_MESSAGE (CompleteSend with MAPI_E_USER_CANCEL for
 *     a send, AbortInbound for a receive);
 *   - answer FlushQueues: upload sends what it holds and takes everything
 *     after; download fetches what waits at the source; then FlushComplete;
 *   - hang (ignore cancels and flushes), or ignore flushes only;
 *   - record what it saw: notifications, flushes, TransportLogoff flags, and
 *     the contents the peer accepted. */
#ifndef UVMAPI_C_TESTS_C_TRANSPORT_H
#define UVMAPI_C_TESTS_C_TRANSPORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "uvmapi/uvmapi.h"

#define CT_UNLIMITED ((size_t)-1)
#define CT_MAX_SESSIONS 16
#define CT_MAX_ITEMS 128
#define CT_MAX_NOTES 32
#define CT_CONTENT_MAX 192

typedef struct ct_provider ct_provider;

typedef struct ct_item {
  uint64_t id;      /* A send: the runtime's send id. At the source: our key. */
  uint64_t receive; /* At the source: the receive in flight, or 0. */
  size_t size;
  char content[CT_CONTENT_MAX];
} ct_item;

typedef struct ct_session {
  uvmapi_transport iface; /* First member: the handle the runtime holds. */
  ct_provider* provider;
  char store_name[64];
  /* Everything below is guarded by provider->mutex. */
  unsigned refs;
  uvmapi_xpsupport* xp; /* Our reference, dropped with our last one. */
  size_t capacity;
  int auto_complete; /* The peer accepts each send at once. */
  int hung;          /* Ignores cancels and flushes: never answers. */
  int ignore_flush;  /* Ignores flushes but honours cancels. */
  ct_item sends[CT_MAX_ITEMS];
  size_t send_count;
  ct_item source[CT_MAX_ITEMS];
  size_t source_count;
  uint64_t next_source_key;
  char delivered[CT_MAX_ITEMS][CT_CONTENT_MAX];
  size_t delivered_count;
  uint32_t notes[CT_MAX_NOTES]; /* TransportNotify flags, in order. */
  size_t note_count;
  uint32_t flushes[CT_MAX_NOTES];
  size_t flush_count;
  unsigned submits; /* SubmitMessage calls, accepted or not. */
  unsigned cancels;
  int logged_off;
  uint32_t logoff_flags;
  unsigned logoff_calls;
  int overflow; /* A table above was full: the test is too big for this transport. */
} ct_session;

/* Called on the loop thread at the start of SubmitMessage, without the mutex,
 * so it may call into the library (the misuse tests call blocking functions
 * there to prove they are refused on the loop thread). */
typedef void (*ct_submit_hook)(void* context, ct_session* session);

struct ct_provider {
  pthread_mutex_t mutex;
  pthread_cond_t changed;  /* Broadcast after every change of any session. */
  size_t default_capacity; /* For sessions logged on from now on. */
  ct_session* sessions[CT_MAX_SESSIONS];
  size_t session_count;
  ct_submit_hook submit_hook;
  void* submit_hook_context;
  uvmapi_transport_provider registration;
};

void ct_provider_init(ct_provider* provider);
/* Frees the sessions: only after the runtime was destroyed. Returns how many
 * sessions the runtime never released (they should all have been). */
unsigned ct_provider_destroy(ct_provider* provider);
uvmapi_hresult ct_provider_register(ct_provider* provider, uvmapi_runtime* runtime);
/* The newest session of a store, or NULL. */
ct_session* ct_provider_session(ct_provider* provider, const char* store_name);
size_t ct_provider_session_count(ct_provider* provider);
void ct_set_default_capacity(ct_provider* provider, size_t capacity);
void ct_set_submit_hook(ct_provider* provider, ct_submit_hook hook, void* context);

/* --- The script (any thread but inside callbacks of other sessions) ------- */

/* Raising the capacity tells the spooler the session is ready again. */
void ct_set_capacity(ct_session* session, size_t capacity);
void ct_set_auto_complete(ct_session* session, int on);
void ct_set_hung(ct_session* session, int hung);
void ct_set_ignore_flush(ct_session* session, int ignore);
/* Ends every held send with result; returns how many. */
size_t ct_finish_sends(ct_session* session, uvmapi_hresult result);
/* Puts a message at the source; with begin, starts delivering it and holds
 * the delivery in flight. Returns BeginInbound's result (S_OK without begin). */
uvmapi_hresult ct_arrive(ct_session* session, const uvmapi_message* message, int begin);
/* Commits every receive in flight; each leaves the source only once committed. */
size_t ct_commit_receives(ct_session* session);
/* Everything the harness does to let a session finish what it still may:
 * the peer accepts from now on, held sends complete, receives commit, and the
 * queue may flow again. */
void ct_finish_everything(ct_session* session);

/* --- What it saw (any thread) --------------------------------------------- */

size_t ct_sends_in_flight(ct_session* session);
size_t ct_receives_in_flight(ct_session* session);
/* How many messages with this content are at the source / reached the peer. */
size_t ct_at_source(ct_session* session, const uvmapi_message* message);
size_t ct_delivered(ct_session* session, const uvmapi_message* message);
/* How many notifications had all bits of mask / were exactly flags. */
size_t ct_notes_with(ct_session* session, uint32_t mask);
size_t ct_flush_count(ct_session* session);
uint32_t ct_last_flush(ct_session* session);
unsigned ct_submits(ct_session* session);
int ct_logged_off(ct_session* session);
uint32_t ct_logoff_flags(ct_session* session);
unsigned ct_logoff_calls(ct_session* session);
unsigned ct_refs(ct_session* session);
int ct_overflowed(ct_session* session);

/* Waits until a notification with all bits of mask was seen, or timeout_ms. */
int ct_wait_note(ct_session* session, uint32_t mask, unsigned timeout_ms);
int ct_wait_logged_off(ct_session* session, unsigned timeout_ms);

/* The session's xpsupport with one reference of ours held on the session, so
 * it stays valid until ct_put_xp. NULL once the session is fully released. */
uvmapi_xpsupport* ct_get_xp(ct_session* session);
void ct_put_xp(ct_session* session);

#endif /* UVMAPI_C_TESTS_C_TRANSPORT_H */
