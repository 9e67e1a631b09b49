//! uvmapi: MAPI message-store logoff (IMsgStore::StoreLogoff,
//! IMAPISupport::StoreLogoffTransports) on libuv, through libuvmapi's stable
//! C ABI.
//!
//! - [`Runtime`]: the loop (on a thread of its own), its deadlines and its
//!   `on_logoff` callback. Dropping it shuts it down and destroys it.
//! - [`Store`]: one reference to an opener of a store. Dropping it is
//!   Release. [`Store::logoff`] is the one-call logoff (StoreLogoff, then
//!   the release of the last reference) and waits for the final
//!   [`Outcome`]; [`Store::logoff_with`] returns at once and calls a closure.
//! - [`Transport`] / [`TransportProvider`]: transports written in Rust, and
//!   [`TransportSupport`], through which they answer from any thread.
//! - [`SmtpOptions`]: the built-in SMTP transport
//!   ([`Runtime::add_smtp_transport`]), and its counters, [`SmtpStats`].
//! - [`Logoff`], [`Flush`], [`Notify`], [`TransportLogoffFlags`]: flag sets
//!   that print their MAPI names.
//! - [`Error`]: the HRESULT and the library's sentence ([`ErrorKind`] for
//!   matching).
//!
//! What a logoff does in each mode is stated in the project's
//! `docs/semantics.md`; `docs/rust.md` shows this crate at work.
//!
//! Callbacks never unwind into C: a panic in a transport, a provider,
//! `on_logoff` or a logoff completion is caught, recorded
//! ([`Runtime::callback_panics`]) and, where the callback returns an
//! HRESULT, turned into MAPI_E_CALL_FAILED.
#![warn(missing_debug_implementations)]

mod error;
mod flags;
mod guard;
mod message;
mod outcome;
mod runtime;
mod smtp;
mod store;
mod transport;

pub use error::{hresult, Error, ErrorKind};
pub use flags::{Flush, Logoff, Notify, TransportLogoffFlags};
pub use message::{Folder, Message};
pub use outcome::Outcome;
pub use runtime::{Runtime, RuntimeOptions};
pub use smtp::{SmtpAuth, SmtpOptions, SmtpSecurity, SmtpStats};
pub use store::{LogoffError, Store};
pub use transport::{Transport, TransportProvider, TransportSupport};

/// The raw declarations this crate is built on.
pub use uvmapi_sys as sys;

/// The version of the library actually loaded, as "1.0.0".
pub fn version() -> String {
    // SAFETY: static storage.
    unsafe { error::copy_c_str(sys::uvmapi_version_string()) }
}

/// The version of the library actually loaded, as 0xMMmmpp.
pub fn version_hex() -> u32 {
    // SAFETY: no arguments.
    unsafe { sys::uvmapi_version() }
}
