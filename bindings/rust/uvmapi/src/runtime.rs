//! The runtime: a libuv loop on its own thread that runs the stores, their
//! spoolers and the transports.
use std::ffi::{c_void, CString};
use std::fmt;
use std::os::raw::c_char;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uvmapi_sys as sys;

use crate::error::{check, copy_c_str, hresult, Error};
use crate::guard::Shared;
use crate::outcome::Outcome;
use crate::store::Store;
use crate::transport::{ProviderContext, TransportProvider};

type OnLogoff = dyn Fn(&str, &Outcome) + Send + 'static;

/// How a [`Runtime`] is made: deadlines and the `on_logoff` callback.
#[derive(Default)]
pub struct RuntimeOptions {
    drain_deadline: Option<Duration>,
    abort_deadline: Option<Duration>,
    on_logoff: Option<Box<OnLogoff>>,
}

impl RuntimeOptions {
    pub fn new() -> RuntimeOptions {
        RuntimeOptions::default()
    }

    /// How long NO_WAIT, ORDERLY and PURGE may drain before they become
    /// ABORT (default 30 s). Rounded up to whole milliseconds, at least 1.
    pub fn drain_deadline(mut self, deadline: Duration) -> RuntimeOptions {
        self.drain_deadline = Some(deadline);
        self
    }

    /// How long an abort waits for the transports to stop (default 5 s).
    /// Rounded up to whole milliseconds, at least 1.
    pub fn abort_deadline(mut self, deadline: Duration) -> RuntimeOptions {
        self.abort_deadline = Some(deadline);
        self
    }

    /// Called on the loop thread with the store's name and the final outcome
    /// of every logoff. It must not block on anything the loop thread
    /// would have to do (it runs there). A panic in it is caught and
    /// recorded ([`Runtime::callback_panics`]).
    pub fn on_logoff(
        mut self,
        callback: impl Fn(&str, &Outcome) + Send + 'static,
    ) -> RuntimeOptions {
        self.on_logoff = Some(Box::new(callback));
        self
    }
}

impl fmt::Debug for RuntimeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeOptions")
            .field("drain_deadline", &self.drain_deadline)
            .field("abort_deadline", &self.abort_deadline)
            .field("on_logoff", &self.on_logoff.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// Milliseconds for the ABI: rounded up, at least 1, at most u32::MAX.
pub(crate) fn millis(duration: Duration) -> u32 {
    let ms = duration.as_nanos().div_ceil(1_000_000).max(1);
    u32::try_from(ms).unwrap_or(u32::MAX)
}

struct OnLogoffContext {
    shared: Arc<Shared>,
    callback: Box<OnLogoff>,
}

unsafe extern "C" fn on_logoff_trampoline(
    context: *mut c_void,
    store_name: *const c_char,
    outcome: *const sys::uvmapi_logoff_outcome,
) {
    if context.is_null() || outcome.is_null() {
        return;
    }
    // SAFETY: context is the OnLogoffContext the runtime owns until after
    // uvmapi_runtime_destroy, which is the last moment this is called.
    let context = &*(context as *const OnLogoffContext);
    let outcome = Outcome::from_raw(&*outcome);
    let name = copy_c_str(store_name);
    context.shared.guard("the on_logoff callback", || {
        (context.callback)(&name, &outcome)
    });
}

/// A uvmapi runtime. Its loop runs on a thread of its own; every method may
/// be called from any thread. Dropping it shuts it down (logging off every
/// store still open, see the semantics) and destroys it.
///
/// Stores borrow the runtime, so none can outlive it.
pub struct Runtime {
    raw: NonNull<sys::uvmapi_runtime>,
    shared: Arc<Shared>,
    /// Freed only once the runtime is destroyed: C holds pointers to them.
    on_logoff: *mut OnLogoffContext,
    providers: Mutex<Vec<*mut ProviderContext>>,
}

// SAFETY: the C runtime may be called from any thread. The contexts are only
// touched by the loop thread (through C) and by Drop, after destroy.
unsafe impl Send for Runtime {}
unsafe impl Sync for Runtime {}

impl Runtime {
    /// A runtime with the default options.
    pub fn new() -> Result<Runtime, Error> {
        Runtime::with_options(RuntimeOptions::default())
    }

    pub fn with_options(options: RuntimeOptions) -> Result<Runtime, Error> {
        let shared = Arc::new(Shared::default());
        let mut raw_options = sys::uvmapi_runtime_options::INIT;
        raw_options.drain_deadline_ms = options.drain_deadline.map_or(0, millis);
        raw_options.abort_deadline_ms = options.abort_deadline.map_or(0, millis);
        let on_logoff = match options.on_logoff {
            Some(callback) => {
                let context = Box::into_raw(Box::new(OnLogoffContext {
                    shared: shared.clone(),
                    callback,
                }));
                raw_options.on_logoff = Some(on_logoff_trampoline);
                raw_options.on_logoff_context = context.cast();
                context
            }
            None => ptr::null_mut(),
        };
        let mut raw = ptr::null_mut();
        // SAFETY: valid options and out-pointer.
        let result = check(unsafe { sys::uvmapi_runtime_create(&raw_options, &mut raw) });
        match (result, NonNull::new(raw)) {
            (Ok(()), Some(raw)) => Ok(Runtime {
                raw,
                shared,
                on_logoff,
                providers: Mutex::new(Vec::new()),
            }),
            (result, _) => {
                if !on_logoff.is_null() {
                    // SAFETY: no runtime was made, so C never kept the pointer.
                    drop(unsafe { Box::from_raw(on_logoff) });
                }
                Err(result.err().unwrap_or_else(|| {
                    Error::new(
                        hresult::MAPI_E_CALL_FAILED,
                        "uvmapi_runtime_create returned no runtime",
                    )
                }))
            }
        }
    }

    /// Logs on to the built-in in-memory store `name` (stores with the same
    /// name are the same store: a second open shares it). The store holds
    /// one reference; dropping it releases that reference.
    ///
    /// Fails with [`crate::ErrorKind::Busy`] while the store's last opener is
    /// logging off, and [`crate::ErrorKind::CallFailed`] after shutdown.
    pub fn open_store(&self, name: &str) -> Result<Store<'_>, Error> {
        let c_name = CString::new(name).map_err(|_| {
            Error::new(
                hresult::MAPI_E_INVALID_PARAMETER,
                "the store name contains a NUL byte",
            )
        })?;
        let options = sys::uvmapi_store_options {
            name: c_name.as_ptr(),
            ..sys::uvmapi_store_options::INIT
        };
        let mut raw = ptr::null_mut();
        // SAFETY: a live runtime, valid options and out-pointer.
        check(unsafe { sys::uvmapi_store_open(self.raw.as_ptr(), &options, &mut raw) })?;
        let raw = NonNull::new(raw).ok_or_else(|| {
            Error::new(
                hresult::MAPI_E_CALL_FAILED,
                "uvmapi_store_open returned no store",
            )
        })?;
        // SAFETY: raw holds the one reference uvmapi_store_open gave.
        Ok(unsafe { Store::from_raw(raw, self, name) })
    }

    /// Registers a transport provider: every store logged on from now on
    /// gets a session of it. The runtime keeps the provider (and every
    /// session it makes, until the runtime releases it) alive as long as C
    /// may call it.
    pub fn add_transport_provider(&self, provider: impl TransportProvider) -> Result<(), Error> {
        let context = ProviderContext::new(self.shared.clone(), Box::new(provider));
        let registration = sys::uvmapi_transport_provider {
            version: sys::UVMAPI_TRANSPORT_PROVIDER_VERSION,
            context: context.cast(),
            TransportLogon: Some(crate::transport::transport_logon),
        };
        // Kept before the call (the loop may log a store on with it at
        // once) and after, even if the call fails: freed after destroy.
        self.providers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(context);
        // SAFETY: a live runtime and a valid registration, copied by C.
        check(unsafe {
            sys::uvmapi_runtime_add_transport_provider(self.raw.as_ptr(), &registration)
        })
    }

    /// Logs off every store still open (each with its saved flag, or
    /// ABORT), ends by force what would not log off, and stops the loop.
    /// Returns within about drain + 2 x abort deadline; a second call
    /// returns Ok. Afterwards every store fails with
    /// [`crate::ErrorKind::InvalidObject`] and opening one with
    /// [`crate::ErrorKind::CallFailed`]. Refused on the loop thread.
    pub fn shutdown(&self) -> Result<(), Error> {
        // SAFETY: a live runtime.
        check(unsafe { sys::uvmapi_runtime_shutdown(self.raw.as_ptr()) })
    }

    /// The panics that callbacks of this runtime (transports, providers,
    /// `on_logoff`, logoff completions) raised and that were caught, as
    /// "what panicked: message". Each was turned into MAPI_E_CALL_FAILED
    /// where the callback returns an HRESULT, and otherwise ignored.
    pub fn callback_panics(&self) -> Vec<String> {
        self.shared.panics()
    }

    /// [`Runtime::callback_panics`], emptying the record.
    pub fn take_callback_panics(&self) -> Vec<String> {
        self.shared.take_panics()
    }

    /// The C handle, for calls this crate does not wrap. Valid as long as
    /// the runtime.
    pub fn as_raw(&self) -> *mut sys::uvmapi_runtime {
        self.raw.as_ptr()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // SAFETY: a live runtime; nothing borrows it any more.
        let destroyed = unsafe { sys::uvmapi_runtime_destroy(self.raw.as_ptr()) };
        if hresult::failed(destroyed) {
            // Refused (on the loop thread): C may still call the contexts,
            // so they are leaked rather than freed under it.
            return;
        }
        self.shared.set_destroyed();
        for context in self
            .providers
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            // SAFETY: the runtime is destroyed: C will not call the provider again.
            let context = unsafe { Box::from_raw(context) };
            let shared = context.shared.clone();
            shared.guard("dropping a transport provider", move || drop(context));
        }
        if !self.on_logoff.is_null() {
            // SAFETY: as above, for the on_logoff context.
            let context = unsafe { Box::from_raw(self.on_logoff) };
            let shared = context.shared.clone();
            shared.guard("dropping the on_logoff callback", move || drop(context));
        }
    }
}
