// TLS for the SMTP client, with OpenSSL over memory BIOs: the connection
// moves the bytes (libuv), this moves the cryptography, so one TCP stream can
// start in plain text and be upgraded by STARTTLS.
#ifndef UVMAPI_CPP_SMTP_TLS_CLIENT_H
#define UVMAPI_CPP_SMTP_TLS_CLIENT_H

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace uvmapi {

// The settings every connection of a provider shares (an SSL_CTX): TLS 1.2 or
// newer, the trusted certificates, and whether peers are verified at all.
class TlsContext {
 public:
  // ca_file: a PEM bundle; empty means the system's default trust store.
  // verify_peer false turns off both chain and host-name checks.
  // On failure returns null and says why in error.
  static std::shared_ptr<TlsContext> create(bool verify_peer, const std::string& ca_file,
                                            std::string& error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  bool verify_peer() const { return verify_peer_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, bool verify_peer) : ctx_(ctx), verify_peer_(verify_peer) {}
  SSL_CTX* ctx_;
  bool verify_peer_;
};

// One client-side TLS session. It does no I/O: the owner feeds it what the
// peer sent and sends what take_output() returns, after every call.
class TlsClient {
 public:
  // server_name: sent as SNI and, when the context verifies, checked against
  // the certificate (DNS name, or IP address for a literal).
  TlsClient(std::shared_ptr<TlsContext> context, const std::string& server_name);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Begins the handshake (the ClientHello is then in take_output()).
  bool start(std::string& error);

  // Takes bytes the peer sent. Advances the handshake, and appends the
  // application data decrypted so far to plaintext. False on any failure
  // (including a certificate that does not verify), with the reason in error;
  // the session is then unusable.
  bool feed(const char* data, std::size_t size, std::string& plaintext, std::string& error);

  bool handshake_done() const { return handshake_done_; }
  // The peer sent close_notify.
  bool peer_closed() const { return peer_closed_; }

  // Encrypts application data; only after the handshake.
  bool write(std::string_view plaintext, std::string& error);

  // Queues close_notify (its bytes then come out of take_output()).
  void shutdown();

  // The bytes to send to the peer now; the buffer is emptied.
  std::string take_output();

 private:
  bool advance(std::string& plaintext, std::string& error);
  // Marks the session failed and puts OpenSSL's reason (SSL_get_error's
  // reason, the verify result, the error queue) into error; returns false.
  bool fail(const char* during, int reason, std::string& error);

  std::shared_ptr<TlsContext> context_;
  std::string server_name_;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // Owned by ssl_.
  BIO* network_out_ = nullptr;  // Owned by ssl_.
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool failed_ = false;
};

}  // namespace uvmapi

#endif
