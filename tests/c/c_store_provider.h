/* A store provider written in C against uvmapi/support.h: three folders in
 * memory. And the client-facing store object a MAPI store provider gives its
 * clients: it saves the flag of StoreLogoff and, at its last Release, calls
 * StoreLogoffTransports on the support with that flag (ABORT if none), then
 * releases the support.
 *
 * The runtime calls the provider on its loop thread; the tests read the
 * folders from the main thread, so the folders sit under a mutex. The
 * provider never calls the library, so holding that mutex is always safe. */
#ifndef UVMAPI_C_TESTS_C_STORE_PROVIDER_H
#define UVMAPI_C_TESTS_C_STORE_PROVIDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "uvmapi/uvmapi.h"

#define CS_MAX_MESSAGES 32
#define CS_MAX_RECIPIENTS 4
#define CS_TEXT_MAX 192

typedef struct cs_message {
  uint64_t id;
  uvmapi_folder folder;
  uint64_t arrival; /* Order of arrival in its current folder. */
  char sender[64];
  char recipients[CS_MAX_RECIPIENTS][64];
  const char* recipient_pointers[CS_MAX_RECIPIENTS];
  uint32_t recipient_count;
  char content[CS_TEXT_MAX];
  size_t content_size;
} cs_message;

typedef struct cs_provider {
  uvmapi_store_provider iface; /* First member: the handle the runtime holds. */
  pthread_mutex_t mutex;
  unsigned refs;
  uint64_t next_id;
  uint64_t next_arrival;
  cs_message messages[CS_MAX_MESSAGES];
  size_t message_count;
  unsigned calls; /* Calls from the runtime, for "it was used". */
} cs_provider;

/* refs starts at 1: the test's own reference. */
void cs_provider_init(cs_provider* provider);
void cs_provider_destroy(cs_provider* provider);
unsigned cs_provider_refs(cs_provider* provider);
uint32_t cs_provider_count(cs_provider* provider, uvmapi_folder folder);
/* How many messages of folder have this content. */
uint32_t cs_provider_count_content(cs_provider* provider, uvmapi_folder folder,
                                   const uvmapi_message* message);

/* The store object the provider's clients hold (its IMsgStore). */
typedef struct cs_client {
  unsigned refs;
  uint32_t saved_flag; /* 0: StoreLogoff never called. */
  uvmapi_support* support;
  /* What the last Release's StoreLogoffTransports said. */
  int logged_off;
  uvmapi_hresult logoff_result;
  uint32_t logoff_requested;
  uint32_t logoff_flags;
} cs_client;

/* Logs on to the provider's store under name. */
uvmapi_hresult cs_client_open(cs_client* client, uvmapi_runtime* runtime, const char* name,
                              cs_provider* provider);
/* IMsgStore::StoreLogoff: validates, saves, and reports the store's activity. */
uvmapi_hresult cs_client_store_logoff(cs_client* client, uint32_t* flags);
uvmapi_hresult cs_client_submit(cs_client* client, const uvmapi_message* message, uint64_t* id);
uint32_t cs_client_add_ref(cs_client* client);
/* The last release logs the store off, as described above. */
uint32_t cs_client_release(cs_client* client);

#endif /* UVMAPI_C_TESTS_C_STORE_PROVIDER_H */
