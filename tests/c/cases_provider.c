/* The contract holds for a store provider written in C: its client store
 * object calls StoreLogoffTransports at its last Release, as a MAPI store
 * provider does, and the runtime logs off, shares and aborts exactly as for
 * the built-in stores. The messages are read straight from the provider's
 * folders. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <string.h>

#include "c_store_provider.h"
#include "cases.h"
#include "check.h"
#include "harness.h"
#include "test_time.h"

#define C LOGOFF_COMPLETE
#define I LOGOFF_INBOUND
#define O LOGOFF_OUTBOUND
#define Q LOGOFF_OUTBOUND_QUEUE

/* Every provider case: a runtime with the C transport, one C provider, and
 * the check that the runtime gave back every provider reference it took. */
typedef struct provider_fixture {
  fixture f;
  cs_provider provider;
} provider_fixture;

static int provider_fixture_init_with(provider_fixture* pf, unsigned abort_ms) {
  cs_provider_init(&pf->provider);
  return fixture_init(&pf->f, 0, abort_ms, NULL);
}

static int provider_fixture_init(provider_fixture* pf) {
  return provider_fixture_init_with(pf, 0);
}

static void provider_fixture_done(provider_fixture* pf) {
  fixture_done(&pf->f);
  CHECK_EQ(cs_provider_refs(&pf->provider), 1);
  cs_provider_destroy(&pf->provider);
}

/* Puts a held send "o" in flight through the client. */
static int submit_held(cs_client* client, ct_session* t, test_message* o) {
  uint64_t id = 0;
  size_t before = ct_sends_in_flight(t);
  test_message_make(o, "o");
  return CHECK_OK(cs_client_submit(client, &o->message, &id)) &&
         CHECK_EQ(ct_sends_in_flight(t), before + 1);
}

/* ORDERLY with a send in flight: StoreLogoffTransports returns at once with
 * the send still going, the send completes, then the store is released. */
static void orderly_send_in_flight(const void* arg) {
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags = LOGOFF_ORDERLY;
  (void)arg;

  memset(&client, 0, sizeof client);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  CHECK(cs_provider_refs(&pf.provider) >= 2); /* The runtime holds the provider. */
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));
  CHECK_EQ(cs_provider_count(&pf.provider, UVMAPI_FOLDER_OUTBOX), 1);

  CHECK_OK(cs_client_store_logoff(&client, &flags));
  CHECK_FLAGS(flags, O);
  CHECK_EQ(cs_client_release(&client), 0);
  CHECK_OK(client.logoff_result);
  CHECK_FLAGS(client.logoff_requested, LOGOFF_ORDERLY);
  CHECK_FLAGS(client.logoff_flags, C | O);
  CHECK(!ct_logged_off(t));
  CHECK_EQ(logoff_log_count(&pf.f.log), 0);

  ct_finish_everything(t);
  REQUIRE(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome));
  CHECK(strcmp(pf.f.log.store[0], "custom") == 0);
  CHECK_FLAGS(outcome.requested, LOGOFF_ORDERLY);
  CHECK_FLAGS(outcome.flags_at_return, C | O);
  CHECK_FLAGS(outcome.flags_at_final, C);
  CHECK(outcome.released);
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_NORMAL);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 1);
  CHECK_EQ(cs_provider_count(&pf.provider, UVMAPI_FOLDER_OUTBOX), 0);
  CHECK_EQ(ct_delivered(t, &o.message), 1);

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

/* Two logons of the same provider store share it: the first logoff touches
 * nothing (LOGOFF_COMPLETE alone) and the transport serves the second. */
static void shared_logon(const void* arg) {
  provider_fixture pf;
  cs_client a, b;
  ct_session* t = NULL;
  test_message o, x;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags = LOGOFF_NO_WAIT;
  uint64_t id = 0;
  (void)arg;

  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&a, pf.f.runtime, "custom", &pf.provider));
  REQUIRE_OK(cs_client_open(&b, pf.f.runtime, "custom", &pf.provider));
  CHECK_EQ(ct_provider_session_count(&pf.f.transport), 1);
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&a, t, &o));

  CHECK_OK(cs_client_store_logoff(&a, &flags));
  CHECK_EQ(cs_client_release(&a), 0);
  CHECK_OK(a.logoff_result);
  CHECK_FLAGS(a.logoff_flags, C);
  CHECK(!ct_logged_off(t));
  CHECK_EQ(ct_notes_with(t, NOTIFY_END_INBOUND), 0);
  CHECK_EQ(ct_sends_in_flight(t), 1);
  if (CHECK(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK(outcome.released);
    CHECK_FLAGS(outcome.flags_at_final, C);
  }

  /* The transport keeps serving the other logon. */
  test_message_make(&x, "x");
  CHECK_OK(cs_client_submit(&b, &x.message, &id));
  ct_finish_everything(t);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 1);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &x.message), 1);

  /* The last logon's release, without StoreLogoff: ABORT on an idle store. */
  CHECK_EQ(cs_client_release(&b), 0);
  CHECK_FLAGS(b.logoff_requested, LOGOFF_ABORT);
  CHECK_FLAGS(b.logoff_flags, C);
  CHECK(ct_logged_off(t));
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_HURRY);

done:
  if (a.support) cs_client_release(&a);
  if (b.support) cs_client_release(&b);
  provider_fixture_done(&pf);
}

/* No StoreLogoff: the last release aborts. The send goes back to the
 * Outbox, the receive stays at the source, the queue is not touched. */
static void abort_default(const void* arg) {
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o, q, i;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t activity = 0;
  uint64_t id = 0;
  (void)arg;

  memset(&client, 0, sizeof client);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));
  ct_set_capacity(t, 1);
  test_message_make(&q, "q");
  CHECK_OK(cs_client_submit(&client, &q.message, &id));
  test_message_make(&i, "i");
  CHECK_OK(ct_arrive(t, &i.message, 1));
  CHECK_OK(uvmapi_support_activity(client.support, &activity));
  CHECK_FLAGS(activity, I | O | Q);

  CHECK_EQ(cs_client_release(&client), 0);
  CHECK_OK(client.logoff_result);
  CHECK_FLAGS(client.logoff_requested, LOGOFF_ABORT);
  CHECK_FLAGS(client.logoff_flags, C | Q);
  CHECK_EQ(ct_notes_with(t, NOTIFY_CANCEL_MESSAGE), 2);
  CHECK(ct_logged_off(t));
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_HURRY);
  CHECK_EQ(ct_at_source(t, &i.message), 1);
  CHECK_EQ(ct_delivered(t, &o.message), 0);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_OUTBOX, &o.message), 1);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_OUTBOX, &q.message), 1);
  CHECK_EQ(cs_provider_count(&pf.provider, UVMAPI_FOLDER_INBOX), 0);
  CHECK_EQ(cs_provider_count(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS), 0);
  if (CHECK(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK(outcome.released);
    CHECK_FLAGS(outcome.flags_at_final, C | Q);
  }

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

/* PURGE with I, O and Q: StoreLogoffTransports returns after the flush and
 * the release; everything went both ways. */
static void purge_everything(const void* arg) {
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o, q, i;
  uint32_t flags = LOGOFF_PURGE;
  uint64_t id = 0;
  (void)arg;

  memset(&client, 0, sizeof client);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));
  ct_set_capacity(t, 1);
  test_message_make(&q, "q");
  CHECK_OK(cs_client_submit(&client, &q.message, &id));
  test_message_make(&i, "i");
  CHECK_OK(ct_arrive(t, &i.message, 1));

  CHECK_OK(cs_client_store_logoff(&client, &flags));
  CHECK_FLAGS(flags, I | O | Q);
  CHECK_EQ(cs_client_release(&client), 0);
  CHECK_OK(client.logoff_result);
  CHECK_FLAGS(client.logoff_flags, C);
  CHECK(ct_logged_off(t));
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_NORMAL);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_INBOX, &i.message), 1);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 1);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &q.message), 1);
  CHECK_EQ(cs_provider_count(&pf.provider, UVMAPI_FOLDER_OUTBOX), 0);
  CHECK_EQ(ct_at_source(t, &i.message), 0);

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

/* A provider that calls StoreLogoffTransports itself while it still holds
 * the support: submissions are refused while the store drains, and the
 * message is not taken. */
static void submit_while_draining(const void* arg) {
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o, late;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags = LOGOFF_NO_WAIT, count = 99;
  uint64_t id = 0;
  (void)arg;

  memset(&client, 0, sizeof client);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));

  CHECK_OK(uvmapi_support_store_logoff_transports(client.support, &flags));
  CHECK_FLAGS(flags, C | O);
  test_message_make(&late, "late");
  CHECK_FAILS_WITH(uvmapi_support_submit(client.support, &late.message, &id), MAPI_E_BUSY);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_OUTBOX, &late.message), 0);
  /* A second logoff while the first drains is refused. */
  flags = LOGOFF_ABORT;
  CHECK_FAILS_WITH(uvmapi_support_store_logoff_transports(client.support, &flags), MAPI_E_BUSY);
  CHECK_FLAGS(flags, LOGOFF_ABORT);

  /* LOGOFF_COMPLETE: only Release may follow. Released while the drain goes
   * on, the drain stands for the release: no second logoff. */
  CHECK_OK(uvmapi_support_release(client.support, &count));
  client.support = NULL;
  CHECK_EQ(count, 0);
  CHECK(!ct_logged_off(t));
  ct_finish_everything(t);
  if (CHECK(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK_FLAGS(outcome.requested, LOGOFF_NO_WAIT);
    CHECK(outcome.released);
    CHECK_FLAGS(outcome.flags_at_final, C);
  }
  CHECK(ct_wait_logged_off(t, TEST_PATIENCE_MS));
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 1);
  CHECK_EQ(logoff_log_count(&pf.f.log), 1);

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

/* The support's last Release without StoreLogoffTransports logs off with ABORT. */
static void support_release_aborts(const void* arg) {
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t count = 99;
  (void)arg;

  memset(&client, 0, sizeof client);
  if (!provider_fixture_init(&pf)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));

  CHECK_OK(uvmapi_support_release(client.support, &count));
  client.support = NULL;
  CHECK_EQ(count, 0);
  if (CHECK(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK_FLAGS(outcome.requested, LOGOFF_ABORT);
    CHECK(outcome.released);
    CHECK_FLAGS(outcome.flags_at_final, C | Q);
  }
  CHECK(ct_wait_logged_off(t, TEST_PATIENCE_MS));
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_OUTBOX, &o.message), 1);

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

/* A logoff that did not happen leaves the logon usable, and the provider may
 * try again with another flag: QUIET on a busy store, or (with retry_after_abort)
 * an ABORT the transport ignores past the abort deadline. */
static void retry_after_no_logoff(const void* arg) {
  const int after_abort = *(const int*)arg;
  provider_fixture pf;
  cs_client client;
  ct_session* t = NULL;
  test_message o, x;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags = after_abort ? LOGOFF_ABORT : LOGOFF_QUIET, count = 99;
  uint64_t id = 0;

  memset(&client, 0, sizeof client);
  check_context("%s first", after_abort ? "ABORT that cannot stop" : "QUIET");
  if (!provider_fixture_init_with(&pf, after_abort ? 50 : 0)) goto done;
  REQUIRE_OK(cs_client_open(&client, pf.f.runtime, "custom", &pf.provider));
  REQUIRE((t = ct_provider_session(&pf.f.transport, "custom")) != NULL);
  REQUIRE(submit_held(&client, t, &o));
  if (after_abort) ct_set_hung(t, 1);

  CHECK_HR(uvmapi_support_store_logoff_transports(client.support, &flags),
           after_abort ? MAPI_E_UNABLE_TO_ABORT : UVMAPI_S_OK);
  CHECK_FLAGS(flags, O); /* The activity, without LOGOFF_COMPLETE. */
  if (CHECK(logoff_log_wait(&pf.f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK(!outcome.released);
    CHECK_HR(outcome.status, after_abort ? MAPI_E_UNABLE_TO_ABORT : UVMAPI_S_OK);
    CHECK_FLAGS(outcome.flags_at_final, O);
  }
  CHECK(!ct_logged_off(t));

  /* Still usable. */
  ct_set_hung(t, 0);
  test_message_make(&x, "x");
  CHECK_OK(cs_client_submit(&client, &x.message, &id));
  CHECK_EQ(ct_sends_in_flight(t), 2);

  /* Tried again, with another flag. */
  flags = LOGOFF_ORDERLY;
  CHECK_OK(uvmapi_support_store_logoff_transports(client.support, &flags));
  CHECK_FLAGS(flags, C | LOGOFF_OUTBOUND);
  ct_finish_everything(t);
  if (CHECK(logoff_log_wait(&pf.f.log, 1, TEST_PATIENCE_MS, &outcome))) {
    CHECK_FLAGS(outcome.requested, LOGOFF_ORDERLY);
    CHECK(outcome.released);
    CHECK_FLAGS(outcome.flags_at_final, C);
  }
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 1);
  CHECK_EQ(cs_provider_count_content(&pf.provider, UVMAPI_FOLDER_SENT_ITEMS, &x.message), 1);
  CHECK_OK(uvmapi_support_release(client.support, &count));
  client.support = NULL;
  CHECK_EQ(count, 0);
  CHECK_EQ(logoff_log_count(&pf.f.log), 2);

done:
  if (client.support) cs_client_release(&client);
  provider_fixture_done(&pf);
}

static const int quiet_first = 0, abort_first = 1;

void register_provider_cases(void) {
  register_case("provider/retry_after_quiet", retry_after_no_logoff, &quiet_first);
  register_case("provider/retry_after_abort_cannot_stop", retry_after_no_logoff, &abort_first);
  register_case("provider/orderly_send_in_flight", orderly_send_in_flight, NULL);
  register_case("provider/shared_logon", shared_logon, NULL);
  register_case("provider/abort_default", abort_default, NULL);
  register_case("provider/purge_everything", purge_everything, NULL);
  register_case("provider/submit_while_draining_is_busy", submit_while_draining, NULL);
  register_case("provider/support_release_aborts", support_release_aborts, NULL);
}
