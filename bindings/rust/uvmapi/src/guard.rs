//! Panics never cross into C: every callback runs behind catch_unwind, and
//! a panic is recorded on its runtime.
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// What a runtime's callbacks share: the panics they caught, and whether the
/// runtime is destroyed (handles of a destroyed runtime are not called).
#[derive(Default)]
pub(crate) struct Shared {
    panics: Mutex<Vec<String>>,
    destroyed: AtomicBool,
}

impl Shared {
    pub(crate) fn record_panic(&self, what: &str, payload: &(dyn Any + Send)) {
        let text = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic without a message".to_string()
        };
        let mut panics = self.panics.lock().unwrap_or_else(|e| e.into_inner());
        panics.push(format!("{what} panicked: {text}"));
    }

    pub(crate) fn panics(&self) -> Vec<String> {
        self.panics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn take_panics(&self) -> Vec<String> {
        std::mem::take(&mut *self.panics.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn set_destroyed(&self) {
        self.destroyed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn destroyed(&self) -> bool {
        self.destroyed.load(Ordering::SeqCst)
    }

    /// Runs f; a panic is recorded under what and becomes None.
    pub(crate) fn guard<R>(&self, what: &str, f: impl FnOnce() -> R) -> Option<R> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => Some(value),
            Err(payload) => {
                // Dropping the payload may panic too: never let that unwind.
                let _ = catch_unwind(AssertUnwindSafe(|| self.record_panic(what, &*payload)));
                let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
                None
            }
        }
    }
}
