"""nhanlucd's start-up contract, as an operator or a service manager sees it.

Refusals happen before anything listens or is written, with one line on
stderr that says what is wrong: a damaged database file (exit 1, the file is
left untouched), a cleartext listener off loopback or a bad flag (exit 64),
an unusable database path (exit 1). --help and --version exit 0. A config
file sets the same keys as the flags. Every process is bounded by a timeout.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402


def run(*args, timeout=20):
    return subprocess.run([nlserver.nhanlucd_path(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class StartupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nl-startup-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    @staticmethod
    def digest(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def test_damaged_database_is_refused_and_left_untouched(self):
        db = os.path.join(self.tmp, "bad.db")
        with open(db, "wb") as f:
            f.write(os.urandom(8192))
        before = self.digest(db)
        p = run("--listen", "127.0.0.1:0", "--db", db)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "", "it must not have started listening")
        self.assertIn("integrity check", p.stderr)
        self.assertEqual(self.digest(db), before)

    def test_cleartext_off_loopback_is_refused(self):
        for addr in ("0.0.0.0:50051", "[::]:50051", "192.0.2.1:1"):
            with self.subTest(addr=addr):
                p = run("--listen", addr, "--db", os.path.join(self.tmp, "x.db"))
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn("loopback only", p.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.db")))

    def test_usage_errors_exit_64(self):
        for args, want in ((["--nope", "1"], "unknown option '--nope'"),
                           (["--max-streams", "0"], "max-streams"),
                           (["--db"], "needs a value"),
                           (["stray"], "unexpected argument")):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertIn(want, p.stderr)

    def test_unusable_database_path(self):
        p = run("--listen", "127.0.0.1:0", "--db", os.path.join(self.tmp, "no", "such", "x.db"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot open", p.stderr)

    def test_help_and_version(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--listen", p.stdout)
        self.assertIn("--config", p.stdout)
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^nhanlucd \d+\.\d+\.\d+\n$")

    def test_config_file_sets_listen_and_db(self):
        db = os.path.join(self.tmp, "from-config.db")
        conf = os.path.join(self.tmp, "nhanlucd.conf")
        with open(conf, "w") as f:
            f.write("# test\nlisten = 127.0.0.1:0\ndb = %s\nlog-level = warn\n" % db)
        srv = nlserver.NlServer(args=["--config", conf])
        srv.start()
        try:
            self.assertTrue(os.path.exists(db), "the database named in the config was created")
        finally:
            rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-2000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
