/* The assertion helper: prints each failure with everything needed to act on it. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t check_mutex = PTHREAD_MUTEX_INITIALIZER;
static unsigned check_failure_count;
static char check_case_name[96];
static char check_context_text[256];

void check_begin_case(const char* name) {
  pthread_mutex_lock(&check_mutex);
  check_failure_count = 0;
  snprintf(check_case_name, sizeof check_case_name, "%s", name);
  check_context_text[0] = '\0';
  pthread_mutex_unlock(&check_mutex);
}

unsigned check_failures(void) {
  unsigned count;
  pthread_mutex_lock(&check_mutex);
  count = check_failure_count;
  pthread_mutex_unlock(&check_mutex);
  return count;
}

void check_context(const char* format, ...) {
  va_list args;
  pthread_mutex_lock(&check_mutex);
  if (format == NULL) {
    check_context_text[0] = '\0';
  } else {
    va_start(args, format);
    vsnprintf(check_context_text, sizeof check_context_text, format, args);
    va_end(args);
  }
  pthread_mutex_unlock(&check_mutex);
}

/* Prints one failure. The last error message is read here, on the thread of
 * the failing check, right after the call under test: it is per thread. */
static void report(const char* file, int line, const char* what) {
  const char* message = uvmapi_last_error_message();
  pthread_mutex_lock(&check_mutex);
  ++check_failure_count;
  fprintf(stderr, "%s:%d: FAILED [%s]%s%s%s\n    %s\n    last error: %s\n", file, line,
          check_case_name, check_context_text[0] ? " (" : "", check_context_text,
          check_context_text[0] ? ")" : "", what, message && message[0] ? message : "(none)");
  fflush(stderr);
  pthread_mutex_unlock(&check_mutex);
}

int check_true(int ok, const char* file, int line, const char* expr) {
  char what[512];
  if (ok) return 1;
  snprintf(what, sizeof what, "CHECK(%s)", expr);
  report(file, line, what);
  return 0;
}

int check_hr(uvmapi_hresult actual, uvmapi_hresult expected, const char* file, int line,
             const char* expr) {
  char what[512];
  if (actual == expected) return 1;
  snprintf(what, sizeof what, "%s\n    returned %s, expected %s", expr, uvmapi_hresult_name(actual),
           uvmapi_hresult_name(expected));
  report(file, line, what);
  return 0;
}

int check_fails_with(uvmapi_hresult actual, uvmapi_hresult expected, const char* file, int line,
                     const char* expr) {
  char what[512];
  /* Read the thread's error state before anything else can call the library. */
  uvmapi_hresult last = uvmapi_last_error();
  const char* message = uvmapi_last_error_message();
  int empty = message == NULL || message[0] == '\0';
  if (actual == expected && last == expected && !empty) return 1;
  if (actual != expected) {
    snprintf(what, sizeof what, "%s\n    returned %s, expected %s", expr,
             uvmapi_hresult_name(actual), uvmapi_hresult_name(expected));
  } else if (last != expected) {
    snprintf(what, sizeof what, "%s\n    returned %s, but uvmapi_last_error() is %s", expr,
             uvmapi_hresult_name(actual), uvmapi_hresult_name(last));
  } else {
    snprintf(what, sizeof what, "%s\n    failed with %s but left uvmapi_last_error_message() empty",
             expr, uvmapi_hresult_name(actual));
  }
  report(file, line, what);
  return 0;
}

int check_fails(uvmapi_hresult actual, const char* file, int line, const char* expr) {
  char what[512];
  const char* message = uvmapi_last_error_message();
  if (UVMAPI_FAILED(actual) && message != NULL && message[0] != '\0') return 1;
  if (UVMAPI_FAILED(actual)) {
    snprintf(what, sizeof what, "%s\n    failed with %s but left uvmapi_last_error_message() empty",
             expr, uvmapi_hresult_name(actual));
  } else {
    snprintf(what, sizeof what, "%s\n    returned %s, expected a failure", expr,
             uvmapi_hresult_name(actual));
  }
  report(file, line, what);
  return 0;
}

int check_u64(uint64_t actual, uint64_t expected, const char* file, int line, const char* expr) {
  char what[512];
  if (actual == expected) return 1;
  snprintf(what, sizeof what, "%s\n    is %llu, expected %llu", expr, (unsigned long long)actual,
           (unsigned long long)expected);
  report(file, line, what);
  return 0;
}

int check_flags(uint32_t actual, uint32_t expected, const char* file, int line, const char* expr) {
  char what[512], have[160], want[160];
  if (actual == expected) return 1;
  snprintf(what, sizeof what, "%s\n    is %s, expected %s", expr,
           logoff_flags_name(actual, have, sizeof have),
           logoff_flags_name(expected, want, sizeof want));
  report(file, line, what);
  return 0;
}

int check_fail(const char* file, int line, const char* format, ...) {
  char what[512];
  va_list args;
  va_start(args, format);
  vsnprintf(what, sizeof what, format, args);
  va_end(args);
  report(file, line, what);
  return 0;
}

const char* logoff_flags_name(uint32_t flags, char* buffer, size_t size) {
  static const struct {
    uint32_t bit;
    const char* name;
  } names[] = {
      {LOGOFF_NO_WAIT, "NO_WAIT"},
      {LOGOFF_ORDERLY, "ORDERLY"},
      {LOGOFF_PURGE, "PURGE"},
      {LOGOFF_ABORT, "ABORT"},
      {LOGOFF_QUIET, "QUIET"},
      {LOGOFF_COMPLETE, "COMPLETE"},
      {LOGOFF_INBOUND, "INBOUND"},
      {LOGOFF_OUTBOUND, "OUTBOUND"},
      {LOGOFF_OUTBOUND_QUEUE, "OUTBOUND_QUEUE"},
  };
  size_t i, used = 0;
  uint32_t rest = flags;
  buffer[0] = '\0';
  if (flags == 0) {
    snprintf(buffer, size, "0");
    return buffer;
  }
  for (i = 0; i < sizeof names / sizeof names[0]; ++i) {
    if ((flags & names[i].bit) == 0) continue;
    rest &= ~names[i].bit;
    used += (size_t)snprintf(buffer + used, used < size ? size - used : 0, "%s%s", used ? "|" : "",
                             names[i].name);
    if (used >= size) return buffer;
  }
  if (rest != 0 && used < size) {
    snprintf(buffer + used, size - used, "%s0x%08lx", used ? "|" : "", (unsigned long)rest);
  }
  return buffer;
}
