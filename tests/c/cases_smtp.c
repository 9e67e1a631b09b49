/* The SMTP transport's options and counters through the ABI (uvmapi/smtp.h):
 * the initialiser of every version, the defaults, every bad value refused
 * with a reason and nothing added, a password never echoed, and the misuse
 * of every argument. No server is needed: nothing here logs a store on. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "misuse.h"

/* A plain-text URL nobody connects to: no store is logged on here. */
#define UNUSED_URL "smtp://127.0.0.1:2525"

static uvmapi_runtime* new_runtime(void) {
  uvmapi_runtime* runtime = NULL;
  if (!CHECK_OK(uvmapi_runtime_create(NULL, &runtime))) return NULL;
  return runtime;
}

/* Stats filled with a pattern, to see whether a call wrote them. */
static uvmapi_smtp_stats marked_stats(void) {
  uvmapi_smtp_stats stats;
  memset(&stats, 0x5A, sizeof stats);
  stats.version = UVMAPI_SMTP_STATS_VERSION;
  return stats;
}

static int stats_untouched(const uvmapi_smtp_stats* stats) {
  uvmapi_smtp_stats expected = marked_stats();
  return memcmp(stats, &expected, sizeof expected) == 0;
}

/* MAPI_E_NOT_FOUND from the counters: no SMTP transport was ever added. */
static void check_nothing_added(uvmapi_runtime* runtime) {
  uvmapi_smtp_stats stats = marked_stats();
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, "alice", &stats), MAPI_E_NOT_FOUND);
  CHECK(stats_untouched(&stats));
}

static void options_init(const void* arg) {
  uvmapi_smtp_options options;
  const uvmapi_smtp_options expected = UVMAPI_SMTP_OPTIONS_INIT;
  (void)arg;

  memset(&options, 0xAB, sizeof options);
  CHECK_FAILS_WITH(uvmapi_smtp_options_init(NULL, UVMAPI_SMTP_OPTIONS_VERSION),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_smtp_options_init(&options, 0), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_smtp_options_init(&options, UVMAPI_SMTP_OPTIONS_VERSION + 1),
                   MAPI_E_INVALID_PARAMETER);
  CHECK_EQ(options.version, 0xABABABABu); /* A refused call writes nothing. */

  CHECK_OK(uvmapi_smtp_options_init(&options, UVMAPI_SMTP_OPTIONS_VERSION));
  CHECK_HR(uvmapi_last_error(), UVMAPI_S_OK);
  CHECK(uvmapi_last_error_message()[0] == '\0');
  /* Field by field, exactly what the _INIT macro gives (padding aside). */
  CHECK_EQ(options.version, UVMAPI_SMTP_OPTIONS_VERSION);
  CHECK_EQ(options.version, expected.version);
  CHECK(options.url == NULL);
  CHECK_EQ(options.security, UVMAPI_SMTP_SECURITY_DEFAULT);
  CHECK_EQ(options.flags, 0);
  CHECK(options.ca_file == NULL);
  CHECK(options.tls_server_name == NULL);
  CHECK(options.username == NULL);
  CHECK(options.password == NULL);
  CHECK_EQ(options.auth_mechanism, UVMAPI_SMTP_AUTH_ANY);
  CHECK(options.helo_name == NULL);
  CHECK_EQ(options.connections, expected.connections);
  CHECK_EQ(options.connect_timeout_ms, expected.connect_timeout_ms);
  CHECK_EQ(options.command_timeout_ms, expected.command_timeout_ms);
  CHECK_EQ(options.data_timeout_ms, expected.data_timeout_ms);
  CHECK_EQ(options.idle_timeout_ms, expected.idle_timeout_ms);
  CHECK_EQ(options.retry_initial_ms, expected.retry_initial_ms);
  CHECK_EQ(options.retry_max_ms, expected.retry_max_ms);
  CHECK_EQ(options.retry_max_ms, 0);
}

/* Only a URL: every other field takes its default, and the counters of a
 * store that never logged on are zeros. */
static void defaults_and_zero_stats(const void* arg) {
  uvmapi_runtime* runtime = new_runtime();
  uvmapi_smtp_options options = UVMAPI_SMTP_OPTIONS_INIT;
  uvmapi_smtp_stats stats = marked_stats();
  (void)arg;
  REQUIRE(runtime != NULL);

  check_nothing_added(runtime);
  options.url = UNUSED_URL; /* STARTTLS by the scheme, with the system's trust store. */
  CHECK_OK(uvmapi_runtime_add_smtp_transport(runtime, &options));
  CHECK_HR(uvmapi_last_error(), UVMAPI_S_OK);

  CHECK_OK(uvmapi_runtime_smtp_stats(runtime, "never-logged-on", &stats));
  CHECK_EQ(stats.version, UVMAPI_SMTP_STATS_VERSION);
  CHECK_EQ(stats.connections_opened, 0);
  CHECK_EQ(stats.connections_failed, 0);
  CHECK_EQ(stats.transactions, 0);
  CHECK_EQ(stats.messages_sent, 0);
  CHECK_EQ(stats.messages_deferred, 0);
  CHECK_EQ(stats.messages_failed, 0);
  CHECK_EQ(stats.recipients_accepted, 0);
  CHECK_EQ(stats.recipients_deferred, 0);
  CHECK_EQ(stats.recipients_refused, 0);
  CHECK_EQ(stats.reports_delivered, 0);
  CHECK_EQ(stats.cancels, 0);
  CHECK_EQ(stats.retries_scheduled, 0);
  CHECK(stats.last_problem[0] == '\0');

  /* Every field set to a value that works is accepted as well. */
  options.url = "smtps://user@localhost:4650";
  options.security = UVMAPI_SMTP_SECURITY_NONE;
  options.flags =
      UVMAPI_SMTP_NO_VERIFY | UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH | UVMAPI_SMTP_NO_PIPELINING;
  options.tls_server_name = "mail.example.test";
  options.password = "not-shown";
  options.auth_mechanism = UVMAPI_SMTP_AUTH_LOGIN;
  options.helo_name = "client.example.test";
  options.connections = 4;
  options.connect_timeout_ms = 1000;
  options.command_timeout_ms = 2000;
  options.data_timeout_ms = 3000;
  options.idle_timeout_ms = 10;
  options.retry_initial_ms = 50;
  options.retry_max_ms = 50;
  CHECK_OK(uvmapi_runtime_add_smtp_transport(runtime, &options));

done:
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
}

typedef struct bad_row {
  const char* what;
  uvmapi_hresult expected;
  const char* in_message; /* The message names the problem: this text appears. */
} bad_row;

/* Sets one bad value on options made from a good base. */
static void spoil(uvmapi_smtp_options* options, int row) {
  switch (row) {
    case 0:
      options->url = NULL;
      break;
    case 1:
      options->url = "";
      break;
    case 2:
      options->url = "http://mail.example.test";
      break;
    case 3:
      options->url = "smtp://";
      break;
    case 4:
      options->url = "smtp://mail.example.test:0";
      break;
    case 5:
      options->url = "smtp://mail.example.test:99999";
      break;
    case 6:
      options->url = "smtp://mail.example.test/inbox";
      break;
    case 7:
      options->url = "smtp://bad host";
      break;
    case 8:
      options->security = 4;
      break;
    case 9:
      options->auth_mechanism = 3;
      break;
    case 10:
      options->flags = 0x8;
      break;
    case 11:
      options->username = "alice"; /* No password. */
      break;
    case 12:
      options->password = "secret-without-user";
      break;
    case 13:
      options->helo_name = "not a host!";
      break;
    case 14:
      options->retry_initial_ms = 600000; /* Above the default maximum of 300000. */
      break;
    case 15:
      options->security = UVMAPI_SMTP_SECURITY_STARTTLS;
      options->ca_file = "/nonexistent/uvmapi-test-ca.pem";
      break;
    case 16:
      options->version = 0;
      break;
    case 17:
      options->version = UVMAPI_SMTP_OPTIONS_VERSION + 1;
      break;
    case 18:
      options->url = "smtp://alice@mail.example.test"; /* A user, and no password. */
      break;
  }
}

static const bad_row bad_rows[] = {
    {"url NULL", MAPI_E_INVALID_PARAMETER, "url"},
    {"url empty", MAPI_E_INVALID_PARAMETER, "smtp://"},
    {"url of another scheme", MAPI_E_INVALID_PARAMETER, "smtp://"},
    {"url without host", MAPI_E_INVALID_PARAMETER, "host"},
    {"port 0", MAPI_E_INVALID_PARAMETER, "port"},
    {"port too large", MAPI_E_INVALID_PARAMETER, "port"},
    {"url with a path", MAPI_E_INVALID_PARAMETER, "path"},
    {"host with a space", MAPI_E_INVALID_PARAMETER, "host"},
    {"unknown security", MAPI_E_INVALID_PARAMETER, "security"},
    {"unknown auth mechanism", MAPI_E_INVALID_PARAMETER, "auth_mechanism"},
    {"unknown flag", MAPI_E_UNKNOWN_FLAGS, "flags"},
    {"user without password", MAPI_E_INVALID_PARAMETER, "password"},
    {"password without user", MAPI_E_INVALID_PARAMETER, "user name"},
    {"bad EHLO name", MAPI_E_INVALID_PARAMETER, "EHLO"},
    {"retry maximum below the first delay", MAPI_E_INVALID_PARAMETER, "retry"},
    {"missing CA file", MAPI_E_INVALID_PARAMETER, "uvmapi-test-ca.pem"},
    {"version 0", MAPI_E_INVALID_PARAMETER, "version"},
    {"version from the future", MAPI_E_INVALID_PARAMETER, "version"},
    {"user in the URL without password", MAPI_E_INVALID_PARAMETER, "password"},
};

static void bad_options(const void* arg) {
  uvmapi_runtime* runtime = new_runtime();
  size_t row;
  (void)arg;
  REQUIRE(runtime != NULL);

  for (row = 0; row < sizeof bad_rows / sizeof bad_rows[0]; ++row) {
    uvmapi_smtp_options options = UVMAPI_SMTP_OPTIONS_INIT;
    const char* message;
    options.url = "smtp://mail.example.test:2525";
    options.security = UVMAPI_SMTP_SECURITY_NONE;
    spoil(&options, (int)row);
    check_context("row %u: %s", (unsigned)row, bad_rows[row].what);
    CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(runtime, &options), bad_rows[row].expected);
    message = uvmapi_last_error_message();
    if (!CHECK(strstr(message, bad_rows[row].in_message) != NULL)) {
      FAIL("the message '%s' does not mention '%s'", message, bad_rows[row].in_message);
    }
    CHECK(strstr(message, "secret") == NULL);
    check_nothing_added(runtime);
  }
  check_context(NULL);

done:
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
}

/* A password in the URL would show in process listings: refused, and the
 * refusal never repeats it, whichever check of the URL speaks first. */
static void password_in_url(const void* arg) {
  static const char* const urls[] = {
      "smtp://alice:Pa55-w0rd@mail.example.test",
      "smtps://alice:Pa55-w0rd@mail.example.test:465",
      "smtp://alice:Pa55-w0rd@mail.example.test/path",
      "smtp://alice:Pa55/w0rd@mail.example.test",
      "ftp://alice:Pa55-w0rd@mail.example.test",
      "alice:Pa55-w0rd@mail.example.test",
  };
  uvmapi_runtime* runtime = new_runtime();
  size_t i;
  (void)arg;
  REQUIRE(runtime != NULL);

  for (i = 0; i < sizeof urls / sizeof urls[0]; ++i) {
    uvmapi_smtp_options options = UVMAPI_SMTP_OPTIONS_INIT;
    const char* message;
    options.url = urls[i];
    options.security = UVMAPI_SMTP_SECURITY_NONE;
    check_context("url %u", (unsigned)i);
    CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(runtime, &options),
                     MAPI_E_INVALID_PARAMETER);
    message = uvmapi_last_error_message();
    if (!CHECK(strstr(message, "Pa55") == NULL && strstr(message, "w0rd") == NULL)) {
      FAIL("the message repeats the password: %s", message);
    }
    check_nothing_added(runtime);
  }
  check_context(NULL);

done:
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
}

static void misuse(const void* arg) {
  uvmapi_runtime* runtime = new_runtime();
  uvmapi_runtime* destroyed = new_runtime();
  uvmapi_smtp_options options = UVMAPI_SMTP_OPTIONS_INIT;
  uvmapi_smtp_stats stats = marked_stats();
  uvmapi_runtime* foreign = (uvmapi_runtime*)&misuse_foreign;
  (void)arg;
  REQUIRE(runtime != NULL);
  REQUIRE(destroyed != NULL);
  options.url = UNUSED_URL;
  options.security = UVMAPI_SMTP_SECURITY_NONE;

  CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(NULL, &options), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(runtime, NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(foreign, &options), MAPI_E_INVALID_OBJECT);
  check_nothing_added(runtime);

  /* No SMTP transport yet: not found, whatever the store. */
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, "alice", &stats), MAPI_E_NOT_FOUND);
  CHECK(stats_untouched(&stats));
  CHECK_OK(uvmapi_runtime_add_smtp_transport(runtime, &options));

  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(NULL, "alice", &stats), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, NULL, &stats), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, "alice", NULL), MAPI_E_INVALID_PARAMETER);
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(foreign, "alice", &stats), MAPI_E_INVALID_OBJECT);
  stats.version = 0;
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, "alice", &stats), MAPI_E_INVALID_PARAMETER);
  stats.version = UVMAPI_SMTP_STATS_VERSION + 1;
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(runtime, "alice", &stats), MAPI_E_INVALID_PARAMETER);
  stats.version = UVMAPI_SMTP_STATS_VERSION;
  CHECK(stats_untouched(&stats));

  /* After shutdown: nothing new is added, and the counters stay readable. */
  CHECK_OK(uvmapi_runtime_shutdown(runtime));
  CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(runtime, &options), MAPI_E_CALL_FAILED);
  CHECK_OK(uvmapi_runtime_smtp_stats(runtime, "alice", &stats));
  CHECK_EQ(stats.messages_sent, 0);

  /* After destroy: the handle is gone. */
  CHECK_OK(uvmapi_runtime_destroy(destroyed));
  CHECK_FAILS_WITH(uvmapi_runtime_add_smtp_transport(destroyed, &options), MAPI_E_INVALID_OBJECT);
  stats = marked_stats();
  CHECK_FAILS_WITH(uvmapi_runtime_smtp_stats(destroyed, "alice", &stats), MAPI_E_INVALID_OBJECT);
  CHECK(stats_untouched(&stats));
  destroyed = NULL;

done:
  if (destroyed) CHECK_OK(uvmapi_runtime_destroy(destroyed));
  if (runtime) CHECK_OK(uvmapi_runtime_destroy(runtime));
}

void register_smtp_cases(void) {
  register_case("smtp/options_init", options_init, NULL);
  register_case("smtp/defaults_and_zero_stats", defaults_and_zero_stats, NULL);
  register_case("smtp/bad_options", bad_options, NULL);
  register_case("smtp/password_in_url", password_in_url, NULL);
  register_case("smtp/misuse", misuse, NULL);
}
