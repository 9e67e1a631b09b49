//! What every test needs: a scripted transport written in Rust, a runtime
//! with it registered and the outcomes its on_logoff callback reported,
//! test messages, questions about where a message is now, and the shared
//! case list.
//!
//! The scripted transport is the Rust twin of the core's ScriptedTransport
//! and of tests/c/c_transport.c. The runtime calls a session on its loop
//! thread; the tests script it from their own thread. Both touch the same
//! state, under the session's mutex, and no library call is ever made while
//! that mutex is held: a call from a test thread waits for the loop thread,
//! and the loop thread may be waiting for the mutex inside a callback.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use uvmapi::{
    hresult, Error, Flush, Folder, Logoff, Message, Notify, Outcome, Runtime, RuntimeOptions,
    Store, Transport, TransportLogoffFlags, TransportProvider, TransportSupport,
};

/// Long enough never to pass in a healthy run.
pub const NO_DEADLINE: Duration = Duration::from_secs(60);
/// How long a test waits for something that must happen.
pub const PATIENCE: Duration = Duration::from_secs(10);
pub const UNLIMITED: usize = usize::MAX;

/// Panics the tests cause on purpose ("scripted panic", "went wrong") are
/// caught by the binding; this keeps them out of the test output. Every
/// other panic is printed as usual.
pub fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if !(text.contains("scripted panic") || text.contains("went wrong")) {
                default(info);
            }
        }));
    });
}

// --- Messages -----------------------------------------------------------------

/// An RFC 5322 message whose body names it.
pub fn make_message(body: &str) -> Message {
    Message::new(
        "alice@example.org",
        ["bob@example.org"],
        format!(
            "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: {body}\r\n\r\n{body}\r\n"
        ),
    )
}

// --- The scripted transport ---------------------------------------------------

/// Which callback a session panics in, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanicIn {
    SubmitMessage,
    FlushQueues,
    TransportNotify,
    TransportLogoff,
}

#[derive(Clone, Debug)]
struct Item {
    /// A send: the runtime's send id. At the source: our key.
    id: u64,
    /// At the source: the receive in flight, or 0.
    receive: u64,
    content: Vec<u8>,
}

#[derive(Default)]
struct SessionState {
    capacity: usize,
    auto_complete: bool,
    hung: bool,
    ignore_flush: bool,
    panic_in: Option<PanicIn>,
    sends: Vec<Item>,
    source: Vec<Item>,
    next_key: u64,
    delivered: Vec<Vec<u8>>,
    notes: Vec<Notify>,
    flushes: Vec<Flush>,
    submits: u32,
    cancels: u32,
    logoff_flags: Option<TransportLogoffFlags>,
    logoff_calls: u32,
    dropped: bool,
    support: Option<TransportSupport>,
}

/// One session of the scripted transport: what the tests see and script.
pub struct ScriptedSession {
    pub store: String,
    state: Mutex<SessionState>,
    changed: Condvar,
}

enum Answer {
    Nothing,
    CancelSend(u64),
    CancelReceive(u64),
}

impl ScriptedSession {
    fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every change wakes the waiters.
    fn change<R>(&self, f: impl FnOnce(&mut SessionState) -> R) -> R {
        let result = f(&mut self.lock());
        self.changed.notify_all();
        result
    }

    /// The session's support, while the runtime holds the session.
    pub fn support(&self) -> Option<TransportSupport> {
        self.lock().support.clone() // An Arc clone: no library call under the lock.
    }

    fn take_panic(&self, here: PanicIn) -> bool {
        self.change(|s| {
            if s.panic_in == Some(here) {
                s.panic_in.take().is_some()
            } else {
                false
            }
        })
    }

    // --- The script (a test thread, or inside this session's callbacks) ------

    /// Raising the capacity tells the spooler the session is ready again.
    pub fn set_capacity(&self, capacity: usize) {
        let more = self.change(|s| {
            let more = capacity > s.capacity && s.logoff_flags.is_none();
            s.capacity = capacity;
            more
        });
        if more {
            if let Some(support) = self.support() {
                let _ = support.notify_ready();
            }
        }
    }
    pub fn set_auto_complete(&self, on: bool) {
        self.change(|s| s.auto_complete = on);
    }
    /// A hung session ignores cancels and flushes: it never answers.
    pub fn set_hung(&self, hung: bool) {
        self.change(|s| s.hung = hung);
    }
    pub fn set_ignore_flush(&self, ignore: bool) {
        self.change(|s| s.ignore_flush = ignore);
    }
    /// The next call of that callback panics (once).
    pub fn panic_in(&self, callback: PanicIn) {
        self.change(|s| s.panic_in = Some(callback));
    }

    /// Ends every held send with result; returns how many.
    pub fn finish_sends(&self, result: i32) -> usize {
        let sends = self.change(|s| {
            let sends = std::mem::take(&mut s.sends);
            if result == hresult::S_OK {
                // The peer has them before the spooler hears of it.
                s.delivered
                    .extend(sends.iter().map(|item| item.content.clone()));
            }
            sends
        });
        if let Some(support) = self.support() {
            for item in &sends {
                let _ = support.complete_send(item.id, result);
            }
        }
        sends.len()
    }

    /// Puts a message at the source; with begin, starts delivering it and
    /// holds the delivery in flight.
    pub fn arrive(&self, message: &Message, begin: bool) -> Result<(), Error> {
        let key = self.change(|s| {
            s.next_key += 1;
            let key = s.next_key;
            s.source.push(Item {
                id: key,
                receive: 0,
                content: message.content.clone(),
            });
            key
        });
        if !begin {
            return Ok(());
        }
        let support = self
            .support()
            .ok_or_else(|| Error::new(hresult::MAPI_E_INVALID_OBJECT, "no support"))?;
        let receive = support.begin_inbound()?; // Refused: it stays at the source.
        self.change(|s| {
            s.source
                .iter_mut()
                .filter(|i| i.id == key)
                .for_each(|i| i.receive = receive)
        });
        Ok(())
    }

    /// Commits every receive in flight; each leaves the source only once committed.
    pub fn commit_receives(&self) -> usize {
        let receives: Vec<Item> = self
            .lock()
            .source
            .iter()
            .filter(|i| i.receive != 0)
            .cloned()
            .collect();
        let Some(support) = self.support() else {
            return 0;
        };
        let mut committed = 0;
        for item in receives {
            let message = Message::new(
                "remote@example.org",
                ["alice@example.org"],
                item.content.clone(),
            );
            if support.commit_inbound(item.receive, &message).is_err() {
                continue;
            }
            // Only now that the store has it may it leave the source.
            self.change(|s| s.source.retain(|i| i.id != item.id));
            committed += 1;
        }
        committed
    }

    /// What the harness does to let a session finish what it still may: the
    /// peer accepts from now on, held sends complete, receives commit, and
    /// the queue may flow again.
    pub fn finish_everything(&self) {
        self.set_auto_complete(true);
        if self.logged_off() {
            return;
        }
        self.finish_sends(hresult::S_OK);
        self.commit_receives();
        self.set_capacity(UNLIMITED);
    }

    // --- What it saw ----------------------------------------------------------

    pub fn sends_in_flight(&self) -> usize {
        self.lock().sends.len()
    }
    pub fn receives_in_flight(&self) -> usize {
        self.lock().source.iter().filter(|i| i.receive != 0).count()
    }
    pub fn at_source(&self, message: &Message) -> usize {
        self.lock()
            .source
            .iter()
            .filter(|i| i.content == message.content)
            .count()
    }
    pub fn delivered(&self, message: &Message) -> usize {
        self.lock()
            .delivered
            .iter()
            .filter(|c| **c == message.content)
            .count()
    }
    pub fn notes(&self) -> Vec<Notify> {
        self.lock().notes.clone()
    }
    pub fn notes_with(&self, mask: Notify) -> usize {
        self.lock()
            .notes
            .iter()
            .filter(|n| n.contains(mask))
            .count()
    }
    pub fn flushes(&self) -> Vec<Flush> {
        self.lock().flushes.clone()
    }
    pub fn submits(&self) -> u32 {
        self.lock().submits
    }
    pub fn cancels(&self) -> u32 {
        self.lock().cancels
    }
    pub fn logged_off(&self) -> bool {
        self.lock().logoff_flags.is_some()
    }
    pub fn logoff_flags(&self) -> Option<TransportLogoffFlags> {
        self.lock().logoff_flags
    }
    pub fn logoff_calls(&self) -> u32 {
        self.lock().logoff_calls
    }
    /// The runtime let the session go (its last Release dropped it).
    pub fn dropped(&self) -> bool {
        self.lock().dropped
    }

    /// Waits until done holds or timeout; returns whether it holds.
    fn wait_until(&self, timeout: Duration, done: impl Fn(&SessionState) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
    /// Waits for a notification with every bit of mask.
    pub fn wait_note(&self, mask: Notify, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.notes.iter().any(|n| n.contains(mask)))
    }
    pub fn wait_logged_off(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.logoff_flags.is_some())
    }
}

/// The Transport the runtime holds: one per session.
struct SessionTransport(Arc<ScriptedSession>);

impl Transport for SessionTransport {
    fn submit_message(&self, send: u64, message: &Message) -> Result<(), Error> {
        let session = &self.0;
        if session.take_panic(PanicIn::SubmitMessage) {
            panic!("scripted panic in submit_message");
        }
        let complete_now = session.change(|s| {
            s.submits += 1;
            if s.sends.len() >= s.capacity {
                return Err(Error::busy());
            }
            if s.auto_complete {
                // Even a send completed at once is recorded, for its content.
                s.delivered.push(message.content.clone());
                Ok(true)
            } else {
                s.sends.push(Item {
                    id: send,
                    receive: 0,
                    content: message.content.clone(),
                });
                Ok(false)
            }
        })?;
        if complete_now {
            // Allowed before returning: the runtime keeps the send from the
            // moment it offers it. Re-enters submit_message for the next one.
            if let Some(support) = session.support() {
                let _ = support.complete_send(send, hresult::S_OK);
            }
        }
        Ok(())
    }

    fn flush_queues(&self, flags: Flush) {
        let session = &self.0;
        if session.take_panic(PanicIn::FlushQueues) {
            panic!("scripted panic in flush_queues");
        }
        let answer = session.change(|s| {
            s.flushes.push(flags);
            !s.hung && !s.ignore_flush
        });
        if !answer {
            return;
        }
        if flags.contains(Flush::UPLOAD) {
            // A forced upload sends everything: what it held and what it refused.
            session.set_auto_complete(true);
            session.finish_sends(hresult::S_OK);
            session.set_capacity(UNLIMITED);
        }
        if flags.contains(Flush::DOWNLOAD) {
            let keys: Vec<u64> = session
                .lock()
                .source
                .iter()
                .filter(|i| i.receive == 0)
                .map(|i| i.id)
                .collect();
            if let Some(support) = session.support() {
                for key in keys {
                    let Ok(receive) = support.begin_inbound() else {
                        break; // The store takes no more: the rest stays at the source.
                    };
                    session.change(|s| {
                        s.source
                            .iter_mut()
                            .filter(|i| i.id == key)
                            .for_each(|i| i.receive = receive)
                    });
                }
            }
            session.commit_receives();
        }
        if let Some(support) = session.support() {
            let _ = support.flush_complete();
        }
    }

    fn transport_notify(&self, flags: Notify, activity: u64) {
        let session = &self.0;
        if session.take_panic(PanicIn::TransportNotify) {
            panic!("scripted panic in transport_notify");
        }
        let answer = session.change(|s| {
            s.notes.push(flags);
            if !flags.contains(Notify::CANCEL_MESSAGE) || s.hung {
                return Answer::Nothing;
            }
            if let Some(at) = s.sends.iter().position(|i| i.id == activity) {
                s.sends.remove(at);
                s.cancels += 1;
                return Answer::CancelSend(activity);
            }
            if let Some(item) = s.source.iter_mut().find(|i| i.receive == activity) {
                item.receive = 0; // The message stays at the source.
                s.cancels += 1;
                return Answer::CancelReceive(activity);
            }
            Answer::Nothing
        });
        let Some(support) = session.support() else {
            return;
        };
        match answer {
            Answer::Nothing => {}
            Answer::CancelSend(send) => {
                let _ = support.complete_send(send, hresult::MAPI_E_USER_CANCEL);
            }
            Answer::CancelReceive(receive) => {
                let _ = support.abort_inbound(receive);
            }
        }
    }

    fn transport_logoff(&self, flags: TransportLogoffFlags) {
        let session = &self.0;
        if session.take_panic(PanicIn::TransportLogoff) {
            panic!("scripted panic in transport_logoff");
        }
        session.change(|s| {
            s.logoff_flags = Some(flags);
            s.logoff_calls += 1;
            // Whatever was in flight is abandoned: sends stay in the store's
            // Outbox, receives at the source.
            s.sends.clear();
            s.source.iter_mut().for_each(|i| i.receive = 0);
        });
    }
}

impl Drop for SessionTransport {
    fn drop(&mut self) {
        // Our support reference goes with the session, outside the lock.
        let support = self.0.change(|s| {
            s.dropped = true;
            s.support.take()
        });
        drop(support);
    }
}

#[derive(Default)]
struct ProviderState {
    default_capacity: Option<usize>,
    panic_on_logon: bool,
    sessions: Vec<Arc<ScriptedSession>>,
}

/// The scripted transport provider. Clones share the sessions.
#[derive(Clone, Default)]
pub struct ScriptedProvider {
    state: Arc<Mutex<ProviderState>>,
}

impl ScriptedProvider {
    fn lock(&self) -> MutexGuard<'_, ProviderState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// The newest session of a store.
    pub fn session(&self, store: &str) -> Option<Arc<ScriptedSession>> {
        self.lock()
            .sessions
            .iter()
            .rev()
            .find(|s| s.store == store)
            .cloned()
    }
    pub fn sessions(&self) -> Vec<Arc<ScriptedSession>> {
        self.lock().sessions.clone()
    }
    pub fn set_default_capacity(&self, capacity: usize) {
        self.lock().default_capacity = Some(capacity);
    }
    /// The next logon panics (once).
    pub fn panic_on_logon(&self) {
        self.lock().panic_on_logon = true;
    }
}

impl TransportProvider for ScriptedProvider {
    fn logon(
        &self,
        store_name: &str,
        support: TransportSupport,
    ) -> Result<Box<dyn Transport>, Error> {
        let (capacity, panic) = {
            let mut state = self.lock();
            (
                state.default_capacity.unwrap_or(UNLIMITED),
                std::mem::take(&mut state.panic_on_logon),
            )
        };
        if panic {
            panic!("scripted panic in logon");
        }
        let session = Arc::new(ScriptedSession {
            store: store_name.to_string(),
            state: Mutex::new(SessionState {
                capacity,
                support: Some(support),
                ..SessionState::default()
            }),
            changed: Condvar::new(),
        });
        self.lock().sessions.push(session.clone());
        Ok(Box::new(SessionTransport(session)))
    }
}

// --- The outcomes the runtime's on_logoff callback reported -------------------

#[derive(Default)]
pub struct OutcomeLog {
    entries: Mutex<Vec<(String, Outcome)>>,
    changed: Condvar,
}

impl OutcomeLog {
    pub fn push(&self, store: &str, outcome: &Outcome) {
        self.entries
            .lock()
            .unwrap()
            .push((store.to_string(), *outcome));
        self.changed.notify_all();
    }
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }
    /// Waits until the log holds more than index outcomes, then returns that one.
    pub fn wait(&self, index: usize, timeout: Duration) -> Option<(String, Outcome)> {
        let entries = self.entries.lock().unwrap();
        let (entries, _) = self
            .changed
            .wait_timeout_while(entries, timeout, |e| e.len() <= index)
            .unwrap();
        entries.get(index).cloned()
    }
}

/// A one-shot slot for logoff_with's callback, with the thread it ran on.
#[derive(Default)]
pub struct OutcomeSlot {
    value: Mutex<Option<(Outcome, std::thread::ThreadId)>>,
    calls: Mutex<u32>,
    changed: Condvar,
}

impl OutcomeSlot {
    pub fn callback(self: &Arc<Self>) -> impl FnOnce(Outcome) + Send + 'static {
        let slot = self.clone();
        move |outcome| {
            *slot.calls.lock().unwrap() += 1;
            *slot.value.lock().unwrap() = Some((outcome, std::thread::current().id()));
            slot.changed.notify_all();
        }
    }
    pub fn get(&self) -> Option<Outcome> {
        self.value.lock().unwrap().map(|(o, _)| o)
    }
    pub fn thread(&self) -> Option<std::thread::ThreadId> {
        self.value.lock().unwrap().map(|(_, t)| t)
    }
    pub fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }
    pub fn wait(&self, timeout: Duration) -> Option<Outcome> {
        let value = self.value.lock().unwrap();
        let (value, _) = self
            .changed
            .wait_timeout_while(value, timeout, |v| v.is_none())
            .unwrap();
        value.map(|(o, _)| o)
    }
}

// --- The fixture ----------------------------------------------------------------

pub struct Fixture {
    pub runtime: Runtime,
    pub provider: ScriptedProvider,
    pub log: Arc<OutcomeLog>,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_deadlines(NO_DEADLINE, NO_DEADLINE)
    }

    pub fn with_deadlines(drain: Duration, abort: Duration) -> Fixture {
        let log = Arc::new(OutcomeLog::default());
        let sink = log.clone();
        let runtime = Runtime::with_options(
            RuntimeOptions::new()
                .drain_deadline(drain)
                .abort_deadline(abort)
                .on_logoff(move |store, outcome| sink.push(store, outcome)),
        )
        .expect("a runtime");
        let provider = ScriptedProvider::default();
        runtime
            .add_transport_provider(provider.clone())
            .expect("the scripted transport registers");
        Fixture {
            runtime,
            provider,
            log,
        }
    }

    pub fn open(&self, name: &str) -> Store<'_> {
        self.runtime
            .open_store(name)
            .unwrap_or_else(|e| panic!("open {name}: {e}"))
    }

    /// The scripted session serving a store (its newest).
    pub fn session(&self, name: &str) -> Arc<ScriptedSession> {
        self.provider
            .session(name)
            .unwrap_or_else(|| panic!("no session for {name}"))
    }

    /// Shuts the runtime down and destroys it, then checks the runtime let
    /// every session go and no callback panicked.
    pub fn finish(self) -> Result<(), String> {
        let Fixture {
            runtime, provider, ..
        } = self;
        let panics = runtime.callback_panics();
        drop(runtime);
        let held = provider.sessions().iter().filter(|s| !s.dropped()).count();
        let mut problems = Vec::new();
        if held > 0 {
            problems.push(format!(
                "{held} sessions were never released by the runtime"
            ));
        }
        if !panics.is_empty() {
            problems.push(format!("callbacks panicked: {panics:?}"));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

// --- Where is a message ---------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Inbox,
    /// Still at the transport's source.
    Source,
    Sent,
    Outbox,
}

impl Place {
    fn parse(text: &str) -> Result<Option<Place>, String> {
        Ok(match text {
            "-" => None,
            "inbox" => Some(Place::Inbox),
            "source" => Some(Place::Source),
            "sent" => Some(Place::Sent),
            "outbox" => Some(Place::Outbox),
            other => return Err(format!("unknown place '{other}'")),
        })
    }
}

/// How many messages of a folder have this content.
pub fn count_in(store: &Store<'_>, folder: Folder, message: &Message) -> Result<usize, String> {
    let ids = store
        .list(folder)
        .map_err(|e| format!("list {folder:?}: {e}"))?;
    let mut found = 0;
    for id in ids {
        let read = store.read(id).map_err(|e| format!("read {id}: {e}"))?;
        found += usize::from(read.content == message.content);
    }
    Ok(found)
}

/// Where the message is, failing unless it is in exactly one place (and
/// reached the peer exactly when it is in Sent Items). reader is a store on
/// the same store name.
pub fn locate(
    reader: &Store<'_>,
    session: &ScriptedSession,
    message: &Message,
    inbound: bool,
) -> Result<Place, String> {
    let seen = if inbound {
        vec![
            (count_in(reader, Folder::Inbox, message)?, Place::Inbox),
            (session.at_source(message), Place::Source),
        ]
    } else {
        vec![
            (count_in(reader, Folder::Outbox, message)?, Place::Outbox),
            (count_in(reader, Folder::SentItems, message)?, Place::Sent),
        ]
    };
    let mut places = Vec::new();
    for (count, place) in seen {
        if count > 1 {
            return Err(format!(
                "{} is {count} times in {place:?}",
                message.text().trim_end()
            ));
        }
        if count == 1 {
            places.push(place);
        }
    }
    let [where_] = places[..] else {
        return Err(format!(
            "the message is in {} places ({places:?}): lost or duplicated",
            places.len()
        ));
    };
    if !inbound {
        let delivered = session.delivered(message);
        if delivered != usize::from(where_ == Place::Sent) {
            return Err(format!(
                "the message reached the peer {delivered} times but is in {where_:?}"
            ));
        }
    }
    Ok(where_)
}

// --- The shared case list ---------------------------------------------------------

/// When the opener is released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Already when control returns.
    Return,
    /// Only at the final outcome, after the transport finished.
    Final,
    /// The logoff did not happen: the runtime keeps the opener.
    Never,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub line: usize,
    pub text: String,
    pub flag: Logoff,
    pub flag_name: String,
    pub activity: Logoff,
    pub shared: bool,
    pub at_return: Logoff,
    pub at_final: Logoff,
    pub released: When,
    pub inbound: Option<Place>,
    pub outbound: Option<Place>,
    pub queued: Option<Place>,
}

impl Case {
    pub fn name(&self) -> String {
        format!(
            "{} with {} - {} opener",
            self.flag_name,
            letters(self.activity),
            if self.shared { "shared" } else { "sole" }
        )
    }
}

pub fn cases_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/cases/logoff_cases.tsv")
}

/// C|I|O|Q letters, or - for none.
pub fn letters(flags: Logoff) -> String {
    let mut out = Vec::new();
    for (bit, letter) in [
        (Logoff::COMPLETE, "C"),
        (Logoff::INBOUND, "I"),
        (Logoff::OUTBOUND, "O"),
        (Logoff::OUTBOUND_QUEUE, "Q"),
    ] {
        if flags.contains(bit) {
            out.push(letter);
        }
    }
    if out.is_empty() {
        "-".to_string()
    } else {
        out.join("|")
    }
}

fn parse_letters(text: &str) -> Result<Logoff, String> {
    if text == "-" {
        return Ok(Logoff::empty());
    }
    text.split('|').try_fold(Logoff::empty(), |flags, letter| {
        Ok(flags
            | match letter {
                "C" => Logoff::COMPLETE,
                "I" => Logoff::INBOUND,
                "O" => Logoff::OUTBOUND,
                "Q" => Logoff::OUTBOUND_QUEUE,
                other => return Err(format!("unknown letter '{other}'")),
            })
    })
}

/// Every case of tests/cases/logoff_cases.tsv, read now.
pub fn load_cases() -> Vec<Case> {
    let path = cases_path();
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    let mut header = true;
    for (index, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if header {
            header = false;
            assert!(
                line.starts_with("flag\tactivity\topener"),
                "unexpected header: {line}"
            );
            continue;
        }
        let number = index + 1;
        let fields: Vec<&str> = line.split('\t').collect();
        let parsed = (|| -> Result<Case, String> {
            let [flag, activity, opener, at_return, at_final, released, i, o, q] = fields[..]
            else {
                return Err(format!("{} fields, expected 9", fields.len()));
            };
            Ok(Case {
                line: number,
                text: line.to_string(),
                flag: match flag {
                    "NO_WAIT" => Logoff::NO_WAIT,
                    "ORDERLY" => Logoff::ORDERLY,
                    "PURGE" => Logoff::PURGE,
                    "ABORT" => Logoff::ABORT,
                    "QUIET" => Logoff::QUIET,
                    other => return Err(format!("unknown flag '{other}'")),
                },
                flag_name: flag.to_string(),
                activity: parse_letters(activity)?,
                shared: match opener {
                    "sole" => false,
                    "shared" => true,
                    other => return Err(format!("unknown opener '{other}'")),
                },
                at_return: parse_letters(at_return)?,
                at_final: parse_letters(at_final)?,
                released: match released {
                    "return" => When::Return,
                    "final" => When::Final,
                    "never" => When::Never,
                    other => return Err(format!("unknown release '{other}'")),
                },
                inbound: Place::parse(i)?,
                outbound: Place::parse(o)?,
                queued: Place::parse(q)?,
            })
        })();
        match parsed {
            Ok(case) => cases.push(case),
            Err(problem) => panic!("{}:{number}: {problem}: {line}", path.display()),
        }
    }
    cases
}

/// The case of the list with that flag, activity and opener.
pub fn find_case(flag: Logoff, activity: Logoff, shared: bool) -> Case {
    load_cases()
        .into_iter()
        .find(|c| c.flag == flag && c.activity == activity && c.shared == shared)
        .unwrap_or_else(|| {
            panic!(
                "no case {flag:?} with {} shared={shared}",
                letters(activity)
            )
        })
}

// --- Building an activity state ----------------------------------------------------

/// Builds I, O and Q on store as the matrix does: O = one message held in
/// flight by the transport, Q = one message queued because the transport
/// refuses sends (MAPI_E_BUSY), I = one receive held in flight.
pub fn build_activity(
    store: &Store<'_>,
    session: &ScriptedSession,
    activity: Logoff,
) -> Result<(), String> {
    if activity.contains(Logoff::OUTBOUND) {
        store
            .submit(&make_message("o"))
            .map_err(|e| format!("submit o: {e}"))?;
    }
    if activity.contains(Logoff::OUTBOUND_QUEUE) {
        session.set_capacity(session.sends_in_flight());
        store
            .submit(&make_message("q"))
            .map_err(|e| format!("submit q: {e}"))?;
    }
    if activity.contains(Logoff::INBOUND) {
        session
            .arrive(&make_message("i"), true)
            .map_err(|e| format!("arrive i: {e}"))?;
    }
    Ok(())
}
