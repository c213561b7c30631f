"""tlspki.py - test fixture: a private PKI made by deploy/certs.sh, for nhanlucd's TLS tests.

Pki(dir) makes, once, in a temp directory:
  ca.crt/ca.key               the CA (deploy/certs.sh DIR ca)
  server.crt/server.key       a server certificate for 127.0.0.1 and localhost
  client-UNIT.crt/.key        client certificates for tay-ho and hai-ba-trung
  other/ca.crt, other/client-tay-ho.crt/.key   a second CA and a client of it
  expired/client-tay-ho.crt/.key   signed by the first CA, valid only in January 2020
                              (`openssl ca -startdate/-enddate`: deploy/certs.sh cannot backdate)
Every openssl and certs.sh run is bounded by a timeout. fingerprint(crt) is
the SHA-256 of the DER certificate in lower-case hex, as nhanlucd logs it.
"""

import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("NL_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
CERTS_SH = os.path.join(SOURCE_DIR, "deploy", "certs.sh")
UNITS = ("tay-ho", "hai-ba-trung")


def run(argv, timeout=60):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr))
    return p


def fingerprint(crt):
    """SHA-256 of the DER certificate `crt`, lower-case hex without colons."""
    p = run(["openssl", "x509", "-in", crt, "-noout", "-fingerprint", "-sha256"])
    return p.stdout.strip().split("=", 1)[1].replace(":", "").lower()


class Pki:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nl-pki-")
        d = self.dir
        run([CERTS_SH, d, "ca"])
        run([CERTS_SH, d, "server", "127.0.0.1", "localhost"])
        for u in UNITS:
            run([CERTS_SH, d, "client", u])
        self.other = os.path.join(d, "other")
        run([CERTS_SH, self.other, "ca"])
        run([CERTS_SH, self.other, "client", UNITS[0]])
        self.expired = os.path.join(d, "expired")
        self._make_expired(UNITS[0])

    def _make_expired(self, unit):
        e = self.expired
        os.makedirs(e, mode=0o700)
        with open(os.path.join(e, "index.txt"), "w"):
            pass
        with open(os.path.join(e, "serial"), "w") as f:
            f.write("1000\n")
        cnf = os.path.join(e, "ca.cnf")
        with open(cnf, "w") as f:
            f.write("""[ca]
default_ca = tca
[tca]
database = {e}/index.txt
new_certs_dir = {e}
serial = {e}/serial
default_md = sha256
policy = pol
unique_subject = no
[pol]
organizationName = supplied
commonName = supplied
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:urn:nhanluc:unit:{u}
[req]
distinguished_name = dn
prompt = no
[dn]
""".format(e=e, u=unit))
        key = os.path.join(e, "client-%s.key" % unit)
        csr = os.path.join(e, "client.csr")
        crt = os.path.join(e, "client-%s.crt" % unit)
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", key])
        run(["openssl", "req", "-new", "-config", cnf, "-key", key,
             "-subj", "/O=nhanluc/CN=%s" % unit, "-out", csr])
        run(["openssl", "ca", "-batch", "-config", cnf, "-cert", self.ca, "-keyfile",
             os.path.join(self.dir, "ca.key"), "-in", csr, "-out", crt, "-notext",
             "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
             "-extensions", "ext"])

    @property
    def ca(self):
        return os.path.join(self.dir, "ca.crt")

    def path(self, name, where=None):
        return os.path.join(where or self.dir, name)

    def client(self, unit, where=None):
        """(cert path, key path) of UNIT's client certificate in `where` (default: the CA dir)."""
        return (self.path("client-%s.crt" % unit, where), self.path("client-%s.key" % unit, where))

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def server_args(self, client_ca=False):
        args = ["--tls-cert", self.path("server.crt"), "--tls-key", self.path("server.key")]
        if client_ca:
            args += ["--tls-client-ca", self.ca]
        return args

    def cleanup(self):
        shutil.rmtree(self.dir, True)
