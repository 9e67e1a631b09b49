//! The SMTP transport from Rust: the options and their refusals, the
//! counters, and messages sent for real to smtp-sink by a PURGE logoff.
mod common;
mod sink;

use std::time::Duration;

use common::{make_message, PATIENCE};
use sink::{refusing_url, require_smtp_sink, SmtpSink};
use uvmapi::{
    hresult, sys, Error, ErrorKind, Folder, Logoff, Outcome, Runtime, RuntimeOptions, SmtpAuth,
    SmtpOptions, SmtpSecurity, SmtpStats,
};

const UNUSED_URL: &str = "smtp://127.0.0.1:2525"; // Nothing here logs a store on.
const MESSAGES: usize = 3;

fn plain(url: &str) -> SmtpOptions {
    SmtpOptions::new(url).security(SmtpSecurity::None)
}

fn assert_nothing_added(runtime: &Runtime) {
    let error = runtime.smtp_stats("alice").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
}

#[test]
fn network_error_is_a_kind() {
    assert_eq!(hresult::MAPI_E_NETWORK_ERROR as u32, 0x8004_0115);
    assert_eq!(
        ErrorKind::of(hresult::MAPI_E_NETWORK_ERROR),
        ErrorKind::NetworkError
    );
    assert_eq!(
        ErrorKind::NetworkError.hresult(),
        Some(hresult::MAPI_E_NETWORK_ERROR)
    );
    let error = Error::from_kind(ErrorKind::NetworkError, "the server went away");
    assert_eq!(error.name(), "MAPI_E_NETWORK_ERROR");
}

#[test]
fn without_smtp_the_stats_are_not_found() {
    let runtime = Runtime::new().unwrap();
    let error = runtime.smtp_stats("alice").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(error.message().contains("no SMTP transport"), "{error}");
}

#[test]
fn defaults_and_zero_stats_before_a_logon() {
    let runtime = Runtime::new().unwrap();
    runtime.add_smtp_transport(&plain(UNUSED_URL)).unwrap();
    assert_eq!(
        runtime.smtp_stats("never-logged-on").unwrap(),
        SmtpStats::default()
    );
    // Every option set to something that works is taken as well.
    runtime
        .add_smtp_transport(
            &SmtpOptions::new("smtps://user@localhost:4650")
                .security(SmtpSecurity::None)
                .tls_server_name("mail.example.test")
                .password("not-shown")
                .auth_mechanism(SmtpAuth::Login)
                .helo_name("client.example.test")
                .verify(false)
                .allow_plaintext_auth(true)
                .pipelining(false)
                .connections(4)
                .connect_timeout(Duration::from_secs(1))
                .command_timeout(Duration::from_secs(2))
                .data_timeout(Duration::from_secs(3))
                .idle_timeout(Duration::from_millis(10))
                .retry_initial(Duration::from_millis(50))
                .retry_max(Duration::from_millis(50)),
        )
        .unwrap();
    assert_eq!(runtime.smtp_stats("alice").unwrap(), SmtpStats::default());
}

#[test]
fn bad_values_are_refused_with_the_reason_and_nothing_added() {
    let runtime = Runtime::new().unwrap();
    let rows: Vec<(SmtpOptions, ErrorKind, &str)> = vec![
        (plain(""), ErrorKind::InvalidParameter, "smtp://"),
        (
            plain("http://mail.example.test"),
            ErrorKind::InvalidParameter,
            "smtp://",
        ),
        (plain("smtp://"), ErrorKind::InvalidParameter, "host"),
        (
            plain("smtp://mail.example.test:0"),
            ErrorKind::InvalidParameter,
            "port",
        ),
        (
            plain("smtp://mail.example.test/inbox"),
            ErrorKind::InvalidParameter,
            "path",
        ),
        (
            plain(UNUSED_URL).username("alice"),
            ErrorKind::InvalidParameter,
            "password",
        ),
        (
            plain(UNUSED_URL).password("secret-alone"),
            ErrorKind::InvalidParameter,
            "user name",
        ),
        (
            plain(UNUSED_URL).helo_name("not a host!"),
            ErrorKind::InvalidParameter,
            "EHLO",
        ),
        (
            plain(UNUSED_URL).retry_initial(Duration::from_secs(600)),
            ErrorKind::InvalidParameter,
            "retry",
        ),
        (
            SmtpOptions::new(UNUSED_URL)
                .security(SmtpSecurity::StartTls)
                .ca_file("/nonexistent/ca.pem"),
            ErrorKind::InvalidParameter,
            "/nonexistent/ca.pem",
        ),
        (
            plain(UNUSED_URL).connections(0),
            ErrorKind::InvalidParameter,
            "connections",
        ),
        (
            plain("smtp://mail\0.example.test"),
            ErrorKind::InvalidParameter,
            "NUL",
        ),
        (
            plain(UNUSED_URL).password("secret\0"),
            ErrorKind::InvalidParameter,
            "NUL",
        ),
    ];
    for (options, kind, mention) in rows {
        let error = runtime.add_smtp_transport(&options).unwrap_err();
        assert_eq!(error.kind(), kind, "{options:?}: {error}");
        assert!(error.message().contains(mention), "{options:?}: {error}");
        assert!(!error.to_string().contains("secret"), "{error}");
        assert_nothing_added(&runtime);
    }
}

#[test]
fn a_password_in_the_url_is_refused_and_never_repeated() {
    let runtime = Runtime::new().unwrap();
    for url in [
        "smtp://alice:Pa55-w0rd@mail.example.test",
        "smtp://alice:Pa55-w0rd@mail.example.test/path",
        "smtp://alice:Pa55/w0rd@mail.example.test",
        "ftp://alice:Pa55-w0rd@mail.example.test",
    ] {
        let error = runtime.add_smtp_transport(&plain(url)).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidParameter, "{url}");
        let shown = format!("{error} {error:?}");
        assert!(
            !shown.contains("Pa55") && !shown.contains("w0rd"),
            "{shown}"
        );
        assert_nothing_added(&runtime);
    }
}

#[test]
fn the_options_never_show_the_password() {
    let shown = format!(
        "{:?}",
        plain(UNUSED_URL).username("alice").password("Pa55-w0rd")
    );
    assert!(!shown.contains("Pa55"), "{shown}");
    assert!(shown.contains("***"), "{shown}");
}

#[test]
fn unknown_flag_bits_are_unknown_flags() {
    // The safe builder cannot make them; the raw call shows the library's answer.
    let runtime = Runtime::new().unwrap();
    let url = std::ffi::CString::new(UNUSED_URL).unwrap();
    let raw = sys::uvmapi_smtp_options {
        url: url.as_ptr(),
        security: sys::UVMAPI_SMTP_SECURITY_NONE,
        flags: 0x100,
        ..sys::uvmapi_smtp_options::INIT
    };
    let hr = unsafe { sys::uvmapi_runtime_add_smtp_transport(runtime.as_raw(), &raw) };
    assert_eq!(hr, hresult::MAPI_E_UNKNOWN_FLAGS);
    assert_nothing_added(&runtime);
}

#[test]
fn after_shutdown() {
    let runtime = Runtime::new().unwrap();
    runtime.add_smtp_transport(&plain(UNUSED_URL)).unwrap();
    runtime.shutdown().unwrap();
    let error = runtime.add_smtp_transport(&plain(UNUSED_URL)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::CallFailed);
    assert_eq!(runtime.smtp_stats("alice").unwrap(), SmtpStats::default());
}

fn smtp_runtime(options: &SmtpOptions) -> Runtime {
    let runtime =
        Runtime::with_options(RuntimeOptions::new().drain_deadline(Duration::from_secs(60)))
            .unwrap();
    runtime.add_smtp_transport(options).unwrap();
    runtime
}

/// Submits MESSAGES messages to a fresh store and logs it off with PURGE.
fn purge(runtime: &Runtime) -> Outcome {
    let store = runtime.open_store("alice").unwrap();
    for i in 0..MESSAGES {
        store
            .submit(&make_message(&format!("smtp message {i}")))
            .unwrap();
    }
    store.logoff(Logoff::PURGE, PATIENCE * 3).unwrap()
}

#[test]
fn purge_delivers_the_outbox_to_smtp_sink() {
    let Some(program) = require_smtp_sink("purge_delivers_the_outbox_to_smtp_sink") else {
        return;
    };
    let sink = SmtpSink::start(&program);
    let runtime = smtp_runtime(&plain(&sink.url()).helo_name("rust.example.test"));
    let outcome = purge(&runtime);
    assert!(outcome.released, "{outcome:?}");
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE), "{outcome:?}");

    // The in-memory store outlives its opener: look at it again.
    let again = runtime.open_store("alice").unwrap();
    assert_eq!(again.folder_count(Folder::Outbox).unwrap(), 0);
    assert_eq!(
        again.folder_count(Folder::SentItems).unwrap() as usize,
        MESSAGES
    );
    drop(again);

    let dumps = sink.wait_for(MESSAGES);
    assert_eq!(dumps.len(), MESSAGES, "{dumps:?}");
    for i in 0..MESSAGES {
        let subject = format!("Subject: smtp message {i}");
        assert_eq!(
            dumps.iter().filter(|d| d.contains(&subject)).count(),
            1,
            "{dumps:?}"
        );
    }
    assert!(dumps
        .iter()
        .all(|d| d.contains("X-Helo-Args: rust.example.test")));

    let stats = runtime.smtp_stats("alice").unwrap();
    assert_eq!(stats.messages_sent as usize, MESSAGES, "{stats:?}");
    assert_eq!(stats.recipients_accepted as usize, MESSAGES, "{stats:?}");
    assert_eq!(
        (stats.messages_deferred, stats.messages_failed),
        (0, 0),
        "{stats:?}"
    );
    assert_eq!(stats.connections_failed, 0, "{stats:?}");
    assert!(stats.connections_opened >= 1, "{stats:?}");
}

#[test]
fn server_down_leaves_the_outbox_queued() {
    let (url, _held) = refusing_url();
    let runtime = smtp_runtime(&plain(&url).connect_timeout(Duration::from_secs(5)));
    let outcome = purge(&runtime);
    assert!(outcome.released, "{outcome:?}");
    assert!(!outcome.forced, "{outcome:?}");
    assert!(
        outcome
            .at_final
            .is_some_and(|f| f.contains(Logoff::OUTBOUND_QUEUE)),
        "{outcome:?}"
    );

    let again = runtime.open_store("alice").unwrap();
    assert_eq!(
        again.folder_count(Folder::Outbox).unwrap() as usize,
        MESSAGES
    );
    assert_eq!(again.folder_count(Folder::SentItems).unwrap(), 0);
    drop(again);

    let stats = runtime.smtp_stats("alice").unwrap();
    assert_eq!(stats.messages_sent, 0, "{stats:?}");
    assert!(stats.connections_failed >= 1, "{stats:?}");
    assert!(stats.messages_deferred as usize >= MESSAGES, "{stats:?}");
    assert!(!stats.last_problem.is_empty(), "{stats:?}");
}
