//! Flag sets under MAPI's names, written by hand (no bitflags crate): a
//! newtype over the C `uint32_t` with associated constants, set operations,
//! and a `Debug` that prints the MAPI names.
use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, BitXor, Not, Sub, SubAssign};

macro_rules! flag_set {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* const $flag:ident = $value:expr, $cname:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name(u32);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: Self = Self($value); )*

            /// Every named flag with its MAPI name, in the order of the header.
            pub const NAMED: &'static [(Self, &'static str)] = &[$((Self($value), $cname)),*];

            /// No flag.
            pub const fn empty() -> Self {
                Self(0)
            }
            /// Every named flag.
            pub const fn all() -> Self {
                Self(0 $(| $value)*)
            }
            /// The C value.
            pub const fn bits(self) -> u32 {
                self.0
            }
            /// Any bits, named or not: the way to send the library a value
            /// it does not know (it answers with MAPI_E_UNKNOWN_FLAGS).
            pub const fn from_bits_retain(bits: u32) -> Self {
                Self(bits)
            }
            /// `None` when bits holds a bit no constant names.
            pub const fn from_bits(bits: u32) -> Option<Self> {
                if bits & !Self::all().0 == 0 {
                    Some(Self(bits))
                } else {
                    None
                }
            }
            /// Drops the bits no constant names.
            pub const fn from_bits_truncate(bits: u32) -> Self {
                Self(bits & Self::all().0)
            }
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// Every bit of other is set in self.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
            /// At least one bit of other is set in self.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }
            pub fn insert(&mut self, other: Self) {
                self.0 |= other.0;
            }
            pub fn remove(&mut self, other: Self) {
                self.0 &= !other.0;
            }
            /// The bits no constant names.
            pub const fn unknown_bits(self) -> u32 {
                self.0 & !Self::all().0
            }
            /// The named flags that are set, in the order of the header.
            pub fn iter_names(self) -> impl Iterator<Item = (Self, &'static str)> {
                Self::NAMED.iter().copied().filter(move |(flag, _)| self.contains(*flag))
            }
        }

        impl BitOr for $name {
            type Output = Self;
            fn bitor(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
        }
        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, other: Self) {
                self.0 |= other.0;
            }
        }
        impl BitAnd for $name {
            type Output = Self;
            fn bitand(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }
        }
        impl BitAndAssign for $name {
            fn bitand_assign(&mut self, other: Self) {
                self.0 &= other.0;
            }
        }
        impl BitXor for $name {
            type Output = Self;
            fn bitxor(self, other: Self) -> Self {
                Self(self.0 ^ other.0)
            }
        }
        impl Sub for $name {
            type Output = Self;
            /// The bits of self that other does not have.
            fn sub(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }
        }
        impl SubAssign for $name {
            fn sub_assign(&mut self, other: Self) {
                self.0 &= !other.0;
            }
        }
        impl Not for $name {
            type Output = Self;
            /// The named flags that self does not have.
            fn not(self) -> Self {
                Self(!self.0 & Self::all().0)
            }
        }
        impl From<$name> for u32 {
            fn from(flags: $name) -> u32 {
                flags.0
            }
        }

        impl fmt::Debug for $name {
            /// `LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE`; unknown bits in
            /// hex (`LOGOFF_ORDERLY | 0x1000`); `0` for no flag.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                let mut put = |f: &mut fmt::Formatter<'_>, text: &dyn fmt::Display| {
                    let sep = if first { "" } else { " | " };
                    first = false;
                    write!(f, "{sep}{text}")
                };
                for (_, name) in self.iter_names() {
                    put(f, &name)?;
                }
                let unknown = self.unknown_bits();
                if unknown != 0 {
                    put(f, &format_args!("{unknown:#x}"))?;
                }
                if first {
                    f.write_str("0")?;
                }
                Ok(())
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }
    };
}

flag_set! {
    /// The flags of StoreLogoff and StoreLogoffTransports: the five input
    /// flags (exactly one per call) and the output flags (COMPLETE and the
    /// activity bits I, O, Q).
    pub struct Logoff {
        /// Return at once; send what is queued or being sent, then release.
        const NO_WAIT = uvmapi_sys::LOGOFF_NO_WAIT, "LOGOFF_NO_WAIT";
        /// Return at once; finish what is in flight, leave the queue for the next logon.
        const ORDERLY = uvmapi_sys::LOGOFF_ORDERLY, "LOGOFF_ORDERLY";
        /// As NO_WAIT plus a flush both ways; returns after the work.
        const PURGE = uvmapi_sys::LOGOFF_PURGE, "LOGOFF_PURGE";
        /// Cancel what is in flight (nothing is lost); returns after the work.
        const ABORT = uvmapi_sys::LOGOFF_ABORT, "LOGOFF_ABORT";
        /// Log off only if nothing is going on.
        const QUIET = uvmapi_sys::LOGOFF_QUIET, "LOGOFF_QUIET";
        /// Output: the logoff happened (or will, once the drain is over).
        const COMPLETE = uvmapi_sys::LOGOFF_COMPLETE, "LOGOFF_COMPLETE";
        /// Output, activity I: a message is being received.
        const INBOUND = uvmapi_sys::LOGOFF_INBOUND, "LOGOFF_INBOUND";
        /// Output, activity O: a message is being sent.
        const OUTBOUND = uvmapi_sys::LOGOFF_OUTBOUND, "LOGOFF_OUTBOUND";
        /// Output, activity Q: the Outbox holds messages no transport holds.
        const OUTBOUND_QUEUE = uvmapi_sys::LOGOFF_OUTBOUND_QUEUE, "LOGOFF_OUTBOUND_QUEUE";
    }
}

impl Logoff {
    /// The five input flags.
    pub const INPUT: Self = Self(
        uvmapi_sys::LOGOFF_NO_WAIT
            | uvmapi_sys::LOGOFF_ORDERLY
            | uvmapi_sys::LOGOFF_PURGE
            | uvmapi_sys::LOGOFF_ABORT
            | uvmapi_sys::LOGOFF_QUIET,
    );
    /// The activity bits I, O and Q.
    pub const ACTIVITY: Self = Self(
        uvmapi_sys::LOGOFF_INBOUND
            | uvmapi_sys::LOGOFF_OUTBOUND
            | uvmapi_sys::LOGOFF_OUTBOUND_QUEUE,
    );
    /// The five input flags, in the order of the header.
    pub const MODES: [Self; 5] = [
        Self::NO_WAIT,
        Self::ORDERLY,
        Self::PURGE,
        Self::ABORT,
        Self::QUIET,
    ];
}

flag_set! {
    /// IXPLogon::FlushQueues flags.
    pub struct Flush {
        const UPLOAD = uvmapi_sys::FLUSH_UPLOAD, "FLUSH_UPLOAD";
        const DOWNLOAD = uvmapi_sys::FLUSH_DOWNLOAD, "FLUSH_DOWNLOAD";
        const FORCE = uvmapi_sys::FLUSH_FORCE, "FLUSH_FORCE";
        const NO_UI = uvmapi_sys::FLUSH_NO_UI, "FLUSH_NO_UI";
        const ASYNC_OK = uvmapi_sys::FLUSH_ASYNC_OK, "FLUSH_ASYNC_OK";
    }
}

flag_set! {
    /// IXPLogon::TransportNotify flags.
    pub struct Notify {
        const BEGIN_INBOUND = uvmapi_sys::NOTIFY_BEGIN_INBOUND, "NOTIFY_BEGIN_INBOUND";
        const BEGIN_OUTBOUND = uvmapi_sys::NOTIFY_BEGIN_OUTBOUND, "NOTIFY_BEGIN_OUTBOUND";
        const BEGIN_INBOUND_FLUSH = uvmapi_sys::NOTIFY_BEGIN_INBOUND_FLUSH, "NOTIFY_BEGIN_INBOUND_FLUSH";
        const BEGIN_OUTBOUND_FLUSH = uvmapi_sys::NOTIFY_BEGIN_OUTBOUND_FLUSH, "NOTIFY_BEGIN_OUTBOUND_FLUSH";
        const END_INBOUND = uvmapi_sys::NOTIFY_END_INBOUND, "NOTIFY_END_INBOUND";
        const END_OUTBOUND = uvmapi_sys::NOTIFY_END_OUTBOUND, "NOTIFY_END_OUTBOUND";
        const END_INBOUND_FLUSH = uvmapi_sys::NOTIFY_END_INBOUND_FLUSH, "NOTIFY_END_INBOUND_FLUSH";
        const END_OUTBOUND_FLUSH = uvmapi_sys::NOTIFY_END_OUTBOUND_FLUSH, "NOTIFY_END_OUTBOUND_FLUSH";
        const ABORT_DEFERRED = uvmapi_sys::NOTIFY_ABORT_DEFERRED, "NOTIFY_ABORT_DEFERRED";
        /// The send or receive named by the notification's activity is to be cancelled.
        const CANCEL_MESSAGE = uvmapi_sys::NOTIFY_CANCEL_MESSAGE, "NOTIFY_CANCEL_MESSAGE";
    }
}

flag_set! {
    /// IXPLogon::TransportLogoff flags: the last call a session gets.
    pub struct TransportLogoffFlags {
        /// After a drain that finished, or an idle store.
        const NORMAL = uvmapi_sys::LOGOFF_NORMAL, "LOGOFF_NORMAL";
        /// After an abort, an escalation or a forced end.
        const HURRY = uvmapi_sys::LOGOFF_HURRY, "LOGOFF_HURRY";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_mapi_names() {
        assert_eq!(
            format!("{:?}", Logoff::COMPLETE | Logoff::OUTBOUND_QUEUE),
            "LOGOFF_COMPLETE | LOGOFF_OUTBOUND_QUEUE"
        );
        assert_eq!(format!("{:?}", Logoff::empty()), "0");
        assert_eq!(
            format!("{:?}", Logoff::from_bits_retain(0x1002)),
            "LOGOFF_ORDERLY | 0x1000"
        );
        assert_eq!(
            format!("{}", Notify::CANCEL_MESSAGE),
            "NOTIFY_CANCEL_MESSAGE"
        );
        assert_eq!(format!("{:?}", TransportLogoffFlags::HURRY), "LOGOFF_HURRY");
        assert_eq!(
            format!("{:?}", Flush::UPLOAD | Flush::DOWNLOAD | Flush::FORCE),
            "FLUSH_UPLOAD | FLUSH_DOWNLOAD | FLUSH_FORCE"
        );
    }

    #[test]
    fn set_operations() {
        let flags = Logoff::COMPLETE | Logoff::INBOUND;
        assert!(flags.contains(Logoff::COMPLETE));
        assert!(!flags.contains(Logoff::COMPLETE | Logoff::OUTBOUND));
        assert!(flags.intersects(Logoff::ACTIVITY));
        assert_eq!(flags & Logoff::ACTIVITY, Logoff::INBOUND);
        assert_eq!(flags - Logoff::COMPLETE, Logoff::INBOUND);
        assert_eq!(Logoff::from_bits(0x1000), None);
        assert_eq!(Logoff::from_bits(0x2), Some(Logoff::ORDERLY));
        assert_eq!(Logoff::from_bits_truncate(0x3002), Logoff::ORDERLY);
        assert_eq!(
            Logoff::all(),
            Logoff::INPUT | Logoff::COMPLETE | Logoff::ACTIVITY
        );
        assert_eq!(!Logoff::INPUT, Logoff::COMPLETE | Logoff::ACTIVITY);
        let mut grown = Logoff::empty();
        grown |= Logoff::QUIET;
        grown.insert(Logoff::OUTBOUND);
        grown.remove(Logoff::QUIET);
        assert_eq!(grown, Logoff::OUTBOUND);
        assert_eq!(u32::from(Logoff::ABORT), 0x8);
    }
}
