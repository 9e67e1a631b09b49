//! Transports written in Rust (IXPProvider / IXPLogon), and the spooler's
//! side they answer through ([`TransportSupport`], IMAPISupport for
//! transports).
//!
//! # Threads and re-entrancy
//!
//! The runtime calls providers and sessions on its loop thread only. A
//! session answers through its [`TransportSupport`] from any thread: from
//! the loop thread (inside a callback) the call runs at once; from another
//! thread it is carried to the loop and waits for it.
//!
//! Two consequences for an implementation:
//!
//! - Calls nest. A `TransportSupport` call made inside a callback may call
//!   the same session again before it returns (completing a send offers the
//!   next queued message, so `complete_send` inside `transport_notify` may
//!   run `submit_message`). That is why the methods take `&self`.
//! - Never hold a lock across a `TransportSupport` call (or any other call
//!   into the library) that a callback may need: the other thread waits for
//!   the loop thread, and the loop thread may be waiting for that lock inside
//!   a callback. Collect what to do under the lock, unlock, then call.
use std::ffi::c_void;
use std::fmt;
use std::os::raw::c_char;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use uvmapi_sys as sys;

use crate::error::{check, copy_c_str, hresult, Error};
use crate::flags::{Flush, Notify, TransportLogoffFlags};
use crate::guard::Shared;
use crate::message::Message;

/// A transport provider: makes a session for each store that logs on.
pub trait TransportProvider: Send + 'static {
    /// IXPProvider::TransportLogon, on the loop thread when `store_name` is
    /// logged on. Keep `support` to answer later (it is `Send + Sync` and
    /// may be cloned). An error refuses the logon (the store does not open).
    fn logon(
        &self,
        store_name: &str,
        support: TransportSupport,
    ) -> Result<Box<dyn Transport>, Error>;
}

impl<F> TransportProvider for F
where
    F: Fn(&str, TransportSupport) -> Result<Box<dyn Transport>, Error> + Send + 'static,
{
    fn logon(
        &self,
        store_name: &str,
        support: TransportSupport,
    ) -> Result<Box<dyn Transport>, Error> {
        self(store_name, support)
    }
}

/// One transport session (IXPLogon), called on the loop thread only. It is
/// dropped after `transport_logoff`, once the runtime lets it go.
pub trait Transport: Send + 'static {
    /// Offers a message to send; `send` names it from now on. `Ok`: the
    /// transport holds it until it calls [`TransportSupport::complete_send`]
    /// (it may do so before returning). `Err` with [`Error::busy`]: not now;
    /// the message stays queued until [`TransportSupport::notify_ready`].
    /// Any other error: the send failed; the message stays in the Outbox,
    /// deferred until the next flush or logon.
    fn submit_message(&self, send: u64, message: &Message) -> Result<(), Error>;

    /// Flush as the flags say; answer with
    /// [`TransportSupport::flush_complete`] when done.
    fn flush_queues(&self, flags: Flush);

    /// NOTIFY_* flags. With [`Notify::CANCEL_MESSAGE`], `activity` is the
    /// send or receive to cancel (answer with `complete_send(send,
    /// MAPI_E_USER_CANCEL)` or `abort_inbound(receive)`); otherwise 0.
    fn transport_notify(&self, flags: Notify, activity: u64);

    /// LOGOFF_NORMAL or LOGOFF_HURRY: the last call the session gets.
    fn transport_logoff(&self, flags: TransportLogoffFlags);
}

struct SupportRef {
    raw: NonNull<sys::uvmapi_xpsupport>,
    shared: Arc<Shared>,
}

// SAFETY: the C side accepts xpsupport calls from any thread.
unsafe impl Send for SupportRef {}
unsafe impl Sync for SupportRef {}

impl Drop for SupportRef {
    fn drop(&mut self) {
        if self.shared.destroyed() {
            return; // Its runtime destroyed it, and the address may be reused.
        }
        // SAFETY: gives up the one reference this value holds.
        unsafe { sys::uvmapi_xpsupport_release(self.raw.as_ptr(), ptr::null_mut()) };
    }
}

/// The spooler's side of one session (the C `uvmapi_xpsupport`): how a
/// transport reports sends, deliveries, readiness and flushes. Cheap to
/// clone (all clones share one reference of the C handle), `Send + Sync`,
/// callable from any thread (see the module's notes on threads).
///
/// After the session was logged off every call fails with
/// [`ErrorKind::InvalidObject`](crate::ErrorKind::InvalidObject) and changes
/// nothing; so does every call once the runtime is destroyed.
#[derive(Clone)]
pub struct TransportSupport {
    inner: Arc<SupportRef>,
}

impl TransportSupport {
    /// Takes a new reference to raw.
    ///
    /// # Safety
    /// raw is a live xpsupport handle.
    unsafe fn add_ref(
        raw: NonNull<sys::uvmapi_xpsupport>,
        shared: Arc<Shared>,
    ) -> Result<TransportSupport, Error> {
        check(sys::uvmapi_xpsupport_add_ref(raw.as_ptr(), ptr::null_mut()))?;
        Ok(TransportSupport {
            inner: Arc::new(SupportRef { raw, shared }),
        })
    }

    fn call(&self, f: impl FnOnce(*mut sys::uvmapi_xpsupport) -> i32) -> Result<(), Error> {
        if self.inner.shared.destroyed() {
            return Err(Error::new(
                hresult::MAPI_E_INVALID_OBJECT,
                "the runtime was destroyed",
            ));
        }
        check(f(self.inner.raw.as_ptr()))
    }

    /// Ends a send. `S_OK`: the peer has it; it moves to Sent Items.
    /// `MAPI_E_USER_CANCEL`: cancelled; it goes back to the queue. Anything
    /// else: failed; it stays in the Outbox until the next flush or logon.
    pub fn complete_send(&self, send: u64, result: i32) -> Result<(), Error> {
        // SAFETY: a handle we hold a reference to.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_complete_send(raw, send, result) })
    }

    /// Starts delivering a message into the store; returns the receive's id.
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) when the store takes no
    /// new mail: leave the message at its source.
    pub fn begin_inbound(&self) -> Result<u64, Error> {
        let mut receive = 0;
        // SAFETY: as above, with a valid out-pointer.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_begin_inbound(raw, &mut receive) })?;
        Ok(receive)
    }

    /// Ok only once the message is in the Inbox: only then delete it at the source.
    pub fn commit_inbound(&self, receive: u64, message: &Message) -> Result<(), Error> {
        let raw_message = message.to_raw()?;
        let view = raw_message.get();
        // SAFETY: the view lives across the call.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_commit_inbound(raw, receive, &view) })
    }

    /// Abandons a receive: the message stays at its source.
    pub fn abort_inbound(&self, receive: u64) -> Result<(), Error> {
        // SAFETY: a handle we hold a reference to.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_abort_inbound(raw, receive) })
    }

    /// The transport can take sends again after refusing one with Busy.
    pub fn notify_ready(&self) -> Result<(), Error> {
        // SAFETY: a handle we hold a reference to.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_notify_ready(raw) })
    }

    /// Answers [`Transport::flush_queues`].
    pub fn flush_complete(&self) -> Result<(), Error> {
        // SAFETY: a handle we hold a reference to.
        self.call(|raw| unsafe { sys::uvmapi_xpsupport_flush_complete(raw) })
    }

    /// The C handle (valid while this value lives).
    pub fn as_raw(&self) -> *mut sys::uvmapi_xpsupport {
        self.inner.raw.as_ptr()
    }
}

impl fmt::Debug for TransportSupport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TransportSupport")
            .field(&self.inner.raw)
            .finish()
    }
}

// --- The C side of providers and sessions ------------------------------------

/// What a registered provider's C context points to. Owned by the Runtime
/// and freed after uvmapi_runtime_destroy.
pub(crate) struct ProviderContext {
    pub(crate) shared: Arc<Shared>,
    provider: Box<dyn TransportProvider>,
}

impl ProviderContext {
    pub(crate) fn new(
        shared: Arc<Shared>,
        provider: Box<dyn TransportProvider>,
    ) -> *mut ProviderContext {
        Box::into_raw(Box::new(ProviderContext { shared, provider }))
    }
}

/// A session as C sees it: the uvmapi_transport first, so the handle the
/// runtime holds is the object's address. Freed by its last Release.
#[repr(C)]
struct Session {
    iface: sys::uvmapi_transport,
    refs: AtomicU32,
    shared: Arc<Shared>,
    transport: Box<dyn Transport>,
}

static SESSION_VTBL: sys::uvmapi_transport_vtbl = sys::uvmapi_transport_vtbl {
    version: sys::UVMAPI_TRANSPORT_VTBL_VERSION,
    QueryInterface: Some(session_query_interface),
    AddRef: Some(session_add_ref),
    Release: Some(session_release),
    SubmitMessage: Some(session_submit_message),
    FlushQueues: Some(session_flush_queues),
    TransportNotify: Some(session_transport_notify),
    TransportLogoff: Some(session_transport_logoff),
};

/// # Safety
/// this is a handle made by transport_logon and not yet fully released.
unsafe fn session<'a>(this: *mut sys::uvmapi_transport) -> &'a Session {
    &*(this as *const Session)
}

/// An HRESULT for an error a Rust callback returned (never a success).
fn failure(error: &Error) -> i32 {
    if hresult::failed(error.hresult()) {
        error.hresult()
    } else {
        hresult::MAPI_E_CALL_FAILED
    }
}

pub(crate) unsafe extern "C" fn transport_logon(
    context: *mut c_void,
    store_name: *const c_char,
    support: *mut sys::uvmapi_xpsupport,
    out: *mut *mut sys::uvmapi_transport,
) -> i32 {
    let (Some(support), false, false) = (NonNull::new(support), context.is_null(), out.is_null())
    else {
        return hresult::MAPI_E_INVALID_PARAMETER;
    };
    *out = ptr::null_mut();
    // SAFETY: the context the runtime owns until after destroy.
    let context = &*(context as *const ProviderContext);
    let shared = &context.shared;
    let name = copy_c_str(store_name);
    let support = match TransportSupport::add_ref(support, shared.clone()) {
        Ok(support) => support,
        Err(error) => return failure(&error),
    };
    let made = shared.guard("TransportProvider::logon", || {
        context.provider.logon(&name, support)
    });
    match made {
        None => hresult::MAPI_E_CALL_FAILED,
        Some(Err(error)) => failure(&error),
        Some(Ok(transport)) => {
            let session = Box::new(Session {
                iface: sys::uvmapi_transport {
                    lpVtbl: &SESSION_VTBL,
                },
                refs: AtomicU32::new(1), // The runtime's.
                shared: shared.clone(),
                transport,
            });
            *out = Box::into_raw(session).cast();
            hresult::S_OK
        }
    }
}

unsafe extern "C" fn session_query_interface(
    this: *mut sys::uvmapi_transport,
    iid: *const sys::uvmapi_iid,
    object: *mut *mut c_void,
) -> i32 {
    if this.is_null() || iid.is_null() || object.is_null() {
        return hresult::MAPI_E_INVALID_PARAMETER;
    }
    *object = ptr::null_mut();
    let iid = *iid;
    if iid != sys::uvmapi_iid_unknown && iid != sys::uvmapi_iid_transport {
        return hresult::MAPI_E_INTERFACE_NOT_SUPPORTED;
    }
    session_add_ref(this);
    *object = this.cast();
    hresult::S_OK
}

unsafe extern "C" fn session_add_ref(this: *mut sys::uvmapi_transport) -> u32 {
    if this.is_null() {
        return 0;
    }
    session(this).refs.fetch_add(1, Ordering::Relaxed) + 1
}

unsafe extern "C" fn session_release(this: *mut sys::uvmapi_transport) -> u32 {
    if this.is_null() {
        return 0;
    }
    let left = session(this).refs.fetch_sub(1, Ordering::AcqRel) - 1;
    if left == 0 {
        // SAFETY: the last reference: nobody calls this session again.
        let owned = Box::from_raw(this as *mut Session);
        let shared = owned.shared.clone();
        shared.guard("dropping a transport session", move || drop(owned));
    }
    left
}

unsafe extern "C" fn session_submit_message(
    this: *mut sys::uvmapi_transport,
    send: u64,
    message: *const sys::uvmapi_message,
) -> i32 {
    if this.is_null() || message.is_null() {
        return hresult::MAPI_E_INVALID_PARAMETER;
    }
    let session = session(this);
    let message = Message::from_raw(&*message);
    match session.shared.guard("Transport::submit_message", || {
        session.transport.submit_message(send, &message)
    }) {
        Some(Ok(())) => hresult::S_OK,
        Some(Err(error)) => failure(&error),
        None => hresult::MAPI_E_CALL_FAILED,
    }
}

unsafe extern "C" fn session_flush_queues(this: *mut sys::uvmapi_transport, flags: u32) {
    if this.is_null() {
        return;
    }
    let session = session(this);
    session.shared.guard("Transport::flush_queues", || {
        session
            .transport
            .flush_queues(Flush::from_bits_retain(flags))
    });
}

unsafe extern "C" fn session_transport_notify(
    this: *mut sys::uvmapi_transport,
    flags: u32,
    activity: u64,
) {
    if this.is_null() {
        return;
    }
    let session = session(this);
    session.shared.guard("Transport::transport_notify", || {
        session
            .transport
            .transport_notify(Notify::from_bits_retain(flags), activity)
    });
}

unsafe extern "C" fn session_transport_logoff(this: *mut sys::uvmapi_transport, flags: u32) {
    if this.is_null() {
        return;
    }
    let session = session(this);
    session.shared.guard("Transport::transport_logoff", || {
        session
            .transport
            .transport_logoff(TransportLogoffFlags::from_bits_retain(flags))
    });
}
