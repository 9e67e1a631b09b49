// uvmapi for C++17: a header-only RAII wrapper over the C ABI.
//
// Everything here is inline code that calls the uvmapi_* functions of
// <uvmapi/uvmapi.h>; there is no second ABI to keep stable, and a program
// links libuvmapi exactly as a C program does. See docs/cpp.md.
//
// Error style: exceptions. A uvmapi call that fails throws uvmapi::Error,
// which carries the HRESULT and the library's sentence about it. The one
// exception to the rule is a timeout of Store::logoff: the logoff goes on in
// the runtime, so the call returns the Outcome as far as it is known
// (Outcome::finished is false) rather than throwing it away.
//
// In the other direction, the code a host writes for the library to call (a
// Transport, a TransportProvider, the on_logoff and logoff_async callbacks)
// may throw: the wrapper catches everything before it could cross into C.
// An Error thrown there becomes its HRESULT, std::bad_alloc becomes
// MAPI_E_NOT_ENOUGH_MEMORY and anything else MAPI_E_CALL_FAILED; a callback
// that cannot return an HRESULT reports the exception to
// Transport::unhandled_exception instead.
//
// Threads: the library's rules hold unchanged (docs/c-api.md, "Threads").
// Every const member of Runtime, Store and TransportSupport may be called
// from any thread; moving or assigning an object is not synchronised. A
// Transport's virtual functions run on the runtime's loop thread.
#ifndef UVMAPI_UVMAPI_HPP
#define UVMAPI_UVMAPI_HPP

#include <uvmapi/uvmapi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace uvmapi {

// ---------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------

// Opts a scoped enum into the bit operators below. Scoped enums keep flags of
// different calls apart (a NotifyFlags cannot be passed where LogoffFlags is
// expected), and the operators keep them usable as bit sets.
template <typename E>
struct is_flags : std::false_type {};

template <typename E>
constexpr bool is_flags_v = is_flags<E>::value;

template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr std::uint32_t bits(E flags) noexcept {
  return static_cast<std::uint32_t>(flags);
}

template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E operator|(E a, E b) noexcept {
  return static_cast<E>(bits(a) | bits(b));
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E operator&(E a, E b) noexcept {
  return static_cast<E>(bits(a) & bits(b));
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E operator^(E a, E b) noexcept {
  return static_cast<E>(bits(a) ^ bits(b));
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E operator~(E a) noexcept {
  return static_cast<E>(~bits(a));
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E& operator|=(E& a, E b) noexcept {
  return a = a | b;
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E& operator&=(E& a, E b) noexcept {
  return a = a & b;
}
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr E& operator^=(E& a, E b) noexcept {
  return a = a ^ b;
}
// True when any bit is set.
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr bool any(E flags) noexcept {
  return bits(flags) != 0;
}
// True when every bit of wanted is set in flags.
template <typename E, typename = std::enable_if_t<is_flags_v<E>>>
constexpr bool has(E flags, E wanted) noexcept {
  return (bits(flags) & bits(wanted)) == bits(wanted);
}

// The LOGOFF_ values of StoreLogoff and StoreLogoffTransports. As in MAPI,
// input flags (exactly one per call) and output flags share one set.
enum class LogoffFlags : std::uint32_t {
  None = 0,
  NoWait = LOGOFF_NO_WAIT,
  Orderly = LOGOFF_ORDERLY,
  Purge = LOGOFF_PURGE,
  Abort = LOGOFF_ABORT,
  Quiet = LOGOFF_QUIET,
  Complete = LOGOFF_COMPLETE,
  Inbound = LOGOFF_INBOUND,
  Outbound = LOGOFF_OUTBOUND,
  OutboundQueue = LOGOFF_OUTBOUND_QUEUE,
};
template <>
struct is_flags<LogoffFlags> : std::true_type {};

// IXPLogon::TransportNotify.
enum class NotifyFlags : std::uint32_t {
  None = 0,
  BeginInbound = NOTIFY_BEGIN_INBOUND,
  BeginOutbound = NOTIFY_BEGIN_OUTBOUND,
  BeginInboundFlush = NOTIFY_BEGIN_INBOUND_FLUSH,
  BeginOutboundFlush = NOTIFY_BEGIN_OUTBOUND_FLUSH,
  EndInbound = NOTIFY_END_INBOUND,
  EndOutbound = NOTIFY_END_OUTBOUND,
  EndInboundFlush = NOTIFY_END_INBOUND_FLUSH,
  EndOutboundFlush = NOTIFY_END_OUTBOUND_FLUSH,
  AbortDeferred = NOTIFY_ABORT_DEFERRED,
  CancelMessage = NOTIFY_CANCEL_MESSAGE,
};
template <>
struct is_flags<NotifyFlags> : std::true_type {};

// IXPLogon::FlushQueues.
enum class FlushFlags : std::uint32_t {
  None = 0,
  Upload = FLUSH_UPLOAD,
  Download = FLUSH_DOWNLOAD,
  Force = FLUSH_FORCE,
  NoUi = FLUSH_NO_UI,
  AsyncOk = FLUSH_ASYNC_OK,
};
template <>
struct is_flags<FlushFlags> : std::true_type {};

// IXPLogon::TransportLogoff.
enum class TransportLogoffFlags : std::uint32_t {
  None = 0,
  Normal = LOGOFF_NORMAL,
  Hurry = LOGOFF_HURRY,
};
template <>
struct is_flags<TransportLogoffFlags> : std::true_type {};

// "LOGOFF_COMPLETE|LOGOFF_OUTBOUND_QUEUE", "0" for none; bits without a name
// are written in hexadecimal.
inline std::string to_string(LogoffFlags flags) {
  static constexpr std::pair<LogoffFlags, const char*> kNames[] = {
      {LogoffFlags::NoWait, "LOGOFF_NO_WAIT"},
      {LogoffFlags::Orderly, "LOGOFF_ORDERLY"},
      {LogoffFlags::Purge, "LOGOFF_PURGE"},
      {LogoffFlags::Abort, "LOGOFF_ABORT"},
      {LogoffFlags::Quiet, "LOGOFF_QUIET"},
      {LogoffFlags::Complete, "LOGOFF_COMPLETE"},
      {LogoffFlags::Inbound, "LOGOFF_INBOUND"},
      {LogoffFlags::Outbound, "LOGOFF_OUTBOUND"},
      {LogoffFlags::OutboundQueue, "LOGOFF_OUTBOUND_QUEUE"},
  };
  std::string out;
  std::uint32_t rest = bits(flags);
  for (const auto& [bit, name] : kNames) {
    if ((rest & bits(bit)) == 0) continue;
    rest &= ~bits(bit);
    if (!out.empty()) out += '|';
    out += name;
  }
  if (rest != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(rest));
    if (!out.empty()) out += '|';
    out += hex;
  }
  return out.empty() ? "0" : out;
}

// The three folders of a store.
enum class Folder : int {
  Inbox = UVMAPI_FOLDER_INBOX,
  Outbox = UVMAPI_FOLDER_OUTBOX,
  SentItems = UVMAPI_FOLDER_SENT_ITEMS,
};

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

// A failed uvmapi call: the HRESULT and the library's sentence about it.
class Error : public std::runtime_error {
 public:
  Error(uvmapi_hresult code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  uvmapi_hresult code() const noexcept { return code_; }
  // "MAPI_E_BUSY" and so on.
  std::string name() const { return uvmapi_hresult_name(code_); }

 private:
  uvmapi_hresult code_;
};

namespace detail {

// The Error for the calling thread's failed call, read at once: the
// library's text is valid only until this thread's next call into it.
inline Error last_error(uvmapi_hresult hr, const char* call) {
  std::string message = call;
  message += ": ";
  message += uvmapi_hresult_name(hr);
  const char* why = uvmapi_last_error_message();
  if (why != nullptr && *why != '\0') {
    message += ": ";
    message += why;
  }
  return Error(hr, message);
}

// Throws the calling thread's last error when hr failed.
inline void check(uvmapi_hresult hr, const char* call) {
  if (UVMAPI_FAILED(hr)) throw last_error(hr, call);
}

// Thrown by the wrapper itself for an object that holds no handle (moved
// from, released, or consumed by a logoff). MAPI_E_INVALID_OBJECT is what the
// library answers for a released handle, which is what such an object is.
[[noreturn]] inline void throw_empty(const char* what) {
  throw Error(
      MAPI_E_INVALID_OBJECT,
      std::string(what) +
          ": MAPI_E_INVALID_OBJECT: it holds no handle (moved from, released or logged off)");
}

// The HRESULT that stands for the exception being handled; only inside a
// catch block. Used where the library called us and must get an HRESULT back.
inline uvmapi_hresult current_exception_hresult() noexcept {
  try {
    throw;
  } catch (const Error& error) {
    return UVMAPI_FAILED(error.code()) ? error.code() : MAPI_E_CALL_FAILED;
  } catch (const std::bad_alloc&) {
    return MAPI_E_NOT_ENOUGH_MEMORY;
  } catch (...) {
    return MAPI_E_CALL_FAILED;
  }
}

inline std::uint32_t clamp_ms(std::chrono::milliseconds duration) noexcept {
  if (duration.count() <= 0) return 0;
  return static_cast<std::uint32_t>(
      std::min<std::chrono::milliseconds::rep>(duration.count(), UINT32_MAX));
}

}  // namespace detail

// ---------------------------------------------------------------------------
// Messages and outcomes
// ---------------------------------------------------------------------------

// A message: an envelope and the RFC 5322 bytes the transports carry.
struct Message {
  std::string sender;
  std::vector<std::string> recipients;
  std::string content;

  friend bool operator==(const Message& a, const Message& b) {
    return a.sender == b.sender && a.recipients == b.recipients && a.content == b.content;
  }
  friend bool operator!=(const Message& a, const Message& b) { return !(a == b); }
};

namespace detail {

// A uvmapi_message that borrows a Message for the length of one call, as the
// ABI wants: the library copies what it keeps before the call returns.
class MessageView {
 public:
  explicit MessageView(const Message& message) : recipients_(message.recipients.size()) {
    for (std::size_t i = 0; i < recipients_.size(); ++i) {
      recipients_[i] = message.recipients[i].c_str();
    }
    view_.version = UVMAPI_MESSAGE_VERSION;
    view_.sender = message.sender.c_str();
    view_.recipients = recipients_.empty() ? nullptr : recipients_.data();
    view_.recipient_count = static_cast<std::uint32_t>(recipients_.size());
    view_.content = message.content.data();
    view_.content_size = message.content.size();
  }
  MessageView(const MessageView&) = delete;
  MessageView& operator=(const MessageView&) = delete;

  const uvmapi_message* get() const noexcept { return &view_; }

 private:
  std::vector<const char*> recipients_;
  uvmapi_message view_{};
};

// A Message copied out of a uvmapi_message the library lent us.
inline Message copy_message(const uvmapi_message& message) {
  Message out;
  if (message.sender != nullptr) out.sender = message.sender;
  out.recipients.reserve(message.recipient_count);
  for (std::uint32_t i = 0; i < message.recipient_count && message.recipients != nullptr; ++i) {
    out.recipients.emplace_back(message.recipients[i] ? message.recipients[i] : "");
  }
  if (message.content != nullptr && message.content_size > 0) {
    out.content.assign(static_cast<const char*>(message.content), message.content_size);
  }
  return out;
}

}  // namespace detail

// The outcome of a logoff (uvmapi_logoff_outcome), reported at two moments:
// when control returns to the caller, and finally, when the store is
// released or the logoff given up. See docs/semantics.md, "Output flags".
struct Outcome {
  LogoffFlags requested = LogoffFlags::None;  // The input flag the logoff ran with.
  uvmapi_hresult status = UVMAPI_S_OK;        // S_OK, or MAPI_E_UNABLE_TO_ABORT.
  LogoffFlags at_return = LogoffFlags::None;  // Valid when returned.
  LogoffFlags at_final = LogoffFlags::None;   // Valid when finished.
  bool returned = false;
  bool finished = false;   // Nothing in this outcome will change any more.
  bool released = false;   // The opener was released: the logoff happened.
  bool escalated = false;  // A drain passed its deadline and became an abort.
  bool forced = false;     // Runtime shutdown ended a store that would not stop.

  static Outcome from(const uvmapi_logoff_outcome& c) noexcept {
    Outcome out;
    out.requested = static_cast<LogoffFlags>(c.requested);
    out.status = c.status;
    out.at_return = static_cast<LogoffFlags>(c.flags_at_return);
    out.at_final = static_cast<LogoffFlags>(c.flags_at_final);
    out.returned = c.returned != 0;
    out.finished = c.finished != 0;
    out.released = c.released != 0;
    out.escalated = c.escalated != 0;
    out.forced = c.forced != 0;
    return out;
  }
};

// ---------------------------------------------------------------------------
// Transports written in C++
// ---------------------------------------------------------------------------

// The spooler's side of one transport session (uvmapi_xpsupport): a smart
// pointer that holds one reference. Copies share the handle (AddRef); the
// destructor releases. Any thread may call it, but never while holding a lock
// that the transport's own virtual functions take (docs/c-api.md, "The
// threading rule"): a call from another thread waits for the loop thread.
class TransportSupport {
 public:
  TransportSupport() noexcept = default;
  // Adds a reference of its own to support.
  explicit TransportSupport(uvmapi_xpsupport* support) : support_(support) {
    if (support_ != nullptr) {
      detail::check(uvmapi_xpsupport_add_ref(support_, nullptr), "uvmapi_xpsupport_add_ref");
    }
  }
  TransportSupport(const TransportSupport& other) : TransportSupport(other.support_) {}
  TransportSupport(TransportSupport&& other) noexcept
      : support_(std::exchange(other.support_, nullptr)) {}
  TransportSupport& operator=(TransportSupport other) noexcept {
    std::swap(support_, other.support_);
    return *this;
  }
  ~TransportSupport() { reset(); }

  void reset() noexcept {
    // A failure here (the runtime is already destroyed) leaves nothing to undo.
    if (support_ != nullptr) uvmapi_xpsupport_release(std::exchange(support_, nullptr), nullptr);
  }

  // Ends a send: S_OK (the peer has it), MAPI_E_USER_CANCEL (cancelled; back
  // to the queue) or another failure (it stays in the Outbox, deferred).
  void complete_send(std::uint64_t send, uvmapi_hresult result = UVMAPI_S_OK) const {
    detail::check(uvmapi_xpsupport_complete_send(handle(), send, result),
                  "uvmapi_xpsupport_complete_send");
  }
  // Starts a delivery into the store. Throws MAPI_E_BUSY when the store takes
  // no new mail: leave the message at its source.
  std::uint64_t begin_inbound() const {
    std::uint64_t receive = 0;
    detail::check(uvmapi_xpsupport_begin_inbound(handle(), &receive),
                  "uvmapi_xpsupport_begin_inbound");
    return receive;
  }
  // Returns only once the message is in the Inbox: only then delete it at its source.
  void commit_inbound(std::uint64_t receive, const Message& message) const {
    detail::MessageView view(message);
    detail::check(uvmapi_xpsupport_commit_inbound(handle(), receive, view.get()),
                  "uvmapi_xpsupport_commit_inbound");
  }
  void abort_inbound(std::uint64_t receive) const {
    detail::check(uvmapi_xpsupport_abort_inbound(handle(), receive),
                  "uvmapi_xpsupport_abort_inbound");
  }
  // The transport takes sends again after refusing one with SendAnswer::Busy.
  void notify_ready() const {
    detail::check(uvmapi_xpsupport_notify_ready(handle()), "uvmapi_xpsupport_notify_ready");
  }
  // Answers Transport::flush.
  void flush_complete() const {
    detail::check(uvmapi_xpsupport_flush_complete(handle()), "uvmapi_xpsupport_flush_complete");
  }

  uvmapi_xpsupport* get() const noexcept { return support_; }
  explicit operator bool() const noexcept { return support_ != nullptr; }

 private:
  uvmapi_xpsupport* handle() const {
    if (support_ == nullptr) detail::throw_empty("uvmapi::TransportSupport");
    return support_;
  }

  uvmapi_xpsupport* support_ = nullptr;
};

// What a transport answers when the spooler offers it a message.
enum class SendAnswer {
  Accepted,  // S_OK: held until support().complete_send(send, ...).
  Busy,      // MAPI_E_BUSY: not now; call support().notify_ready() when ready.
};

// One transport session (IXPLogon), written by a C++ host: derive from it and
// return it from a TransportProvider. The runtime calls the virtual functions
// on its loop thread only; they must not block. Throwing an Error from submit
// fails the send with its HRESULT (the message stays in the Outbox,
// deferred); an exception from the other functions is caught and handed to
// unhandled_exception.
class Transport {
 public:
  explicit Transport(TransportSupport support) : support_(std::move(support)) {}
  virtual ~Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // The spooler offers a message, named send from now on. The message is a
  // copy that belongs to the transport.
  virtual SendAnswer submit(std::uint64_t send, const Message& message) = 0;
  // Send what is deferred, fetch what waits at the source, as flags say; then
  // answer with support().flush_complete(), now or later. The default has
  // nothing to flush and answers at once.
  virtual void flush(FlushFlags flags) {
    static_cast<void>(flags);
    support().flush_complete();
  }
  // The store's state changed, or (NotifyFlags::CancelMessage) the send or
  // receive named activity is to be cancelled: complete_send(activity,
  // MAPI_E_USER_CANCEL) or abort_inbound(activity).
  virtual void notify(NotifyFlags flags, std::uint64_t activity) {
    static_cast<void>(flags);
    static_cast<void>(activity);
  }
  // The session ends (Normal or Hurry): whatever it still holds stays in the
  // Outbox or at its source. No call follows.
  virtual void logoff(TransportLogoffFlags flags) { static_cast<void>(flags); }
  // An exception escaped flush, notify or logoff (slot names the C slot). It
  // is the current exception, so std::current_exception() works here.
  virtual void unhandled_exception(const char* slot) noexcept { static_cast<void>(slot); }

  const TransportSupport& support() const noexcept { return support_; }

 private:
  TransportSupport support_;
};

// IXPProvider: makes one session per store logon. Called on the loop thread.
// Returning nullptr or throwing fails the store's logon (the open fails).
class TransportProvider {
 public:
  virtual ~TransportProvider() = default;
  virtual std::shared_ptr<Transport> logon(const std::string& store_name,
                                           TransportSupport support) = 0;
};

namespace detail {

// The C object the runtime holds for a C++ Transport: the uvmapi_transport
// interface first, so the runtime's pointer is also a pointer to the session.
// The session owns one reference to the Transport and frees itself when the
// runtime's reference goes (after TransportLogoff).
struct TransportSession {
  uvmapi_transport iface;
  std::atomic<std::uint32_t> refs;
  std::shared_ptr<Transport> transport;
};
static_assert(std::is_standard_layout_v<TransportSession>,
              "the session must start with its interface for the runtime's pointer to work");

// Routes the C vtable to the Transport, catching every exception on the way.
struct TransportBridge {
  static TransportSession* session(uvmapi_transport* self) noexcept {
    return reinterpret_cast<TransportSession*>(self);
  }

  static uvmapi_hresult query_interface(uvmapi_transport* self, const uvmapi_iid* iid,
                                        void** object) noexcept {
    if (iid == nullptr || object == nullptr) return MAPI_E_INVALID_PARAMETER;
    if (std::memcmp(iid, &uvmapi_iid_unknown, sizeof *iid) == 0 ||
        std::memcmp(iid, &uvmapi_iid_transport, sizeof *iid) == 0) {
      add_ref(self);
      *object = self;
      return UVMAPI_S_OK;
    }
    *object = nullptr;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
  }

  static std::uint32_t add_ref(uvmapi_transport* self) noexcept { return ++session(self)->refs; }

  static std::uint32_t release(uvmapi_transport* self) noexcept {
    TransportSession* s = session(self);
    std::uint32_t left = --s->refs;
    if (left == 0) delete s;  // Drops the session's reference to the Transport.
    return left;
  }

  static uvmapi_hresult submit_message(uvmapi_transport* self, uint64_t send,
                                       const uvmapi_message* message) noexcept {
    try {
      if (message == nullptr) return MAPI_E_INVALID_PARAMETER;
      SendAnswer answer = session(self)->transport->submit(send, copy_message(*message));
      return answer == SendAnswer::Accepted ? UVMAPI_S_OK : MAPI_E_BUSY;
    } catch (...) {
      return current_exception_hresult();
    }
  }

  static void flush_queues(uvmapi_transport* self, uint32_t flags) noexcept {
    Transport& transport = *session(self)->transport;
    try {
      transport.flush(static_cast<FlushFlags>(flags));
    } catch (...) {
      transport.unhandled_exception("FlushQueues");
    }
  }

  static void transport_notify(uvmapi_transport* self, uint32_t flags, uint64_t activity) noexcept {
    Transport& transport = *session(self)->transport;
    try {
      transport.notify(static_cast<NotifyFlags>(flags), activity);
    } catch (...) {
      transport.unhandled_exception("TransportNotify");
    }
  }

  static void transport_logoff(uvmapi_transport* self, uint32_t flags) noexcept {
    Transport& transport = *session(self)->transport;
    try {
      transport.logoff(static_cast<TransportLogoffFlags>(flags));
    } catch (...) {
      transport.unhandled_exception("TransportLogoff");
    }
  }

  static const uvmapi_transport_vtbl* vtable() noexcept {
    static const uvmapi_transport_vtbl table = {
        UVMAPI_TRANSPORT_VTBL_VERSION,
        query_interface,
        add_ref,
        release,
        submit_message,
        flush_queues,
        transport_notify,
        transport_logoff,
    };
    return &table;
  }

  // uvmapi_transport_provider.TransportLogon; context is the TransportProvider.
  static uvmapi_hresult transport_logon(void* context, const char* store_name,
                                        uvmapi_xpsupport* support,
                                        uvmapi_transport** out) noexcept {
    try {
      if (store_name == nullptr || support == nullptr || out == nullptr) {
        return MAPI_E_INVALID_PARAMETER;
      }
      auto* provider = static_cast<TransportProvider*>(context);
      std::shared_ptr<Transport> transport = provider->logon(store_name, TransportSupport(support));
      if (!transport) return MAPI_E_CALL_FAILED;
      auto* created = new TransportSession{{vtable()}, {1}, std::move(transport)};
      *out = &created->iface;
      return UVMAPI_S_OK;
    } catch (...) {
      return current_exception_hresult();
    }
  }
};

}  // namespace detail

// ---------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------

// One reference to an opener of a store (IMsgStore). Move-only; the
// destructor releases the reference, and the last release logs the store off
// with the flag saved by store_logoff (ABORT if none), without waiting. To
// learn the outcome, or wait for it, use logoff() instead.
class Store {
 public:
  Store() noexcept = default;
  // Takes over one reference the caller holds.
  explicit Store(uvmapi_store* adopted) noexcept : store_(adopted) {}
  Store(Store&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
  Store& operator=(Store&& other) noexcept {
    if (this != &other) {
      reset();
      store_ = std::exchange(other.store_, nullptr);
    }
    return *this;
  }
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store() { reset(); }

  // Another reference to the same opener (AddRef). While it lives, this
  // opener's one-call logoff fails with MAPI_E_BUSY.
  Store add_ref() const {
    detail::check(uvmapi_store_add_ref(handle(), nullptr), "uvmapi_store_add_ref");
    return Store(store_);
  }

  // IMsgStore::StoreLogoff: checks and saves flag (exactly one input flag);
  // nothing else happens. Returns the store's activity bits.
  LogoffFlags store_logoff(LogoffFlags flag) const {
    std::uint32_t flags = bits(flag);
    detail::check(uvmapi_store_logoff(handle(), &flags), "uvmapi_store_logoff");
    return static_cast<LogoffFlags>(flags);
  }

  // The activity bits (Inbound, Outbound, OutboundQueue), saving nothing.
  LogoffFlags activity() const {
    std::uint32_t flags = 0;
    detail::check(uvmapi_store_activity(handle(), &flags), "uvmapi_store_activity");
    return static_cast<LogoffFlags>(flags);
  }

  // Puts a copy of message in the Outbox and returns its id. Throws
  // MAPI_E_BUSY while the store logs off: nothing was taken.
  std::uint64_t submit(const Message& message) const {
    detail::MessageView view(message);
    std::uint64_t id = 0;
    detail::check(uvmapi_store_submit(handle(), view.get(), &id), "uvmapi_store_submit");
    return id;
  }

  std::uint32_t count(Folder folder) const {
    std::uint32_t n = 0;
    detail::check(uvmapi_store_folder_count(handle(), static_cast<uvmapi_folder>(folder), &n),
                  "uvmapi_store_folder_count");
    return n;
  }

  // The ids of a folder's messages, oldest first.
  std::vector<std::uint64_t> list(Folder folder) const {
    std::vector<std::uint64_t> ids;
    std::uint32_t size = 0;
    // The folder may grow between the two calls: ask until everything fits.
    do {
      ids.resize(size);
      detail::check(uvmapi_store_list(handle(), static_cast<uvmapi_folder>(folder),
                                      ids.empty() ? nullptr : ids.data(),
                                      static_cast<std::uint32_t>(ids.size()), &size),
                    "uvmapi_store_list");
    } while (size > ids.size());
    ids.resize(size);
    return ids;
  }

  Message read(std::uint64_t id) const {
    uvmapi_message_data* data = nullptr;
    detail::check(uvmapi_store_read(handle(), id, &data), "uvmapi_store_read");
    std::unique_ptr<uvmapi_message_data, void (*)(uvmapi_message_data*)> owned(data,
                                                                               uvmapi_message_free);
    return detail::copy_message(owned->message);
  }

  // The one-call logoff: store_logoff(flag), then the release of this
  // reference, which must be the last one, then a wait of up to timeout for
  // the final outcome. Call it as std::move(store).logoff(...).
  //
  // If the library refuses before anything happens (MAPI_E_BUSY because
  // another reference is alive, a bad flag, a released store...), it throws
  // Error and the Store still holds its reference. Otherwise the reference is
  // consumed and the Store is left empty, and the call returns the Outcome:
  // final (finished) or, when timeout passed first, as far as it is known
  // (returned is set for the modes that return at once); the logoff goes on
  // and the runtime's on_logoff hears its end. Fails on the loop thread.
  Outcome logoff(LogoffFlags flag, std::chrono::milliseconds timeout) && {
    uvmapi_logoff_outcome outcome{};
    outcome.version = UVMAPI_LOGOFF_OUTCOME_VERSION;
    uvmapi_hresult hr =
        uvmapi_store_logoff_wait(handle(), bits(flag), detail::clamp_ms(timeout), &outcome);
    if (hr == MAPI_E_TIMEOUT) {
      store_ = nullptr;
      return Outcome::from(outcome);
    }
    detail::check(hr, "uvmapi_store_logoff_wait");
    store_ = nullptr;
    return Outcome::from(outcome);
  }

  // The one-call logoff without waiting: done runs once, on the loop thread,
  // with the final outcome (possibly before logoff_async returns). Errors as
  // for logoff(); after an error done is never called. An exception thrown
  // by done is swallowed: the loop thread has nobody to hand it to.
  void logoff_async(LogoffFlags flag, std::function<void(const Outcome&)> done) && {
    using Done = std::function<void(const Outcome&)>;
    auto callback = std::make_unique<Done>(std::move(done));
    uvmapi_hresult hr = uvmapi_store_logoff_async(
        handle(), bits(flag),
        [](void* context, const uvmapi_logoff_outcome* outcome) {
          std::unique_ptr<Done> fn(static_cast<Done*>(context));
          try {
            if (*fn) (*fn)(Outcome::from(*outcome));
          } catch (...) {
          }
        },
        callback.get());
    detail::check(hr, "uvmapi_store_logoff_async");
    callback.release();  // Now owned by the pending call: freed after done ran.
    store_ = nullptr;
  }

  // Releases this reference now (what the destructor does), and throws if
  // the library refused it. The Store is empty afterwards either way.
  void release() {
    uvmapi_store* store = handle();
    store_ = nullptr;
    detail::check(uvmapi_store_release(store, nullptr), "uvmapi_store_release");
  }

  // Gives up the reference without releasing it: the caller releases it.
  uvmapi_store* detach() noexcept { return std::exchange(store_, nullptr); }
  uvmapi_store* get() const noexcept { return store_; }
  explicit operator bool() const noexcept { return store_ != nullptr; }

 private:
  void reset() noexcept {
    // Nothing to do about a failure here: the handle is gone either way.
    if (store_ != nullptr) uvmapi_store_release(std::exchange(store_, nullptr), nullptr);
  }
  uvmapi_store* handle() const {
    if (store_ == nullptr) detail::throw_empty("uvmapi::Store");
    return store_;
  }

  uvmapi_store* store_ = nullptr;
};

// ---------------------------------------------------------------------------
// The SMTP transport
// ---------------------------------------------------------------------------

// How the connection is secured (UVMAPI_SMTP_SECURITY_*).
enum class SmtpSecurity : std::uint32_t {
  Default = UVMAPI_SMTP_SECURITY_DEFAULT,  // As the URL says: smtp:// STARTTLS, smtps:// TLS.
  None = UVMAPI_SMTP_SECURITY_NONE,        // Plain text throughout.
  StartTls = UVMAPI_SMTP_SECURITY_STARTTLS,
  Implicit = UVMAPI_SMTP_SECURITY_IMPLICIT,
};

// The SASL mechanism (UVMAPI_SMTP_AUTH_*). Any: PLAIN if offered, else LOGIN.
enum class SmtpAuth : std::uint32_t {
  Any = UVMAPI_SMTP_AUTH_ANY,
  Plain = UVMAPI_SMTP_AUTH_PLAIN,
  Login = UVMAPI_SMTP_AUTH_LOGIN,
};

// The options of Runtime::add_smtp_transport, as a builder:
//   runtime.add_smtp_transport(uvmapi::SmtpOptions("smtp://mail.example.org")
//                                  .username("alice").password(secret));
// Anything not set keeps the library's default (docs/smtp.md).
class SmtpOptions {
 public:
  // "smtp://[user@]host[:port]" (STARTTLS) or "smtps://[user@]host[:port]"
  // (TLS from the first byte). A password in the URL is refused: use password().
  explicit SmtpOptions(std::string url) : url_(std::move(url)) {}

  SmtpOptions& security(SmtpSecurity security) noexcept {
    security_ = security;
    return *this;
  }
  // A PEM bundle to trust instead of the system's certificates.
  SmtpOptions& ca_file(std::string path) {
    ca_file_ = std::move(path);
    return *this;
  }
  // The name checked in the certificate and sent as SNI (default: the URL's host).
  SmtpOptions& tls_server_name(std::string name) {
    tls_server_name_ = std::move(name);
    return *this;
  }
  // The user to authenticate as (default: the URL's user, or none).
  SmtpOptions& username(std::string user) {
    username_ = std::move(user);
    return *this;
  }
  SmtpOptions& password(std::string password) {
    password_ = std::move(password);
    return *this;
  }
  SmtpOptions& auth_mechanism(SmtpAuth mechanism) noexcept {
    auth_ = mechanism;
    return *this;
  }
  // The name given in EHLO (default "localhost").
  SmtpOptions& helo_name(std::string name) {
    helo_name_ = std::move(name);
    return *this;
  }
  // false: do not check the server's certificate chain or host name.
  SmtpOptions& verify(bool verify) noexcept {
    set_flag(UVMAPI_SMTP_NO_VERIFY, !verify);
    return *this;
  }
  // Authenticate even over a connection that is not encrypted.
  SmtpOptions& allow_plaintext_auth(bool allow) noexcept {
    set_flag(UVMAPI_SMTP_ALLOW_PLAINTEXT_AUTH, allow);
    return *this;
  }
  // false: one command at a time even when the server offers PIPELINING.
  SmtpOptions& pipelining(bool pipelining) noexcept {
    set_flag(UVMAPI_SMTP_NO_PIPELINING, !pipelining);
    return *this;
  }
  // Parallel connections per store (default 1).
  SmtpOptions& connections(std::uint32_t connections) {
    // 0 would mean "the default" to the library, a surprise for whoever wrote it.
    if (connections == 0) refuse("connections", "is at least 1");
    connections_ = connections;
    return *this;
  }
  // Each between 1 ms and 2^32-1 ms.
  SmtpOptions& connect_timeout(std::chrono::milliseconds timeout) {
    return set_ms(connect_timeout_ms_, timeout, "connect_timeout");
  }
  SmtpOptions& command_timeout(std::chrono::milliseconds timeout) {
    return set_ms(command_timeout_ms_, timeout, "command_timeout");
  }
  SmtpOptions& data_timeout(std::chrono::milliseconds timeout) {
    return set_ms(data_timeout_ms_, timeout, "data_timeout");
  }
  SmtpOptions& idle_timeout(std::chrono::milliseconds timeout) {
    return set_ms(idle_timeout_ms_, timeout, "idle_timeout");
  }
  // The first retry of a message that failed for now; it doubles up to retry_max.
  SmtpOptions& retry_initial(std::chrono::milliseconds delay) {
    return set_ms(retry_initial_ms_, delay, "retry_initial");
  }
  SmtpOptions& retry_max(std::chrono::milliseconds delay) {
    return set_ms(retry_max_ms_, delay, "retry_max");
  }

  // The C struct; its strings point into this object, which must outlive it.
  // Throws MAPI_E_INVALID_PARAMETER for a string with a NUL inside, which C
  // would read as a shorter one. The message names the field, never its value.
  uvmapi_smtp_options to_c() const {
    uvmapi_smtp_options c = UVMAPI_SMTP_OPTIONS_INIT;
    c.url = c_str(url_, "url");
    c.security = static_cast<std::uint32_t>(security_);
    c.flags = flags_;
    c.ca_file = c_str(ca_file_, "ca_file");
    c.tls_server_name = c_str(tls_server_name_, "tls_server_name");
    c.username = c_str(username_, "username");
    c.password = c_str(password_, "password");
    c.auth_mechanism = static_cast<std::uint32_t>(auth_);
    c.helo_name = c_str(helo_name_, "helo_name");
    c.connections = connections_;
    c.connect_timeout_ms = connect_timeout_ms_;
    c.command_timeout_ms = command_timeout_ms_;
    c.data_timeout_ms = data_timeout_ms_;
    c.idle_timeout_ms = idle_timeout_ms_;
    c.retry_initial_ms = retry_initial_ms_;
    c.retry_max_ms = retry_max_ms_;
    return c;
  }

 private:
  [[noreturn]] static void refuse(const char* field, const char* why) {
    throw Error(MAPI_E_INVALID_PARAMETER, std::string("uvmapi::SmtpOptions::") + field +
                                              ": MAPI_E_INVALID_PARAMETER: it " + why);
  }
  static const char* c_str(const std::string& text, const char* field) {
    if (text.find('\0') != std::string::npos) refuse(field, "contains a NUL character");
    return text.c_str();
  }
  static const char* c_str(const std::optional<std::string>& text, const char* field) {
    return text ? c_str(*text, field) : nullptr;
  }
  SmtpOptions& set_ms(std::uint32_t& slot, std::chrono::milliseconds ms, const char* field) {
    if (ms.count() <= 0 || ms.count() > UINT32_MAX) refuse(field, "is between 1 ms and 2^32-1 ms");
    slot = static_cast<std::uint32_t>(ms.count());
    return *this;
  }
  void set_flag(std::uint32_t flag, bool on) noexcept {
    flags_ = on ? (flags_ | flag) : (flags_ & ~flag);
  }

  std::string url_;
  SmtpSecurity security_ = SmtpSecurity::Default;
  std::uint32_t flags_ = 0;
  std::optional<std::string> ca_file_, tls_server_name_, username_, password_, helo_name_;
  SmtpAuth auth_ = SmtpAuth::Any;
  std::uint32_t connections_ = 0;
  std::uint32_t connect_timeout_ms_ = 0, command_timeout_ms_ = 0, data_timeout_ms_ = 0;
  std::uint32_t idle_timeout_ms_ = 0, retry_initial_ms_ = 0, retry_max_ms_ = 0;
};

// What the SMTP sessions of one store did, summed over its logons.
struct SmtpStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_failed = 0;  // Could not connect, greet, secure or authenticate.
  std::uint64_t transactions = 0;        // MAIL FROM sent.
  std::uint64_t messages_sent = 0;       // Moved to Sent Items.
  std::uint64_t messages_deferred = 0;   // Failed for now: left in the Outbox to retry.
  std::uint64_t messages_failed = 0;     // Refused for good by every recipient.
  std::uint64_t recipients_accepted = 0;
  std::uint64_t recipients_deferred = 0;
  std::uint64_t recipients_refused = 0;
  std::uint64_t reports_delivered = 0;  // Non-delivery reports committed to the Inbox.
  std::uint64_t cancels = 0;            // Sends handed back on NOTIFY_CANCEL_MESSAGE.
  std::uint64_t retries_scheduled = 0;
  std::string last_problem;  // The newest problem, for humans; never a password.

  static SmtpStats from(const uvmapi_smtp_stats& c) {
    SmtpStats stats;
    stats.connections_opened = c.connections_opened;
    stats.connections_failed = c.connections_failed;
    stats.transactions = c.transactions;
    stats.messages_sent = c.messages_sent;
    stats.messages_deferred = c.messages_deferred;
    stats.messages_failed = c.messages_failed;
    stats.recipients_accepted = c.recipients_accepted;
    stats.recipients_deferred = c.recipients_deferred;
    stats.recipients_refused = c.recipients_refused;
    stats.reports_delivered = c.reports_delivered;
    stats.cancels = c.cancels;
    stats.retries_scheduled = c.retries_scheduled;
    // NUL-terminated by the library; bounded here all the same.
    const char* text = c.last_problem;
    const void* end = std::memchr(text, '\0', sizeof c.last_problem);
    stats.last_problem.assign(text, end ? static_cast<const char*>(end) - text
                                        : static_cast<std::ptrdiff_t>(sizeof c.last_problem));
    return stats;
  }
};

// ---------------------------------------------------------------------------
// The runtime
// ---------------------------------------------------------------------------

// Called on the loop thread with the final outcome of every logoff.
using LogoffCallback = std::function<void(const std::string& store_name, const Outcome&)>;

// A runtime: one libuv loop that runs the stores, their spoolers and the
// transports. Move-only; the destructor shuts it down and destroys it.
class Runtime {
 public:
  // The runtime's options, as a builder:
  //   Runtime runtime(Runtime::Options().drain_deadline(10s).on_logoff(log));
  class Options {
   public:
    Options() {
      detail::check(uvmapi_runtime_options_init(&options_, UVMAPI_RUNTIME_OPTIONS_VERSION),
                    "uvmapi_runtime_options_init");
    }

    // How long NO_WAIT, ORDERLY and PURGE may drain before they become ABORT.
    Options& drain_deadline(std::chrono::milliseconds deadline) {
      options_.drain_deadline_ms = positive_ms(deadline, "drain_deadline");
      return *this;
    }
    // How long an abort waits for the transports to stop.
    Options& abort_deadline(std::chrono::milliseconds deadline) {
      options_.abort_deadline_ms = positive_ms(deadline, "abort_deadline");
      return *this;
    }
    // A uv_loop_t* the host runs with uv_run on the thread that creates the
    // runtime, instead of the runtime's own thread.
    Options& host_loop(void* loop) noexcept {
      options_.host_loop = loop;
      return *this;
    }
    Options& on_logoff(LogoffCallback callback) {
      on_logoff_ = std::move(callback);
      return *this;
    }

   private:
    friend class Runtime;
    static std::uint32_t positive_ms(std::chrono::milliseconds deadline, const char* what) {
      // 0 would mean "the default" to the library, a surprise for a caller
      // who wrote 0ms: refuse it, and anything a uint32_t cannot hold.
      if (deadline.count() <= 0 || deadline.count() > UINT32_MAX) {
        throw Error(MAPI_E_INVALID_PARAMETER,
                    std::string("uvmapi::Runtime::Options::") + what +
                        ": MAPI_E_INVALID_PARAMETER: a deadline is between 1 ms and 2^32-1 ms");
      }
      return static_cast<std::uint32_t>(deadline.count());
    }

    uvmapi_runtime_options options_{};
    LogoffCallback on_logoff_;
  };

  Runtime() : Runtime(Options()) {}
  explicit Runtime(Options options) : state_(std::make_unique<State>()) {
    state_->on_logoff = std::move(options.on_logoff_);
    uvmapi_runtime_options c = options.options_;
    if (state_->on_logoff) {
      c.on_logoff = &Runtime::logoff_trampoline;
      c.on_logoff_context = state_.get();
    }
    detail::check(uvmapi_runtime_create(&c, &runtime_), "uvmapi_runtime_create");
  }
  Runtime(Runtime&& other) noexcept
      : runtime_(std::exchange(other.runtime_, nullptr)), state_(std::move(other.state_)) {}
  Runtime& operator=(Runtime&& other) noexcept {
    if (this != &other) {
      destroy();
      runtime_ = std::exchange(other.runtime_, nullptr);
      state_ = std::move(other.state_);
    }
    return *this;
  }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // Shuts down (logging off every store still open, within the deadlines)
  // and frees the runtime. Do not destroy a Runtime on its loop thread (in
  // a callback): the library refuses, and the runtime is then leaked.
  ~Runtime() { destroy(); }

  // Logs off every store still open, ends by force what would not log off,
  // and stops the loop; every Store of this runtime fails with
  // MAPI_E_INVALID_OBJECT afterwards. Not on the loop thread.
  void shutdown() const {
    detail::check(uvmapi_runtime_shutdown(handle()), "uvmapi_runtime_shutdown");
  }

  // Logs on to the in-memory store called name (a second open of the same
  // name is another opener of the same store). Its messages live as long as
  // the runtime.
  Store open_store(const std::string& name) const { return open(name.c_str(), nullptr); }

  // Logs on to the durable store in the directory path (Maildir folders,
  // created when missing; docs/store.md), under name, or under the path
  // itself when name is empty. Other processes may open the same directory:
  // the shared-store rule holds across them.
  Store open_durable_store(const std::string& path, const std::string& name = {}) const {
    return open(name.empty() ? nullptr : name.c_str(), path.c_str());
  }

  // Registers a transport provider: stores logged on from now on get a
  // session of it. The runtime keeps the provider until it is destroyed.
  void add_transport_provider(std::shared_ptr<TransportProvider> provider) const {
    if (!provider) {
      throw Error(MAPI_E_INVALID_PARAMETER,
                  "uvmapi::Runtime::add_transport_provider: MAPI_E_INVALID_PARAMETER: no provider");
    }
    uvmapi_runtime* runtime = handle();
    uvmapi_transport_provider c{};
    c.version = UVMAPI_TRANSPORT_PROVIDER_VERSION;
    c.context = provider.get();
    c.TransportLogon = &detail::TransportBridge::transport_logon;
    {
      // Kept before it is registered: the runtime may call it at once.
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->providers.push_back(provider);
    }
    uvmapi_hresult hr = uvmapi_runtime_add_transport_provider(runtime, &c);
    if (UVMAPI_FAILED(hr)) {
      Error error = detail::last_error(hr, "uvmapi_runtime_add_transport_provider");
      std::lock_guard<std::mutex> lock(state_->mutex);
      auto& kept = state_->providers;
      kept.erase(std::find(kept.rbegin(), kept.rend(), provider).base() - 1);
      throw error;
    }
  }

  // The same, for a function that makes the sessions.
  template <typename Factory,
            typename = std::enable_if_t<std::is_invocable_r_v<
                std::shared_ptr<Transport>, Factory&, const std::string&, TransportSupport>>>
  void add_transport_provider(Factory factory) const {
    struct FunctionProvider final : TransportProvider {
      explicit FunctionProvider(Factory f) : make(std::move(f)) {}
      std::shared_ptr<Transport> logon(const std::string& store_name,
                                       TransportSupport support) override {
        return make(store_name, std::move(support));
      }
      Factory make;
    };
    add_transport_provider(std::make_shared<FunctionProvider>(std::move(factory)));
  }

  // Adds the built-in SMTP transport: stores logged on from now on send
  // their Outbox to its server. The options are checked now (and a CA file
  // loaded): MAPI_E_INVALID_PARAMETER with the reason, and nothing added,
  // when they cannot work.
  void add_smtp_transport(const SmtpOptions& options) const {
    const uvmapi_smtp_options c = options.to_c();
    detail::check(uvmapi_runtime_add_smtp_transport(handle(), &c),
                  "uvmapi_runtime_add_smtp_transport");
  }

  // The counters of the SMTP transport added last, for a store (zeros if it
  // never logged on). MAPI_E_NOT_FOUND when no SMTP transport was added.
  // Still readable after shutdown().
  SmtpStats smtp_stats(const std::string& store_name) const {
    if (store_name.find('\0') != std::string::npos) {
      throw Error(MAPI_E_INVALID_PARAMETER,
                  "uvmapi::Runtime::smtp_stats: MAPI_E_INVALID_PARAMETER: the store name "
                  "contains a NUL character");
    }
    uvmapi_smtp_stats c{};
    c.version = UVMAPI_SMTP_STATS_VERSION;
    detail::check(uvmapi_runtime_smtp_stats(handle(), store_name.c_str(), &c),
                  "uvmapi_runtime_smtp_stats");
    return SmtpStats::from(c);
  }

  uvmapi_runtime* get() const noexcept { return runtime_; }
  explicit operator bool() const noexcept { return runtime_ != nullptr; }

 private:
  // What the library's callbacks point to; on the heap so that a moved
  // Runtime keeps the addresses the library was given.
  struct State {
    LogoffCallback on_logoff;
    std::mutex mutex;  // Guards providers.
    std::vector<std::shared_ptr<TransportProvider>> providers;
  };

  static void logoff_trampoline(void* context, const char* store_name,
                                const uvmapi_logoff_outcome* outcome) noexcept {
    try {
      static_cast<State*>(context)->on_logoff(store_name ? store_name : "",
                                              Outcome::from(*outcome));
    } catch (...) {
      // The loop thread has nobody to hand the exception to.
    }
  }

  void destroy() noexcept {
    if (runtime_ == nullptr) return;
    if (UVMAPI_FAILED(uvmapi_runtime_destroy(runtime_))) {
      // Refused (on the loop thread): the runtime still runs and may call
      // into state_, so both are leaked rather than freed under its feet.
      static_cast<void>(state_.release());
    }
    runtime_ = nullptr;
    state_.reset();
  }

  uvmapi_runtime* handle() const {
    if (runtime_ == nullptr) detail::throw_empty("uvmapi::Runtime");
    return runtime_;
  }

  Store open(const char* name, const char* path) const {
    uvmapi_store_options options{};
    options.version = UVMAPI_STORE_OPTIONS_VERSION;
    options.name = name;
    options.path = path;
    uvmapi_store* store = nullptr;
    detail::check(uvmapi_store_open(handle(), &options, &store), "uvmapi_store_open");
    return Store(store);
  }

  uvmapi_runtime* runtime_ = nullptr;
  std::unique_ptr<State> state_;
};

}  // namespace uvmapi

#endif  // UVMAPI_UVMAPI_HPP
