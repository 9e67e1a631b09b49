/* The logoff contract through the C ABI, on built-in in-memory stores.
 *
 * The matrix below is the C++ core's conformance matrix
 * (tests/conformance_matrix_test.cpp) for the sole opener, row for row. Each
 * case builds its activity state with the C transport (I = one message being
 * received, O = one being sent, Q = one queued that no transport takes),
 * logs the store off along one of three paths, lets the transport finish
 * what it still may, and checks the outcome and where every message ended:
 *
 *   wait     uvmapi_store_logoff (flat) + uvmapi_store_logoff_wait; a helper
 *            thread finishes the transport's work while the wait blocks.
 *   release  lpVtbl->StoreLogoff + lpVtbl->Release; the final outcome comes
 *            through the runtime's on_logoff callback.
 *   async    uvmapi_store_logoff_async; the final outcome comes through done.
 *
 * Every path runs the idle store and the store with I, O and Q together; the
 * wait path runs all eight activity states. */
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
#define I LOGOFF_INBOUND
#define O LOGOFF_OUTBOUND
#define Q LOGOFF_OUTBOUND_QUEUE
#define NONE 0u

/* When the opener is released: already when control returns, only at the
 * final outcome (after the transport finished), or never (the logoff did not
 * happen and the runtime keeps the opener). */
typedef enum when { RETURN, FINAL, NEVER } when;

#define INBOX PLACE_INBOX
#define SOURCE PLACE_SOURCE
#define SENT PLACE_SENT
#define OUTBOX PLACE_OUTBOX
#define NA PLACE_NONE

typedef struct matrix_row {
  uint32_t flag;
  uint32_t state;
  uint32_t at_return;
  uint32_t at_final;
  when released;
  place i, o, q; /* Where the I, O and Q messages end. */
} matrix_row;

/* clang-format off */
static const matrix_row matrix[] = {
  /* flag           state      at return      final      released  I       O       Q */
  {LOGOFF_NO_WAIT, NONE,      C,             C,         RETURN,   NA,     NA,     NA    },
  {LOGOFF_NO_WAIT, I,         C | I,         C,         FINAL,    INBOX,  NA,     NA    },
  {LOGOFF_NO_WAIT, O,         C | O,         C,         FINAL,    NA,     SENT,   NA    },
  {LOGOFF_NO_WAIT, Q,         C | Q,         C,         FINAL,    NA,     NA,     SENT  },
  {LOGOFF_NO_WAIT, I | O,     C | I | O,     C,         FINAL,    INBOX,  SENT,   NA    },
  {LOGOFF_NO_WAIT, I | Q,     C | I | Q,     C,         FINAL,    INBOX,  NA,     SENT  },
  {LOGOFF_NO_WAIT, O | Q,     C | O | Q,     C,         FINAL,    NA,     SENT,   SENT  },
  {LOGOFF_NO_WAIT, I | O | Q, C | I | O | Q, C,         FINAL,    INBOX,  SENT,   SENT  },
  {LOGOFF_ORDERLY, NONE,      C,             C,         RETURN,   NA,     NA,     NA    },
  {LOGOFF_ORDERLY, I,         C | I,         C,         FINAL,    INBOX,  NA,     NA    },
  {LOGOFF_ORDERLY, O,         C | O,         C,         FINAL,    NA,     SENT,   NA    },
  {LOGOFF_ORDERLY, Q,         C | Q,         C | Q,     RETURN,   NA,     NA,     OUTBOX},
  {LOGOFF_ORDERLY, I | O,     C | I | O,     C,         FINAL,    INBOX,  SENT,   NA    },
  {LOGOFF_ORDERLY, I | Q,     C | I | Q,     C | Q,     FINAL,    INBOX,  NA,     OUTBOX},
  {LOGOFF_ORDERLY, O | Q,     C | O | Q,     C | Q,     FINAL,    NA,     SENT,   OUTBOX},
  {LOGOFF_ORDERLY, I | O | Q, C | I | O | Q, C | Q,     FINAL,    INBOX,  SENT,   OUTBOX},
  {LOGOFF_PURGE,   NONE,      C,             C,         RETURN,   NA,     NA,     NA    },
  {LOGOFF_PURGE,   I,         C,             C,         RETURN,   INBOX,  NA,     NA    },
  {LOGOFF_PURGE,   O,         C,             C,         RETURN,   NA,     SENT,   NA    },
  {LOGOFF_PURGE,   Q,         C,             C,         RETURN,   NA,     NA,     SENT  },
  {LOGOFF_PURGE,   I | O,     C,             C,         RETURN,   INBOX,  SENT,   NA    },
  {LOGOFF_PURGE,   I | Q,     C,             C,         RETURN,   INBOX,  NA,     SENT  },
  {LOGOFF_PURGE,   O | Q,     C,             C,         RETURN,   NA,     SENT,   SENT  },
  {LOGOFF_PURGE,   I | O | Q, C,             C,         RETURN,   INBOX,  SENT,   SENT  },
  {LOGOFF_ABORT,   NONE,      C,             C,         RETURN,   NA,     NA,     NA    },
  {LOGOFF_ABORT,   I,         C,             C,         RETURN,   SOURCE, NA,     NA    },
  {LOGOFF_ABORT,   O,         C | Q,         C | Q,     RETURN,   NA,     OUTBOX, NA    },
  {LOGOFF_ABORT,   Q,         C | Q,         C | Q,     RETURN,   NA,     NA,     OUTBOX},
  {LOGOFF_ABORT,   I | O,     C | Q,         C | Q,     RETURN,   SOURCE, OUTBOX, NA    },
  {LOGOFF_ABORT,   I | Q,     C | Q,         C | Q,     RETURN,   SOURCE, NA,     OUTBOX},
  {LOGOFF_ABORT,   O | Q,     C | Q,         C | Q,     RETURN,   NA,     OUTBOX, OUTBOX},
  {LOGOFF_ABORT,   I | O | Q, C | Q,         C | Q,     RETURN,   SOURCE, OUTBOX, OUTBOX},
  {LOGOFF_QUIET,   NONE,      C,             C,         RETURN,   NA,     NA,     NA    },
  {LOGOFF_QUIET,   I,         I,             I,         NEVER,    INBOX,  NA,     NA    },
  {LOGOFF_QUIET,   O,         O,             O,         NEVER,    NA,     SENT,   NA    },
  {LOGOFF_QUIET,   Q,         Q,             Q,         NEVER,    NA,     NA,     SENT  },
  {LOGOFF_QUIET,   I | O,     I | O,         I | O,     NEVER,    INBOX,  SENT,   NA    },
  {LOGOFF_QUIET,   I | Q,     I | Q,         I | Q,     NEVER,    INBOX,  NA,     SENT  },
  {LOGOFF_QUIET,   O | Q,     O | Q,         O | Q,     NEVER,    NA,     SENT,   SENT  },
  {LOGOFF_QUIET,   I | O | Q, I | O | Q,     I | O | Q, NEVER,    INBOX,  SENT,   SENT  },
};
/* clang-format on */
#define MATRIX_ROWS (sizeof matrix / sizeof matrix[0])

typedef enum logoff_path { PATH_WAIT, PATH_RELEASE, PATH_ASYNC } logoff_path;
static const char* const path_names[] = {"wait", "release", "async"};

typedef struct matrix_case {
  const matrix_row* row;
  logoff_path path;
} matrix_case;

static matrix_case matrix_cases[MATRIX_ROWS * 3];

static const char* state_name(uint32_t state) {
  static const char* const names[] = {"none", "I", "O", "IO", "Q", "IQ", "OQ", "IOQ"};
  return names[((state & I) ? 1 : 0) | ((state & O) ? 2 : 0) | ((state & Q) ? 4 : 0)];
}

/* The three messages of an activity state. */
typedef struct activity_messages {
  test_message i, o, q;
} activity_messages;

/* Builds the activity state on purpose: O is a send the transport holds, Q
 * a message the transport refuses (capacity reached), I a delivery begun and
 * held. Returns whether the store reports exactly that state. */
static int build_state(uvmapi_store* store, ct_session* t, uint32_t state, activity_messages* m) {
  uint64_t id = 0;
  uint32_t activity = 0;
  test_message_make(&m->i, "i");
  test_message_make(&m->o, "o");
  test_message_make(&m->q, "q");
  if (state & O) {
    CHECK_OK(uvmapi_store_submit(store, &m->o.message, &id));
    CHECK_EQ(ct_sends_in_flight(t), 1);
  }
  if (state & Q) {
    ct_set_capacity(t, ct_sends_in_flight(t));
    CHECK_OK(uvmapi_store_submit(store, &m->q.message, &id));
    CHECK_EQ(ct_sends_in_flight(t), (state & O) ? 1 : 0);
  }
  if (state & I) CHECK_OK(ct_arrive(t, &m->i.message, 1));
  CHECK_OK(uvmapi_store_activity(store, &activity));
  return CHECK_FLAGS(activity, state);
}

/* Finishes the transport's work once the drain has begun, while the main
 * thread blocks in uvmapi_store_logoff_wait. */
typedef struct finisher {
  pthread_t thread;
  ct_session* session;
  int saw_drain;
} finisher;

static void* finisher_main(void* arg) {
  finisher* f = (finisher*)arg;
  /* NO_WAIT and ORDERLY both tell the transports NOTIFY_END_INBOUND when
   * they start, before control returns: from then on finishing the work
   * cannot change the flags at return. */
  f->saw_drain = ct_wait_note(f->session, NOTIFY_END_INBOUND, TEST_PATIENCE_MS);
  ct_finish_everything(f->session);
  return NULL;
}

static void check_outcome(const uvmapi_logoff_outcome* outcome, const matrix_row* row) {
  CHECK_EQ(outcome->version, UVMAPI_LOGOFF_OUTCOME_VERSION);
  CHECK_FLAGS(outcome->requested, row->flag);
  CHECK_HR(outcome->status, UVMAPI_S_OK);
  CHECK(outcome->returned);
  CHECK(outcome->finished);
  CHECK_FLAGS(outcome->flags_at_return, row->at_return);
  CHECK_FLAGS(outcome->flags_at_final, row->at_final);
  CHECK_EQ(outcome->released, row->released != NEVER);
  CHECK(!outcome->escalated);
  CHECK(!outcome->forced);
}

static void check_same_outcome(const uvmapi_logoff_outcome* a, const uvmapi_logoff_outcome* b) {
  CHECK_FLAGS(a->requested, b->requested);
  CHECK_HR(a->status, b->status);
  CHECK_FLAGS(a->flags_at_return, b->flags_at_return);
  CHECK_FLAGS(a->flags_at_final, b->flags_at_final);
  CHECK_EQ(a->released, b->released);
}

static void run_matrix_case(const void* arg) {
  const matrix_case* mc = (const matrix_case*)arg;
  const matrix_row* row = mc->row;
  fixture f;
  uvmapi_store* store = NULL;
  uvmapi_store* reader = NULL;
  ct_session* t = NULL;
  activity_messages m;
  uvmapi_logoff_outcome outcome = outcome_blank(), logged = outcome_blank();
  uint32_t flags = row->flag;
  size_t in_flight = 0;

  check_context("%s: %s with %s", path_names[mc->path], flag_name(row->flag),
                state_name(row->state));
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((store = fixture_open(&f, "store")) != NULL);
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE(build_state(store, t, row->state, &m));
  in_flight = ((row->state & I) ? 1u : 0u) + ((row->state & O) ? 1u : 0u);

  /* StoreLogoff saves the flag and reports the activity, nothing more. */
  if (mc->path == PATH_RELEASE) {
    CHECK_OK(store->lpVtbl->StoreLogoff(store, &flags));
  } else {
    CHECK_OK(uvmapi_store_logoff(store, &flags));
  }
  CHECK_FLAGS(flags, row->state);
  CHECK(!ct_logged_off(t));

  switch (mc->path) {
    case PATH_WAIT: {
      finisher fin;
      int started = 0;
      memset(&fin, 0, sizeof fin);
      fin.session = t;
      if (row->released == FINAL) {
        started = pthread_create(&fin.thread, NULL, finisher_main, &fin) == 0;
        CHECK(started);
      }
      CHECK_OK(uvmapi_store_logoff_wait(store, row->flag, TEST_PATIENCE_MS, &outcome));
      store = NULL; /* The handle is gone, whatever the outcome. */
      if (started) {
        pthread_join(fin.thread, NULL);
        CHECK(fin.saw_drain);
      }
      break;
    }
    case PATH_RELEASE:
      CHECK_EQ(store->lpVtbl->Release(store), 0);
      store = NULL;
      /* Release starts the logoff and never waits for it (docs/c-api.md).
       * Before the transport finishes anything, the store is released
       * exactly when the matrix says "at return". */
      if (row->released == RETURN) {
        CHECK(ct_wait_logged_off(t, TEST_PATIENCE_MS));
      } else {
        CHECK(!ct_logged_off(t));
      }
      if (row->released == FINAL) {
        CHECK_EQ(logoff_log_count(&f.log), 0); /* Nothing is final yet. */
        ct_finish_everything(t);
      }
      CHECK(logoff_log_wait(&f.log, 0, TEST_PATIENCE_MS, &outcome));
      break;
    case PATH_ASYNC: {
      outcome_slot slot;
      outcome_slot_init(&slot);
      CHECK_OK(uvmapi_store_logoff_async(store, row->flag, outcome_slot_done, &slot));
      store = NULL;
      /* A logoff that finishes at once (an idle store, QUIET) has called
       * done before _async returns (docs/c-api.md). */
      if (row->state == NONE || row->flag == LOGOFF_QUIET) {
        CHECK_EQ(outcome_slot_wait(&slot, 0, NULL), 1);
      }
      if (row->released == FINAL) {
        /* Let the logoff start on the loop before finishing the work. */
        CHECK(ct_wait_note(t, NOTIFY_END_INBOUND, TEST_PATIENCE_MS));
        ct_finish_everything(t);
      }
      CHECK_EQ(outcome_slot_wait(&slot, TEST_PATIENCE_MS, &outcome), 1);
      CHECK(!pthread_equal(slot.thread, pthread_self())); /* done runs on the loop thread. */
      outcome_slot_destroy(&slot);
      break;
    }
  }
  check_outcome(&outcome, row);

  /* The runtime reports the same final outcome to the host, exactly once. */
  if (CHECK(logoff_log_wait(&f.log, 0, TEST_PATIENCE_MS, &logged))) {
    check_same_outcome(&logged, &outcome);
    CHECK(strcmp(f.log.store[0], "store") == 0);
  }
  CHECK_EQ(logoff_log_count(&f.log), 1);

  /* A logoff that did not happen leaves the opener working: let the
   * transport finish so the messages reach the places the matrix names. */
  if (row->released == NEVER) ct_finish_everything(t);

  /* What the transport was told. */
  CHECK_EQ(ct_logged_off(t), row->released != NEVER);
  if (row->released != NEVER) {
    CHECK_EQ(ct_logoff_calls(t), 1);
    CHECK_EQ(ct_logoff_flags(t), row->flag == LOGOFF_ABORT ? LOGOFF_HURRY : LOGOFF_NORMAL);
  }
  if (row->flag == LOGOFF_PURGE) {
    CHECK_EQ(ct_flush_count(t), 1);
    CHECK_EQ(ct_last_flush(t) & (FLUSH_UPLOAD | FLUSH_DOWNLOAD | FLUSH_FORCE),
             FLUSH_UPLOAD | FLUSH_DOWNLOAD | FLUSH_FORCE);
  } else {
    CHECK_EQ(ct_flush_count(t), 0);
  }
  CHECK_EQ(ct_notes_with(t, NOTIFY_CANCEL_MESSAGE), row->flag == LOGOFF_ABORT ? in_flight : 0);
  CHECK(!ct_overflowed(t));

  /* Where every message ended, read through a second handle on the store.
   * Its own transport session (if the store logs on again) takes nothing. */
  ct_set_default_capacity(&f.transport, 0);
  REQUIRE((reader = fixture_open(&f, "store")) != NULL);
  if (row->state & I) {
    check_context("%s: %s with %s, message I", path_names[mc->path], flag_name(row->flag),
                  state_name(row->state));
    CHECK_EQ(locate(reader, t, &m.i.message, 1), row->i);
  }
  if (row->state & O) {
    check_context("%s: %s with %s, message O", path_names[mc->path], flag_name(row->flag),
                  state_name(row->state));
    CHECK_EQ(locate(reader, t, &m.o.message, 0), row->o);
  }
  if (row->state & Q) {
    check_context("%s: %s with %s, message Q", path_names[mc->path], flag_name(row->flag),
                  state_name(row->state));
    CHECK_EQ(locate(reader, t, &m.q.message, 0), row->q);
  }

done:
  if (reader) CHECK_OK(uvmapi_store_release(reader, NULL));
  if (store) uvmapi_store_release(store, NULL);
  fixture_done(&f);
}

/* --- Shared store ------------------------------------------------------------ */

static const uint32_t all_flags[] = {LOGOFF_NO_WAIT, LOGOFF_ORDERLY, LOGOFF_PURGE, LOGOFF_ABORT,
                                     LOGOFF_QUIET};

/* With another handle on the store, a logoff of one touches nothing: it goes
 * at once with LOGOFF_COMPLETE alone, and the transport goes on serving the
 * other handle, which then finishes everything. */
static void run_shared_case(const void* arg) {
  const uint32_t flag = *(const uint32_t*)arg;
  fixture f;
  uvmapi_store *a = NULL, *b = NULL;
  ct_session* t = NULL;
  activity_messages m;
  test_message x;
  uvmapi_logoff_outcome outcome = outcome_blank();
  uint32_t flags = flag, activity = 0;
  uint64_t id = 0;

  check_context("shared: %s with IOQ", flag_name(flag));
  if (!fixture_init(&f, 0, 0, NULL)) goto done;
  REQUIRE((a = fixture_open(&f, "store")) != NULL);
  REQUIRE((b = fixture_open(&f, "store")) != NULL);
  CHECK_EQ(ct_provider_session_count(&f.transport), 1); /* One logon of the transports. */
  REQUIRE((t = ct_provider_session(&f.transport, "store")) != NULL);
  REQUIRE(build_state(a, t, I | O | Q, &m));

  CHECK_OK(uvmapi_store_logoff(a, &flags));
  CHECK_FLAGS(flags, I | O | Q);
  CHECK_OK(uvmapi_store_logoff_wait(a, flag, TEST_PATIENCE_MS, &outcome));
  a = NULL;
  CHECK_FLAGS(outcome.requested, flag);
  CHECK_HR(outcome.status, UVMAPI_S_OK);
  CHECK(outcome.returned && outcome.finished && outcome.released);
  CHECK_FLAGS(outcome.flags_at_return, C);
  CHECK_FLAGS(outcome.flags_at_final, C);

  /* Nothing was touched. */
  CHECK(!ct_logged_off(t));
  CHECK_EQ(ct_notes_with(t, NOTIFY_END_INBOUND), 0);
  CHECK_EQ(ct_notes_with(t, NOTIFY_CANCEL_MESSAGE), 0);
  CHECK_EQ(ct_flush_count(t), 0);
  CHECK_EQ(ct_sends_in_flight(t), 1);
  CHECK_EQ(ct_receives_in_flight(t), 1);
  CHECK_OK(uvmapi_store_activity(b, &activity));
  CHECK_FLAGS(activity, I | O | Q);

  /* The transport keeps serving the other handle. */
  test_message_make(&x, "x");
  CHECK_OK(uvmapi_store_submit(b, &x.message, &id));
  ct_finish_everything(t);
  CHECK_EQ(locate(b, t, &m.i.message, 1), PLACE_INBOX);
  CHECK_EQ(locate(b, t, &m.o.message, 0), PLACE_SENT);
  CHECK_EQ(locate(b, t, &m.q.message, 0), PLACE_SENT);
  CHECK_EQ(locate(b, t, &x.message, 0), PLACE_SENT);

  /* The last handle's logoff is the real one. */
  outcome = outcome_blank();
  CHECK_OK(uvmapi_store_logoff_wait(b, LOGOFF_ORDERLY, TEST_PATIENCE_MS, &outcome));
  b = NULL;
  CHECK(outcome.released);
  CHECK_FLAGS(outcome.flags_at_final, C);
  CHECK(ct_logged_off(t));
  CHECK_EQ(ct_logoff_flags(t), LOGOFF_NORMAL);

done:
  if (a) uvmapi_store_release(a, NULL);
  if (b) uvmapi_store_release(b, NULL);
  fixture_done(&f);
}

void register_logoff_cases(void) {
  char name[80];
  size_t r, k = 0;
  logoff_path path;
  for (r = 0; r < MATRIX_ROWS; ++r) {
    for (path = PATH_WAIT; path <= PATH_ASYNC; ++path) {
      /* Every state on the wait path; idle and I|O|Q on the other two. */
      if (path != PATH_WAIT && matrix[r].state != NONE && matrix[r].state != (I | O | Q)) continue;
      matrix_cases[k].row = &matrix[r];
      matrix_cases[k].path = path;
      snprintf(name, sizeof name, "%s/%s/%s", path_names[path], flag_name(matrix[r].flag),
               state_name(matrix[r].state));
      register_case(name, run_matrix_case, &matrix_cases[k++]);
    }
  }
  for (r = 0; r < sizeof all_flags / sizeof all_flags[0]; ++r) {
    snprintf(name, sizeof name, "shared/%s", flag_name(all_flags[r]));
    register_case(name, run_shared_case, &all_flags[r]);
  }
}
