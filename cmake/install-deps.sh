#!/bin/sh
# Installs uvmapi's build dependencies when any is missing, and prints nothing
# when all are present. Used by `make deps` and by .ci/run.
#   Linux (Debian/Ubuntu): apt-get, as root or through sudo.
#   macOS: Homebrew.
# clang-format is deliberately not required; only `make format` needs it.
set -eu

have() { command -v "$1" >/dev/null 2>&1; }

# CMakePresets.json version 6 needs CMake 3.25 or newer.
cmake_ok() {
  have cmake || return 1
  ver=$(cmake --version | sed -n '1s/^[^0-9]*\([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')
  # shellcheck disable=SC2086 # word splitting into major and minor is intended
  set -- $ver
  [ "${1:-0}" -gt 3 ] || { [ "${1:-0}" -eq 3 ] && [ "${2:-0}" -ge 25 ]; }
}

libuv_ok() { have pkg-config && pkg-config --exists libuv; }
openssl_ok() {
  have pkg-config && pkg-config --exists openssl && return 0
  # Homebrew's openssl is keg-only: CMake looks for it there (UvmapiDependencies.cmake).
  [ "$(uname -s)" = Darwin ] && [ -d "$(brew --prefix openssl 2>/dev/null)/lib/pkgconfig" ]
}
# The SMTP tests run Postfix's smtp-sink (Debian's postfix package); there is
# no Homebrew formula for it, so on macOS those tests report themselves skipped.
smtp_sink_ok() { [ -x /usr/sbin/smtp-sink ] || have smtp-sink; }
# The private Postfix of the SMTP tests offers AUTH through Cyrus SASL: an
# account made with saslpasswd2 (sasl2-bin), checked by the PLAIN and LOGIN
# plugins (libsasl2-modules). Its TLS certificates are made with openssl.
saslpasswd2_ok() { [ -x /usr/sbin/saslpasswd2 ] || have saslpasswd2; }
sasl_modules_ok() {
  for plugin in /usr/lib/*/sasl2/liblogin.so* /usr/lib/sasl2/liblogin.so*; do
    [ -e "$plugin" ] && return 0
  done
  return 1
}

doctest_ok() {
  brew_include="$(brew --prefix 2>/dev/null || echo /opt/homebrew)/include"
  for dir in /usr/include /usr/local/include "$brew_include"; do
    [ -f "$dir/doctest/doctest.h" ] && return 0
  done
  have c++ && printf '#include <doctest/doctest.h>\n' |
    c++ -x c++ -fsyntax-only - >/dev/null 2>&1
}

# Package names of the platform's package manager. On macOS the compiler and
# make come with the Xcode command line tools, which Homebrew cannot install.
if [ "$(uname -s)" = Darwin ]; then
  pkg_cmake=cmake pkg_cxx=xcode-command-line-tools pkg_make=xcode-command-line-tools
  pkg_pc=pkg-config pkg_uv=libuv pkg_doctest=doctest pkg_python=python3 pkg_cargo=rust
  pkg_ssl=openssl pkg_postfix="" pkg_sasl_bin="" pkg_sasl_modules="" pkg_openssl=openssl
else
  pkg_cmake=cmake pkg_cxx=g++ pkg_make=make
  pkg_pc=pkg-config pkg_uv=libuv1-dev pkg_doctest=doctest-dev pkg_python=python3-venv pkg_cargo=cargo
  pkg_ssl=libssl-dev pkg_postfix=postfix pkg_sasl_bin=sasl2-bin pkg_sasl_modules=libsasl2-modules
  pkg_openssl=openssl
fi

# Prints the packages to install, separated by spaces; nothing when all is there.
missing() {
  cmake_ok || printf '%s ' "$pkg_cmake"
  have c++ || printf '%s ' "$pkg_cxx"
  have make || printf '%s ' "$pkg_make"
  have pkg-config || printf '%s ' "$pkg_pc"
  libuv_ok || printf '%s ' "$pkg_uv"
  doctest_ok || printf '%s ' "$pkg_doctest"
  openssl_ok || printf '%s ' "$pkg_ssl"
  [ -z "$pkg_postfix" ] || smtp_sink_ok || printf '%s ' "$pkg_postfix"
  [ -z "$pkg_sasl_bin" ] || saslpasswd2_ok || printf '%s ' "$pkg_sasl_bin"
  [ -z "$pkg_sasl_modules" ] || sasl_modules_ok || printf '%s ' "$pkg_sasl_modules"
  have openssl || printf '%s ' "$pkg_openssl"
  # The Python and Rust bindings are tested by make test too.
  # venv with ensurepip: the Python binding's tests install the package
  # into a fresh virtual environment (Debian ships that part separately).
  { have python3 && python3 -c 'import venv, ensurepip' >/dev/null 2>&1; } ||
    printf '%s ' "$pkg_python"
  have cargo || printf '%s ' "$pkg_cargo"
}

todo=$(missing)
todo=${todo% }
[ -z "$todo" ] && exit 0
echo "install-deps: missing: $todo"

case "$(uname -s)" in
  Darwin)
    case "$todo" in
      *xcode-command-line-tools*)
        echo "install-deps: no C++ compiler or make; run 'xcode-select --install' first" >&2
        exit 1
        ;;
    esac
    if ! have brew; then
      echo "install-deps: Homebrew is required on macOS (https://brew.sh); please install: $todo" >&2
      exit 1
    fi
    # shellcheck disable=SC2086 # $todo is a list of formula names
    brew install $todo
    ;;
  Linux)
    if ! have apt-get; then
      echo "install-deps: no apt-get; please install CMake >= 3.25, a C++17 compiler, pkg-config, libuv and doctest" >&2
      exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
      sudo=""
    elif have sudo; then
      sudo="sudo"
    else
      echo "install-deps: need root or sudo to run apt-get; please install: $todo" >&2
      exit 1
    fi
    $sudo apt-get update -q
    # Postfix asks how to set up the system's mail. "No configuration"
    # installs the programs only and starts no system MTA: the tests run
    # private instances of their own.
    case " $todo " in
      *" postfix "*)
        if have debconf-set-selections; then
          echo "postfix postfix/main_mailer_type select No configuration" |
            $sudo debconf-set-selections
        fi
        ;;
    esac
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      cmake g++ pkg-config libuv1-dev doctest-dev make python3 python3-venv cargo libssl-dev postfix \
      sasl2-bin libsasl2-modules openssl
    ;;
  *)
    echo "install-deps: unsupported system $(uname -s); please install: $todo" >&2
    exit 1
    ;;
esac

todo=$(missing)
todo=${todo% }
if [ -n "$todo" ]; then
  echo "install-deps: still missing after installing: $todo (CMake must be 3.25 or newer)" >&2
  exit 1
fi
