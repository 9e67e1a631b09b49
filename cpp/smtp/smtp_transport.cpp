#include "smtp/smtp_transport.h"

#include <algorithm>
#include <utility>

#include "error.h"
#include "smtp/smtp_session.h"
#include "smtp/tls_client.h"

namespace uvmapi {

HRESULT SmtpTransportProvider::create(uv_loop_t* loop, const SmtpConfig& config,
                                      std::shared_ptr<SmtpTransportProvider>& provider) {
  std::string error;
  if (failed(validate_smtp_config(config, error))) return fail(MAPI_E_INVALID_PARAMETER, error);
  std::shared_ptr<TlsContext> tls;
  // Only TLS needs a context; building it now reports a bad CA file at once.
  if (config.security != SmtpSecurity::None) {
    tls = TlsContext::create(config.verify_peer, config.ca_file, error);
    if (!tls) return fail(MAPI_E_INVALID_PARAMETER, error);
  }
  provider = std::make_shared<SmtpTransportProvider>(
      loop, std::make_shared<const SmtpConfig>(config), std::move(tls));
  return S_OK;
}

SmtpTransportProvider::SmtpTransportProvider(uv_loop_t* loop,
                                             std::shared_ptr<const SmtpConfig> config,
                                             std::shared_ptr<TlsContext> tls)
    : loop_(loop), config_(std::move(config)), tls_(std::move(tls)) {}

HRESULT SmtpTransportProvider::transport_logon(const std::string& store_name,
                                               std::shared_ptr<TransportSupport> support,
                                               std::shared_ptr<TransportSession>& session) {
  auto& stats = stats_[store_name];
  if (!stats) stats = std::make_shared<SmtpStats>();
  auto made = std::make_shared<SmtpSession>(loop_, config_, tls_, std::move(support), stats);
  // Forget sessions that are gone, so the list stays as long as the live ones.
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                 [](const auto& weak) { return weak.expired(); }),
                  sessions_.end());
  sessions_.push_back(made);
  session = std::move(made);
  return S_OK;
}

void SmtpTransportProvider::runtime_stopping() {
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) session->close_now();
  }
  sessions_.clear();
}

SmtpStats SmtpTransportProvider::stats(const std::string& store_name) const {
  auto it = stats_.find(store_name);
  return it == stats_.end() ? SmtpStats{} : *it->second;
}

}  // namespace uvmapi
