/* Rules of the contract and of docs/c-api.md beyond the matrix: what ORDERLY
 * leaves behind goes at the next logon, callbacks may re-enter the library
 * (but not block it), and many threads may use one store at once. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "harness.h"
#include "test_time.h"

#define C LOGOFF_COMPLETE
#define Q LOGOFF_OUTBOUND_QUEUE

/* ORDERLY leaves the queue in the Outbox, durable; the next logon gets new
 * transport sessions, and they send it. */
static void orderly_queue_sent_at_next_logon(const void* arg) {
  fixture f;
  uvmapi_store *store = NULL, *again = NULL;
  ct_session *t = NULL, *next = NULL;
  test_message q;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint64_t id = 0;
  (void)arg;

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  ct_set_capacity(t, 0);
  test_message_make(&q, "queued");
  CHECK_OK(uvmapi_store_submit(store, &q.message, &id));
  CHECK_OK(uvmapi_store_logoff_wait(store, LOGOFF_ORDERLY, TEST_PATIENCE_MS, &outcome));
  store = NULL;
  CHECK(outcome.released);
  CHECK_FLAGS(outcome.flags_at_final, C | Q);

  REQUIRE((again = fixture_open(&f, "store")) != NULL);
  REQUIRE((next = ct_provider_session(&f.transport, "store")) != NULL);
  CHECK(next != t);
  CHECK_EQ(ct_sends_in_flight(next), 1); /* Offered at the new logon. */
  ct_finish_everything(next);
  CHECK_EQ(count_in(again, UVMAPI_FOLDER_SENT_ITEMS, &q.message), 1);
  CHECK_EQ(count_in(again, UVMAPI_FOLDER_OUTBOX, &q.message), 0);
  CHECK_EQ(ct_delivered(next, &q.message), 1);
  CHECK_EQ(ct_delivered(t, &q.message), 0);

done:
  if (again) uvmapi_store_release(again, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

/* An on_logoff callback runs on the loop thread: it may open a store again
 * (the logoff it hears of is finished), but the blocking calls are refused. */
typedef struct reentry {
  fixture* f;
  int ran;
  uvmapi_store* reopened;
  uvmapi_hresult open_result, wait_result, shutdown_result;
  outcome_slot finished; /* Signalled when the hook is done. */
} reentry;

static void reentry_hook(void* context, const char* store_name,
                         const uvmapi_logoff_outcome* outcome) {
  reentry* r = (reentry*)context;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_logoff_outcome refused = outcome_blank();
  if (r->ran || strcmp(store_name, "store") != 0) return;
  r->ran = 1;
  options.name = "store";
  r->open_result = uvmapi_store_open(r->f->runtime, &options, &r->reopened);
  r->wait_result =
      r->reopened ? uvmapi_store_logoff_wait(r->reopened, LOGOFF_NO_WAIT, 1000, &refused) : 0;
  r->shutdown_result = uvmapi_runtime_shutdown(r->f->runtime);
  outcome_slot_done(&r->finished, outcome);
}

static void on_logoff_reenters(const void* arg) {
  fixture f;
  reentry r;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  test_message o;
  outcome_slot slot;
  uint64_t id = 0;
  uint32_t activity = 0;
  (void)arg;

  memset(&r, 0, sizeof r);
  outcome_slot_init(&r.finished);
  outcome_slot_init(&slot);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  r.f = &f;
  f.log.hook = reentry_hook;
  f.log.hook_context = &r;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&o, "o");
  CHECK_OK(uvmapi_store_submit(store, &o.message, &id));
  CHECK_OK(uvmapi_store_logoff_async(store, LOGOFF_ORDERLY, outcome_slot_done, &slot));
  store = NULL;
  CHECK(ct_wait_note(t, NOTIFY_END_INBOUND, TEST_PATIENCE_MS));
  ct_finish_everything(t);

  REQUIRE(outcome_slot_wait(&r.finished, TEST_PATIENCE_MS, NULL));
  CHECK_OK(r.open_result);
  CHECK(r.reopened != NULL);
  CHECK_HR(r.wait_result, MAPI_E_CALL_FAILED);
  CHECK_HR(r.shutdown_result, MAPI_E_CALL_FAILED);
  CHECK(outcome_slot_wait(&slot, TEST_PATIENCE_MS, NULL));
  /* The store reopened in the callback is a new logon, and it works. */
  CHECK(ct_provider_session(&f.transport, "store") != t);
  if (r.reopened) CHECK_OK(uvmapi_store_activity(r.reopened, &activity));

done:
  f.log.hook = NULL;
  if (r.reopened) uvmapi_store_release(r.reopened, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  outcome_slot_destroy(&slot);
  outcome_slot_destroy(&r.finished);
}

/* Four threads, each with its own handle on one store, submit at once while
 * the transport sends; then they all log off at once. Every message reaches
 * Sent Items exactly once, and exactly one of the four logoffs is the real
 * one (the shared-store rule under contention). */
#define WORKERS 4
#define PER_WORKER 20

typedef struct worker {
  pthread_t thread;
  uvmapi_store* store;
  int index;
  test_message messages[PER_WORKER];
  uvmapi_logoff_outcome outcome;
  uvmapi_hresult logoff_result;
  pthread_mutex_t* gate_mutex;
  pthread_cond_t* gate;
  int* open_gate;
} worker;

static void* worker_main(void* arg) {
  worker* w = (worker*)arg;
  uint64_t id = 0;
  uint32_t value = 0;
  int n;
  char body[32];
  for (n = 0; n < PER_WORKER; ++n) {
    snprintf(body, sizeof body, "worker %d message %d", w->index, n);
    test_message_make(&w->messages[n], body);
    CHECK_OK(uvmapi_store_submit(w->store, &w->messages[n].message, &id));
    CHECK_OK(uvmapi_store_activity(w->store, &value));
    CHECK_OK(uvmapi_store_folder_count(w->store, UVMAPI_FOLDER_SENT_ITEMS, &value));
  }
  /* Wait until every worker has submitted, then all log off together. */
  pthread_mutex_lock(w->gate_mutex);
  while (!*w->open_gate) pthread_cond_wait(w->gate, w->gate_mutex);
  pthread_mutex_unlock(w->gate_mutex);
  w->outcome = outcome_blank();
  w->logoff_result =
      uvmapi_store_logoff_wait(w->store, LOGOFF_NO_WAIT, TEST_PATIENCE_MS, &w->outcome);
  return NULL;
}

static void concurrent_threads(const void* arg) {
  fixture f;
  worker workers[WORKERS];
  pthread_mutex_t gate_mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
  int open_gate = 0, started = 0, i, n;
  ct_session* t = NULL;
  uvmapi_store* reader = NULL;
  (void)arg;

  memset(workers, 0, sizeof workers);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  for (i = 0; i < WORKERS; ++i) {
    workers[i].index = i;
    workers[i].gate_mutex = &gate_mutex;
    workers[i].gate = &gate;
    workers[i].open_gate = &open_gate;
    REQUIRE((workers[i].store = fixture_open(&f, "store")) != NULL);
  }
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  ct_set_auto_complete(t, 1); /* The peer accepts each message at once. */
  for (started = 0; started < WORKERS; ++started) {
    REQUIRE(pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) == 0);
  }

done:
  /* Opened here so that no worker is left waiting, whatever happened above. */
  pthread_mutex_lock(&gate_mutex);
  open_gate = 1;
  pthread_cond_broadcast(&gate);
  pthread_mutex_unlock(&gate_mutex);
  for (i = 0; i < started; ++i) pthread_join(workers[i].thread, NULL);
  if (started == WORKERS) {
    for (i = 0; i < WORKERS; ++i) {
      check_context("worker %d", i);
      CHECK_OK(workers[i].logoff_result);
      CHECK(workers[i].outcome.released);
      CHECK_FLAGS(workers[i].outcome.flags_at_final, C);
    }
    check_context(NULL);
    CHECK_EQ(ct_logoff_calls(t), 1);
    CHECK_EQ(logoff_log_count(&f.log), WORKERS);
    ct_set_default_capacity(&f.transport, 0);
    if ((reader = fixture_open(&f, "store")) != NULL) {
      uint32_t sent = 0;
      CHECK_OK(uvmapi_store_folder_count(reader, UVMAPI_FOLDER_SENT_ITEMS, &sent));
      CHECK_EQ(sent, WORKERS * PER_WORKER);
      for (i = 0; i < WORKERS; ++i) {
        for (n = 0; n < PER_WORKER; ++n) {
          check_context("worker %d message %d", i, n);
          CHECK_EQ(ct_delivered(t, &workers[i].messages[n].message), 1);
        }
      }
      check_context(NULL);
      uvmapi_store_release(reader, NULL);
    }
    CHECK(!ct_overflowed(t));
  } else {
    for (i = 0; i < WORKERS; ++i) {
      if (workers[i].store && i >= started) uvmapi_store_release(workers[i].store, NULL);
    }
  }
  fixture_done(&f);
  pthread_cond_destroy(&gate);
  pthread_mutex_destroy(&gate_mutex);
}

void register_rules_cases(void) {
  register_case("rules/orderly_queue_sent_at_next_logon", orderly_queue_sent_at_next_logon, NULL);
  register_case("rules/on_logoff_reenters", on_logoff_reenters, NULL);
  register_case("rules/concurrent_threads", concurrent_threads, NULL);
}
