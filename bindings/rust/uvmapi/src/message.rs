//! Messages: an envelope plus RFC 5322 bytes, owned on the Rust side.
use std::ffi::CString;
use std::os::raw::c_char;

use uvmapi_sys as sys;

use crate::error::{hresult, Error};

/// The three folders of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Folder {
    /// The default receive folder.
    Inbox,
    /// Submitted messages until a transport reports the peer accepted them.
    Outbox,
    SentItems,
}

impl Folder {
    pub const ALL: [Folder; 3] = [Folder::Inbox, Folder::Outbox, Folder::SentItems];

    pub(crate) fn raw(self) -> sys::uvmapi_folder {
        match self {
            Folder::Inbox => sys::UVMAPI_FOLDER_INBOX,
            Folder::Outbox => sys::UVMAPI_FOLDER_OUTBOX,
            Folder::SentItems => sys::UVMAPI_FOLDER_SENT_ITEMS,
        }
    }
}

/// A message: envelope (sender, recipients) and content. Strings must not
/// contain NUL bytes (they cross the ABI as C strings); the content may hold
/// any bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Message {
    pub sender: String,
    pub recipients: Vec<String>,
    pub content: Vec<u8>,
}

impl Message {
    pub fn new(
        sender: impl Into<String>,
        recipients: impl IntoIterator<Item = impl Into<String>>,
        content: impl Into<Vec<u8>>,
    ) -> Message {
        Message {
            sender: sender.into(),
            recipients: recipients.into_iter().map(Into::into).collect(),
            content: content.into(),
        }
    }

    /// The content as text (lossy for bytes that are not UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }

    /// Copies a message the library lent.
    ///
    /// # Safety
    /// message points to a valid `uvmapi_message` whose pointers are valid.
    pub(crate) unsafe fn from_raw(message: &sys::uvmapi_message) -> Message {
        let text = |p: *const c_char| crate::error::copy_c_str(p);
        let mut recipients = Vec::with_capacity(message.recipient_count as usize);
        if !message.recipients.is_null() {
            for i in 0..message.recipient_count as usize {
                recipients.push(text(*message.recipients.add(i)));
            }
        }
        let content = if message.content.is_null() || message.content_size == 0 {
            Vec::new()
        } else {
            std::slice::from_raw_parts(message.content.cast::<u8>(), message.content_size).to_vec()
        };
        Message {
            sender: text(message.sender),
            recipients,
            content,
        }
    }

    /// The C view of this message, valid while the returned value lives.
    pub(crate) fn to_raw(&self) -> Result<RawMessage<'_>, Error> {
        let c = |what: &str, s: &str| {
            CString::new(s).map_err(|_| {
                Error::new(
                    hresult::MAPI_E_INVALID_PARAMETER,
                    format!("{what} contains a NUL byte"),
                )
            })
        };
        let sender = c("the sender", &self.sender)?;
        let recipients = self
            .recipients
            .iter()
            .map(|r| c("a recipient", r))
            .collect::<Result<Vec<_>, _>>()?;
        let pointers = recipients.iter().map(|r| r.as_ptr()).collect();
        let count = u32::try_from(recipients.len())
            .map_err(|_| Error::new(hresult::MAPI_E_INVALID_PARAMETER, "too many recipients"))?;
        Ok(RawMessage {
            sender,
            _recipients: recipients,
            pointers,
            count,
            content: &self.content,
        })
    }
}

/// A message as the ABI wants it; owns the C strings it points to.
pub(crate) struct RawMessage<'a> {
    sender: CString,
    _recipients: Vec<CString>,
    pointers: Vec<*const c_char>,
    count: u32,
    content: &'a [u8],
}

impl RawMessage<'_> {
    pub(crate) fn get(&self) -> sys::uvmapi_message {
        sys::uvmapi_message {
            version: sys::UVMAPI_MESSAGE_VERSION,
            sender: self.sender.as_ptr(),
            recipients: if self.pointers.is_empty() {
                std::ptr::null()
            } else {
                self.pointers.as_ptr()
            },
            recipient_count: self.count,
            content: if self.content.is_empty() {
                std::ptr::null()
            } else {
                self.content.as_ptr().cast()
            },
            content_size: self.content.len(),
        }
    }
}
