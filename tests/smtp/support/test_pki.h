// A throwaway TLS PKI for the servers, made with the openssl command at test
// time so no key is ever committed and certificates never expire in the
// repository: a CA, a server certificate it signed, and a second CA that
// signed nothing, for tests that must see verification fail.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_TEST_PKI_H
#define UVMAPI_TESTS_SMTP_SUPPORT_TEST_PKI_H

#include <string>

namespace uvmapi::test::servers {

struct TestPki {
  // The CA certificate (PEM) that signed the server certificate: what a
  // client trusts to verify the servers.
  std::string ca_file;
  // Another CA certificate (PEM) with the same subject name but its own key.
  // It did not sign the server certificate, so verification against it must
  // fail; the equal name makes sure a client checks the signature, not just
  // the issuer's name.
  std::string wrong_ca_file;
  // The server's certificate (PEM; subject CN=localhost, subjectAltName
  // DNS:localhost and IP:127.0.0.1, valid for 30 days from now) and its
  // private key (PEM, mode 0600).
  std::string server_cert_file;
  std::string server_key_file;
};

// The openssl command, or "" when it is not installed.
std::string openssl_binary();

// Creates the files in dir (which must exist). ECDSA P-256 keys, because they
// are made in milliseconds where RSA keys take much longer. Throws
// std::runtime_error with openssl's output when a step fails.
TestPki make_test_pki(const std::string& dir);

}  // namespace uvmapi::test::servers

#endif
