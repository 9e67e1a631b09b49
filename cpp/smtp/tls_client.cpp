// TLS for the SMTP client over memory BIOs (see tls_client.h). Every entry
// point clears the thread's OpenSSL error queue first: OpenSSL reports
// failures through that per-thread queue, and SSL_get_error() reads it, so an
// error left behind by another connection on the same loop thread would
// otherwise turn a harmless WANT_READ into a failure here.
#include "smtp/tls_client.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <utility>

namespace uvmapi {
namespace {

// A TLS record carries at most 16 KiB of plaintext, so one record fits.
constexpr std::size_t kReadChunk = 16384;
// OpenSSL takes int lengths; larger buffers go through in slices.
constexpr std::size_t kMaxSlice = INT_MAX;

// Pops every error of this thread's queue into one line, so that the caller
// sees OpenSSL's reasons and the queue is empty for the next operation.
std::string drain_errors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string("no further detail from OpenSSL") : text;
}

// True for an IPv4 or IPv6 literal: those are checked against the
// certificate's IP addresses, and RFC 6066 forbids them as SNI host names.
bool is_ip_literal(const std::string& name) {
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(name.c_str());
  if (address == nullptr) return false;
  ASN1_OCTET_STRING_free(address);
  return true;
}

}  // namespace

std::shared_ptr<TlsContext> TlsContext::create(bool verify_peer, const std::string& ca_file,
                                               std::string& error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    error = "TLS: cannot create a client context: " + drain_errors();
    return nullptr;
  }
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); a server that offers nothing
  // newer fails the handshake instead of getting a weak session.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    error = "TLS: cannot require TLS 1.2 or newer: " + drain_errors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  // The trust store is loaded even when peers are not verified, so that a
  // configured ca_file that cannot be read is reported now, not the day
  // verification is turned on.
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      error = "TLS: cannot load the CA file '" + ca_file + "': " + drain_errors();
      SSL_CTX_free(ctx);
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "TLS: cannot load the system's trusted certificates: " + drain_errors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  ERR_clear_error();
  // new, not make_shared: the constructor is private.
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, verify_peer));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsClient::TlsClient(std::shared_ptr<TlsContext> context, const std::string& server_name)
    : context_(std::move(context)), server_name_(server_name) {}

TlsClient::~TlsClient() {
  // SSL_free also frees both BIOs, which SSL_set_bio handed to it.
  SSL_free(ssl_);
}

bool TlsClient::start(std::string& error) {
  if (ssl_ != nullptr || failed_) {
    error = "TLS: the session was already started";
    return false;
  }
  if (context_ == nullptr || context_->native() == nullptr) {
    failed_ = true;
    error = "TLS: no context";
    return false;
  }
  ERR_clear_error();
  const bool ip_literal = is_ip_literal(server_name_);
  // Without a name to check, a verified chain would still accept any
  // server that some trusted CA vouches for.
  if (context_->verify_peer() && server_name_.empty()) {
    failed_ = true;
    error = "TLS: verifying the server needs its host name";
    return false;
  }

  ssl_ = SSL_new(context_->native());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in == nullptr || out == nullptr) {
    error = "TLS: cannot create a session: " + drain_errors();
    BIO_free(in);
    BIO_free(out);
    failed_ = true;
    return false;
  }
  // An empty input BIO means "wait for more bytes", never end of stream: the
  // connection, not the BIO, knows when the peer has gone.
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(ssl_, in, out);
  network_in_ = in;
  network_out_ = out;
  SSL_set_connect_state(ssl_);

  bool ok = true;
  if (!ip_literal && !server_name_.empty()) {
    // SSL_set_tlsext_host_name, spelled out: the macro's C cast trips
    // -Wold-style-cast. OpenSSL copies the name and does not modify it.
    ok = SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(server_name_.c_str())) == 1;
  }
  if (ok && context_->verify_peer()) {
    if (ip_literal) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), server_name_.c_str()) == 1;
    } else {
      // "*.example.org" matches "mail.example.org" but not "mail-example.org".
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(ssl_, server_name_.c_str()) == 1;
    }
  }
  if (!ok) {
    error = "TLS: cannot use the server name '" + server_name_ + "': " + drain_errors();
    failed_ = true;
    return false;
  }
  // Writes the ClientHello into the output BIO; the reply is not there yet.
  std::string no_plaintext;
  return advance(no_plaintext, error);
}

bool TlsClient::feed(const char* data, std::size_t size, std::string& plaintext,
                     std::string& error) {
  if (ssl_ == nullptr || failed_) {
    error = failed_ ? "TLS: the session has failed" : "TLS: the session was not started";
    return false;
  }
  ERR_clear_error();
  while (size > 0) {
    const std::size_t slice = std::min(size, kMaxSlice);
    if (BIO_write(network_in_, data, static_cast<int>(slice)) != static_cast<int>(slice)) {
      error = "TLS: cannot buffer received data: " + drain_errors();
      failed_ = true;
      return false;
    }
    data += slice;
    size -= slice;
  }
  return advance(plaintext, error);
}

bool TlsClient::advance(std::string& plaintext, std::string& error) {
  if (!handshake_done_) {
    const int result = SSL_do_handshake(ssl_);
    if (result != 1) {
      const int reason = SSL_get_error(ssl_, result);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return true;
      return fail("handshake", reason, error);
    }
    handshake_done_ = true;
  }
  // Reads until the input BIO is empty: one feed may complete several
  // records, and bytes left in OpenSSL would wait for the peer's next packet.
  char buffer[kReadChunk];
  for (;;) {
    const int count = SSL_read(ssl_, buffer, static_cast<int>(sizeof buffer));
    if (count > 0) {
      plaintext.append(buffer, static_cast<std::size_t>(count));
      continue;
    }
    const int reason = SSL_get_error(ssl_, count);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return true;
    if (reason == SSL_ERROR_ZERO_RETURN) {
      peer_closed_ = true;
      return true;
    }
    return fail("read", reason, error);
  }
}

bool TlsClient::fail(const char* during, int reason, std::string& error) {
  failed_ = true;
  error = "TLS " + std::string(during) + " with " + server_name_ + " failed: ";
  const long verify = SSL_get_verify_result(ssl_);
  if (reason == SSL_ERROR_SSL && context_->verify_peer() && verify != X509_V_OK) {
    // The queue only says "certificate verify failed"; the verify result says
    // which check it was (untrusted issuer, expired, host name, ...).
    error += "certificate verify failed: ";
    error += X509_verify_cert_error_string(verify);
    ERR_clear_error();
  } else if (reason == SSL_ERROR_SSL) {
    error += drain_errors();
  } else if (reason == SSL_ERROR_ZERO_RETURN) {
    // Only the handshake gets here: a close_notify after it is a clean end.
    peer_closed_ = true;
    error += "the server closed the session";
  } else {
    // SSL_ERROR_SYSCALL and the like cannot come from memory BIOs unless
    // something is badly wrong; say what OpenSSL said.
    error += "SSL_get_error " + std::to_string(reason) + ": " + drain_errors();
  }
  return false;
}

bool TlsClient::write(std::string_view plaintext, std::string& error) {
  if (ssl_ == nullptr || failed_ || !handshake_done_) {
    error = failed_ ? "TLS: the session has failed" : "TLS: the handshake is not done";
    return false;
  }
  ERR_clear_error();
  // The output BIO grows as needed, so SSL_write takes each slice whole.
  while (!plaintext.empty()) {
    const std::size_t slice = std::min(plaintext.size(), kMaxSlice);
    const int written = SSL_write(ssl_, plaintext.data(), static_cast<int>(slice));
    if (written <= 0) return fail("write", SSL_get_error(ssl_, written), error);
    plaintext.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

void TlsClient::shutdown() {
  // After a fatal error OpenSSL forbids SSL_shutdown, and during the handshake
  // it fails; close_notify is sent once, and the owner just closes the stream.
  if (ssl_ == nullptr || failed_ || !handshake_done_) return;
  if ((SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) != 0) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string TlsClient::take_output() {
  std::string output;
  if (network_out_ == nullptr) return output;
  // Sized once from what is pending, then read in int-sized slices.
  output.resize(BIO_ctrl_pending(network_out_));
  std::size_t taken = 0;
  while (taken < output.size()) {
    const std::size_t slice = std::min(output.size() - taken, kMaxSlice);
    const int count = BIO_read(network_out_, output.data() + taken, static_cast<int>(slice));
    if (count <= 0) break;
    taken += static_cast<std::size_t>(count);
  }
  output.resize(taken);
  return output;
}

}  // namespace uvmapi
