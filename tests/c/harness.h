/* What every C case needs: a runtime with the C transport registered, the
 * outcomes its on_logoff callback reported, test messages, and questions
 * about where a message is now. */
#ifndef UVMAPI_C_TESTS_HARNESS_H
#define UVMAPI_C_TESTS_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "c_transport.h"
#include "uvmapi/uvmapi.h"

/* --- Messages --------------------------------------------------------------- */

/* An RFC 5322 message whose body names it; owns everything it points to. */
typedef struct test_message {
  char content[160];
  const char* recipients[1];
  uvmapi_message message;
} test_message;

void test_message_make(test_message* out, const char* body);

/* "NO_WAIT" and so on, for an input flag. */
const char* flag_name(uint32_t flag);

/* --- Outcomes reported to the runtime's on_logoff callback ------------------ */

#define LOG_MAX 32

/* Called on the loop thread after an outcome was recorded, without the
 * log's mutex, so it may call into the library (re-entrancy cases). */
typedef void (*logoff_hook)(void* context, const char* store_name,
                            const uvmapi_logoff_outcome* outcome);

typedef struct logoff_log {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  size_t count;
  char store[LOG_MAX][64];
  uvmapi_logoff_outcome outcome[LOG_MAX];
  logoff_hook hook; /* Set before the runtime runs any logoff. */
  void* hook_context;
} logoff_log;

void logoff_log_init(logoff_log* log);
void logoff_log_destroy(logoff_log* log);
size_t logoff_log_count(logoff_log* log);
/* Waits until the log holds more than index outcomes, then copies that one. */
int logoff_log_wait(logoff_log* log, size_t index, unsigned timeout_ms, uvmapi_logoff_outcome* out);
/* The runtime's on_logoff callback; context is a logoff_log. */
void logoff_log_callback(void* context, const char* store_name,
                         const uvmapi_logoff_outcome* outcome);

/* A one-shot outcome for uvmapi_store_logoff_async's done callback. */
typedef struct outcome_slot {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int calls;
  pthread_t thread; /* Where done ran. */
  uvmapi_logoff_outcome outcome;
} outcome_slot;

void outcome_slot_init(outcome_slot* slot);
void outcome_slot_destroy(outcome_slot* slot);
void outcome_slot_done(void* context, const uvmapi_logoff_outcome* outcome);
int outcome_slot_wait(outcome_slot* slot, unsigned timeout_ms, uvmapi_logoff_outcome* out);

/* A zeroed outcome with its version set, for the calls that fill one. */
uvmapi_logoff_outcome outcome_blank(void);

/* --- The fixture -------------------------------------------------------------- */

typedef struct fixture {
  uvmapi_runtime* runtime;
  ct_provider transport;
  logoff_log log;
  int shut_down;
} fixture;

/* 0 for a deadline means "never in a healthy run". host_loop: see runtime.h. */
int fixture_init(fixture* f, unsigned drain_ms, unsigned abort_ms, void* host_loop);
/* Shuts the runtime down, destroys it and checks the transport's sessions
 * were all released by the runtime. */
void fixture_done(fixture* f);
/* Opens a built-in in-memory store by name; NULL (and a failed check) on error. */
uvmapi_store* fixture_open(fixture* f, const char* name);

/* --- Where is a message ------------------------------------------------------- */

typedef enum place {
  PLACE_NONE = 0, /* The state has no such message ("-" in the matrix). */
  PLACE_INBOX,
  PLACE_SOURCE, /* Still at the transport's source. */
  PLACE_SENT,
  PLACE_OUTBOX
} place;

const char* place_name(place where);
/* How many messages of a folder have this content, read through store. */
uint32_t count_in(uvmapi_store* store, uvmapi_folder folder, const uvmapi_message* message);
/* Where the message is, failing a check unless it is in exactly one place
 * (and reached the peer exactly when it is in Sent Items). reader is a store
 * handle on the same store. */
place locate(uvmapi_store* reader, ct_session* session, const uvmapi_message* message, int inbound);

#endif /* UVMAPI_C_TESTS_HARNESS_H */
