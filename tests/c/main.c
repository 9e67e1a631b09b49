/* Runs the C cases of the ABI.
 *
 *   uvmapi_c_abi_tests                   every case
 *   uvmapi_c_abi_tests CASE...           the named cases
 *   uvmapi_c_abi_tests --list            the names, one a line
 *   uvmapi_c_abi_tests --check-registry NAME...
 *       fails unless NAME... (CTest's list) is exactly the set of cases, so
 *       no case can be left out of CTest and no CTest name can run nothing.
 *
 * Prints "N passed, N failed" last and exits non-zero on any failure. An
 * unknown case name is a failure: nothing passes by being skipped. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "check.h"

#define MAX_CASES 256

typedef struct test_case {
  char name[80];
  case_fn fn;
  const void* arg;
} test_case;

static test_case cases[MAX_CASES];
static size_t case_count;

void register_case(const char* name, case_fn fn, const void* arg) {
  size_t i;
  for (i = 0; i < case_count; ++i) {
    if (strcmp(cases[i].name, name) == 0) {
      fprintf(stderr, "case '%s' is registered twice\n", name);
      exit(2);
    }
  }
  if (case_count == MAX_CASES || strlen(name) >= sizeof cases[0].name) {
    fprintf(stderr, "cannot register case '%s': raise MAX_CASES or the name size\n", name);
    exit(2);
  }
  snprintf(cases[case_count].name, sizeof cases[0].name, "%s", name);
  cases[case_count].fn = fn;
  cases[case_count].arg = arg;
  ++case_count;
}

static const test_case* find_case(const char* name) {
  size_t i;
  for (i = 0; i < case_count; ++i) {
    if (strcmp(cases[i].name, name) == 0) return &cases[i];
  }
  return NULL;
}

static int run_case(const test_case* test) {
  unsigned failures;
  printf("[ RUN  ] %s\n", test->name);
  fflush(stdout);
  check_begin_case(test->name);
  test->fn(test->arg);
  failures = check_failures();
  printf("[ %s ] %s\n", failures ? "FAIL" : "  OK", test->name);
  fflush(stdout);
  return failures == 0;
}

static int check_registry(int count, char** names) {
  int i, ok = 1;
  size_t j;
  for (i = 0; i < count; ++i) {
    if (find_case(names[i]) == NULL) {
      fprintf(stderr, "CTest names '%s', which is no case\n", names[i]);
      ok = 0;
    }
  }
  for (j = 0; j < case_count; ++j) {
    int listed = 0;
    for (i = 0; i < count && !listed; ++i) listed = strcmp(names[i], cases[j].name) == 0;
    if (!listed) {
      fprintf(stderr, "case '%s' is missing from CTest's list (tests/c/CMakeLists.txt)\n",
              cases[j].name);
      ok = 0;
    }
  }
  printf("%d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  unsigned passed = 0, failed = 0;
  int i;
  size_t j;

  register_logoff_cases();
  register_deadline_cases();
  register_provider_cases();
  register_rules_cases();
  register_durable_cases();
  register_host_loop_cases();
  register_misuse_cases();
  register_smtp_cases();
  register_smtp_send_cases();

  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (j = 0; j < case_count; ++j) printf("%s\n", cases[j].name);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--check-registry") == 0) {
    return check_registry(argc - 2, argv + 2);
  }

  if (argc == 1) {
    for (j = 0; j < case_count; ++j) run_case(&cases[j]) ? ++passed : ++failed;
  } else {
    for (i = 1; i < argc; ++i) {
      const test_case* test = find_case(argv[i]);
      if (test == NULL) {
        fprintf(stderr, "no case named '%s' (--list shows them)\n", argv[i]);
        ++failed;
        continue;
      }
      run_case(test) ? ++passed : ++failed;
    }
  }
  printf("%u passed, %u failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
