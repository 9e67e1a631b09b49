#include "runtime.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <utility>

#include "error.h"
#include "loop_scope.h"
#include "memory_store.h"
#include "opener.h"
#include "store_support.h"

namespace uvmapi {

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {}

HRESULT Runtime::create(RuntimeOptions options, std::unique_ptr<Runtime>& runtime) {
  if (options.drain_deadline.count() < 0 || options.abort_deadline.count() < 0) {
    return fail(MAPI_E_INVALID_PARAMETER, "deadlines must not be negative");
  }
  std::unique_ptr<Runtime> created(new Runtime(std::move(options)));
  if (created->options_.host_loop != nullptr) {
    created->loop_ = created->options_.host_loop;
    created->loop_thread_ = std::this_thread::get_id();
    created->queue_ = std::make_unique<LoopQueue>(created->loop_);
  } else {
    std::promise<int> started;
    auto status = started.get_future();
    created->thread_ = std::thread(&Runtime::run_embedded, created.get(), &started);
    if (int error = status.get(); error != 0) {
      created->thread_.join();
      created->shutdown_done_ = true;
      return fail(MAPI_E_CALL_FAILED, std::string("cannot start the loop: ") + uv_strerror(error));
    }
  }
  runtime = std::move(created);
  return S_OK;
}

void Runtime::run_embedded(std::promise<int>* started) {
  // A transport writing to a socket the peer closed must get EPIPE, not kill
  // the host with SIGPIPE: on the runtime's own thread the signal is blocked.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  int status = uv_loop_init(&own_loop_);
  if (status != 0) {
    started->set_value(status);
    return;
  }
  loop_ = &own_loop_;
  loop_thread_ = std::this_thread::get_id();
  queue_ = std::make_unique<LoopQueue>(loop_);
  started->set_value(0);

  uv_run(loop_, UV_RUN_DEFAULT);

  // A transport may have left a handle open; close what remains so the loop
  // can be freed and shutdown always returns.
  uv_walk(
      loop_,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
      },
      nullptr);
  uv_run(loop_, UV_RUN_DEFAULT);
  uv_loop_close(loop_);
}

Runtime::~Runtime() {
  shutdown();
}

bool Runtime::on_loop_thread() const {
  return std::this_thread::get_id() == loop_thread_;
}

HRESULT Runtime::post(std::function<void()> work) {
  if (!queue_->post(std::move(work))) {
    return fail(MAPI_E_CALL_FAILED, "the runtime is shut down");
  }
  return S_OK;
}

HRESULT Runtime::invoke(const std::function<void()>& work) {
  if (on_loop_thread()) {
    work();
    return S_OK;
  }
  // The loop thread's last error is carried back to the caller's thread.
  struct Outcome {
    HRESULT code = S_OK;
    std::string message;
  };
  std::promise<Outcome> done;
  auto result = done.get_future();
  HRESULT posted = post([&work, &done] {
    clear_last_error();
    work();
    done.set_value(Outcome{last_error_code(), last_error_message()});
  });
  if (failed(posted)) {
    if (!stopped_) return posted;
    // The loop has stopped for good and owns nothing any more.
    std::lock_guard<std::mutex> lock(stopped_mutex_);
    clear_last_error();
    work();
    return S_OK;
  }
  Outcome outcome = result.get();
  if (outcome.code != S_OK) {
    fail(outcome.code, outcome.message);
  } else {
    clear_last_error();
  }
  return S_OK;
}

HRESULT Runtime::shutdown() {
  if (options_.host_loop == nullptr) {
    // Two threads may race to shut down: one joins, the other waits for it.
    std::lock_guard<std::mutex> lock(shutdown_mutex_);
    if (!thread_.joinable()) return S_OK;
    if (on_loop_thread()) {
      return fail(
          MAPI_E_CALL_FAILED,
          "shutdown from the loop thread would wait for itself; call it from another thread");
    }
    post([this] { begin_shutdown(); });
    thread_.join();
    return S_OK;
  }
  if (!on_loop_thread()) {
    return fail(MAPI_E_CALL_FAILED,
                "with a host loop, shutdown must run on the thread that drives the loop");
  }
  // Checked even after a finished shutdown: a caller inside a callback may
  // go on to free the runtime the callback still runs in.
  if (LoopScope::active()) {
    return fail(MAPI_E_CALL_FAILED,
                "shutdown cannot run inside one of the runtime's own loop callbacks; "
                "call it after uv_run returns");
  }
  if (shutdown_done_) return S_OK;
  begin_shutdown();
  while (!shutdown_done_) uv_run(loop_, UV_RUN_ONCE);
  // Lets the close callbacks of our handles run.
  uv_run(loop_, UV_RUN_NOWAIT);
  return S_OK;
}

HRESULT Runtime::add_transport_provider(std::shared_ptr<TransportProvider> provider) {
  if (!provider) return fail(MAPI_E_INVALID_PARAMETER, "no transport provider given");
  if (stage_ != Stage::Running) return fail(MAPI_E_CALL_FAILED, "the runtime is shutting down");
  providers_.push_back(std::move(provider));
  return S_OK;
}

HRESULT Runtime::open_store(const std::string& name, std::shared_ptr<Opener>& opener,
                            const StorageFactory& make_storage) {
  if (name.empty()) return fail(MAPI_E_INVALID_PARAMETER, "a store needs a name");
  if (stage_ != Stage::Running) return fail(MAPI_E_CALL_FAILED, "the runtime is shutting down");
  auto found = stores_.find(name);
  if (found == stores_.end()) {
    std::unique_ptr<MessageStore> storage;
    if (make_storage) {
      if (HRESULT made = make_storage(storage); failed(made)) return made;
    } else {
      storage = std::make_unique<MemoryStore>();
    }
    found = stores_.emplace(name, StoreRecord{std::move(storage), nullptr}).first;
  }
  StoreRecord& record = found->second;
  if (record.support && record.support->logging_off()) {
    return fail(MAPI_E_BUSY, "the store '" + name + "' is logging off; open it again afterwards");
  }
  if (!record.support) {
    auto support = std::make_shared<StoreSupport>(*this, name, *record.data, record.support);
    if (HRESULT result = support->logon(providers_); failed(result)) return result;
    record.support = std::move(support);
  }
  opener = std::make_shared<Opener>(next_opener_id_++, record.support);
  record.support->add_opener(opener);
  return S_OK;
}

std::shared_ptr<StoreSupport> Runtime::logged_on(const std::string& name) {
  auto it = stores_.find(name);
  if (it == stores_.end() || !it->second.support) {
    fail(MAPI_E_NOT_FOUND, "the store '" + name + "' is not logged on");
    return nullptr;
  }
  return it->second.support;
}

HRESULT Runtime::offer_queue(const std::string& name) {
  auto support = logged_on(name);
  if (!support) return last_error_code();
  support->spooler().rescan();
  return S_OK;
}

HRESULT Runtime::escalate_logoff(const std::string& name) {
  // Held: the escalation may finish the logoff and drop the runtime's reference.
  auto support = logged_on(name);
  return support ? support->escalate_logoff() : last_error_code();
}

std::vector<std::shared_ptr<Opener>> Runtime::openers() const {
  std::vector<std::shared_ptr<Opener>> all;
  for (const auto& [name, record] : stores_) {
    if (!record.support) continue;
    const auto& openers = record.support->openers();
    all.insert(all.end(), openers.begin(), openers.end());
  }
  // Ids count up as openers are made: sorting by id gives the opening order,
  // which the hashed registry does not keep.
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return all;
}

void Runtime::store_logged_off(std::shared_ptr<StoreSupport>& slot) {
  slot.reset();
  if (stage_ != Stage::Running) advance_shutdown();
}

void Runtime::logoff_finished(const std::string& store, const LogoffReport& report) {
  if (options_.on_logoff) options_.on_logoff(store, report);
  if (stage_ != Stage::Running) advance_shutdown();
}

void Runtime::begin_shutdown() {
  if (stage_ != Stage::Running) return;
  stage_ = Stage::LoggingOff;
  // Each opener still referenced ends as its last release would have ended
  // it. A logoff that ends at once (an idle store) must not advance the
  // shutdown while others have not begun theirs: advancing would find no
  // logoff under way and end those by force, with ABORT instead of their flag.
  advancing_ = true;
  for (const auto& opener : openers()) {
    // An opener whose StoreLogoffTransports already ran (a store provider's
    // own call that did not log off) is ended by force below instead.
    if (opener->state() != Opener::State::Open || opener->logoff_transports_calls() > 0) continue;
    std::shared_ptr<StoreSupport> support;
    if (failed(opener->support(support))) continue;
    std::uint32_t flag = opener->saved_flag() != 0 ? opener->saved_flag() : LOGOFF_ABORT;
    std::shared_ptr<LogoffTicket> ticket;
    support->store_logoff_transports(*opener, flag, ticket);
  }
  advancing_ = false;
  advance_shutdown();
}

void Runtime::advance_shutdown() {
  // Logoffs finishing below call back into here; the outer call goes on.
  if (advancing_) return;
  advancing_ = true;
  bool again = true;
  while (again) {
    again = false;
    bool logging_off = false;
    bool logged_on = false;
    for (const auto& [name, record] : stores_) {
      if (!record.support) continue;
      logged_on = true;
      if (record.support->logging_off()) logging_off = true;
    }
    if (stage_ == Stage::LoggingOff && !logging_off) {
      // Whatever would not log off (QUIET with activity, an abort that could
      // not stop) is ended by force now.
      stage_ = Stage::Forcing;
      for (const auto& opener : openers()) {
        std::shared_ptr<StoreSupport> support;
        if (failed(opener->support(support)) || support->logging_off()) continue;
        support->force_logoff(*opener);
      }
      again = true;
    } else if (stage_ == Stage::Forcing && !logged_on) {
      stop();
    }
  }
  advancing_ = false;
}

void Runtime::stop() {
  for (const auto& provider : providers_) provider->runtime_stopping();
  stage_ = Stage::Stopped;
  stopped_ = true;
  queue_->close();
  if (options_.host_loop == nullptr) uv_stop(loop_);
  shutdown_done_ = true;
}

}  // namespace uvmapi
