# Install rules: `cmake --install <build> --prefix <dir>` puts there
#   include/uvmapi/*.h                      the public headers
#   lib/libuvmapi.so.1.0.0, .so.1, .so      the shared library and its SONAME links
#                                           (lib/libuvmapi.1.0.0.dylib ... on macOS)
#   lib/libuvmapi.a                         the static library
#   lib/cmake/uvmapi/                       the CMake package: uvmapi::uvmapi (shared)
#                                           and uvmapi::uvmapi_static
#   lib/pkgconfig/uvmapi.pc                 the pkg-config file
# ("lib" is CMAKE_INSTALL_LIBDIR, e.g. lib/x86_64-linux-gnu for prefix /usr on Debian.)
#
# The internal core (uvmapi_core) is not installed: it is an object library whose
# objects are compiled into both libraries, so nothing installed refers to it.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(UVMAPI_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/uvmapi")

# The include directory that consumers get comes from the targets'
# INSTALL_INTERFACE (capi/CMakeLists.txt), so no INCLUDES DESTINATION here.
install(TARGETS uvmapi uvmapi_static
  EXPORT uvmapiTargets
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/capi/include/uvmapi"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.h")
# The header-only C++ wrapper (docs/cpp.md) sits beside the C headers: it is
# inline code over the C ABI, no second ABI.
install(FILES "${PROJECT_SOURCE_DIR}/bindings/cpp/include/uvmapi/uvmapi.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/uvmapi")

# Both libraries take uvmapi_core's objects ($<TARGET_OBJECTS>), which do not
# bring uvmapi_core's link libraries along; capi/CMakeLists.txt links libuv and
# the threads, and OpenSSL (the SMTP transport's TLS) is linked here.
target_link_libraries(uvmapi PRIVATE uvmapi::openssl)
target_link_libraries(uvmapi_static INTERFACE uvmapi::openssl)

# The static target's link interface names the imported targets PkgConfig::LIBUV
# and PkgConfig::UVMAPI_OPENSSL (behind the uvmapi::libuv and uvmapi::openssl
# aliases) and Threads::Threads; uvmapiConfig.cmake re-creates them before it
# loads uvmapiTargets.cmake.
install(EXPORT uvmapiTargets
  NAMESPACE uvmapi::
  FILE uvmapiTargets.cmake
  DESTINATION "${UVMAPI_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/uvmapiConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/uvmapiConfig.cmake"
  INSTALL_DESTINATION "${UVMAPI_INSTALL_CMAKEDIR}")
# The major version is the ABI version: a program built against 1.x runs with
# any later 1.y, and never with 2.x.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/uvmapiConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/uvmapiConfig.cmake"
  "${PROJECT_BINARY_DIR}/uvmapiConfigVersion.cmake"
  DESTINATION "${UVMAPI_INSTALL_CMAKEDIR}")

# A C program that links the static archive, which contains C++ code, is linked
# by the C compiler driver, which does not add the C++ runtime; CMake adds it
# only when the consuming project has enabled CXX. So the installed static
# target names it. (In this build tree CXX is always enabled.)
target_link_libraries(uvmapi_static INTERFACE "$<INSTALL_INTERFACE:${UVMAPI_CXX_RUNTIME}>")

# pkg-config. A program that links the static archive must also link what the
# archive's objects need: libuv and OpenSSL (Requires.private), the thread library and, for
# the same reason as above, the C++ runtime (Libs.private). CMAKE_THREAD_LIBS_INIT
# is empty where the C library has the threads (glibc 2.34 and later, macOS);
# -lpthread then still works and keeps older systems right.
set(UVMAPI_PC_THREADS "${CMAKE_THREAD_LIBS_INIT}")
if(UVMAPI_PC_THREADS STREQUAL "")
  set(UVMAPI_PC_THREADS "-lpthread")
endif()
set(UVMAPI_PC_LIBS_PRIVATE "${UVMAPI_PC_THREADS} -l${UVMAPI_CXX_RUNTIME}")

# The .pc file finds its prefix relative to its own location (${pcfiledir}),
# because the prefix is chosen at install time (`cmake --install --prefix`),
# after this file was generated. This needs relative install directories, which
# GNUInstallDirs gives unless the user passes absolute ones.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "uvmapi: CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR must be "
                      "relative to the install prefix (the pkg-config file is relocatable).")
endif()
file(RELATIVE_PATH UVMAPI_PC_TO_PREFIX
  "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" UVMAPI_PC_TO_PREFIX "${UVMAPI_PC_TO_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/uvmapi.pc.in"
  "${PROJECT_BINARY_DIR}/uvmapi.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/uvmapi.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
