/* The built-in SMTP transport: every store logged on after
 * uvmapi_runtime_add_smtp_transport sends its Outbox to one SMTP server.
 * docs/smtp.md describes the security defaults, the outcomes of each server
 * answer and the retry policy. */
#ifndef UVMAPI_SMTP_H
#define UVMAPI_SMTP_H

#include "uvmapi/defs.h"
#include "uvmapi/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How the connection is secured. DEFAULT: as the URL says (smtp:// means
 * STARTTLS, smtps:// means TLS from the first byte). */
#define UVMAPI_SMTP_SECURITY_DEFAULT 0u
#define UVMAPI_SMTP_SECURITY_NONE 1u /* Plain text throughout. */
#define UVMAPI_SMTP_SECURITY_STARTTLS 2u
#define UVMAPI_SMTP_SECURITY_IMPLICIT 3u

#define UVMAPI_SMTP_AUTH_ANY 0u /* PLAIN if offered, else LOGIN. */
#define UVMAPI_SMTP_AUTH_PLAIN 1u
#define UVMAPI_SMTP_AUTH_LOGIN 2u

/* flags */
/* Do not verify the server's certificate chain or host name. */
#define UVMAPI_SMTP_NO_VERIFY 0x1u
/* Authenticate even over a connection that is not encrypted. */
#define UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH 0x2u
/* Send one command at a time even when the server offers PIPELINING. */
#define UVMAPI_SMTP_NO_PIPELINING 0x4u

#define UVMAPI_SMTP_OPTIONS_VERSION 1
/* Strings are copied by the call; NULL means the default. Zero numbers mean
 * the default. Fields are only ever added at the end. */
typedef struct uvmapi_smtp_options {
  uint32_t version; /* UVMAPI_SMTP_OPTIONS_VERSION */
  /* Required: "smtp://[user@]host[:port]" or "smtps://[user@]host[:port]". */
  const char* url;
  uint32_t security;           /* UVMAPI_SMTP_SECURITY_* */
  uint32_t flags;              /* UVMAPI_SMTP_* flags */
  const char* ca_file;         /* PEM bundle to trust; NULL: the system's. */
  const char* tls_server_name; /* Name to verify and send as SNI; NULL: the URL's host. */
  const char* username;        /* NULL: the URL's user, or no authentication. */
  const char* password;
  uint32_t auth_mechanism;     /* UVMAPI_SMTP_AUTH_* */
  const char* helo_name;       /* NULL: "localhost". */
  uint32_t connections;        /* Parallel connections per store; 0: 1. */
  uint32_t connect_timeout_ms; /* 0: 30000. */
  uint32_t command_timeout_ms; /* 0: 60000. */
  uint32_t data_timeout_ms;    /* 0: 120000. */
  uint32_t idle_timeout_ms;    /* 0: 5000. */
  uint32_t retry_initial_ms;   /* 0: 1000. */
  uint32_t retry_max_ms;       /* 0: 300000. */
} uvmapi_smtp_options;
#define UVMAPI_SMTP_OPTIONS_INIT \
  { UVMAPI_SMTP_OPTIONS_VERSION, NULL, 0, 0, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, 0, 0, 0, 0, 0 }

/* Fills options with the defaults of the given version (for languages that
 * cannot use the _INIT macro). */
UVMAPI_EXTERN uvmapi_hresult uvmapi_smtp_options_init(uvmapi_smtp_options* options,
                                                      uint32_t version);

/* Stores logged on after this call get an SMTP session. Checks the options
 * (and loads ca_file) now: MAPI_E_INVALID_PARAMETER with the reason, and
 * nothing added, when they cannot work (MAPI_E_UNKNOWN_FLAGS for a bit of
 * flags that no UVMAPI_SMTP_* flag defines). */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_add_smtp_transport(uvmapi_runtime* runtime,
                                                               const uvmapi_smtp_options* options);

#define UVMAPI_SMTP_STATS_VERSION 1
/* What the SMTP sessions of one store did, summed over its logons. */
typedef struct uvmapi_smtp_stats {
  uint32_t version; /* UVMAPI_SMTP_STATS_VERSION: set by the caller. */
  uint64_t connections_opened;
  uint64_t connections_failed;
  uint64_t transactions;
  uint64_t messages_sent;
  uint64_t messages_deferred;
  uint64_t messages_failed;
  uint64_t recipients_accepted;
  uint64_t recipients_deferred;
  uint64_t recipients_refused;
  uint64_t reports_delivered;
  uint64_t cancels;
  uint64_t retries_scheduled;
  /* The newest problem, for humans, NUL-terminated and cut to fit; empty if
   * none. Never holds a password. */
  char last_problem[256];
} uvmapi_smtp_stats;

/* The counters of the SMTP transport added last, for the named store (zeros
 * if it never logged on). MAPI_E_NOT_FOUND when no SMTP transport was added.
 * Readable after uvmapi_runtime_shutdown too; *stats is untouched on error. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_smtp_stats(uvmapi_runtime* runtime,
                                                       const char* store_name,
                                                       uvmapi_smtp_stats* stats);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_SMTP_H */
