// Marks the stretches in which the runtime's own libuv callbacks run on the
// current thread. A host driving its own loop may call back into us from
// such a callback (an on_logoff report, a transport), where anything that
// runs or ends the loop would re-enter uv_run or free what the callback is
// still using; those calls check LoopScope::active() and refuse.
#ifndef UVMAPI_CPP_LOOP_SCOPE_H
#define UVMAPI_CPP_LOOP_SCOPE_H

namespace uvmapi {

class LoopScope {
 public:
  LoopScope() { ++depth(); }
  ~LoopScope() { --depth(); }
  LoopScope(const LoopScope&) = delete;
  LoopScope& operator=(const LoopScope&) = delete;

  static bool active() { return depth() > 0; }

 private:
  static int& depth() {
    thread_local int value = 0;
    return value;
  }
};

}  // namespace uvmapi

#endif
