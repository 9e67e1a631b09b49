/* The shared harness of the C cases (see harness.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "test_time.h"

void test_message_make(test_message* out, const char* body) {
  memset(out, 0, sizeof *out);
  snprintf(out->content, sizeof out->content,
           "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: %s\r\n\r\n%s\r\n", body,
           body);
  out->recipients[0] = "bob@example.org";
  out->message.version = UVMAPI_MESSAGE_VERSION;
  out->message.sender = "alice@example.org";
  out->message.recipients = out->recipients;
  out->message.recipient_count = 1;
  out->message.content = out->content;
  out->message.content_size = strlen(out->content);
}

const char* flag_name(uint32_t flag) {
  switch (flag) {
    case LOGOFF_NO_WAIT:
      return "NO_WAIT";
    case LOGOFF_ORDERLY:
      return "ORDERLY";
    case LOGOFF_PURGE:
      return "PURGE";
    case LOGOFF_ABORT:
      return "ABORT";
    case LOGOFF_QUIET:
      return "QUIET";
  }
  return "?";
}

uvmapi_logoff_outcome outcome_blank(void) {
  uvmapi_logoff_outcome outcome;
  memset(&outcome, 0, sizeof outcome);
  outcome.version = UVMAPI_LOGOFF_OUTCOME_VERSION;
  return outcome;
}

/* --- The on_logoff log ------------------------------------------------------ */

void logoff_log_init(logoff_log* log) {
  memset(log, 0, sizeof *log);
  pthread_mutex_init(&log->mutex, NULL);
  pthread_cond_init(&log->changed, NULL);
}

void logoff_log_destroy(logoff_log* log) {
  pthread_cond_destroy(&log->changed);
  pthread_mutex_destroy(&log->mutex);
}

size_t logoff_log_count(logoff_log* log) {
  size_t count;
  pthread_mutex_lock(&log->mutex);
  count = log->count;
  pthread_mutex_unlock(&log->mutex);
  return count;
}

void logoff_log_callback(void* context, const char* store_name,
                         const uvmapi_logoff_outcome* outcome) {
  logoff_log* log = (logoff_log*)context;
  pthread_mutex_lock(&log->mutex);
  if (log->count < LOG_MAX) {
    snprintf(log->store[log->count], sizeof log->store[0], "%s", store_name ? store_name : "");
    log->outcome[log->count] = *outcome;
    ++log->count;
  }
  pthread_cond_broadcast(&log->changed);
  pthread_mutex_unlock(&log->mutex);
  if (log->hook) log->hook(log->hook_context, store_name, outcome);
}

int logoff_log_wait(logoff_log* log, size_t index, unsigned timeout_ms,
                    uvmapi_logoff_outcome* out) {
  struct timespec deadline = test_deadline_after(timeout_ms);
  int found;
  pthread_mutex_lock(&log->mutex);
  while (log->count <= index) {
    if (pthread_cond_timedwait(&log->changed, &log->mutex, &deadline) == ETIMEDOUT) break;
  }
  found = log->count > index;
  if (found && out) *out = log->outcome[index];
  pthread_mutex_unlock(&log->mutex);
  return found;
}

/* --- The async outcome slot --------------------------------------------------- */

void outcome_slot_init(outcome_slot* slot) {
  memset(slot, 0, sizeof *slot);
  pthread_mutex_init(&slot->mutex, NULL);
  pthread_cond_init(&slot->changed, NULL);
}

void outcome_slot_destroy(outcome_slot* slot) {
  pthread_cond_destroy(&slot->changed);
  pthread_mutex_destroy(&slot->mutex);
}

void outcome_slot_done(void* context, const uvmapi_logoff_outcome* outcome) {
  outcome_slot* slot = (outcome_slot*)context;
  pthread_mutex_lock(&slot->mutex);
  ++slot->calls;
  slot->thread = pthread_self();
  slot->outcome = *outcome;
  pthread_cond_broadcast(&slot->changed);
  pthread_mutex_unlock(&slot->mutex);
}

int outcome_slot_wait(outcome_slot* slot, unsigned timeout_ms, uvmapi_logoff_outcome* out) {
  struct timespec deadline = test_deadline_after(timeout_ms);
  int calls;
  pthread_mutex_lock(&slot->mutex);
  while (slot->calls == 0) {
    if (pthread_cond_timedwait(&slot->changed, &slot->mutex, &deadline) == ETIMEDOUT) break;
  }
  calls = slot->calls;
  if (calls && out) *out = slot->outcome;
  pthread_mutex_unlock(&slot->mutex);
  return calls;
}

/* --- The fixture -------------------------------------------------------------- */

int fixture_init(fixture* f, unsigned drain_ms, unsigned abort_ms, void* host_loop) {
  uvmapi_runtime_options options = UVMAPI_RUNTIME_OPTIONS_INIT;
  memset(f, 0, sizeof *f);
  ct_provider_init(&f->transport);
  logoff_log_init(&f->log);
  options.host_loop = host_loop;
  options.drain_deadline_ms = drain_ms ? drain_ms : TEST_NO_DEADLINE_MS;
  options.abort_deadline_ms = abort_ms ? abort_ms : TEST_NO_DEADLINE_MS;
  options.on_logoff = logoff_log_callback;
  options.on_logoff_context = &f->log;
  if (!CHECK_OK(uvmapi_runtime_create(&options, &f->runtime)) || f->runtime == NULL) {
    f->runtime = NULL;
    return 0;
  }
  return CHECK_OK(ct_provider_register(&f->transport, f->runtime));
}

void fixture_done(fixture* f) {
  if (f->runtime != NULL) {
    CHECK_OK(uvmapi_runtime_shutdown(f->runtime));
    CHECK_OK(uvmapi_runtime_destroy(f->runtime));
    f->runtime = NULL;
  }
  /* The runtime holds each session from logon until after TransportLogoff,
   * then releases it: none may be left held once it is destroyed. */
  CHECK_EQ(ct_provider_destroy(&f->transport), 0);
  logoff_log_destroy(&f->log);
}

uvmapi_store* fixture_open(fixture* f, const char* name) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  options.name = name;
  if (!CHECK_OK(uvmapi_store_open(f->runtime, &options, &store))) return NULL;
  CHECK(store != NULL);
  return store;
}

/* --- Where is a message ------------------------------------------------------- */

const char* place_name(place where) {
  switch (where) {
    case PLACE_NONE:
      return "-";
    case PLACE_INBOX:
      return "Inbox";
    case PLACE_SOURCE:
      return "still at the source";
    case PLACE_SENT:
      return "Sent Items";
    case PLACE_OUTBOX:
      return "Outbox";
  }
  return "?";
}

uint32_t count_in(uvmapi_store* store, uvmapi_folder folder, const uvmapi_message* message) {
  uint64_t ids[256];
  uint32_t count = 0, found = 0, i;
  if (!CHECK_OK(uvmapi_store_list(store, folder, ids, 256, &count))) return 0;
  CHECK(count <= 256);
  for (i = 0; i < count && i < 256; ++i) {
    uvmapi_message_data* data = NULL;
    if (!CHECK_OK(uvmapi_store_read(store, ids[i], &data)) || data == NULL) continue;
    found += data->message.content_size == message->content_size &&
             memcmp(data->message.content, message->content, message->content_size) == 0;
    uvmapi_message_free(data);
  }
  return found;
}

place locate(uvmapi_store* reader, ct_session* session, const uvmapi_message* message,
             int inbound) {
  place where = PLACE_NONE;
  size_t places = 0;
  struct {
    size_t count;
    place where;
  } seen[3];
  size_t n = 0, i;
  if (inbound) {
    seen[n].count = count_in(reader, UVMAPI_FOLDER_INBOX, message);
    seen[n++].where = PLACE_INBOX;
    seen[n].count = ct_at_source(session, message);
    seen[n++].where = PLACE_SOURCE;
  } else {
    seen[n].count = count_in(reader, UVMAPI_FOLDER_OUTBOX, message);
    seen[n++].where = PLACE_OUTBOX;
    seen[n].count = count_in(reader, UVMAPI_FOLDER_SENT_ITEMS, message);
    seen[n++].where = PLACE_SENT;
  }
  for (i = 0; i < n; ++i) {
    if (seen[i].count > 1) {
      FAIL("the message is %zu times in %s", seen[i].count, place_name(seen[i].where));
    }
    if (seen[i].count > 0) {
      ++places;
      where = seen[i].where;
    }
  }
  if (places != 1) FAIL("the message is in %zu places: lost or duplicated", places);
  if (!inbound) {
    size_t delivered = ct_delivered(session, message);
    if (delivered != (where == PLACE_SENT ? 1u : 0u)) {
      FAIL("the message reached the peer %zu times but is in %s", delivered, place_name(where));
    }
  }
  return where;
}
