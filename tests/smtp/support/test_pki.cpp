#include "test_pki.h"

#include <sys/stat.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <vector>

#include "child_process.h"
#include "temp_dir.h"

namespace uvmapi::test::servers {

namespace {

using namespace std::chrono_literals;

// A private openssl configuration, so the system's openssl.cnf (its default
// extensions, its policies) cannot change the certificates.
const char kConfig[] =
    "[req]\n"
    "distinguished_name = dn\n"
    "prompt = no\n"
    "[dn]\n"
    "CN = localhost\n"
    "[ca_ext]\n"
    "basicConstraints = critical, CA:TRUE\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "[server_ext]\n"
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid\n";

void run_openssl(std::vector<std::string> args) {
  args.insert(args.begin(), openssl_binary());
  CommandResult result = run_command(args, 30s);
  if (result.exit_code != 0) throw std::runtime_error("test PKI: " + describe(args, result));
}

void make_ca(const std::string& config, const std::string& key, const std::string& cert) {
  run_openssl({"req",         "-config",  config,
               "-x509",       "-new",     "-newkey",
               "ec",          "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes",      "-keyout",  key,
               "-out",        cert,       "-days",
               "30",          "-subj",    "/CN=uvmapi test CA",
               "-extensions", "ca_ext"});
}

}  // namespace

std::string openssl_binary() {
  return find_program("openssl", {"/usr/bin", "/usr/local/bin", "/opt/homebrew/bin"});
}

TestPki make_test_pki(const std::string& dir) {
  if (openssl_binary().empty()) throw std::runtime_error("test PKI: no openssl command");
  TestPki pki;
  const std::string config = dir + "/openssl.cnf";
  write_file(config, kConfig);
  pki.ca_file = dir + "/ca.pem";
  pki.wrong_ca_file = dir + "/wrong-ca.pem";
  pki.server_cert_file = dir + "/server.pem";
  pki.server_key_file = dir + "/server.key";
  const std::string ca_key = dir + "/ca.key";
  const std::string csr = dir + "/server.csr";

  make_ca(config, ca_key, pki.ca_file);
  make_ca(config, dir + "/wrong-ca.key", pki.wrong_ca_file);
  run_openssl({"req", "-config", config, "-new", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", pki.server_key_file, "-out",
               csr, "-subj", "/CN=localhost"});
  // A random serial: every run makes a new CA, and equal serials from one
  // issuer name would confuse anyone comparing certificates across runs.
  std::random_device random;
  std::string serial = std::to_string(1 + random() % 2000000000u);
  run_openssl({"x509", "-req", "-in", csr, "-CA", pki.ca_file, "-CAkey", ca_key, "-set_serial",
               serial, "-days", "30", "-extfile", config, "-extensions", "server_ext", "-out",
               pki.server_cert_file});
  // Private keys stay private whatever the umask was; root-owned 0600 is
  // enough for Postfix, which loads keys before it drops privileges.
  for (const std::string& key : {ca_key, dir + "/wrong-ca.key", pki.server_key_file}) {
    ::chmod(key.c_str(), 0600);
  }
  return pki;
}

}  // namespace uvmapi::test::servers
