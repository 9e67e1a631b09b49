/* The misuse suite on the loop thread: a runtime on a host loop, called from
 * the thread that drives it. There a call runs at once, without the hand-off
 * to the loop that the other misuse cases go through, and it must refuse the
 * same handles in the same way. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* libuv's headers need BSD types on macOS. */
#endif

#include <string.h>
#include <uv.h>

#include "c_store_provider.h"
#include "cases.h"
#include "check.h"
#include "harness.h"
#include "misuse.h"

/* After a success the thread's last error is S_OK with an empty message,
 * whatever failed before. */
static void check_cleared(const char* after) {
  check_context("the last error after %s", after);
  CHECK_HR(uvmapi_last_error(), UVMAPI_S_OK);
  CHECK(strcmp(uvmapi_last_error_message(), "") == 0);
  check_context(NULL);
}

static void loop_thread_invalid_objects(const void* arg) {
  uv_loop_t loop;
  fixture f;
  int have_fixture = 0, have_loop = 0;
  uvmapi_store *store = NULL, *released = NULL;
  cs_provider provider;
  cs_client client;
  uint32_t activity = 99, count = 99;
  (void)arg;

  cs_provider_init(&provider);
  memset(&client, 0, sizeof client);
  REQUIRE((have_loop = uv_loop_init(&loop) == 0) != 0);
  have_fixture = 1;
  REQUIRE(fixture_init(&f, 0, 0, &loop));
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  CHECK_OK(uvmapi_store_activity(store, &activity));
  CHECK_EQ(activity, 0);
  check_cleared("a first call");

  check_context("a NULL store on the loop thread");
  CHECK_FAILS_WITH(uvmapi_store_activity(NULL, &activity), MAPI_E_INVALID_PARAMETER);
  check_context("a NULL out-parameter on the loop thread");
  CHECK_FAILS_WITH(uvmapi_store_activity(store, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_OK(uvmapi_store_activity(store, &activity));
  check_cleared("a failure and a success");

  REQUIRE((released = fixture_open(&f, "gone")) != NULL);
  CHECK_OK(uvmapi_store_activity(released, &activity)); /* Known to the index. */
  CHECK_OK(uvmapi_store_release(released, &count));
  CHECK_EQ(count, 0);
  check_context("a released store on the loop thread");
  misuse_store_calls(released, MAPI_E_INVALID_OBJECT, 0);
  misuse_store_vtable_calls(released, MAPI_E_INVALID_OBJECT);
  CHECK_OK(uvmapi_store_release(released, &count)); /* Late Release: allowed. */
  CHECK_EQ(count, 0);

  check_context("a foreign pointer as a store on the loop thread");
  misuse_store_calls((uvmapi_store*)(void*)&misuse_foreign, MAPI_E_INVALID_OBJECT, 1);

  REQUIRE_OK(cs_client_open(&client, f.runtime, "custom", &provider));
  CHECK_OK(uvmapi_support_activity(client.support, &activity));
  check_context("a support handle as a store on the loop thread");
  misuse_store_calls((uvmapi_store*)(void*)client.support, MAPI_E_INVALID_OBJECT, 1);
  check_context(NULL);

  /* None of that touched the real objects. */
  CHECK_OK(uvmapi_store_activity(store, &activity));
  check_cleared("the misuse");
  CHECK_OK(uvmapi_support_activity(client.support, &activity));

  /* After shutdown the loop thread's calls fail as everyone's do (the
   * blocking ones aside: the loop thread may never make those). */
  REQUIRE_OK(uvmapi_runtime_shutdown(f.runtime));
  check_context("a store after shutdown, on the loop thread");
  CHECK_FAILS_WITH(uvmapi_store_activity(store, &activity), MAPI_E_INVALID_OBJECT);
  CHECK_FAILS_WITH(uvmapi_store_folder_count(store, UVMAPI_FOLDER_INBOX, &count),
                   MAPI_E_INVALID_OBJECT);
  CHECK_FAILS_WITH(store->lpVtbl->GetActivity(store, &activity), MAPI_E_INVALID_OBJECT);
  check_context(NULL);

done:
  if (client.support) cs_client_release(&client);
  if (store) uvmapi_store_release(store, NULL);
  if (have_fixture) fixture_done(&f);
  if (have_loop) {
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ(uv_loop_close(&loop), 0);
  }
  cs_provider_destroy(&provider);
}

void register_misuse_loop_cases(void) {
  register_case("misuse/loop_thread_invalid_objects", loop_thread_invalid_objects, NULL);
}
