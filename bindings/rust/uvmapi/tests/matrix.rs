//! The contract's conformance matrix from the shared case list
//! (tests/cases/logoff_cases.tsv, read at run time): 5 flags x 8 activity
//! states x {sole, shared} opener = 80 cases, through the one-call logoff
//! with a completion callback and a transport written in Rust.
//!
//! Each case builds its activity state with the scripted transport, saves
//! the flag with StoreLogoff (which reports the activity), hands the last
//! reference to `logoff_with`, checks whether the logoff already finished
//! without the transport's help (released at return, or never) or cannot
//! have (released at the final outcome), lets the transport finish what it
//! still may, waits for the final outcome and checks where every message
//! ended.
mod common;

use std::sync::mpsc;

use common::*;
use uvmapi::{hresult, Logoff};

fn run_case(case: &Case) -> Result<(), String> {
    let fx = Fixture::new();
    let result = run_case_in(&fx, case);
    let finished = fx.finish();
    result.and(finished)
}

fn run_case_in(fx: &Fixture, case: &Case) -> Result<(), String> {
    let store = fx.open("store");
    let session = fx.session("store");
    build_activity(&store, &session, case.activity)?;
    let other = if case.shared {
        Some(fx.open("store"))
    } else {
        None
    };

    // StoreLogoff saves the flag and reports the activity, nothing more.
    let activity = store
        .store_logoff(case.flag)
        .map_err(|e| format!("StoreLogoff: {e}"))?;
    if activity != case.activity {
        return Err(format!(
            "StoreLogoff reported {}, expected {}",
            letters(activity),
            letters(case.activity)
        ));
    }

    // The one-call logoff: the last reference goes.
    let (tx, rx) = mpsc::channel();
    store
        .logoff_with(case.flag, move |outcome| {
            let _ = tx.send(outcome);
        })
        .map_err(|e| format!("logoff_with: {e}"))?;

    let early =
        match case.released {
            // Nothing the transport still has to do holds these back.
            When::Return | When::Never => Some(rx.recv_timeout(PATIENCE).map_err(|_| {
                "no final outcome although nothing held the logoff back".to_string()
            })?),
            // The transport holds what the drain waits for: the logoff cannot
            // have finished, and the transports of a sole opener are not logged off.
            When::Final => {
                if let Ok(outcome) = rx.try_recv() {
                    return Err(format!(
                        "finished before the transport finished: {outcome:?}"
                    ));
                }
                if !case.shared && session.logged_off() {
                    return Err(
                        "the transport was logged off while the drain still waits for it".into(),
                    );
                }
                None
            }
        };

    // Let the transport finish what it still may.
    session.finish_everything();

    let outcome = match early {
        Some(outcome) => outcome,
        None => rx
            .recv_timeout(PATIENCE)
            .map_err(|_| "no final outcome after the transport finished".to_string())?,
    };
    if rx.try_recv().is_ok() {
        return Err("the completion was called twice".into());
    }

    let mut problems = Vec::new();
    let mut expect = |ok: bool, text: String| {
        if !ok {
            problems.push(text);
        }
    };
    expect(
        outcome.requested == case.flag,
        format!("requested {:?}", outcome.requested),
    );
    expect(
        outcome.status == hresult::S_OK,
        format!("status {}", hresult::name(outcome.status)),
    );
    expect(!outcome.escalated, "escalated".into());
    expect(!outcome.forced, "forced".into());
    expect(
        outcome.at_return == Some(case.at_return),
        format!(
            "at return {}, expected {}",
            outcome.at_return.map_or("(none)".into(), letters),
            letters(case.at_return)
        ),
    );
    expect(
        outcome.at_final == Some(case.at_final),
        format!(
            "final {}, expected {}",
            outcome.at_final.map_or("(none)".into(), letters),
            letters(case.at_final)
        ),
    );
    expect(
        outcome.released == (case.released != When::Never),
        format!(
            "released = {}, expected {:?}",
            outcome.released, case.released
        ),
    );
    // Transports are logged off exactly when the store's last opener went.
    let logged_off = session.logged_off();
    let want_logged_off = !case.shared && case.released != When::Never;
    expect(
        logged_off == want_logged_off,
        format!("transport logged off = {logged_off}, expected {want_logged_off}"),
    );
    if logged_off {
        expect(
            session.logoff_calls() == 1,
            format!("TransportLogoff called {} times", session.logoff_calls()),
        );
    }

    // The runtime's on_logoff callback saw the same final outcome.
    match fx.log.wait(0, PATIENCE) {
        Some((name, logged)) => {
            expect(name == "store", format!("on_logoff named store '{name}'"));
            expect(
                logged == outcome,
                format!("on_logoff reported {logged:?}, the completion {outcome:?}"),
            );
        }
        None => expect(false, "on_logoff reported nothing".into()),
    }

    // Where every message ended, read through another opener of the store.
    let reader = fx
        .runtime
        .open_store("store")
        .map_err(|e| format!("open a reader: {e}"))?;
    for (bit, body, inbound, want) in [
        (Logoff::INBOUND, "i", true, case.inbound),
        (Logoff::OUTBOUND, "o", false, case.outbound),
        (Logoff::OUTBOUND_QUEUE, "q", false, case.queued),
    ] {
        if !case.activity.contains(bit) {
            continue;
        }
        match locate(&reader, &session, &make_message(body), inbound) {
            Ok(place) if Some(place) == want => {}
            Ok(place) => expect(
                false,
                format!("message {body} is in {place:?}, expected {want:?}"),
            ),
            Err(problem) => expect(false, format!("message {body}: {problem}")),
        }
    }
    drop(reader);
    drop(other);

    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn check(case: Case) {
    if let Err(problem) = run_case(&case) {
        panic!(
            "{} (line {}: {}): {problem}",
            case.name(),
            case.line,
            case.text.replace('\t', " ")
        );
    }
}

#[test]
fn all_80_cases_of_the_shared_list() {
    let cases = load_cases();
    assert_eq!(
        cases.len(),
        80,
        "{} holds {} cases",
        cases_path().display(),
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run_case(case)
                .err()
                .map(|problem| format!("line {} ({}): {problem}", case.line, case.name()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of 80 cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_list_covers_every_flag_activity_and_opener_once() {
    let cases = load_cases();
    let mut seen = std::collections::HashSet::new();
    for case in &cases {
        assert!(
            seen.insert((case.flag, case.activity, case.shared)),
            "line {} repeats {}",
            case.line,
            case.name()
        );
    }
    for flag in Logoff::MODES {
        for bits in 0..8u32 {
            let activity = Logoff::from_bits_retain(bits << 17); // I, O, Q are bits 17, 18, 19.
            for shared in [false, true] {
                assert!(
                    seen.contains(&(flag, activity, shared)),
                    "no case {flag:?} {} shared={shared}",
                    letters(activity)
                );
            }
        }
    }
}

#[test]
fn no_wait_with_a_receive_in_flight_commits_it_then_releases() {
    check(find_case(Logoff::NO_WAIT, Logoff::INBOUND, false));
}

#[test]
fn orderly_with_a_queue_leaves_it_in_the_outbox() {
    check(find_case(Logoff::ORDERLY, Logoff::OUTBOUND_QUEUE, false));
}

#[test]
fn purge_with_everything_flushes_it_all() {
    check(find_case(Logoff::PURGE, Logoff::ACTIVITY, false));
}

#[test]
fn abort_with_everything_cancels_and_loses_nothing() {
    check(find_case(Logoff::ABORT, Logoff::ACTIVITY, false));
}

#[test]
fn quiet_with_activity_does_not_log_off() {
    check(find_case(
        Logoff::QUIET,
        Logoff::INBOUND | Logoff::OUTBOUND,
        false,
    ));
}

#[test]
fn a_shared_opener_goes_at_once_and_touches_nothing() {
    check(find_case(Logoff::ABORT, Logoff::ACTIVITY, true));
}
