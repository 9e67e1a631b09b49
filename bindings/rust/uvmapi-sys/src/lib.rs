//! Raw declarations of libuvmapi's C ABI, written by hand from
//! `capi/include/uvmapi/*.h` (the umbrella header is `uvmapi.h`).
//!
//! Every type, constant and exported function of the headers is here under
//! its C name. The comments of the headers are the specification; this crate
//! only repeats the shapes. The layout tests (`tests/layout.rs`) hold the
//! sizes, alignments and offsets to those of a C compiler, and a header scan
//! checks that no constant or function of the headers is missing or differs.
//!
//! Vtables are structs of `Option<unsafe extern "C" fn(...)>`: a slot the C
//! side leaves empty is `None`, never a dangling pointer.
#![no_std]
#![allow(non_camel_case_types, non_snake_case, non_upper_case_globals)]

use core::ffi::{c_char, c_uint, c_void};
use core::marker::{PhantomData, PhantomPinned};

// --- defs.h: basic types ---------------------------------------------------

/// 32-bit, as in MAPI (negative means failure).
pub type uvmapi_hresult = i32;

/// `UVMAPI_FAILED(hr)`.
#[inline]
pub const fn UVMAPI_FAILED(hr: uvmapi_hresult) -> bool {
    hr < 0
}
/// `UVMAPI_SUCCEEDED(hr)`.
#[inline]
pub const fn UVMAPI_SUCCEEDED(hr: uvmapi_hresult) -> bool {
    hr >= 0
}
/// `UVMAPI_HR(bits)`: a 32-bit pattern as an HRESULT.
#[inline]
pub const fn UVMAPI_HR(bits: u32) -> uvmapi_hresult {
    bits as uvmapi_hresult
}

pub const UVMAPI_S_OK: uvmapi_hresult = 0;
pub const S_OK: uvmapi_hresult = UVMAPI_S_OK;

// HRESULTs.
pub const MAPI_E_CALL_FAILED: uvmapi_hresult = UVMAPI_HR(0x80004005);
pub const MAPI_E_NOT_ENOUGH_MEMORY: uvmapi_hresult = UVMAPI_HR(0x8007000E);
pub const MAPI_E_INVALID_PARAMETER: uvmapi_hresult = UVMAPI_HR(0x80070057);
pub const MAPI_E_NO_SUPPORT: uvmapi_hresult = UVMAPI_HR(0x80040102);
pub const MAPI_E_UNKNOWN_FLAGS: uvmapi_hresult = UVMAPI_HR(0x80040106);
pub const MAPI_E_INVALID_OBJECT: uvmapi_hresult = UVMAPI_HR(0x80040108);
pub const MAPI_E_BUSY: uvmapi_hresult = UVMAPI_HR(0x8004010B);
pub const MAPI_E_NOT_FOUND: uvmapi_hresult = UVMAPI_HR(0x8004010F);
pub const MAPI_E_USER_CANCEL: uvmapi_hresult = UVMAPI_HR(0x80040113);
pub const MAPI_E_UNABLE_TO_ABORT: uvmapi_hresult = UVMAPI_HR(0x80040114);
/// A transport could not reach its peer, or the peer refused for now.
pub const MAPI_E_NETWORK_ERROR: uvmapi_hresult = UVMAPI_HR(0x80040115);
/// QueryInterface for an interface the object does not have (COM's E_NOINTERFACE).
pub const MAPI_E_INTERFACE_NOT_SUPPORTED: uvmapi_hresult = UVMAPI_HR(0x80004002);
pub const MAPI_E_TIMEOUT: uvmapi_hresult = UVMAPI_HR(0x80040401);

// StoreLogoff / StoreLogoffTransports: exactly one input flag per call.
pub const LOGOFF_NO_WAIT: u32 = 0x00000001;
pub const LOGOFF_ORDERLY: u32 = 0x00000002;
pub const LOGOFF_PURGE: u32 = 0x00000004;
pub const LOGOFF_ABORT: u32 = 0x00000008;
pub const LOGOFF_QUIET: u32 = 0x00000010;
// Output flags.
pub const LOGOFF_COMPLETE: u32 = 0x00010000;
pub const LOGOFF_INBOUND: u32 = 0x00020000;
pub const LOGOFF_OUTBOUND: u32 = 0x00040000;
pub const LOGOFF_OUTBOUND_QUEUE: u32 = 0x00080000;

// IXPLogon::FlushQueues.
pub const FLUSH_UPLOAD: u32 = 0x00000002;
pub const FLUSH_DOWNLOAD: u32 = 0x00000004;
pub const FLUSH_FORCE: u32 = 0x00000008;
pub const FLUSH_NO_UI: u32 = 0x00000010;
pub const FLUSH_ASYNC_OK: u32 = 0x00000020;

// IXPLogon::TransportLogoff.
pub const LOGOFF_NORMAL: u32 = 0x00000001;
pub const LOGOFF_HURRY: u32 = 0x80000000;

// IXPLogon::TransportNotify.
pub const NOTIFY_BEGIN_INBOUND: u32 = 0x00000001;
pub const NOTIFY_BEGIN_OUTBOUND: u32 = 0x00000002;
pub const NOTIFY_BEGIN_INBOUND_FLUSH: u32 = 0x00000004;
pub const NOTIFY_BEGIN_OUTBOUND_FLUSH: u32 = 0x00000008;
pub const NOTIFY_END_INBOUND: u32 = 0x00010000;
pub const NOTIFY_END_OUTBOUND: u32 = 0x00020000;
pub const NOTIFY_END_INBOUND_FLUSH: u32 = 0x00040000;
pub const NOTIFY_END_OUTBOUND_FLUSH: u32 = 0x00080000;
pub const NOTIFY_ABORT_DEFERRED: u32 = 0x40000000;
pub const NOTIFY_CANCEL_MESSAGE: u32 = 0x80000000;

/// The three folders of a store (a C enum: an `unsigned int` on the
/// platforms uvmapi supports, as none of its values is negative).
pub type uvmapi_folder = c_uint;
/// The default receive folder.
pub const UVMAPI_FOLDER_INBOX: uvmapi_folder = 0;
pub const UVMAPI_FOLDER_OUTBOX: uvmapi_folder = 1;
pub const UVMAPI_FOLDER_SENT_ITEMS: uvmapi_folder = 2;

/// Interface identifiers for QueryInterface, laid out like a Windows GUID.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct uvmapi_iid {
    pub data1: u32,
    pub data2: u16,
    pub data3: u16,
    pub data4: [u8; 8],
}

pub const UVMAPI_MESSAGE_VERSION: u32 = 1;
/// A message crossing the ABI: an envelope plus RFC 5322 bytes. Everything it
/// points to belongs to whoever filled it in.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_message {
    /// `UVMAPI_MESSAGE_VERSION`.
    pub version: u32,
    pub sender: *const c_char,
    pub recipients: *const *const c_char,
    pub recipient_count: u32,
    /// Need not be NUL-terminated.
    pub content: *const c_void,
    pub content_size: usize,
}
impl uvmapi_message {
    /// `UVMAPI_MESSAGE_INIT`.
    pub const INIT: Self = Self {
        version: UVMAPI_MESSAGE_VERSION,
        sender: core::ptr::null(),
        recipients: core::ptr::null(),
        recipient_count: 0,
        content: core::ptr::null(),
        content_size: 0,
    };
}
impl Default for uvmapi_message {
    fn default() -> Self {
        Self::INIT
    }
}

pub const UVMAPI_LOGOFF_OUTCOME_VERSION: u32 = 1;
/// The outcome of a logoff, reported at two moments: when control returns to
/// the caller, and finally when the store is released or the logoff given up.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct uvmapi_logoff_outcome {
    /// `UVMAPI_LOGOFF_OUTCOME_VERSION`.
    pub version: u32,
    /// The input flag the logoff ran with.
    pub requested: u32,
    /// S_OK, or MAPI_E_UNABLE_TO_ABORT.
    pub status: uvmapi_hresult,
    pub flags_at_return: u32,
    /// Valid when `finished` is non-zero.
    pub flags_at_final: u32,
    /// `flags_at_return` is valid.
    pub returned: u8,
    /// Nothing more will change.
    pub finished: u8,
    /// The store (opener) was released.
    pub released: u8,
    /// The drain deadline passed; the logoff became ABORT.
    pub escalated: u8,
    /// Runtime shutdown ended a store that would not log off.
    pub forced: u8,
}
impl Default for uvmapi_logoff_outcome {
    /// Zeroed, with its version set: what the calls that fill one expect.
    fn default() -> Self {
        Self {
            version: UVMAPI_LOGOFF_OUTCOME_VERSION,
            requested: 0,
            status: 0,
            flags_at_return: 0,
            flags_at_final: 0,
            returned: 0,
            finished: 0,
            released: 0,
            escalated: 0,
            forced: 0,
        }
    }
}

// --- version.h -------------------------------------------------------------

pub const UVMAPI_VERSION_MAJOR: u32 = 1;
pub const UVMAPI_VERSION_MINOR: u32 = 0;
pub const UVMAPI_VERSION_PATCH: u32 = 0;
/// "1.0.0".
pub const UVMAPI_VERSION_STRING: &str = "1.0.0";
/// 0xMMmmpp: comparable with < and >.
pub const UVMAPI_VERSION_HEX: u32 =
    (UVMAPI_VERSION_MAJOR << 16) | (UVMAPI_VERSION_MINOR << 8) | UVMAPI_VERSION_PATCH;

// --- runtime.h -------------------------------------------------------------

/// The runtime (opaque).
#[repr(C)]
pub struct uvmapi_runtime {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Called on the loop thread with the final outcome of every logoff.
pub type uvmapi_logoff_callback = Option<
    unsafe extern "C" fn(
        context: *mut c_void,
        store_name: *const c_char,
        outcome: *const uvmapi_logoff_outcome,
    ),
>;

pub const UVMAPI_RUNTIME_OPTIONS_VERSION: u32 = 1;
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_runtime_options {
    /// `UVMAPI_RUNTIME_OPTIONS_VERSION`.
    pub version: u32,
    /// NULL: the runtime runs its own loop on its own thread (the default).
    /// Otherwise a `uv_loop_t*` that the host drives with `uv_run` on the
    /// thread that calls `uvmapi_runtime_create`.
    pub host_loop: *mut c_void,
    /// How long NO_WAIT, ORDERLY and PURGE may drain before they become
    /// ABORT; 0 means the default, 30000.
    pub drain_deadline_ms: u32,
    /// How long an abort waits for the transports to stop; 0 means 5000.
    pub abort_deadline_ms: u32,
    /// May be `None`.
    pub on_logoff: uvmapi_logoff_callback,
    pub on_logoff_context: *mut c_void,
}
impl uvmapi_runtime_options {
    /// `UVMAPI_RUNTIME_OPTIONS_INIT`.
    pub const INIT: Self = Self {
        version: UVMAPI_RUNTIME_OPTIONS_VERSION,
        host_loop: core::ptr::null_mut(),
        drain_deadline_ms: 0,
        abort_deadline_ms: 0,
        on_logoff: None,
        on_logoff_context: core::ptr::null_mut(),
    };
}
impl Default for uvmapi_runtime_options {
    fn default() -> Self {
        Self::INIT
    }
}

// --- store.h ---------------------------------------------------------------

/// A message the library allocated for the caller: free with `uvmapi_message_free`.
#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_message_data {
    pub message: uvmapi_message,
}

pub const UVMAPI_STORE_VTBL_VERSION: u32 = 1;
/// IMsgStore. Slots are only ever added at the end.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_store_vtbl {
    pub version: u32,
    pub QueryInterface: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store,
            iid: *const uvmapi_iid,
            object: *mut *mut c_void,
        ) -> uvmapi_hresult,
    >,
    pub AddRef: Option<unsafe extern "C" fn(self_: *mut uvmapi_store) -> u32>,
    /// The release that drops the count to zero logs the store off with the
    /// flag saved by StoreLogoff (ABORT if none).
    pub Release: Option<unsafe extern "C" fn(self_: *mut uvmapi_store) -> u32>,
    /// Validates and saves `*flags`; on return `*flags` holds the activity bits.
    pub StoreLogoff:
        Option<unsafe extern "C" fn(self_: *mut uvmapi_store, flags: *mut u32) -> uvmapi_hresult>,
    /// MAPI_E_BUSY while the store logs off: the message was not taken.
    pub SubmitMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store,
            message: *const uvmapi_message,
            id: *mut u64,
        ) -> uvmapi_hresult,
    >,
    pub GetFolderCount: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store,
            folder: uvmapi_folder,
            count: *mut u32,
        ) -> uvmapi_hresult,
    >,
    /// Writes up to capacity ids, oldest first; `*count` is the folder's size.
    pub ListFolder: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store,
            folder: uvmapi_folder,
            ids: *mut u64,
            capacity: u32,
            count: *mut u32,
        ) -> uvmapi_hresult,
    >,
    pub ReadMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store,
            id: u64,
            message: *mut *mut uvmapi_message_data,
        ) -> uvmapi_hresult,
    >,
    /// The activity bits without saving anything.
    pub GetActivity: Option<
        unsafe extern "C" fn(self_: *mut uvmapi_store, activity: *mut u32) -> uvmapi_hresult,
    >,
}

/// A store handle: a struct whose first member points to a const vtable.
#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_store {
    pub lpVtbl: *const uvmapi_store_vtbl,
}

pub const UVMAPI_STORE_OPTIONS_VERSION: u32 = 1;
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_store_options {
    /// `UVMAPI_STORE_OPTIONS_VERSION`.
    pub version: u32,
    /// Stores with the same name are the same store: a second open shares it.
    pub name: *const c_char,
    /// NULL: an in-memory store that lives as long as the runtime.
    pub path: *const c_char,
}
impl uvmapi_store_options {
    /// `UVMAPI_STORE_OPTIONS_INIT`.
    pub const INIT: Self = Self {
        version: UVMAPI_STORE_OPTIONS_VERSION,
        name: core::ptr::null(),
        path: core::ptr::null(),
    };
}
impl Default for uvmapi_store_options {
    fn default() -> Self {
        Self::INIT
    }
}

/// `done` of `uvmapi_store_logoff_async`.
pub type uvmapi_logoff_done =
    Option<unsafe extern "C" fn(context: *mut c_void, outcome: *const uvmapi_logoff_outcome)>;

// --- support.h -------------------------------------------------------------

pub const UVMAPI_STORE_PROVIDER_VTBL_VERSION: u32 = 1;
/// Implemented by the host; called on the loop thread only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_store_provider_vtbl {
    /// `UVMAPI_STORE_PROVIDER_VTBL_VERSION` the host was built with.
    pub version: u32,
    pub QueryInterface: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            iid: *const uvmapi_iid,
            object: *mut *mut c_void,
        ) -> uvmapi_hresult,
    >,
    pub AddRef: Option<unsafe extern "C" fn(self_: *mut uvmapi_store_provider) -> u32>,
    pub Release: Option<unsafe extern "C" fn(self_: *mut uvmapi_store_provider) -> u32>,
    pub AddMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            folder: uvmapi_folder,
            message: *const uvmapi_message,
            id: *mut u64,
        ) -> uvmapi_hresult,
    >,
    pub MoveMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            id: u64,
            from: uvmapi_folder,
            to: uvmapi_folder,
        ) -> uvmapi_hresult,
    >,
    pub ReadMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            id: u64,
            message: *mut uvmapi_message,
        ) -> uvmapi_hresult,
    >,
    pub ListFolder: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            folder: uvmapi_folder,
            ids: *mut u64,
            capacity: u32,
            count: *mut u32,
        ) -> uvmapi_hresult,
    >,
    pub GetFolderCount: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_store_provider,
            folder: uvmapi_folder,
            count: *mut u32,
        ) -> uvmapi_hresult,
    >,
}

#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_store_provider {
    pub lpVtbl: *const uvmapi_store_provider_vtbl,
}

pub const UVMAPI_SUPPORT_VTBL_VERSION: u32 = 1;
/// IMAPISupport. Implemented by the runtime; any thread may call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_support_vtbl {
    pub version: u32,
    pub QueryInterface: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_support,
            iid: *const uvmapi_iid,
            object: *mut *mut c_void,
        ) -> uvmapi_hresult,
    >,
    pub AddRef: Option<unsafe extern "C" fn(self_: *mut uvmapi_support) -> u32>,
    pub Release: Option<unsafe extern "C" fn(self_: *mut uvmapi_support) -> u32>,
    pub StoreLogoffTransports:
        Option<unsafe extern "C" fn(self_: *mut uvmapi_support, flags: *mut u32) -> uvmapi_hresult>,
    pub SubmitMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_support,
            message: *const uvmapi_message,
            id: *mut u64,
        ) -> uvmapi_hresult,
    >,
    pub GetActivity: Option<
        unsafe extern "C" fn(self_: *mut uvmapi_support, activity: *mut u32) -> uvmapi_hresult,
    >,
}

#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_support {
    pub lpVtbl: *const uvmapi_support_vtbl,
}

// --- transport.h -----------------------------------------------------------

pub const UVMAPI_TRANSPORT_VTBL_VERSION: u32 = 1;
/// IXPLogon, implemented by the host and called on the loop thread only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_transport_vtbl {
    /// `UVMAPI_TRANSPORT_VTBL_VERSION` the host was built with.
    pub version: u32,
    pub QueryInterface: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_transport,
            iid: *const uvmapi_iid,
            object: *mut *mut c_void,
        ) -> uvmapi_hresult,
    >,
    pub AddRef: Option<unsafe extern "C" fn(self_: *mut uvmapi_transport) -> u32>,
    pub Release: Option<unsafe extern "C" fn(self_: *mut uvmapi_transport) -> u32>,
    /// S_OK: held until CompleteSend. MAPI_E_BUSY: not now, until NotifyReady.
    pub SubmitMessage: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_transport,
            send: u64,
            message: *const uvmapi_message,
        ) -> uvmapi_hresult,
    >,
    /// FLUSH_* flags. Answer with FlushComplete when done.
    pub FlushQueues: Option<unsafe extern "C" fn(self_: *mut uvmapi_transport, flags: u32)>,
    /// NOTIFY_* flags; with NOTIFY_CANCEL_MESSAGE, activity is the send or
    /// receive to cancel, otherwise 0.
    pub TransportNotify:
        Option<unsafe extern "C" fn(self_: *mut uvmapi_transport, flags: u32, activity: u64)>,
    /// LOGOFF_NORMAL or LOGOFF_HURRY: the last call before Release.
    pub TransportLogoff: Option<unsafe extern "C" fn(self_: *mut uvmapi_transport, flags: u32)>,
}

#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_transport {
    pub lpVtbl: *const uvmapi_transport_vtbl,
}

pub const UVMAPI_XPSUPPORT_VTBL_VERSION: u32 = 1;
/// The spooler's side, given to each session.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_xpsupport_vtbl {
    pub version: u32,
    pub QueryInterface: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_xpsupport,
            iid: *const uvmapi_iid,
            object: *mut *mut c_void,
        ) -> uvmapi_hresult,
    >,
    pub AddRef: Option<unsafe extern "C" fn(self_: *mut uvmapi_xpsupport) -> u32>,
    pub Release: Option<unsafe extern "C" fn(self_: *mut uvmapi_xpsupport) -> u32>,
    pub CompleteSend: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_xpsupport,
            send: u64,
            result: uvmapi_hresult,
        ) -> uvmapi_hresult,
    >,
    pub BeginInbound: Option<
        unsafe extern "C" fn(self_: *mut uvmapi_xpsupport, receive: *mut u64) -> uvmapi_hresult,
    >,
    pub CommitInbound: Option<
        unsafe extern "C" fn(
            self_: *mut uvmapi_xpsupport,
            receive: u64,
            message: *const uvmapi_message,
        ) -> uvmapi_hresult,
    >,
    pub AbortInbound:
        Option<unsafe extern "C" fn(self_: *mut uvmapi_xpsupport, receive: u64) -> uvmapi_hresult>,
    pub NotifyReady: Option<unsafe extern "C" fn(self_: *mut uvmapi_xpsupport) -> uvmapi_hresult>,
    pub FlushComplete: Option<unsafe extern "C" fn(self_: *mut uvmapi_xpsupport) -> uvmapi_hresult>,
}

#[repr(C)]
#[derive(Debug)]
pub struct uvmapi_xpsupport {
    pub lpVtbl: *const uvmapi_xpsupport_vtbl,
}

/// IXPProvider::TransportLogon, called on the loop thread when a store is
/// logged on.
pub type uvmapi_transport_logon_fn = Option<
    unsafe extern "C" fn(
        context: *mut c_void,
        store_name: *const c_char,
        support: *mut uvmapi_xpsupport,
        session: *mut *mut uvmapi_transport,
    ) -> uvmapi_hresult,
>;

pub const UVMAPI_TRANSPORT_PROVIDER_VERSION: u32 = 1;
/// A transport provider. The runtime copies the struct; context must stay
/// valid until the runtime is destroyed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_transport_provider {
    /// `UVMAPI_TRANSPORT_PROVIDER_VERSION`.
    pub version: u32,
    pub context: *mut c_void,
    pub TransportLogon: uvmapi_transport_logon_fn,
}
impl uvmapi_transport_provider {
    /// `UVMAPI_TRANSPORT_PROVIDER_INIT`.
    pub const INIT: Self = Self {
        version: UVMAPI_TRANSPORT_PROVIDER_VERSION,
        context: core::ptr::null_mut(),
        TransportLogon: None,
    };
}
impl Default for uvmapi_transport_provider {
    fn default() -> Self {
        Self::INIT
    }
}

// --- smtp.h: the built-in SMTP transport ---------------------------------------

/// As the URL says: smtp:// means STARTTLS, smtps:// TLS from the first byte.
pub const UVMAPI_SMTP_SECURITY_DEFAULT: u32 = 0;
/// Plain text throughout.
pub const UVMAPI_SMTP_SECURITY_NONE: u32 = 1;
pub const UVMAPI_SMTP_SECURITY_STARTTLS: u32 = 2;
pub const UVMAPI_SMTP_SECURITY_IMPLICIT: u32 = 3;

/// PLAIN if offered, else LOGIN.
pub const UVMAPI_SMTP_AUTH_ANY: u32 = 0;
pub const UVMAPI_SMTP_AUTH_PLAIN: u32 = 1;
pub const UVMAPI_SMTP_AUTH_LOGIN: u32 = 2;

/// Do not verify the server's certificate chain or host name.
pub const UVMAPI_SMTP_NO_VERIFY: u32 = 0x1;
/// Authenticate even over a connection that is not encrypted.
pub const UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH: u32 = 0x2;
/// Send one command at a time even when the server offers PIPELINING.
pub const UVMAPI_SMTP_NO_PIPELINING: u32 = 0x4;

pub const UVMAPI_SMTP_OPTIONS_VERSION: u32 = 1;
/// The SMTP transport's options. Strings are copied by the call; NULL means
/// the default, and so do zero numbers.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_smtp_options {
    /// `UVMAPI_SMTP_OPTIONS_VERSION`.
    pub version: u32,
    /// Required: "smtp://[user@]host[:port]" or "smtps://[user@]host[:port]".
    pub url: *const c_char,
    /// `UVMAPI_SMTP_SECURITY_*`.
    pub security: u32,
    /// `UVMAPI_SMTP_*` flags.
    pub flags: u32,
    /// PEM bundle to trust; NULL: the system's.
    pub ca_file: *const c_char,
    /// Name to verify and send as SNI; NULL: the URL's host.
    pub tls_server_name: *const c_char,
    /// NULL: the URL's user, or no authentication.
    pub username: *const c_char,
    pub password: *const c_char,
    /// `UVMAPI_SMTP_AUTH_*`.
    pub auth_mechanism: u32,
    /// NULL: "localhost".
    pub helo_name: *const c_char,
    /// Parallel connections per store; 0: 1.
    pub connections: u32,
    /// 0: 30000.
    pub connect_timeout_ms: u32,
    /// 0: 60000.
    pub command_timeout_ms: u32,
    /// 0: 120000.
    pub data_timeout_ms: u32,
    /// 0: 5000.
    pub idle_timeout_ms: u32,
    /// 0: 1000.
    pub retry_initial_ms: u32,
    /// 0: 300000.
    pub retry_max_ms: u32,
}
impl uvmapi_smtp_options {
    /// `UVMAPI_SMTP_OPTIONS_INIT`.
    pub const INIT: Self = Self {
        version: UVMAPI_SMTP_OPTIONS_VERSION,
        url: core::ptr::null(),
        security: 0,
        flags: 0,
        ca_file: core::ptr::null(),
        tls_server_name: core::ptr::null(),
        username: core::ptr::null(),
        password: core::ptr::null(),
        auth_mechanism: 0,
        helo_name: core::ptr::null(),
        connections: 0,
        connect_timeout_ms: 0,
        command_timeout_ms: 0,
        data_timeout_ms: 0,
        idle_timeout_ms: 0,
        retry_initial_ms: 0,
        retry_max_ms: 0,
    };
}
impl Default for uvmapi_smtp_options {
    fn default() -> Self {
        Self::INIT
    }
}

pub const UVMAPI_SMTP_STATS_VERSION: u32 = 1;
/// What the SMTP sessions of one store did, summed over its logons.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct uvmapi_smtp_stats {
    /// `UVMAPI_SMTP_STATS_VERSION`: set by the caller.
    pub version: u32,
    pub connections_opened: u64,
    pub connections_failed: u64,
    pub transactions: u64,
    pub messages_sent: u64,
    pub messages_deferred: u64,
    pub messages_failed: u64,
    pub recipients_accepted: u64,
    pub recipients_deferred: u64,
    pub recipients_refused: u64,
    pub reports_delivered: u64,
    pub cancels: u64,
    pub retries_scheduled: u64,
    /// The newest problem, for humans, NUL-terminated and cut to fit; empty
    /// if none. Never holds a password.
    pub last_problem: [c_char; 256],
}
impl uvmapi_smtp_stats {
    /// Zeros, with the version set, ready for `uvmapi_runtime_smtp_stats`.
    pub const fn new() -> Self {
        Self {
            version: UVMAPI_SMTP_STATS_VERSION,
            connections_opened: 0,
            connections_failed: 0,
            transactions: 0,
            messages_sent: 0,
            messages_deferred: 0,
            messages_failed: 0,
            recipients_accepted: 0,
            recipients_deferred: 0,
            recipients_refused: 0,
            reports_delivered: 0,
            cancels: 0,
            retries_scheduled: 0,
            last_problem: [0; 256],
        }
    }
}
impl Default for uvmapi_smtp_stats {
    fn default() -> Self {
        Self::new()
    }
}

// --- The exported functions and data ----------------------------------------

extern "C" {
    // version.h
    /// The version of the library actually loaded, as `UVMAPI_VERSION_HEX`.
    pub fn uvmapi_version() -> u32;
    /// "1.0.0". Static storage.
    pub fn uvmapi_version_string() -> *const c_char;

    // runtime.h
    /// The error of the calling thread's last failed call (S_OK after a success).
    pub fn uvmapi_last_error() -> uvmapi_hresult;
    /// A sentence about it; valid until this thread's next call.
    pub fn uvmapi_last_error_message() -> *const c_char;
    /// "MAPI_E_BUSY" and so on; the hex value for codes it does not know.
    pub fn uvmapi_hresult_name(hr: uvmapi_hresult) -> *const c_char;
    pub fn uvmapi_runtime_options_init(
        options: *mut uvmapi_runtime_options,
        version: u32,
    ) -> uvmapi_hresult;
    /// options may be NULL for the defaults.
    pub fn uvmapi_runtime_create(
        options: *const uvmapi_runtime_options,
        runtime: *mut *mut uvmapi_runtime,
    ) -> uvmapi_hresult;
    pub fn uvmapi_runtime_shutdown(runtime: *mut uvmapi_runtime) -> uvmapi_hresult;
    pub fn uvmapi_runtime_destroy(runtime: *mut uvmapi_runtime) -> uvmapi_hresult;

    // store.h
    pub static uvmapi_iid_unknown: uvmapi_iid;
    pub static uvmapi_iid_store: uvmapi_iid;
    pub fn uvmapi_store_open(
        runtime: *mut uvmapi_runtime,
        options: *const uvmapi_store_options,
        store: *mut *mut uvmapi_store,
    ) -> uvmapi_hresult;
    pub fn uvmapi_store_add_ref(store: *mut uvmapi_store, count: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_store_release(store: *mut uvmapi_store, count: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_store_logoff(store: *mut uvmapi_store, flags: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_store_submit(
        store: *mut uvmapi_store,
        message: *const uvmapi_message,
        id: *mut u64,
    ) -> uvmapi_hresult;
    pub fn uvmapi_store_folder_count(
        store: *mut uvmapi_store,
        folder: uvmapi_folder,
        count: *mut u32,
    ) -> uvmapi_hresult;
    pub fn uvmapi_store_list(
        store: *mut uvmapi_store,
        folder: uvmapi_folder,
        ids: *mut u64,
        capacity: u32,
        count: *mut u32,
    ) -> uvmapi_hresult;
    pub fn uvmapi_store_read(
        store: *mut uvmapi_store,
        id: u64,
        message: *mut *mut uvmapi_message_data,
    ) -> uvmapi_hresult;
    pub fn uvmapi_store_activity(store: *mut uvmapi_store, activity: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_message_free(message: *mut uvmapi_message_data);
    /// The one-call logoff, blocking until the final outcome or timeout_ms.
    pub fn uvmapi_store_logoff_wait(
        store: *mut uvmapi_store,
        flag: u32,
        timeout_ms: u32,
        outcome: *mut uvmapi_logoff_outcome,
    ) -> uvmapi_hresult;
    /// The one-call logoff, calling done once on the loop thread.
    pub fn uvmapi_store_logoff_async(
        store: *mut uvmapi_store,
        flag: u32,
        done: uvmapi_logoff_done,
        context: *mut c_void,
    ) -> uvmapi_hresult;

    // support.h
    pub static uvmapi_iid_store_provider: uvmapi_iid;
    pub static uvmapi_iid_support: uvmapi_iid;
    pub fn uvmapi_runtime_logon_store_provider(
        runtime: *mut uvmapi_runtime,
        name: *const c_char,
        provider: *mut uvmapi_store_provider,
        support: *mut *mut uvmapi_support,
    ) -> uvmapi_hresult;
    pub fn uvmapi_support_add_ref(support: *mut uvmapi_support, count: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_support_release(support: *mut uvmapi_support, count: *mut u32) -> uvmapi_hresult;
    pub fn uvmapi_support_store_logoff_transports(
        support: *mut uvmapi_support,
        flags: *mut u32,
    ) -> uvmapi_hresult;
    pub fn uvmapi_support_submit(
        support: *mut uvmapi_support,
        message: *const uvmapi_message,
        id: *mut u64,
    ) -> uvmapi_hresult;
    pub fn uvmapi_support_activity(
        support: *mut uvmapi_support,
        activity: *mut u32,
    ) -> uvmapi_hresult;

    // transport.h
    pub static uvmapi_iid_transport: uvmapi_iid;
    pub static uvmapi_iid_xpsupport: uvmapi_iid;
    pub fn uvmapi_runtime_add_transport_provider(
        runtime: *mut uvmapi_runtime,
        provider: *const uvmapi_transport_provider,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_add_ref(
        support: *mut uvmapi_xpsupport,
        count: *mut u32,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_release(
        support: *mut uvmapi_xpsupport,
        count: *mut u32,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_complete_send(
        support: *mut uvmapi_xpsupport,
        send: u64,
        result: uvmapi_hresult,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_begin_inbound(
        support: *mut uvmapi_xpsupport,
        receive: *mut u64,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_commit_inbound(
        support: *mut uvmapi_xpsupport,
        receive: u64,
        message: *const uvmapi_message,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_abort_inbound(
        support: *mut uvmapi_xpsupport,
        receive: u64,
    ) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_notify_ready(support: *mut uvmapi_xpsupport) -> uvmapi_hresult;
    pub fn uvmapi_xpsupport_flush_complete(support: *mut uvmapi_xpsupport) -> uvmapi_hresult;

    // smtp.h
    /// Fills options with the defaults of the given version.
    pub fn uvmapi_smtp_options_init(
        options: *mut uvmapi_smtp_options,
        version: u32,
    ) -> uvmapi_hresult;
    /// Stores logged on after this call get an SMTP session; the options are
    /// checked (and the CA file loaded) now.
    pub fn uvmapi_runtime_add_smtp_transport(
        runtime: *mut uvmapi_runtime,
        options: *const uvmapi_smtp_options,
    ) -> uvmapi_hresult;
    /// The counters of the SMTP transport added last, for the named store.
    pub fn uvmapi_runtime_smtp_stats(
        runtime: *mut uvmapi_runtime,
        store_name: *const c_char,
        stats: *mut uvmapi_smtp_stats,
    ) -> uvmapi_hresult;
}
