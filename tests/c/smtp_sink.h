/* A real SMTP server for the C cases: Postfix's smtp-sink, started on a
 * free loopback port with every message dumped to a file of its own, and
 * a port where nothing listens. */
#ifndef UVMAPI_C_TESTS_SMTP_SINK_H
#define UVMAPI_C_TESTS_SMTP_SINK_H

#include <sys/types.h>

typedef struct smtp_sink {
  pid_t pid;
  int port;
  char dir[64]; /* One dump file per message lands here. */
  char url[64]; /* "smtp://127.0.0.1:PORT" */
} smtp_sink;

/* Starts smtp-sink and waits until it accepts connections. Returns 1 when
 * it runs; 0 when smtp-sink is not installed, after printing a notice, so
 * the case can end early (but under CI=true or UVMAPI_TESTS_STRICT=1 that
 * is a failed check); -1 when it could not be started (a failed check). */
int smtp_sink_start(smtp_sink* sink);
/* Stops the server and removes its dump directory. Safe on a sink that
 * never started. */
void smtp_sink_stop(smtp_sink* sink);
/* Waits until the dump directory holds expected files or timeout_ms passes;
 * returns how many it holds then. */
int smtp_sink_wait_for(const smtp_sink* sink, int expected, unsigned timeout_ms);

/* A loopback TCP port bound by fd but not listening: a connection to it is
 * refused, and nobody else can take the port while fd is open. -1 on error. */
int refusing_port(int* fd);

#endif /* UVMAPI_C_TESTS_SMTP_SINK_H */
