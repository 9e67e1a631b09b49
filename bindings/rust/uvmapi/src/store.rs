//! Stores as clients see them (IMsgStore), and the one-call logoff.
use std::ffi::c_void;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use uvmapi_sys as sys;

use crate::error::{check, hresult, Error};
use crate::flags::Logoff;
use crate::guard::Shared;
use crate::message::{Folder, Message};
use crate::outcome::Outcome;
use crate::runtime::{millis, Runtime};

/// One reference to an opener of a store (an `IMsgStore`). Dropping it is
/// Release: the release that drops the opener's count to zero logs the
/// store off with the flag saved by [`Store::store_logoff`] (ABORT if none).
///
/// Every method may be called from any thread. After the runtime was shut
/// down, every call fails with [`ErrorKind::InvalidObject`](crate::ErrorKind::InvalidObject).
pub struct Store<'rt> {
    raw: NonNull<sys::uvmapi_store>,
    runtime: &'rt Runtime,
    name: Arc<str>,
}

// SAFETY: the C store may be called from any thread.
unsafe impl Send for Store<'_> {}
unsafe impl Sync for Store<'_> {}

/// A one-call logoff that could not start: the error, and the store back
/// when the call did not take it (the caller still holds its reference and
/// nothing changed).
pub struct LogoffError<'rt> {
    pub error: Error,
    pub store: Option<Store<'rt>>,
}

impl<'rt> LogoffError<'rt> {
    pub fn into_store(self) -> Option<Store<'rt>> {
        self.store
    }
}

impl fmt::Debug for LogoffError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoffError")
            .field("error", &self.error)
            .field("store", &self.store.as_ref().map(|s| s.name().to_string()))
            .finish()
    }
}

impl fmt::Display for LogoffError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for LogoffError<'_> {}

impl From<LogoffError<'_>> for Error {
    fn from(error: LogoffError<'_>) -> Error {
        error.error
    }
}

struct DoneContext {
    shared: Arc<Shared>,
    done: Box<dyn FnOnce(Outcome) + Send + 'static>,
}

unsafe extern "C" fn done_trampoline(
    context: *mut c_void,
    outcome: *const sys::uvmapi_logoff_outcome,
) {
    if context.is_null() {
        return;
    }
    // SAFETY: context is the DoneContext given to uvmapi_store_logoff_async,
    // which calls done exactly once.
    let context = Box::from_raw(context as *mut DoneContext);
    let DoneContext { shared, done } = *context;
    let outcome = if outcome.is_null() {
        None
    } else {
        Some(Outcome::from_raw(&*outcome))
    };
    shared.guard("a logoff completion (logoff_with)", move || {
        if let Some(outcome) = outcome {
            done(outcome);
        }
    });
}

impl<'rt> Store<'rt> {
    /// # Safety
    /// raw is a live store handle of runtime holding one reference, which
    /// the new value owns.
    pub(crate) unsafe fn from_raw(
        raw: NonNull<sys::uvmapi_store>,
        runtime: &'rt Runtime,
        name: &str,
    ) -> Store<'rt> {
        Store {
            raw,
            runtime,
            name: name.into(),
        }
    }

    /// The name the store was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The runtime the store belongs to.
    pub fn runtime(&self) -> &'rt Runtime {
        self.runtime
    }

    /// AddRef: another reference to the same opener.
    pub fn try_clone(&self) -> Result<Store<'rt>, Error> {
        // SAFETY: a handle this value holds a reference to.
        check(unsafe { sys::uvmapi_store_add_ref(self.raw.as_ptr(), ptr::null_mut()) })?;
        Ok(Store {
            raw: self.raw,
            runtime: self.runtime,
            name: self.name.clone(),
        })
    }

    /// Release, reporting the opener's new reference count (what Drop does,
    /// without ignoring the result).
    pub fn release(self) -> Result<u32, Error> {
        let this = ManuallyDrop::new(self);
        let mut count = 0;
        // SAFETY: gives up the reference this value held.
        check(unsafe { sys::uvmapi_store_release(this.raw.as_ptr(), &mut count) })?;
        // SAFETY: name is not used again.
        drop(unsafe { ptr::read(&this.name) });
        Ok(count)
    }

    /// StoreLogoff: checks flag (exactly one input flag), saves it for the
    /// last release, and returns the store's activity bits. Nothing else
    /// happens. Bits outside the five input flags give
    /// [`ErrorKind::UnknownFlags`](crate::ErrorKind::UnknownFlags); no flag or two of them,
    /// [`ErrorKind::InvalidParameter`](crate::ErrorKind::InvalidParameter); on error nothing is saved.
    pub fn store_logoff(&self, flag: Logoff) -> Result<Logoff, Error> {
        let mut flags = flag.bits();
        // SAFETY: a live handle and a valid pointer.
        check(unsafe { sys::uvmapi_store_logoff(self.raw.as_ptr(), &mut flags) })?;
        Ok(Logoff::from_bits_retain(flags))
    }

    /// The activity bits (INBOUND, OUTBOUND, OUTBOUND_QUEUE), saving nothing.
    pub fn activity(&self) -> Result<Logoff, Error> {
        let mut activity = 0;
        // SAFETY: a live handle and a valid pointer.
        check(unsafe { sys::uvmapi_store_activity(self.raw.as_ptr(), &mut activity) })?;
        Ok(Logoff::from_bits_retain(activity))
    }

    /// Puts a message in the Outbox for the transports and returns its id.
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) while the store logs off: the message was not taken.
    pub fn submit(&self, message: &Message) -> Result<u64, Error> {
        let raw = message.to_raw()?;
        let view = raw.get();
        let mut id = 0;
        // SAFETY: the view and what it points to live across the call.
        check(unsafe { sys::uvmapi_store_submit(self.raw.as_ptr(), &view, &mut id) })?;
        Ok(id)
    }

    /// How many messages a folder holds.
    pub fn folder_count(&self, folder: Folder) -> Result<u32, Error> {
        let mut count = 0;
        // SAFETY: a live handle and a valid pointer.
        check(unsafe {
            sys::uvmapi_store_folder_count(self.raw.as_ptr(), folder.raw(), &mut count)
        })?;
        Ok(count)
    }

    /// The ids of a folder, oldest first.
    pub fn list(&self, folder: Folder) -> Result<Vec<u64>, Error> {
        let mut ids: Vec<u64> = Vec::new();
        loop {
            let capacity = u32::try_from(ids.capacity()).unwrap_or(u32::MAX);
            let mut count = 0;
            let out = if capacity == 0 {
                ptr::null_mut()
            } else {
                ids.as_mut_ptr()
            };
            // SAFETY: out has room for capacity ids.
            check(unsafe {
                sys::uvmapi_store_list(self.raw.as_ptr(), folder.raw(), out, capacity, &mut count)
            })?;
            if count <= capacity {
                // SAFETY: the library wrote count ids.
                unsafe { ids.set_len(count as usize) };
                return Ok(ids);
            }
            // The folder grew meanwhile, or this was the first call: again,
            // with room for what is there now and a little more.
            ids.reserve_exact(count as usize + 8);
        }
    }

    /// A copy of a message. [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) for an unknown id.
    pub fn read(&self, id: u64) -> Result<Message, Error> {
        let mut data = ptr::null_mut();
        // SAFETY: a live handle and a valid out-pointer.
        check(unsafe { sys::uvmapi_store_read(self.raw.as_ptr(), id, &mut data) })?;
        if data.is_null() {
            return Err(Error::new(
                hresult::MAPI_E_CALL_FAILED,
                "uvmapi_store_read returned no message",
            ));
        }
        // SAFETY: the library allocated data for us; it is freed once copied.
        let message = unsafe { Message::from_raw(&(*data).message) };
        unsafe { sys::uvmapi_message_free(data) };
        Ok(message)
    }

    /// The one-call logoff, waiting: StoreLogoff(flag), then the release of
    /// this reference, which must be the opener's last (else
    /// [`ErrorKind::Busy`](crate::ErrorKind::Busy) and nothing changes). Waits for the final outcome
    /// up to timeout; on [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) the error carries the
    /// outcome as far as known and the logoff goes on (the runtime's
    /// `on_logoff` callback reports its end). Refused on the loop thread.
    ///
    /// The store is consumed. If the call fails before taking it (bad flag,
    /// Busy...), it is dropped, which releases its reference; use
    /// [`Store::try_logoff`] to get it back instead.
    pub fn logoff(self, flag: Logoff, timeout: Duration) -> Result<Outcome, Error> {
        self.try_logoff(flag, timeout).map_err(Error::from)
    }

    /// [`Store::logoff`], giving the store back when the call did not take it.
    pub fn try_logoff(self, flag: Logoff, timeout: Duration) -> Result<Outcome, LogoffError<'rt>> {
        let mut raw_outcome = sys::uvmapi_logoff_outcome::default();
        // SAFETY: a live handle holding our reference, and a valid outcome.
        let hr = unsafe {
            sys::uvmapi_store_logoff_wait(
                self.raw.as_ptr(),
                flag.bits(),
                millis(timeout),
                &mut raw_outcome,
            )
        };
        if hr == sys::MAPI_E_TIMEOUT || !hresult::failed(hr) {
            let error = hresult::failed(hr).then(|| Error::last(hr));
            // The handle is gone: our reference went with it.
            self.forget();
            let outcome = Outcome::from_raw(&raw_outcome);
            return match error {
                None => Ok(outcome),
                Some(error) => Err(LogoffError {
                    error: error.with_outcome(outcome),
                    store: None,
                }),
            };
        }
        Err(LogoffError {
            error: Error::last(hr),
            store: Some(self),
        })
    }

    /// The one-call logoff, returning at once: `done` is called once, on the
    /// loop thread, with the final outcome. It must not block on anything
    /// the loop thread would have to do. A panic in it is caught and
    /// recorded ([`Runtime::callback_panics`]).
    ///
    /// The store is consumed; if the call fails (bad flag, not the last
    /// reference...), `done` is dropped uncalled and the store is dropped,
    /// which releases its reference. [`Store::try_logoff_with`] gives it back.
    pub fn logoff_with<F>(self, flag: Logoff, done: F) -> Result<(), Error>
    where
        F: FnOnce(Outcome) + Send + 'static,
    {
        self.try_logoff_with(flag, done).map_err(Error::from)
    }

    /// [`Store::logoff_with`], giving the store back when the call did not take it.
    pub fn try_logoff_with<F>(self, flag: Logoff, done: F) -> Result<(), LogoffError<'rt>>
    where
        F: FnOnce(Outcome) + Send + 'static,
    {
        let context = Box::into_raw(Box::new(DoneContext {
            shared: self.runtime.shared().clone(),
            done: Box::new(done),
        }));
        // SAFETY: a live handle; context is valid until done runs.
        let hr = unsafe {
            sys::uvmapi_store_logoff_async(
                self.raw.as_ptr(),
                flag.bits(),
                Some(done_trampoline),
                context.cast(),
            )
        };
        if hresult::failed(hr) {
            let error = Error::last(hr);
            // SAFETY: the call failed, so done will never be called.
            let context = unsafe { Box::from_raw(context) };
            let shared = context.shared.clone();
            shared.guard("dropping an uncalled logoff completion", move || {
                drop(context)
            });
            return Err(LogoffError {
                error,
                store: Some(self),
            });
        }
        self.forget();
        Ok(())
    }

    /// The C handle, for calls this crate does not wrap. Valid while this
    /// value lives.
    pub fn as_raw(&self) -> *mut sys::uvmapi_store {
        self.raw.as_ptr()
    }

    /// Gives up this value without Release (the library took the reference).
    fn forget(self) {
        let this = ManuallyDrop::new(self);
        // SAFETY: name is not used again.
        drop(unsafe { ptr::read(&this.name) });
    }
}

impl fmt::Debug for Store<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("name", &self.name)
            .field("raw", &self.raw)
            .finish()
    }
}

impl Drop for Store<'_> {
    fn drop(&mut self) {
        // SAFETY: gives up the reference this value held. Errors (a handle
        // whose runtime is shut down still counts down) are ignored.
        unsafe { sys::uvmapi_store_release(self.raw.as_ptr(), ptr::null_mut()) };
    }
}
