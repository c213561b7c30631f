"""test_audit.py - the audit trail through the real nhanlucd and the CLI.

With `--auth required` (a bootstrap admin token) and with auth off (role ""):
a few writes and person-level reads, and a refused call, appear in
`nhanluc admin audit list` with their method, record keys, role, token id and
outcome, and never with a personal value: the full_name of a cadre is in the
database, but neither in the audit rows the CLI prints nor anywhere in the
audit table. The sqlite3 tool cannot UPDATE or DELETE a row (the triggers);
an attacker who drops the triggers and edits a row, or deletes one, is named
by `nhanluc admin audit verify` (exit 15, DATA_LOSS). A restarted server
logs the head the verify reported. Writes refused RESOURCE_EXHAUSTED because
the writer's queue is full (one slot, every job held 500 ms by the test
hook) are audited with that outcome. Every process and every wait is bounded.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

WAIT_S = 15
EXIT_OK, EXIT_DATA_LOSS, EXIT_UNAUTHENTICATED = 0, 15, 16
TOKEN_RE = re.compile(r"^nl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
FULL_NAME = "Nguyễn Thị Bí Mật"
PROFILE = ["--sex", "F", "--born", "1980", "--level", "DISTRICT", "--mgmt", "DISTRICT_STANDING",
           "--education", "UNIVERSITY", "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER"]
HEAD_RE = re.compile(r"audit head: seq (\d+) hash ([0-9a-f]{64})")
BOOTSTRAP_METHOD = "nhanlucd --bootstrap-admin"
RESOURCE_EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


def setUpModule():
    nlcli.require_nhanluc()


def sqlite(db, sql):
    """Runs the sqlite3 tool on db (waiting up to 5 s for the server's lock)."""
    return subprocess.run(["sqlite3", "-cmd", ".timeout 5000", db, sql], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


class AuditCase(nlcli.CliMixin, unittest.TestCase):

    def start(self, auth, db=None, extra=()):
        srv = nlserver.NlServer(args=(["--auth", "required"] if auth else []) + list(extra))
        if db is not None:
            srv.db = db  # outlives the server's own temp directory
        self.token = None
        if auth:
            p = subprocess.run([nlserver.nhanlucd_path(), "--db", srv.db, "--bootstrap-admin"],
                               capture_output=True, text=True, timeout=60,
                               stdin=subprocess.DEVNULL)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.token = p.stdout.strip()
            self.assertRegex(self.token, TOKEN_RE)
        srv.start()
        self.srv = srv
        self.addCleanup(self.check_exit, srv)
        return srv

    def check_exit(self, srv):
        rc, err = srv.stop()
        self.assertEqual(nlserver.sanitizer_findings(err), [], err[-4000:])
        self.assertEqual(rc, 0, err[-4000:])
        self.assertNotIn("audit backlog", err)
        self.assertNotIn(FULL_NAME, err)

    def entries(self, want):
        """The audit rows once at least `want` are listed (reads are appended asynchronously)."""
        deadline = time.monotonic() + WAIT_S
        while True:
            rows = json.loads(self.ok("admin", "audit", "list", "--limit", "1000"))
            if len(rows) >= want or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)

    def world(self):
        """Two units, one cadre with a full name, two person reads; 4 audited calls."""
        self.ok("unit", "add", "ha-noi", "Hà Nội", "--kind", "city")
        self.ok("unit", "add", "tay-ho", "Tây Hồ", "--kind", "urban_district", "--parent",
                "ha-noi")
        self.ok("cadre", "set", "TH-001", "--name", FULL_NAME, "--unit", "tay-ho", "--as-of",
                "2020-01-01", *PROFILE)
        self.ok("cadre", "show", "TH-001")
        self.ok("cadre", "list", "--unit", "tay-ho")

    def check_rows(self, rows, role, token_id):
        self.assertEqual([r["seq"] for r in rows], list(range(1, len(rows) + 1)))
        by = {}
        for r in rows:
            by.setdefault((r["method"], r["outcome"]), []).append(r)
        units = by[("/nhanluc.v1.Registry/CreateUnit", "OK")]
        self.assertEqual(sorted(r["keys"] for r in units),
                         ["code=ha-noi kind=CITY", "code=tay-ho kind=URBAN_DISTRICT parent=ha-noi"])
        (up,) = by[("/nhanluc.v1.Records/UpsertCadre", "OK")]
        self.assertIn("cadre_code=TH-001", up["keys"])
        self.assertIn("unit=tay-ho", up["keys"])
        (get,) = by[("/nhanluc.v1.Records/GetCadre", "OK")]
        self.assertEqual(get["keys"], "cadre_code=TH-001")
        (lst,) = by[("/nhanluc.v1.Records/ListCadres", "OK")]
        self.assertEqual(lst["keys"], "unit=tay-ho")
        for r in units + [up, get, lst]:
            self.assertEqual(r["role"], role)
            self.assertEqual(r["token_id"], token_id)
            self.assertTrue(r["peer"].startswith("127.0.0.1:"), r)
            self.assertRegex(r["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertRegex(r["hash"], r"^[0-9a-f]{64}$")
        return by

    def check_no_personal_value(self, listed):
        self.assertNotIn(FULL_NAME, listed)
        self.assertNotIn("Bí Mật", listed)
        # The name is in the database (so the search below can see it) ...
        whole = sqlite(self.srv.db, ".dump")
        self.assertEqual(whole.returncode, 0, whole.stderr)
        self.assertIn(FULL_NAME, whole.stdout)
        # ... but not in any audit row.
        audit = sqlite(self.srv.db, ".dump audit")
        self.assertEqual(audit.returncode, 0, audit.stderr)
        self.assertIn("INSERT INTO audit", audit.stdout)
        self.assertNotIn(FULL_NAME, audit.stdout)
        self.assertNotIn("Bí Mật", audit.stdout)

    def verify(self):
        rc, out, err = self.cli("admin", "audit", "verify")
        return rc, (json.loads(out) if out.strip() else None), err

    def test_auth_required_trail_and_tampering(self):
        self.start(auth=True)
        token_id = TOKEN_RE.match(self.token).group(1)
        # The bootstrap's own entry, once nhanlucd writes it (test_bootstrap.py checks it).
        boot = len(self.entries(0))
        self.assertLessEqual(boot, 1)
        self.world()
        # A refused person read: no credential at all.
        rc, _, _ = self.cli("cadre", "show", "TH-001", token=False)
        self.assertEqual(rc, EXIT_UNAUTHENTICATED)
        rows = self.entries(6 + boot)
        self.assertEqual(len(rows), 6 + boot, rows)
        self.assertEqual([r["method"] for r in rows[:boot]], [BOOTSTRAP_METHOD] * boot)
        by = self.check_rows(rows, "admin", token_id)
        (denied,) = by[("/nhanluc.v1.Records/GetCadre", "UNAUTHENTICATED")]
        self.assertEqual((denied["role"], denied["token_id"], denied["keys"]), ("", "", ""))
        listed = self.ok("--output", "table", "admin", "audit", "list")
        self.check_no_personal_value(listed + json.dumps(rows, ensure_ascii=False))

        # Paging: --after and --limit.
        page = json.loads(self.ok("admin", "audit", "list", "--after", "2", "--limit", "2"))
        self.assertEqual([r["seq"] for r in page], [3, 4])

        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual((v["checked"], v["first_broken_seq"]), (len(rows), 0))
        self.assertEqual(v["head_hash"], rows[-1]["hash"])

        # The triggers refuse UPDATE and DELETE.
        for sql in ("UPDATE audit SET outcome = 'OK' WHERE seq = 2",
                    "DELETE FROM audit WHERE seq = 2", "DELETE FROM audit"):
            p = sqlite(self.srv.db, sql)
            self.assertNotEqual(p.returncode, 0, sql)
            self.assertIn("append-only", p.stderr)
        self.assertEqual(self.verify()[0], EXIT_OK)

        # An attacker drops the trigger and edits entry 3: verify names it.
        p = sqlite(self.srv.db, "DROP TRIGGER audit_no_update;"
                                " UPDATE audit SET keys = 'cadre_code=OTHER' WHERE seq = 3")
        self.assertEqual(p.returncode, 0, p.stderr)
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_DATA_LOSS)
        self.assertEqual(v["first_broken_seq"], 3)
        self.assertIn("entry 3", err)
        self.assertIn("hash differs", err)

    def test_auth_off_role_empty_and_deleted_entry(self):
        tmp = tempfile.mkdtemp(prefix="nlaudit-")
        self.addCleanup(shutil.rmtree, tmp, True)
        db = os.path.join(tmp, "nl.db")
        self.start(auth=False, db=db)
        self.world()
        rows = self.entries(5)
        self.assertEqual(len(rows), 5, rows)
        self.check_rows(rows, "", "")
        self.check_no_personal_value(json.dumps(rows, ensure_ascii=False))
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_OK, err)
        head = (v["head_seq"], v["head_hash"])

        # The head the verify reported is what a restarted server logs.
        rc, _ = self.srv.stop()
        self.assertEqual(rc, 0)
        self.start(auth=False, db=db)
        again = self.srv
        m = HEAD_RE.search(open(again.stderr_path, encoding="utf-8", errors="replace").read())
        self.assertIsNotNone(m)
        self.assertEqual((int(m.group(1)), m.group(2)), head)

        # An attacker drops the trigger and deletes entry 2: verify names it.
        p = sqlite(again.db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2")
        self.assertEqual(p.returncode, 0, p.stderr)
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_DATA_LOSS)
        self.assertEqual(v["first_broken_seq"], 2)
        self.assertIn("entry 2", err)
        self.assertIn("missing", err)

    def test_writes_refused_for_a_full_queue_are_audited(self):
        srv = nlserver.NlServer(args=["--write-queue-max", "1", "--audit-denial-window-s", "1"],
                                env={"NL_TEST_HANDLER_DELAY_MS": "500"})
        self.token = None
        srv.start()
        self.srv = srv
        self.addCleanup(self.check_exit, srv)
        reg = nlserver.stubs().registry_pb2
        chan = grpc.insecure_channel(srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)
        self.addCleanup(chan.close)
        create = chan.unary_unary("/nhanluc.v1.Registry/CreateTerm",
                                  request_serializer=lambda m: m.SerializeToString(),
                                  response_deserializer=reg.CreateTermResponse.FromString)
        # One write runs (held 500 ms), one waits, the others find the queue full.
        codes = ["%d-%d" % (y, y + 5) for y in range(2000, 2030, 5)]
        futs = [create.future(reg.CreateTermRequest(term=reg.Term(code=c, kind=reg.PARTY_CONGRESS)),
                              timeout=30) for c in codes]
        refused = 0
        for f in futs:
            e = f.exception(timeout=60)
            if e is None:
                continue
            self.assertEqual(e.code(), RESOURCE_EXHAUSTED, e.details())
            refused += 1
        self.assertGreaterEqual(refused, 1)
        self.assertLessEqual(refused, len(codes) - 1)
        # The first refusal is audited as it comes; the others of its 1 s window are
        # counted and summarised in one entry once the window closes (audit_agg.h).
        want = len(codes) - refused + 1 + (refused > 1)
        rows = self.entries(want)
        outcomes = sorted(r["outcome"] for r in rows)
        self.assertEqual(outcomes, ["OK"] * (len(codes) - refused) +
                         ["RESOURCE_EXHAUSTED"] * (1 + (refused > 1)), rows)
        refusals = [r for r in rows if r["outcome"] == "RESOURCE_EXHAUSTED"]
        for r in rows:
            self.assertEqual(r["method"], "/nhanluc.v1.Registry/CreateTerm")
            self.assertTrue(r["peer"].startswith("127.0.0.1"), r)
            self.assertEqual((r["role"], r["token_id"]), ("", ""))
        self.assertEqual(refusals[0]["keys"], "")
        self.assertRegex(refusals[0]["peer"], r"^127\.0\.0\.1:\d+$")
        if refused > 1:
            self.assertEqual((refusals[1]["keys"], refusals[1]["peer"]),
                             ("repeated=%d window=1s" % (refused - 1), "127.0.0.1"))
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual((v["checked"], v["first_broken_seq"]), (len(rows), 0))


    def test_a_flood_of_refused_calls_is_counted_not_written(self):
        """RELIABILITY.md 5.3: 300 calls without a token append two entries, not 300."""
        self.start(auth=True, extra=["--audit-denial-window-s", "1"])
        chan = grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)
        self.addCleanup(chan.close)
        reg = nlserver.stubs().registry_pb2
        get = chan.unary_unary("/nhanluc.v1.Registry/ListUnits",
                               request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=reg.ListUnitsResponse.FromString)
        n = 300
        for _ in range(n):  # bounded: n calls, each with a timeout
            with self.assertRaises(grpc.RpcError) as cm:
                get(reg.ListUnitsRequest(), timeout=10)
            self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        rows = [r for r in self.entries(2) if r["outcome"] == "UNAUTHENTICATED"]
        deadline = time.monotonic() + WAIT_S
        while len(rows) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            rows = [r for r in self.entries(2) if r["outcome"] == "UNAUTHENTICATED"]
        self.assertEqual(len(rows), 2, rows)
        self.assertEqual([r["method"] for r in rows], ["/nhanluc.v1.Registry/ListUnits"] * 2)
        self.assertEqual(rows[0]["keys"], "")
        self.assertEqual(rows[1]["keys"], "repeated=%d window=1s" % (n - 1))
        self.assertEqual(rows[1]["peer"], "127.0.0.1")
        rc, v, err = self.verify()
        self.assertEqual(rc, EXIT_OK, err)


if __name__ == "__main__":
    unittest.main()
