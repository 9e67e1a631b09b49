/* Clocks for the tests: every wait has a deadline, and every wait is on a
 * condition, never a bare sleep. */
#ifndef UVMAPI_C_TESTS_TEST_TIME_H
#define UVMAPI_C_TESTS_TEST_TIME_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* How long a test waits for something that must happen. */
#define TEST_PATIENCE_MS 10000u
/* Deadlines long enough never to pass in a healthy run. */
#define TEST_NO_DEADLINE_MS 60000u

/* Milliseconds on a monotonic clock, for measuring how long a call took. */
static inline uint64_t test_now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* An absolute CLOCK_REALTIME time for pthread_cond_timedwait (the clock it
 * uses by default everywhere, macOS included). */
static inline struct timespec test_deadline_after(unsigned ms) {
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += (time_t)(ms / 1000u);
  at.tv_nsec += (long)(ms % 1000u) * 1000000L;
  if (at.tv_nsec >= 1000000000L) {
    at.tv_sec += 1;
    at.tv_nsec -= 1000000000L;
  }
  return at;
}

#endif /* UVMAPI_C_TESTS_TEST_TIME_H */
