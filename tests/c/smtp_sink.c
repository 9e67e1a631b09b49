/* smtp-sink for the C cases (see smtp_sink.h). */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, posix_spawn */

#include "smtp_sink.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "test_time.h"

extern char** environ;

/* How often a wait looks at its condition again. */
static void poll_interval(void) {
  struct timespec step = {0, 10 * 1000 * 1000};
  nanosleep(&step, NULL);
}

static int strict(void) {
  const char* ci = getenv("CI");
  const char* flag = getenv("UVMAPI_TESTS_STRICT");
  return (ci && strcmp(ci, "true") == 0) || (flag && strcmp(flag, "1") == 0);
}

static const char* find_program(void) {
  static const char* const places[] = {"/usr/sbin/smtp-sink", "/usr/local/sbin/smtp-sink",
                                       "/usr/bin/smtp-sink", "/opt/homebrew/sbin/smtp-sink"};
  const char* chosen = getenv("UVMAPI_SMTP_SINK");
  size_t i;
  if (chosen && chosen[0]) return access(chosen, X_OK) == 0 ? chosen : NULL;
  for (i = 0; i < sizeof places / sizeof places[0]; ++i) {
    if (access(places[i], X_OK) == 0) return places[i];
  }
  return NULL;
}

static int loopback_socket(struct sockaddr_in* address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t size = sizeof *address;
  if (fd < 0) return -1;
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address->sin_port = 0;
  if (bind(fd, (struct sockaddr*)address, sizeof *address) != 0 ||
      getsockname(fd, (struct sockaddr*)address, &size) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int refusing_port(int* fd) {
  struct sockaddr_in address;
  *fd = loopback_socket(&address);
  return *fd < 0 ? -1 : ntohs(address.sin_port);
}

static int free_port(void) {
  int fd = -1;
  int port = refusing_port(&fd);
  if (fd >= 0) close(fd);
  return port;
}

static int accepts_connections(int port) {
  struct sockaddr_in address;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int ok;
  if (fd < 0) return 0;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons((unsigned short)port);
  ok = connect(fd, (struct sockaddr*)&address, sizeof address) == 0;
  close(fd);
  return ok;
}

/* One attempt on one port: 1 ready, 0 the server exited (the port was
 * taken meanwhile, say), -1 it did not answer in time. */
static int spawn_on(smtp_sink* sink, const char* program, int port) {
  char pattern[96], address[32];
  char* argv[8];
  int argc = 0, status = 0;
  uint64_t deadline = test_now_ms() + TEST_PATIENCE_MS;
  snprintf(pattern, sizeof pattern, "%s/%%M.", sink->dir);
  snprintf(address, sizeof address, "127.0.0.1:%d", port);
  argv[argc++] = (char*)program;
  if (geteuid() == 0) {
    /* smtp-sink refuses to keep root privileges. */
    argv[argc++] = (char*)"-u";
    argv[argc++] = (char*)"nobody";
  }
  argv[argc++] = (char*)"-d";
  argv[argc++] = pattern;
  argv[argc++] = address;
  argv[argc++] = (char*)"10";
  argv[argc] = NULL;
  if (posix_spawn(&sink->pid, program, NULL, NULL, argv, environ) != 0) {
    sink->pid = 0;
    return 0;
  }
  while (test_now_ms() < deadline) {
    if (waitpid(sink->pid, &status, WNOHANG) == sink->pid) {
      sink->pid = 0;
      return 0;
    }
    if (accepts_connections(port)) {
      sink->port = port;
      snprintf(sink->url, sizeof sink->url, "smtp://127.0.0.1:%d", port);
      return 1;
    }
    poll_interval();
  }
  return -1;
}

int smtp_sink_start(smtp_sink* sink) {
  const char* program = find_program();
  int attempt;
  memset(sink, 0, sizeof *sink);
  if (program == NULL) {
    if (strict()) {
      FAIL(
          "smtp-sink (Postfix) is not installed, and CI=true or UVMAPI_TESTS_STRICT=1 "
          "forbids skipping");
      return -1;
    }
    printf("NOTICE: smtp-sink (Postfix) is not installed: this case checks nothing here\n");
    return 0;
  }
  snprintf(sink->dir, sizeof sink->dir, "/tmp/uvmapi-c-sink-XXXXXX");
  if (!CHECK(mkdtemp(sink->dir) != NULL)) {
    sink->dir[0] = '\0';
    return -1;
  }
  /* The server drops to "nobody", which must be able to write here. */
  chmod(sink->dir, 0777);
  for (attempt = 0; attempt < 5; ++attempt) {
    int port = free_port();
    int result = port > 0 ? spawn_on(sink, program, port) : 0;
    if (result == 1) return 1;
    if (result == -1) break;
  }
  FAIL("could not start %s on a free loopback port", program);
  smtp_sink_stop(sink);
  return -1;
}

static int remove_entry(const char* path, const struct stat* info, int type, struct FTW* ftw) {
  (void)info;
  (void)type;
  (void)ftw;
  return remove(path);
}

void smtp_sink_stop(smtp_sink* sink) {
  if (sink->pid > 0) {
    int status = 0;
    kill(sink->pid, SIGTERM);
    waitpid(sink->pid, &status, 0);
    sink->pid = 0;
  }
  if (sink->dir[0]) nftw(sink->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  sink->dir[0] = '\0';
}

static int count_files(const char* dir) {
  DIR* listing = opendir(dir);
  struct dirent* entry;
  int count = 0;
  if (listing == NULL) return -1;
  while ((entry = readdir(listing)) != NULL) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(listing);
  return count;
}

int smtp_sink_wait_for(const smtp_sink* sink, int expected, unsigned timeout_ms) {
  uint64_t deadline = test_now_ms() + timeout_ms;
  int count = count_files(sink->dir);
  while (count != expected && test_now_ms() < deadline) {
    poll_interval();
    count = count_files(sink->dir);
  }
  return count;
}
