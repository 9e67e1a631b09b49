// The outbound SMTP transport: every store logged on gets a session that
// sends its Outbox to one SMTP server over a few reused, pipelined
// connections on the runtime's loop. docs/smtp.md describes the protocol it
// speaks, its security defaults, what each server answer does to a message,
// the retry policy and how each logoff mode is handled.
#ifndef UVMAPI_CPP_SMTP_SMTP_TRANSPORT_H
#define UVMAPI_CPP_SMTP_SMTP_TRANSPORT_H

#include <uv.h>

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "smtp/smtp_config.h"
#include "transport.h"

namespace uvmapi {

class SmtpSession;
class TlsContext;

// What the sessions of one store did, summed over its logons. Loop thread.
struct SmtpStats {
  std::size_t connections_opened = 0;
  std::size_t connections_failed = 0;  // Could not connect, greet, secure or authenticate.
  std::size_t transactions = 0;        // MAIL FROM sent.
  std::size_t messages_sent = 0;       // Moved to Sent Items.
  std::size_t messages_deferred = 0;   // Failed for now: left in the Outbox to retry.
  std::size_t messages_failed = 0;     // Refused for good by every recipient.
  std::size_t recipients_accepted = 0;
  std::size_t recipients_deferred = 0;
  std::size_t recipients_refused = 0;
  std::size_t reports_delivered = 0;  // Non-delivery reports committed to the Inbox.
  std::size_t cancels = 0;            // Sends handed back on NOTIFY_CANCEL_MESSAGE.
  std::size_t retries_scheduled = 0;
  // The newest problem, for humans. Never holds a password.
  std::string last_problem;
};

class SmtpTransportProvider final : public TransportProvider {
 public:
  // Checks config (validate_smtp_config) and, for TLS, builds the OpenSSL
  // context once (CA file loaded now, so a bad path fails here, not later).
  // loop: the runtime's loop (Runtime::loop()).
  static HRESULT create(uv_loop_t* loop, const SmtpConfig& config,
                        std::shared_ptr<SmtpTransportProvider>& provider);

  HRESULT transport_logon(const std::string& store_name, std::shared_ptr<TransportSupport> support,
                          std::shared_ptr<TransportSession>& session) override;

  void runtime_stopping() override;

  const SmtpConfig& config() const { return *config_; }

  // Loop thread. The counters of a store's sessions (zero if none logged on yet).
  SmtpStats stats(const std::string& store_name) const;

  SmtpTransportProvider(uv_loop_t* loop, std::shared_ptr<const SmtpConfig> config,
                        std::shared_ptr<TlsContext> tls);

 private:
  uv_loop_t* loop_;
  std::shared_ptr<const SmtpConfig> config_;
  std::shared_ptr<TlsContext> tls_;
  std::map<std::string, std::shared_ptr<SmtpStats>> stats_;
  std::vector<std::weak_ptr<SmtpSession>> sessions_;
};

}  // namespace uvmapi

#endif
