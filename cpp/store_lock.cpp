#include "store_lock.h"

#include <sys/file.h>
#include <time.h>

#include <cerrno>

#include "error.h"

namespace uvmapi::maildir {

namespace {

// flock() that retries when a signal interrupts it; returns 0 or an errno.
int lock(int fd, int operation) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

bool would_block(int error) {
  return error == EWOULDBLOCK || error == EAGAIN;
}

// The guard is held only around a few flock() calls, or while the only
// opener repairs the directory at open (when there is no opener to ask
// others()). Two seconds covers a busy machine; a peer stopped inside that
// window (SIGSTOP) must not hang the caller.
int lock_guard_bounded(int fd) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    int error = lock(fd, LOCK_EX | LOCK_NB);
    if (!would_block(error)) return error;
    struct timespec pause = {0, 1000000};  // 1 ms
    ::nanosleep(&pause, nullptr);
  }
  return EWOULDBLOCK;
}

}  // namespace

HRESULT StoreLocks::open(const std::string& root) {
  root_ = root;
  if (HRESULT r = open_lock_file(join(root, ".openers"), openers_); failed(r)) return r;
  if (HRESULT r = open_lock_file(join(root, ".openers.guard"), guard_); failed(r)) return r;
  return open_lock_file(join(root, ".spooler"), spooler_);
}

HRESULT StoreLocks::join_openers(bool& alone) {
  alone = false;
  // Blocking: another process may be repairing the store at its open, and
  // this opener must wait until that is done.
  if (int error = lock(guard_.get(), LOCK_EX); error != 0) {
    return fail(MAPI_E_CALL_FAILED,
                "cannot lock " + describe(join(root_, ".openers.guard"), error));
  }
  guarded_ = true;
  int error = lock(openers_.get(), LOCK_EX | LOCK_NB);
  if (error == 0) {
    alone = exclusive_ = true;
  } else if (would_block(error)) {
    // Nobody holds it exclusively outside the guard, which is ours: at once.
    error = lock(openers_.get(), LOCK_SH);
  }
  if (error != 0) {
    finish_join();
    return fail(MAPI_E_CALL_FAILED, "cannot lock " + describe(join(root_, ".openers"), error));
  }
  joined_ = true;
  return S_OK;
}

void StoreLocks::finish_join() {
  if (exclusive_) {
    lock(openers_.get(), LOCK_SH);
    exclusive_ = false;
  }
  if (guarded_) {
    lock(guard_.get(), LOCK_UN);
    guarded_ = false;
  }
}

bool StoreLocks::others() const {
  if (!joined_) return true;
  if (int error = lock_guard_bounded(guard_.get()); error != 0) {
    fail(MAPI_E_CALL_FAILED, "cannot tell whether others have the store open: " +
                                 describe(join(root_, ".openers.guard"), error));
    return true;
  }
  // Converting a flock() is not atomic: a refused upgrade may already have
  // dropped the shared lock. Under the guard nobody else converts, so the
  // shared lock comes back at once and no other opener can mistake the
  // window for being alone.
  bool elsewhere = false;
  int error = lock(openers_.get(), LOCK_EX | LOCK_NB);
  if (would_block(error)) elsewhere = true;
  int back = lock(openers_.get(), LOCK_SH);
  lock(guard_.get(), LOCK_UN);
  if ((error != 0 && !would_block(error)) || back != 0) {
    fail(MAPI_E_CALL_FAILED, "cannot tell whether others have the store open: " +
                                 describe(join(root_, ".openers"), back ? back : error));
    return true;
  }
  return elsewhere;
}

HRESULT StoreLocks::try_lock_spooler(bool& acquired) {
  acquired = false;
  int error = lock(spooler_.get(), LOCK_EX | LOCK_NB);
  if (would_block(error)) return S_OK;
  if (error != 0) {
    return fail(MAPI_E_CALL_FAILED, "cannot lock " + describe(join(root_, ".spooler"), error));
  }
  acquired = spooler_held_ = true;
  return S_OK;
}

void StoreLocks::unlock_spooler() {
  if (!spooler_held_) return;
  lock(spooler_.get(), LOCK_UN);
  spooler_held_ = false;
}

}  // namespace uvmapi::maildir
