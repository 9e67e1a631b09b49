# uvmapi_target_warnings(<target>) enables the project's warning set on a target
# (GCC and Clang), and turns warnings into errors when UVMAPI_WERROR is ON.
# Headers of libuv and doctest come from imported targets and are therefore
# included as system headers, so these warnings apply to uvmapi's own code only.
#
# -Wnull-dereference is left out on purpose: GCC reports it from inlined
# standard-library code at -O2 (false positives), which would break -Werror builds.
function(uvmapi_target_warnings target)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast>)
  if(UVMAPI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
