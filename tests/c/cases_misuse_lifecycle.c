/* The misuse suite, part three: calls that would make the loop wait for
 * itself, and every handle after runtime shutdown and after destroy. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "c_store_provider.h"
#include "cases.h"
#include "check.h"
#include "harness.h"
#include "misuse.h"
#include "test_time.h"

/* --- The loop thread ---------------------------------------------------------------- */

/* Blocking calls made on the embedded loop's thread, from inside a
 * transport callback: each must be refused at once instead of deadlocking. */
typedef struct loop_misuse {
  int ran;
  uvmapi_runtime* runtime;
  uvmapi_store* victim;
  uvmapi_support* support;
  struct {
    const char* what;
    uvmapi_hresult result;
    uint64_t ms;
    int has_message;
  } calls[5];
} loop_misuse;

static void record(loop_misuse* lm, int i, const char* what, uvmapi_hresult result,
                   uint64_t started) {
  const char* message = uvmapi_last_error_message();
  lm->calls[i].what = what;
  lm->calls[i].result = result;
  lm->calls[i].ms = test_now_ms() - started;
  lm->calls[i].has_message = message != NULL && message[0] != '\0';
}

static void loop_hook(void* context, ct_session* session) {
  loop_misuse* lm = (loop_misuse*)context;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags;
  uint64_t started;
  (void)session;
  if (lm->ran) return;
  lm->ran = 1;
  started = test_now_ms();
  record(lm, 0, "uvmapi_store_logoff_wait",
         uvmapi_store_logoff_wait(lm->victim, LOGOFF_NO_WAIT, 2000, &outcome), started);
  started = test_now_ms();
  flags = LOGOFF_ABORT;
  record(lm, 1, "StoreLogoffTransports(ABORT)",
         uvmapi_support_store_logoff_transports(lm->support, &flags), started);
  started = test_now_ms();
  flags = LOGOFF_PURGE;
  record(lm, 2, "StoreLogoffTransports(PURGE)",
         uvmapi_support_store_logoff_transports(lm->support, &flags), started);
  started = test_now_ms();
  record(lm, 3, "uvmapi_runtime_shutdown", uvmapi_runtime_shutdown(lm->runtime), started);
  started = test_now_ms();
  record(lm, 4, "uvmapi_runtime_destroy", uvmapi_runtime_destroy(lm->runtime), started);
}

static void loop_thread_calls(const void* arg) {
  fixture f;
  cs_provider provider;
  cs_client client;
  loop_misuse lm;
  uvmapi_store *trigger = NULL, *probe = NULL;
  test_message m;
  uint64_t id = 0;
  uint32_t activity = 0;
  int i;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  memset(&lm, 0, sizeof lm);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  lm.runtime = f.runtime;
  REQUIRE((lm.victim = fixture_open(&f, "victim")) != NULL);
  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));
  lm.support = client.support;
  REQUIRE((trigger = fixture_open(&f, "trigger")) != NULL);

  ct_set_submit_hook(&f.transport, loop_hook, &lm);
  test_message_make(&m, "trigger");
  CHECK_OK(uvmapi_store_submit(trigger, &m.message, &id)); /* Offered at once: the hook runs. */
  ct_set_submit_hook(&f.transport, NULL, NULL);
  REQUIRE(lm.ran);

  for (i = 0; i < 5; ++i) {
    check_context("%s on the loop thread", lm.calls[i].what);
    CHECK(UVMAPI_FAILED(lm.calls[i].result));
    CHECK(lm.calls[i].has_message);
    CHECK(lm.calls[i].ms < 1000);
  }
  check_context(NULL);
  CHECK_HR(lm.calls[3].result, MAPI_E_CALL_FAILED); /* As docs/semantics.md says. */

  /* Refused means nothing happened: everything still works. */
  CHECK_OK(uvmapi_store_activity(lm.victim, &activity));
  CHECK_OK(uvmapi_support_activity(client.support, &activity));
  CHECK_EQ(logoff_log_count(&f.log), 0);
  probe = fixture_open(&f, "probe");
  CHECK(probe != NULL);

done:
  if (probe) uvmapi_store_release(probe, NULL);
  if (trigger) uvmapi_store_release(trigger, NULL);
  if (client.support) cs_client_release(&client);
  if (lm.victim) uvmapi_store_release(lm.victim, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

/* --- After shutdown ----------------------------------------------------------------- */

static void after_shutdown(const void* arg) {
  fixture f;
  cs_provider provider;
  cs_client client;
  uvmapi_store *store = NULL, *late = NULL;
  uvmapi_support* late_support = NULL;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  uint32_t count = 99;
  size_t logged;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);
  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));

  REQUIRE_OK(uvmapi_runtime_shutdown(f.runtime));
  CHECK(ct_logged_off(t));
  logged = logoff_log_count(&f.log);
  CHECK_EQ(logged, 2); /* Each logon logged off exactly once. */

  check_context("a store handle after shutdown");
  misuse_store_calls(store, MAPI_E_INVALID_OBJECT, 0);
  CHECK_FAILS_WITH(uvmapi_store_add_ref(store, &count), MAPI_E_INVALID_OBJECT);
  misuse_store_vtable_calls(store, MAPI_E_INVALID_OBJECT);
  check_context("a support handle after shutdown");
  misuse_support_calls(client.support, MAPI_E_INVALID_OBJECT, 0);
  misuse_support_vtable_calls(client.support, MAPI_E_INVALID_OBJECT);
  check_context("an xpsupport handle after shutdown");
  misuse_xpsupport_calls(xp, MAPI_E_INVALID_OBJECT, 0);
  check_context(NULL);

  options.name = "late";
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &late), MAPI_E_CALL_FAILED);
  CHECK(late == NULL);
  CHECK_FAILS_WITH(
      uvmapi_runtime_logon_store_provider(f.runtime, "late", &provider.iface, &late_support),
      MAPI_E_CALL_FAILED);
  CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(f.runtime, &f.transport.registration),
                   MAPI_E_CALL_FAILED);
  CHECK_OK(uvmapi_runtime_shutdown(f.runtime)); /* A second shutdown is harmless. */

  /* Release stays allowed, and makes no second logoff. */
  CHECK_OK(uvmapi_store_release(store, &count));
  CHECK_EQ(count, 0);
  store = NULL;
  CHECK_OK(uvmapi_support_release(client.support, &count));
  CHECK_EQ(count, 0);
  client.support = NULL;
  ct_put_xp(t);
  xp = NULL;
  CHECK_EQ(logoff_log_count(&f.log), logged);

done:
  if (xp) ct_put_xp(t);
  if (client.support) uvmapi_support_release(client.support, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  CHECK_EQ(cs_provider_refs(&provider), 1);
  cs_provider_destroy(&provider);
}

/* After uvmapi_runtime_destroy every handle that belonged to the runtime
 * fails with MAPI_E_INVALID_OBJECT, flat and through its vtable, and the
 * runtime handle itself is no longer a runtime. */
static void after_destroy(const void* arg) {
  fixture f;
  cs_provider provider;
  cs_client client;
  uvmapi_runtime* runtime = NULL;
  uvmapi_store *store = NULL, *late = NULL;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  uint32_t count = 99;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);
  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));

  runtime = f.runtime;
  f.runtime = NULL;
  REQUIRE_OK(uvmapi_runtime_destroy(runtime));
  /* The runtime's last Release of the provider happened inside destroy. */
  CHECK_EQ(cs_provider_refs(&provider), 1);

  check_context("a store handle after destroy");
  misuse_store_calls(store, MAPI_E_INVALID_OBJECT, 0);
  CHECK_FAILS_WITH(uvmapi_store_add_ref(store, &count), MAPI_E_INVALID_OBJECT);
  misuse_store_vtable_calls(store, MAPI_E_INVALID_OBJECT);
  check_context("a support handle after destroy");
  misuse_support_calls(client.support, MAPI_E_INVALID_OBJECT, 0);
  misuse_support_vtable_calls(client.support, MAPI_E_INVALID_OBJECT);
  check_context("an xpsupport handle after destroy");
  misuse_xpsupport_calls(xp, MAPI_E_INVALID_OBJECT, 0);
  misuse_xpsupport_vtable_calls(xp, MAPI_E_INVALID_OBJECT);
  check_context("the destroyed runtime");
  options.name = "late";
  CHECK_FAILS_WITH(uvmapi_store_open(runtime, &options, &late), MAPI_E_INVALID_OBJECT);
  CHECK_FAILS_WITH(uvmapi_runtime_shutdown(runtime), MAPI_E_INVALID_OBJECT);
  CHECK_FAILS_WITH(uvmapi_runtime_destroy(runtime), MAPI_E_INVALID_OBJECT);
  check_context(NULL);

done:
  /* Late releases must not crash (their result is not specified after destroy). */
  if (xp) ct_put_xp(t);
  if (client.support) uvmapi_support_release(client.support, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

void register_misuse_lifecycle_cases(void) {
  register_case("misuse/after_destroy", after_destroy, NULL);
  register_case("misuse/loop_thread_calls", loop_thread_calls, NULL);
  register_case("misuse/after_shutdown", after_shutdown, NULL);
}
