// Keeping a password that a user typed into a URL ("smtp://user:secret@host")
// out of the messages that quote the URL: parse_smtp_url quotes URLs only
// through url_without_password, and the command line refuses such a URL in
// its own words.
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

}  // namespace uvmapi

#endif
