/* The misuse suite, part four: QueryInterface on the library's objects, and
 * host objects (transport sessions, store providers) that break the rules. */
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

/* QueryInterface on each object of the library: its own interface and
 * IUnknown give the same pointer with a new reference; anything else
 * MAPI_E_INTERFACE_NOT_SUPPORTED and NULL. */
static void query_interface(const void* arg) {
  const uvmapi_iid* all[] = {&uvmapi_iid_unknown,   &uvmapi_iid_store,
                             &uvmapi_iid_support,   &uvmapi_iid_xpsupport,
                             &uvmapi_iid_transport, &uvmapi_iid_store_provider};
  fixture f;
  cs_provider provider;
  cs_client client;
  uvmapi_store* store = NULL;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  void* object;
  uint32_t count = 0;
  size_t i;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);
  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));

  for (i = 0; i < sizeof all / sizeof all[0]; ++i) {
    int store_has = all[i] == &uvmapi_iid_unknown || all[i] == &uvmapi_iid_store;
    int support_has = all[i] == &uvmapi_iid_unknown || all[i] == &uvmapi_iid_support;
    int xp_has = all[i] == &uvmapi_iid_unknown || all[i] == &uvmapi_iid_xpsupport;
    check_context("interface %zu", i);

    object = &misuse_foreign;
    CHECK_HR(store->lpVtbl->QueryInterface(store, all[i], &object),
             store_has ? UVMAPI_S_OK : MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK(object == (store_has ? (void*)store : NULL));
    if (store_has) {
      CHECK_OK(uvmapi_store_release(store, &count));
      CHECK_EQ(count, 1);
    }

    object = &misuse_foreign;
    CHECK_HR(client.support->lpVtbl->QueryInterface(client.support, all[i], &object),
             support_has ? UVMAPI_S_OK : MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK(object == (support_has ? (void*)client.support : NULL));
    if (support_has) {
      CHECK_OK(uvmapi_support_release(client.support, &count));
      CHECK_EQ(count, 1);
    }

    object = &misuse_foreign;
    CHECK_HR(xp->lpVtbl->QueryInterface(xp, all[i], &object),
             xp_has ? UVMAPI_S_OK : MAPI_E_INTERFACE_NOT_SUPPORTED);
    CHECK(object == (xp_has ? (void*)xp : NULL));
    if (xp_has) CHECK_OK(uvmapi_xpsupport_release(xp, NULL));
  }
  check_context(NULL);

done:
  if (xp) ct_put_xp(t);
  if (client.support) cs_client_release(&client);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

/* --- Host objects that break the rules ---------------------------------------------- */

/* A transport provider whose TransportLogon goes wrong in one of four ways;
 * a store's logon must then fail and leave nothing behind. */
typedef struct bad_transport {
  uvmapi_transport iface;
  int mode;
  unsigned refs;
  unsigned logons;
} bad_transport;

static uvmapi_hresult bad_qi(uvmapi_transport* self, const uvmapi_iid* iid, void** object) {
  (void)self;
  (void)iid;
  if (object) *object = NULL;
  return MAPI_E_INTERFACE_NOT_SUPPORTED;
}
static uint32_t bad_add_ref(uvmapi_transport* self) {
  return ++((bad_transport*)(void*)self)->refs;
}
static uint32_t bad_release(uvmapi_transport* self) {
  return --((bad_transport*)(void*)self)->refs;
}
static uvmapi_hresult bad_submit(uvmapi_transport* self, uint64_t send,
                                 const uvmapi_message* message) {
  (void)self;
  (void)send;
  (void)message;
  return MAPI_E_BUSY;
}
static void bad_flush(uvmapi_transport* self, uint32_t flags) {
  (void)self;
  (void)flags;
}
static void bad_notify(uvmapi_transport* self, uint32_t flags, uint64_t activity) {
  (void)self;
  (void)flags;
  (void)activity;
}
static void bad_logoff(uvmapi_transport* self, uint32_t flags) {
  (void)self;
  (void)flags;
}
static const uvmapi_transport_vtbl versionless_vtbl = {
    0, bad_qi, bad_add_ref, bad_release, bad_submit, bad_flush, bad_notify, bad_logoff};
static const uvmapi_transport_vtbl holed_vtbl = {UVMAPI_TRANSPORT_VTBL_VERSION,
                                                 bad_qi,
                                                 bad_add_ref,
                                                 bad_release,
                                                 bad_submit,
                                                 NULL,
                                                 bad_notify,
                                                 bad_logoff};

static uvmapi_hresult bad_logon(void* context, const char* store_name, uvmapi_xpsupport* support,
                                uvmapi_transport** session) {
  bad_transport* bad = (bad_transport*)context;
  (void)store_name;
  (void)support;
  ++bad->logons;
  switch (bad->mode) {
    case 0:
      return MAPI_E_NO_SUPPORT; /* The provider's own failure. */
    case 1:
      *session = NULL; /* S_OK without a session. */
      return UVMAPI_S_OK;
    default:
      bad->iface.lpVtbl = bad->mode == 2 ? &versionless_vtbl : &holed_vtbl;
      bad->refs = 1;
      *session = &bad->iface;
      return UVMAPI_S_OK;
  }
}

static void bad_host_objects(const void* arg) {
  static const uvmapi_hresult expected[] = {MAPI_E_NO_SUPPORT, MAPI_E_CALL_FAILED,
                                            MAPI_E_CALL_FAILED, MAPI_E_CALL_FAILED};
  static const char* const what[] = {"TransportLogon fails", "S_OK without a session",
                                     "a session vtable of version 0",
                                     "a session vtable with a NULL slot"};
  int mode;
  (void)arg;

  for (mode = 0; mode < 4; ++mode) {
    fixture f;
    bad_transport bad;
    uvmapi_transport_provider registration = UVMAPI_TRANSPORT_PROVIDER_INIT;
    uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
    uvmapi_store* store = NULL;
    ct_session* good = NULL;

    check_context("%s", what[mode]);
    memset(&bad, 0, sizeof bad);
    bad.mode = mode;
    if (!fixture_init(&f, 0, 0, NULL)) { /* The C transport comes first. */
      fixture_done(&f);
      continue;
    }
    registration.context = &bad;
    registration.TransportLogon = bad_logon;
    CHECK_OK(uvmapi_runtime_add_transport_provider(f.runtime, &registration));
    options.name = "store";
    CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &store), expected[mode]);
    CHECK(store == NULL);
    CHECK_EQ(bad.logons, 1);
    CHECK_EQ(bad.refs, 0); /* A returned session was released again. */
    /* The session already logged on for the store was logged off again. */
    good = ct_provider_session(&f.transport, "store");
    if (CHECK(good != NULL)) {
      CHECK(ct_logged_off(good));
      CHECK_EQ(ct_refs(good), 0);
    }
    fixture_done(&f);
  }
  check_context(NULL);

  {
    /* A store provider whose vtable is missing or has a hole. */
    fixture f;
    cs_provider provider;
    uvmapi_store_provider_vtbl holed;
    const uvmapi_store_provider_vtbl* original;
    uvmapi_support* support = NULL;
    cs_provider_init(&provider);
    original = provider.iface.lpVtbl;
    if (fixture_init(&f, 0, 0, NULL)) {
      holed = *original;
      holed.MoveMessage = NULL;
      provider.iface.lpVtbl = &holed;
      CHECK_FAILS_WITH(
          uvmapi_runtime_logon_store_provider(f.runtime, "custom", &provider.iface, &support),
          MAPI_E_INVALID_PARAMETER);
      provider.iface.lpVtbl = NULL;
      CHECK_FAILS_WITH(
          uvmapi_runtime_logon_store_provider(f.runtime, "custom", &provider.iface, &support),
          MAPI_E_INVALID_PARAMETER);
      CHECK(support == NULL);
      provider.iface.lpVtbl = original;
      CHECK_EQ(ct_provider_session_count(&f.transport), 0);
    }
    fixture_done(&f);
    CHECK_EQ(cs_provider_refs(&provider), 1);
    cs_provider_destroy(&provider);
  }
}

void register_misuse_object_cases(void) {
  register_case("misuse/query_interface", query_interface, NULL);
  register_case("misuse/bad_host_objects", bad_host_objects, NULL);
}
