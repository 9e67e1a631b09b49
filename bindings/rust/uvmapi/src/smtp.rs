//! The built-in SMTP transport (uvmapi/smtp.h): [`SmtpOptions`], a builder
//! for [`Runtime::add_smtp_transport`], and [`SmtpStats`], what
//! [`Runtime::smtp_stats`] reads back. The project's `docs/smtp.md`
//! describes the transport itself.
use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr;
use std::time::Duration;

use uvmapi_sys as sys;

use crate::error::{check, hresult, Error};
use crate::runtime::{millis, Runtime};

/// How the connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SmtpSecurity {
    /// As the URL says: `smtp://` is STARTTLS, `smtps://` TLS from the first byte.
    #[default]
    Default,
    /// Plain text throughout.
    None,
    /// Plain TCP upgraded with STARTTLS before anything else is sent.
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

impl SmtpSecurity {
    fn raw(self) -> u32 {
        match self {
            SmtpSecurity::Default => sys::UVMAPI_SMTP_SECURITY_DEFAULT,
            SmtpSecurity::None => sys::UVMAPI_SMTP_SECURITY_NONE,
            SmtpSecurity::StartTls => sys::UVMAPI_SMTP_SECURITY_STARTTLS,
            SmtpSecurity::Implicit => sys::UVMAPI_SMTP_SECURITY_IMPLICIT,
        }
    }
}

/// The SASL mechanism used to authenticate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SmtpAuth {
    /// PLAIN if the server offers it, else LOGIN.
    #[default]
    Any,
    Plain,
    Login,
}

impl SmtpAuth {
    fn raw(self) -> u32 {
        match self {
            SmtpAuth::Any => sys::UVMAPI_SMTP_AUTH_ANY,
            SmtpAuth::Plain => sys::UVMAPI_SMTP_AUTH_PLAIN,
            SmtpAuth::Login => sys::UVMAPI_SMTP_AUTH_LOGIN,
        }
    }
}

/// The options of [`Runtime::add_smtp_transport`], as a builder:
///
/// ```no_run
/// # use uvmapi::{Runtime, SmtpOptions, SmtpSecurity};
/// # let runtime = Runtime::new()?;
/// runtime.add_smtp_transport(
///     &SmtpOptions::new("smtp://mail.example.org").username("alice").password("s3cret"),
/// )?;
/// # Ok::<(), uvmapi::Error>(())
/// ```
///
/// Anything not set keeps the library's default (docs/smtp.md). Its `Debug`
/// never shows the password.
#[derive(Clone, Default)]
pub struct SmtpOptions {
    url: String,
    security: SmtpSecurity,
    ca_file: Option<String>,
    tls_server_name: Option<String>,
    username: Option<String>,
    password: Option<String>,
    auth_mechanism: SmtpAuth,
    helo_name: Option<String>,
    verify: bool,
    allow_plaintext_auth: bool,
    pipelining: bool,
    connections: Option<u32>,
    connect_timeout: Option<Duration>,
    command_timeout: Option<Duration>,
    data_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    retry_initial: Option<Duration>,
    retry_max: Option<Duration>,
}

impl SmtpOptions {
    /// `url`: "smtp://[user@]host[:port]" (STARTTLS, port 587 by default) or
    /// "smtps://[user@]host[:port]" (TLS from the first byte, port 465). A
    /// password in the URL is refused: give it to [`SmtpOptions::password`].
    pub fn new(url: impl Into<String>) -> SmtpOptions {
        SmtpOptions {
            url: url.into(),
            verify: true,
            pipelining: true,
            ..SmtpOptions::default()
        }
    }

    /// Overrides the security the URL's scheme implies.
    pub fn security(mut self, security: SmtpSecurity) -> SmtpOptions {
        self.security = security;
        self
    }
    /// A PEM bundle to trust instead of the system's certificates.
    pub fn ca_file(mut self, path: impl Into<String>) -> SmtpOptions {
        self.ca_file = Some(path.into());
        self
    }
    /// The name checked in the certificate and sent as SNI (default: the URL's host).
    pub fn tls_server_name(mut self, name: impl Into<String>) -> SmtpOptions {
        self.tls_server_name = Some(name.into());
        self
    }
    /// The user to authenticate as (default: the URL's user, or none).
    pub fn username(mut self, user: impl Into<String>) -> SmtpOptions {
        self.username = Some(user.into());
        self
    }
    pub fn password(mut self, password: impl Into<String>) -> SmtpOptions {
        self.password = Some(password.into());
        self
    }
    pub fn auth_mechanism(mut self, mechanism: SmtpAuth) -> SmtpOptions {
        self.auth_mechanism = mechanism;
        self
    }
    /// The name given in EHLO (default "localhost").
    pub fn helo_name(mut self, name: impl Into<String>) -> SmtpOptions {
        self.helo_name = Some(name.into());
        self
    }
    /// false: do not check the server's certificate chain or host name.
    pub fn verify(mut self, verify: bool) -> SmtpOptions {
        self.verify = verify;
        self
    }
    /// Authenticate even over a connection that is not encrypted.
    pub fn allow_plaintext_auth(mut self, allow: bool) -> SmtpOptions {
        self.allow_plaintext_auth = allow;
        self
    }
    /// false: one command at a time even when the server offers PIPELINING.
    pub fn pipelining(mut self, pipelining: bool) -> SmtpOptions {
        self.pipelining = pipelining;
        self
    }
    /// Parallel connections per store (default 1; 0 is refused).
    pub fn connections(mut self, connections: u32) -> SmtpOptions {
        self.connections = Some(connections);
        self
    }
    /// The durations below are rounded up to whole milliseconds, at least 1.
    pub fn connect_timeout(mut self, timeout: Duration) -> SmtpOptions {
        self.connect_timeout = Some(timeout);
        self
    }
    pub fn command_timeout(mut self, timeout: Duration) -> SmtpOptions {
        self.command_timeout = Some(timeout);
        self
    }
    pub fn data_timeout(mut self, timeout: Duration) -> SmtpOptions {
        self.data_timeout = Some(timeout);
        self
    }
    pub fn idle_timeout(mut self, timeout: Duration) -> SmtpOptions {
        self.idle_timeout = Some(timeout);
        self
    }
    /// The first retry of a message that failed for now; it doubles up to `retry_max`.
    pub fn retry_initial(mut self, delay: Duration) -> SmtpOptions {
        self.retry_initial = Some(delay);
        self
    }
    pub fn retry_max(mut self, delay: Duration) -> SmtpOptions {
        self.retry_max = Some(delay);
        self
    }

    fn flags(&self) -> u32 {
        let mut flags = 0;
        if !self.verify {
            flags |= sys::UVMAPI_SMTP_NO_VERIFY;
        }
        if self.allow_plaintext_auth {
            flags |= sys::UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH;
        }
        if !self.pipelining {
            flags |= sys::UVMAPI_SMTP_NO_PIPELINING;
        }
        flags
    }
}

impl fmt::Debug for SmtpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("url", &self.url)
            .field("security", &self.security)
            .field("ca_file", &self.ca_file)
            .field("tls_server_name", &self.tls_server_name)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("auth_mechanism", &self.auth_mechanism)
            .field("helo_name", &self.helo_name)
            .field("verify", &self.verify)
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("pipelining", &self.pipelining)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

/// What the SMTP sessions of one store did, summed over its logons.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmtpStats {
    pub connections_opened: u64,
    /// Could not connect, greet, secure or authenticate.
    pub connections_failed: u64,
    /// MAIL FROM sent.
    pub transactions: u64,
    /// Moved to Sent Items.
    pub messages_sent: u64,
    /// Failed for now: left in the Outbox to retry.
    pub messages_deferred: u64,
    /// Refused for good by every recipient.
    pub messages_failed: u64,
    pub recipients_accepted: u64,
    pub recipients_deferred: u64,
    pub recipients_refused: u64,
    /// Non-delivery reports committed to the Inbox.
    pub reports_delivered: u64,
    /// Sends handed back on NOTIFY_CANCEL_MESSAGE.
    pub cancels: u64,
    pub retries_scheduled: u64,
    /// The newest problem, for humans; empty if none. Never holds a password.
    pub last_problem: String,
}

impl SmtpStats {
    fn from_raw(raw: &sys::uvmapi_smtp_stats) -> SmtpStats {
        // The library NUL-terminates it; the whole array is the fallback
        // should it ever not.
        let bytes: Vec<u8> = raw.last_problem.iter().map(|&c| c as u8).collect();
        let last_problem = CStr::from_bytes_until_nul(&bytes)
            .map(|text| text.to_string_lossy().into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
        SmtpStats {
            connections_opened: raw.connections_opened,
            connections_failed: raw.connections_failed,
            transactions: raw.transactions,
            messages_sent: raw.messages_sent,
            messages_deferred: raw.messages_deferred,
            messages_failed: raw.messages_failed,
            recipients_accepted: raw.recipients_accepted,
            recipients_deferred: raw.recipients_deferred,
            recipients_refused: raw.recipients_refused,
            reports_delivered: raw.reports_delivered,
            cancels: raw.cancels,
            retries_scheduled: raw.retries_scheduled,
            last_problem,
        }
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(hresult::MAPI_E_INVALID_PARAMETER, message)
}

/// A C string for the ABI; a NUL inside would make C read something else
/// than was given. The message names the field, never its value.
fn c_string(value: &str, what: &str) -> Result<CString, Error> {
    CString::new(value).map_err(|_| invalid(format!("{what} contains a NUL byte")))
}

fn c_option(value: &Option<String>, what: &str) -> Result<Option<CString>, Error> {
    value.as_deref().map(|v| c_string(v, what)).transpose()
}

fn as_ptr(value: &Option<CString>) -> *const std::os::raw::c_char {
    value.as_ref().map_or(ptr::null(), |v| v.as_ptr())
}

impl Runtime {
    /// Adds the built-in SMTP transport: stores logged on from now on send
    /// their Outbox to the server of `options`. The options are checked now
    /// (and a CA file loaded): [`crate::ErrorKind::InvalidParameter`] with
    /// the reason, and nothing added, when they cannot work.
    pub fn add_smtp_transport(&self, options: &SmtpOptions) -> Result<(), Error> {
        let url = c_string(&options.url, "the SMTP URL")?;
        let ca_file = c_option(&options.ca_file, "ca_file")?;
        let tls_server_name = c_option(&options.tls_server_name, "tls_server_name")?;
        let username = c_option(&options.username, "username")?;
        let password = c_option(&options.password, "password")?;
        let helo_name = c_option(&options.helo_name, "helo_name")?;
        if options.connections == Some(0) {
            // 0 would mean "the default" to the library.
            return Err(invalid("connections must be at least 1"));
        }
        let raw = sys::uvmapi_smtp_options {
            url: url.as_ptr(),
            security: options.security.raw(),
            flags: options.flags(),
            ca_file: as_ptr(&ca_file),
            tls_server_name: as_ptr(&tls_server_name),
            username: as_ptr(&username),
            password: as_ptr(&password),
            auth_mechanism: options.auth_mechanism.raw(),
            helo_name: as_ptr(&helo_name),
            connections: options.connections.unwrap_or(0),
            connect_timeout_ms: options.connect_timeout.map_or(0, millis),
            command_timeout_ms: options.command_timeout.map_or(0, millis),
            data_timeout_ms: options.data_timeout.map_or(0, millis),
            idle_timeout_ms: options.idle_timeout.map_or(0, millis),
            retry_initial_ms: options.retry_initial.map_or(0, millis),
            retry_max_ms: options.retry_max.map_or(0, millis),
            ..sys::uvmapi_smtp_options::INIT
        };
        // SAFETY: a live runtime; the strings outlive the call, which copies them.
        check(unsafe { sys::uvmapi_runtime_add_smtp_transport(self.as_raw(), &raw) })
    }

    /// The counters of the SMTP transport added last, for the store `name`
    /// (zeros if it never logged on). [`crate::ErrorKind::NotFound`] when
    /// no SMTP transport was added. Still readable after shutdown.
    pub fn smtp_stats(&self, name: &str) -> Result<SmtpStats, Error> {
        let name = c_string(name, "the store name")?;
        let mut raw = sys::uvmapi_smtp_stats::new();
        // SAFETY: a live runtime, a C string and a stats struct with its version.
        check(unsafe { sys::uvmapi_runtime_smtp_stats(self.as_raw(), name.as_ptr(), &mut raw) })?;
        Ok(SmtpStats::from_raw(&raw))
    }
}
