"""deploy/certs.sh, as an operator setting up TLS for nhanlucd sees it.

A private CA, a server certificate for 127.0.0.1 and localhost and client
certificates for two units are made in a temporary directory and checked with
the openssl CLI alone: each verifies against the CA for its purpose, carries
the subjectAltName / extendedKeyUsage / CN the script promises, keys are mode
0600 and never printed. Refusals: a second CA without --force (files left
unchanged), a bad unit code or host (exit 64, naming it), no CA (exit 1). A
certificate of another CA with the same unit code does not verify. Finally the
certificates carry a real mutual-TLS handshake between `openssl s_server` and
`openssl s_client`, and the server refuses a client certificate of another CA
or none. Every process is bounded by a timeout; the server is killed by PID.
"""
import datetime
import hashlib
import os
import select
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "deploy", "certs.sh")
UNITS = ("tay-ho", "hai-ba-trung")


def certs(*args, timeout=60):
    """Runs deploy/certs.sh ARGS; returns the CompletedProcess (text)."""
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def openssl(*args, timeout=30):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def ext(crt, name):
    """The text of extension `name` of certificate `crt` ("" when absent)."""
    p = openssl("x509", "-in", crt, "-noout", "-ext", name)
    assert p.returncode == 0, p.stderr
    return p.stdout


def validity_days(crt):
    p = openssl("x509", "-in", crt, "-noout", "-startdate", "-enddate")
    assert p.returncode == 0, p.stderr
    fields = dict(line.split("=", 1) for line in p.stdout.splitlines())
    fmt = "%b %d %H:%M:%S %Y GMT"
    start = datetime.datetime.strptime(" ".join(fields["notBefore"].split()), fmt)
    end = datetime.datetime.strptime(" ".join(fields["notAfter"].split()), fmt)
    return (end - start).total_seconds() / 86400


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class CertsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nl-certs-")
        cls.dir = os.path.join(cls.tmp, "pki")
        cls.other = os.path.join(cls.tmp, "other-pki")
        cls.outputs = []
        steps = [(cls.dir, "ca"), (cls.dir, "server", "127.0.0.1", "localhost")]
        steps += [(cls.dir, "client", u) for u in UNITS]
        steps += [(cls.other, "ca"), (cls.other, "client", UNITS[0])]
        for step in steps:
            p = certs(*step)
            if p.returncode != 0:
                shutil.rmtree(cls.tmp, True)
                raise AssertionError(f"certs.sh {' '.join(step)}: {p.returncode} {p.stderr}")
            cls.outputs.append(p.stdout + p.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def path(self, name, d=None):
        return os.path.join(d or self.dir, name)

    def verify(self, crt, *extra, ca=None):
        return openssl("verify", "-CAfile", ca or self.path("ca.crt"), *extra, crt)

    def test_every_certificate_verifies_against_the_ca_for_its_purpose(self):
        p = self.verify(self.path("server.crt"), "-purpose", "sslserver")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(": OK", p.stdout)
        for unit in UNITS:
            p = self.verify(self.path(f"client-{unit}.crt"), "-purpose", "sslclient")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn(": OK", p.stdout)
        # The wrong purpose is refused: EKU is not decoration.
        wrong = self.verify(self.path("server.crt"), "-purpose", "sslclient")
        self.assertNotEqual(wrong.returncode, 0)
        self.assertNotEqual(
            self.verify(self.path(f"client-{UNITS[0]}.crt"), "-purpose", "sslserver").returncode, 0)

    def test_ca_is_a_p256_ca_for_ten_years(self):
        ca = self.path("ca.crt")
        bc = ext(ca, "basicConstraints")
        self.assertIn("Basic Constraints: critical", bc)
        self.assertIn("CA:TRUE", bc)
        ku = ext(ca, "keyUsage")
        self.assertIn("Key Usage: critical", ku)
        self.assertIn("Certificate Sign, CRL Sign", ku)
        self.assertNotIn("Digital Signature", ku)
        text = openssl("x509", "-in", ca, "-noout", "-text").stdout
        self.assertIn("id-ecPublicKey", text)
        self.assertIn("prime256v1", text)
        subj = openssl("x509", "-in", ca, "-noout", "-subject", "-issuer").stdout.splitlines()
        self.assertEqual(subj[0].split("=", 1)[1], subj[1].split("=", 1)[1], "self-signed")
        self.assertAlmostEqual(validity_days(ca), 3650, delta=1)

    def test_server_certificate_names_every_host_in_the_right_field(self):
        crt = self.path("server.crt")
        san = ext(crt, "subjectAltName")
        self.assertIn("IP Address:127.0.0.1", san)
        self.assertIn("DNS:localhost", san)
        self.assertNotIn("DNS:127.0.0.1", san)
        eku = ext(crt, "extendedKeyUsage")
        self.assertIn("TLS Web Server Authentication", eku)
        self.assertNotIn("Client", eku)
        self.assertIn("CA:FALSE", ext(crt, "basicConstraints"))
        self.assertLessEqual(validity_days(crt), 825)
        self.assertGreater(validity_days(crt), 824)
        ok_ip = self.verify(crt, "-verify_ip", "127.0.0.1")
        self.assertEqual(ok_ip.returncode, 0, ok_ip.stdout + ok_ip.stderr)
        ok_dns = self.verify(crt, "-verify_hostname", "localhost")
        self.assertEqual(ok_dns.returncode, 0, ok_dns.stdout + ok_dns.stderr)
        self.assertNotEqual(self.verify(crt, "-verify_hostname", "example.com").returncode, 0)
        self.assertNotEqual(self.verify(crt, "-verify_ip", "127.0.0.2").returncode, 0)

    def test_client_certificates_carry_the_unit(self):
        for unit in UNITS:
            with self.subTest(unit=unit):
                crt = self.path(f"client-{unit}.crt")
                subj = openssl("x509", "-in", crt, "-noout", "-subject", "-nameopt", "RFC2253")
                self.assertIn(f"CN={unit},", subj.stdout)
                san = ext(crt, "subjectAltName").split("\n", 1)[1].strip()
                self.assertEqual(san, f"URI:urn:nhanluc:unit:{unit}")
                eku = ext(crt, "extendedKeyUsage")
                self.assertIn("TLS Web Client Authentication", eku)
                self.assertNotIn("Server", eku)
                self.assertIn("CA:FALSE", ext(crt, "basicConstraints"))
                self.assertAlmostEqual(validity_days(crt), 365, delta=1)

    def test_keys_are_private_match_their_certificates_and_are_never_printed(self):
        names = ["ca", "server"] + [f"client-{u}" for u in UNITS]
        for name in names:
            with self.subTest(name=name):
                key, crt = self.path(name + ".key"), self.path(name + ".crt")
                self.assertEqual(mode(key), 0o600)
                self.assertEqual(mode(crt), 0o644)
                pub_key = openssl("pkey", "-in", key, "-pubout")
                pub_crt = openssl("x509", "-in", crt, "-noout", "-pubkey")
                self.assertEqual(pub_key.returncode, 0, pub_key.stderr)
                self.assertEqual(pub_key.stdout, pub_crt.stdout)
                with open(key) as f:
                    body = "".join(line for line in f.read().splitlines()
                                   if not line.startswith("-----"))
                for out in self.outputs:
                    self.assertNotIn("PRIVATE KEY", out)
                    self.assertNotIn(body[:40], out)
        self.assertEqual(mode(self.dir), 0o700, "the script made DIR, so it is 0700")
        left = [n for n in os.listdir(self.dir) if n.startswith(".")]
        self.assertEqual(left, [], "no temporary files left behind")

    def test_another_ca_with_the_same_unit_code_does_not_verify(self):
        alien = self.path(f"client-{UNITS[0]}.crt", self.other)
        self.assertIn(f"urn:nhanluc:unit:{UNITS[0]}", ext(alien, "subjectAltName"))
        p = self.verify(alien, "-purpose", "sslclient")
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("unable to get local issuer certificate", p.stdout + p.stderr)
        # ... and ours does not verify against the other CA.
        ours = self.path(f"client-{UNITS[0]}.crt")
        self.assertNotEqual(self.verify(ours, ca=self.path("ca.crt", self.other)).returncode, 0)

    def test_second_ca_needs_force_and_force_replaces_it(self):
        d = os.path.join(self.tmp, "again")
        self.assertEqual(certs(d, "ca").returncode, 0)
        self.assertEqual(certs(d, "client", "soc-son").returncode, 0)
        files = ("ca.key", "ca.crt")
        before = {f: (digest(self.path(f, d)), mode(self.path(f, d))) for f in files}
        p = certs(d, "ca")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("already exist", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assertEqual({f: (digest(self.path(f, d)), mode(self.path(f, d))) for f in files},
                         before)
        # A client certificate is not silently replaced either.
        crt_before = digest(self.path("client-soc-son.crt", d))
        self.assertEqual(certs(d, "client", "soc-son").returncode, 1)
        self.assertEqual(digest(self.path("client-soc-son.crt", d)), crt_before)

        p = certs(d, "ca", "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotEqual(digest(self.path("ca.crt", d)), before["ca.crt"][0])
        self.assertNotEqual(digest(self.path("ca.key", d)), before["ca.key"][0])
        self.assertEqual(mode(self.path("ca.key", d)), 0o600)
        # What the old CA signed no longer verifies against the new one.
        old = self.verify(self.path("client-soc-son.crt", d), ca=self.path("ca.crt", d))
        self.assertNotEqual(old.returncode, 0)
        p = certs(d, "client", "soc-son", "--days", "30", "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertAlmostEqual(validity_days(self.path("client-soc-son.crt", d)), 30, delta=1)
        self.assertEqual(self.verify(self.path("client-soc-son.crt", d),
                                     ca=self.path("ca.crt", d)).returncode, 0)

    def test_bad_unit_codes_exit_64_naming_the_code(self):
        d = os.path.join(self.tmp, "badunit")
        self.assertEqual(certs(d, "ca").returncode, 0)
        for code in ("Tay-Ho", "tay_ho", "tay ho", "../etc", "a" * 65, "tay-hồ", ""):
            with self.subTest(code=code):
                p = certs(d, "client", code)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn(f"'{code}'", p.stderr)
                self.assertIn("[a-z0-9-]", p.stderr)
        self.assertEqual(sorted(os.listdir(d)), ["ca.crt", "ca.key"], "nothing written")
        longest = "a" * 64
        p = certs(d, "client", longest)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"URI:urn:nhanluc:unit:{longest}",
                      ext(self.path(f"client-{longest}.crt", d), "subjectAltName"))

    def test_usage_errors_exit_64_and_failures_exit_1(self):
        d = os.path.join(self.tmp, "usage")
        p = certs(d, "client", "tay-ho")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("no CA", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "client-tay-ho.key")))
        self.assertEqual(certs(d, "ca").returncode, 0)
        for args, want in ((["server", "bad_host!"], "'bad_host!'"),
                           (["server", "1.2.3.999"], "'1.2.3.999'"),
                           (["server"], "HOST"),
                           (["server", "localhost", "--days", "826"], "--days"),
                           (["client", "x", "--days", "0"], "--days"),
                           (["client", "x", "--nope"], "'--nope'"),
                           (["frob"], "'frob'")):
            with self.subTest(args=args):
                p = certs(d, *args)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn(want, p.stderr)
                self.assertIn("usage:", p.stderr)
        self.assertEqual(sorted(os.listdir(d)), ["ca.crt", "ca.key"], "nothing written")
        p = certs("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("urn:nhanluc:unit:UNIT", p.stdout)


class TlsTest(unittest.TestCase):
    """The certificates in a real mutual-TLS handshake (openssl s_server/s_client)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nl-certs-tls-")
        cls.dir = os.path.join(cls.tmp, "pki")
        cls.other = os.path.join(cls.tmp, "other")
        for step in ((cls.dir, "ca"), (cls.dir, "server", "127.0.0.1", "localhost"),
                     (cls.dir, "client", "tay-ho"), (cls.other, "ca"),
                     (cls.other, "client", "tay-ho")):
            p = certs(*step)
            if p.returncode != 0:
                shutil.rmtree(cls.tmp, True)
                raise AssertionError(f"certs.sh {' '.join(step)}: {p.stderr}")
        d = cls.dir
        cls.server = subprocess.Popen(
            ["openssl", "s_server", "-cert", f"{d}/server.crt", "-key", f"{d}/server.key",
             "-CAfile", f"{d}/ca.crt", "-Verify", "1", "-verify_return_error",
             "-accept", "127.0.0.1:0", "-www"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # "ACCEPT 127.0.0.1:PORT" on stdout once it listens. Read the raw fd:
        # a buffered readline could swallow that line while select() waits.
        cls.port = None
        fd = cls.server.stdout.fileno()
        seen = b""
        deadline = time.monotonic() + 10
        while cls.port is None and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break  # s_server exited
            seen += chunk
            for line in seen.decode(errors="replace").splitlines(keepends=True):
                if line.startswith("ACCEPT") and line.endswith("\n"):
                    cls.port = int(line.rsplit(":", 1)[1])
        if cls.port is None:
            cls.tearDownClass()
            raise AssertionError("openssl s_server did not start listening within 10 s")

    @classmethod
    def tearDownClass(cls):
        server = getattr(cls, "server", None)
        if server is not None and server.poll() is None:
            server.kill()  # by PID: the Popen we started
            server.wait(timeout=10)
        if server is not None:
            server.stdout.close()
        shutil.rmtree(cls.tmp, True)

    def connect(self, *extra, pki=None):
        """s_client with the CA of self.dir, client pair from `pki`; a GET, then EOF."""
        args = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}",
                "-CAfile", f"{self.dir}/ca.crt", "-verify_return_error", "-ign_eof", *extra]
        if pki is not None:
            args += ["-cert", f"{pki}/client-tay-ho.crt", "-key", f"{pki}/client-tay-ho.key"]
        return subprocess.run(args, input=b"GET / HTTP/1.0\r\n\r\n", capture_output=True,
                              timeout=20)

    def test_handshake_verifies_both_ways(self):
        for check in (["-verify_ip", "127.0.0.1"], ["-verify_hostname", "localhost"]):
            with self.subTest(check=check):
                p = self.connect(*check, pki=self.dir)
                out = p.stdout.decode(errors="replace")
                self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
                self.assertIn("Verify return code: 0 (ok)", out)
                # The page s_server sends: it got and accepted our certificate.
                self.assertIn("HTTP/1.0 200 ok", out)
                page = out[out.index("HTTP/1.0 200 ok"):]
                self.assertIn("Client certificate", page)
                self.assertIn("urn:nhanluc:unit:tay-ho", page)

    def test_wrong_server_name_is_refused_by_the_client(self):
        p = self.connect("-verify_hostname", "nhanluc.example.vn", pki=self.dir)
        out = p.stdout.decode(errors="replace")
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("HTTP/1.0 200 ok", out)

    def test_client_certificate_of_another_ca_or_none_is_refused(self):
        for pki in (self.other, None):
            with self.subTest(pki=pki):
                p = self.connect("-verify_ip", "127.0.0.1", pki=pki)
                out = p.stdout.decode(errors="replace")
                self.assertNotIn("HTTP/1.0 200 ok", out)
                self.assertNotIn("Client certificate", out)
        # The server still serves a good client afterwards.
        p = self.connect("-verify_ip", "127.0.0.1", pki=self.dir)
        self.assertIn("HTTP/1.0 200 ok", p.stdout.decode(errors="replace"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
