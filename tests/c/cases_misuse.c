/* The misuse suite, part one: the runtime, the version and error functions,
 * and store handles. Every exported function is called with bad arguments
 * and must fail with the documented error and a message, never crash. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "c_store_provider.h"
#include "cases.h"
#include "check.h"
#include "harness.h"
#include "misuse.h"
#include "test_time.h"

static const int misuse_target = 42;
foreign_object misuse_foreign = {&misuse_target, {0}};

void misuse_store_calls(uvmapi_store* store, uvmapi_hresult expected, int with_refcount) {
  uint32_t flags = LOGOFF_ORDERLY, count = 0;
  uint64_t id = 0, ids[4];
  uvmapi_message_data* data = NULL;
  test_message m;
  outcome_slot slot;
  uvmapi_logoff_outcome outcome = outcome_blank();

  outcome_slot_init(&slot);
  test_message_make(&m, "misuse");
  if (with_refcount) {
    CHECK_FAILS_WITH(uvmapi_store_add_ref(store, &count), expected);
    CHECK_FAILS_WITH(uvmapi_store_release(store, &count), expected);
  }
  CHECK_FAILS_WITH(uvmapi_store_logoff(store, &flags), expected);
  CHECK_FLAGS(flags, LOGOFF_ORDERLY); /* Untouched on error. */
  CHECK_FAILS_WITH(uvmapi_store_submit(store, &m.message, &id), expected);
  CHECK_FAILS_WITH(uvmapi_store_folder_count(store, UVMAPI_FOLDER_INBOX, &count), expected);
  CHECK_FAILS_WITH(uvmapi_store_list(store, UVMAPI_FOLDER_INBOX, ids, 4, &count), expected);
  CHECK_FAILS_WITH(uvmapi_store_read(store, 1, &data), expected);
  CHECK(data == NULL);
  CHECK_FAILS_WITH(uvmapi_store_activity(store, &flags), expected);
  CHECK_FAILS_WITH(uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 1000, &outcome), expected);
  CHECK_FAILS_WITH(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, outcome_slot_done, &slot),
                   expected);
  CHECK_EQ(slot.calls, 0); /* A refused async logoff never calls done. */
  outcome_slot_destroy(&slot);
}

void misuse_store_vtable_calls(uvmapi_store* store, uvmapi_hresult expected) {
  const uvmapi_store_vtbl* vtbl = store->lpVtbl;
  uint32_t flags = LOGOFF_ORDERLY, count = 0;
  uint64_t id = 0, ids[4];
  uvmapi_message_data* data = NULL;
  void* object = NULL;
  test_message m;
  test_message_make(&m, "misuse");
  CHECK_FAILS_WITH(vtbl->QueryInterface(store, &uvmapi_iid_store, &object), expected);
  CHECK(object == NULL);
  CHECK_FAILS_WITH(vtbl->StoreLogoff(store, &flags), expected);
  CHECK_FAILS_WITH(vtbl->SubmitMessage(store, &m.message, &id), expected);
  CHECK_FAILS_WITH(vtbl->GetFolderCount(store, UVMAPI_FOLDER_OUTBOX, &count), expected);
  CHECK_FAILS_WITH(vtbl->ListFolder(store, UVMAPI_FOLDER_OUTBOX, ids, 4, &count), expected);
  CHECK_FAILS_WITH(vtbl->ReadMessage(store, 1, &data), expected);
  CHECK_FAILS_WITH(vtbl->GetActivity(store, &flags), expected);
}

/* --- The runtime --------------------------------------------------------------- */

typedef struct fresh_thread_error {
  uvmapi_hresult error;
  int has_message;
} fresh_thread_error;

static void* read_error_elsewhere(void* arg) {
  fresh_thread_error* seen = (fresh_thread_error*)arg;
  const char* message = uvmapi_last_error_message();
  seen->error = uvmapi_last_error();
  seen->has_message = message != NULL && message[0] != '\0';
  return NULL;
}

static void runtime_arguments(const void* arg) {
  uvmapi_runtime_options options;
  uvmapi_runtime* runtime = NULL;
  uvmapi_transport_provider provider = UVMAPI_TRANSPORT_PROVIDER_INIT;
  fixture f;
  (void)arg;

  memset(&options, 0xAB, sizeof options);
  CHECK_FAILS_WITH(uvmapi_runtime_options_init(NULL, UVMAPI_RUNTIME_OPTIONS_VERSION),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_options_init(&options, 0), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_options_init(&options, UVMAPI_RUNTIME_OPTIONS_VERSION + 1),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_OK(uvmapi_runtime_options_init(&options, UVMAPI_RUNTIME_OPTIONS_VERSION));
  /* A success clears the thread's error and its message. */
  CHECK_HR(uvmapi_last_error(), UVMAPI_S_OK);
  CHECK(uvmapi_last_error_message() != NULL && uvmapi_last_error_message()[0] == '\0');
  {
    /* Exactly what the _INIT macro gives. */
    uvmapi_runtime_options expected = UVMAPI_RUNTIME_OPTIONS_INIT;
    CHECK_EQ(options.version, expected.version);
    CHECK(options.host_loop == expected.host_loop);
    CHECK_EQ(options.drain_deadline_ms, expected.drain_deadline_ms);
    CHECK_EQ(options.abort_deadline_ms, expected.abort_deadline_ms);
    CHECK(options.on_logoff == expected.on_logoff);
    CHECK(options.on_logoff_context == expected.on_logoff_context);
  }
  /* The functions that cannot fail leave the last error alone. */
  CHECK_FAILS_WITH(uvmapi_runtime_shutdown(NULL), MAPI_E_INVALID_PARAMETER);
  (void)uvmapi_hresult_name(UVMAPI_HR(0x80040999));
  (void)uvmapi_version();
  (void)uvmapi_version_string();
  uvmapi_message_free(NULL);
  CHECK_HR(uvmapi_last_error(), MAPI_E_INVALID_PARAMETER);
  CHECK(uvmapi_last_error_message()[0] != '\0');
  {
    /* The last error belongs to the thread: another thread has its own. */
    pthread_t other;
    fresh_thread_error seen = {0, 0};
    if (CHECK(pthread_create(&other, NULL, read_error_elsewhere, &seen) == 0)) {
      pthread_join(other, NULL);
      CHECK_HR(seen.error, UVMAPI_S_OK);
      CHECK(!seen.has_message);
    }
    CHECK_HR(uvmapi_last_error(), MAPI_E_INVALID_PARAMETER);
  }

  CHECK_FAILS_WITH(uvmapi_runtime_create(NULL, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_create(&options, NULL), MAPI_E_INVALID_PARAMETER);
  options.version = 0;
  CHECK_FAILS_WITH(uvmapi_runtime_create(&options, &runtime), MAPI_E_INVALID_PARAMETER);
  CHECK(runtime == NULL);
  options.version = UVMAPI_RUNTIME_OPTIONS_VERSION + 1;
  CHECK_FAILS_WITH(uvmapi_runtime_create(&options, &runtime), MAPI_E_INVALID_PARAMETER);
  CHECK(runtime == NULL);

  CHECK_FAILS_WITH(uvmapi_runtime_shutdown(NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_destroy(NULL), MAPI_E_INVALID_PARAMETER);

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  provider.TransportLogon = NULL;
  CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(NULL, &f.transport.registration),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(f.runtime, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(f.runtime, &provider),
                   MAPI_E_INVALID_PARAMETER);
  provider = f.transport.registration;
  provider.version = 0;
  CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(f.runtime, &provider),
                   MAPI_E_INVALID_PARAMETER);
  /* The options were copied: the defaults of a create with NULL options work. */
  CHECK_OK(uvmapi_runtime_create(NULL, &runtime));
  CHECK(runtime != NULL);
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));

done:
  fixture_done(&f);
}

/* Runtime functions given something that is not a runtime. */
static void runtime_foreign(const void* arg) {
  fixture f;
  uvmapi_store* store = NULL;
  uvmapi_store* opened = NULL;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  cs_provider provider;
  uvmapi_support* support = NULL;
  uvmapi_runtime* kinds[2];
  size_t i;
  (void)arg;

  cs_provider_init(&provider);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  kinds[0] = (uvmapi_runtime*)(void*)&misuse_foreign;
  kinds[1] = (uvmapi_runtime*)(void*)store; /* A handle of the wrong kind. */
  options.name = "other";
  for (i = 0; i < 2; ++i) {
    check_context("%s as a runtime", i == 0 ? "a foreign pointer" : "a store handle");
    CHECK_FAILS_WITH(uvmapi_store_open(kinds[i], &options, &opened), MAPI_E_INVALID_OBJECT);
    CHECK(opened == NULL);
    CHECK_FAILS_WITH(uvmapi_runtime_add_transport_provider(kinds[i], &f.transport.registration),
                     MAPI_E_INVALID_OBJECT);
    CHECK_FAILS_WITH(
        uvmapi_runtime_logon_store_provider(kinds[i], "custom", &provider.iface, &support),
        MAPI_E_INVALID_OBJECT);
    CHECK(support == NULL);
    CHECK_FAILS_WITH(uvmapi_runtime_shutdown(kinds[i]), MAPI_E_INVALID_OBJECT);
    CHECK_FAILS_WITH(uvmapi_runtime_destroy(kinds[i]), MAPI_E_INVALID_OBJECT);
  }
  check_context(NULL);
  CHECK_OK(uvmapi_store_activity(store, &(uint32_t){0})); /* Nothing happened to the store. */

done:
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

static int contains_ignoring_case(const char* text, const char* part) {
  size_t n = strlen(part), i, j;
  for (i = 0; text[i]; ++i) {
    for (j = 0; j < n && text[i + j] &&
                tolower((unsigned char)text[i + j]) == tolower((unsigned char)part[j]);
         ++j) {
    }
    if (j == n) return 1;
  }
  return 0;
}

static void version_and_names(const void* arg) {
  char version[32];
  const char* name;
  (void)arg;
  CHECK_EQ(uvmapi_version(), UVMAPI_VERSION_HEX);
  snprintf(version, sizeof version, "%d.%d.%d", UVMAPI_VERSION_MAJOR, UVMAPI_VERSION_MINOR,
           UVMAPI_VERSION_PATCH);
  CHECK(uvmapi_version_string() != NULL && strcmp(uvmapi_version_string(), version) == 0);
  CHECK(strcmp(uvmapi_hresult_name(MAPI_E_BUSY), "MAPI_E_BUSY") == 0);
  CHECK(strcmp(uvmapi_hresult_name(MAPI_E_UNABLE_TO_ABORT), "MAPI_E_UNABLE_TO_ABORT") == 0);
  CHECK(strcmp(uvmapi_hresult_name(MAPI_E_INVALID_OBJECT), "MAPI_E_INVALID_OBJECT") == 0);
  CHECK(strcmp(uvmapi_hresult_name(UVMAPI_S_OK), "S_OK") == 0);
  name = uvmapi_hresult_name(UVMAPI_HR(0x8123ABCD));
  CHECK(name != NULL && contains_ignoring_case(name, "8123ABCD"));
  /* The interface identifiers are six different ones. */
  {
    const uvmapi_iid* iids[] = {&uvmapi_iid_unknown,        &uvmapi_iid_store,
                                &uvmapi_iid_store_provider, &uvmapi_iid_support,
                                &uvmapi_iid_transport,      &uvmapi_iid_xpsupport};
    size_t i, j;
    for (i = 0; i < 6; ++i) {
      for (j = i + 1; j < 6; ++j) CHECK(memcmp(iids[i], iids[j], sizeof *iids[i]) != 0);
    }
  }
}

/* --- Store handles ------------------------------------------------------------- */

static void store_open_arguments(const void* arg) {
  fixture f;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  (void)arg;
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  options.name = "store";
  CHECK_FAILS_WITH(uvmapi_store_open(NULL, &options, &store), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, NULL, &store), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, NULL), MAPI_E_INVALID_PARAMETER);
  options.version = 0;
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &store), MAPI_E_INVALID_PARAMETER);
  options.version = UVMAPI_STORE_OPTIONS_VERSION + 1;
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &store), MAPI_E_INVALID_PARAMETER);
  options.version = UVMAPI_STORE_OPTIONS_VERSION;
  options.name = NULL;
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &store), MAPI_E_INVALID_PARAMETER);
  options.name = "";
  CHECK_FAILS_WITH(uvmapi_store_open(f.runtime, &options, &store), MAPI_E_INVALID_PARAMETER);
  CHECK(store == NULL);
  CHECK_EQ(ct_provider_session_count(&f.transport), 0); /* Nothing was logged on. */
done:
  fixture_done(&f);
}

/* NULL handles, then NULL out-pointers on a good handle, which must be left
 * exactly as it was. */
static void store_null_arguments(const void* arg) {
  fixture f;
  uvmapi_store* store = NULL;
  test_message m;
  outcome_slot slot;
  uvmapi_message_data* data = NULL;
  uint64_t id = 0, ids[4];
  uint32_t count = 0, activity = 0;
  const uvmapi_store_vtbl* vtbl;
  (void)arg;

  outcome_slot_init(&slot);
  test_message_make(&m, "null");
  check_context("NULL store");
  misuse_store_calls(NULL, MAPI_E_INVALID_PARAMETER, 1);
  check_context(NULL);
  uvmapi_message_free(NULL); /* Allowed, and does nothing. */

  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  CHECK_FAILS_WITH(uvmapi_store_logoff(store, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_submit(store, NULL, &id), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_folder_count(store, UVMAPI_FOLDER_INBOX, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_list(store, UVMAPI_FOLDER_INBOX, NULL, 4, &count),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_list(store, UVMAPI_FOLDER_INBOX, ids, 4, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_read(store, 1, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_activity(store, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 1000, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, NULL, &slot),
                   MAPI_E_INVALID_PARAMETER);

  vtbl = store->lpVtbl;
  CHECK_FAILS_WITH(vtbl->QueryInterface(store, NULL, (void**)&data), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->QueryInterface(store, &uvmapi_iid_store, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->StoreLogoff(store, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->SubmitMessage(store, NULL, &id), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->GetFolderCount(store, UVMAPI_FOLDER_INBOX, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->ListFolder(store, UVMAPI_FOLDER_INBOX, ids, 4, NULL),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->ReadMessage(store, 1, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(vtbl->GetActivity(store, NULL), MAPI_E_INVALID_PARAMETER);

  /* Nothing changed: no message taken, one reference, still logged on. */
  CHECK_OK(uvmapi_store_folder_count(store, UVMAPI_FOLDER_OUTBOX, &count));
  CHECK_EQ(count, 0);
  /* The one optional out-pointer: a submission's id (docs/c-api.md). */
  CHECK_OK(uvmapi_store_submit(store, &m.message, NULL));
  CHECK_OK(uvmapi_store_folder_count(store, UVMAPI_FOLDER_OUTBOX, &count));
  CHECK_EQ(count, 1);
  CHECK_OK(uvmapi_store_activity(store, &activity));
  CHECK_OK(uvmapi_store_add_ref(store, &count));
  CHECK_EQ(count, 2);
  CHECK_OK(uvmapi_store_release(store, &count));
  CHECK_EQ(count, 1);
  CHECK_OK(uvmapi_store_add_ref(store, NULL)); /* count may be NULL. */
  CHECK_OK(uvmapi_store_release(store, NULL));
  CHECK_EQ(slot.calls, 0);
  CHECK_EQ(logoff_log_count(&f.log), 0);

done:
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  outcome_slot_destroy(&slot);
}

/* Bad flags, folders and messages, each refused with the contract's error
 * and with nothing saved: the flag saved before them is the one the final
 * release uses. */
static void store_bad_arguments(const void* arg) {
  static const struct {
    uint32_t flags;
    uvmapi_hresult expected;
  } bad_flags[] = {
      {0, MAPI_E_INVALID_PARAMETER},
      {LOGOFF_NO_WAIT | LOGOFF_ORDERLY, MAPI_E_INVALID_PARAMETER},
      {LOGOFF_PURGE | LOGOFF_ABORT | LOGOFF_QUIET, MAPI_E_INVALID_PARAMETER},
      {0x20, MAPI_E_UNKNOWN_FLAGS},
      {0x1000, MAPI_E_UNKNOWN_FLAGS}, /* The Windows spooler's private bits. */
      {0x2000 | LOGOFF_ABORT, MAPI_E_UNKNOWN_FLAGS},
      {LOGOFF_COMPLETE, MAPI_E_UNKNOWN_FLAGS}, /* Output bits are unknown as input. */
      {LOGOFF_ORDERLY | LOGOFF_OUTBOUND_QUEUE, MAPI_E_UNKNOWN_FLAGS},
      {0x80000000u | LOGOFF_NO_WAIT | LOGOFF_ORDERLY, MAPI_E_UNKNOWN_FLAGS}, /* Unknown first. */
  };
  fixture f;
  uvmapi_store* store = NULL;
  test_message m;
  uvmapi_message bad;
  const char* const no_one[] = {NULL};
  outcome_slot slot;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uvmapi_message_data* data = NULL;
  uint32_t flags, count = 0;
  uint64_t id = 0, ids[4];
  void* object = (void*)&misuse_foreign;
  size_t i;
  (void)arg;

  outcome_slot_init(&slot);
  test_message_make(&m, "bad");
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  flags = LOGOFF_ORDERLY;
  CHECK_OK(uvmapi_store_logoff(store, &flags));

  for (i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; ++i) {
    check_context("flags 0x%08lx", (unsigned long)bad_flags[i].flags);
    flags = bad_flags[i].flags;
    CHECK_FAILS_WITH(uvmapi_store_logoff(store, &flags), bad_flags[i].expected);
    CHECK_EQ(flags, bad_flags[i].flags);
    CHECK_FAILS_WITH(store->lpVtbl->StoreLogoff(store, &flags), bad_flags[i].expected);
    CHECK_EQ(flags, bad_flags[i].flags);
    CHECK_FAILS_WITH(uvmapi_store_logoff_wait(store, bad_flags[i].flags, 1000, &outcome),
                     bad_flags[i].expected);
    CHECK_FAILS_WITH(uvmapi_store_logoff_async(store, bad_flags[i].flags, outcome_slot_done, &slot),
                     bad_flags[i].expected);
  }
  check_context(NULL);

  CHECK_FAILS_WITH(uvmapi_store_folder_count(store, (uvmapi_folder)3, &count),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_list(store, (uvmapi_folder)-1, ids, 4, &count),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(store->lpVtbl->GetFolderCount(store, (uvmapi_folder)7, &count),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_store_read(store, 123456, &data), MAPI_E_NOT_FOUND);
  CHECK(data == NULL);
  CHECK_OK(uvmapi_store_list(store, UVMAPI_FOLDER_INBOX, NULL, 0, &count)); /* Just the size. */
  CHECK_EQ(count, 0);

  /* Malformed messages: never taken. */
  for (i = 0; i < 6; ++i) {
    bad = m.message;
    switch (i) {
      case 0:
        bad.version = 0;
        break;
      case 1:
        bad.version = UVMAPI_MESSAGE_VERSION + 1;
        break;
      case 2:
        bad.recipient_count = 0; /* A message needs a recipient. */
        break;
      case 3:
        bad.recipients = NULL;
        break;
      case 4:
        bad.recipients = no_one;
        break;
      case 5:
        bad.content = NULL; /* With content_size > 0. */
        break;
    }
    check_context("malformed message %zu", i);
    CHECK_FAILS_WITH(uvmapi_store_submit(store, &bad, &id), MAPI_E_INVALID_PARAMETER);
  }
  check_context(NULL);
  CHECK_OK(uvmapi_store_folder_count(store, UVMAPI_FOLDER_OUTBOX, &count));
  CHECK_EQ(count, 0);

  CHECK_FAILS_WITH(store->lpVtbl->QueryInterface(store, &uvmapi_iid_transport, &object),
                   MAPI_E_INTERFACE_NOT_SUPPORTED);
  CHECK(object == NULL);

  /* _wait with a reference still held elsewhere: MAPI_E_BUSY, nothing changes. */
  CHECK_OK(uvmapi_store_add_ref(store, &count));
  CHECK_FAILS_WITH(uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 1000, &outcome), MAPI_E_BUSY);
  CHECK_FAILS_WITH(uvmapi_store_logoff_async(store, LOGOFF_NO_WAIT, outcome_slot_done, &slot),
                   MAPI_E_BUSY);
  CHECK_OK(uvmapi_store_release(store, &count));
  CHECK_EQ(count, 1);
  CHECK_EQ(slot.calls, 0);
  CHECK_EQ(logoff_log_count(&f.log), 0);

  /* The flag saved before all this is still the one: ORDERLY. */
  CHECK_EQ(store->lpVtbl->Release(store), 0);
  store = NULL;
  if (CHECK(logoff_log_wait(&f.log, 0, TEST_PATIENCE_MS, &outcome))) {
    CHECK_FLAGS(outcome.requested, LOGOFF_ORDERLY);
  }

done:
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  outcome_slot_destroy(&slot);
}

/* A released store handle, a foreign pointer and handles of other kinds. */
static void store_invalid_objects(const void* arg) {
  fixture f;
  uvmapi_store *store = NULL, *released = NULL;
  cs_provider provider;
  cs_client client;
  ct_session* t = NULL;
  uvmapi_xpsupport* xp = NULL;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t count = 99;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  if (!fixture_init(&f, 0, 0, NULL)) goto done;

  REQUIRE((released = fixture_open(&f, "gone")) != NULL);
  CHECK_OK(uvmapi_store_logoff_wait(released, LOGOFF_NO_WAIT, TEST_PATIENCE_MS, &outcome));
  CHECK(outcome.released);
  check_context("a released store handle");
  misuse_store_calls(released, MAPI_E_INVALID_OBJECT, 0);
  CHECK_FAILS_WITH(uvmapi_store_add_ref(released, &count), MAPI_E_INVALID_OBJECT);
  /* A late Release is the one call allowed (semantics.md: it only counts
   * down; c-api.md "Misuse": it succeeds with a count of zero) and never
   * logs off again. */
  CHECK_OK(uvmapi_store_release(released, &count));
  CHECK_EQ(count, 0);
  CHECK_EQ(logoff_log_count(&f.log), 1);

  check_context("a foreign pointer as a store");
  misuse_store_calls((uvmapi_store*)(void*)&misuse_foreign, MAPI_E_INVALID_OBJECT, 1);

  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE((xp = ct_get_xp(t)) != NULL);
  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));
  check_context("a support handle as a store");
  misuse_store_calls((uvmapi_store*)(void*)client.support, MAPI_E_INVALID_OBJECT, 1);
  check_context("an xpsupport handle as a store");
  misuse_store_calls((uvmapi_store*)(void*)xp, MAPI_E_INVALID_OBJECT, 1);
  check_context(NULL);

  /* None of that touched the real objects. */
  CHECK_OK(uvmapi_store_activity(store, &count));
  CHECK_OK(uvmapi_support_activity(client.support, &count));
  CHECK(!ct_logged_off(t));

done:
  if (xp) ct_put_xp(t);
  if (client.support) cs_client_release(&client);
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
  cs_provider_destroy(&provider);
}

void register_misuse_cases(void) {
  register_case("misuse/runtime_arguments", runtime_arguments, NULL);
  register_case("misuse/runtime_foreign", runtime_foreign, NULL);
  register_case("misuse/version_and_names", version_and_names, NULL);
  register_case("misuse/store_open_arguments", store_open_arguments, NULL);
  register_case("misuse/store_null_arguments", store_null_arguments, NULL);
  register_case("misuse/store_bad_arguments", store_bad_arguments, NULL);
  register_case("misuse/store_invalid_objects", store_invalid_objects, NULL);
  register_misuse_support_cases();
  register_misuse_lifecycle_cases();
  register_misuse_object_cases();
  register_misuse_loop_cases();
}
