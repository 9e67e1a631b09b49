/* Deadlines and waits through the C ABI: a drain that passes its deadline
 * becomes an ABORT, an ABORT that cannot stop does not log off, shutdown ends
 * what would not log off, _wait gives up at its own timeout, and the store
 * cannot be opened while its last opener drains. */
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
#define O LOGOFF_OUTBOUND
#define Q LOGOFF_OUTBOUND_QUEUE

static const uint32_t drain_flags[] = {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE};

/* A drain that passes its deadline becomes an ABORT: the held send is
 * cancelled back to the Outbox. PURGE's flush is left unanswered so that it
 * cannot send the message; cancels are still honoured. */
static void run_escalation_case(const void* arg) {
  const uint32_t flag = *(const uint32_t*)arg;
  fixture f;
  uvmapi_store *store = NULL, *reader = NULL;
  ct_session* t = NULL;
  test_message stuck;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint64_t id = 0, started;

  check_context("drain deadline: %s", flag_name(flag));
  if (!fixture_init(&f, 50, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&stuck, "stuck");
  CHECK_OK(uvmapi_store_submit(store, &stuck.message, &id));
  CHECK_EQ(ct_sends_in_flight(t), 1);
  if (flag == LOGOFF_PURGE) ct_set_ignore_flush(t, 1);

  started = test_now_ms();
  CHECK_OK(uvmapi_store_logoff_wait(store, flag, TEST_PATIENCE_MS, &outcome));
  store = NULL;
  CHECK(test_now_ms() - started < TEST_PATIENCE_MS);
  CHECK_FLAGS(outcome.requested, flag);
  CHECK_HR(outcome.status, UVMAPI_S_OK);
  CHECK(outcome.escalated);
  CHECK(outcome.released);
  CHECK(outcome.finished);
  /* NO_WAIT and ORDERLY return at once with the send in flight; PURGE
   * returns after the work, with the cancelled send back in the queue. */
  CHECK_FLAGS(outcome.flags_at_return, flag == LOGOFF_PURGE ? (C | Q) : (C | O));
  CHECK_FLAGS(outcome.flags_at_final, C | Q);
  CHECK_EQ(ct_notes_with(t, NOTIFY_CANCEL_MESSAGE), 1);
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_HURRY);

  ct_set_default_capacity(&f.transport, 0);
  REQUIRE((reader = fixture_open(&f, "store")) != NULL);
  CHECK_EQ(locate(reader, t, &stuck.message, 0), PLACE_OUTBOX);

done:
  if (reader) uvmapi_store_release(reader, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

/* An ABORT the transport ignores does not log off: MAPI_E_UNABLE_TO_ABORT,
 * the activity without LOGOFF_COMPLETE, not released. With drain_first, a
 * NO_WAIT drain passes its deadline first and escalates into that abort. */
static void run_cannot_abort_case(const void* arg) {
  const int drain_first = *(const int*)arg;
  fixture f;
  uvmapi_store *store = NULL, *reader = NULL;
  ct_session* t = NULL;
  test_message stuck;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uvmapi_hresult result;
  uint64_t id = 0;
  uint32_t activity = 0;

  check_context("abort cannot stop%s", drain_first ? " after a drain deadline" : "");
  if (!fixture_init(&f, drain_first ? 30 : 0, 50, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&stuck, "unstoppable");
  CHECK_OK(uvmapi_store_submit(store, &stuck.message, &id));
  ct_set_hung(t, 1);

  result = uvmapi_store_logoff_wait(store, drain_first ? LOGOFF_NO_WAIT : LOGOFF_ABORT,
                                    TEST_PATIENCE_MS, &outcome);
  store = NULL;
  /* The wait itself worked; the outcome carries the logoff's status. */
  CHECK_OK(result);
  CHECK_HR(outcome.status, MAPI_E_UNABLE_TO_ABORT);
  CHECK(outcome.finished);
  CHECK(!outcome.released);
  CHECK_EQ(outcome.escalated, drain_first);
  CHECK_FLAGS(outcome.flags_at_return, drain_first ? (C | O) : O);
  CHECK_FLAGS(outcome.flags_at_final, O);
  CHECK(!ct_logged_off(t));

  /* The runtime keeps the opener: the store goes on working, and a new
   * handle shares it. */
  REQUIRE((reader = fixture_open(&f, "store")) != NULL);
  CHECK_OK(uvmapi_store_activity(reader, &activity));
  CHECK_FLAGS(activity, O);
  ct_set_hung(t, 0);
  ct_finish_everything(t);
  CHECK_EQ(locate(reader, t, &stuck.message, 0), PLACE_SENT);
  CHECK_OK(uvmapi_store_release(reader, NULL));
  reader = NULL;

  /* Shutdown ends the kept opener and logs the transport off. */
  CHECK_OK(uvmapi_runtime_shutdown(f.runtime));
  CHECK(ct_logged_off(t));
  CHECK(logoff_log_count(&f.log) >= 3); /* Not happened, the reader's, the kept one's end. */
  if (logoff_log_count(&f.log) >= 1) {
    CHECK_HR(f.log.outcome[0].status, MAPI_E_UNABLE_TO_ABORT);
    CHECK(f.log.outcome[f.log.count - 1].released);
  }

done:
  if (reader) uvmapi_store_release(reader, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

/* A store whose transport never answers is ended by force at shutdown, which
 * still returns within the deadlines; what the transport held never left. */
static void run_forced_shutdown_case(const void* arg) {
  fixture f;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  test_message held, arriving;
  uint64_t id = 0, started;
  size_t i, forced = 0, unable = 0;
  (void)arg;

  if (!fixture_init(&f, 100, 100, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&held, "in flight");
  test_message_make(&arriving, "arriving");
  CHECK_OK(uvmapi_store_submit(store, &held.message, &id));
  CHECK_OK(ct_arrive(t, &arriving.message, 1));
  ct_set_hung(t, 1);

  started = test_now_ms();
  CHECK_OK(uvmapi_runtime_shutdown(f.runtime));
  CHECK(test_now_ms() - started < TEST_PATIENCE_MS);
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_HURRY);
  CHECK_EQ(ct_at_source(t, &arriving.message), 1);
  CHECK_EQ(ct_delivered(t, &held.message), 0);
  /* The release-path ABORT could not stop; the forced end released it. */
  for (i = 0; i < logoff_log_count(&f.log); ++i) {
    forced += f.log.outcome[i].forced && f.log.outcome[i].released;
    unable += f.log.outcome[i].status == MAPI_E_UNABLE_TO_ABORT;
  }
  CHECK_EQ(forced, 1);
  CHECK_EQ(unable, 1);

done:
  if (store) uvmapi_store_release(store, NULL); /* Allowed after shutdown. */
  fixture_done(&f);
}

/* _wait gives up at its own timeout with what is known so far; the logoff
 * goes on and its final outcome still reaches on_logoff. */
static void run_wait_timeout_case(const void* arg) {
  fixture f;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  test_message slow;
  uvmapi_logoff_outcome outcome = outcome_blank(), logged = outcome_blank();
  uint64_t id = 0;
  (void)arg;

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&slow, "slow");
  CHECK_OK(uvmapi_store_submit(store, &slow.message, &id));

  CHECK_HR(uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 50, &outcome), MAPI_E_TIMEOUT);
  store = NULL;
  CHECK(outcome.returned);
  CHECK(!outcome.finished);
  CHECK_FLAGS(outcome.flags_at_return, C | O);

  ct_finish_everything(t);
  CHECK(logoff_log_wait(&f.log, 0, TEST_PATIENCE_MS, &logged));
  CHECK(logged.released);
  CHECK_FLAGS(logged.flags_at_final, C);

done:
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

/* While the last opener drains, the store cannot be opened again
 * (MAPI_E_BUSY); once it is released it can, with new transport sessions. */
static void run_open_while_draining_case(const void* arg) {
  fixture f;
  uvmapi_store *store = NULL, *again = NULL;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  ct_session* t = NULL;
  test_message slow;
  outcome_slot slot;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint64_t id = 0;
  (void)arg;

  outcome_slot_init(&slot);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  test_message_make(&slow, "slow");
  CHECK_OK(uvmapi_store_submit(store, &slow.message, &id));
  CHECK_OK(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, outcome_slot_done, &slot));
  store = NULL;
  CHECK(ct_wait_note(t, NOTIFY_END_INBOUND, TEST_PATIENCE_MS));

  options.name = "store";
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &again), MAPI_E_BUSY);
  CHECK(again == NULL);

  ct_finish_everything(t);
  CHECK_EQ(outcome_slot_wait(&slot, TEST_PATIENCE_MS, &outcome), 1);
  CHECK(outcome.released);
  REQUIRE((again = fixture_open(&f, "store")) != NULL);
  CHECK(ct_provider_session(&f.transport, "store") != t); /* A new logon of the transports. */

done:
  if (again) uvmapi_store_release(again, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  outcome_slot_destroy(&slot);
}

static const int no = 0, yes = 1;

void register_deadline_cases(void) {
  char name[80];
  size_t r;
  for (r = 0; r < sizeof drain_flags / sizeof drain_flags[0]; ++r) {
    snprintf(name, sizeof name, "deadline/drain_escalates/%s", flag_name(drain_flags[r]));
    register_case(name, run_escalation_case, &drain_flags[r]);
  }
  register_case("deadline/abort_cannot_stop", run_cannot_abort_case, &no);
  register_case("deadline/drain_then_abort_cannot_stop", run_cannot_abort_case, &yes);
  register_case("deadline/shutdown_forces_hung_store", run_forced_shutdown_case, NULL);
  register_case("wait/timeout", run_wait_timeout_case, NULL);
  register_case("rules/open_while_draining_is_busy", run_open_while_draining_case, NULL);
}
