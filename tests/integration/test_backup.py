"""test_backup.py - backups and restore through the real nhanlucd, the CLI and grpcio.

RELIABILITY.md section 6 and its test plan: F14 (one backup during a write
load, restored into a fresh server: every write acknowledged before the
backup started is there, integrity_check is ok, the audit chain verifies and
its head is the manifest's) and S13 (backup files mode 0600 in a 0700
directory). Also: the shutdown backup, the scheduled one, retention of
same-day backups, a second server or a restore refused while a server holds
the database, a tampered backup refused by --restore with the database
untouched, `backup-dir = off`, and the admin-only rule. Every process, wait
and load loop is bounded in count and time.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

CLI_TIMEOUT_S = 120
WAIT_S = 20
LOAD_MAX_S = 20        # the write load's hard stop
LOAD_MAX_WRITES = 5000
EXIT_OK, EXIT_FAILED_PRECONDITION, EXIT_PERMISSION_DENIED = 0, 9, 7
NAME_RE = re.compile(r"^nhanluc-\d{8}T\d{6}Z(-\d+)?\.db$")
TOKEN_RE = re.compile(r"^nl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")


def setUpModule():
    nlcli.require_nhanluc()


def nhanlucd(*args, timeout=60):
    return subprocess.run([nlserver.nhanlucd_path(), *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            h.update(chunk)
    return h.hexdigest()


def db_query(path, sql):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def manifests(d):
    """The manifests of directory d (name of the .db -> parsed JSON)."""
    out = {}
    for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if n.endswith(".manifest"):
            with open(os.path.join(d, n)) as f:
                m = json.load(f)
            out[m["file"]] = m
    return out


class BackupCase(nlcli.CliMixin, unittest.TestCase):
    cli_options = ("--output", "json")
    cli_timeout = CLI_TIMEOUT_S

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nl-backup-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.bdir = os.path.join(self.tmp, "backups")
        self.token = None

    def start(self, db=None, args=(), auth=False):
        """A server on `db` (default: a file of this test) backing up into self.bdir."""
        srv = nlserver.NlServer(args=["--backup-dir", self.bdir, *args]
                                + (["--auth", "required"] if auth else []))
        srv.db = db or os.path.join(self.tmp, "nl.db")
        if auth and self.token is None:
            p = nhanlucd("--db", srv.db, "--bootstrap-admin")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.token = p.stdout.strip()
            self.assertRegex(self.token, TOKEN_RE)
        srv.start()
        self.srv = srv
        self.addCleanup(self.stop, srv)
        return srv

    def stop(self, srv):
        rc, err = srv.stop()
        self.assertEqual(nlserver.sanitizer_findings(err), [], err[-4000:])
        self.assertEqual(rc, 0, err[-4000:])
        return err

    def check_backup_files(self, name):
        """S13 and the manifest's own claims, for backup `name` in self.bdir."""
        path = os.path.join(self.bdir, name)
        man = path[:-3] + ".manifest"
        self.assertRegex(name, NAME_RE)
        self.assertEqual(stat.S_IMODE(os.stat(self.bdir).st_mode), 0o700)
        for p in (path, man):
            st = os.stat(p)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, p)
            self.assertEqual(st.st_uid, os.getuid(), p)
        m = manifests(self.bdir)[name]
        self.assertEqual(m["size"], os.path.getsize(path))
        self.assertEqual(m["sha256"], sha256_file(path))
        self.assertEqual(db_query(path, "PRAGMA integrity_check"), [("ok",)])
        rows = db_query(path, "SELECT seq, hex(hash) FROM audit ORDER BY seq DESC LIMIT 1")
        seq, head = rows[0] if rows else (0, "0" * 64)
        self.assertEqual((m["audit"]["seq"], m["audit"]["hash"]), (seq, head.lower()))
        self.assertEqual([n for n in os.listdir(self.bdir) if n.endswith(".tmp")], [])
        return m


class F14RestoreTest(BackupCase):
    """One backup in the middle of a write load, restored into a fresh server."""

    def test_backup_during_writes_restores_every_acked_write(self):
        self.start(auth=True)
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        s = nlserver.stubs()
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def load(worker):
            ch = grpc.insecure_channel(self.srv.addr)
            stub = s.registry_pb2_grpc.RegistryStub(ch)
            md = (("authorization", "Bearer " + self.token),)
            end = time.monotonic() + LOAD_MAX_S
            try:
                for i in range(LOAD_MAX_WRITES):
                    if stop.is_set() or time.monotonic() > end:
                        break
                    code = "w%d-%d" % (worker, i)
                    stub.CreateUnit(s.registry_pb2.CreateUnitRequest(unit=s.registry_pb2.Unit(
                        code=code, name="Phường %d" % i, kind=s.registry_pb2.WARD,
                        parent="ha-noi")), metadata=md, timeout=30)
                    with lock:
                        acked.append((time.monotonic(), code))
            finally:
                ch.close()

        threads = [threading.Thread(target=load, args=(w,), daemon=True) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + WAIT_S
        while len(acked) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        with lock:
            before = {c for _, c in acked}  # acked before the backup was asked for
        rc, out, err = self.cli("admin", "backup", "create")
        stop.set()
        for t in threads:
            t.join(LOAD_MAX_S + 35)
        self.assertEqual(rc, EXIT_OK, err)
        self.assertGreaterEqual(len(before), 200, "the load did not get going")
        b = json.loads(out)
        self.assertEqual(b["reason"], "requested")
        self.assertIn("backup written to %s/%s" % (self.bdir, b["name"]), err)
        m = self.check_backup_files(b["name"])
        self.assertEqual(b["sha256"], m["sha256"])
        listed = json.loads(self.ok("admin", "backup", "list"))
        self.assertIn(b["name"], [x["name"] for x in listed])
        # Keep the requested backup out of the shutdown backup's retention.
        keep = os.path.join(self.tmp, "keep")
        os.mkdir(keep, 0o700)
        for ext in (".db", ".manifest"):
            shutil.copy2(os.path.join(self.bdir, b["name"][:-3] + ext), keep)
        self.stop(self.srv)

        fresh = os.path.join(self.tmp, "fresh", "nl.db")
        os.mkdir(os.path.dirname(fresh))
        p = nhanlucd("--db", fresh, "--restore", os.path.join(keep, b["name"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("audit head seq %d hash %s" % (m["audit"]["seq"], m["audit"]["hash"]),
                      p.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(fresh).st_mode), 0o600)
        # PC1 on the restored file, and rows >= acked at backup start.
        self.assertEqual(db_query(fresh, "PRAGMA integrity_check"), [("ok",)])
        # The restored trail is the backup's, then the restore's own entry chained to its head.
        seq = m["audit"]["seq"]
        self.assertEqual(db_query(fresh, "SELECT lower(hex(hash)) FROM audit WHERE seq = %d" % seq),
                         [(m["audit"]["hash"],)])
        self.assertEqual(db_query(fresh, "SELECT method, peer, keys, outcome, lower(hex(prev_hash))"
                                         " FROM audit WHERE seq > %d" % seq),
                         [("nhanlucd --restore", "local", "backup=%s seq=%d" % (b["name"], seq),
                           "OK", m["audit"]["hash"])])
        srv = self.start(db=fresh, auth=True)
        self.assertIn("audit head: seq %d hash " % (seq + 1), srv.stderr_text())
        stub = nlserver.stubs()
        got = set()
        ch = grpc.insecure_channel(srv.addr)
        try:
            reg = stub.registry_pb2_grpc.RegistryStub(ch)
            md = (("authorization", "Bearer " + self.token),)
            tok = ""
            for _ in range(100):  # bounded paging
                r = reg.ListUnits(stub.registry_pb2.ListUnitsRequest(
                    parent="ha-noi", page_size=1000, page_token=tok), metadata=md, timeout=30)
                got.update(u.code for u in r.units)
                tok = r.next_page_token
                if not tok:
                    break
        finally:
            ch.close()
        self.assertEqual(before - got, set(), "writes acked before the backup are missing")
        # PC5: the restored chain verifies; its head is the manifest's, then new entries follow.
        v = json.loads(self.ok("admin", "audit", "verify"))
        self.assertEqual(v["first_broken_seq"], 0, v)
        self.assertGreaterEqual(v["head_seq"], m["audit"]["seq"] + 1)


class BackupLifecycleTest(BackupCase):
    def test_shutdown_backup_holds_the_final_state(self):
        self.start()
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        err = self.stop(self.srv)
        ms = manifests(self.bdir)
        self.assertEqual(len(ms), 1, ms)
        (name, m), = ms.items()
        self.assertEqual(m["reason"], "shutdown")
        self.check_backup_files(name)
        self.assertIn("backup %s/%s (shutdown)" % (self.bdir, name), err)
        # The unit written before the stop is in the copy.
        self.assertEqual(db_query(os.path.join(self.bdir, name),
                                  "SELECT count(*) FROM audit WHERE method LIKE '%CreateUnit'"),
                         [(1,)])

    def test_scheduled_backups_and_same_day_retention(self):
        self.start(args=["--backup-interval-s", "1"])
        deadline = time.monotonic() + WAIT_S
        seen = set()
        while time.monotonic() < deadline:
            seen |= {n for n, m in manifests(self.bdir).items() if m["reason"] == "scheduled"}
            if len(seen) >= 2:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(len(seen), 2, "no two scheduled backups within %d s" % WAIT_S)
        # Retention (14 daily, 8 weekly) keeps the newest backup of today only.
        deadline = time.monotonic() + WAIT_S
        while len(manifests(self.bdir)) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        left = manifests(self.bdir)
        self.assertEqual(len(left), 1, left)
        self.check_backup_files(next(iter(left)))
        self.assertIn("(scheduled)", self.srv.stderr_text())

    def test_backup_dir_off(self):
        self.start(args=["--backup-dir", "off"])
        rc, out, err = self.cli("admin", "backup", "create")
        self.assertEqual(rc, EXIT_FAILED_PRECONDITION, err)
        self.assertIn("backups are off on this server", err)
        rc, out, err = self.cli("admin", "backup", "list")
        self.assertEqual(rc, EXIT_FAILED_PRECONDITION, err)
        self.stop(self.srv)
        self.assertFalse(os.path.exists(self.bdir))

    def test_a_failed_backup_tells_the_admin_without_paths(self):
        """S12: the reason, with its paths, goes to the server log; the reply says where to look."""
        blocker = os.path.join(self.tmp, "not-a-dir")
        with open(blocker, "w") as f:
            f.write("x")
        self.start(args=["--backup-dir", blocker])
        rc, out, err = self.cli("admin", "backup", "create")
        self.assertEqual(rc, 13, err)  # INTERNAL
        self.assertIn("backup failed (the server log says why)", err)
        self.assertNotIn(blocker, err + out)
        rc, out, err = self.cli("admin", "backup", "list")
        self.assertEqual(rc, 13, err)
        self.assertNotIn(blocker, err + out)
        log = self.stop(self.srv)
        self.assertIn("backup failed: cannot read %s" % blocker, log)

    def test_only_admin_takes_backups(self):
        self.start(auth=True)
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        central = self.ok("admin", "token", "create", "--role", "central", "--name", "c").strip()
        for sub in ("create", "list"):
            rc, out, err = self.cli("admin", "backup", sub, token=central)
            self.assertEqual(rc, EXIT_PERMISSION_DENIED, err)
        self.assertFalse(os.path.exists(self.bdir) and
                         [n for n in os.listdir(self.bdir) if n.endswith(".db")])
        # The refused calls and the admin's backup are in the audit trail.
        b = json.loads(self.ok("admin", "backup", "create"))
        # Reads are audited asynchronously (queued to the writer): wait, bounded, for the entry.
        deadline = time.monotonic() + WAIT_S
        while True:
            rows = json.loads(self.ok("admin", "audit", "list", "--limit", "1000"))
            outcomes = [(r["method"], r["outcome"]) for r in rows
                        if r["method"].endswith("Backup")]
            if ("/nhanluc.v1.Admin/CreateBackup", "OK") in outcomes or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertIn(("/nhanluc.v1.Admin/CreateBackup", "PERMISSION_DENIED"), outcomes)
        self.assertIn(("/nhanluc.v1.Admin/CreateBackup", "OK"), outcomes)
        self.check_backup_files(b["name"])


class CrashDuringBackupTest(BackupCase):
    """RELIABILITY.md F2 at its "backup" point: kill -9 while a copy is being made."""

    def test_kill_mid_backup_leaves_no_backup_and_the_next_one_cleans_up(self):
        srv = nlserver.NlServer(args=["--backup-dir", self.bdir],
                                env={"NL_TEST_BACKUP_DELAY_MS": "20000"})
        srv.db = os.path.join(self.tmp, "nl.db")
        srv.start()
        self.srv = srv
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        cli = subprocess.Popen([nlcli.NHANLUC, "--server", srv.addr, "--timeout", "5s",
                                "admin", "backup", "create"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + WAIT_S
            tmps = []
            while not tmps and time.monotonic() < deadline:
                time.sleep(0.05)
                tmps = [n for n in os.listdir(self.bdir) if n.endswith(".tmp")] \
                    if os.path.isdir(self.bdir) else []
            self.assertEqual(len(tmps), 1, "no copy in progress within %d s" % WAIT_S)
            srv.signal(signal.SIGKILL)
            self.assertIsNotNone(srv.wait(10))
        finally:
            cli.wait(30)
        srv.stop()
        # The interrupted copy never got a backup's name.
        self.assertEqual(manifests(self.bdir), {})
        self.assertEqual([n for n in os.listdir(self.bdir) if n.endswith(".db")], [])
        # Restarted: the database is whole, the next backup succeeds and removes the leftover.
        self.assertEqual(db_query(srv.db, "PRAGMA integrity_check"), [("ok",)])
        self.start(db=srv.db)
        b = json.loads(self.ok("admin", "backup", "create"))
        self.check_backup_files(b["name"])
        self.assertEqual([n for n in os.listdir(self.bdir) if n.endswith(".tmp")], [])


class LockAndRestoreTest(BackupCase):
    def test_restore_moves_newer_backups_aside(self):
        """Backups taken after the restored one belong to the abandoned timeline."""
        self.start()
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        b = json.loads(self.ok("admin", "backup", "create"))
        keep = os.path.join(self.tmp, "keep")
        os.mkdir(keep, 0o700)
        for ext in (".db", ".manifest"):
            shutil.copy2(os.path.join(self.bdir, b["name"][:-3] + ext), keep)
        self.ok("unit", "add", "tay-ho", "Tây Hồ", "--kind", "urban_district", "--parent",
                "ha-noi")
        db = self.srv.db
        self.stop(self.srv)  # its shutdown backup is newer than b
        newer = [n for n in manifests(self.bdir) if n != b["name"]]
        self.assertEqual(len(newer), 1, manifests(self.bdir))

        p = nhanlucd("--db", db, "--backup-dir", self.bdir, "--restore",
                     os.path.join(keep, b["name"]))
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"^1 backup\(s\) taken after it moved to (\S+) ", p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout)
        sub = m.group(1)
        self.assertEqual(os.path.dirname(sub), self.bdir)
        self.assertEqual(sorted(os.listdir(sub)), sorted([newer[0], newer[0][:-3] + ".manifest"]))
        self.assertEqual(stat.S_IMODE(os.stat(sub).st_mode), 0o700)
        self.assertNotIn(newer[0], manifests(self.bdir))
        # The restored trail verifies against what is left: no false alarm from the moved one.
        self.start(db=db)
        rc, out, err = self.cli("admin", "audit", "verify", "--backups")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out)["first_broken_seq"], 0)
        units = json.loads(self.ok("unit", "list"))
        self.assertEqual([u["code"] for u in units], ["ha-noi"])

    def test_second_server_and_restore_refused_while_running(self):
        srv = self.start()
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        b = json.loads(self.ok("admin", "backup", "create"))
        p = nhanlucd("--db", srv.db, "--listen", "127.0.0.1:0", "--auth", "off")
        self.assertEqual(p.returncode, 1)
        self.assertIn("is in use by another nhanlucd", p.stderr)
        before = sha256_file(srv.db)
        p = nhanlucd("--db", srv.db, "--restore", os.path.join(self.bdir, b["name"]))
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot restore", p.stderr)
        self.assertIn("in use", p.stderr)
        self.assertEqual(sha256_file(srv.db), before)
        self.assertTrue(srv.alive())

    def test_restore_refuses_a_tampered_backup_and_keeps_the_old_db(self):
        self.start()
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        self.ok("unit", "add", "tay-ho", "Tây Hồ", "--kind", "urban_district", "--parent",
                "ha-noi")
        b = json.loads(self.ok("admin", "backup", "create"))
        src = os.path.join(self.tmp, "copies")
        os.mkdir(src)
        path = os.path.join(src, b["name"])
        for ext in (".db", ".manifest"):
            shutil.copy2(os.path.join(self.bdir, b["name"][:-3] + ext), src)
        self.ok("unit", "add", "ba-vi", "Ba Vì", "--kind", "rural_district", "--parent", "ha-noi")
        db = self.srv.db
        self.stop(self.srv)

        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(src, bad)
        bad = os.path.join(bad, b["name"])
        with open(bad, "r+b") as f:
            f.seek(os.path.getsize(bad) // 2)
            c = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([c[0] ^ 0xFF]))
        before = sha256_file(db)
        p = nhanlucd("--db", db, "--restore", bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn("SHA-256 differs from the manifest", p.stderr)
        self.assertEqual(sha256_file(db), before)
        self.assertEqual([n for n in os.listdir(os.path.dirname(db)) if ".replaced-" in n], [])

        # The intact one restores; the database it replaced is kept beside it.
        p = nhanlucd("--db", db, "--restore", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        aside = [n for n in os.listdir(os.path.dirname(db))
                 if ".replaced-" in n and not n.endswith("-wal")]
        self.assertEqual(len(aside), 1, aside)
        self.assertIn("kept as %s" % os.path.join(os.path.dirname(db), aside[0]), p.stdout)
        self.assertEqual(sha256_file(os.path.join(os.path.dirname(db), aside[0])), before)
        self.assertEqual(db_query(db, "PRAGMA integrity_check"), [("ok",)])
        self.start(db=db)
        units = json.loads(self.ok("unit", "list"))
        self.assertEqual(sorted(u["code"] for u in units), ["ha-noi", "tay-ho"])


class AnchorTest(BackupCase):
    """The audit head in a backup's manifest catches entries removed from the trail's end."""

    def verify(self, *args):
        rc, out, err = self.cli("admin", "audit", "verify", *args)
        return rc, (json.loads(out) if out.strip() else None), err

    def test_truncated_trail_is_caught_by_the_backups_anchor(self):
        self.start()
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        for code in ("tay-ho", "ba-dinh", "cau-giay"):
            self.ok("unit", "add", code, code, "--kind", "urban_district", "--parent", "ha-noi")
        b = json.loads(self.ok("admin", "backup", "create"))
        anchor = "%d:%s" % (b["audit_seq"], b["audit_hash"])
        self.assertGreaterEqual(b["audit_seq"], 4)
        rc, v, err = self.verify("--backups", "--anchor", anchor)
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual((v["first_broken_seq"], v["anchor"]), (0, ""))
        self.assertEqual(v["anchors_checked"], 2)
        # A wrong hash for that seq, or a seq the trail has not reached, fails (DATA_LOSS).
        rc, v, err = self.verify("--anchor", "%d:%s" % (b["audit_seq"], "0" * 64))
        self.assertEqual(rc, 15, err)
        self.assertEqual((v["first_broken_seq"], v["anchor"]), (b["audit_seq"], "request"))
        self.assertIn("(anchor: request)", err)
        rc, v, err = self.verify("--anchor", "9999:%s" % ("a" * 64))
        self.assertEqual(rc, 15, err)
        self.assertEqual(v["first_broken_seq"], v["head_seq"] + 1)
        self.assertIn("the trail ends before an anchor", v["reason"])
        rc, _, err = self.verify("--anchor", "12:xyz")
        self.assertEqual(rc, 64, err)
        self.assertIn("--anchor", err)
        db = self.srv.db
        self.stop(self.srv)

        # An attacker drops the trigger and deletes the last two entries: the chain of
        # what is left is intact, so only an anchor can tell.
        con = sqlite3.connect(db)
        try:
            con.executescript("DROP TRIGGER audit_no_delete;"
                              "DELETE FROM audit WHERE seq > (SELECT max(seq) - 2 FROM audit);")
        finally:
            con.close()
        self.start(db=db)
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(v["first_broken_seq"], 0)
        head = v["head_seq"]
        rc, v, err = self.verify("--backups")
        self.assertEqual(rc, 15, err)
        self.assertEqual(v["first_broken_seq"], head + 1)
        self.assertRegex(v["anchor"], NAME_RE)
        self.assertIn("the trail ends before an anchor", v["reason"])
        self.assertIn("(anchor: %s)" % v["anchor"], err)
        rc, v, err = self.verify("--anchor", anchor)
        self.assertEqual(rc, 15, err)
        self.assertEqual(v["anchor"], "request")

    def test_backups_anchor_needs_backups(self):
        self.start(args=["--backup-dir", "off"])
        rc, _, err = self.cli("admin", "audit", "verify", "--backups")
        self.assertEqual(rc, EXIT_FAILED_PRECONDITION, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
