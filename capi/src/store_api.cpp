// uvmapi_store: built-in stores as a COM-style IMsgStore, its flat
// functions, and the one-call logoff.
#include <cstdlib>
#include <cstring>

#include "maildir_store.h"
#include "runtime.h"
#include "store_handle.h"
#include "store_support.h"

using namespace uvmapi;
using namespace uvmapi::capi;

namespace {

HRESULT check_folder(const uvmapi_folder& folder, Folder& out) {
  // C may pass any int; loading an out-of-range value as the enum would be
  // undefined in C++, so read its bits instead.
  std::int32_t value = 0;
  static_assert(sizeof value == sizeof folder, "uvmapi_folder is int-sized");
  std::memcpy(&value, &folder, sizeof value);
  switch (value) {
    case UVMAPI_FOLDER_INBOX:
      out = Folder::Inbox;
      return S_OK;
    case UVMAPI_FOLDER_OUTBOX:
      out = Folder::Outbox;
      return S_OK;
    case UVMAPI_FOLDER_SENT_ITEMS:
      out = Folder::SentItems;
      return S_OK;
  }
  return fail(MAPI_E_INVALID_PARAMETER, "unknown folder " + std::to_string(value));
}

// Copies a message into one malloc'd block that uvmapi_message_free frees.
uvmapi_message_data* copy_out(const Message& message) {
  const auto& recipients = message.envelope.recipients;
  std::size_t size = sizeof(uvmapi_message_data) + recipients.size() * sizeof(char*) +
                     message.envelope.sender.size() + 1 + message.content.size() + 1;
  for (const auto& recipient : recipients) size += recipient.size() + 1;
  auto* block = static_cast<char*>(std::malloc(size));
  if (block == nullptr) throw std::bad_alloc();
  auto* data = reinterpret_cast<uvmapi_message_data*>(block);
  auto* pointers = reinterpret_cast<const char**>(block + sizeof(uvmapi_message_data));
  char* text = block + sizeof(uvmapi_message_data) + recipients.size() * sizeof(char*);
  auto put = [&](const std::string& value) {
    std::memcpy(text, value.c_str(), value.size() + 1);
    const char* start = text;
    text += value.size() + 1;
    return start;
  };
  data->message.version = UVMAPI_MESSAGE_VERSION;
  data->message.sender = put(message.envelope.sender);
  for (std::size_t i = 0; i < recipients.size(); ++i) pointers[i] = put(recipients[i]);
  data->message.recipients = pointers;
  data->message.recipient_count = static_cast<std::uint32_t>(recipients.size());
  data->message.content = put(message.content);  // NUL-terminated as a courtesy.
  data->message.content_size = message.content.size();
  return data;
}

uvmapi_hresult store_query_interface(uvmapi_store* self, const uvmapi_iid* iid, void** object) {
  return guard([&] {
    return query_interface<StoreHandle>(self, "store", iid, uvmapi_iid_store, object,
                                        [&] { return uvmapi_store_add_ref(self, nullptr); });
  });
}

const uvmapi_store_vtbl kStoreVtbl = {
    UVMAPI_STORE_VTBL_VERSION,
    store_query_interface,
    counted<uvmapi_store, uvmapi_store_add_ref>,
    counted<uvmapi_store, uvmapi_store_release>,
    uvmapi_store_logoff,
    uvmapi_store_submit,
    uvmapi_store_folder_count,
    uvmapi_store_list,
    uvmapi_store_read,
    uvmapi_store_activity,
};

template <typename Fn>
HRESULT with_store(uvmapi_store* store, Fn&& fn) {
  return with_opener<StoreHandle>(store, "store", std::forward<Fn>(fn));
}

// StoreLogoff(flag) and the release of the caller's last reference. The
// handle is retired whether the logoff happens or not.
HRESULT begin_one_call_logoff(uvmapi_store* store, uint32_t flag, bool blocking,
                              std::shared_ptr<LogoffTicket>& ticket,
                              const std::function<void(LogoffTicket&)>& on_start = nullptr) {
  std::shared_ptr<StoreHandle> handle;
  std::shared_ptr<Runtime> runtime;
  if (HRESULT result = lookup_opener(store, "store", handle, runtime); failed(result)) {
    return result;
  }
  if (blocking) {
    if (HRESULT result = refuse_loop_thread(*runtime, "uvmapi_store_logoff_wait"); failed(result)) {
      return result;
    }
  }
  HRESULT result = on_loop(*runtime, [&]() -> HRESULT {
    Opener& opener = *handle->opener;
    if (HRESULT checked = check_logoff_flag(flag); failed(checked)) return checked;
    if (opener.refs() != 1) {
      return fail(MAPI_E_BUSY, "the one-call logoff needs the last reference; " +
                                   std::to_string(opener.refs()) + " are held");
    }
    std::uint32_t flags = flag;
    if (HRESULT saved = opener.store_logoff(flags); failed(saved)) return saved;
    // Released and kept openers failed above; only an opener at rest
    // starts a logoff, so the release below always yields its ticket.
    if (opener.state() != Opener::State::Open) {
      return fail(MAPI_E_BUSY, "a logoff of this store is already under way");
    }
    opener.release(&ticket);
    if (on_start) on_start(*ticket);
    return S_OK;
  });
  if (failed(result)) return result;
  retire_handle(handle->key());
  return S_OK;
}

}  // namespace

extern "C" {

uvmapi_hresult uvmapi_store_open(uvmapi_runtime* runtime, const uvmapi_store_options* options,
                                 uvmapi_store** store) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> owner;
    if (HRESULT result = lookup(runtime, "runtime", owner); failed(result)) return result;
    if (options == nullptr) return null_argument("options");
    if (store == nullptr) return null_argument("store");
    *store = nullptr;
    if (options->version != UVMAPI_STORE_OPTIONS_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER, "options->version is not UVMAPI_STORE_OPTIONS_VERSION");
    }
    if (options->name == nullptr && options->path == nullptr) {
      return null_argument("options->name and options->path");
    }
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*owner, core); failed(result)) return result;
    auto handle = std::make_shared<StoreHandle>();
    handle->iface.lpVtbl = &kStoreVtbl;
    handle->runtime = owner;
    // A durable store is known by its directory unless it is given a name.
    std::string name = options->name ? options->name : options->path;
    Runtime::StorageFactory make_storage;
    if (options->path != nullptr) {
      std::string root = options->path;
      make_storage = [root](std::unique_ptr<MessageStore>& storage) {
        std::unique_ptr<MaildirStore> durable;
        if (HRESULT opened = MaildirStore::open(root, durable); failed(opened)) return opened;
        storage = std::move(durable);
        return S_OK;
      };
    }
    HRESULT result = on_loop(*core, [&]() -> HRESULT {
      auto kind = owner->store_kinds.find(name);
      if (kind != owner->store_kinds.end() && kind->second != nullptr) {
        return fail(MAPI_E_INVALID_PARAMETER,
                    "the store '" + name + "' belongs to a store provider");
      }
      if (HRESULT opened = core->open_store(name, handle->opener, make_storage); failed(opened)) {
        return opened;
      }
      owner->store_kinds.emplace(name, nullptr);
      return S_OK;
    });
    if (failed(result)) return result;
    register_handle(handle);
    *store = &handle->iface;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_store_add_ref(uvmapi_store* store, uint32_t* count) {
  return guard([&] { return opener_add_ref<StoreHandle>(store, "store", count); });
}

uvmapi_hresult uvmapi_store_release(uvmapi_store* store, uint32_t* count) {
  return guard([&] { return opener_release<StoreHandle>(store, "store", count); });
}

uvmapi_hresult uvmapi_store_logoff(uvmapi_store* store, uint32_t* flags) {
  return guard([&]() -> HRESULT {
    if (flags == nullptr) return null_argument("flags");
    return with_store(store, [&](Opener& opener) { return opener.store_logoff(*flags); });
  });
}

uvmapi_hresult uvmapi_store_submit(uvmapi_store* store, const uvmapi_message* message,
                                   uint64_t* id) {
  return guard([&] { return opener_submit<StoreHandle>(store, "store", message, id); });
}

uvmapi_hresult uvmapi_store_folder_count(uvmapi_store* store, uvmapi_folder folder,
                                         uint32_t* count) {
  return guard([&]() -> HRESULT {
    Folder which;
    if (HRESULT result = check_folder(folder, which); failed(result)) return result;
    if (count == nullptr) return null_argument("count");
    return with_store(store, [&](Opener& opener) -> HRESULT {
      std::size_t size = 0;
      if (HRESULT result = opener.count(which, size); failed(result)) return result;
      *count = static_cast<uint32_t>(size);
      return S_OK;
    });
  });
}

uvmapi_hresult uvmapi_store_list(uvmapi_store* store, uvmapi_folder folder, uint64_t* ids,
                                 uint32_t capacity, uint32_t* count) {
  return guard([&]() -> HRESULT {
    Folder which;
    if (HRESULT result = check_folder(folder, which); failed(result)) return result;
    if (count == nullptr) return null_argument("count");
    if (ids == nullptr && capacity > 0) return null_argument("ids");
    return with_store(store, [&](Opener& opener) -> HRESULT {
      std::vector<MessageId> listed;
      if (HRESULT result = opener.list(which, listed); failed(result)) return result;
      for (std::size_t i = 0; i < listed.size() && i < capacity; ++i) ids[i] = listed[i];
      *count = static_cast<uint32_t>(listed.size());
      return S_OK;
    });
  });
}

uvmapi_hresult uvmapi_store_read(uvmapi_store* store, uint64_t id, uvmapi_message_data** message) {
  return guard([&]() -> HRESULT {
    if (message == nullptr) return null_argument("message");
    *message = nullptr;
    return with_store(store, [&](Opener& opener) -> HRESULT {
      Message found;
      if (HRESULT result = opener.read(id, found); failed(result)) return result;
      *message = copy_out(found);
      return S_OK;
    });
  });
}

uvmapi_hresult uvmapi_store_activity(uvmapi_store* store, uint32_t* activity) {
  return guard([&] { return opener_activity<StoreHandle>(store, "store", activity); });
}

void uvmapi_message_free(uvmapi_message_data* message) {
  std::free(message);
}

uvmapi_hresult uvmapi_store_logoff_wait(uvmapi_store* store, uint32_t flag, uint32_t timeout_ms,
                                        uvmapi_logoff_outcome* outcome) {
  return guard([&]() -> HRESULT {
    if (outcome == nullptr) return null_argument("outcome");
    std::shared_ptr<LogoffTicket> ticket;
    if (HRESULT result = begin_one_call_logoff(store, flag, true, ticket); failed(result)) {
      return result;
    }
    LogoffReport report;
    HRESULT waited = ticket->wait_finished(std::chrono::milliseconds(timeout_ms), report);
    *outcome = to_outcome(report);
    if (failed(waited)) {
      return fail(waited, "the logoff did not finish within " + std::to_string(timeout_ms) +
                              " ms; it goes on, and the runtime's on_logoff callback reports it");
    }
    return S_OK;
  });
}

uvmapi_hresult uvmapi_store_logoff_async(uvmapi_store* store, uint32_t flag,
                                         uvmapi_logoff_done done, void* context) {
  return guard([&]() -> HRESULT {
    if (done == nullptr) return null_argument("done");
    std::shared_ptr<LogoffTicket> ticket;
    return begin_one_call_logoff(store, flag, false, ticket, [&](LogoffTicket& started) {
      started.subscribe([done, context](const LogoffReport& report) {
        if (!report.finished) return;
        uvmapi_logoff_outcome outcome = to_outcome(report);
        done(context, &outcome);
      });
    });
  });
}

}  // extern "C"
