//! The one-call logoff (waiting and with a completion), the five modes with
//! and without activity, the shared store, StoreLogoff's saved flag,
//! deadlines and shutdown.
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use uvmapi::{hresult, ErrorKind, Flush, Folder, Logoff, Notify, Store, TransportLogoffFlags};

/// The notification that shows a draining mode has started.
fn drain_note(flag: Logoff) -> Notify {
    if flag == Logoff::NO_WAIT {
        Notify::END_INBOUND
    } else {
        Notify::END_INBOUND | Notify::END_OUTBOUND
    }
}

#[test]
fn the_five_modes_on_an_idle_store() {
    for mode in Logoff::MODES {
        let fx = Fixture::new();
        let store = fx.open("idle");
        let session = fx.session("idle");
        let outcome = store
            .logoff(mode, PATIENCE)
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        assert_eq!(outcome.requested, mode);
        assert!(
            outcome.is_ok(),
            "{mode:?}: status {}",
            hresult::name(outcome.status)
        );
        assert_eq!(
            outcome.at_return,
            Some(Logoff::COMPLETE),
            "{mode:?} at return"
        );
        assert_eq!(outcome.at_final, Some(Logoff::COMPLETE), "{mode:?} final");
        assert!(
            outcome.released && outcome.completed() && !outcome.escalated && !outcome.forced,
            "{mode:?}: {outcome:?}"
        );
        assert!(session.logged_off(), "{mode:?}: transport not logged off");
        let hurry = if mode == Logoff::ABORT {
            TransportLogoffFlags::HURRY
        } else {
            TransportLogoffFlags::NORMAL
        };
        assert_eq!(session.logoff_flags(), Some(hurry), "{mode:?}");
        if mode == Logoff::PURGE {
            // Even an idle store flushes both ways before it goes.
            assert_eq!(
                session.flushes(),
                vec![Flush::UPLOAD | Flush::DOWNLOAD | Flush::FORCE]
            );
            assert_eq!(
                session.notes_with(Notify::BEGIN_INBOUND_FLUSH | Notify::BEGIN_OUTBOUND_FLUSH),
                1
            );
            assert_eq!(
                session.notes_with(Notify::END_INBOUND_FLUSH | Notify::END_OUTBOUND_FLUSH),
                1
            );
        } else {
            assert!(session.flushes().is_empty(), "{mode:?} flushed");
        }
        fx.finish().unwrap();
    }
}

#[test]
fn the_five_modes_with_activity_through_the_waiting_logoff() {
    for mode in Logoff::MODES {
        let case = find_case(mode, Logoff::ACTIVITY, false);
        let fx = Fixture::new();
        let store = fx.open("busy");
        let session = fx.session("busy");
        build_activity(&store, &session, Logoff::ACTIVITY).unwrap();
        assert_eq!(store.activity().unwrap(), Logoff::ACTIVITY);

        let outcome = if case.released == When::Final {
            // The wait lasts until the transport finished: it runs on a
            // thread of its own while this one plays the transport.
            std::thread::scope(|scope| {
                let waiting = scope.spawn(move || store.logoff(mode, PATIENCE));
                assert!(
                    session.wait_note(drain_note(mode), PATIENCE),
                    "{mode:?}: the drain never started"
                );
                assert!(
                    !waiting.is_finished(),
                    "{mode:?} finished while the transport still holds its work"
                );
                session.finish_everything();
                waiting.join().unwrap()
            })
        } else {
            store.logoff(mode, PATIENCE)
        }
        .unwrap_or_else(|e| panic!("{mode:?}: {e}"));

        assert_eq!(outcome.at_return, Some(case.at_return), "{}", case.name());
        assert_eq!(outcome.at_final, Some(case.at_final), "{}", case.name());
        assert_eq!(
            outcome.released,
            case.released != When::Never,
            "{}",
            case.name()
        );
        assert!(
            outcome.is_ok() && !outcome.escalated,
            "{}: {outcome:?}",
            case.name()
        );
        match mode {
            m if m == Logoff::QUIET => {
                assert!(!session.logged_off(), "QUIET with activity logged off")
            }
            m if m == Logoff::ABORT => {
                assert_eq!(session.logoff_flags(), Some(TransportLogoffFlags::HURRY));
                assert_eq!(
                    session.cancels(),
                    2,
                    "one cancel for the send, one for the receive"
                );
                assert!(session.notes_with(Notify::CANCEL_MESSAGE) >= 2);
            }
            _ => assert_eq!(
                session.logoff_flags(),
                Some(TransportLogoffFlags::NORMAL),
                "{mode:?}"
            ),
        }

        session.finish_everything();
        let reader = fx.open("busy");
        for (body, inbound, want) in [
            ("i", true, case.inbound),
            ("o", false, case.outbound),
            ("q", false, case.queued),
        ] {
            assert_eq!(
                locate(&reader, &session, &make_message(body), inbound).map(Some),
                Ok(want),
                "{} {body}",
                case.name()
            );
        }
        drop(reader);
        fx.finish().unwrap();
    }
}

#[test]
fn a_wait_that_times_out_reports_the_outcome_so_far() {
    let fx = Fixture::new();
    let store = fx.open("slow");
    let session = fx.session("slow");
    build_activity(&store, &session, Logoff::INBOUND).unwrap();

    let error = store
        .logoff(Logoff::NO_WAIT, Duration::from_millis(50))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert_eq!(error.hresult(), hresult::MAPI_E_TIMEOUT);
    assert!(!error.message().is_empty());
    let so_far = *error.outcome().expect("the outcome so far");
    assert_eq!(so_far.requested, Logoff::NO_WAIT);
    assert_eq!(so_far.at_return, Some(Logoff::COMPLETE | Logoff::INBOUND));
    assert_eq!(so_far.at_final, None, "not finished");
    assert!(!so_far.released);

    // The logoff goes on; on_logoff reports its end.
    assert_eq!(fx.log.len(), 0);
    session.finish_everything();
    let (name, last) = fx.log.wait(0, PATIENCE).expect("on_logoff reports the end");
    assert_eq!(name, "slow");
    assert_eq!(last.at_final, Some(Logoff::COMPLETE));
    assert!(last.released);
    let reader = fx.open("slow");
    assert_eq!(
        locate(&reader, &session, &make_message("i"), true),
        Ok(Place::Inbox)
    );
    drop(reader);
    fx.finish().unwrap();
}

#[test]
fn logoff_with_calls_back_once_on_the_loop_thread() {
    let fx = Fixture::new();
    let store = fx.open("async");
    let session = fx.session("async");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();

    let slot = Arc::new(OutcomeSlot::default());
    store.logoff_with(Logoff::ORDERLY, slot.callback()).unwrap();
    // Returns at once; the send it waits for is held by the transport.
    assert!(session.wait_note(Notify::END_INBOUND | Notify::END_OUTBOUND, PATIENCE));
    assert_eq!(slot.get(), None, "called before the drain could finish");

    session.finish_everything();
    let outcome = slot.wait(PATIENCE).expect("the completion is called");
    assert_eq!(outcome.at_return, Some(Logoff::COMPLETE | Logoff::OUTBOUND));
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));
    assert!(outcome.released && outcome.is_ok());
    assert_eq!(slot.calls(), 1);
    assert_ne!(
        slot.thread(),
        Some(std::thread::current().id()),
        "not on the loop thread"
    );
    // The same outcome reaches on_logoff.
    assert_eq!(fx.log.wait(0, PATIENCE).map(|(_, o)| o), Some(outcome));
    fx.finish().unwrap();
}

#[test]
fn a_shared_store_goes_on_serving_the_other_opener() {
    let fx = Fixture::new();
    let first = fx.open("shared");
    let second = fx.open("shared");
    let session = fx.session("shared");
    assert_eq!(
        fx.provider.sessions().len(),
        1,
        "the second open shares the logon"
    );
    first.submit(&make_message("held")).unwrap();
    assert_eq!(session.sends_in_flight(), 1);

    // Even ABORT touches nothing while another opener is logged on.
    let outcome = first.logoff(Logoff::ABORT, PATIENCE).unwrap();
    assert_eq!(
        (outcome.at_return, outcome.at_final),
        (Some(Logoff::COMPLETE), Some(Logoff::COMPLETE))
    );
    assert!(outcome.released);
    assert_eq!(session.cancels(), 0);
    assert!(!session.logged_off());

    // The other opener still works, and the held send still completes.
    second.submit(&make_message("later")).unwrap();
    assert_eq!(second.activity().unwrap(), Logoff::OUTBOUND);
    session.finish_everything();
    assert_eq!(
        locate(&second, &session, &make_message("held"), false),
        Ok(Place::Sent)
    );
    assert_eq!(
        locate(&second, &session, &make_message("later"), false),
        Ok(Place::Sent)
    );

    let outcome = second.logoff(Logoff::ORDERLY, PATIENCE).unwrap();
    assert_eq!(outcome.at_final, Some(Logoff::COMPLETE));
    assert_eq!(session.logoff_flags(), Some(TransportLogoffFlags::NORMAL));
    fx.finish().unwrap();
}

#[test]
fn store_logoff_only_saves_the_flag_for_the_last_release() {
    let fx = Fixture::new();
    let store = fx.open("saved");
    let session = fx.session("saved");
    session.set_capacity(0);
    store.submit(&make_message("queued")).unwrap();
    assert_eq!(
        store.store_logoff(Logoff::QUIET).unwrap(),
        Logoff::OUTBOUND_QUEUE,
        "reports the activity"
    );
    // A later call overwrites the flag; nothing else happens.
    assert_eq!(
        store.store_logoff(Logoff::ORDERLY).unwrap(),
        Logoff::OUTBOUND_QUEUE
    );
    assert!(session.notes_with(Notify::END_INBOUND) == 0 && !session.logged_off());
    store.submit(&make_message("still open")).unwrap();
    assert_eq!(store.folder_count(Folder::Outbox).unwrap(), 2);

    // Drop is Release: the last one logs off with the saved flag.
    drop(store);
    let (_, outcome) = fx.log.wait(0, PATIENCE).expect("the release logs off");
    assert_eq!(outcome.requested, Logoff::ORDERLY);
    assert_eq!(
        outcome.at_final,
        Some(Logoff::COMPLETE | Logoff::OUTBOUND_QUEUE),
        "ORDERLY leaves the queue"
    );

    // Without StoreLogoff, the release logs off with ABORT.
    let again = fx.open("saved");
    assert_eq!(
        again.folder_count(Folder::Outbox).unwrap(),
        2,
        "the queue waited for the next logon"
    );
    drop(again);
    let (_, outcome) = fx
        .log
        .wait(1, PATIENCE)
        .expect("the second release logs off");
    assert_eq!(outcome.requested, Logoff::ABORT);
    fx.finish().unwrap();
}

#[test]
fn extra_references_count_and_release_reports_the_count() {
    let fx = Fixture::new();
    let store = fx.open("refs");
    let second = store.try_clone().unwrap();
    let third = second.try_clone().unwrap();
    assert_eq!(third.release().unwrap(), 2);
    assert_eq!(second.release().unwrap(), 1);
    assert_eq!(fx.log.len(), 0, "no logoff before the last release");
    assert_eq!(store.release().unwrap(), 0);
    assert!(fx.log.wait(0, PATIENCE).is_some());
    fx.finish().unwrap();
}

#[test]
fn a_drain_past_its_deadline_escalates_to_abort() {
    let fx = Fixture::with_deadlines(Duration::from_millis(100), NO_DEADLINE);
    let store = fx.open("late");
    let session = fx.session("late");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    // The transport never finishes the send; the drain deadline cancels it.
    let outcome = store.logoff(Logoff::NO_WAIT, PATIENCE).unwrap();
    assert!(outcome.escalated, "{outcome:?}");
    assert!(outcome.is_ok() && outcome.released);
    assert_eq!(
        outcome.at_final,
        Some(Logoff::COMPLETE | Logoff::OUTBOUND_QUEUE),
        "the cancelled send is queued again"
    );
    assert_eq!(session.logoff_flags(), Some(TransportLogoffFlags::HURRY));
    let reader = fx.open("late");
    assert_eq!(
        locate(&reader, &session, &make_message("o"), false),
        Ok(Place::Outbox)
    );
    drop(reader);
    fx.finish().unwrap();
}

#[test]
fn an_abort_that_cannot_stop_is_given_up_and_shutdown_forces_it() {
    let fx = Fixture::with_deadlines(NO_DEADLINE, Duration::from_millis(100));
    let store = fx.open("stuck");
    let session = fx.session("stuck");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    session.set_hung(true);
    let outcome = store.logoff(Logoff::ABORT, PATIENCE).unwrap();
    assert_eq!(outcome.status, hresult::MAPI_E_UNABLE_TO_ABORT);
    assert_eq!(
        outcome.at_final,
        Some(Logoff::OUTBOUND),
        "the activity, without COMPLETE"
    );
    assert!(!outcome.released && !outcome.completed());
    assert!(!session.logged_off());

    // The runtime kept the opener; shutdown ends it by force.
    fx.runtime.shutdown().unwrap();
    let (_, forced) = fx
        .log
        .wait(1, PATIENCE)
        .expect("shutdown reports the forced end");
    assert!(forced.forced && forced.released, "{forced:?}");
    assert!(session.logged_off());
    let reader: Result<Store<'_>, _> = fx.runtime.open_store("stuck");
    assert_eq!(reader.unwrap_err().kind(), ErrorKind::CallFailed);
    fx.finish().unwrap();
}

#[test]
fn shutdown_logs_off_open_stores_with_their_saved_flag() {
    let fx = Fixture::new();
    let store = fx.open("left-open");
    store.store_logoff(Logoff::ORDERLY).unwrap();
    fx.runtime.shutdown().unwrap();
    let (name, outcome) = fx
        .log
        .wait(0, PATIENCE)
        .expect("shutdown logs the store off");
    assert_eq!(name, "left-open");
    assert_eq!(outcome.requested, Logoff::ORDERLY);
    assert!(outcome.released);
    assert_eq!(
        store.activity().unwrap_err().kind(),
        ErrorKind::InvalidObject
    );
    drop(store); // Release still counts down after shutdown.
    fx.finish().unwrap();
}

#[test]
fn shutdown_during_a_logoff_still_calls_the_completion_once() {
    let fx = Fixture::with_deadlines(Duration::from_millis(100), Duration::from_millis(100));
    let store = fx.open("interrupted");
    let session = fx.session("interrupted");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    session.set_hung(true); // Neither finishes nor answers a cancel.
    let slot = Arc::new(OutcomeSlot::default());
    store.logoff_with(Logoff::NO_WAIT, slot.callback()).unwrap();
    fx.runtime.shutdown().unwrap();
    let outcome = slot.wait(PATIENCE).expect("the completion is called");
    assert_eq!(slot.calls(), 1);
    assert!(outcome.finished(), "{outcome:?}");
    let last = fx
        .log
        .wait(fx.log.len().max(1) - 1, PATIENCE)
        .expect("on_logoff")
        .1;
    assert!(
        last.released,
        "shutdown released the store in the end: {last:?}"
    );
    assert!(session.logged_off());
    fx.finish().unwrap();
}

#[test]
fn a_zero_timeout_returns_at_once() {
    let fx = Fixture::new();
    let store = fx.open("zero");
    let session = fx.session("zero");
    build_activity(&store, &session, Logoff::OUTBOUND).unwrap();
    let error = store.logoff(Logoff::ORDERLY, Duration::ZERO).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    session.finish_everything();
    assert!(fx.log.wait(0, PATIENCE).expect("finishes").1.completed());
    fx.finish().unwrap();
}
