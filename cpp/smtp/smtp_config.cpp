#include "smtp/smtp_config.h"

#include <cstdlib>

#include "url_password.h"

namespace uvmapi {

namespace {

HRESULT refuse(std::string& error, std::string why) {
  error = std::move(why);
  return MAPI_E_INVALID_PARAMETER;
}

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

HRESULT parse_smtp_url(const std::string& url, SmtpConfig& config, std::string& error) {
  // Messages quote the URL without a password typed into it.
  const std::string shown = url_without_password(url);
  SmtpConfig parsed = config;
  std::string rest;
  if (url.rfind("smtp://", 0) == 0) {
    parsed.security = SmtpSecurity::StartTls;
    parsed.port = 587;
    rest = url.substr(7);
  } else if (url.rfind("smtps://", 0) == 0) {
    parsed.security = SmtpSecurity::Implicit;
    parsed.port = 465;
    rest = url.substr(8);
  } else {
    return refuse(error, "the SMTP URL must start with smtp:// or smtps://: " + shown);
  }
  // A trailing slash is harmless; a path or query means the URL is not what we think.
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/?#") != std::string::npos) {
    return refuse(error, "the SMTP URL has a path or query, which uvmapi does not use: " + shown);
  }
  std::size_t at = rest.rfind('@');
  if (at != std::string::npos) {
    std::string user = rest.substr(0, at);
    if (user.find(':') != std::string::npos) {
      // Deliberately not echoing the URL: it holds the password.
      return refuse(error,
                    "the SMTP URL holds a password; give it through the password option instead, "
                    "so it does not show in process listings");
    }
    if (user.empty()) return refuse(error, "the SMTP URL has an empty user name before '@'");
    parsed.username = user;
    rest = rest.substr(at + 1);
  }
  std::string host;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string::npos) return refuse(error, "unclosed '[' in the SMTP URL: " + shown);
    host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return refuse(error, "unexpected text after ']' in the SMTP URL: " + shown);
      port = after.substr(1);
    }
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
      return refuse(error, "not an IPv6 address in brackets: " + shown);
    }
  } else {
    std::size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
    if (host.empty()) return refuse(error, "the SMTP URL has no host: " + shown);
    for (char c : host) {
      if (!valid_host_char(c)) return refuse(error, "not a host name: " + host);
    }
  }
  if (!port.empty() || rest.find(':') != std::string::npos) {
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos) {
      return refuse(error, "not a port number in the SMTP URL: " + shown);
    }
    long number = std::strtol(port.c_str(), nullptr, 10);
    if (number < 1 || number > 65535) return refuse(error, "port out of range: " + port);
    parsed.port = static_cast<std::uint16_t>(number);
  }
  parsed.host = host;
  config = parsed;
  return S_OK;
}

HRESULT validate_smtp_config(const SmtpConfig& config, std::string& error) {
  if (config.host.empty()) return refuse(error, "no SMTP server host is configured");
  if (config.port == 0) return refuse(error, "the SMTP port is 0");
  if (config.connections == 0)
    return refuse(error, "the SMTP transport needs at least 1 connection");
  if (config.send_capacity == 0) return refuse(error, "the SMTP send capacity must be at least 1");
  using std::chrono::milliseconds;
  for (milliseconds timeout : {config.connect_timeout, config.command_timeout, config.data_timeout,
                               config.retry_initial, config.retry_max}) {
    if (timeout <= milliseconds::zero()) return refuse(error, "SMTP timeouts must be positive");
  }
  if (config.idle_timeout < milliseconds::zero()) {
    return refuse(error, "the SMTP idle timeout must not be negative");
  }
  if (config.retry_max < config.retry_initial) {
    return refuse(error, "the SMTP retry maximum is smaller than the first retry delay");
  }
  if (config.password.empty() != config.username.empty()) {
    return refuse(error, config.username.empty()
                             ? "an SMTP password is configured without a user name"
                             : "an SMTP user name is configured without a password");
  }
  for (char c : config.helo_name) {
    if (!valid_host_char(c) && c != '[' && c != ']' && c != ':') {
      return refuse(error, "the EHLO name is not a host name: " + config.helo_name);
    }
  }
  for (const std::string* text : {&config.username, &config.password}) {
    if (text->find('\0') != std::string::npos) {
      return refuse(error, "the SMTP user name or password holds a NUL character");
    }
  }
  return S_OK;
}

}  // namespace uvmapi
