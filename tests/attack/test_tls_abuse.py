"""test_tls_abuse.py - misbehaving TLS clients against the real nhanlucd (RELIABILITY.md H12).

`openssl s_client` and Python's ssl module (no gRPC) talk to a server started
with --tls-cert/--tls-key (and --tls-client-ca for one class):
- no ALPN: the handshake completes, then the server closes the connection;
- ALPN http/1.1 only: the handshake fails (no_application_protocol);
- ALPN h2: h2 is selected, and the HTTP/2 preface gets the server's SETTINGS;
- TLS 1.1 (offered at security level 0, so the client really sends it): refused;
- renegotiation (s_client's R command on TLS 1.2): the connection is closed;
- garbage and a half handshake: closed; the silent client is closed by the handshake timer;
- an expired client certificate: refused.
Each case then checks that the server still serves a good TLS client, and the
fixture checks a clean exit without sanitizer reports. Every process and
socket wait is bounded; processes are stopped by their own PID.
"""

import os
import re
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402
import tlspki  # noqa: E402

PKI = None
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def setUpModule():
    global PKI
    PKI = tlspki.Pki()


def tearDownModule():
    if PKI is not None:
        PKI.cleanup()


class SClient:
    """One `openssl s_client` process with stdin kept open; killed by PID at the end."""

    def __init__(self, port, *args):
        argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", PKI.ca,
                "-verify_return_error", *args]
        self.out_path = os.path.join(PKI.dir, "s_client.%d.out" % time.monotonic_ns())
        self.outf = open(self.out_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self.outf,
                                     stderr=subprocess.STDOUT)

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_output(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.output()):
                return True
            if self.proc.poll() is not None:
                return bool(re.search(pattern, self.output()))
            time.sleep(0.05)
        return False

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.outf.close()
        os.unlink(self.out_path)


class TlsAbuseCase(nlserver.ServerTestCase):
    client_ca = False
    extra_args = ()

    def setUp(self):
        self.srv = self.start_server(
            args=PKI.server_args(client_ca=self.client_ca) + list(self.extra_args))

    def s_client(self, *args):
        c = SClient(self.srv.port, *args)
        self.addCleanup(c.close)
        return c

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.srv.stderr_text()):
                return
            time.sleep(0.05)
        self.fail("no %r in the server log:\n%s" % (pattern, self.srv.stderr_text()[-3000:]))

    def tls_socket(self, alpn=("h2",), cert=None, timeout=10):
        """A Python TLS connection (handshake done) to the server."""
        ctx = ssl.create_default_context(cafile=PKI.ca)
        if alpn:
            ctx.set_alpn_protocols(list(alpn))
        if cert is not None:
            ctx.load_cert_chain(cert[0], cert[1])
        raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=timeout)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.addCleanup(s.close)
        return s

    def read_until_closed(self, s, timeout=10):
        """Reads until EOF or a TLS/socket error; returns True if closed within `timeout`."""
        s.settimeout(0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if s.recv(65536) == b"":
                    return True
            except socket.timeout:
                continue
            except (ssl.SSLError, OSError):
                return True
        return False

    def assert_h2_works(self, cert=None):
        """ALPN h2 is selected and the HTTP/2 preface is answered with a SETTINGS frame."""
        s = self.tls_socket(cert=cert)
        self.assertEqual(s.selected_alpn_protocol(), "h2")
        s.sendall(H2_PREFACE + EMPTY_SETTINGS)
        s.settimeout(10)
        head = b""
        deadline = time.monotonic() + 10
        while len(head) < 9 and time.monotonic() < deadline:
            chunk = s.recv(9 - len(head))
            if not chunk:
                break
            head += chunk
        self.assertEqual(len(head), 9, "no frame from the server")
        self.assertEqual(head[3], 0x4, "the server's first frame is SETTINGS")
        s.close()


class AlpnTest(TlsAbuseCase):
    def test_s_client_without_alpn_is_closed_after_the_handshake(self):
        c = self.s_client()
        self.assertTrue(c.wait_output(r"Verify return code: 0 \(ok\)"), c.output())
        self.assertIsNotNone(c.wait_exit(10), "the server did not close the connection")
        self.assertIn("No ALPN negotiated", c.output())
        self.wait_log(r"TLS client did not offer ALPN h2: closing")
        self.assert_h2_works()

    def test_python_without_alpn_is_closed(self):
        s = self.tls_socket(alpn=())
        self.assertIsNone(s.selected_alpn_protocol())
        self.assertTrue(self.read_until_closed(s))

    def test_s_client_with_alpn_h2_stays_connected(self):
        c = self.s_client("-alpn", "h2")
        self.assertTrue(c.wait_output(r"ALPN protocol: h2"), c.output())
        # Well inside the 10 s handshake timer: still connected.
        time.sleep(1.0)
        self.assertIsNone(c.proc.poll(), c.output())
        self.assertNotIn("ALPN h2: closing", self.srv.stderr_text())

    def test_alpn_without_h2_fails_the_handshake(self):
        c = self.s_client("-alpn", "http/1.1")
        self.assertIsNotNone(c.wait_exit(10))
        self.assertRegex(c.output(), r"no application protocol")
        self.wait_log(r"TLS handshake failed: the client offered ALPN without h2")
        self.assert_h2_works()

    def test_h2_preface_over_tls_gets_settings(self):
        self.assert_h2_works()


class VersionAndRenegotiationTest(TlsAbuseCase):
    def test_tls_1_1_is_refused(self):
        # Security level 0 so that the local OpenSSL offers TLS 1.1 at all.
        c = self.s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-alpn", "h2")
        self.assertIsNotNone(c.wait_exit(10))
        # The server answers the TLS 1.1 ClientHello with a protocol_version alert.
        self.assertIn("alert protocol version", c.output())
        self.assertIn("Cipher is (NONE)", c.output())
        self.wait_log(r"TLS handshake failed: .*unsupported protocol")
        self.assert_h2_works()

    def test_tls_1_2_is_accepted(self):
        c = self.s_client("-tls1_2", "-alpn", "h2")
        self.assertTrue(c.wait_output(r"ALPN protocol: h2"), c.output())
        self.assertRegex(c.output(), r"Protocol\s*: TLSv1\.2")

    def test_renegotiation_is_refused_and_closed(self):
        c = self.s_client("-tls1_2", "-alpn", "h2")
        self.assertTrue(c.wait_output(r"ALPN protocol: h2"), c.output())
        c.send(b"R\n")
        self.assertTrue(c.wait_output(r"RENEGOTIATING"), c.output())
        self.wait_log(r"TLS: the client asked for a renegotiation: closing")
        self.assertIsNotNone(c.wait_exit(10), "s_client still connected after renegotiating")
        self.assert_h2_works()

    def test_garbage_and_cleartext_are_closed(self):
        for junk in (os.urandom(4096), H2_PREFACE + EMPTY_SETTINGS,
                     b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"):  # a ClientHello cut short
            with self.subTest(junk=junk[:12]):
                raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
                self.addCleanup(raw.close)
                raw.sendall(junk)
                raw.settimeout(10)
                data = b""
                try:
                    while True:
                        chunk = raw.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                # Nothing but TLS alert records (content type 21) may come back.
                self.assertTrue(data == b"" or data[0] == 21, data[:32])
        self.assert_h2_works()


class HandshakeTimerTest(TlsAbuseCase):
    extra_args = ("--handshake-timeout-ms", "500")

    def test_silent_client_is_closed_by_the_handshake_timer(self):
        raw = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
        self.addCleanup(raw.close)
        raw.settimeout(5)
        t0 = time.monotonic()
        self.assertEqual(raw.recv(100), b"")
        self.assertLess(time.monotonic() - t0, 4)
        self.wait_log(r"no TLS handshake in time: closing")


class ClientCertTest(TlsAbuseCase):
    client_ca = True

    def test_expired_client_certificate_is_refused(self):
        crt, key = PKI.client("tay-ho", PKI.expired)
        c = self.s_client("-alpn", "h2", "-cert", crt, "-key", key)
        self.assertIsNotNone(c.wait_exit(10))
        self.wait_log(r"TLS handshake failed: certificate verify failed "
                      r"\(certificate has expired\)")
        self.assertNotIn("TLS up", self.srv.stderr_text())
        self.assert_h2_works(cert=PKI.client("tay-ho"))

    def test_server_certificate_is_not_a_client_certificate(self):
        # Signed by the right CA, but its extendedKeyUsage is serverAuth only.
        c = self.s_client("-alpn", "h2", "-cert", PKI.path("server.crt"),
                          "-key", PKI.path("server.key"))
        self.assertIsNotNone(c.wait_exit(10))
        self.wait_log(r"TLS handshake failed: certificate verify failed \(unsuitable "
                      r"certificate purpose\)")

    def test_good_client_certificate_over_s_client(self):
        crt, key = PKI.client("tay-ho")
        c = self.s_client("-alpn", "h2", "-cert", crt, "-key", key)
        self.assertTrue(c.wait_output(r"ALPN protocol: h2"), c.output())
        c.send(H2_PREFACE + EMPTY_SETTINGS)
        self.wait_log(r"client certificate %s, unit tay-ho" % tlspki.fingerprint(crt))


if __name__ == "__main__":
    unittest.main(verbosity=2)
