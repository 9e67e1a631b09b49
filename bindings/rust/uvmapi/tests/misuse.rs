//! Misuse the library reports as errors. Released and consumed handles need
//! no test: ownership makes them impossible (a released or logged-off
//! `Store` is moved away, and a `Store` cannot outlive its `Runtime`).
mod common;

use std::sync::Arc;

use common::*;
use uvmapi::{hresult, Error, ErrorKind, Logoff, Message};

#[test]
fn store_logoff_checks_its_flag() {
    let fx = Fixture::new();
    let store = fx.open("flags");
    store.store_logoff(Logoff::ORDERLY).unwrap();
    for (flag, kind) in [
        (Logoff::empty(), ErrorKind::InvalidParameter),
        (
            Logoff::NO_WAIT | Logoff::ORDERLY,
            ErrorKind::InvalidParameter,
        ),
        (Logoff::INPUT, ErrorKind::InvalidParameter),
        // Unknown bits are checked first, even when the rest is wrong too.
        (Logoff::from_bits_retain(0x1000), ErrorKind::UnknownFlags),
        (
            Logoff::from_bits_retain(0x2000) | Logoff::ABORT,
            ErrorKind::UnknownFlags,
        ),
        (Logoff::COMPLETE, ErrorKind::UnknownFlags),
        (
            Logoff::QUIET | Logoff::OUTBOUND_QUEUE,
            ErrorKind::UnknownFlags,
        ),
        (
            Logoff::from_bits_retain(0x4000_0000) | Logoff::NO_WAIT | Logoff::PURGE,
            ErrorKind::UnknownFlags,
        ),
    ] {
        let error = store.store_logoff(flag).unwrap_err();
        assert_eq!(error.kind(), kind, "{flag:?}: {error}");
        assert!(!error.message().is_empty(), "{flag:?}: no sentence");
    }
    // On error nothing was saved: the release logs off with ORDERLY.
    drop(store);
    assert_eq!(
        fx.log.wait(0, PATIENCE).unwrap().1.requested,
        Logoff::ORDERLY
    );
    fx.finish().unwrap();
}

#[test]
fn a_one_call_logoff_with_a_bad_flag_gives_the_store_back() {
    let fx = Fixture::new();
    let store = fx.open("bad-flag");
    let failed = store
        .try_logoff(Logoff::from_bits_retain(0x1000), PATIENCE)
        .unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::UnknownFlags);
    let store = failed
        .into_store()
        .expect("the call did not take the store");
    let failed = store
        .try_logoff(Logoff::ORDERLY | Logoff::QUIET, PATIENCE)
        .unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::InvalidParameter);
    let store = failed.into_store().unwrap();
    let failed = store
        .try_logoff_with(Logoff::empty(), |_| panic!("never called"))
        .unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::InvalidParameter);
    let store = failed.into_store().unwrap();
    assert_eq!(fx.log.len(), 0, "nothing logged off");
    assert!(store.logoff(Logoff::ORDERLY, PATIENCE).unwrap().completed());
    // The consuming forms report the same errors (and drop the store).
    let error = fx
        .open("bad-flag")
        .logoff(Logoff::COMPLETE, PATIENCE)
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownFlags);
    fx.finish().unwrap();
}

#[test]
fn the_one_call_logoff_needs_the_last_reference() {
    let fx = Fixture::new();
    let store = fx.open("busy");
    let other = store.try_clone().unwrap();

    let failed = store.try_logoff(Logoff::ORDERLY, PATIENCE).unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::Busy, "{}", failed.error);
    assert_eq!(failed.error.hresult(), hresult::MAPI_E_BUSY);
    assert!(
        failed.error.message().contains("last reference"),
        "{}",
        failed.error
    );
    let store = failed
        .into_store()
        .expect("nothing changed: the store comes back");
    let failed = store
        .try_logoff_with(Logoff::ORDERLY, |_| panic!("never called"))
        .unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::Busy);
    let store = failed.into_store().unwrap();
    store.activity().expect("still usable");
    assert_eq!(fx.log.len(), 0);

    drop(other);
    let outcome = store.logoff(Logoff::ORDERLY, PATIENCE).unwrap();
    assert!(outcome.completed());
    fx.finish().unwrap();
}

#[test]
fn opening_a_store_while_it_logs_off_is_busy() {
    let fx = Fixture::new();
    let store = fx.open("closing");
    let session = fx.session("closing");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    let slot = Arc::new(OutcomeSlot::default());
    store.logoff_with(Logoff::NO_WAIT, slot.callback()).unwrap();
    let error = fx.runtime.open_store("closing").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Busy, "{error}");
    session.finish_everything();
    assert!(slot.wait(PATIENCE).expect("finishes").completed());
    drop(fx.open("closing"));
    fx.finish().unwrap();
}

#[test]
fn after_shutdown_stores_are_invalid_objects() {
    let fx = Fixture::new();
    let store = fx.open("late");
    let second = fx.open("late-too");
    fx.runtime.shutdown().unwrap();
    fx.runtime.shutdown().expect("a second shutdown is fine");

    let kinds = [
        store.activity().map(drop).unwrap_err().kind(),
        store
            .submit(&make_message("too late"))
            .map(drop)
            .unwrap_err()
            .kind(),
        store
            .store_logoff(Logoff::ORDERLY)
            .map(drop)
            .unwrap_err()
            .kind(),
        store
            .list(uvmapi::Folder::Inbox)
            .map(drop)
            .unwrap_err()
            .kind(),
        store.try_clone().map(drop).unwrap_err().kind(),
    ];
    assert_eq!(kinds, [ErrorKind::InvalidObject; 5]);
    let failed = store.try_logoff(Logoff::ORDERLY, PATIENCE).unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::InvalidObject);
    drop(failed);
    let error = second.logoff_with(Logoff::ABORT, |_| {}).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidObject);
    // The runtime takes no new work.
    assert_eq!(
        fx.runtime.open_store("new").unwrap_err().kind(),
        ErrorKind::CallFailed
    );
    assert!(fx
        .runtime
        .add_transport_provider(ScriptedProvider::default())
        .is_err());
    fx.finish().unwrap();
}

#[test]
fn nul_bytes_in_names_are_invalid_parameters() {
    let fx = Fixture::new();
    assert_eq!(
        fx.runtime.open_store("a\0b").unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    let store = fx.open("nul");
    let bad_sender = Message::new("me\0", ["you@example.org"], "body");
    assert_eq!(
        store.submit(&bad_sender).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    let bad_recipient = Message::new("me", ["you\0"], "body");
    assert_eq!(
        store.submit(&bad_recipient).unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );
    // Content is bytes: a NUL there is fine.
    store
        .submit(&Message::new("me", ["you"], b"a\0b".to_vec()))
        .unwrap();
    drop(store);
    fx.finish().unwrap();
}

#[test]
fn errors_carry_hresult_kind_name_and_sentence() {
    let fx = Fixture::new();
    let store = fx.open("errors");
    let error = store.store_logoff(Logoff::empty()).unwrap_err();
    assert_eq!(error.name(), "MAPI_E_INVALID_PARAMETER");
    let shown = error.to_string();
    assert!(
        shown.starts_with("MAPI_E_INVALID_PARAMETER (0x80070057): "),
        "{shown}"
    );
    assert!(format!("{error:?}").contains("InvalidParameter"));

    for (code, kind) in [
        (
            hresult::MAPI_E_INVALID_PARAMETER,
            ErrorKind::InvalidParameter,
        ),
        (hresult::MAPI_E_UNKNOWN_FLAGS, ErrorKind::UnknownFlags),
        (hresult::MAPI_E_INVALID_OBJECT, ErrorKind::InvalidObject),
        (hresult::MAPI_E_BUSY, ErrorKind::Busy),
        (hresult::MAPI_E_NOT_FOUND, ErrorKind::NotFound),
        (hresult::MAPI_E_TIMEOUT, ErrorKind::Timeout),
        (hresult::MAPI_E_UNABLE_TO_ABORT, ErrorKind::UnableToAbort),
        (hresult::MAPI_E_CALL_FAILED, ErrorKind::CallFailed),
        (hresult::MAPI_E_NO_SUPPORT, ErrorKind::Other),
    ] {
        assert_eq!(ErrorKind::of(code), kind);
        assert_eq!(
            Error::from_kind(kind, "x").kind(),
            if kind == ErrorKind::Other {
                ErrorKind::CallFailed
            } else {
                kind
            }
        );
        assert!(
            !hresult::name(code).starts_with("0x"),
            "the library names {code:#x}"
        );
    }
    assert_eq!(hresult::name(0x8000_1234_u32 as i32), "0x80001234");
    assert_eq!(
        Error::new(0, "not a failure").hresult(),
        hresult::MAPI_E_CALL_FAILED
    );
    drop(store);
    fx.finish().unwrap();
}

#[test]
fn blocking_calls_on_the_loop_thread_are_refused() {
    // A completion runs on the loop thread: a blocking call there would wait
    // for itself, so the library refuses it.
    let fx = Fixture::new();
    let raw = fx.runtime.as_raw() as usize;
    let slot = Arc::new(std::sync::Mutex::new(None));
    let seen = slot.clone();
    let done = Arc::new(OutcomeSlot::default());
    let finish = done.callback();
    fx.open("loop")
        .logoff_with(Logoff::ORDERLY, move |outcome| {
            // SAFETY: the runtime outlives this completion (the test waits for it).
            let hr = unsafe { uvmapi::sys::uvmapi_runtime_shutdown(raw as *mut _) };
            *seen.lock().unwrap() = Some(hr);
            finish(outcome);
        })
        .unwrap();
    done.wait(PATIENCE).expect("the completion ran");
    assert_eq!(*slot.lock().unwrap(), Some(hresult::MAPI_E_CALL_FAILED));
    fx.finish().unwrap();
}

#[test]
fn the_loaded_library_is_1_0_0() {
    assert_eq!(uvmapi::version(), "1.0.0");
    assert_eq!(uvmapi::version_hex(), 0x01_00_00);
}
