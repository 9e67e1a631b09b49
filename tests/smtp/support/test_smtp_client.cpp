#include "test_smtp_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "loopback.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  // macOS: the socket has SO_NOSIGPIPE instead (loopback.cpp).
#endif

namespace uvmapi::test::servers {

namespace {

std::string openssl_errors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text += (text.empty() ? "" : "; ") + std::string(buffer);
  }
  return text;
}

bool is_ip_literal(const std::string& name) {
  in_addr v4;
  return ::inet_pton(AF_INET, name.c_str(), &v4) == 1;
}

}  // namespace

TestSmtpClient::TestSmtpClient(std::uint16_t port) {
  fd_ = connect_loopback(port, std::chrono::seconds(10));
  if (fd_ < 0) {
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(errno));
  }
  struct timeval timeout = {10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

TestSmtpClient::~TestSmtpClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TestSmtpClient::read_more() {
  char chunk[4096];
  int n = 0;
  if (ssl_) {
    n = SSL_read(ssl_, chunk, sizeof chunk);
  } else {
    do {
      n = static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
    } while (n < 0 && errno == EINTR);
  }
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::string TestSmtpClient::reply() {
  std::string text;
  for (;;) {
    std::size_t end = buffer_.find("\r\n");
    while (end == std::string::npos) {
      if (!read_more()) return "";
      end = buffer_.find("\r\n");
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    text += (text.empty() ? "" : "\n") + line;
    // "250-..." continues, "250 ..." (or a bare code) is the last line.
    if (line.size() < 4 || line[3] != '-') return text;
  }
}

void TestSmtpClient::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    int n = 0;
    if (ssl_) {
      n = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
    } else {
      n = static_cast<int>(::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL));
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) throw std::runtime_error("send failed");
    done += static_cast<std::size_t>(n);
  }
}

std::string TestSmtpClient::command(const std::string& line) {
  send(line + "\r\n");
  return reply();
}

bool TestSmtpClient::start_tls(const std::string& ca_file, const std::string& name,
                               std::string& error) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_ || SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) {
    error = "cannot load " + ca_file + ": " + openssl_errors();
    return false;
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  ssl_ = SSL_new(ctx_);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (is_ip_literal(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    // SSL_set_tlsext_host_name is a macro with a C cast; this is what it does.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    long verify = SSL_get_verify_result(ssl_);
    error = "TLS handshake failed: " + openssl_errors();
    if (verify != X509_V_OK)
      error += "; verify: " + std::string(X509_verify_cert_error_string(verify));
    SSL_free(ssl_);
    ssl_ = nullptr;
    return false;
  }
  return true;
}

int reply_code(const std::string& reply) {
  if (reply.size() < 3) return 0;
  for (int i = 0; i < 3; ++i) {
    if (reply[static_cast<std::size_t>(i)] < '0' || reply[static_cast<std::size_t>(i)] > '9') {
      return 0;
    }
  }
  return std::stoi(reply.substr(0, 3));
}

bool advertises(const std::string& ehlo_reply, const std::string& keyword) {
  std::size_t pos = 0;
  while (pos < ehlo_reply.size()) {
    std::size_t end = ehlo_reply.find('\n', pos);
    if (end == std::string::npos) end = ehlo_reply.size();
    std::string line = ehlo_reply.substr(pos, end - pos);
    if (line.size() > 4 && line.compare(4, keyword.size(), keyword) == 0 &&
        (line.size() == 4 + keyword.size() || line[4 + keyword.size()] == ' ')) {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

std::string dot_stuff(const std::string& content) {
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '.') out.push_back('.');
    out.push_back(c);
    line_start = c == '\n';
  }
  return out + ".\r\n";
}

std::string base64(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(v >> shift) & 63]);
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace uvmapi::test::servers
