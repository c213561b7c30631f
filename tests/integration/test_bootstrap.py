"""`nhanlucd --db PATH --bootstrap-admin [--force] [--name NAME]`, as an operator runs it.

It opens (and migrates) the database, creates an admin token, prints the token
alone on stdout as one line `nl_<12 hex>_<43 base64url>` and exits 0 without
listening. A second run refuses (exit 1, stderr says to use --force, no new
row); --force creates a second admin token. The database file and its WAL
never hold the printed token nor its secret part, only the secret's SHA-256;
the token never appears on stderr. The server still starts on that database
afterwards. Every process is bounded by a timeout.
"""
import base64
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402

TOKEN_RE = re.compile(r"^nl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def run(*args, timeout=60):
    return subprocess.run([nlserver.nhanlucd_path(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


class BootstrapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nl-bootstrap-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.db = os.path.join(self.tmp, "nl.db")

    def rows(self):
        """(id, role, unit_id, name, hex of the hash, revoked_at) of every credential, by id."""
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return con.execute("SELECT id, role, unit_id, name, hex(secret_sha256), revoked_at"
                               " FROM auth_token ORDER BY id").fetchall()
        finally:
            con.close()

    def db_bytes(self):
        data = b""
        for suffix in ("", "-wal"):
            p = self.db + suffix
            if os.path.exists(p):
                with open(p, "rb") as f:
                    data += f.read()
        return data

    def bootstrap(self, *extra):
        p = run("--db", self.db, "--bootstrap-admin", *extra)
        self.assertEqual(nlserver.sanitizer_findings(p.stderr), [], p.stderr)
        return p

    def assert_token_output(self, p):
        """p printed one token line and nothing else; returns (text, id, secret part)."""
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith("\n"), repr(p.stdout))
        lines = p.stdout.split("\n")
        self.assertEqual(len(lines), 2, "exactly one line: %r" % p.stdout)
        m = TOKEN_RE.match(lines[0])
        self.assertIsNotNone(m, "not nl_<id>_<secret>: %r" % lines[0])
        # The secret is 256 bits in canonical unpadded base64url.
        raw = base64.urlsafe_b64decode(m.group(2) + "=")
        self.assertEqual(len(raw), 32)
        self.assertEqual(base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), m.group(2))
        self.assertNotIn(lines[0], p.stderr)
        self.assertNotIn(m.group(2), p.stderr)
        self.assertNotIn("listening on", p.stdout + p.stderr)
        return lines[0], m.group(1), m.group(2)

    def assert_not_stored(self, text, secret):
        data = self.db_bytes()
        raw = base64.urlsafe_b64decode(secret + "=")
        self.assertNotIn(text.encode(), data)
        self.assertNotIn(secret.encode(), data)
        self.assertNotIn(secret[:16].encode(), data)
        self.assertNotIn(raw, data)
        # The search does see the rows: the hash of the same secret is there.
        self.assertIn(hashlib.sha256(raw).digest(), data)

    def test_bootstrap_refuse_force_and_serve(self):
        p = self.bootstrap()
        text1, id1, secret1 = self.assert_token_output(p)
        rows = self.rows()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][:4], (id1, "admin", None, "bootstrap"))
        self.assertEqual(rows[0][4], hashlib.sha256(
            base64.urlsafe_b64decode(secret1 + "=")).hexdigest().upper())
        self.assertIsNone(rows[0][5])
        self.assert_not_stored(text1, secret1)

        # A second run refuses and writes nothing.
        p = self.bootstrap()
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertIn("--force", p.stderr)
        self.assertIn("already exists", p.stderr)
        self.assertEqual(self.rows(), rows)

        # --force adds a second admin token; the first stays as it was.
        p = self.bootstrap("--force", "--name", "second admin")
        text2, id2, secret2 = self.assert_token_output(p)
        self.assertNotEqual(id2, id1)
        self.assertNotEqual(secret2, secret1)
        rows2 = self.rows()
        self.assertEqual(len(rows2), 2)
        self.assertIn(rows[0], rows2)
        self.assertIn((id2, "admin", None, "second admin"), [r[:4] for r in rows2])
        for text, secret in ((text1, secret1), (text2, secret2)):
            self.assert_not_stored(text, secret)

        # The server still starts on that database, and stops cleanly.
        srv = nlserver.NlServer()
        srv.db = self.db
        srv.start()
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-4000:])
        self.assertEqual(nlserver.sanitizer_findings(err), [])
        for text, secret in ((text1, secret1), (text2, secret2)):
            self.assertNotIn(secret, err)
        self.assertEqual(len(self.rows()), 2)

    def test_revoked_admin_allows_a_new_bootstrap(self):
        text, id1, _ = self.assert_token_output(self.bootstrap("--name=first"))
        con = sqlite3.connect(self.db)
        try:
            with con:
                con.execute("UPDATE auth_token SET revoked_at = '2000-01-01T00:00:00.000Z'"
                            " WHERE id = ?", (id1,))
        finally:
            con.close()
        _, id2, _ = self.assert_token_output(self.bootstrap())
        self.assertNotEqual(id2, id1)
        self.assertEqual([r[3] for r in self.rows()],
                         ["first", "bootstrap"] if id1 < id2 else ["bootstrap", "first"])

    def test_usage_errors(self):
        for args, want in ((["--force"], "--bootstrap-admin"),
                           (["--name", "x"], "--bootstrap-admin"),
                           (["--bootstrap-admin", "--name"], "needs a value"),
                           (["--bootstrap-admin", "--name", ""], "token.name")):
            with self.subTest(args=args):
                p = run("--db", self.db, *args)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn(want, p.stderr)
        self.assertFalse(os.path.exists(self.db) and self.rows())
        # The help names the bootstrap flags.
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--bootstrap-admin", p.stdout)
        self.assertIn("--force", p.stdout)

    def test_bootstrap_is_audited(self):
        _, id1, _ = self.assert_token_output(self.bootstrap())
        _, id2, _ = self.assert_token_output(self.bootstrap("--force"))
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            rows = con.execute("SELECT seq, method, role, unit, token_id, peer, keys, outcome"
                               " FROM audit ORDER BY seq").fetchall()
        finally:
            con.close()
        self.assertEqual([r[1:] for r in rows], [
            ("nhanlucd --bootstrap-admin", "", "", tid, "local", "token=" + tid, "OK")
            for tid in (id1, id2)])
        self.assertEqual([r[0] for r in rows], [1, 2])
        # A refused run (an admin exists, no --force) writes no entry.
        self.assertEqual(self.bootstrap().returncode, 1)
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            self.assertEqual(con.execute("SELECT count(*) FROM audit").fetchone()[0], 2)
        finally:
            con.close()


if __name__ == "__main__":
    unittest.main()
