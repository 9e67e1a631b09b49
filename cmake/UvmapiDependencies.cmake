# Finds uvmapi's external dependencies and exposes them as targets:
#   uvmapi::libuv     libuv, found through pkg-config
#   uvmapi::openssl   OpenSSL's libssl and libcrypto (1.1.1 or newer; the tests
#                     need 3), found through pkg-config as well
#   Threads::Threads  the platform's thread library
#   UVMAPI_CXX_RUNTIME the C++ runtime library the C++ compiler links (stdc++ or
#                     c++), which a C program linking the static library needs
#   doctest::doctest  the doctest header (only when UVMAPI_BUILD_TESTS is ON),
#                     together with the doctest_discover_tests() command.

find_package(PkgConfig REQUIRED)
# GLOBAL makes the imported target visible in every directory, which an ALIAS needs.
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET GLOBAL libuv)
add_library(uvmapi::libuv ALIAS PkgConfig::LIBUV)

# OpenSSL, for the SMTP transport's TLS. Homebrew's openssl is keg-only: its
# openssl.pc is not on pkg-config's default path, so add it here rather than
# make every macOS user set PKG_CONFIG_PATH by hand.
if(APPLE)
  find_program(UVMAPI_BREW brew)
  if(UVMAPI_BREW)
    execute_process(COMMAND "${UVMAPI_BREW}" --prefix openssl
      OUTPUT_VARIABLE _uvmapi_brew_openssl OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _uvmapi_brew_result ERROR_QUIET)
    if(_uvmapi_brew_result EQUAL 0 AND IS_DIRECTORY "${_uvmapi_brew_openssl}/lib/pkgconfig")
      if(DEFINED ENV{PKG_CONFIG_PATH} AND NOT "$ENV{PKG_CONFIG_PATH}" STREQUAL "")
        set(ENV{PKG_CONFIG_PATH} "$ENV{PKG_CONFIG_PATH}:${_uvmapi_brew_openssl}/lib/pkgconfig")
      else()
        set(ENV{PKG_CONFIG_PATH} "${_uvmapi_brew_openssl}/lib/pkgconfig")
      endif()
    endif()
  endif()
endif()
# The prefix is not OPENSSL: that would overwrite the OPENSSL_* variables of
# CMake's FindOpenSSL in a project that uses both (the installed uvmapiConfig
# runs this same call in the consumer's scope).
pkg_check_modules(UVMAPI_OPENSSL REQUIRED IMPORTED_TARGET GLOBAL openssl>=1.1.1)
add_library(uvmapi::openssl ALIAS PkgConfig::UVMAPI_OPENSSL)

find_package(Threads REQUIRED)

# The C++ runtime, named as the C++ compiler links it implicitly: libstdc++ (GCC,
# Clang on Linux) or libc++ (Apple Clang, Clang with -stdlib=libc++).
if("c++" IN_LIST CMAKE_CXX_IMPLICIT_LINK_LIBRARIES)
  set(UVMAPI_CXX_RUNTIME c++)
elseif("stdc++" IN_LIST CMAKE_CXX_IMPLICIT_LINK_LIBRARIES OR NOT APPLE)
  set(UVMAPI_CXX_RUNTIME stdc++)
else()
  set(UVMAPI_CXX_RUNTIME c++)
endif()

if(UVMAPI_BUILD_TESTS)
  find_package(doctest REQUIRED)
  # doctest installs its doctest.cmake module (doctest_discover_tests) beside
  # doctestConfig.cmake, e.g. /usr/lib/cmake/doctest on Debian. Its config file
  # adds that directory to CMAKE_MODULE_PATH only the first time it is loaded,
  # so add it here explicitly as well.
  list(APPEND CMAKE_MODULE_PATH "${doctest_DIR}")
  include(doctest)
endif()
