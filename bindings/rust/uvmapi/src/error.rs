//! Errors: the HRESULT of a failed call and the library's sentence about it.
use std::ffi::CStr;
use std::fmt;

use crate::outcome::Outcome;

/// HRESULTs under MAPI's names, and their names as the library spells them.
pub mod hresult {
    pub use uvmapi_sys::{
        MAPI_E_BUSY, MAPI_E_CALL_FAILED, MAPI_E_INTERFACE_NOT_SUPPORTED, MAPI_E_INVALID_OBJECT,
        MAPI_E_INVALID_PARAMETER, MAPI_E_NETWORK_ERROR, MAPI_E_NOT_ENOUGH_MEMORY, MAPI_E_NOT_FOUND,
        MAPI_E_NO_SUPPORT, MAPI_E_TIMEOUT, MAPI_E_UNABLE_TO_ABORT, MAPI_E_UNKNOWN_FLAGS,
        MAPI_E_USER_CANCEL, S_OK,
    };

    /// "MAPI_E_BUSY" and so on; the hex value for codes the library does not know.
    pub fn name(hr: i32) -> String {
        // SAFETY: the library returns static storage or a per-thread buffer,
        // copied before any other call on this thread.
        unsafe { super::copy_c_str(uvmapi_sys::uvmapi_hresult_name(hr)) }
    }

    /// Negative HRESULTs are failures.
    pub const fn failed(hr: i32) -> bool {
        hr < 0
    }
}

/// The common failures, for matching; [`Error::hresult`] has the exact code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// MAPI_E_INVALID_PARAMETER: no input flag or two of them, a NUL byte in
    /// a string, a bad argument.
    InvalidParameter,
    /// MAPI_E_UNKNOWN_FLAGS: a bit outside the five input flags.
    UnknownFlags,
    /// MAPI_E_INVALID_OBJECT: the handle is released, its session logged off,
    /// or its runtime shut down or destroyed.
    InvalidObject,
    /// MAPI_E_BUSY: the store is logging off, or the one-call logoff was not
    /// given the last reference, or a transport cannot take a send now.
    Busy,
    /// MAPI_E_NOT_FOUND: no such message, send or receive.
    NotFound,
    /// MAPI_E_TIMEOUT: a wait ended before the logoff finished.
    Timeout,
    /// MAPI_E_UNABLE_TO_ABORT: an abort could not stop the transports.
    UnableToAbort,
    /// MAPI_E_NETWORK_ERROR: a transport could not reach its peer, or the
    /// peer refused for now.
    NetworkError,
    /// MAPI_E_CALL_FAILED: the call cannot work (the runtime is shut down, a
    /// blocking call on the loop thread, a callback that panicked...).
    CallFailed,
    /// Any other code.
    Other,
}

impl ErrorKind {
    /// The kind of an HRESULT.
    pub fn of(hr: i32) -> ErrorKind {
        match hr {
            hresult::MAPI_E_INVALID_PARAMETER => ErrorKind::InvalidParameter,
            hresult::MAPI_E_UNKNOWN_FLAGS => ErrorKind::UnknownFlags,
            hresult::MAPI_E_INVALID_OBJECT => ErrorKind::InvalidObject,
            hresult::MAPI_E_BUSY => ErrorKind::Busy,
            hresult::MAPI_E_NOT_FOUND => ErrorKind::NotFound,
            hresult::MAPI_E_TIMEOUT => ErrorKind::Timeout,
            hresult::MAPI_E_UNABLE_TO_ABORT => ErrorKind::UnableToAbort,
            hresult::MAPI_E_NETWORK_ERROR => ErrorKind::NetworkError,
            hresult::MAPI_E_CALL_FAILED => ErrorKind::CallFailed,
            _ => ErrorKind::Other,
        }
    }

    /// The HRESULT of the kind; `None` for [`ErrorKind::Other`].
    pub fn hresult(self) -> Option<i32> {
        Some(match self {
            ErrorKind::InvalidParameter => hresult::MAPI_E_INVALID_PARAMETER,
            ErrorKind::UnknownFlags => hresult::MAPI_E_UNKNOWN_FLAGS,
            ErrorKind::InvalidObject => hresult::MAPI_E_INVALID_OBJECT,
            ErrorKind::Busy => hresult::MAPI_E_BUSY,
            ErrorKind::NotFound => hresult::MAPI_E_NOT_FOUND,
            ErrorKind::Timeout => hresult::MAPI_E_TIMEOUT,
            ErrorKind::UnableToAbort => hresult::MAPI_E_UNABLE_TO_ABORT,
            ErrorKind::NetworkError => hresult::MAPI_E_NETWORK_ERROR,
            ErrorKind::CallFailed => hresult::MAPI_E_CALL_FAILED,
            ErrorKind::Other => return None,
        })
    }
}

/// A failed call: its HRESULT, and the sentence `uvmapi_last_error_message`
/// gave on the calling thread right after it.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: i32,
    message: String,
    outcome: Option<Outcome>,
}

impl Error {
    /// An error with this HRESULT and sentence: what a transport returns to
    /// refuse a call. A code that is not a failure becomes MAPI_E_CALL_FAILED.
    pub fn new(code: i32, message: impl Into<String>) -> Error {
        let code = if hresult::failed(code) {
            code
        } else {
            hresult::MAPI_E_CALL_FAILED
        };
        Error {
            code,
            message: message.into(),
            outcome: None,
        }
    }

    /// An error of a kind ([`ErrorKind::Other`] becomes MAPI_E_CALL_FAILED).
    pub fn from_kind(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::new(
            kind.hresult().unwrap_or(hresult::MAPI_E_CALL_FAILED),
            message,
        )
    }

    /// MAPI_E_BUSY: what a transport answers to a send it cannot take now.
    pub fn busy() -> Error {
        Error::new(hresult::MAPI_E_BUSY, "the transport cannot take this now")
    }

    /// The error of the library call that just failed with code on this thread.
    pub(crate) fn last(code: i32) -> Error {
        // SAFETY: the text is valid until this thread's next call into the
        // library, and is copied at once.
        let message = unsafe { copy_c_str(uvmapi_sys::uvmapi_last_error_message()) };
        let message = if message.is_empty() {
            hresult::name(code)
        } else {
            message
        };
        Error {
            code,
            message,
            outcome: None,
        }
    }

    pub(crate) fn with_outcome(mut self, outcome: Outcome) -> Error {
        self.outcome = Some(outcome);
        self
    }

    /// The HRESULT (negative).
    pub fn hresult(&self) -> i32 {
        self.code
    }
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::of(self.code)
    }
    /// The library's sentence about the failure.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// "MAPI_E_BUSY" and so on.
    pub fn name(&self) -> String {
        hresult::name(self.code)
    }
    /// For [`ErrorKind::Timeout`] of a one-call logoff: the outcome as far as
    /// it was known when the wait ended (the logoff goes on, and the
    /// runtime's `on_logoff` callback reports its end).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind())
            .field(
                "hresult",
                &format_args!("{} ({:#010x})", self.name(), self.code as u32),
            )
            .field("message", &self.message);
        if let Some(outcome) = &self.outcome {
            d.field("outcome", outcome);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({:#010x}): {}",
            self.name(),
            self.code as u32,
            self.message
        )
    }
}

impl std::error::Error for Error {}

/// Ok for a success, the thread's last error otherwise.
pub(crate) fn check(hr: i32) -> Result<(), Error> {
    if hresult::failed(hr) {
        Err(Error::last(hr))
    } else {
        Ok(())
    }
}

/// Copies a C string the library returned ("" for NULL).
///
/// # Safety
/// text is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn copy_c_str(text: *const std::os::raw::c_char) -> String {
    if text.is_null() {
        String::new()
    } else {
        CStr::from_ptr(text).to_string_lossy().into_owned()
    }
}
