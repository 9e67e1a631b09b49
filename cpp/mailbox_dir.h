// The on-disk side of the shared-directory transport: one mailbox directory
// per address under a shared root, in Maildir layout, with an envelope
// sidecar beside each delivered message.
//
//   root/<mailbox>/tmp/         files being written by senders
//   root/<mailbox>/new/         delivered messages, RFC 5322, one per file
//   root/<mailbox>/cur/         left to mail readers; the transport ignores it
//   root/<mailbox>/envelopes/   one envelope per message in new/, same name
//   root/<mailbox>/.receiver    lock: held by the one session that receives
//
// These are blocking POSIX calls. The transport runs them on the libuv
// threadpool (uv_queue_work), except the few directory creations at logon.
// They are safe to call from several threads at once. docs/shared-dir-transport.md
// describes the layout and the sequences.
#ifndef UVMAPI_CPP_MAILBOX_DIR_H
#define UVMAPI_CPP_MAILBOX_DIR_H

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "maildir_io.h"
#include "mapi_defs.h"
#include "message.h"

namespace uvmapi::mailbox {

// The directory name of an address's mailbox: the address with ASCII letters
// in lower case, so that Linux and case-insensitive macOS volumes agree.
// Empty, with why set, when the address cannot name a directory: empty,
// longer than 255 bytes, starting with '.', or holding '/', whitespace or
// control characters.
std::string mailbox_name(const std::string& address, std::string& why);

struct Paths {
  std::string dir;  // root/<mailbox>
  std::string tmp;
  std::string fresh;  // new/
  std::string cur;
  std::string envelopes;
};

// The paths of a mailbox, by its directory name (see mailbox_name).
Paths paths(const std::string& root, const std::string& mailbox);

// Creates root (its parent must exist) and the mailbox with its four
// subdirectories, each 0700, whatever part is missing.
HRESULT ensure(const std::string& root, const std::string& mailbox);

// Whether the mailbox exists (its new/ is a directory).
bool exists(const Paths& where);

// One copy of a message on its way into one mailbox.
struct Copy {
  Paths where;
  std::string name;  // Generated; never taken from the message.
  bool envelope_written = false;
  bool message_written = false;
  bool committed = false;
};

// Stages a copy: the envelope is written into envelopes/ and the message
// into tmp/, both are fsynced together, then envelopes/ is. Nothing is in
// new/ yet: a reader sees nothing. On failure what was written is removed
// again.
HRESULT stage(const Paths& where, const Envelope& envelope, const std::string& content, Copy& copy);

// The delivery: renames tmp/<name> to new/<name> and fsyncs new/.
HRESULT commit(Copy& copy);

// Removes what stage() left of a copy that was not committed.
void discard(Copy& copy);

// One message for one or more mailboxes: what a send writes.
struct Delivery {
  std::string root;
  std::vector<std::string> mailboxes;  // Directory names, each once.
  std::vector<std::string> addresses;  // The recipient address of each mailbox.
  std::string sender;
  std::string content;
  bool create_missing = false;  // Create a missing mailbox instead of failing.
};

enum class DeliveryOutcome { Delivered, Cancelled, Failed };

// Delivers a message into every mailbox of delivery, all or nothing up to the
// first rename: every copy is staged first (a missing mailbox, a failure or
// cancelled() returning true removes them all again and nothing is
// delivered); then before_commit runs (a test hook; may be null), cancelled()
// is asked one last time, and the copies are renamed into new/ one by one.
// Once the first rename is done the message counts as delivered; a failure
// after it reports Failed and leaves the copies already renamed (a retry
// delivers those again: at-least-once). Each mailbox's envelope names the
// sender and that mailbox's own recipient only.
DeliveryOutcome deliver(const Delivery& delivery, const std::function<bool()>& cancelled,
                        const std::function<void()>& before_commit, HRESULT& error,
                        std::string& why);

// The names in new/, oldest first (Maildir arrival order).
HRESULT list_new(const Paths& where, std::vector<std::string>& names);

enum class ReadOutcome {
  Read,        // message holds the file and its envelope.
  Gone,        // The file is no longer there (someone else took it).
  TooLarge,    // Bigger than max_bytes: left where it is.
  Unreadable,  // Not a regular file, or an I/O error: left where it is.
};

// Reads new/<name> and its envelope. Without an envelope sidecar (a file an
// external program dropped in), the envelope comes from the header fields,
// and the mailbox's own address stands in when they name no recipient.
ReadOutcome read(const Paths& where, const std::string& name, const std::string& address,
                 std::size_t max_bytes, Message& message, std::string& why);

// Removes new/<name>, fsyncs new/, then removes its envelope. A file that is
// already gone counts as removed.
HRESULT remove(const Paths& where, const std::string& name, std::string& why);

// Removes what crashed writers and readers left behind: files in tmp/ and
// envelopes without a message, all older than age. Returns how many.
std::size_t clean_stale(const Paths& where, std::chrono::seconds age);

// The receiver lock of a mailbox: a flock() on root/<mailbox>/.receiver.
// flock() locks belong to open file descriptions, so two sessions conflict
// whether they are in one process or two, and a dead process's lock goes.
class ReceiverLock {
 public:
  bool try_acquire(const Paths& where);
  void release();
  bool held() const { return static_cast<bool>(fd_); }

 private:
  maildir::Fd fd_;
};

}  // namespace uvmapi::mailbox

#endif
