//! Transports written in Rust: what they are told, how they answer, and
//! panics in any callback being caught instead of unwinding into C.
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use uvmapi::{
    hresult, Error, ErrorKind, Flush, Folder, Logoff, Message, Notify, Runtime, RuntimeOptions,
    Store, Transport, TransportLogoffFlags, TransportSupport,
};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handles_that_cross_threads_are_send_and_sync() {
    assert_send_sync::<Runtime>();
    assert_send_sync::<Store<'static>>();
    assert_send_sync::<TransportSupport>();
    assert_send_sync::<Error>();
}

#[test]
fn a_session_is_told_of_logon_and_of_each_mode() {
    let fx = Fixture::new();
    let store = fx.open("notes");
    let session = fx.session("notes");
    assert_eq!(
        session.notes(),
        vec![Notify::BEGIN_INBOUND | Notify::BEGIN_OUTBOUND]
    );
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    let outcome = store.logoff(Logoff::ABORT, PATIENCE).unwrap();
    assert_eq!(
        outcome.at_final,
        Some(Logoff::COMPLETE | Logoff::OUTBOUND_QUEUE)
    );
    assert_eq!(session.notes_with(Notify::CANCEL_MESSAGE), 1);
    assert_eq!(session.logoff_flags(), Some(TransportLogoffFlags::HURRY));
    assert_eq!(session.logoff_calls(), 1);
    fx.finish().unwrap();
}

#[test]
fn messages_round_trip_through_store_and_transport() {
    let fx = Fixture::new();
    let store = fx.open("mail");
    let session = fx.session("mail");
    // Content is bytes: a NUL and non-UTF-8 bytes cross unchanged.
    let odd = Message::new(
        "me@example.org",
        ["a@example.org", "b@example.org"],
        b"x\0y\xff".to_vec(),
    );
    let ids: Vec<u64> = [make_message("one"), make_message("two"), odd.clone()]
        .iter()
        .map(|m| store.submit(m).unwrap())
        .collect();
    assert_eq!(store.list(Folder::Outbox).unwrap(), ids, "oldest first");
    assert_eq!(
        store.folder_count(Folder::Outbox).unwrap(),
        3,
        "held sends stay in the Outbox"
    );
    assert_eq!(store.read(ids[2]).unwrap(), odd);
    assert_eq!(session.sends_in_flight(), 3);
    assert_eq!(store.activity().unwrap(), Logoff::OUTBOUND);

    session.finish_sends(hresult::S_OK);
    assert_eq!(store.folder_count(Folder::SentItems).unwrap(), 3);
    assert_eq!(store.list(Folder::Outbox).unwrap(), Vec::<u64>::new());
    assert_eq!(session.delivered(&odd), 1);

    session.arrive(&make_message("incoming"), true).unwrap();
    assert_eq!(store.activity().unwrap(), Logoff::INBOUND);
    assert_eq!(session.commit_receives(), 1);
    let inbox = store.list(Folder::Inbox).unwrap();
    assert_eq!(inbox.len(), 1);
    let received = store.read(inbox[0]).unwrap();
    assert_eq!(received.sender, "remote@example.org");
    assert_eq!(received.recipients, vec!["alice@example.org".to_string()]);
    assert_eq!(received.content, make_message("incoming").content);
    assert_eq!(
        store.read(9_999_999).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    drop(store);
    fx.finish().unwrap();
}

#[test]
fn a_failed_send_is_deferred_until_a_flush() {
    let fx = Fixture::new();
    let store = fx.open("retry");
    let session = fx.session("retry");
    store.submit(&make_message("flaky")).unwrap();
    session.finish_sends(hresult::MAPI_E_CALL_FAILED);
    assert_eq!(
        store.activity().unwrap(),
        Logoff::OUTBOUND_QUEUE,
        "a failed send counts as queued"
    );
    assert_eq!(session.submits(), 1, "not offered again before a flush");
    // PURGE flushes: the deferred message gets one more try, and goes.
    let outcome = store.logoff(Logoff::PURGE, PATIENCE).unwrap();
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));
    assert_eq!(session.delivered(&make_message("flaky")), 1);
    fx.finish().unwrap();
}

#[test]
fn the_support_works_from_other_threads_and_goes_inert_after_logoff() {
    let fx = Fixture::new();
    let store = fx.open("threads");
    let session = fx.session("threads");
    let support = session.support().expect("support while logged on");
    store.submit(&make_message("a")).unwrap();
    // Answers from several threads at once are carried to the loop.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let support = support.clone();
            scope.spawn(move || {
                for _ in 0..25 {
                    support.notify_ready().unwrap();
                }
            });
        }
    });
    session.finish_sends(hresult::S_OK);
    assert_eq!(store.folder_count(Folder::SentItems).unwrap(), 1);

    store.logoff(Logoff::ORDERLY, PATIENCE).unwrap();
    assert!(session.dropped(), "the runtime let the session go");
    for error in [
        support.notify_ready().unwrap_err(),
        support.begin_inbound().unwrap_err(),
        support.complete_send(1, hresult::S_OK).unwrap_err(),
        support.flush_complete().unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::InvalidObject, "{error}");
    }
    let runtime_gone = {
        let fx_support = support.clone();
        fx.finish().unwrap();
        fx_support.notify_ready().unwrap_err()
    };
    assert_eq!(
        runtime_gone.kind(),
        ErrorKind::InvalidObject,
        "after destroy: {runtime_gone}"
    );
}

/// A transport as small as it gets: the peer accepts everything at once.
struct Loopback {
    support: TransportSupport,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Transport for Loopback {
    fn submit_message(&self, send: u64, message: &Message) -> Result<(), Error> {
        self.seen.lock().unwrap().push(message.text());
        self.support.complete_send(send, hresult::S_OK)
    }
    fn flush_queues(&self, _flags: Flush) {
        let _ = self.support.flush_complete();
    }
    fn transport_notify(&self, _flags: Notify, _activity: u64) {}
    fn transport_logoff(&self, _flags: TransportLogoffFlags) {}
}

#[test]
fn a_closure_can_be_the_provider() {
    let runtime = Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    runtime
        .add_transport_provider(move |_store: &str, support: TransportSupport| {
            Ok(Box::new(Loopback {
                support,
                seen: log.clone(),
            }) as Box<dyn Transport>)
        })
        .unwrap();
    let store = runtime.open_store("loop").unwrap();
    store.submit(&make_message("hello")).unwrap();
    assert_eq!(store.folder_count(Folder::SentItems).unwrap(), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(store.logoff(Logoff::PURGE, PATIENCE).unwrap().completed());
    assert!(runtime.callback_panics().is_empty());
}

#[test]
fn a_provider_that_refuses_a_logon_refuses_the_store() {
    let runtime = Runtime::new().unwrap();
    runtime
        .add_transport_provider(
            |_store: &str, _support: TransportSupport| -> Result<Box<dyn Transport>, Error> {
                Err(Error::new(hresult::MAPI_E_NO_SUPPORT, "not this one"))
            },
        )
        .unwrap();
    let error = runtime.open_store("refused").unwrap_err();
    assert_eq!(error.hresult(), hresult::MAPI_E_NO_SUPPORT, "{error}");
    assert_eq!(error.kind(), ErrorKind::Other);
}

// --- Panics ---------------------------------------------------------------------

fn panics_mentioning(fx: &Fixture, what: &str) -> usize {
    fx.runtime
        .take_callback_panics()
        .iter()
        .filter(|p| p.contains(what))
        .count()
}

#[test]
fn a_panic_in_submit_message_is_a_failed_send() {
    quiet_expected_panics();
    let fx = Fixture::new();
    let store = fx.open("p-submit");
    let session = fx.session("p-submit");
    session.panic_in(PanicIn::SubmitMessage);
    // The store took the message; the transport's panic became
    // MAPI_E_CALL_FAILED, a failed send: deferred in the Outbox.
    store.submit(&make_message("survivor")).unwrap();
    assert_eq!(
        panics_mentioning(
            &fx,
            "Transport::submit_message panicked: scripted panic in submit_message"
        ),
        1
    );
    assert_eq!(store.activity().unwrap(), Logoff::OUTBOUND_QUEUE);
    // Nothing is lost: the flush of PURGE sends it.
    let outcome = store.logoff(Logoff::PURGE, PATIENCE).unwrap();
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));
    assert_eq!(session.delivered(&make_message("survivor")), 1);
    fx.finish().unwrap();
}

#[test]
fn a_panic_in_transport_notify_does_not_stop_the_drain() {
    quiet_expected_panics();
    let fx = Fixture::new();
    let store = fx.open("p-notify");
    let session = fx.session("p-notify");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    session.panic_in(PanicIn::TransportNotify);
    let slot = Arc::new(OutcomeSlot::default());
    store.logoff_with(Logoff::ORDERLY, slot.callback()).unwrap();
    session.finish_everything();
    let outcome = slot.wait(PATIENCE).expect("the logoff finishes");
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));
    assert_eq!(
        panics_mentioning(&fx, "Transport::transport_notify panicked"),
        1
    );
    fx.finish().unwrap();
}

#[test]
fn a_panic_in_transport_logoff_still_lets_the_session_go() {
    quiet_expected_panics();
    let fx = Fixture::new();
    let store = fx.open("p-logoff");
    let session = fx.session("p-logoff");
    session.panic_in(PanicIn::TransportLogoff);
    assert!(store.logoff(Logoff::ORDERLY, PATIENCE).unwrap().completed());
    assert_eq!(
        panics_mentioning(&fx, "Transport::transport_logoff panicked"),
        1
    );
    assert!(session.dropped());
    fx.finish().unwrap();
}

#[test]
fn a_panic_in_flush_queues_is_bounded_by_the_drain_deadline() {
    quiet_expected_panics();
    let fx = Fixture::with_deadlines(Duration::from_millis(100), NO_DEADLINE);
    let store = fx.open("p-flush");
    let session = fx.session("p-flush");
    session.panic_in(PanicIn::FlushQueues);
    // The flush is never answered; the deadline turns PURGE into ABORT.
    let outcome = store.logoff(Logoff::PURGE, PATIENCE).unwrap();
    assert!(outcome.escalated && outcome.completed(), "{outcome:?}");
    assert_eq!(
        panics_mentioning(&fx, "Transport::flush_queues panicked"),
        1
    );
    fx.finish().unwrap();
}

#[test]
fn a_panic_in_logon_refuses_the_store_with_call_failed() {
    quiet_expected_panics();
    let fx = Fixture::new();
    fx.provider.panic_on_logon();
    let error = fx.runtime.open_store("p-logon").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::CallFailed, "{error}");
    assert_eq!(
        panics_mentioning(
            &fx,
            "TransportProvider::logon panicked: scripted panic in logon"
        ),
        1
    );
    // The next logon works.
    let store = fx.open("p-logon");
    drop(store);
    fx.finish().unwrap();
}

#[test]
fn panics_in_completions_and_on_logoff_are_caught() {
    quiet_expected_panics();
    let runtime = Runtime::with_options(
        RuntimeOptions::new().on_logoff(|_, _| panic!("on_logoff went wrong")),
    )
    .unwrap();
    let store = runtime.open_store("p-callbacks").unwrap();
    store
        .logoff_with(Logoff::ORDERLY, |_| panic!("completion went wrong"))
        .unwrap();
    // The runtime goes on working: open, and a waiting logoff.
    let store = runtime.open_store("p-callbacks-2").unwrap();
    assert!(store.logoff(Logoff::ORDERLY, PATIENCE).unwrap().completed());
    // One more call through the loop: whatever it ran before is done.
    drop(runtime.open_store("barrier").unwrap());
    let panics = runtime.callback_panics();
    assert!(
        panics
            .iter()
            .any(|p| p.contains("logoff_with") && p.contains("completion went wrong")),
        "{panics:?}"
    );
    assert!(
        panics
            .iter()
            .filter(|p| p.contains("on_logoff went wrong"))
            .count()
            >= 2,
        "{panics:?}"
    );
}

#[test]
fn many_threads_share_one_runtime() {
    let runtime = Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    runtime
        .add_transport_provider(move |_store: &str, support: TransportSupport| {
            Ok(Box::new(Loopback { support, seen: log.clone() }) as Box<dyn Transport>)
        })
        .unwrap();
    const THREADS: usize = 8;
    const ROUNDS: usize = 25;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let runtime = &runtime;
            scope.spawn(move || {
                for round in 0..ROUNDS {
                    // A store of its own: every logoff happens.
                    let own = runtime.open_store(&format!("own-{t}")).unwrap();
                    for n in 0..3 {
                        own.submit(&make_message(&format!("{t}-{round}-{n}"))).unwrap();
                    }
                    let extra = own.try_clone().unwrap();
                    drop(extra);
                    let mode = Logoff::MODES[(t + round) % 5];
                    let outcome = own.logoff(mode, PATIENCE).unwrap();
                    assert!(outcome.completed(), "{mode:?}: {outcome:?}");

                    // A store every thread shares: only the last opener's
                    // logoff happens; an open while it runs is Busy.
                    let shared = loop {
                        match runtime.open_store("common") {
                            Ok(store) => break store,
                            Err(e) if e.kind() == ErrorKind::Busy => std::thread::yield_now(),
                            Err(e) => panic!("open common: {e}"),
                        }
                    };
                    shared.submit(&make_message(&format!("common-{t}-{round}"))).unwrap();
                    let outcome = shared.logoff(Logoff::NO_WAIT, PATIENCE).unwrap();
                    assert!(outcome.completed(), "{outcome:?}");
                }
            });
        }
    });
    assert_eq!(seen.lock().unwrap().len(), THREADS * ROUNDS * 4, "every message reached the peer once");
    let check = runtime.open_store("common").unwrap();
    assert_eq!(check.folder_count(Folder::SentItems).unwrap() as usize, THREADS * ROUNDS);
    assert_eq!(check.folder_count(Folder::Outbox).unwrap(), 0);
    drop(check);
    assert!(runtime.callback_panics().is_empty());
}
