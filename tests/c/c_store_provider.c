/* The C store provider and its client store object (see c_store_provider.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "c_store_provider.h"

#include <stdio.h>
#include <string.h>

#define PROVIDER(self) ((cs_provider*)(void*)(self))

static int valid_folder(uvmapi_folder folder) {
  return folder == UVMAPI_FOLDER_INBOX || folder == UVMAPI_FOLDER_OUTBOX ||
         folder == UVMAPI_FOLDER_SENT_ITEMS;
}

static cs_message* find(cs_provider* provider, uint64_t id) {
  size_t i;
  for (i = 0; i < provider->message_count; ++i) {
    if (provider->messages[i].id == id) return &provider->messages[i];
  }
  return NULL;
}

static uvmapi_hresult cs_query_interface(uvmapi_store_provider* self, const uvmapi_iid* iid,
                                         void** object) {
  cs_provider* provider = PROVIDER(self);
  if (iid == NULL || object == NULL) return MAPI_E_INVALID_PARAMETER;
  if (memcmp(iid, &uvmapi_iid_unknown, sizeof *iid) == 0 ||
      memcmp(iid, &uvmapi_iid_store_provider, sizeof *iid) == 0) {
    pthread_mutex_lock(&provider->mutex);
    ++provider->refs;
    pthread_mutex_unlock(&provider->mutex);
    *object = self;
    return UVMAPI_S_OK;
  }
  *object = NULL;
  return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static uint32_t cs_add_ref(uvmapi_store_provider* self) {
  cs_provider* provider = PROVIDER(self);
  uint32_t refs;
  pthread_mutex_lock(&provider->mutex);
  refs = ++provider->refs;
  pthread_mutex_unlock(&provider->mutex);
  return refs;
}

/* The provider lives in the test's memory; the count only tells the test
 * whether the runtime gave back every reference it took. */
static uint32_t cs_release(uvmapi_store_provider* self) {
  cs_provider* provider = PROVIDER(self);
  uint32_t refs;
  pthread_mutex_lock(&provider->mutex);
  if (provider->refs > 0) --provider->refs;
  refs = provider->refs;
  pthread_mutex_unlock(&provider->mutex);
  return refs;
}

/* Copies everything the message points to: the caller keeps its memory. */
static uvmapi_hresult cs_add_message(uvmapi_store_provider* self, uvmapi_folder folder,
                                     const uvmapi_message* message, uint64_t* id) {
  cs_provider* provider = PROVIDER(self);
  cs_message* stored;
  uint32_t i;
  if (!valid_folder(folder) || message == NULL || id == NULL) return MAPI_E_INVALID_PARAMETER;
  if (message->recipient_count > CS_MAX_RECIPIENTS || message->content_size >= CS_TEXT_MAX) {
    return MAPI_E_NOT_ENOUGH_MEMORY;
  }
  pthread_mutex_lock(&provider->mutex);
  ++provider->calls;
  if (provider->message_count == CS_MAX_MESSAGES) {
    pthread_mutex_unlock(&provider->mutex);
    return MAPI_E_NOT_ENOUGH_MEMORY;
  }
  stored = &provider->messages[provider->message_count++];
  memset(stored, 0, sizeof *stored);
  stored->id = provider->next_id++;
  stored->folder = folder;
  stored->arrival = provider->next_arrival++;
  snprintf(stored->sender, sizeof stored->sender, "%s", message->sender ? message->sender : "");
  stored->recipient_count = message->recipient_count;
  for (i = 0; i < message->recipient_count; ++i) {
    snprintf(stored->recipients[i], sizeof stored->recipients[i], "%s",
             message->recipients[i] ? message->recipients[i] : "");
    stored->recipient_pointers[i] = stored->recipients[i];
  }
  if (message->content_size) memcpy(stored->content, message->content, message->content_size);
  stored->content_size = message->content_size;
  *id = stored->id;
  pthread_mutex_unlock(&provider->mutex);
  return UVMAPI_S_OK;
}

static uvmapi_hresult cs_move_message(uvmapi_store_provider* self, uint64_t id, uvmapi_folder from,
                                      uvmapi_folder to) {
  cs_provider* provider = PROVIDER(self);
  cs_message* message;
  uvmapi_hresult result = UVMAPI_S_OK;
  if (!valid_folder(from) || !valid_folder(to)) return MAPI_E_INVALID_PARAMETER;
  pthread_mutex_lock(&provider->mutex);
  ++provider->calls;
  message = find(provider, id);
  if (message == NULL || message->folder != from) {
    result = MAPI_E_NOT_FOUND;
  } else {
    /* One step: the message is in exactly one folder before and after. */
    message->folder = to;
    message->arrival = provider->next_arrival++;
  }
  pthread_mutex_unlock(&provider->mutex);
  return result;
}

/* The pointers stay valid until the provider is destroyed: stored messages
 * never move in the table (the header asks only until the next call). */
static uvmapi_hresult cs_read_message(uvmapi_store_provider* self, uint64_t id,
                                      uvmapi_message* out) {
  cs_provider* provider = PROVIDER(self);
  cs_message* message;
  if (out == NULL) return MAPI_E_INVALID_PARAMETER;
  pthread_mutex_lock(&provider->mutex);
  ++provider->calls;
  message = find(provider, id);
  if (message != NULL) {
    /* version stays as the runtime set it (UVMAPI_MESSAGE_INIT). */
    out->sender = message->sender;
    out->recipients = message->recipient_pointers;
    out->recipient_count = message->recipient_count;
    out->content = message->content;
    out->content_size = message->content_size;
  }
  pthread_mutex_unlock(&provider->mutex);
  return message ? UVMAPI_S_OK : MAPI_E_NOT_FOUND;
}

static uvmapi_hresult cs_list_folder(uvmapi_store_provider* self, uvmapi_folder folder,
                                     uint64_t* ids, uint32_t capacity, uint32_t* count) {
  cs_provider* provider = PROVIDER(self);
  const cs_message* in_folder[CS_MAX_MESSAGES];
  uint32_t n = 0, i, j;
  if (!valid_folder(folder) || count == NULL || (ids == NULL && capacity > 0)) {
    return MAPI_E_INVALID_PARAMETER;
  }
  pthread_mutex_lock(&provider->mutex);
  ++provider->calls;
  /* Insertion sort by arrival: the folders are small. */
  for (i = 0; i < provider->message_count; ++i) {
    const cs_message* message = &provider->messages[i];
    if (message->folder != folder) continue;
    for (j = n; j > 0 && in_folder[j - 1]->arrival > message->arrival; --j) {
      in_folder[j] = in_folder[j - 1];
    }
    in_folder[j] = message;
    ++n;
  }
  for (i = 0; i < n && i < capacity; ++i) ids[i] = in_folder[i]->id;
  *count = n;
  pthread_mutex_unlock(&provider->mutex);
  return UVMAPI_S_OK;
}

static uvmapi_hresult cs_get_folder_count(uvmapi_store_provider* self, uvmapi_folder folder,
                                          uint32_t* count) {
  if (!valid_folder(folder) || count == NULL) return MAPI_E_INVALID_PARAMETER;
  return cs_list_folder(self, folder, NULL, 0, count);
}

static const uvmapi_store_provider_vtbl cs_vtbl = {
    UVMAPI_STORE_PROVIDER_VTBL_VERSION,
    cs_query_interface,
    cs_add_ref,
    cs_release,
    cs_add_message,
    cs_move_message,
    cs_read_message,
    cs_list_folder,
    cs_get_folder_count,
};

void cs_provider_init(cs_provider* provider) {
  memset(provider, 0, sizeof *provider);
  provider->iface.lpVtbl = &cs_vtbl;
  pthread_mutex_init(&provider->mutex, NULL);
  provider->refs = 1;
  provider->next_id = 1;
  provider->next_arrival = 1;
}

void cs_provider_destroy(cs_provider* provider) {
  pthread_mutex_destroy(&provider->mutex);
}

unsigned cs_provider_refs(cs_provider* provider) {
  unsigned refs;
  pthread_mutex_lock(&provider->mutex);
  refs = provider->refs;
  pthread_mutex_unlock(&provider->mutex);
  return refs;
}

uint32_t cs_provider_count(cs_provider* provider, uvmapi_folder folder) {
  uint32_t count = 0;
  size_t i;
  pthread_mutex_lock(&provider->mutex);
  for (i = 0; i < provider->message_count; ++i) count += provider->messages[i].folder == folder;
  pthread_mutex_unlock(&provider->mutex);
  return count;
}

uint32_t cs_provider_count_content(cs_provider* provider, uvmapi_folder folder,
                                   const uvmapi_message* message) {
  uint32_t count = 0;
  size_t i;
  pthread_mutex_lock(&provider->mutex);
  for (i = 0; i < provider->message_count; ++i) {
    const cs_message* stored = &provider->messages[i];
    count += stored->folder == folder && stored->content_size == message->content_size &&
             memcmp(stored->content, message->content, message->content_size) == 0;
  }
  pthread_mutex_unlock(&provider->mutex);
  return count;
}

/* --- The client store object ------------------------------------------------ */

uvmapi_hresult cs_client_open(cs_client* client, uvmapi_runtime* runtime, const char* name,
                              cs_provider* provider) {
  memset(client, 0, sizeof *client);
  client->refs = 1;
  return uvmapi_runtime_logon_store_provider(runtime, name, &provider->iface, &client->support);
}

uvmapi_hresult cs_client_store_logoff(cs_client* client, uint32_t* flags) {
  const uint32_t inputs =
      LOGOFF_NO_WAIT | LOGOFF_ORDERLY | LOGOFF_PURGE | LOGOFF_ABORT | LOGOFF_QUIET;
  uint32_t activity = 0;
  uvmapi_hresult result;
  if (client->support == NULL) return MAPI_E_INVALID_OBJECT;
  if (flags == NULL) return MAPI_E_INVALID_PARAMETER;
  /* Unknown bits first, then exactly one flag; on error nothing is saved. */
  if (*flags & ~inputs) return MAPI_E_UNKNOWN_FLAGS;
  if (*flags == 0 || (*flags & (*flags - 1)) != 0) return MAPI_E_INVALID_PARAMETER;
  result = client->support->lpVtbl->GetActivity(client->support, &activity);
  if (UVMAPI_FAILED(result)) return result;
  client->saved_flag = *flags;
  *flags = activity;
  return UVMAPI_S_OK;
}

uvmapi_hresult cs_client_submit(cs_client* client, const uvmapi_message* message, uint64_t* id) {
  if (client->support == NULL) return MAPI_E_INVALID_OBJECT;
  return client->support->lpVtbl->SubmitMessage(client->support, message, id);
}

uint32_t cs_client_add_ref(cs_client* client) {
  return ++client->refs;
}

uint32_t cs_client_release(cs_client* client) {
  uvmapi_support* support = client->support;
  if (client->refs == 0) return 0;
  if (--client->refs > 0 || support == NULL) return client->refs;
  /* What a MAPI store provider does when its last client reference goes. */
  client->logoff_requested = client->saved_flag ? client->saved_flag : LOGOFF_ABORT;
  client->logoff_flags = client->logoff_requested;
  client->logoff_result = support->lpVtbl->StoreLogoffTransports(support, &client->logoff_flags);
  client->logged_off = 1;
  client->support = NULL;
  support->lpVtbl->Release(support);
  return 0;
}
