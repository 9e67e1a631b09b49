/* The smallest complete uvmapi host in C: a transport whose peer accepts
 * every message at once, a store, one message, and a NO_WAIT logoff whose
 * outcome is printed and checked. Exits 0 only if it went as documented. */
#include <stdio.h>
#include <string.h>

#include <uvmapi/uvmapi.h>

/* --- A transport session (IXPLogon) ------------------------------------------
 * The runtime calls it on its loop thread only. It has no state of its own
 * besides its spooler support and a reference count. */
typedef struct instant_session {
  uvmapi_transport iface; /* First member: the runtime's pointer is the session's. */
  uvmapi_xpsupport* support;
  uint32_t refs;
} instant_session;

#define SESSION(self) ((instant_session*)(void*)(self))

static uvmapi_hresult session_query_interface(uvmapi_transport* self, const uvmapi_iid* iid,
                                              void** object) {
  if (memcmp(iid, &uvmapi_iid_unknown, sizeof *iid) == 0 ||
      memcmp(iid, &uvmapi_iid_transport, sizeof *iid) == 0) {
    ++SESSION(self)->refs;
    *object = self;
    return UVMAPI_S_OK;
  }
  *object = NULL;
  return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static uint32_t session_add_ref(uvmapi_transport* self) {
  return ++SESSION(self)->refs;
}

/* The runtime's Release comes right after TransportLogoff. */
static uint32_t session_release(uvmapi_transport* self) {
  instant_session* session = SESSION(self);
  if (--session->refs > 0) return session->refs;
  session->support->lpVtbl->Release(session->support);
  memset(session, 0, sizeof *session);
  return 0;
}

/* The peer accepts the message before we even return. */
static uvmapi_hresult session_submit(uvmapi_transport* self, uint64_t send,
                                     const uvmapi_message* message) {
  instant_session* session = SESSION(self);
  printf("transport: sending %u bytes to %s\n", (unsigned)message->content_size,
         message->recipients[0]);
  return session->support->lpVtbl->CompleteSend(session->support, send, UVMAPI_S_OK);
}

/* Nothing is ever deferred, so a flush is done at once. */
static void session_flush(uvmapi_transport* self, uint32_t flags) {
  (void)flags;
  SESSION(self)->support->lpVtbl->FlushComplete(SESSION(self)->support);
}

/* Nothing is ever in flight when the runtime could cancel it. */
static void session_notify(uvmapi_transport* self, uint32_t flags, uint64_t activity) {
  (void)self;
  (void)flags;
  (void)activity;
}

static void session_logoff(uvmapi_transport* self, uint32_t flags) {
  (void)self;
  printf("transport: logged off (%s)\n", flags == LOGOFF_HURRY ? "hurry" : "normal");
}

static const uvmapi_transport_vtbl session_vtbl = {
    UVMAPI_TRANSPORT_VTBL_VERSION,
    session_query_interface,
    session_add_ref,
    session_release,
    session_submit,
    session_flush,
    session_notify,
    session_logoff,
};

/* IXPProvider::TransportLogon. This host opens one store, so one session,
 * kept in the provider's context, is enough. */
static uvmapi_hresult transport_logon(void* context, const char* store_name,
                                      uvmapi_xpsupport* support, uvmapi_transport** out) {
  instant_session* session = (instant_session*)context;
  printf("transport: logged on to store '%s'\n", store_name);
  if (session->refs != 0) return MAPI_E_BUSY; /* Already serving a store. */
  session->iface.lpVtbl = &session_vtbl;
  session->support = support;
  support->lpVtbl->AddRef(support); /* Ours, until the runtime releases the session. */
  session->refs = 1;                /* The runtime's. */
  *out = &session->iface;
  return UVMAPI_S_OK;
}

int main(void) {
  static const char* const to[] = {"bob@example.org"};
  static const char body[] = "Subject: hello\r\n\r\nHello, Bob.\r\n";
  static instant_session session; /* Must outlive the runtime. */
  uvmapi_transport_provider provider = UVMAPI_TRANSPORT_PROVIDER_INIT;
  uvmapi_store_options options = UVMAPI_STORE_OPTIONS_INIT;
  uvmapi_message message = UVMAPI_MESSAGE_INIT;
  uvmapi_logoff_outcome outcome;
  uvmapi_runtime* runtime = NULL;
  uvmapi_store* store = NULL;
  uint32_t sent = 0;
  int ok = 0;

  if (uvmapi_runtime_create(NULL, &runtime) != UVMAPI_S_OK) {
    fprintf(stderr, "create: %s\n", uvmapi_last_error_message());
    return 1;
  }
  provider.context = &session;
  provider.TransportLogon = transport_logon;
  options.name = "alice";
  if (uvmapi_runtime_add_transport_provider(runtime, &provider) != UVMAPI_S_OK ||
      uvmapi_store_open(runtime, &options, &store) != UVMAPI_S_OK) {
    fprintf(stderr, "setup: %s\n", uvmapi_last_error_message());
    uvmapi_runtime_destroy(runtime);
    return 1;
  }

  message.sender = "alice@example.org";
  message.recipients = to;
  message.recipient_count = 1;
  message.content = body;
  message.content_size = sizeof body - 1;
  if (uvmapi_store_submit(store, &message, NULL) != UVMAPI_S_OK) {
    fprintf(stderr, "submit: %s\n", uvmapi_last_error_message());
  }
  uvmapi_store_folder_count(store, UVMAPI_FOLDER_SENT_ITEMS, &sent);

  /* StoreLogoff(NO_WAIT) and the release of our only reference, then a wait
   * of up to 10 s for the final outcome. The handle is gone afterwards. */
  if (uvmapi_store_logoff_wait(store, LOGOFF_NO_WAIT, 10000, &outcome) != UVMAPI_S_OK) {
    fprintf(stderr, "logoff: %s\n", uvmapi_last_error_message());
  } else {
    printf("logoff: %s, flags at return 0x%08x, final 0x%08x; %u message(s) in Sent Items\n",
           outcome.released ? "released" : "not released", (unsigned)outcome.flags_at_return,
           (unsigned)outcome.flags_at_final, (unsigned)sent);
    ok = outcome.finished && outcome.released && outcome.status == UVMAPI_S_OK &&
         outcome.flags_at_final == LOGOFF_COMPLETE && sent == 1;
  }
  store = NULL;

  uvmapi_runtime_destroy(runtime);
  return ok ? 0 : 1;
}
