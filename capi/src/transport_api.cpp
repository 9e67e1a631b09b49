// Transports written by the host: the provider and session adapters that
// the spooler calls, and the uvmapi_xpsupport handle through which the host
// answers from any thread.
#include <cstring>

#include "api.h"
#include "runtime.h"

using namespace uvmapi;
using namespace uvmapi::capi;

namespace {

struct XpSupportHandle final : Handle {
  static constexpr Kind kKind = Kind::XpSupport;
  Kind kind() const override { return kKind; }
  const void* key() const override { return &iface; }
  const Handle* owner() const override { return runtime.get(); }

  uvmapi_xpsupport iface{};
  std::shared_ptr<RuntimeHandle> runtime;
  std::shared_ptr<TransportSupport> link;
  std::atomic<std::uint32_t> refs{1};  // The runtime's own, until the session is logged off.
};

bool transport_vtable_ok(const uvmapi_transport* transport) {
  const auto* v = transport->lpVtbl;
  return v != nullptr && v->version >= 1 && v->QueryInterface && v->AddRef && v->Release &&
         v->SubmitMessage && v->FlushQueues && v->TransportNotify && v->TransportLogoff;
}

uint32_t release_xpsupport(XpSupportHandle& handle) {
  std::uint32_t left = --handle.refs;
  if (left == 0) retire_handle(handle.key());
  return left;
}

// The host's session as the spooler sees it. Loop thread only.
class HostTransport final : public TransportSession {
 public:
  HostTransport(uvmapi_transport* transport, std::shared_ptr<XpSupportHandle> support)
      : transport_(transport), support_(std::move(support)) {}
  ~HostTransport() override {
    transport_->lpVtbl->Release(transport_);
    release_xpsupport(*support_);
  }

  HRESULT submit_message(ActivityId send, const Message& message) override {
    MessageView view(message);
    return transport_->lpVtbl->SubmitMessage(transport_, send, view.get());
  }
  void flush_queues(std::uint32_t flags) override {
    transport_->lpVtbl->FlushQueues(transport_, flags);
  }
  void transport_notify(std::uint32_t flags, ActivityId activity) override {
    transport_->lpVtbl->TransportNotify(transport_, flags, activity);
  }
  void transport_logoff(std::uint32_t flags) override {
    transport_->lpVtbl->TransportLogoff(transport_, flags);
  }

 private:
  uvmapi_transport* transport_;
  std::shared_ptr<XpSupportHandle> support_;
};

class HostTransportProvider final : public TransportProvider {
 public:
  HostTransportProvider(const uvmapi_transport_provider& provider,
                        std::shared_ptr<RuntimeHandle> runtime)
      : provider_(provider), runtime_(std::move(runtime)) {}

  HRESULT transport_logon(const std::string& store_name, std::shared_ptr<TransportSupport> link,
                          std::shared_ptr<TransportSession>& session) override {
    auto support = std::make_shared<XpSupportHandle>();
    support->iface.lpVtbl = &kXpSupportVtbl;
    support->runtime = runtime_;
    support->link = std::move(link);
    register_handle(support);
    uvmapi_transport* transport = nullptr;
    HRESULT result = provider_.TransportLogon(provider_.context, store_name.c_str(),
                                              &support->iface, &transport);
    if (failed(result) || transport == nullptr || !transport_vtable_ok(transport)) {
      if (transport != nullptr && transport->lpVtbl && transport->lpVtbl->Release) {
        transport->lpVtbl->Release(transport);
      }
      release_xpsupport(*support);
      if (failed(result)) return fail(result, "a host transport provider refused the logon");
      return fail(
          MAPI_E_CALL_FAILED,
          "a host transport provider returned no session, or one with an incomplete vtable");
    }
    session = std::make_shared<HostTransport>(transport, std::move(support));
    return S_OK;
  }

  static const uvmapi_xpsupport_vtbl kXpSupportVtbl;

 private:
  uvmapi_transport_provider provider_;
  std::shared_ptr<RuntimeHandle> runtime_;
};

// Runs fn(link) on the loop thread for a live xpsupport handle.
template <typename Fn>
HRESULT with_link(uvmapi_xpsupport* support, Fn&& fn) {
  std::shared_ptr<XpSupportHandle> handle;
  if (HRESULT result = lookup(support, "support", handle); failed(result)) return result;
  std::shared_ptr<Runtime> runtime;
  if (HRESULT result = live_runtime(*handle->runtime, runtime); failed(result)) return result;
  return on_loop(*runtime, [&] { return fn(*handle->link); });
}

uvmapi_hresult xp_query_interface(uvmapi_xpsupport* self, const uvmapi_iid* iid, void** object) {
  return guard([&] {
    return query_interface<XpSupportHandle>(
        self, "support", iid, uvmapi_iid_xpsupport, object,
        [&] { return uvmapi_xpsupport_add_ref(self, nullptr); });
  });
}

const uvmapi_xpsupport_vtbl HostTransportProvider::kXpSupportVtbl = {
    UVMAPI_XPSUPPORT_VTBL_VERSION,
    xp_query_interface,
    counted<uvmapi_xpsupport, uvmapi_xpsupport_add_ref>,
    counted<uvmapi_xpsupport, uvmapi_xpsupport_release>,
    uvmapi_xpsupport_complete_send,
    uvmapi_xpsupport_begin_inbound,
    uvmapi_xpsupport_commit_inbound,
    uvmapi_xpsupport_abort_inbound,
    uvmapi_xpsupport_notify_ready,
    uvmapi_xpsupport_flush_complete,
};

}  // namespace

extern "C" {

uvmapi_hresult uvmapi_runtime_add_transport_provider(uvmapi_runtime* runtime,
                                                     const uvmapi_transport_provider* provider) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<RuntimeHandle> owner;
    if (HRESULT result = lookup(runtime, "runtime", owner); failed(result)) return result;
    if (provider == nullptr) return null_argument("provider");
    if (provider->version != UVMAPI_TRANSPORT_PROVIDER_VERSION) {
      return fail(MAPI_E_INVALID_PARAMETER,
                  "provider->version is not UVMAPI_TRANSPORT_PROVIDER_VERSION");
    }
    if (provider->TransportLogon == nullptr) return null_argument("provider->TransportLogon");
    std::shared_ptr<Runtime> core;
    if (HRESULT result = live_runtime(*owner, core); failed(result)) return result;
    auto adapter = std::make_shared<HostTransportProvider>(*provider, owner);
    return on_loop(*core, [&] { return core->add_transport_provider(adapter); });
  });
}

uvmapi_hresult uvmapi_xpsupport_add_ref(uvmapi_xpsupport* support, uint32_t* count) {
  return guard([&]() -> HRESULT {
    std::shared_ptr<XpSupportHandle> handle;
    if (HRESULT result = lookup(support, "support", handle); failed(result)) return result;
    std::uint32_t now = ++handle->refs;
    if (count) *count = now;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_xpsupport_release(uvmapi_xpsupport* support, uint32_t* count) {
  return guard([&]() -> HRESULT {
    if (HRESULT done; released_already<XpSupportHandle>(support, count, done)) return done;
    std::shared_ptr<XpSupportHandle> handle;
    if (HRESULT result = lookup(support, "support", handle); failed(result)) return result;
    std::uint32_t left = release_xpsupport(*handle);
    if (count) *count = left;
    return S_OK;
  });
}

uvmapi_hresult uvmapi_xpsupport_complete_send(uvmapi_xpsupport* support, uint64_t send,
                                              uvmapi_hresult result) {
  return guard([&]() -> HRESULT {
    return with_link(support,
                     [&](TransportSupport& link) { return link.complete_send(send, result); });
  });
}

uvmapi_hresult uvmapi_xpsupport_begin_inbound(uvmapi_xpsupport* support, uint64_t* receive) {
  return guard([&]() -> HRESULT {
    if (receive == nullptr) return null_argument("receive");
    return with_link(support, [&](TransportSupport& link) { return link.begin_inbound(*receive); });
  });
}

uvmapi_hresult uvmapi_xpsupport_commit_inbound(uvmapi_xpsupport* support, uint64_t receive,
                                               const uvmapi_message* message) {
  return guard([&]() -> HRESULT {
    Message parsed;
    if (HRESULT result = read_message(message, parsed); failed(result)) return result;
    return with_link(support,
                     [&](TransportSupport& link) { return link.commit_inbound(receive, parsed); });
  });
}

uvmapi_hresult uvmapi_xpsupport_abort_inbound(uvmapi_xpsupport* support, uint64_t receive) {
  return guard([&]() -> HRESULT {
    return with_link(support, [&](TransportSupport& link) { return link.abort_inbound(receive); });
  });
}

uvmapi_hresult uvmapi_xpsupport_notify_ready(uvmapi_xpsupport* support) {
  return guard([&]() -> HRESULT {
    return with_link(support, [&](TransportSupport& link) { return link.notify_ready(); });
  });
}

uvmapi_hresult uvmapi_xpsupport_flush_complete(uvmapi_xpsupport* support) {
  return guard([&]() -> HRESULT {
    return with_link(support, [&](TransportSupport& link) { return link.flush_complete(); });
  });
}

}  // extern "C"
