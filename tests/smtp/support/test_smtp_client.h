// A deliberately small blocking SMTP client for the fixtures' own test: plain
// sockets and OpenSSL, nothing shared with the transport under test, so the
// fixtures are proven independently of the code they will be used to test.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_TEST_SMTP_CLIENT_H
#define UVMAPI_TESTS_SMTP_SUPPORT_TEST_SMTP_CLIENT_H

#include <cstdint>
#include <string>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace uvmapi::test::servers {

class TestSmtpClient {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error when it cannot.
  // Every read gives up after 10 seconds, so a silent server fails a test
  // instead of hanging it.
  explicit TestSmtpClient(std::uint16_t port);
  ~TestSmtpClient();
  TestSmtpClient(const TestSmtpClient&) = delete;
  TestSmtpClient& operator=(const TestSmtpClient&) = delete;

  // The next complete reply, its lines joined by "\n" without CRLF; "" when
  // the server closed the connection or did not answer in time.
  std::string reply();
  // Sends line + CRLF and returns the reply.
  std::string command(const std::string& line);
  // Sends bytes as they are.
  void send(const std::string& bytes);

  // Runs a TLS handshake on the connection (after STARTTLS was answered with
  // 220, or at once on an implicit-TLS port) and verifies the server's
  // certificate against ca_file and name (a DNS name or an IP address).
  // False, with OpenSSL's reason in error, when the handshake or the
  // verification fails.
  bool start_tls(const std::string& ca_file, const std::string& name, std::string& error);
  bool tls_active() const { return ssl_ != nullptr; }

 private:
  bool read_more();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

// The three-digit code of a reply; 0 when there is none.
int reply_code(const std::string& reply);
// True when the EHLO reply advertises keyword (e.g. "STARTTLS", "AUTH").
bool advertises(const std::string& ehlo_reply, const std::string& keyword);
// Content as sent after DATA: lines starting with "." get another one, and
// the terminating ".\r\n" is appended. content must end with CRLF.
std::string dot_stuff(const std::string& content);
// Base64, for AUTH.
std::string base64(const std::string& bytes);

}  // namespace uvmapi::test::servers

#endif
