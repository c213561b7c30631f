"""test_tls.py - grpcio over TLS against the real nhanlucd (--tls-cert/--tls-key[/--tls-client-ca]).

The PKI comes from deploy/certs.sh (tests/support/tlspki.py): a CA, a server
certificate for 127.0.0.1, client certificates for two units, a second CA
with a client of its own, and an expired client certificate of the first CA.
Stock grpcio (ssl_channel_credentials) calls Health/Check and the Registry
over TLS; with --tls-client-ca a call without a certificate, with another
CA's certificate or with an expired one fails, and with a good one it
works. The server's debug log names the verified certificate by SHA-256 and
unit, which is compared with openssl's own fingerprint. Every server is on
127.0.0.1:0 and is stopped and checked (clean exit, no sanitizer report).
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402
import tlspki  # noqa: E402

import grpc  # noqa: E402

CALL_TIMEOUT = 10
PKI = None


def setUpModule():
    global PKI
    PKI = tlspki.Pki()


def tearDownModule():
    if PKI is not None:
        PKI.cleanup()


class TlsCase(nlserver.ServerTestCase):
    client_ca = False

    def setUp(self):
        self.s = nlserver.stubs()
        self.pb = self.s.registry_pb2
        self.srv = self.start_server(args=PKI.server_args(client_ca=self.client_ca))

    def channel(self, cert=None, root=None):
        """A TLS channel to the server, with `cert` = (crt path, key path) or no client cert."""
        kw = {"root_certificates": PKI.read(root or PKI.ca)}
        if cert is not None:
            kw["certificate_chain"] = PKI.read(cert[0])
            kw["private_key"] = PKI.read(cert[1])
        ch = grpc.secure_channel(self.srv.addr, grpc.ssl_channel_credentials(**kw),
                                 options=nlserver.GRPC_CHANNEL_OPTIONS)
        self.addCleanup(ch.close)
        return ch

    def health(self, ch, timeout=CALL_TIMEOUT):
        check = nlserver.health_check_callable(ch)
        return check(self.s.health_pb2.HealthCheckRequest(service=""), timeout=timeout).status

    def registry_roundtrip(self, ch, code):
        stub = self.s.registry_pb2_grpc.RegistryStub(ch)
        unit = self.pb.Unit(code=code, name="Thành phố %s" % code, kind=self.pb.CITY)
        stub.CreateUnit(self.pb.CreateUnitRequest(unit=unit), timeout=CALL_TIMEOUT)
        got = stub.GetUnit(self.pb.GetUnitRequest(code=code), timeout=CALL_TIMEOUT).unit
        self.assertEqual(got.code, code)
        self.assertEqual(got.name, "Thành phố %s" % code)

    def assertRefused(self, ch):
        with self.assertRaises(grpc.RpcError) as cm:
            self.health(ch, timeout=5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         cm.exception.details())

    def wait_log(self, pattern, timeout=10):
        """Waits (bounded) until the server's log matches `pattern`; fails otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.srv.stderr_text()):
                return
            time.sleep(0.05)
        self.fail("no %r in the server log:\n%s" % (pattern, self.srv.stderr_text()[-3000:]))

    def tls_up_lines(self):
        pattern = r"TLS up: (\S+) \S+, ALPN h2, client certificate (\S+?)(?:, unit (\S+))?$"
        return re.findall(pattern, self.srv.stderr_text(), re.M)


class ServerTlsTest(TlsCase):
    """TLS without client certificates: server authentication only."""

    def test_health_and_registry_over_tls(self):
        ch = self.channel()
        self.assertEqual(self.health(ch), self.s.health_pb2.HealthCheckResponse.SERVING)
        self.registry_roundtrip(ch, "hoan-kiem")
        ups = self.tls_up_lines()
        self.assertEqual(len(ups), 1, self.srv.stderr_text()[-3000:])
        self.assertIn(ups[0][0], ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(ups[0][1], "none", "no certificate was asked for")

    def test_client_certificate_not_asked_still_works(self):
        ch = self.channel(cert=PKI.client("tay-ho"))
        self.registry_roundtrip(ch, "tay-ho")
        self.assertEqual([u[1] for u in self.tls_up_lines()], ["none"])

    def test_client_trusting_another_ca_refuses_the_server(self):
        ch = self.channel(root=PKI.path("ca.crt", PKI.other))
        self.assertRefused(ch)
        # grpcio either sends an alert or just closes the socket.
        self.wait_log(r"TLS handshake failed|closed the connection during the TLS handshake")

    def test_h2c_client_is_refused_on_a_tls_port(self):
        ch = grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)
        self.addCleanup(ch.close)
        self.assertRefused(ch)
        # ...and the server keeps serving TLS clients.
        self.registry_roundtrip(self.channel(), "ba-dinh")

    def test_many_calls_on_one_connection(self):
        ch = self.channel()
        stub = self.s.registry_pb2_grpc.RegistryStub(ch)
        stub.CreateUnit(self.pb.CreateUnitRequest(unit=self.pb.Unit(
            code="ha-noi", name="Thành phố Hà Nội", kind=self.pb.CITY)), timeout=CALL_TIMEOUT)
        futures = [stub.GetUnit.future(self.pb.GetUnitRequest(code="ha-noi"), timeout=30)
                   for _ in range(200)]
        self.assertEqual({f.result().unit.code for f in futures}, {"ha-noi"})
        self.assertEqual(len(self.tls_up_lines()), 1, "all calls shared one TLS connection")


class MutualTlsTest(TlsCase):
    """--tls-client-ca: a certificate of that CA is required and verified."""

    client_ca = True

    def test_certificate_of_the_ca_is_accepted_and_named(self):
        cert = PKI.client("hai-ba-trung")
        self.registry_roundtrip(self.channel(cert=cert), "hai-ba-trung")
        ups = self.tls_up_lines()
        self.assertEqual(len(ups), 1, self.srv.stderr_text()[-3000:])
        self.assertEqual(ups[0][1], tlspki.fingerprint(cert[0]))
        self.assertEqual(ups[0][2], "hai-ba-trung")

    def test_no_certificate_is_refused(self):
        self.assertRefused(self.channel())
        self.wait_log(r"TLS handshake failed: .*certificate")
        self.assertEqual(self.tls_up_lines(), [])

    def test_certificate_of_another_ca_is_refused(self):
        self.assertRefused(self.channel(cert=PKI.client("tay-ho", PKI.other)))
        self.wait_log(r"TLS handshake failed: certificate verify failed \(unable to get local "
                         r"issuer certificate\)")

    def test_expired_certificate_is_refused(self):
        self.assertRefused(self.channel(cert=PKI.client("tay-ho", PKI.expired)))
        self.wait_log(r"TLS handshake failed: certificate verify failed \(certificate has "
                         r"expired\)")

    def test_refusals_do_not_disturb_good_clients(self):
        good = self.channel(cert=PKI.client("tay-ho"))
        self.registry_roundtrip(good, "tay-ho")
        for cert in (None, PKI.client("tay-ho", PKI.other)):
            self.assertRefused(self.channel(cert=cert))
        self.assertEqual(self.health(good), self.s.health_pb2.HealthCheckResponse.SERVING)
        rc, err = self.srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        m = re.search(r"tls: (\d+) handshake\(s\) with h2, (\d+) failed", err)
        self.assertIsNotNone(m, err[-2000:])
        self.assertEqual(int(m.group(1)), 1)
        self.assertGreaterEqual(int(m.group(2)), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
