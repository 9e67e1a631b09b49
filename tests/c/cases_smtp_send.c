/* The SMTP transport sending for real, through the ABI: a PURGE logoff
 * delivers the Outbox to smtp-sink and leaves it all in Sent Items; with the
 * server down the same logoff leaves every message queued, and the counters
 * say why. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "check.h"
#include "harness.h"
#include "smtp_sink.h"
#include "test_time.h"

#define MESSAGES 3

static uvmapi_runtime* smtp_runtime(const char* url) {
  uvmapi_runtime* runtime = NULL;
  uvmapi_runtime_options runtime_options = UVMAPI_RUNTIME_OPTIONS_INIT;
  uvmapi_smtp_options options = UVMAPI_SMTP_OPTIONS_INIT;
  runtime_options.drain_deadline_ms = TEST_NO_DEADLINE_MS;
  if (!CHECK_OK(uvmapi_runtime_create(&runtime_options, &runtime))) return NULL;
  options.url = url;
  options.security = UVMAPI_SMTP_SECURITY_NONE; /* TLS is the core's tests' business. */
  options.helo_name = "c-abi.example.test";
  options.connect_timeout_ms = 5000;
  if (!CHECK_OK(uvmapi_runtime_add_smtp_transport(runtime, &options))) {
    uvmapi_runtime_destroy(runtime);
    return NULL;
  }
  return runtime;
}

static uvmapi_store* open_named(uvmapi_runtime* runtime, const char* name) {
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_store* store = NULL;
  options.name = name;
  if (!CHECK_OK(uvmapi_store_open(runtime, &options, &store))) return NULL;
  return store;
}

/* Submits MESSAGES messages and logs off with PURGE; returns the outcome. */
static uvmapi_logoff_outcome submit_and_purge(uvmapi_store* store) {
  uvmapi_logoff_outcome outcome = outcome_blank();
  int i;
  for (i = 0; i < MESSAGES; ++i) {
    test_message m;
    char body[32];
    snprintf(body, sizeof body, "smtp message %d", i);
    test_message_make(&m, body);
    CHECK_OK(uvmapi_store_submit(store, &m.message, NULL));
  }
  CHECK_OK(uvmapi_store_logoff_wait(store, LOGOFF_PURGE, TEST_NO_DEADLINE_MS, &outcome));
  return outcome;
}

static uint32_t folder_count(uvmapi_store* store, uvmapi_folder folder) {
  uint32_t count = 0;
  CHECK_OK(uvmapi_store_folder_count(store, folder, &count));
  return count;
}

static void purge_sends_to_smtp_sink(const void* arg) {
  smtp_sink sink;
  uvmapi_runtime* runtime = NULL;
  uvmapi_store *store = NULL, *again = NULL;
  uvmapi_logoff_outcome outcome;
  uvmapi_smtp_stats stats;
  int started;
  (void)arg;

  started = smtp_sink_start(&sink);
  if (started <= 0) goto done;
  REQUIRE((runtime = smtp_runtime(sink.url)) != NULL);
  REQUIRE((store = open_named(runtime, "alice")) != NULL);
  outcome = submit_and_purge(store);
  store = NULL;
  CHECK(outcome.released);
  CHECK_HR(outcome.status, UVMAPI_S_OK);
  CHECK_FLAGS(outcome.flags_at_final, LOGOFF_COMPLETE);

  /* The messages stay in the runtime's in-memory store: look at it again. */
  REQUIRE((again = open_named(runtime, "alice")) != NULL);
  CHECK_EQ(folder_count(again, UVMAPI_FOLDER_OUTBOX), 0);
  CHECK_EQ(folder_count(again, UVMAPI_FOLDER_SENT_ITEMS), MESSAGES);
  CHECK_EQ(smtp_sink_wait_for(&sink, MESSAGES, TEST_PATIENCE_MS), MESSAGES);

  memset(&stats, 0, sizeof stats);
  stats.version = UVMAPI_SMTP_STATS_VERSION;
  CHECK_OK(uvmapi_runtime_smtp_stats(runtime, "alice", &stats));
  CHECK_EQ(stats.messages_sent, MESSAGES);
  CHECK_EQ(stats.recipients_accepted, MESSAGES);
  CHECK_EQ(stats.messages_deferred, 0);
  CHECK_EQ(stats.messages_failed, 0);
  CHECK_EQ(stats.connections_failed, 0);
  CHECK(stats.connections_opened >= 1);
  CHECK(stats.transactions >= MESSAGES);

done:
  if (again) uvmapi_store_release(again, NULL);
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
  smtp_sink_stop(&sink);
}

static void server_down_keeps_the_outbox(const void* arg) {
  int fd = -1;
  int port = refusing_port(&fd);
  char url[64];
  uvmapi_runtime* runtime = NULL;
  uvmapi_store *store = NULL, *again = NULL;
  uvmapi_logoff_outcome outcome;
  uvmapi_smtp_stats stats;
  (void)arg;

  REQUIRE(port > 0);
  snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
  REQUIRE((runtime = smtp_runtime(url)) != NULL);
  REQUIRE((store = open_named(runtime, "alice")) != NULL);
  outcome = submit_and_purge(store);
  store = NULL;
  /* The logoff happens: a failed send is deferred, not lost, and PURGE
   * does not wait for a server that is not there. */
  CHECK(outcome.released);
  CHECK(outcome.finished);
  CHECK(!outcome.forced);
  CHECK(outcome.flags_at_final & LOGOFF_OUTBOUND_QUEUE);

  REQUIRE((again = open_named(runtime, "alice")) != NULL);
  CHECK_EQ(folder_count(again, UVMAPI_FOLDER_OUTBOX), MESSAGES);
  CHECK_EQ(folder_count(again, UVMAPI_FOLDER_SENT_ITEMS), 0);

  memset(&stats, 0, sizeof stats);
  stats.version = UVMAPI_SMTP_STATS_VERSION;
  CHECK_OK(uvmapi_runtime_smtp_stats(runtime, "alice", &stats));
  CHECK_EQ(stats.messages_sent, 0);
  CHECK(stats.connections_failed >= 1);
  CHECK(stats.messages_deferred >= MESSAGES);
  if (!CHECK(stats.last_problem[0] != '\0')) FAIL("no last_problem after a refused connection");
  CHECK(memchr(stats.last_problem, '\0', sizeof stats.last_problem) != NULL);

done:
  if (again) uvmapi_store_release(again, NULL);
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
  if (fd >= 0) close(fd);
}

void register_smtp_send_cases(void) {
  register_case("smtp/purge_sends_to_smtp_sink", purge_sends_to_smtp_sink, NULL);
  register_case("smtp/server_down_keeps_the_outbox", server_down_keeps_the_outbox, NULL);
}
