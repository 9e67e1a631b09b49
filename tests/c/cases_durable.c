/* Durable stores through the ABI (uvmapi_store_options.path): what survives
 * a runtime, and the shared-store rule between two runtimes on one directory,
 * which is how two processes meet. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "cases.h"
#include "check.h"
#include "harness.h"
#include "test_time.h"

#define C LOGOFF_COMPLETE
#define Q LOGOFF_OUTBOUND_QUEUE

static int remove_entry(const char* path, const struct stat* info, int type, struct FTW* ftw) {
  (void)info;
  (void)type;
  (void)ftw;
  return remove(path);
}

static void remove_tree(const char* root) {
  nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static uvmapi_store* open_dir(fixture* f, const char* root) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  options.path = root;
  if (!CHECK_OK(uvmapi_store_open(f->runtime, &options, &store))) return NULL;
  return store;
}

/* ORDERLY leaves the queue in the Outbox; a new runtime on the same
 * directory finds it there and sends it. */
static void queue_survives_restart(const void* arg) {
  char root[] = "/tmp/uvmapi-c-durable-XXXXXX";
  fixture first, second;
  int second_ready = 0;
  uvmapi_store *store = NULL, *again = NULL;
  ct_session *t = NULL, *next = NULL;
  test_message q;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint64_t id = 0;
  (void)arg;

  REQUIRE(mkdtemp(root) != NULL);
  if (!fixture_init(&first, 0, 0, NULL)) goto done;
  REQUIRE((store = open_dir(&first, root)) != NULL);
  REQUIRE((t = ct_provider_session(&first.transport, root)) != NULL);
  ct_set_capacity(t, 0);
  test_message_make(&q, "durable queue");
  CHECK_OK(uvmapi_store_submit(store, &q.message, &id));
  CHECK_OK(uvmapi_store_logoff_wait(store, LOGOFF_ORDERLY, TEST_PATIENCE_MS, &outcome));
  store = NULL;
  CHECK(outcome.released);
  CHECK_FLAGS(outcome.flags_at_final, C | Q);
  fixture_done(&first);

  second_ready = fixture_init(&second, 0, 0, NULL);
  if (!second_ready) goto done;
  REQUIRE((again = open_dir(&second, root)) != NULL);
  REQUIRE((next = ct_provider_session(&second.transport, root)) != NULL);
  CHECK_EQ(count_in(again, UVMAPI_FOLDER_OUTBOX, &q.message), 1);
  CHECK_EQ(ct_sends_in_flight(next), 1); /* Offered at the new logon. */
  ct_finish_everything(next);
  CHECK_EQ(count_in(again, UVMAPI_FOLDER_SENT_ITEMS, &q.message), 1);
  CHECK_EQ(count_in(again, UVMAPI_FOLDER_OUTBOX, &q.message), 0);

done:
  if (again) uvmapi_store_release(again, NULL);
  if (second_ready) fixture_done(&second);
  remove_tree(root);
}

/* Two runtimes on one directory: the first one's logoff finds the store open
 * elsewhere, so it touches nothing and reports LOGOFF_COMPLETE alone. */
static void shared_across_runtimes(const void* arg) {
  char root[] = "/tmp/uvmapi-c-durable-XXXXXX";
  fixture a, b;
  int b_ready = 0;
  uvmapi_store *mine = NULL, *theirs = NULL;
  ct_session* t = NULL;
  test_message o;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint64_t id = 0;
  (void)arg;

  REQUIRE(mkdtemp(root) != NULL);
  if (!fixture_init(&a, 0, 0, NULL)) goto done;
  b_ready = fixture_init(&b, 0, 0, NULL);
  if (!b_ready) goto done;
  REQUIRE((mine = open_dir(&a, root)) != NULL);
  REQUIRE((theirs = open_dir(&b, root)) != NULL);
  REQUIRE((t = ct_provider_session(&a.transport, root)) != NULL);
  test_message_make(&o, "held while shared");
  CHECK_OK(uvmapi_store_submit(mine, &o.message, &id));
  CHECK_EQ(ct_sends_in_flight(t), 1);

  CHECK_OK(uvmapi_store_logoff_wait(mine, LOGOFF_ABORT, TEST_PATIENCE_MS, &outcome));
  mine = NULL;
  CHECK_FLAGS(outcome.flags_at_return, C);
  CHECK_FLAGS(outcome.flags_at_final, C);
  CHECK(outcome.released);
  /* Nothing was cancelled, nothing moved: this runtime has no opener left,
   * so its own session ends in a hurry, and the message it held stays in
   * the Outbox, where the other runtime sees it. */
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_HURRY);
  CHECK_EQ(count_in(theirs, UVMAPI_FOLDER_OUTBOX, &o.message), 1);
  CHECK_EQ(count_in(theirs, UVMAPI_FOLDER_SENT_ITEMS, &o.message), 0);

done:
  if (theirs) uvmapi_store_release(theirs, NULL);
  if (b_ready) fixture_done(&b);
  fixture_done(&a);
  remove_tree(root);
}

void register_durable_cases(void) {
  register_case("durable/queue_survives_restart", queue_survives_restart, NULL);
  register_case("durable/shared_across_runtimes", shared_across_runtimes, NULL);
}
