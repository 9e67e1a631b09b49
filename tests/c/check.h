/* Assertions for the C ABI tests.
 *
 * A failed check prints file:line, the expression, what was expected and
 * what came back, the case's current context and the calling thread's
 * uvmapi_last_error_message(), then lets the case go on: one run shows every
 * disagreement of a case, not just the first. REQUIRE stops the case instead
 * (it jumps to the case's `done:` label, where the case cleans up).
 *
 * Checks may run on any thread (a transport callback, a helper thread): the
 * failure count is kept under a mutex. */
#ifndef UVMAPI_C_TESTS_CHECK_H
#define UVMAPI_C_TESTS_CHECK_H

#include <stdint.h>

#include "uvmapi/uvmapi.h"

/* Starts counting the failures of a new case. */
void check_begin_case(const char* name);
/* Failures since check_begin_case. */
unsigned check_failures(void);
/* Text shown with every failure until the next call (printf format); NULL
 * clears it. Lets a table-driven case say which row failed. */
void check_context(const char* format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Each returns whether the check held. */
int check_true(int ok, const char* file, int line, const char* expr);
int check_hr(uvmapi_hresult actual, uvmapi_hresult expected, const char* file, int line,
             const char* expr);
/* A failing call: the expected HRESULT, uvmapi_last_error() agreeing, and a
 * non-empty uvmapi_last_error_message(). */
int check_fails_with(uvmapi_hresult actual, uvmapi_hresult expected, const char* file, int line,
                     const char* expr);
/* Any failure, with a non-empty message (where the ABI does not name the code). */
int check_fails(uvmapi_hresult actual, const char* file, int line, const char* expr);
int check_u64(uint64_t actual, uint64_t expected, const char* file, int line, const char* expr);
/* LOGOFF_* flag sets, printed by name. */
int check_flags(uint32_t actual, uint32_t expected, const char* file, int line, const char* expr);
/* A failure that is not a comparison: says why in its own words. */
int check_fail(const char* file, int line, const char* format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "LOGOFF_COMPLETE|LOGOFF_OUTBOUND" and so on, into buffer. */
const char* logoff_flags_name(uint32_t flags, char* buffer, size_t size);

#define CHECK(cond) check_true((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_HR(expr, expected) check_hr((expr), (expected), __FILE__, __LINE__, #expr)
#define CHECK_OK(expr) check_hr((expr), UVMAPI_S_OK, __FILE__, __LINE__, #expr)
#define CHECK_FAILS_WITH(expr, expected) \
  check_fails_with((expr), (expected), __FILE__, __LINE__, #expr)
#define CHECK_FAILS(expr) check_fails((expr), __FILE__, __LINE__, #expr)
#define CHECK_EQ(actual, expected) \
  check_u64((uint64_t)(actual), (uint64_t)(expected), __FILE__, __LINE__, #actual)
#define CHECK_FLAGS(actual, expected) \
  check_flags((uint32_t)(actual), (uint32_t)(expected), __FILE__, __LINE__, #actual)
#define FAIL(...) check_fail(__FILE__, __LINE__, __VA_ARGS__)

#define REQUIRE(cond)            \
  do {                           \
    if (!CHECK(cond)) goto done; \
  } while (0)
#define REQUIRE_OK(expr)            \
  do {                              \
    if (!CHECK_OK(expr)) goto done; \
  } while (0)

#endif /* UVMAPI_C_TESTS_CHECK_H */
