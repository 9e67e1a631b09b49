/* Basic types and every value of the logoff contract under MAPI's own names.
 *
 * A name is defined only when nobody defined it before (a program that also
 * includes other MAPI headers keeps theirs; the values are the same). The two
 * names that Windows-style headers commonly define with other types, HRESULT
 * and S_OK, have uvmapi twins used throughout this API: uvmapi_hresult and
 * UVMAPI_S_OK. */
#ifndef UVMAPI_DEFS_H
#define UVMAPI_DEFS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define UVMAPI_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define UVMAPI_EXPORT __attribute__((visibility("default")))
#else
#define UVMAPI_EXPORT
#endif
#define UVMAPI_EXTERN extern UVMAPI_EXPORT

/* Casts that stay quiet under C++'s -Wold-style-cast. */
#ifdef __cplusplus
#define UVMAPI_CAST_(type, value) (static_cast<type>(value))
#else
#define UVMAPI_CAST_(type, value) ((type)(value))
#endif

/* 32-bit, as in MAPI (negative means failure). */
typedef int32_t uvmapi_hresult;
#define UVMAPI_FAILED(hr) (UVMAPI_CAST_(uvmapi_hresult, hr) < 0)
#define UVMAPI_SUCCEEDED(hr) (UVMAPI_CAST_(uvmapi_hresult, hr) >= 0)
#define UVMAPI_HR(bits) UVMAPI_CAST_(uvmapi_hresult, UVMAPI_CAST_(uint32_t, bits))

#define UVMAPI_S_OK UVMAPI_CAST_(uvmapi_hresult, 0)
#ifndef S_OK
#define S_OK UVMAPI_S_OK
#endif

/* HRESULTs. */
#ifndef MAPI_E_CALL_FAILED
#define MAPI_E_CALL_FAILED UVMAPI_HR(0x80004005)
#endif
#ifndef MAPI_E_NOT_ENOUGH_MEMORY
#define MAPI_E_NOT_ENOUGH_MEMORY UVMAPI_HR(0x8007000E)
#endif
#ifndef MAPI_E_INVALID_PARAMETER
#define MAPI_E_INVALID_PARAMETER UVMAPI_HR(0x80070057)
#endif
#ifndef MAPI_E_NO_SUPPORT
#define MAPI_E_NO_SUPPORT UVMAPI_HR(0x80040102)
#endif
#ifndef MAPI_E_UNKNOWN_FLAGS
#define MAPI_E_UNKNOWN_FLAGS UVMAPI_HR(0x80040106)
#endif
#ifndef MAPI_E_INVALID_OBJECT
#define MAPI_E_INVALID_OBJECT UVMAPI_HR(0x80040108)
#endif
#ifndef MAPI_E_BUSY
#define MAPI_E_BUSY UVMAPI_HR(0x8004010B)
#endif
#ifndef MAPI_E_NOT_FOUND
#define MAPI_E_NOT_FOUND UVMAPI_HR(0x8004010F)
#endif
#ifndef MAPI_E_USER_CANCEL
#define MAPI_E_USER_CANCEL UVMAPI_HR(0x80040113)
#endif
#ifndef MAPI_E_UNABLE_TO_ABORT
#define MAPI_E_UNABLE_TO_ABORT UVMAPI_HR(0x80040114)
#endif
/* A transport could not reach its peer, or the peer refused for now. */
#ifndef MAPI_E_NETWORK_ERROR
#define MAPI_E_NETWORK_ERROR UVMAPI_HR(0x80040115)
#endif
/* QueryInterface for an interface the object does not have (COM's E_NOINTERFACE). */
#ifndef MAPI_E_INTERFACE_NOT_SUPPORTED
#define MAPI_E_INTERFACE_NOT_SUPPORTED UVMAPI_HR(0x80004002)
#endif
#ifndef MAPI_E_TIMEOUT
#define MAPI_E_TIMEOUT UVMAPI_HR(0x80040401)
#endif

/* StoreLogoff / StoreLogoffTransports: exactly one input flag per call. */
#ifndef LOGOFF_NO_WAIT
#define LOGOFF_NO_WAIT 0x00000001u
#endif
#ifndef LOGOFF_ORDERLY
#define LOGOFF_ORDERLY 0x00000002u
#endif
#ifndef LOGOFF_PURGE
#define LOGOFF_PURGE 0x00000004u
#endif
#ifndef LOGOFF_ABORT
#define LOGOFF_ABORT 0x00000008u
#endif
#ifndef LOGOFF_QUIET
#define LOGOFF_QUIET 0x00000010u
#endif
/* Output flags. */
#ifndef LOGOFF_COMPLETE
#define LOGOFF_COMPLETE 0x00010000u
#endif
#ifndef LOGOFF_INBOUND
#define LOGOFF_INBOUND 0x00020000u
#endif
#ifndef LOGOFF_OUTBOUND
#define LOGOFF_OUTBOUND 0x00040000u
#endif
#ifndef LOGOFF_OUTBOUND_QUEUE
#define LOGOFF_OUTBOUND_QUEUE 0x00080000u
#endif

/* IXPLogon::FlushQueues. */
#ifndef FLUSH_UPLOAD
#define FLUSH_UPLOAD 0x00000002u
#endif
#ifndef FLUSH_DOWNLOAD
#define FLUSH_DOWNLOAD 0x00000004u
#endif
#ifndef FLUSH_FORCE
#define FLUSH_FORCE 0x00000008u
#endif
#ifndef FLUSH_NO_UI
#define FLUSH_NO_UI 0x00000010u
#endif
#ifndef FLUSH_ASYNC_OK
#define FLUSH_ASYNC_OK 0x00000020u
#endif

/* IXPLogon::TransportLogoff. */
#ifndef LOGOFF_NORMAL
#define LOGOFF_NORMAL 0x00000001u
#endif
#ifndef LOGOFF_HURRY
#define LOGOFF_HURRY 0x80000000u
#endif

/* IXPLogon::TransportNotify. */
#ifndef NOTIFY_BEGIN_INBOUND
#define NOTIFY_BEGIN_INBOUND 0x00000001u
#endif
#ifndef NOTIFY_BEGIN_OUTBOUND
#define NOTIFY_BEGIN_OUTBOUND 0x00000002u
#endif
#ifndef NOTIFY_BEGIN_INBOUND_FLUSH
#define NOTIFY_BEGIN_INBOUND_FLUSH 0x00000004u
#endif
#ifndef NOTIFY_BEGIN_OUTBOUND_FLUSH
#define NOTIFY_BEGIN_OUTBOUND_FLUSH 0x00000008u
#endif
#ifndef NOTIFY_END_INBOUND
#define NOTIFY_END_INBOUND 0x00010000u
#endif
#ifndef NOTIFY_END_OUTBOUND
#define NOTIFY_END_OUTBOUND 0x00020000u
#endif
#ifndef NOTIFY_END_INBOUND_FLUSH
#define NOTIFY_END_INBOUND_FLUSH 0x00040000u
#endif
#ifndef NOTIFY_END_OUTBOUND_FLUSH
#define NOTIFY_END_OUTBOUND_FLUSH 0x00080000u
#endif
#ifndef NOTIFY_ABORT_DEFERRED
#define NOTIFY_ABORT_DEFERRED 0x40000000u
#endif
#ifndef NOTIFY_CANCEL_MESSAGE
#define NOTIFY_CANCEL_MESSAGE 0x80000000u
#endif

/* The three folders of a store. */
typedef enum uvmapi_folder {
  UVMAPI_FOLDER_INBOX = 0, /* The default receive folder. */
  UVMAPI_FOLDER_OUTBOX = 1,
  UVMAPI_FOLDER_SENT_ITEMS = 2
} uvmapi_folder;

/* Interface identifiers for QueryInterface, laid out like a Windows GUID. */
typedef struct uvmapi_iid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
} uvmapi_iid;

/* A message crossing the ABI: an envelope plus RFC 5322 bytes. Everything it
 * points to belongs to whoever filled it in, and the receiver copies what it
 * keeps before the call returns. */
#define UVMAPI_MESSAGE_VERSION 1
typedef struct uvmapi_message {
  uint32_t version; /* UVMAPI_MESSAGE_VERSION */
  const char* sender;
  const char* const* recipients;
  uint32_t recipient_count;
  const void* content; /* Need not be NUL-terminated. */
  size_t content_size;
} uvmapi_message;
#define UVMAPI_MESSAGE_INIT \
  { UVMAPI_MESSAGE_VERSION, NULL, NULL, 0, NULL, 0 }

/* The outcome of a logoff, reported at two moments: when control returns to
 * the caller, and finally when the store is released or the logoff given up. */
#define UVMAPI_LOGOFF_OUTCOME_VERSION 1
typedef struct uvmapi_logoff_outcome {
  uint32_t version;      /* UVMAPI_LOGOFF_OUTCOME_VERSION */
  uint32_t requested;    /* The input flag the logoff ran with. */
  uvmapi_hresult status; /* S_OK, or MAPI_E_UNABLE_TO_ABORT. */
  uint32_t flags_at_return;
  uint32_t flags_at_final; /* Valid when finished is non-zero. */
  uint8_t returned;        /* flags_at_return is valid. */
  uint8_t finished;        /* Nothing more will change. */
  uint8_t released;        /* The store (opener) was released. */
  uint8_t escalated;       /* The drain deadline passed; the logoff became ABORT. */
  uint8_t forced;          /* Runtime shutdown released a store whose transports
                              did not stop within the abort deadline. */
} uvmapi_logoff_outcome;

#endif /* UVMAPI_DEFS_H */
