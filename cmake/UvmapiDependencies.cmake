# Finds uvmapi's external dependencies and exposes them as targets:
#   uvmapi::libuv     libuv, found through pkg-config
#   Threads::Threads  the platform's thread library
#   doctest::doctest  the doctest header (only when UVMAPI_BUILD_TESTS is ON),
#                     together with the doctest_discover_tests() command.

find_package(PkgConfig REQUIRED)
# GLOBAL makes the imported target visible in every directory, which an ALIAS needs.
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET GLOBAL libuv)
add_library(uvmapi::libuv ALIAS PkgConfig::LIBUV)

find_package(Threads REQUIRED)

if(UVMAPI_BUILD_TESTS)
  find_package(doctest REQUIRED)
  # doctest installs its doctest.cmake module (doctest_discover_tests) beside
  # doctestConfig.cmake, e.g. /usr/lib/cmake/doctest on Debian. Its config file
  # adds that directory to CMAKE_MODULE_PATH only the first time it is loaded,
  # so add it here explicitly as well.
  list(APPEND CMAKE_MODULE_PATH "${doctest_DIR}")
  include(doctest)
endif()
