#include "smtp/smtp_connection.h"

#include <cstring>
#include <utility>

#include "smtp/smtp_transport.h"
#include "smtp/tls_client.h"

namespace uvmapi {

namespace {

struct WriteRequest {
  uv_write_t request;
  std::string data;
};

const char* expect_name(int expect) {
  static const char* const kNames[] = {
      "the greeting", "EHLO",       "HELO",      "STARTTLS", "AUTH PLAIN", "AUTH LOGIN",
      "AUTH LOGIN",   "AUTH LOGIN", "MAIL FROM", "RCPT TO",  "DATA",       "the end of the message",
      "RSET",         "QUIT"};
  return kNames[expect];
}

std::string describe(const SmtpReply& reply) {
  return "the server answered \"" + reply.text() + "\"";
}

}  // namespace

SmtpConnection::SmtpConnection(uv_loop_t* loop, const SmtpConfig& config,
                               std::shared_ptr<TlsContext> tls, Owner& owner, SmtpStats& stats)
    : loop_(loop),
      config_(config),
      tls_context_(std::move(tls)),
      owner_(owner),
      stats_(stats),
      timer_(loop) {}

SmtpConnection::~SmtpConnection() {
  if (resolve_) resolve_->data = nullptr;  // on_resolved frees it.
  close_socket();
}

bool SmtpConnection::holds(ActivityId send) const {
  for (const auto& job : jobs_) {
    if (job->send == send) return true;
  }
  return false;
}

void SmtpConnection::start() {
  state_ = State::Resolving;
  resolve_ = new uv_getaddrinfo_t;
  resolve_->data = this;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string port = std::to_string(config_.port);
  timer_.start(config_.connect_timeout,
               [this] { fail("could not connect to " + config_.host + " in time"); });
  int status =
      uv_getaddrinfo(loop_, resolve_, on_resolved, config_.host.c_str(), port.c_str(), &hints);
  if (status != 0) {
    delete resolve_;
    resolve_ = nullptr;
    fail_soon("cannot resolve " + config_.host + ": " + uv_strerror(status));
  }
}

void SmtpConnection::on_resolved(uv_getaddrinfo_t* request, int status, struct addrinfo* result) {
  auto* self = static_cast<SmtpConnection*>(request->data);
  delete request;
  if (!self) {
    uv_freeaddrinfo(result);
    return;
  }
  self->resolve_ = nullptr;
  if (status != 0) {
    uv_freeaddrinfo(result);
    self->fail("cannot resolve " + self->config_.host + ": " + uv_strerror(status));
    return;
  }
  for (auto* info = result; info; info = info->ai_next) {
    const char* bytes = reinterpret_cast<const char*>(info->ai_addr);
    self->addresses_.emplace_back(bytes, bytes + info->ai_addrlen);
  }
  uv_freeaddrinfo(result);
  self->state_ = State::Connecting;
  self->connect_next();
}

void SmtpConnection::connect_next() {
  close_socket();
  if (next_address_ >= addresses_.size()) {
    fail("cannot connect to " + config_.host + ":" + std::to_string(config_.port) + ": " +
         (connect_problem_.empty() ? "no address" : connect_problem_));
    return;
  }
  const auto& address = addresses_[next_address_++];
  tcp_ = new uv_tcp_t;
  uv_tcp_init(loop_, tcp_);
  tcp_->data = this;
  auto* request = new uv_connect_t;
  request->data = this;
  int status = uv_tcp_connect(request, tcp_, reinterpret_cast<const sockaddr*>(address.data()),
                              on_connected);
  if (status != 0) {
    delete request;
    connect_problem_ = uv_strerror(status);
    connect_next();
  }
}

void SmtpConnection::on_connected(uv_connect_t* request, int status) {
  // A closed socket cancels its connect: the handle's data is then cleared.
  auto* self = static_cast<SmtpConnection*>(request->handle->data);
  delete request;
  if (!self || status == UV_ECANCELED) return;
  if (status != 0) {
    self->connect_problem_ = uv_strerror(status);
    self->connect_next();
    return;
  }
  self->on_tcp_ready();
}

void SmtpConnection::on_tcp_ready() {
  state_ = State::Setup;
  ++stats_.connections_opened;
  uv_tcp_nodelay(tcp_, 1);
  read_buffer_.resize(64 * 1024);
  int status = uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_), on_alloc, on_read);
  if (status != 0) {
    fail(std::string("cannot read from the server: ") + uv_strerror(status));
    return;
  }
  pending_.push_back({Expect::Greeting});
  if (config_.security == SmtpSecurity::Implicit) {
    start_tls();
  } else {
    arm_timer();
  }
}

void SmtpConnection::start_tls() {
  tls_ = std::make_unique<TlsClient>(
      tls_context_, config_.tls_server_name.empty() ? config_.host : config_.tls_server_name);
  std::string error;
  if (!tls_->start(error)) {
    fail("TLS: " + error);
    return;
  }
  timer_.start(config_.command_timeout, [this] { fail("the TLS handshake timed out"); });
  write_raw(tls_->take_output());
}

void SmtpConnection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buffer) {
  auto* self = static_cast<SmtpConnection*>(handle->data);
  *buffer =
      uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
}

void SmtpConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buffer) {
  auto* self = static_cast<SmtpConnection*>(stream->data);
  if (!self || nread == 0) return;
  if (nread < 0) {
    self->fail(nread == UV_EOF ? std::string("the server closed the connection")
                               : std::string("reading from the server failed: ") +
                                     uv_strerror(static_cast<int>(nread)));
    return;
  }
  self->received(buffer->base, static_cast<std::size_t>(nread));
}

void SmtpConnection::received(const char* data, std::size_t size) {
  if (tls_) {
    bool was_secure = tls_->handshake_done();
    std::string plain;
    std::string error;
    bool ok = tls_->feed(data, size, plain, error);
    std::string out = tls_->take_output();
    if (!out.empty()) write_raw(std::move(out));
    if (!ok) {
      fail("TLS: " + error);
      return;
    }
    if (!was_secure && tls_->handshake_done()) {
      tls_active_ = true;
      if (config_.security == SmtpSecurity::Implicit) {
        arm_timer();  // The greeting comes through TLS.
      } else {
        send_ehlo();  // RFC 3207: everything learnt before STARTTLS is forgotten.
      }
    }
    if (plain.empty()) return;
    parser_.feed(plain);
  } else {
    parser_.feed(std::string_view(data, size));
  }
  SmtpReply reply;
  std::string error;
  while (state_ != State::Closed) {
    auto result = parser_.next(reply, error);
    if (result == SmtpReplyParser::Result::NeedMore) return;
    if (result == SmtpReplyParser::Result::Error) {
      fail(error);
      return;
    }
    handle(reply);
  }
}

void SmtpConnection::write(std::string data) {
  if (!tls_) {
    write_raw(std::move(data));
    return;
  }
  std::string error;
  if (!tls_->write(data, error)) {
    fail("TLS: " + error);
    return;
  }
  write_raw(tls_->take_output());
}

void SmtpConnection::write_raw(std::string data) {
  if (data.empty() || !tcp_) return;
  auto* request = new WriteRequest{};
  request->data = std::move(data);
  request->request.data = this;
  uv_buf_t buffer = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
  int status =
      uv_write(&request->request, reinterpret_cast<uv_stream_t*>(tcp_), &buffer, 1, on_written);
  if (status != 0) {
    delete request;
    fail_soon(std::string("writing to the server failed: ") + uv_strerror(status));
  }
}

void SmtpConnection::on_written(uv_write_t* request, int status) {
  auto* write = reinterpret_cast<WriteRequest*>(request);
  // The handle's data is cleared when the socket is closed on purpose.
  auto* self = static_cast<SmtpConnection*>(request->handle->data);
  delete write;
  if (self && status != 0 && status != UV_ECANCELED) {
    self->fail(std::string("writing to the server failed: ") + uv_strerror(status));
  }
}

void SmtpConnection::handle(const SmtpReply& reply) {
  if (pending_.empty()) {
    fail("the server sent a reply nobody asked for: \"" + reply.text() + "\"");
    return;
  }
  Pending pending = pending_.front();
  pending_.pop_front();
  if (pending.expect >= Expect::Mail && pending.expect <= Expect::Rset) {
    handle_transaction(pending, reply);
  } else {
    handle_setup(pending, reply);
  }
  if (state_ == State::Closed) return;
  if (pending_.empty() && !unsent_.empty()) {
    Command next = std::move(unsent_.front());
    unsent_.pop_front();
    if (next.pending.expect == Expect::Data && (front_failed_ || accepted_ == 0)) {
      // No recipient took it: do not open DATA.
      need_rset_ = true;
      unsent_.clear();
      finish_front();
      return;
    }
    pending_.push_back(next.pending);
    write(std::move(next.line));
  }
  arm_timer();
}

void SmtpConnection::handle_setup(Pending pending, const SmtpReply& reply) {
  auto refuse = [&](const std::string& what) { fail(what + ": " + describe(reply)); };
  switch (pending.expect) {
    case Expect::Greeting:
      if (reply.code != 220) return refuse("the server refused the connection");
      send_ehlo();
      return;
    case Expect::Ehlo:
      if (reply.code == 250) {
        caps_ = parse_ehlo(reply);
        after_ehlo();
      } else if (reply.permanent() && config_.security != SmtpSecurity::StartTls) {
        // An old server: HELO, with none of the extensions.
        pending_.push_back({Expect::Helo});
        write("HELO " + (config_.helo_name.empty() ? std::string("localhost") : config_.helo_name) +
              "\r\n");
      } else {
        refuse("EHLO failed");
      }
      return;
    case Expect::Helo:
      if (reply.code != 250) return refuse("HELO failed");
      caps_ = SmtpCapabilities{};
      after_ehlo();
      return;
    case Expect::StartTls:
      if (reply.code != 220) return refuse("STARTTLS failed");
      // Anything sent after the 220 in plain text could have been injected
      // by a man in the middle (CVE-2011-0411): refuse it.
      if (parser_.has_pending_input()) {
        return fail("the server sent plain text after agreeing to STARTTLS");
      }
      start_tls();
      return;
    case Expect::AuthPlain:
    case Expect::AuthPass:
      if (reply.code != 235) return refuse("authentication as " + config_.username + " failed");
      authenticated_ = true;
      become_ready();
      return;
    case Expect::AuthLogin:
    case Expect::AuthUser:
      if (reply.code != 334) return refuse("authentication as " + config_.username + " failed");
      if (pending.expect == Expect::AuthLogin) {
        pending_.push_back({Expect::AuthUser});
        write(base64_encode(config_.username) + "\r\n");
      } else {
        pending_.push_back({Expect::AuthPass});
        write(base64_encode(config_.password) + "\r\n");
      }
      return;
    case Expect::Quit:
      close_socket();
      fail("");
      return;
    default:
      return;
  }
}

void SmtpConnection::send_ehlo() {
  caps_ = SmtpCapabilities{};
  pending_.push_back({Expect::Ehlo});
  write("EHLO " + (config_.helo_name.empty() ? std::string("localhost") : config_.helo_name) +
        "\r\n");
  arm_timer();
}

void SmtpConnection::after_ehlo() {
  if (config_.security == SmtpSecurity::StartTls && !tls_active_) {
    if (!caps_.starttls) {
      fail("the server does not offer STARTTLS, which the configuration requires");
      return;
    }
    pending_.push_back({Expect::StartTls});
    write("STARTTLS\r\n");
    return;
  }
  if (!config_.username.empty() && !authenticated_) {
    authenticate();
    return;
  }
  become_ready();
}

void SmtpConnection::authenticate() {
  if (!tls_active_ && !config_.allow_plaintext_auth) {
    fail("refusing to send the password for " + config_.username +
         " over a connection that is not encrypted (allow it explicitly to do so)");
    return;
  }
  bool plain = caps_.auth_plain && config_.auth_mechanism != SmtpAuthMechanism::Login;
  bool login = caps_.auth_login && config_.auth_mechanism != SmtpAuthMechanism::Plain;
  if (plain) {
    std::string token = std::string(1, '\0') + config_.username + '\0' + config_.password;
    pending_.push_back({Expect::AuthPlain});
    write("AUTH PLAIN " + base64_encode(token) + "\r\n");
  } else if (login) {
    pending_.push_back({Expect::AuthLogin});
    write("AUTH LOGIN\r\n");
  } else {
    fail(
        "the server offers no authentication mechanism uvmapi may use (PLAIN or LOGIN as "
        "configured)");
  }
}

void SmtpConnection::become_ready() {
  state_ = State::Ready;
  was_ready_ = true;
  arm_timer();
  owner_.connection_ready(*this);
}

void SmtpConnection::take(std::unique_ptr<SmtpJob> job) {
  jobs_.push_back(std::move(job));
  if (jobs_.size() == 1 && pending_.empty()) {
    std::string group;
    begin_transaction(*jobs_.front(), group);
    if (!group.empty()) write(std::move(group));
    arm_timer();
  }
}

void SmtpConnection::begin_transaction(SmtpJob& job, std::string& group) {
  job.rcpt_replies.assign(job.recipients.size(), SmtpReply{});
  ++stats_.transactions;
  std::vector<Command> commands;
  if (need_rset_) {
    commands.push_back({"RSET\r\n", {Expect::Rset}});
    need_rset_ = false;
  }
  std::string mail = "MAIL FROM:<" + job.sender + ">";
  if (caps_.size) mail += " SIZE=" + std::to_string(job.wire.size());
  if (caps_.eight_bit_mime && job.eight_bit) mail += " BODY=8BITMIME";
  commands.push_back({mail + "\r\n", {Expect::Mail}});
  for (std::size_t i = 0; i < job.recipients.size(); ++i) {
    commands.push_back({"RCPT TO:<" + job.recipients[i] + ">\r\n", {Expect::Rcpt, i}});
  }
  commands.push_back({"DATA\r\n", {Expect::Data}});
  bool pipelining = caps_.pipelining && config_.pipelining;
  for (auto& command : commands) {
    if (pipelining || (pending_.empty() && group.empty())) {
      group += command.line;
      pending_.push_back(command.pending);
    } else {
      unsent_.push_back(std::move(command));
    }
  }
}

void SmtpConnection::handle_transaction(Pending pending, const SmtpReply& reply) {
  switch (pending.expect) {
    case Expect::Rset:
      if (!reply.positive()) fail("RSET failed: " + describe(reply));
      return;
    case Expect::Mail:
      if (!reply.positive()) {
        front_failed_ = true;
        jobs_.front()->failure = reply;
        if (!(caps_.pipelining && config_.pipelining)) {
          unsent_.clear();
          need_rset_ = true;
          finish_front();
        }
      }
      return;
    case Expect::Rcpt:
      // After a refused MAIL, the RCPT answers only say "no transaction".
      if (front_failed_) return;
      jobs_.front()->rcpt_replies[pending.index] = reply;
      if (reply.positive()) ++accepted_;
      return;
    case Expect::Data:
      after_data(reply);
      return;
    case Expect::Dot: {
      SmtpJob& job = *jobs_.front();
      if (!front_discard_) {
        if (reply.positive()) {
          job.accepted = true;
        } else {
          job.failure = reply;
        }
      }
      finish_front();
      return;
    }
    default:
      return;
  }
}

void SmtpConnection::after_data(const SmtpReply& reply) {
  SmtpJob& job = *jobs_.front();
  if (reply.code != 354) {
    if (!front_failed_ && accepted_ > 0) job.failure = reply;
    need_rset_ = true;
    finish_front();
    return;
  }
  std::string group;
  if (front_failed_ || accepted_ == 0) {
    // Pipelined DATA was accepted though no recipient was: an empty message
    // ends it, which the server refuses for want of recipients.
    front_discard_ = true;
    group = ".\r\n";
  } else {
    group = job.wire;
  }
  pending_.push_back({Expect::Dot});
  if (jobs_.size() > 1 && caps_.pipelining && config_.pipelining) {
    // The next message's commands ride behind this one's final ".".
    next_started_ = true;
    begin_transaction(*jobs_[1], group);
  }
  write(std::move(group));
}

void SmtpConnection::finish_front() {
  std::unique_ptr<SmtpJob> job = std::move(jobs_.front());
  jobs_.pop_front();
  bool started = next_started_;
  next_started_ = false;
  accepted_ = 0;
  front_failed_ = false;
  front_discard_ = false;
  if (!jobs_.empty() && !started && pending_.empty()) {
    std::string group;
    begin_transaction(*jobs_.front(), group);
    if (!group.empty()) write(std::move(group));
  }
  arm_timer();
  owner_.job_done(*this, std::move(job));
  if (state_ == State::Ready && jobs_.size() < window()) owner_.connection_ready(*this);
}

void SmtpConnection::quit() {
  if (state_ == State::Closed || state_ == State::Quitting) return;
  if (state_ != State::Ready || !jobs_.empty() || !pending_.empty()) {
    fail("the connection was closed while busy");
    return;
  }
  state_ = State::Quitting;
  pending_.push_back({Expect::Quit});
  write("QUIT\r\n");
  arm_timer();
}

std::vector<std::unique_ptr<SmtpJob>> SmtpConnection::abandon() {
  std::vector<std::unique_ptr<SmtpJob>> jobs;
  for (auto& job : jobs_) jobs.push_back(std::move(job));
  jobs_.clear();
  pending_.clear();
  unsent_.clear();
  timer_.stop();
  close_socket();
  state_ = State::Closed;
  return jobs;
}

void SmtpConnection::arm_timer() {
  if (state_ == State::Closed) return;
  if (pending_.empty()) {
    if (state_ == State::Ready && jobs_.empty()) {
      timer_.start(config_.idle_timeout, [this] { quit(); });
    } else {
      timer_.stop();
    }
    return;
  }
  Expect expect = pending_.front().expect;
  auto timeout = expect == Expect::Dot ? config_.data_timeout : config_.command_timeout;
  timer_.start(timeout, [this, expect] {
    fail(std::string("the server did not answer ") + expect_name(static_cast<int>(expect)) +
         " in time");
  });
}

void SmtpConnection::fail(const std::string& problem) {
  if (state_ == State::Closed) return;
  bool was_ready = was_ready_;
  if (!was_ready && !problem.empty()) ++stats_.connections_failed;
  state_ = State::Closed;
  timer_.stop();
  close_socket();
  std::vector<std::unique_ptr<SmtpJob>> unfinished;
  for (auto& job : jobs_) {
    if (job->failure.code == 0 || job->failure.positive()) {
      job->failure = local_reply(451, "4.4.2", problem);
    }
    unfinished.push_back(std::move(job));
  }
  jobs_.clear();
  pending_.clear();
  unsent_.clear();
  owner_.connection_closed(*this, std::move(unfinished), problem, was_ready);
}

void SmtpConnection::fail_soon(const std::string& problem) {
  timer_.start(std::chrono::milliseconds(0), [this, problem] { fail(problem); });
}

void SmtpConnection::close_socket() {
  if (!tcp_) return;
  tcp_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
  tcp_ = nullptr;
}

}  // namespace uvmapi
