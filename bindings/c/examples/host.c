/* A C host: one runtime, the example transport (transport.c), and a busy
 * store logged off in each of the five modes.
 *
 * Each store gets two messages. The transport holds one send at a time, so
 * the first message is being sent (O) and the second waits in the Outbox (Q)
 * when the host logs the store off with uvmapi_store_logoff_async. The host
 * then plays the peer, acknowledging what the transport holds, and prints the
 * outcome the runtime reports. Finally it logs on again to the store ORDERLY
 * left a message in, and shuts the runtime down, which ends the store QUIET
 * kept.
 *
 * It is a sample, but it checks what it prints against docs/semantics.md and
 * exits non-zero on any surprise, so the test suite can run it. */
#define _POSIX_C_SOURCE 200809L /* pthreads and clock_gettime under -std=c99. */

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uvmapi/uvmapi.h>

#include "transport.h"

#define C LOGOFF_COMPLETE
#define O LOGOFF_OUTBOUND
#define Q LOGOFF_OUTBOUND_QUEUE

static int failures = 0;

#define EXPECT(condition, ...)                                    \
  do {                                                            \
    if (!(condition)) {                                           \
      ++failures;                                                 \
      fprintf(stderr, "%s:%d: unexpected: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                               \
      fprintf(stderr, "\n");                                      \
    }                                                             \
  } while (0)

/* "COMPLETE|OUTBOUND|OUTBOUND_QUEUE", or "-" for none. */
static const char* flag_names(uint32_t flags, char* out, size_t size) {
  static const struct {
    uint32_t bit;
    const char* name;
  } names[] = {{LOGOFF_COMPLETE, "COMPLETE"},
               {LOGOFF_INBOUND, "INBOUND"},
               {LOGOFF_OUTBOUND, "OUTBOUND"},
               {LOGOFF_OUTBOUND_QUEUE, "OUTBOUND_QUEUE"}};
  size_t i;
  out[0] = '\0';
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    if (!(flags & names[i].bit)) continue;
    if (out[0] != '\0') strncat(out, "|", size - strlen(out) - 1);
    strncat(out, names[i].name, size - strlen(out) - 1);
  }
  if (out[0] == '\0') strncat(out, "-", size - 1);
  return out;
}

/* --- Waiting for the outcome of uvmapi_store_logoff_async ------------------
 * done runs on the runtime's loop thread; the host's thread waits for it. */

typedef struct pending_logoff {
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;
  int done;
  uvmapi_logoff_outcome outcome;
} pending_logoff;

static void on_done(void* context, const uvmapi_logoff_outcome* outcome) {
  pending_logoff* pending = (pending_logoff*)context;
  pthread_mutex_lock(&pending->mutex);
  pending->outcome = *outcome; /* Valid only during this call: copy it. */
  pending->done = 1;
  pthread_cond_broadcast(&pending->done_cond);
  pthread_mutex_unlock(&pending->mutex);
}

static int wait_done(pending_logoff* pending, unsigned timeout_ms) {
  struct timespec deadline;
  int done;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&pending->mutex);
  while (!pending->done) {
    if (pthread_cond_timedwait(&pending->done_cond, &pending->mutex, &deadline) != 0) break;
  }
  done = pending->done;
  pthread_mutex_unlock(&pending->mutex);
  return done;
}

/* --- The runtime's on_logoff callback: every final outcome ----------------- */

typedef struct logoff_log {
  pthread_mutex_t mutex;
  unsigned count;
  char store[16][32];
  uvmapi_logoff_outcome outcome[16];
} logoff_log;

static void on_logoff(void* context, const char* store_name, const uvmapi_logoff_outcome* outcome) {
  logoff_log* log = (logoff_log*)context;
  pthread_mutex_lock(&log->mutex);
  if (log->count < 16) {
    strncpy(log->store[log->count], store_name, sizeof log->store[0] - 1);
    log->outcome[log->count++] = *outcome;
  }
  pthread_mutex_unlock(&log->mutex);
}

/* --- One mode --------------------------------------------------------------- */

typedef struct mode_case {
  const char* name; /* Also the store's name. */
  uint32_t flag;
  uint32_t at_return, at_final;
  int released;
  unsigned sent;             /* Messages the peer got. */
  uint32_t transport_logoff; /* 0: the transport is not logged off. */
} mode_case;

/* What docs/semantics.md says for a store with O and Q and no other opener. */
static const mode_case modes[] = {
    {"NO_WAIT", LOGOFF_NO_WAIT, C | O | Q, C, 1, 2, LOGOFF_NORMAL},
    {"ORDERLY", LOGOFF_ORDERLY, C | O | Q, C | Q, 1, 1, LOGOFF_NORMAL},
    {"PURGE", LOGOFF_PURGE, C, C, 1, 2, LOGOFF_NORMAL},
    {"ABORT", LOGOFF_ABORT, C | Q, C | Q, 1, 0, LOGOFF_HURRY},
    {"QUIET", LOGOFF_QUIET, O | Q, O | Q, 0, 0, 0},
};

static void submit(uvmapi_store* store, const char* subject) {
  static const char* const to[] = {"bob@example.org"};
  char content[128];
  uvmapi_message message = UVMAPI_MESSAGE_INIT;
  uvmapi_hresult hr;
  sprintf(content, "From: alice@example.org\r\nSubject: %s\r\n\r\nHello, Bob.\r\n", subject);
  message.sender = "alice@example.org";
  message.recipients = to;
  message.recipient_count = 1;
  message.content = content;
  message.content_size = strlen(content);
  hr = uvmapi_store_submit(store, &message, NULL);
  EXPECT(hr == UVMAPI_S_OK, "submit: %s", uvmapi_last_error_message());
}

static void log_off_busy_store(uvmapi_runtime* runtime, example_provider* transport,
                               const mode_case* mode) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  example_session* session;
  example_session_stats stats;
  pending_logoff pending;
  uint32_t activity = 0;
  char a[64], b[64];
  uvmapi_hresult hr;

  options.name = mode->name;
  hr = uvmapi_store_open(runtime, &options, &store);
  EXPECT(hr == UVMAPI_S_OK, "open %s: %s", mode->name, uvmapi_last_error_message());
  if (hr != UVMAPI_S_OK) return;
  session = example_provider_session(transport, mode->name);

  submit(store, "first");  /* Taken by the transport: being sent (O). */
  submit(store, "second"); /* Refused for now: queued (Q). */
  uvmapi_store_activity(store, &activity);
  EXPECT(activity == (O | Q), "activity %s", flag_names(activity, a, sizeof a));

  memset(&pending, 0, sizeof pending);
  pthread_mutex_init(&pending.mutex, NULL);
  pthread_cond_init(&pending.done_cond, NULL);
  /* StoreLogoff(flag) and the release of our only reference, in one call.
   * The handle is gone once it succeeds; done hears the final outcome. */
  hr = uvmapi_store_logoff_async(store, mode->flag, on_done, &pending);
  EXPECT(hr == UVMAPI_S_OK, "logoff: %s", uvmapi_last_error_message());
  store = NULL;

  /* The peer acknowledges what the transport holds, and takes the rest at
   * once, unless the logoff already ended (QUIET keeps the store as it is). */
  if (!wait_done(&pending, 0)) {
    example_session_set_send_at_once(session, 1);
    example_session_complete_held(session);
  }
  EXPECT(wait_done(&pending, 10000), "%s did not finish", mode->name);
  stats = example_session_get_stats(session);

  printf("%-8s at return %-30s final %-24s %-12s peer got %u, cancelled %u, flushes %u", mode->name,
         flag_names(pending.outcome.flags_at_return, a, sizeof a),
         flag_names(pending.outcome.flags_at_final, b, sizeof b),
         pending.outcome.released ? "released" : "not released", stats.sent, stats.cancelled,
         stats.flushes);
  if (stats.logged_off) {
    printf(", transport logged off %s\n",
           stats.logoff_flags == LOGOFF_HURRY ? "in a hurry" : "normally");
  } else {
    printf(", transport still logged on\n");
  }

  EXPECT(pending.outcome.status == UVMAPI_S_OK, "status %s",
         uvmapi_hresult_name(pending.outcome.status));
  EXPECT(pending.outcome.requested == mode->flag, "requested 0x%x",
         (unsigned)pending.outcome.requested);
  EXPECT(pending.outcome.flags_at_return == mode->at_return, "%s at return", mode->name);
  EXPECT(pending.outcome.flags_at_final == mode->at_final, "%s final", mode->name);
  EXPECT(!pending.outcome.released == !mode->released, "%s released", mode->name);
  EXPECT(stats.sent == mode->sent, "%s: the peer got %u", mode->name, stats.sent);
  EXPECT(stats.cancelled == (mode->flag == LOGOFF_ABORT ? 1u : 0u), "%s cancels", mode->name);
  EXPECT(stats.flushes == (mode->flag == LOGOFF_PURGE ? 1u : 0u), "%s flushes", mode->name);
  EXPECT(stats.logoff_flags == mode->transport_logoff, "%s: TransportLogoff", mode->name);

  pthread_cond_destroy(&pending.done_cond);
  pthread_mutex_destroy(&pending.mutex);
}

/* ORDERLY left a message in the Outbox: the next logon's session sends it. */
static void log_on_again(uvmapi_runtime* runtime, example_provider* transport) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  uvmapi_logoff_outcome outcome;
  uint32_t outbox = 0, sent = 0;
  uvmapi_hresult hr;

  options.name = "ORDERLY";
  hr = uvmapi_store_open(runtime, &options, &store);
  EXPECT(hr == UVMAPI_S_OK, "open again: %s", uvmapi_last_error_message());
  if (hr != UVMAPI_S_OK) return;
  /* The new session was offered the queued message at logon and holds it. */
  EXPECT(example_session_complete_held(example_provider_session(transport, "ORDERLY")) == 1,
         "the next logon did not take the queued message");
  uvmapi_store_folder_count(store, UVMAPI_FOLDER_OUTBOX, &outbox);
  uvmapi_store_folder_count(store, UVMAPI_FOLDER_SENT_ITEMS, &sent);
  printf("ORDERLY  logged on again: Outbox %u, Sent Items %u\n", (unsigned)outbox, (unsigned)sent);
  EXPECT(outbox == 0 && sent == 2, "the next logon did not send what ORDERLY left");

  /* An idle store: the wait returns at once with the final outcome. */
  hr = uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 10000, &outcome);
  EXPECT(hr == UVMAPI_S_OK && outcome.released && outcome.flags_at_final == C,
         "logoff of an idle store");
}

int main(void) {
  uvmapi_runtime_options options = UVMAPI_RUNTIME_OPTIONS_INIT;
  uvmapi_runtime* runtime = NULL;
  example_provider* transport;
  logoff_log log;
  size_t i;
  unsigned j;
  int quiet_ended = 0;
  uvmapi_hresult hr;

  printf("uvmapi %s\n", uvmapi_version_string());
  memset(&log, 0, sizeof log);
  pthread_mutex_init(&log.mutex, NULL);
  options.drain_deadline_ms = 10000;
  options.on_logoff = on_logoff;
  options.on_logoff_context = &log;
  hr = uvmapi_runtime_create(&options, &runtime);
  if (hr != UVMAPI_S_OK) {
    fprintf(stderr, "runtime: %s\n", uvmapi_last_error_message());
    return 1;
  }
  transport = example_provider_create(1); /* One send at a time. */
  if (transport == NULL || example_provider_register(transport, runtime) != UVMAPI_S_OK) {
    fprintf(stderr, "transport: %s\n", uvmapi_last_error_message());
    uvmapi_runtime_destroy(runtime);
    example_provider_destroy(transport);
    return 1;
  }

  for (i = 0; i < sizeof modes / sizeof modes[0]; ++i) {
    log_off_busy_store(runtime, transport, &modes[i]);
  }
  log_on_again(runtime, transport);

  /* Shutdown ends the store QUIET left logged on, with an ABORT; on_logoff
   * hears it. Then the transport's sessions may be freed. */
  hr = uvmapi_runtime_destroy(runtime);
  EXPECT(hr == UVMAPI_S_OK, "destroy: %s", uvmapi_last_error_message());
  example_provider_destroy(transport);

  pthread_mutex_lock(&log.mutex);
  for (j = 0; j < log.count; ++j) {
    if (strcmp(log.store[j], "QUIET") == 0 && log.outcome[j].requested == LOGOFF_ABORT) {
      quiet_ended = log.outcome[j].released;
    }
  }
  printf("on_logoff heard %u logoffs; shutdown %s the store QUIET kept\n", log.count,
         quiet_ended ? "ended" : "did not end");
  EXPECT(quiet_ended, "shutdown did not end the QUIET store");
  EXPECT(log.count == 7, "on_logoff heard %u logoffs", log.count); /* 5 + again + shutdown. */
  pthread_mutex_unlock(&log.mutex);
  pthread_mutex_destroy(&log.mutex);

  if (failures) {
    fprintf(stderr, "%d unexpected outcomes\n", failures);
    return 1;
  }
  printf("every outcome as documented\n");
  return 0;
}
