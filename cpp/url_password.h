// Keeping a password that a user typed into a URL ("smtp://user:secret@host")
// out of the messages that quote the URL. parse_smtp_url refuses such a URL,
// but some of its other refusals quote the URL whole, and those may come
// first; the C ABI and the command line pass every such message through here.
#ifndef UVMAPI_CPP_URL_PASSWORD_H
#define UVMAPI_CPP_URL_PASSWORD_H

#include <string>

namespace uvmapi {

// The url with the password of its user part ("user:password@") replaced by
// "***"; the url unchanged when it has none. The user part is whatever
// precedes the last '@', after the scheme's "://" when there is one.
inline std::string url_without_password(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t at = url.rfind('@');
  if (at == std::string::npos || at < start) return url;
  const std::size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

// Whether url holds a password in its user part.
inline bool url_has_password(const std::string& url) {
  return url_without_password(url) != url;
}

// text with every quotation of url replaced by url_without_password(url).
inline std::string hide_url_password(std::string text, const std::string& url) {
  const std::string safe = url_without_password(url);
  if (safe == url || url.empty()) return text;
  for (std::size_t at = text.find(url); at != std::string::npos;
       at = text.find(url, at + safe.size())) {
    text.replace(at, url.size(), safe);
  }
  return text;
}

}  // namespace uvmapi

#endif
