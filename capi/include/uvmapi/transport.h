/* Transports written by the host, modelled on MAPI's IXPProvider/IXPLogon.
 *
 * The host registers a provider; for each store logon the runtime asks it for
 * a session (a uvmapi_transport) and hands it a uvmapi_xpsupport, the
 * spooler's side. The runtime calls the session on the loop thread only. The
 * host answers through the xpsupport from any thread: calls from other threads
 * are carried to the loop and wait for it.
 *
 * Versioning: the vtable starts with its version; new slots are only added at
 * the end, and the runtime never calls a slot the host's version lacks. */
#ifndef UVMAPI_TRANSPORT_H
#define UVMAPI_TRANSPORT_H

#include "uvmapi/defs.h"
#include "uvmapi/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvmapi_transport uvmapi_transport;
typedef struct uvmapi_xpsupport uvmapi_xpsupport;

/* Implemented by the host. The runtime holds one reference from logon until
 * after TransportLogoff, then calls Release. */
#define UVMAPI_TRANSPORT_VTBL_VERSION 1
typedef struct uvmapi_transport_vtbl {
  uint32_t version; /* UVMAPI_TRANSPORT_VTBL_VERSION the host was built with. */
  uvmapi_hresult (*QueryInterface)(uvmapi_transport* self, const uvmapi_iid* iid, void** object);
  uint32_t (*AddRef)(uvmapi_transport* self);
  uint32_t (*Release)(uvmapi_transport* self);
  /* Offers a message to send; send names it from now on. S_OK: the transport
   * holds it until it calls CompleteSend. MAPI_E_BUSY: not now; the message
   * stays queued and is offered again when the transport calls NotifyReady
   * (and possibly earlier, at the spooler's next pass, for example after
   * another submission). The message's memory is valid only during the call. */
  uvmapi_hresult (*SubmitMessage)(uvmapi_transport* self, uint64_t send,
                                  const uvmapi_message* message);
  /* FLUSH_* flags. Answer with FlushComplete when done. */
  void (*FlushQueues)(uvmapi_transport* self, uint32_t flags);
  /* NOTIFY_* flags. With NOTIFY_CANCEL_MESSAGE, activity is the send or
   * receive to cancel; otherwise 0. */
  void (*TransportNotify)(uvmapi_transport* self, uint32_t flags, uint64_t activity);
  /* LOGOFF_NORMAL or LOGOFF_HURRY: the last call before Release. */
  void (*TransportLogoff)(uvmapi_transport* self, uint32_t flags);
} uvmapi_transport_vtbl;

struct uvmapi_transport {
  const uvmapi_transport_vtbl* lpVtbl;
};

/* The spooler's side, given to each session. After the session is logged
 * off every call fails with MAPI_E_INVALID_OBJECT and changes nothing. */
#define UVMAPI_XPSUPPORT_VTBL_VERSION 1
typedef struct uvmapi_xpsupport_vtbl {
  uint32_t version;
  uvmapi_hresult (*QueryInterface)(uvmapi_xpsupport* self, const uvmapi_iid* iid, void** object);
  uint32_t (*AddRef)(uvmapi_xpsupport* self);
  uint32_t (*Release)(uvmapi_xpsupport* self);
  /* Ends a send. S_OK: the peer has it; it moves to Sent Items.
   * MAPI_E_USER_CANCEL: cancelled; it goes back to the queue. Anything else:
   * failed; it stays in the Outbox until the next flush or logon. */
  uvmapi_hresult (*CompleteSend)(uvmapi_xpsupport* self, uint64_t send, uvmapi_hresult result);
  /* Starts delivering a message into the store. MAPI_E_BUSY when the store
   * takes no new mail: leave the message at its source. */
  uvmapi_hresult (*BeginInbound)(uvmapi_xpsupport* self, uint64_t* receive);
  /* S_OK only once the message is in the Inbox: only then delete it at the source. */
  uvmapi_hresult (*CommitInbound)(uvmapi_xpsupport* self, uint64_t receive,
                                  const uvmapi_message* message);
  uvmapi_hresult (*AbortInbound)(uvmapi_xpsupport* self, uint64_t receive);
  /* The transport can take sends again after refusing one with MAPI_E_BUSY. */
  uvmapi_hresult (*NotifyReady)(uvmapi_xpsupport* self);
  /* Answers FlushQueues. */
  uvmapi_hresult (*FlushComplete)(uvmapi_xpsupport* self);
} uvmapi_xpsupport_vtbl;

struct uvmapi_xpsupport {
  const uvmapi_xpsupport_vtbl* lpVtbl;
};

UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_transport;
UVMAPI_EXTERN const uvmapi_iid uvmapi_iid_xpsupport;

/* A transport provider (IXPProvider::TransportLogon). The runtime copies the
 * struct; context must stay valid until the runtime is destroyed. */
#define UVMAPI_TRANSPORT_PROVIDER_VERSION 1
typedef struct uvmapi_transport_provider {
  uint32_t version; /* UVMAPI_TRANSPORT_PROVIDER_VERSION */
  void* context;
  /* Called on the loop thread when a store is logged on. Keep support (AddRef
   * it) to answer later; return a session holding one reference for the runtime. */
  uvmapi_hresult (*TransportLogon)(void* context, const char* store_name, uvmapi_xpsupport* support,
                                   uvmapi_transport** session);
} uvmapi_transport_provider;
#define UVMAPI_TRANSPORT_PROVIDER_INIT \
  { UVMAPI_TRANSPORT_PROVIDER_VERSION, NULL, NULL }

/* Stores logged on after this call get a session of the provider. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_runtime_add_transport_provider(
    uvmapi_runtime* runtime, const uvmapi_transport_provider* provider);

/* Flat forms of the xpsupport vtable. */
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_add_ref(uvmapi_xpsupport* support, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_release(uvmapi_xpsupport* support, uint32_t* count);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_complete_send(uvmapi_xpsupport* support,
                                                            uint64_t send, uvmapi_hresult result);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_begin_inbound(uvmapi_xpsupport* support,
                                                            uint64_t* receive);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_commit_inbound(uvmapi_xpsupport* support,
                                                             uint64_t receive,
                                                             const uvmapi_message* message);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_abort_inbound(uvmapi_xpsupport* support,
                                                            uint64_t receive);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_notify_ready(uvmapi_xpsupport* support);
UVMAPI_EXTERN uvmapi_hresult uvmapi_xpsupport_flush_complete(uvmapi_xpsupport* support);

#ifdef __cplusplus
}
#endif

#endif /* UVMAPI_TRANSPORT_H */
