// Store providers written by the host: their storage behind the core's
// MessageStore, and the uvmapi_support object with StoreLogoffTransports.
#include <cstring>

#include "runtime.h"
#include "store_handle.h"
#include "store_support.h"

using namespace uvmapi;
using namespace uvmapi::capi;

namespace {

uvmapi_folder to_c(Folder folder) {
  switch (folder) {
    case Folder::Inbox:
      return UVMAPI_FOLDER_INBOX;
    case Folder::Outbox:
      return UVMAPI_FOLDER_OUTBOX;
    case Folder::SentItems:
      return UVMAPI_FOLDER_SENT_ITEMS;
  }
  return UVMAPI_FOLDER_INBOX;
}

// The host's storage as the core sees it. Called on the loop thread only.
class ProviderStorage final : public MessageStore {
 public:
  explicit ProviderStorage(uvmapi_store_provider* provider) : provider_(provider) {
    provider_->lpVtbl->AddRef(provider_);
  }
  ~ProviderStorage() override { provider_->lpVtbl->Release(provider_); }

  HRESULT add(Folder folder, const Message& message, MessageId& id) override {
    MessageView view(message);
    return checked("AddMessage", [&] {
      return provider_->lpVtbl->AddMessage(provider_, to_c(folder), view.get(), &id);
    });
  }
  HRESULT move(MessageId id, Folder from, Folder to) override {
    return checked("MoveMessage", [&] {
      return provider_->lpVtbl->MoveMessage(provider_, id, to_c(from), to_c(to));
    });
  }
  std::optional<Message> read(MessageId id) const override {
    uvmapi_message found = UVMAPI_MESSAGE_INIT;
    if (failed(provider_->lpVtbl->ReadMessage(provider_, id, &found))) return std::nullopt;
    Message message;
    if (failed(read_message(&found, message))) return std::nullopt;
    return message;
  }
  std::vector<MessageId> list(Folder folder) const override {
    std::uint32_t count = 0;
    if (failed(provider_->lpVtbl->ListFolder(provider_, to_c(folder), nullptr, 0, &count))) {
      return {};
    }
    std::vector<MessageId> ids(count);
    if (failed(provider_->lpVtbl->ListFolder(provider_, to_c(folder), ids.data(), count, &count))) {
      return {};
    }
    ids.resize(std::min<std::size_t>(ids.size(), count));
    return ids;
  }
  std::size_t count(Folder folder) const override {
    std::uint32_t count = 0;
    if (failed(provider_->lpVtbl->GetFolderCount(provider_, to_c(folder), &count))) return 0;
    return count;
  }

 private:
  // Keeps the message of a failing uvmapi call the provider made and passed
  // on, or else says which method failed. The thread's last error is
  // cleared first, as a successful ABI call leaves it as it was.
  template <typename Call>
  static HRESULT checked(const char* call, Call&& method) {
    clear_last_error();
    HRESULT result = method();
    if (failed(result) && last_error_code() != result) {
      fail(result, std::string("the store provider's ") + call + " failed");
    }
    return result;
  }

  uvmapi_store_provider* provider_;
};

bool provider_vtable_ok(const uvmapi_store_provider* provider) {
  const auto* v = provider->lpVtbl;
  return v != nullptr && v->version >= 1 && v->QueryInterface && v->AddRef && v->Release &&
         v->AddMessage && v->MoveMessage && v->ReadMessage && v->ListFolder && v->GetFolderCount;
}

uvmapi_hresult support_query_interface(uvmapi_support* self, const uvmapi_iid* iid, void** object) {
  return guard([&] {
    return query_interface<SupportHandle>(self, "support", iid, uvmapi_iid_support, object,
                                          [&] { return uvmapi_support_add_ref(self, nullptr); });
  });
}

const uvmapi_support_vtbl kSupportVtbl = {
    UVMAPI_SUPPORT_VTBL_VERSION,
    support_query_interface,
    counted<uvmapi_support, uvmapi_support_add_ref>,
    counted<uvmapi_support, uvmapi_support_release>,
    uvmapi_support_store_logoff_transports,
    uvmapi_support_submit,
    uvmapi_support_activity,
};

}  // namespace

extern "C" {

uvmapi_hresult uvmapi_runtime_logon_store_provider(uvmapi_runtime* runtime, const char* name,
                                                   uvmapi_store_provider* provider,
                                                   uvmapi_support** support) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> owner;
    if (HRESULT result = lookup(runtime, "runtime", owner); failed(result)) return result;
    if (name == nullptr) return null_argument("name");
    if (provider == nullptr) return null_argument("provider");
    if (support == nullptr) return null_argument("support");
    *support = nullptr;
    if (!provider_vtable_ok(provider)) {
      return fail(MAPI_E_INVALID_PARAMETER, "the provider's vtable is missing or incomplete");
    }
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*owner, core); failed(result)) return result;
    auto handle = std::make_shared<SupportHandle>();
    handle->iface.lpVtbl = &kSupportVtbl;
    handle->runtime = owner;
    std::string store_name = name;
    HRESULT result = on_loop(*core, [&]() -> HRESULT {
      auto kind = owner->store_kinds.find(store_name);
      if (kind != owner->store_kinds.end() && kind->second != provider) {
        return fail(MAPI_E_INVALID_PARAMETER,
                    "the store '" + store_name + "' belongs to another store or provider");
      }
      auto make_storage = [provider](std::unique_ptr<MessageStore>& storage) {
        storage = std::make_unique<ProviderStorage>(provider);
        return S_OK;
      };
      if (HRESULT opened = core->open_store(store_name, handle->opener, make_storage);
          failed(opened)) {
        return opened;
      }
      owner->store_kinds[store_name] = provider;
      return S_OK;
    });
    if (failed(result)) return result;
    register_handle(handle);
    *support = &handle->iface;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_support_add_ref(uvmapi_support* support, uint32_t* count) {
  return guard([&] { return opener_add_ref<SupportHandle>(support, "support", count); });
}

uvmapi_hresult uvmapi_support_release(uvmapi_support* support, uint32_t* count) {
  return guard([&] { return opener_release<SupportHandle>(support, "support", count); });
}

uvmapi_hresult uvmapi_support_store_logoff_transports(uvmapi_support* support, uint32_t* flags) {
  return guard([&]() -> HRESULT {
    if (flags == nullptr) return null_argument("flags");
    std::shared_ptr<SupportHandle> handle;
    std::shared_ptr<Runtime> runtime;
    if (HRESULT result = lookup_opener(support, "support", handle, runtime); failed(result)) {
      return result;
    }
    if (*flags == LOGOFF_PURGE || *flags == LOGOFF_ABORT) {
      HRESULT refused = refuse_loop_thread(*runtime, "StoreLogoffTransports with PURGE or ABORT");
      if (failed(refused)) return refused;
    }
    std::shared_ptr<LogoffTicket> ticket;
    HRESULT result = on_loop(*runtime, [&]() -> HRESULT {
      std::shared_ptr<StoreSupport> store;
      if (HRESULT found = handle->opener->support(store); failed(found)) return found;
      return store->store_logoff_transports(*handle->opener, *flags, ticket);
    });
    if (failed(result)) return result;
    // Control returns when the logoff says so; the deadlines bound the wait.
    const auto& options = runtime->options();
    auto bound = options.drain_deadline + 2 * options.abort_deadline + std::chrono::seconds(5);
    LogoffReport report;
    if (HRESULT waited = ticket->wait_returned(
            std::chrono::duration_cast<std::chrono::milliseconds>(bound), report);
        failed(waited)) {
      return fail(waited, "StoreLogoffTransports did not return within its deadlines");
    }
    *flags = report.at_return;
    if (failed(report.status)) {
      return fail(report.status,
                  "the transports did not stop within the abort deadline; "
                  "the store stays logged on");
    }
    return S_OK;
  });
}

uvmapi_hresult uvmapi_support_submit(uvmapi_support* support, const uvmapi_message* message,
                                     uint64_t* id) {
  return guard([&] { return opener_submit<SupportHandle>(support, "support", message, id); });
}

uvmapi_hresult uvmapi_support_activity(uvmapi_support* support, uint32_t* activity) {
  return guard([&] { return opener_activity<SupportHandle>(support, "support", activity); });
}

}  // extern "C"
