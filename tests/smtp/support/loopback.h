// Loopback networking for the fixtures: free ports to put servers on, and
// waiting until a server really answers there. Readiness is always a
// condition polled against a deadline, never a fixed sleep: a fixed sleep is
// either too short on a loaded CI machine or wasted time everywhere else.
#ifndef UVMAPI_TESTS_SMTP_SUPPORT_LOOPBACK_H
#define UVMAPI_TESTS_SMTP_SUPPORT_LOOPBACK_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace uvmapi::test::servers {

// count distinct TCP ports on 127.0.0.1 that were free a moment ago. All
// sockets are bound before any is closed, so the ports differ from each
// other. Another process could still take one before the server binds it;
// the servers then fail to start with a clear error, which is rare enough.
std::vector<std::uint16_t> free_loopback_ports(std::size_t count);
std::uint16_t free_loopback_port();

// Connects to 127.0.0.1:port; returns the socket (close-on-exec, blocking)
// or -1 with errno set (ECONNREFUSED when nothing listens, ETIMEDOUT).
int connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout);

// True when something listens on 127.0.0.1:port right now.
bool accepts_connections(std::uint16_t port);

// Waits until a server on 127.0.0.1:port answers a new connection with its
// first reply line (normally the "220" greeting), retrying every few
// milliseconds until timeout. The probe then sends QUIT and closes. alive is
// asked between attempts so a server that died is reported at once instead
// of at the deadline. On success the first line (CRLF removed, "" when the
// server closed the connection without a word) is in reply; otherwise reply
// says why. The probe is one SMTP session, which matters for servers that
// count sessions.
bool wait_for_smtp_answer(std::uint16_t port, std::chrono::milliseconds timeout,
                          const std::function<bool()>& alive, std::string& reply);

// Waits until 127.0.0.1:port accepts TCP connections, for ports whose first
// bytes come only after a TLS handshake. Retries and reports as above.
bool wait_for_listener(std::uint16_t port, std::chrono::milliseconds timeout,
                       const std::function<bool()>& alive, std::string& error);

// Waits until nothing listens on 127.0.0.1:port any more.
bool wait_until_closed(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace uvmapi::test::servers

#endif
