# Finds uvmapi's external dependencies and exposes them as targets:
#   uvmapi::libuv     libuv, found through pkg-config
#   Threads::Threads  the platform's thread library
#   UVMAPI_CXX_RUNTIME the C++ runtime library the C++ compiler links (stdc++ or
#                     c++), which a C program linking the static library needs
#   doctest::doctest  the doctest header (only when UVMAPI_BUILD_TESTS is ON),
#                     together with the doctest_discover_tests() command.

find_package(PkgConfig REQUIRED)
# GLOBAL makes the imported target visible in every directory, which an ALIAS needs.
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET GLOBAL libuv)
add_library(uvmapi::libuv ALIAS PkgConfig::LIBUV)

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
