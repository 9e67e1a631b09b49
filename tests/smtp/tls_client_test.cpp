// TlsClient against an OpenSSL server in the same process. A test CA and its
// server certificate (SAN DNS:localhost and IP:127.0.0.1) are made here with
// the OpenSSL API; client and server talk through memory BIOs, pumped in a
// loop until no bytes move, so there are no sockets and no waits.
#include "smtp/tls_client.h"

#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace uvmapi::test {
namespace {

namespace fs = std::filesystem;

template <auto Free>
struct Freer {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Freer<X509_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Freer<SSL_CTX_free>>;

KeyPtr make_key() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key != nullptr);
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(extension != nullptr);
  REQUIRE(X509_add_ext(cert, extension, -1) == 1);
  X509_EXTENSION_free(extension);
}

// A certificate for key, named common_name and signed by issuer_key. With no
// issuer it is a self-signed CA; with one, a server certificate with san.
CertPtr make_cert(EVP_PKEY* key, const char* common_name, X509* issuer, EVP_PKEY* issuer_key,
                  const char* san) {
  static long serial = 1;
  CertPtr cert(X509_new());
  REQUIRE(cert != nullptr);
  X509* x = cert.get();
  REQUIRE(X509_set_version(x, 2) == 1);
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr);
  REQUIRE(X509_set_pubkey(x, key) == 1);
  X509_NAME* name = X509_get_subject_name(x);
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                     0) == 1);
  X509* signer = issuer != nullptr ? issuer : x;
  REQUIRE(X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1);
  add_extension(x, signer, NID_subject_key_identifier, "hash");
  add_extension(x, signer, NID_authority_key_identifier, "keyid:always");
  if (issuer == nullptr) {
    add_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(x, signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, signer, NID_ext_key_usage, "serverAuth");
    add_extension(x, signer, NID_subject_alt_name, san);
  }
  REQUIRE(X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0);
  return cert;
}

// A CA in a PEM file, and a server certificate it signed.
struct Pki {
  Pki() {
    std::string pattern = (fs::temp_directory_path() / "uvmapi-tls-ca-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    ca_file = pattern;
    BIO* file = BIO_new_file(ca_file.c_str(), "w");
    REQUIRE(file != nullptr);
    const int written = PEM_write_bio_X509(file, ca_cert.get());
    BIO_free(file);
    REQUIRE(written == 1);
  }
  ~Pki() {
    std::error_code ignored;
    fs::remove(ca_file, ignored);
  }
  Pki(const Pki&) = delete;
  Pki& operator=(const Pki&) = delete;

  KeyPtr ca_key = make_key();
  CertPtr ca_cert = make_cert(ca_key.get(), "uvmapi test CA", nullptr, nullptr, nullptr);
  KeyPtr server_key = make_key();
  CertPtr server_cert = make_cert(server_key.get(), "localhost", ca_cert.get(), ca_key.get(),
                                  "DNS:localhost,IP:127.0.0.1");
  std::string ca_file;
};

// The server end: an SSL over two memory BIOs, as the client's.
class Server {
 public:
  explicit Server(const Pki& pki) {
    ctx_.reset(SSL_CTX_new(TLS_server_method()));
    REQUIRE(ctx_ != nullptr);
    REQUIRE(SSL_CTX_use_certificate(ctx_.get(), pki.server_cert.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx_.get(), pki.server_key.get()) == 1);
    ssl_ = SSL_new(ctx_.get());
    REQUIRE(ssl_ != nullptr);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    REQUIRE((in_ != nullptr && out_ != nullptr));
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_accept_state(ssl_);
  }
  ~Server() { SSL_free(ssl_); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  SSL* ssl() const { return ssl_; }
  // Takes the client's bytes and answers them; false once the server failed.
  bool receive(const std::string& bytes) {
    // The server shares the thread, and the error queue, with the client.
    ERR_clear_error();
    if (!bytes.empty()) {
      REQUIRE(BIO_write(in_, bytes.data(), static_cast<int>(bytes.size())) ==
              static_cast<int>(bytes.size()));
    }
    if (!SSL_is_init_finished(ssl_)) {
      const int result = SSL_do_handshake(ssl_);
      if (result != 1) return SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ;
    }
    char buffer[4096];
    int count;
    while ((count = SSL_read(ssl_, buffer, sizeof buffer)) > 0) received.append(buffer, count);
    const int reason = SSL_get_error(ssl_, count);
    return reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_ZERO_RETURN;
  }
  std::string take_output() {
    std::string bytes(BIO_ctrl_pending(out_), '\0');
    if (!bytes.empty()) REQUIRE(BIO_read(out_, bytes.data(), static_cast<int>(bytes.size())) > 0);
    return bytes;
  }
  void send(const std::string& plaintext) {
    REQUIRE(SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size())) ==
            static_cast<int>(plaintext.size()));
  }

  std::string received;

 private:
  SslCtxPtr ctx_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;  // Owned by ssl_.
  BIO* out_ = nullptr;
};

// Moves bytes both ways until neither side has anything to send. False with
// error when the client fails; a server failure is a test failure.
bool pump(TlsClient& client, Server& server, std::string& plaintext, std::string& error) {
  for (int round = 0; round < 100; ++round) {
    const std::string to_server = client.take_output();
    CHECK(server.receive(to_server));
    const std::string to_client = server.take_output();
    if (to_server.empty() && to_client.empty()) return true;
    if (!to_client.empty() && !client.feed(to_client.data(), to_client.size(), plaintext, error)) {
      return false;
    }
  }
  FAIL("the connection did not settle");
  return false;
}

std::shared_ptr<TlsContext> context_for(bool verify, const std::string& ca_file) {
  std::string error;
  auto context = TlsContext::create(verify, ca_file, error);
  INFO(error);
  REQUIRE(context != nullptr);
  return context;
}

// Connects a client for server_name to a server with pki's certificate.
struct Connection {
  Connection(const Pki& pki, std::shared_ptr<TlsContext> context, const std::string& server_name)
      : server(pki), client(std::move(context), server_name) {
    ok = client.start(error) && pump(client, server, plaintext, error);
  }
  Server server;
  TlsClient client;
  std::string plaintext;
  std::string error;
  bool ok = false;
};

}  // namespace

TEST_CASE("TLS: a verified handshake carries data both ways") {
  Pki pki;
  Connection c(pki, context_for(true, pki.ca_file), "localhost");
  INFO(c.error);
  REQUIRE(c.ok);
  CHECK(c.client.handshake_done());
  CHECK(SSL_is_init_finished(c.server.ssl()));
  const char* sni = SSL_get_servername(c.server.ssl(), TLSEXT_NAMETYPE_host_name);
  REQUIRE(sni != nullptr);
  CHECK(std::string(sni) == "localhost");

  // Larger than one record, so several records cross in one feed.
  const std::string request = "EHLO client.example\r\n" + std::string(70000, 'x');
  REQUIRE(c.client.write(request, c.error));
  REQUIRE(pump(c.client, c.server, c.plaintext, c.error));
  CHECK(c.server.received == request);

  const std::string reply = "250-localhost\r\n" + std::string(40000, 'y') + "\r\n";
  c.server.send(reply);
  REQUIRE(pump(c.client, c.server, c.plaintext, c.error));
  CHECK(c.plaintext == reply);
  CHECK_FALSE(c.client.peer_closed());
}

TEST_CASE("TLS: the context asks for TLS 1.2 or newer and verifies as told") {
  Pki pki;
  auto verifying = context_for(true, pki.ca_file);
  CHECK(verifying->verify_peer());
  CHECK(SSL_CTX_get_min_proto_version(verifying->native()) == TLS1_2_VERSION);
  CHECK(SSL_CTX_get_verify_mode(verifying->native()) == SSL_VERIFY_PEER);
  auto trusting = context_for(false, "");
  CHECK_FALSE(trusting->verify_peer());
  CHECK(SSL_CTX_get_verify_mode(trusting->native()) == SSL_VERIFY_NONE);
}

TEST_CASE("TLS: a certificate for another host name fails the handshake") {
  Pki pki;
  auto context = context_for(true, pki.ca_file);
  Connection c(pki, context, "mail.example.org");
  CHECK_FALSE(c.ok);
  CHECK_FALSE(c.client.handshake_done());
  INFO(c.error);
  CHECK(c.error.find("certificate verify failed: hostname mismatch") != std::string::npos);
  CHECK(c.error.find("mail.example.org") != std::string::npos);
  std::string error;
  CHECK_FALSE(c.client.write("QUIT\r\n", error));

  // The failure leaves nothing behind for the next connection on this thread.
  Connection next(pki, context, "localhost");
  INFO(next.error);
  CHECK(next.ok);
  CHECK(next.client.handshake_done());
}

TEST_CASE("TLS: a server whose CA is not trusted fails the handshake") {
  Pki pki;
  Pki other;
  Connection c(pki, context_for(true, other.ca_file), "localhost");
  CHECK_FALSE(c.ok);
  CHECK_FALSE(c.client.handshake_done());
  INFO(c.error);
  CHECK(c.error.find("certificate verify failed: unable to get local issuer certificate") !=
        std::string::npos);
}

TEST_CASE("TLS: without verification an untrusted server is accepted") {
  Pki pki;
  Pki other;
  Connection c(pki, context_for(false, other.ca_file), "mail.example.org");
  INFO(c.error);
  REQUIRE(c.ok);
  CHECK(c.client.handshake_done());
  REQUIRE(c.client.write("NOOP\r\n", c.error));
  REQUIRE(pump(c.client, c.server, c.plaintext, c.error));
  CHECK(c.server.received == "NOOP\r\n");
}

TEST_CASE("TLS: an IP literal is checked against the certificate's IP addresses") {
  Pki pki;
  auto context = context_for(true, pki.ca_file);
  Connection c(pki, context, "127.0.0.1");
  INFO(c.error);
  CHECK(c.ok);
  CHECK(c.client.handshake_done());
  // No SNI for an address (RFC 6066).
  CHECK(SSL_get_servername(c.server.ssl(), TLSEXT_NAMETYPE_host_name) == nullptr);

  Connection wrong(pki, context, "127.0.0.2");
  CHECK_FALSE(wrong.ok);
  INFO(wrong.error);
  CHECK(wrong.error.find("certificate verify failed: IP address mismatch") != std::string::npos);
}

TEST_CASE("TLS: a CA file that does not exist fails create with its path") {
  const std::string path = (fs::temp_directory_path() / "uvmapi-no-such-ca.pem").string();
  std::string error;
  CHECK(TlsContext::create(true, path, error) == nullptr);
  INFO(error);
  CHECK(error.find("'" + path + "'") != std::string::npos);
  CHECK(ERR_peek_error() == 0);
}

TEST_CASE("TLS: stale errors of this thread do not fail a connection") {
  Pki pki;
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  auto context = context_for(true, pki.ca_file);
  Server server(pki);
  TlsClient client(context, "localhost");
  std::string error;
  std::string plaintext;
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  REQUIRE(client.start(error));
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  INFO(error);
  REQUIRE(pump(client, server, plaintext, error));
  CHECK(client.handshake_done());
  // A stale error makes SSL_get_error report SSL_ERROR_SSL where SSL_read
  // merely ran out of bytes, unless feed() clears the queue first. (The
  // handshake clears it itself; reading does not.)
  server.send("250 OK\r\n");
  const std::string record = server.take_output();
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  CHECK(client.feed(record.data(), record.size(), plaintext, error));
  CHECK(plaintext == "250 OK\r\n");
}

TEST_CASE("TLS: the server's close_notify sets peer_closed") {
  Pki pki;
  Connection c(pki, context_for(true, pki.ca_file), "localhost");
  INFO(c.error);
  REQUIRE(c.ok);
  CHECK_FALSE(c.client.peer_closed());
  c.server.send("221 bye\r\n");
  SSL_shutdown(c.server.ssl());
  REQUIRE(pump(c.client, c.server, c.plaintext, c.error));
  CHECK(c.plaintext == "221 bye\r\n");
  CHECK(c.client.peer_closed());

  // The client's own close_notify reaches the server, once.
  c.client.shutdown();
  const std::string alert = c.client.take_output();
  CHECK_FALSE(alert.empty());
  c.client.shutdown();
  CHECK(c.client.take_output().empty());
  CHECK(c.server.receive(alert));
  CHECK((SSL_get_shutdown(c.server.ssl()) & SSL_RECEIVED_SHUTDOWN) != 0);
}

TEST_CASE("TLS: garbage from the server fails cleanly") {
  Pki pki;
  TlsClient client(context_for(true, pki.ca_file), "localhost");
  std::string error;
  std::string plaintext;
  CHECK_FALSE(client.feed("x", 1, plaintext, error));  // Not started.
  REQUIRE(client.start(error));
  CHECK_FALSE(client.take_output().empty());  // The ClientHello.
  const std::string garbage = "220 smtp.example.org ESMTP ready\r\n";
  CHECK_FALSE(client.feed(garbage.data(), garbage.size(), plaintext, error));
  INFO(error);
  CHECK(error.find("TLS handshake with localhost failed") != std::string::npos);
  CHECK(plaintext.empty());
  CHECK_FALSE(client.handshake_done());
  CHECK(ERR_peek_error() == 0);
  error.clear();
  CHECK_FALSE(client.feed(garbage.data(), garbage.size(), plaintext, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(client.write("QUIT\r\n", error));
  client.shutdown();  // Must not call SSL_shutdown after the fatal error.
}

}  // namespace uvmapi::test
