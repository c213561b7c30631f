"""nhanlucd's TLS settings at start-up, as an operator sees them.

Refusals happen before anything listens or the database is created, with a
message that says why: a cleartext listener off loopback (exit 64, naming
--tls-cert and --insecure-listen), half a TLS pair or a client CA without one
(exit 64), and a certificate, key or CA file that cannot be read or loaded,
or a key of another certificate (exit 1, naming the file, never printing key
material). --insecure-listen (a switch without a value, or `insecure-listen
= yes` in a config file) lets validation pass off loopback; TLS does too.
Those are checked on 192.0.2.1 (TEST-NET-1, never local), where binding then
fails: nothing ever listens off loopback. Every process has a timeout.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402
import tlspki  # noqa: E402

PKI = None
OFF_LOOPBACK = "192.0.2.1:50051"


def setUpModule():
    global PKI
    PKI = tlspki.Pki()


def tearDownModule():
    if PKI is not None:
        PKI.cleanup()


def run(*args, timeout=20):
    return subprocess.run([nlserver.nhanlucd_path(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class TlsStartupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nl-tls-startup-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = os.path.join(self.tmp, "x.db")

    def refused(self, code, want, *args):
        p = run("--db", self.db, *args)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "", "it must not have started listening")
        for w in want:
            self.assertIn(w, p.stderr)
        self.assertFalse(os.path.exists(self.db), "the database must not be created")
        self.assertNotIn("PRIVATE KEY", p.stderr)
        return p

    def test_cleartext_off_loopback_says_how_to_fix_it(self):
        self.refused(64, ["refusing to listen on '%s'" % OFF_LOOPBACK, "loopback only",
                          "--tls-cert", "--insecure-listen"], "--listen", OFF_LOOPBACK)

    def test_insecure_listen_passes_validation(self):
        # Validation passes; the bind fails since 192.0.2.1 is not ours (exit 1, not 64).
        for args in (["--insecure-listen", "--listen", OFF_LOOPBACK],
                     ["--listen", OFF_LOOPBACK, "--insecure-listen=yes"]):
            with self.subTest(args=args):
                p = run("--db", self.db, *args)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("cannot listen on %s" % OFF_LOOPBACK, p.stderr)
                self.assertNotIn("loopback only", p.stderr)

    def test_insecure_listen_in_a_config_file(self):
        conf = os.path.join(self.tmp, "nhanlucd.conf")
        for value, code in (("yes", 1), ("no", 64)):
            with self.subTest(value=value):
                with open(conf, "w") as f:
                    f.write("listen = %s\ninsecure-listen = %s\n" % (OFF_LOOPBACK, value))
                p = run("--db", self.db, "--config", conf)
                self.assertEqual(p.returncode, code, p.stderr)
        with open(conf, "w") as f:
            f.write("insecure-listen = maybe\n")
        p = run("--db", self.db, "--config", conf)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("'insecure-listen' must be yes or no", p.stderr)

    def test_tls_off_loopback_passes_validation(self):
        p = run("--db", self.db, "--listen", OFF_LOOPBACK, *PKI.server_args())
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot listen on %s" % OFF_LOOPBACK, p.stderr)

    def test_half_a_tls_pair(self):
        self.refused(64, ["--tls-cert and --tls-key go together"],
                     "--tls-cert", PKI.path("server.crt"))
        self.refused(64, ["--tls-cert and --tls-key go together"],
                     "--tls-key", PKI.path("server.key"))
        self.refused(64, ["--tls-client-ca needs --tls-cert and --tls-key"],
                     "--tls-client-ca", PKI.ca)

    def test_missing_certificate_file(self):
        missing = os.path.join(self.tmp, "nope.crt")
        self.refused(1, ["cannot read TLS certificate '%s'" % missing, "No such file"],
                     "--tls-cert", missing, "--tls-key", PKI.path("server.key"))

    def test_missing_key_and_ca_files(self):
        missing = os.path.join(self.tmp, "nope.pem")
        self.refused(1, ["cannot read TLS key '%s'" % missing],
                     "--tls-cert", PKI.path("server.crt"), "--tls-key", missing)
        self.refused(1, ["cannot read TLS client CA '%s'" % missing],
                     *PKI.server_args(), "--tls-client-ca", missing)

    def test_files_that_are_not_pem(self):
        junk = os.path.join(self.tmp, "junk.pem")
        with open(junk, "w") as f:
            f.write("this is not a certificate\n")
        self.refused(1, ["cannot load TLS certificate '%s'" % junk],
                     "--tls-cert", junk, "--tls-key", PKI.path("server.key"))
        self.refused(1, ["cannot load TLS key '%s'" % junk],
                     "--tls-cert", PKI.path("server.crt"), "--tls-key", junk)
        self.refused(1, ["cannot load TLS client CA '%s'" % junk],
                     *PKI.server_args(), "--tls-client-ca", junk)

    def test_key_of_another_certificate(self):
        key = PKI.client("tay-ho")[1]
        p = self.refused(1, ["TLS key '%s' does not belong to the certificate '%s'"
                             % (key, PKI.path("server.crt"))],
                         "--tls-cert", PKI.path("server.crt"), "--tls-key", key)
        # No key material in the message: none of the key file's base64 lines.
        with open(key) as f:
            for line in f:
                if len(line.strip()) > 16 and not line.startswith("-----"):
                    self.assertNotIn(line.strip(), p.stderr)

    def test_key_given_as_certificate(self):
        # The key file where the certificate belongs: refused, the key not echoed.
        self.refused(1, ["cannot load TLS certificate '%s'" % PKI.path("server.key")],
                     "--tls-cert", PKI.path("server.key"), "--tls-key", PKI.path("server.key"))

    def test_help_lists_the_tls_settings(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        for flag in ("--tls-cert", "--tls-key", "--tls-client-ca", "--insecure-listen"):
            self.assertIn(flag, p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
