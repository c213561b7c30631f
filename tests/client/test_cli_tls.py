#!/usr/bin/python3
"""The CLI's TLS and credentials against stock grpcio servers (issue 5).

Certificates come from deploy/certs.sh in a temporary directory: a private CA,
a server certificate for localhost and 127.0.0.1, one for another host name
only (same CA), and a client certificate of unit tay-ho. grpcio TLS servers
on 127.0.0.1:0 serve grpc.health.v1.Health/Check and record the metadata of
every call; the real `nhanluc` binary runs as a subprocess against them.
Checked: verification with --ca and its failures (unknown CA, wrong name),
https://, client certificates, ALPN/TLS against an h2c port, and the bearer
token from --token, NHANLUC_TOKEN, --token-file and NHANLUC_TOKEN_FILE, with
the token file's mode enforced and the token never echoed on stderr. A
counting TCP proxy shows that verification failures are not retried.

Environment: NHANLUC (the binary, required), NL_CERTS_SH (deploy/certs.sh),
NL_GRPC_PROTO_DIR, NHANLUC_VALGRIND (runs ValgrindTlsTest under valgrind).
Run with Debian's /usr/bin/python3 (it sees python3-grpcio).
"""

import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NHANLUC = os.environ.get("NHANLUC", "")
CERTS_SH = os.environ.get("NL_CERTS_SH", os.path.join(HERE, "..", "..", "deploy", "certs.sh"))
GRPC_PROTO_DIR = os.environ.get("NL_GRPC_PROTO_DIR", "/usr/share/grpc-proto")
VALGRIND = os.environ.get("NHANLUC_VALGRIND", "")

# A token shaped like the real ones (nl_<id>_<secret>), unlikely to occur by chance.
TOKEN = "nl_0123456789ab_s3cr3tS3CR3T-shouldNeverBePrinted_xyzXYZ0123456789"

grpc = None
health_pb2 = health_pb2_grpc = None
_tmp = None
CERTS = OTHER = None


def certs_sh(*args):
    subprocess.run(["bash", CERTS_SH] + list(args), check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def setUpModule():
    global grpc, health_pb2, health_pb2_grpc, _tmp, CERTS, OTHER
    if not NHANLUC or not os.access(NHANLUC, os.X_OK):
        raise unittest.SkipTest("NHANLUC does not name an executable")
    if shutil.which("openssl") is None:
        raise unittest.SkipTest("the openssl command is needed by deploy/certs.sh")
    import grpc as _grpc

    grpc = _grpc
    plugin = shutil.which("grpc_python_plugin")
    if plugin is None:
        raise RuntimeError("grpc_python_plugin not found (protobuf-compiler-grpc)")
    _tmp = tempfile.mkdtemp(prefix="nl-cli-tls-")
    stubs = os.path.join(_tmp, "stubs")
    os.mkdir(stubs)
    subprocess.run(
        ["protoc", "-I" + GRPC_PROTO_DIR, "--python_out=" + stubs, "--grpc_out=" + stubs,
         "--plugin=protoc-gen-grpc=" + plugin, "grpc/health/v1/health.proto"],
        check=True, timeout=60)
    sys.path.insert(0, stubs)
    grpc.__path__.append(os.path.join(stubs, "grpc"))
    from grpc.health.v1 import health_pb2 as h, health_pb2_grpc as hg

    health_pb2, health_pb2_grpc = h, hg
    CERTS = os.path.join(_tmp, "certs")
    certs_sh(CERTS, "ca")
    certs_sh(CERTS, "server", "localhost", "127.0.0.1")
    certs_sh(CERTS, "client", "tay-ho")
    # Same CA, a server certificate for another name only.
    OTHER = os.path.join(_tmp, "other")
    os.mkdir(OTHER, 0o700)
    for f in ("ca.crt", "ca.key"):
        shutil.copy2(os.path.join(CERTS, f), os.path.join(OTHER, f))
    certs_sh(OTHER, "server", "nhanluc.example.vn")


def tearDownModule():
    if _tmp:
        shutil.rmtree(_tmp, ignore_errors=True)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


class Recorder:
    """The metadata of every Health/Check call; the answer the test chose."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []
        self.abort = None  # (StatusCode, message) or None for SERVING

    def check(self, request, context):
        with self.lock:
            self.calls.append(dict(context.invocation_metadata()))
            abort = self.abort
        if abort is not None:
            context.abort(*abort)
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


def start_server(rec, certdir=None, client_auth=False):
    """A grpcio server on 127.0.0.1:0: TLS with certdir's server pair, else h2c."""
    class Health(health_pb2_grpc.HealthServicer):
        def Check(self, request, context):
            return rec.check(request, context)

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    if certdir is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        creds = grpc.ssl_server_credentials(
            [(read(certdir, "server.key"), read(certdir, "server.crt"))],
            root_certificates=read(certdir, "ca.crt") if client_auth else None,
            require_client_auth=client_auth)
        port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    return server, port


class CountingProxy:
    """Forwards 127.0.0.1:port to a target port and counts the connections."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.count = 0
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            try:
                u = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                c.close()
                continue
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        src.settimeout(30)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (dst, src):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        src.close()  # each socket is the source of exactly one pipe

    def close(self):
        self.closed = True
        self.thread.join(5)
        self.lsock.close()


class TlsTestBase(unittest.TestCase):
    wrapper = []

    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder()
        cls.servers = []
        cls.tls_port = cls._start(certdir=CERTS)
        cls.mtls_port = cls._start(certdir=CERTS, client_auth=True)
        cls.other_port = cls._start(certdir=OTHER)
        cls.h2c_port = cls._start()
        cls.ca = os.path.join(CERTS, "ca.crt")
        cls.cert = os.path.join(CERTS, "client-tay-ho.crt")
        cls.key = os.path.join(CERTS, "client-tay-ho.key")

    @classmethod
    def _start(cls, **kw):
        server, port = start_server(cls.rec, **kw)
        cls.servers.append(server)
        return port

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop(grace=None).wait(10)

    def setUp(self):
        with self.rec.lock:
            self.rec.calls = []
            self.rec.abort = None
        self.tmp = tempfile.mkdtemp(prefix="nl-tls-case-", dir=_tmp)

    def run_cli(self, *args, env=None, timeout=60):
        e = {k: v for k, v in os.environ.items() if not k.startswith("NHANLUC_")}
        if env:
            e.update(env)
        p = subprocess.run(list(self.wrapper) + [NHANLUC, "--output", "json"] + list(args),
                           capture_output=True, timeout=timeout, env=e)
        p.out = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8")
        return p

    def assertExit(self, p, code):
        self.assertEqual(p.returncode, code, "exit %d, expected %d\nstdout: %s\nstderr: %s"
                         % (p.returncode, code, p.out, p.err))

    def assertServing(self, p):
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), {"service": "", "status": "SERVING"})

    def auth_seen(self):
        with self.rec.lock:
            return [md.get("authorization") for md in self.rec.calls]

    def token_file(self, mode, content=TOKEN + "\n"):
        path = os.path.join(self.tmp, "token")
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, mode)
        return path


class TlsTest(TlsTestBase):
    def test_tls_with_ca(self):
        p = self.run_cli("--tls", "--ca", self.ca, "--server", "127.0.0.1:%d" % self.tls_port,
                         "health")
        self.assertServing(p)
        self.assertEqual(p.err, "")
        # A DNS name is checked against the DNS subjectAltName.
        p = self.run_cli("health", "--server", "localhost:%d" % self.tls_port, "--tls",
                         "--ca=" + self.ca)
        self.assertServing(p)
        self.assertEqual(self.auth_seen(), [None, None])  # no token, no header

    def test_https_server_and_environment(self):
        p = self.run_cli("--server", "https://127.0.0.1:%d" % self.tls_port, "--ca", self.ca,
                         "health")
        self.assertServing(p)
        p = self.run_cli("health", env={"NHANLUC_SERVER": "https://127.0.0.1:%d" % self.tls_port,
                                        "NHANLUC_CA": self.ca})
        self.assertServing(p)
        p = self.run_cli("health", env={"NHANLUC_SERVER": "127.0.0.1:%d" % self.tls_port,
                                        "NHANLUC_TLS": "1", "NHANLUC_CA": self.ca})
        self.assertServing(p)
        self.assertEqual(len(self.auth_seen()), 3)
        # NHANLUC_TLS=1 and an explicit http:// server: cleartext, as the scheme says.
        p = self.run_cli("--server", "http://127.0.0.1:%d" % self.h2c_port, "health",
                         env={"NHANLUC_TLS": "1", "NHANLUC_CA": self.ca})
        self.assertServing(p)

    def test_unknown_ca_fails_without_retry(self):
        proxy = CountingProxy(self.tls_port)
        try:
            addr = "127.0.0.1:%d" % proxy.port
            p = self.run_cli("--tls", "--timeout", "20s", "--server", addr, "health")
            self.assertExit(p, 14)
            self.assertEqual(proxy.count, 1, "a bad certificate is not retried")
        finally:
            proxy.close()
        self.assertIn("nhanluc: cannot verify the certificate of %s: " % addr, p.err)
        self.assertTrue("self-signed certificate in certificate chain" in p.err or
                        "unable to get local issuer certificate" in p.err, p.err)
        self.assertTrue(p.err.endswith("(UNAVAILABLE)\n"), p.err)
        self.assertEqual(p.out, "")
        self.assertEqual(self.rec.calls, [])
        # Another CA file does not help either.
        other_ca = os.path.join(self.tmp, "other-ca")
        certs_sh(other_ca, "ca")
        p = self.run_cli("--tls", "--ca", os.path.join(other_ca, "ca.crt"),
                         "--server", "127.0.0.1:%d" % self.tls_port, "health")
        self.assertExit(p, 14)
        self.assertIn("cannot verify the certificate of 127.0.0.1:%d" % self.tls_port, p.err)

    def test_wrong_host_name_fails(self):
        proxy = CountingProxy(self.other_port)
        try:
            p = self.run_cli("--tls", "--ca", self.ca, "--timeout", "20s",
                             "--server", "127.0.0.1:%d" % proxy.port, "health")
            self.assertExit(p, 14)
            self.assertEqual(proxy.count, 1)
        finally:
            proxy.close()
        self.assertIn("cannot verify the certificate of 127.0.0.1:%d: IP address mismatch "
                      "(it is not for '127.0.0.1')" % proxy.port, p.err)
        p = self.run_cli("--tls", "--ca", self.ca, "--server", "localhost:%d" % self.other_port,
                         "health")
        self.assertExit(p, 14)
        self.assertIn("cannot verify the certificate of localhost:%d: hostname mismatch "
                      "(it is not for 'localhost')" % self.other_port, p.err)
        self.assertEqual(self.rec.calls, [])

    def test_client_certificate(self):
        addr = "127.0.0.1:%d" % self.mtls_port
        p = self.run_cli("--tls", "--ca", self.ca, "--cert", self.cert, "--key", self.key,
                         "--server", addr, "health")
        self.assertServing(p)
        p = self.run_cli("--server", "https://" + addr, "health",
                         env={"NHANLUC_CA": self.ca, "NHANLUC_CERT": self.cert,
                              "NHANLUC_KEY": self.key})
        self.assertServing(p)
        proxy = CountingProxy(self.mtls_port)
        try:
            p = self.run_cli("--tls", "--ca", self.ca, "--timeout", "20s",
                             "--server", "127.0.0.1:%d" % proxy.port, "health")
            self.assertExit(p, 14)
            self.assertEqual(proxy.count, 1, "a missing client certificate is not retried")
        finally:
            proxy.close()
        self.assertIn("asked for a client certificate", p.err)
        self.assertIn("--cert and --key", p.err)
        self.assertEqual(len(self.rec.calls), 2)

    def test_tls_to_a_cleartext_port(self):
        p = self.run_cli("--tls", "--ca", self.ca, "--server", "127.0.0.1:%d" % self.h2c_port,
                         "health")
        self.assertExit(p, 14)
        self.assertIn("TLS handshake with 127.0.0.1:%d failed: " % self.h2c_port, p.err)

    def test_local_setup_errors(self):
        missing = os.path.join(self.tmp, "missing.crt")
        cases = [
            (("--ca", self.ca, "--server", "127.0.0.1:1", "health"), "are for TLS"),
            (("--tls", "--server", "http://127.0.0.1:1", "health"), "--tls conflicts"),
            (("--tls", "--cert", self.cert, "health"), "needs its key"),
            (("--tls", "--ca", missing, "health"), "cannot read the CA file '%s'" % missing),
            (("--tls", "--ca", self.key, "health"), "cannot load CA certificates from"),
            (("--tls", "--cert", self.cert, "--key", os.path.join(CERTS, "server.key"), "health"),
             "does not belong to the certificate"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                p = self.run_cli(*args)
                self.assertExit(p, 64)
                self.assertIn(text, p.err)
        p = self.run_cli("health", env={"NHANLUC_TLS": "maybe"})
        self.assertExit(p, 64)
        self.assertIn("bad NHANLUC_TLS 'maybe'", p.err)
        self.assertEqual(self.rec.calls, [])


class TokenTest(TlsTestBase):
    def tls_args(self):
        return ("--server", "https://127.0.0.1:%d" % self.tls_port, "--ca", self.ca)

    def test_token_option_over_tls(self):
        p = self.run_cli(*self.tls_args(), "--token", TOKEN, "health")
        self.assertServing(p)
        self.assertEqual(self.auth_seen(), ["Bearer " + TOKEN])

    def test_token_environment(self):
        p = self.run_cli(*self.tls_args(), "health", env={"NHANLUC_TOKEN": TOKEN})
        self.assertServing(p)
        # --token beats the environment.
        p = self.run_cli(*self.tls_args(), "--token", "nl_other", "health",
                         env={"NHANLUC_TOKEN": TOKEN})
        self.assertServing(p)
        self.assertEqual(self.auth_seen(), ["Bearer " + TOKEN, "Bearer nl_other"])

    def test_token_file(self):
        path = self.token_file(0o600)
        p = self.run_cli(*self.tls_args(), "--token-file", path, "health")
        self.assertServing(p)
        p = self.run_cli(*self.tls_args(), "health", env={"NHANLUC_TOKEN_FILE": path})
        self.assertServing(p)
        os.chmod(path, 0o400)
        p = self.run_cli(*self.tls_args(), "health", "--token-file=" + path)
        self.assertServing(p)
        # --token-file beats NHANLUC_TOKEN, which beats NHANLUC_TOKEN_FILE.
        p = self.run_cli(*self.tls_args(), "--token-file", path, "health",
                         env={"NHANLUC_TOKEN": "nl_env"})
        self.assertServing(p)
        p = self.run_cli(*self.tls_args(), "health",
                         env={"NHANLUC_TOKEN": "nl_env", "NHANLUC_TOKEN_FILE": path})
        self.assertServing(p)
        self.assertEqual(self.auth_seen(), ["Bearer " + TOKEN] * 4 + ["Bearer nl_env"])

    def test_token_file_mode_refused(self):
        for mode in (0o644, 0o640, 0o604, 0o660):
            with self.subTest(mode=oct(mode)):
                path = self.token_file(mode)
                for p in (self.run_cli(*self.tls_args(), "--token-file", path, "health"),
                          self.run_cli(*self.tls_args(), "health",
                                       env={"NHANLUC_TOKEN_FILE": path})):
                    self.assertExit(p, 64)
                    self.assertIn("token file '%s' has mode %04o" % (path, mode), p.err)
                    self.assertIn("0600 or stricter", p.err)
                    self.assertNotIn(TOKEN, p.err + p.out)
        self.assertEqual(self.rec.calls, [])

    def test_token_file_content_checked(self):
        for content, text in (("", "is empty"), ("\n", "is empty"),
                              (TOKEN + "\n" + TOKEN + "\n", "alone on one line"),
                              (TOKEN + " trailing\n", "not usable")):
            with self.subTest(text=text):
                path = self.token_file(0o600, content)
                p = self.run_cli(*self.tls_args(), "--token-file", path, "health")
                self.assertExit(p, 64)
                self.assertIn(text, p.err)
                self.assertNotIn(TOKEN, p.err)
        p = self.run_cli(*self.tls_args(), "--token-file", self.tmp, "health")
        self.assertExit(p, 64)
        self.assertIn("not a regular file", p.err)
        p = self.run_cli(*self.tls_args(), "--token", TOKEN, "--token-file", self.tmp, "health")
        self.assertExit(p, 64)
        self.assertIn("not both", p.err)
        self.assertNotIn(TOKEN, p.err)
        self.assertEqual(self.rec.calls, [])

    def test_token_never_in_stderr(self):
        self.rec.abort = (grpc.StatusCode.UNAUTHENTICATED, "unknown or expired token")
        p = self.run_cli(*self.tls_args(), "--token", TOKEN, "health")
        self.assertExit(p, 16)
        self.assertEqual(p.err, "nhanluc: unknown or expired token (UNAUTHENTICATED)\n")
        failures = [
            p,
            # Verification failure with a token (system store: the CA is unknown).
            self.run_cli("--tls", "--server", "127.0.0.1:%d" % self.tls_port, "--token", TOKEN,
                         "health"),
            self.run_cli("--tls", "--server", "127.0.0.1:%d" % self.tls_port, "health",
                         env={"NHANLUC_TOKEN": TOKEN}),
            # Nothing listening.
            self.run_cli("--server", "https://127.0.0.1:1", "--ca", self.ca, "--timeout", "1s",
                         "--token", TOKEN, "health"),
            # A token with a space cannot go in a header.
            self.run_cli(*self.tls_args(), "--token", TOKEN + " x", "health"),
        ]
        for q in failures:
            self.assertNotEqual(q.returncode, 0)
            self.assertNotIn(TOKEN, q.err)
            self.assertNotIn(TOKEN, q.out)
            self.assertNotIn("s3cr3t", q.err)

    def test_token_over_h2c_on_loopback_only(self):
        p = self.run_cli("--server", "127.0.0.1:%d" % self.h2c_port, "--token", TOKEN, "health")
        self.assertServing(p)
        self.assertEqual(self.auth_seen(), ["Bearer " + TOKEN])
        # 192.0.2.1 (TEST-NET-1) is never contacted: the refusal comes first.
        p = self.run_cli("--server", "192.0.2.1:50051", "--timeout", "20s", "--token", TOKEN,
                         "health")
        self.assertExit(p, 14)
        self.assertIn("not sending the token in cleartext to 192.0.2.1:50051", p.err)
        self.assertNotIn(TOKEN, p.err)


@unittest.skipUnless(VALGRIND, "NHANLUC_VALGRIND not set")
class ValgrindTlsTest(TlsTestBase):
    """The main paths with the CLI under valgrind: handshake, failures, token."""
    wrapper = [VALGRIND, "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
               "--error-exitcode=99", "--track-fds=no"] if VALGRIND else []

    def test_paths(self):
        addr = "127.0.0.1:%d" % self.tls_port
        self.assertServing(self.run_cli("--tls", "--ca", self.ca, "--server", addr,
                                        "--token", TOKEN, "health"))
        self.assertServing(self.run_cli("--tls", "--ca", self.ca, "--cert", self.cert,
                                        "--key", self.key,
                                        "--server", "127.0.0.1:%d" % self.mtls_port, "health"))
        self.assertExit(self.run_cli("--tls", "--server", addr, "health"), 14)
        self.assertExit(self.run_cli("--tls", "--ca", self.ca,
                                     "--server", "127.0.0.1:%d" % self.mtls_port, "health"), 14)
        self.assertExit(self.run_cli("--tls", "--ca", self.ca,
                                     "--server", "localhost:%d" % self.other_port, "health"), 14)
        self.assertExit(self.run_cli("--tls", "--ca", self.ca,
                                     "--server", "127.0.0.1:%d" % self.h2c_port, "health"), 14)
        path = self.token_file(0o600)
        self.assertServing(self.run_cli("--server", "https://" + addr, "--ca", self.ca,
                                        "--token-file", path, "health"))
        os.chmod(path, 0o644)
        self.assertExit(self.run_cli("--server", "https://" + addr, "--ca", self.ca,
                                     "--token-file", path, "health"), 64)
        self.assertEqual(self.auth_seen(), ["Bearer " + TOKEN, None, "Bearer " + TOKEN])


if __name__ == "__main__":
    unittest.main()
