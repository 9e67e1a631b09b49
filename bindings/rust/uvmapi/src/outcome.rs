//! The outcome of a logoff.
use uvmapi_sys as sys;

use std::fmt;

use crate::error::hresult;
use crate::flags::Logoff;

/// The outcome of a logoff, reported at two moments: when control returned
/// to the caller (`at_return`), and finally when the store was released or
/// the logoff given up (`at_final`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The input flag the logoff ran with.
    pub requested: Logoff,
    /// S_OK, or MAPI_E_UNABLE_TO_ABORT (see [`crate::hresult`]).
    pub status: i32,
    /// The flags when control returned; `None` if that moment had not come.
    pub at_return: Option<Logoff>,
    /// The final flags; `None` while the logoff goes on.
    pub at_final: Option<Logoff>,
    /// The store (opener) was released.
    pub released: bool,
    /// The drain deadline passed and the logoff became an ABORT.
    pub escalated: bool,
    /// Runtime shutdown ended a store that would not log off.
    pub forced: bool,
}

impl Outcome {
    pub(crate) fn from_raw(raw: &sys::uvmapi_logoff_outcome) -> Outcome {
        Outcome {
            requested: Logoff::from_bits_retain(raw.requested),
            status: raw.status,
            at_return: (raw.returned != 0).then(|| Logoff::from_bits_retain(raw.flags_at_return)),
            at_final: (raw.finished != 0).then(|| Logoff::from_bits_retain(raw.flags_at_final)),
            released: raw.released != 0,
            escalated: raw.escalated != 0,
            forced: raw.forced != 0,
        }
    }

    /// Control has returned to the caller.
    pub fn returned(&self) -> bool {
        self.at_return.is_some()
    }
    /// Nothing more will change.
    pub fn finished(&self) -> bool {
        self.at_final.is_some()
    }
    /// The status is S_OK.
    pub fn is_ok(&self) -> bool {
        self.status == sys::S_OK
    }
    /// The logoff happened: the final flags carry LOGOFF_COMPLETE.
    pub fn completed(&self) -> bool {
        self.at_final
            .is_some_and(|flags| flags.contains(Logoff::COMPLETE))
    }
}

impl fmt::Debug for Outcome {
    /// The flags by their MAPI names and the status by its name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outcome")
            .field("requested", &self.requested)
            .field("status", &format_args!("{}", hresult::name(self.status)))
            .field("at_return", &self.at_return)
            .field("at_final", &self.at_final)
            .field("released", &self.released)
            .field("escalated", &self.escalated)
            .field("forced", &self.forced)
            .finish()
    }
}
