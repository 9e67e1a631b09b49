/* The misuse suite, part two: support handles (store providers) and
 * xpsupport handles (transports), and the "every call fails" helpers for them. */
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

void misuse_support_calls(uvmapi_support* support, uvmapi_hresult expected, int with_refcount) {
  uint32_t flags = LOGOFF_ABORT, count = 0;
  uint64_t id = 0;
  test_message m;
  test_message_make(&m, "misuse");
  if (with_refcount) {
    CHECK_FAILS_WITH(uvmapi_support_add_ref(support, &count), expected);
    CHECK_FAILS_WITH(uvmapi_support_release(support, &count), expected);
  }
  CHECK_FAILS_WITH(uvmapi_support_store_logoff_transports(support, &flags), expected);
  CHECK_FLAGS(flags, LOGOFF_ABORT);
  CHECK_FAILS_WITH(uvmapi_support_submit(support, &m.message, &id), expected);
  CHECK_FAILS_WITH(uvmapi_support_activity(support, &flags), expected);
}

void misuse_xpsupport_calls(uvmapi_xpsupport* xp, uvmapi_hresult expected, int with_refcount) {
  static const char* const recipients[] = {"alice@example.org"};
  uint32_t count = 0;
  uint64_t receive = 0;
  uvmapi_message message = UVMAPI_MESSAGE_INIT;
  message.sender = "remote@example.org";
  message.recipients = recipients;
  message.recipient_count = 1;
  message.content = "x";
  message.content_size = 1;
  if (with_refcount) {
    CHECK_FAILS_WITH(uvmapi_xpsupport_add_ref(xp, &count), expected);
    CHECK_FAILS_WITH(uvmapi_xpsupport_release(xp, &count), expected);
  }
  CHECK_FAILS_WITH(uvmapi_xpsupport_complete_send(xp, 1, UVMAPI_S_OK), expected);
  CHECK_FAILS_WITH(uvmapi_xpsupport_begin_inbound(xp, &receive), expected);
  CHECK_FAILS_WITH(uvmapi_xpsupport_commit_inbound(xp, 1, &message), expected);
  CHECK_FAILS_WITH(uvmapi_xpsupport_abort_inbound(xp, 1), expected);
  CHECK_FAILS_WITH(uvmapi_xpsupport_notify_ready(xp), expected);
  CHECK_FAILS_WITH(uvmapi_xpsupport_flush_complete(xp), expected);
}

/* The xpsupport vtable slots that return an HRESULT, on a live handle. */
void misuse_xpsupport_vtable_calls(uvmapi_xpsupport* xp, uvmapi_hresult expected) {
  uint64_t receive = 0;
  CHECK_FAILS_WITH(xp->lpVtbl->CompleteSend(xp, 1, UVMAPI_S_OK), expected);
  CHECK_FAILS_WITH(xp->lpVtbl->BeginInbound(xp, &receive), expected);
  CHECK_FAILS_WITH(xp->lpVtbl->AbortInbound(xp, 1), expected);
  CHECK_FAILS_WITH(xp->lpVtbl->NotifyReady(xp), expected);
  CHECK_FAILS_WITH(xp->lpVtbl->FlushComplete(xp), expected);
}

void misuse_support_vtable_calls(uvmapi_support* support, uvmapi_hresult expected) {
  uint32_t flags = LOGOFF_NO_WAIT;
  uint64_t id = 0;
  test_message m;
  test_message_make(&m, "misuse");
  CHECK_FAILS_WITH(support->lpVtbl->StoreLogoffTransports(support, &flags), expected);
  CHECK_FAILS_WITH(support->lpVtbl->SubmitMessage(support, &m.message, &id), expected);
  CHECK_FAILS_WITH(support->lpVtbl->GetActivity(support, &flags), expected);
}

/* --- Support handles ------------------------------------------------------------- */

static void support_arguments(const void* arg) {
  static const uint32_t bad_flags[] = {0, LOGOFF_ABORT | LOGOFF_QUIET, 0x40, 0x1000,
                                       LOGOFF_COMPLETE | LOGOFF_ABORT};
  fixture f;
  cs_provider provider, other, versionless;
  uvmapi_store_provider_vtbl no_version;
  cs_client client;
  uvmapi_support* support = NULL;
  uvmapi_store* builtin = NULL;
  test_message m;
  uint32_t flags, activity = 0;
  uint64_t id = 0;
  void* object = (void*)&misuse_foreign;
  size_t i;
  (void)arg;

  cs_provider_init(&provider);
  cs_provider_init(&other);
  cs_provider_init(&versionless);
  no_version = *versionless.iface.lpVtbl;
  no_version.version = 0;
  versionless.iface.lpVtbl = &no_version;
  memset(&client, 0, sizeof client);
  test_message_make(&m, "m");

  check_context("NULL support");
  misuse_support_calls(NULL, MAPI_E_INVALID_PARAMETER, 1);
  check_context(NULL);

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((builtin = fixture_open(&f, "builtin")) != NULL);
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(NULL, "custom", &provider.iface, &support),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(f.runtime, NULL, &provider.iface, &support),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(f.runtime, "", &provider.iface, &support),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(f.runtime, "custom", NULL, &support),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(f.runtime, "custom", &provider.iface, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(
      uvmapi_runtime_logon_store_provider(f.runtime, "custom", &versionless.iface, &support),
      MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(
      uvmapi_runtime_logon_store_provider(f.runtime, "builtin", &provider.iface, &support),
      MAPI_E_INVALID_PARAMETER);
  CHECK(support == NULL);
  CHECK_EQ(cs_provider_refs(&provider), 1); /* Refused logons keep no reference. */

  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));
  CHECK_FAILS_WITH(uvmapi_runtime_logon_store_provider(f.runtime, "custom", &other.iface, &support),
                   MAPI_E_INVALID_PARAMETER);
  CHECK(support == NULL);

  CHECK_FAILS_WITH(uvmapi_support_store_logoff_transports(client.support, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_support_submit(client.support, NULL, &id), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_support_activity(client.support, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(client.support->lpVtbl->GetActivity(client.support, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(client.support->lpVtbl->QueryInterface(client.support, NULL, &object),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(
      client.support->lpVtbl->QueryInterface(client.support, &uvmapi_iid_store, &object),
      MAPI_E_INTERFACE_NOT_SUPPORTED);
  CHECK(object == NULL);

  for (i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; ++i) {
    uvmapi_hresult expected =
        (bad_flags[i] & ~(uint32_t)0x1F) ? MAPI_E_UNKNOWN_FLAGS : MAPI_E_INVALID_PARAMETER;
    check_context("flags 0x%08lx", (unsigned long)bad_flags[i]);
    flags = bad_flags[i];
    CHECK_FAILS_WITH(uvmapi_support_store_logoff_transports(client.support, &flags), expected);
    CHECK_EQ(flags, bad_flags[i]);
    CHECK_FAILS_WITH(client.support->lpVtbl->StoreLogoffTransports(client.support, &flags),
                     expected);
  }
  check_context(NULL);
  CHECK_OK(uvmapi_support_activity(client.support, &activity));
  CHECK_EQ(logoff_log_count(&f.log), 0);

done:
  if (client.support) cs_client_release(&client);
  if (builtin) uvmapi_store_release(builtin, NULL);
  fixture_done(&f);
  CHECK_EQ(cs_provider_refs(&provider), 1);
  CHECK_EQ(cs_provider_refs(&other), 1);
  cs_provider_destroy(&provider);
  cs_provider_destroy(&other);
  cs_provider_destroy(&versionless);
}

static void support_invalid_objects(const void* arg) {
  fixture f;
  cs_provider provider;
  uvmapi_support *support = NULL, *gone = NULL;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  uint32_t flags = LOGOFF_NO_WAIT, count = 99;
  (void)arg;

  cs_provider_init(&provider);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  check_context("a foreign pointer as a support");
  misuse_support_calls((uvmapi_support*)(void*)&misuse_foreign, MAPI_E_INVALID_OBJECT, 1);
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);
  check_context("a store handle as a support");
  misuse_support_calls((uvmapi_support*)(void*)store, MAPI_E_INVALID_OBJECT, 1);
  check_context("an xpsupport handle as a support");
  misuse_support_calls((uvmapi_support*)(void*)xp, MAPI_E_INVALID_OBJECT, 1);

  /* After StoreLogoffTransports returned LOGOFF_COMPLETE only Release may
   * follow: the handle is still referenced, every other call is refused. */
  REQUIRE_OK(uvmapi_runtime_logon_store_provider(f.runtime, "custom", &provider.iface, &support));
  CHECK_OK(uvmapi_support_store_logoff_transports(support, &flags));
  CHECK_FLAGS(flags, LOGOFF_COMPLETE);
  check_context("a support whose store was logged off");
  misuse_support_calls(support, MAPI_E_INVALID_OBJECT, 0);
  misuse_support_vtable_calls(support, MAPI_E_INVALID_OBJECT);
  check_context(NULL);
  CHECK_OK(uvmapi_support_release(support, &count));
  CHECK_EQ(count, 0);
  gone = support;
  support = NULL;
  check_context("a released support handle");
  misuse_support_calls(gone, MAPI_E_INVALID_OBJECT, 0);
  CHECK_FAILS_WITH(uvmapi_support_add_ref(gone, &count), MAPI_E_INVALID_OBJECT);
  check_context(NULL);
  CHECK_EQ(logoff_log_count(&f.log), 1); /* Exactly one logoff for that logon. */

  CHECK_OK(uvmapi_store_activity(store, &flags)); /* The others were not touched. */
  CHECK(!ct_logged_off(t));

done:
  if (xp) ct_put_xp(t);
  if (support) uvmapi_support_release(support, NULL);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

/* --- xpsupport handles ------------------------------------------------------------ */

static void xpsupport_arguments(const void* arg) {
  fixture f;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  uvmapi_message bad;
  test_message m;
  uint64_t receive = 0;
  uint32_t activity = 0;
  void* object = (void*)&misuse_foreign;
  (void)arg;

  test_message_make(&m, "m");
  check_context("NULL xpsupport");
  misuse_xpsupport_calls(NULL, MAPI_E_INVALID_PARAMETER, 1);
  check_context(NULL);

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);

  CHECK_FAILS_WITH(uvmapi_xpsupport_begin_inbound(xp, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(xp->lpVtbl->BeginInbound(xp, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(xp->lpVtbl->QueryInterface(xp, &uvmapi_iid_xpsupport, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(xp->lpVtbl->QueryInterface(xp, &uvmapi_iid_support, &object),
                   MAPI_E_INTERFACE_NOT_SUPPORTED);
  CHECK(object == NULL);

  REQUIRE_OK(uvmapi_xpsupport_begin_inbound(xp, &receive));
  CHECK_FAILS_WITH(uvmapi_xpsupport_commit_inbound(xp, receive, NULL), MAPI_E_INVALID_PARAMETER);
  bad = m.message;
  bad.version = 0;
  CHECK_FAILS_WITH(uvmapi_xpsupport_commit_inbound(xp, receive, &bad), MAPI_E_INVALID_PARAMETER);
  bad = m.message;
  bad.content = NULL;
  CHECK_FAILS_WITH(uvmapi_xpsupport_commit_inbound(xp, receive, &bad), MAPI_E_INVALID_PARAMETER);
  /* Unknown activity ids are refused (the ABI does not name the code). */
  CHECK_FAILS(uvmapi_xpsupport_complete_send(xp, 987654, UVMAPI_S_OK));
  CHECK_FAILS(uvmapi_xpsupport_commit_inbound(xp, 987654, &m.message));
  CHECK_FAILS(uvmapi_xpsupport_abort_inbound(xp, 987654));
  CHECK_FAILS(uvmapi_xpsupport_flush_complete(xp)); /* No flush was asked for. */
  /* The receive begun above is still in flight and can be aborted. */
  CHECK_OK(uvmapi_store_activity(store, &activity));
  CHECK_FLAGS(activity, LOGOFF_INBOUND);
  CHECK_OK(uvmapi_xpsupport_abort_inbound(xp, receive));
  CHECK_OK(uvmapi_store_activity(store, &activity));
  CHECK_FLAGS(activity, 0);

  check_context("a foreign pointer as an xpsupport");
  misuse_xpsupport_calls((uvmapi_xpsupport*)(void*)&misuse_foreign, MAPI_E_INVALID_OBJECT, 1);
  check_context("a store handle as an xpsupport");
  misuse_xpsupport_calls((uvmapi_xpsupport*)(void*)store, MAPI_E_INVALID_OBJECT, 1);
  check_context(NULL);

  /* After its session was logged off, the xpsupport we still hold refuses
   * everything and changes nothing. */
  CHECK_OK(uvmapi_store_release(store, NULL));
  store = NULL;
  CHECK(ct_wait_logged_off(t, TEST_PATIENCE_MS));
  check_context("an xpsupport whose session was logged off");
  misuse_xpsupport_calls(xp, MAPI_E_INVALID_OBJECT, 0);
  misuse_xpsupport_vtable_calls(xp, MAPI_E_INVALID_OBJECT);
  check_context(NULL);
  {
    /* Counting still works (the runtime's own share of the count is its business). */
    uint32_t refs = xp->lpVtbl->AddRef(xp);
    CHECK(refs >= 2);
    CHECK_EQ(xp->lpVtbl->Release(xp), refs - 1);
  }

done:
  if (xp) ct_put_xp(t);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

void register_misuse_support_cases(void) {
  register_case("misuse/support_arguments", support_arguments, NULL);
  register_case("misuse/support_invalid_objects", support_invalid_objects, NULL);
  register_case("misuse/xpsupport_arguments", xpsupport_arguments, NULL);
}
