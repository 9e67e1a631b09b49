//! uvmapi from Rust in one file: a runtime, a transport written in Rust, a
//! store, a message, and the logoff in its two forms.
//!
//! `cargo test` runs this example (it is a test target without harness), so
//! it must succeed as shown in docs/rust.md.
use std::sync::mpsc;
use std::time::Duration;

use uvmapi::{
    Error, ErrorKind, Flush, Folder, Logoff, Message, Notify, Runtime, RuntimeOptions, Transport,
    TransportLogoffFlags, TransportSupport,
};

/// A transport whose peer accepts every message at once.
struct Loopback {
    support: TransportSupport,
}

impl Transport for Loopback {
    fn submit_message(&self, send: u64, message: &Message) -> Result<(), Error> {
        println!(
            "transport: sending {} bytes to {:?}",
            message.content.len(),
            message.recipients
        );
        // Allowed inside the call: the runtime holds the send from the moment it offers it.
        self.support.complete_send(send, uvmapi::hresult::S_OK)
    }

    fn flush_queues(&self, flags: Flush) {
        println!("transport: flush {flags:?}");
        let _ = self.support.flush_complete();
    }

    fn transport_notify(&self, flags: Notify, _activity: u64) {
        println!("transport: told {flags:?}");
    }

    fn transport_logoff(&self, flags: TransportLogoffFlags) {
        println!("transport: logged off ({flags:?})");
    }
}

fn main() -> Result<(), Error> {
    let runtime = Runtime::with_options(
        RuntimeOptions::new()
            .drain_deadline(Duration::from_secs(10))
            .abort_deadline(Duration::from_secs(2))
            .on_logoff(|store, outcome| println!("on_logoff: {store}: {outcome:?}")),
    )?;
    // Every store logged on from now on gets a Loopback session.
    runtime.add_transport_provider(|_store: &str, support: TransportSupport| {
        Ok(Box::new(Loopback { support }) as Box<dyn Transport>)
    })?;

    let store = runtime.open_store("alice")?;
    let message = Message::new(
        "alice@example.org",
        ["bob@example.org"],
        "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hello\r\n\r\nHi Bob.\r\n",
    );
    let id = store.submit(&message)?;
    assert_eq!(
        store.list(Folder::SentItems)?,
        vec![id],
        "the peer accepted it"
    );
    assert_eq!(store.read(id)?, message);

    // StoreLogoff only saves the flag and reports the activity (none here).
    assert_eq!(store.store_logoff(Logoff::ORDERLY)?, Logoff::empty());

    // A flag must be exactly one of the five modes.
    let error = store
        .store_logoff(Logoff::ORDERLY | Logoff::QUIET)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidParameter);
    println!("refused as expected: {error}");

    // The one-call logoff: StoreLogoff, then the release of the last
    // reference; waits for the final outcome. It consumes the store.
    let outcome = store.logoff(Logoff::ORDERLY, Duration::from_secs(10))?;
    println!("alice: {outcome:?}");
    assert!(outcome.completed() && outcome.released);
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));

    // The same, returning at once: the closure gets the final outcome on the
    // runtime's loop thread.
    let (sender, receiver) = mpsc::channel();
    runtime
        .open_store("bob")?
        .logoff_with(Logoff::PURGE, move |outcome| {
            let _ = sender.send(outcome);
        })?;
    let outcome = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("a final outcome");
    println!("bob: {outcome:?}");
    assert!(outcome.completed());

    assert!(runtime.callback_panics().is_empty());
    Ok(()) // Dropping the runtime shuts it down and destroys it.
}
