// One SMTP client connection on the loop: it connects (trying each address
// of the host), secures itself (implicit TLS or STARTTLS), greets with EHLO
// (HELO if the server knows no better), authenticates, then runs mail
// transactions, pipelined when the server allows: a transaction's MAIL, RCPT
// and DATA go in one write, and the next transaction's commands follow the
// previous message's final "." in the same write, so a message costs one
// round trip. Every wait has a timeout.
//
// Loop thread only. The owner hands it jobs while can_take() and hears back
// through Owner; a connection never calls its owner from take().
#ifndef UVMAPI_CPP_SMTP_SMTP_CONNECTION_H
#define UVMAPI_CPP_SMTP_SMTP_CONNECTION_H

#include <uv.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "smtp/smtp_config.h"
#include "smtp/smtp_job.h"
#include "smtp/smtp_reply.h"
#include "smtp/smtp_wire.h"
#include "timer.h"

namespace uvmapi {

class TlsClient;
class TlsContext;
struct SmtpStats;

class SmtpConnection {
 public:
  class Owner {
   public:
    virtual ~Owner() = default;
    // The connection can take a job (it just got ready, or a job finished).
    virtual void connection_ready(SmtpConnection& connection) = 0;
    // A job is over, whatever the server said; the job says what.
    virtual void job_done(SmtpConnection& connection, std::unique_ptr<SmtpJob> job) = 0;
    // The connection is closed and will do nothing more; the owner should
    // destroy it, but not inside this call. unfinished: the jobs it held, each
    // with a failure saying what happened. was_ready: it had been set up.
    virtual void connection_closed(SmtpConnection& connection,
                                   std::vector<std::unique_ptr<SmtpJob>> unfinished,
                                   const std::string& problem, bool was_ready) = 0;
  };

  SmtpConnection(uv_loop_t* loop, const SmtpConfig& config, std::shared_ptr<TlsContext> tls,
                 Owner& owner, SmtpStats& stats);
  // Closes the socket at once, telling the owner nothing.
  ~SmtpConnection();
  SmtpConnection(const SmtpConnection&) = delete;
  SmtpConnection& operator=(const SmtpConnection&) = delete;

  void start();

  bool ready() const { return state_ == State::Ready; }
  bool can_take() const { return ready() && jobs_.size() < window(); }
  bool idle() const { return ready() && jobs_.empty(); }
  bool closed() const { return state_ == State::Closed; }
  bool holds(ActivityId send) const;
  // The server's SIZE limit; 0 when it announced none.
  std::uint64_t max_size() const { return caps_.size ? caps_.max_size : 0; }

  void take(std::unique_ptr<SmtpJob> job);

  // Ends the session politely (QUIT) when it holds no job; otherwise closes.
  // Either way the owner hears connection_closed.
  void quit();

  // Closes at once and returns the jobs it held, telling the owner nothing
  // (the owner asked). The connection is closed afterwards.
  std::vector<std::unique_ptr<SmtpJob>> abandon();

 private:
  enum class State { Idle, Resolving, Connecting, Setup, Ready, Quitting, Closed };
  enum class Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    AuthPlain,
    AuthLogin,
    AuthUser,
    AuthPass,
    Mail,
    Rcpt,
    Data,
    Dot,
    Rset,
    Quit
  };
  struct Pending {
    Expect expect;
    std::size_t index = 0;  // Rcpt: which recipient.
  };
  struct Command {
    std::string line;
    Pending pending;
  };

  std::size_t window() const { return caps_.pipelining && config_.pipelining ? 2 : 1; }

  // Connecting.
  static void on_resolved(uv_getaddrinfo_t* request, int status, struct addrinfo* result);
  void connect_next();
  static void on_connected(uv_connect_t* request, int status);
  void on_tcp_ready();
  void start_tls();

  // Bytes.
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buffer);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer);
  void received(const char* data, std::size_t size);
  void write(std::string data);
  void write_raw(std::string data);
  static void on_written(uv_write_t* request, int status);

  // Replies.
  void handle(const SmtpReply& reply);
  void handle_setup(Pending pending, const SmtpReply& reply);
  void handle_transaction(Pending pending, const SmtpReply& reply);
  void send_ehlo();
  void after_ehlo();
  void authenticate();
  void become_ready();
  void send_commands(std::vector<Command> commands);
  // Appends job's MAIL, RCPT and DATA to group (or, without pipelining,
  // the first of them, keeping the rest in unsent_).
  void begin_transaction(SmtpJob& job, std::string& group);
  void after_data(const SmtpReply& reply);
  void finish_front();
  void arm_timer();

  void fail(const std::string& problem);
  // fail() on the next loop iteration, for failures found inside start() or
  // take(), which must not call the owner.
  void fail_soon(const std::string& problem);
  void close_socket();

  uv_loop_t* loop_;
  const SmtpConfig& config_;
  std::shared_ptr<TlsContext> tls_context_;
  Owner& owner_;
  SmtpStats& stats_;
  State state_ = State::Idle;
  bool was_ready_ = false;

  uv_getaddrinfo_t* resolve_ = nullptr;
  std::vector<std::vector<char>> addresses_;  // sockaddr bytes, in the resolver's order.
  std::size_t next_address_ = 0;
  uv_tcp_t* tcp_ = nullptr;
  std::string connect_problem_;
  std::vector<char> read_buffer_;

  std::unique_ptr<TlsClient> tls_;
  bool tls_active_ = false;
  SmtpReplyParser parser_;
  SmtpCapabilities caps_;
  bool authenticated_ = false;

  std::deque<Pending> pending_;  // Replies awaited, in order.
  std::deque<Command> unsent_;   // Without pipelining: commands after the awaited one.
  std::deque<std::unique_ptr<SmtpJob>> jobs_;  // jobs_[0] is in its transaction.
  std::size_t accepted_ = 0;                   // Recipients of jobs_[0] answered 2xx.
  bool front_failed_ = false;                  // MAIL of jobs_[0] was refused.
  bool front_discard_ = false;                 // jobs_[0]'s "." ends an empty DATA.
  bool next_started_ = false;                  // jobs_[1]'s commands follow jobs_[0]'s ".".
  bool need_rset_ = false;                     // The server may still be inside a transaction.
  Timer timer_;
};

}  // namespace uvmapi

#endif
