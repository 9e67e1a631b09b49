/* A runtime on a libuv loop the host owns and drives with uv_run on the main
 * thread. The main thread is then the loop thread: the runtime's functions
 * run at once there, blocking ones are refused, and calls from other threads
 * wait until the host runs the loop. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* libuv's headers need BSD types on macOS. */
#endif

#include <string.h>
#include <uv.h>

#include "cases.h"
#include "check.h"
#include "harness.h"
#include "test_time.h"

#define C LOGOFF_COMPLETE
#define I LOGOFF_INBOUND
#define O LOGOFF_OUTBOUND
#define Q LOGOFF_OUTBOUND_QUEUE

/* The host's loop with a ticking timer, so uv_run(UV_RUN_ONCE) always
 * comes back to check the condition: every wait has a deadline. */
typedef struct host_loop {
  uv_loop_t loop;
  uv_timer_t tick;
  int in_uv_run; /* The host is inside uv_run right now. */
  /* The misuse cases: what a call from the on_logoff callback, inside
   * uv_run, returned. */
  uvmapi_runtime* runtime;
  uvmapi_hresult (*inside_call)(uvmapi_runtime* runtime);
  int hook_ran;
  uvmapi_hresult inside_result;
} host_loop;

static void on_tick(uv_timer_t* timer) {
  (void)timer;
}

static int host_loop_init(host_loop* host) {
  memset(host, 0, sizeof *host);
  if (!CHECK_EQ(uv_loop_init(&host->loop), 0)) return 0;
  uv_timer_init(&host->loop, &host->tick);
  uv_timer_start(&host->tick, on_tick, 5, 5);
  return 1;
}

static void count_handle(uv_handle_t* handle, void* arg) {
  if (!uv_is_closing(handle)) {
    FAIL("a %s handle is left open on the host's loop",
         uv_handle_type_name(uv_handle_get_type(handle)));
  }
  ++*(unsigned*)arg;
}

/* Closes our timer; the runtime must have closed its own handles: the host
 * can then close its loop. */
static void host_loop_close(host_loop* host) {
  uint64_t deadline = test_now_ms() + 2000;
  unsigned left = 0;
  uv_close((uv_handle_t*)&host->tick, NULL);
  while (uv_loop_alive(&host->loop) && test_now_ms() < deadline) uv_run(&host->loop, UV_RUN_NOWAIT);
  uv_walk(&host->loop, count_handle, &left);
  CHECK_EQ(uv_loop_close(&host->loop), 0);
}

typedef int (*condition)(void* arg);

static int drive_until(host_loop* host, condition done, void* arg) {
  uint64_t deadline = test_now_ms() + TEST_PATIENCE_MS;
  while (!done(arg) && test_now_ms() < deadline) {
    host->in_uv_run = 1;
    uv_run(&host->loop, UV_RUN_ONCE);
    host->in_uv_run = 0;
  }
  return done(arg);
}

static int saw_drain(void* arg) {
  return ct_notes_with((ct_session*)arg, NOTIFY_END_INBOUND) > 0;
}

static int slot_called(void* arg) {
  outcome_slot* slot = (outcome_slot*)arg;
  int calls;
  pthread_mutex_lock(&slot->mutex);
  calls = slot->calls;
  pthread_mutex_unlock(&slot->mutex);
  return calls;
}

static int log_has_two(void* arg) {
  return logoff_log_count((logoff_log*)arg) >= 2;
}

/* Another thread calls into the runtime; it can only finish while the host
 * runs the loop. */
typedef struct submitter {
  uvmapi_store* store;
  test_message message;
  uvmapi_hresult result;
  int finished;
  pthread_mutex_t mutex;
} submitter;

static void* submitter_main(void* arg) {
  submitter* s = (submitter*)arg;
  uint64_t id = 0;
  uvmapi_hresult result = uvmapi_store_submit(s->store, &s->message.message, &id);
  pthread_mutex_lock(&s->mutex);
  s->result = result;
  s->finished = 1;
  pthread_mutex_unlock(&s->mutex);
  return NULL;
}

static int submitter_finished(void* arg) {
  submitter* s = (submitter*)arg;
  int finished;
  pthread_mutex_lock(&s->mutex);
  finished = s->finished;
  pthread_mutex_unlock(&s->mutex);
  return finished;
}

static void host_loop_logoff(const void* arg) {
  host_loop host;
  fixture f;
  int have_fixture = 0, have_loop = 0;
  pthread_t thread;
  uvmapi_store *store = NULL, *second = NULL;
  ct_session *t = NULL, *t2 = NULL;
  test_message o, i, o2;
  outcome_slot slot;
  submitter other;
  uvmapi_logoff_outcome outcome = outcome_blank(), refused = outcome_blank();
  uint32_t flags = LOGOFF_NO_WAIT, activity = 0;
  uint64_t id = 0, started;
  (void)arg;

  outcome_slot_init(&slot);
  memset(&other, 0, sizeof other);
  pthread_mutex_init(&other.mutex, NULL);
  REQUIRE((have_loop = host_loop_init(&host)) != 0);
  have_fixture = 1;
  REQUIRE(fixture_init(&f, 0, 0, &host.loop));
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);

  /* On the loop's thread the calls run at once. */
  test_message_make(&o, "o");
  test_message_make(&i, "i");
  CHECK_OK(uvmapi_store_submit(store, &o.message, &id));
  CHECK_OK(ct_arrive(t, &i.message, 1));
  CHECK_OK(uvmapi_store_activity(store, &activity));
  CHECK_FLAGS(activity, I | O);

  /* A call from another thread waits for the host's uv_run. */
  other.store = store;
  test_message_make(&other.message, "from another thread");
  REQUIRE(pthread_create(&thread, NULL, submitter_main, &other) == 0);
  if (CHECK(drive_until(&host, submitter_finished, &other))) {
    pthread_join(thread, NULL);
  } else {
    pthread_detach(thread); /* Stuck in the library: nothing more to learn from it. */
  }
  CHECK_OK(other.result);
  CHECK_EQ(ct_sends_in_flight(t), 2);

  /* The blocking logoff would wait for the loop its caller should be running. */
  started = test_now_ms();
  CHECK_FAILS(uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 2000, &refused));
  CHECK(test_now_ms() - started < 1000);
  CHECK_OK(uvmapi_store_activity(store, &activity)); /* Refused: the handle is still there. */

  CHECK_OK(store->lpVtbl->StoreLogoff(store, &flags));
  CHECK_FLAGS(flags, I | O);
  CHECK_OK(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, outcome_slot_done, &slot));
  store = NULL;
  CHECK(drive_until(&host, saw_drain, t));
  CHECK(!ct_logged_off(t));
  ct_finish_everything(t);
  CHECK(drive_until(&host, slot_called, &slot));
  CHECK_EQ(slot_called(&slot), 1);
  CHECK(pthread_equal(slot.thread, pthread_self())); /* done ran inside the host's uv_run. */
  outcome = slot.outcome;
  CHECK_FLAGS(outcome.requested, LOGOFF_NO_WAIT);
  CHECK_FLAGS(outcome.flags_at_return, C | I | O);
  CHECK_FLAGS(outcome.flags_at_final, C);
  CHECK(outcome.released);
  CHECK(ct_logged_off(t));
  CHECK_EQ(ct_delivered(t, &o.message), 1);

  CHECK_EQ(ct_delivered(t, &other.message.message), 1);

  /* The last vtable Release without StoreLogoff aborts, on the host's loop too. */
  REQUIRE((second = fixture_open(&f, "second")) != NULL);
  REQUIRE((t2 = ct_provider_session(&f.transport, "second")) != NULL);
  test_message_make(&o2, "o2");
  CHECK_OK(second->lpVtbl->SubmitMessage(second, &o2.message, &id));
  CHECK_EQ(second->lpVtbl->Release(second), 0);
  second = NULL;
  CHECK(drive_until(&host, log_has_two, &f.log));
  if (logoff_log_count(&f.log) >= 2) {
    CHECK(strcmp(f.log.store[1], "second") == 0);
    CHECK_FLAGS(f.log.outcome[1].requested, LOGOFF_ABORT);
    CHECK_FLAGS(f.log.outcome[1].flags_at_final, C | Q);
    CHECK(f.log.outcome[1].released);
  }
  CHECK(ct_logged_off(t2));
  CHECK_EQ(ct_logoff_flags(t2), LOGOFF_HURRY);

done:
  if (store) uvmapi_store_release(store, NULL);
  if (second) uvmapi_store_release(second, NULL);
  /* Shutdown on the loop's thread while uv_run is not running. */
  if (have_fixture) fixture_done(&f);
  if (have_loop) host_loop_close(&host);
  pthread_mutex_destroy(&other.mutex);
  outcome_slot_destroy(&slot);
}

/* Shutdown and destroy need the loop's thread while uv_run is NOT running
 * (runtime.h; docs/c-api.md: the on_logoff callback "may not call"
 * them, and a blocking call on the loop thread fails with
 * MAPI_E_CALL_FAILED). Called from a callback inside the host's uv_run they
 * must be refused: running the loop from inside uv_run, or freeing the
 * runtime under its own callback, cannot work. */
static void inside_hook(void* context, const char* store_name,
                        const uvmapi_logoff_outcome* outcome) {
  host_loop* host = (host_loop*)context;
  (void)outcome;
  if (host->hook_ran || !host->in_uv_run || strcmp(store_name, "store") != 0) return;
  host->hook_ran = 1;
  host->inside_result = host->inside_call(host->runtime);
}

static void blocking_call_inside_uv_run(const void* arg) {
  host_loop host;
  fixture f;
  int have_fixture = 0, have_loop = 0;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  test_message o;
  outcome_slot slot;
  uint64_t id = 0;

  outcome_slot_init(&slot);
  REQUIRE((have_loop = host_loop_init(&host)) != 0);
  host.inside_call = *(const int*)arg ? uvmapi_runtime_destroy : uvmapi_runtime_shutdown;
  have_fixture = 1;
  REQUIRE(fixture_init(&f, 0, 0, &host.loop));
  host.runtime = f.runtime;
  f.log.hook = inside_hook;
  f.log.hook_context = &host;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&o, "o");
  CHECK_OK(uvmapi_store_submit(store, &o.message, &id));
  CHECK_OK(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, outcome_slot_done, &slot));
  store = NULL;
  CHECK(drive_until(&host, saw_drain, t));
  ct_finish_everything(t);
  /* The drain ends in a step the runtime runs inside uv_run: on_logoff too. */
  CHECK(drive_until(&host, slot_called, &slot));
  REQUIRE(host.hook_ran);
  CHECK_HR(host.inside_result, MAPI_E_CALL_FAILED);
  /* Refused, so the runtime still works. */
  if (host.inside_result != UVMAPI_S_OK) {
    uvmapi_store* again = fixture_open(&f, "again");
    if (again) CHECK_OK(uvmapi_store_release(again, NULL));
  } else if (host.inside_call == uvmapi_runtime_destroy) {
    f.runtime = NULL; /* Gone already: do not destroy it twice. */
  }

done:
  f.log.hook = NULL;
  if (store) uvmapi_store_release(store, NULL);
  if (have_fixture) fixture_done(&f);
  if (have_loop) host_loop_close(&host);
  outcome_slot_destroy(&slot);
}

static const int call_shutdown = 0, call_destroy = 1;

void register_host_loop_cases(void) {
  register_case("host_loop/logoff", host_loop_logoff, NULL);
  register_case("misuse/host_loop_shutdown_inside_uv_run", blocking_call_inside_uv_run,
                &call_shutdown);
  register_case("misuse/host_loop_destroy_inside_uv_run", blocking_call_inside_uv_run,
                &call_destroy);
}
