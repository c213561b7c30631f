"""test_reports.py - `nhanluc annual submit|return|approve|list` against the real server.

Each test starts its own nhanlucd (tests/support/nlserver.py) with a small
world made through the CLI: the city, two districts and a ward (`nhanluc unit
add`), a term and two cadres. Checked: the report's life through the CLI
(submit, replay, approve, replay, return with a reason, resubmit), the exit
codes of refusals (3 bad value, 5 no report, 9 wrong state, 64 usage), the
list filters (subtree, year, status by code and Vietnamese label), and the
lock: a class of the unit ending in an approved year cannot be changed or
cancelled (exit 9, nothing written) until the report is returned; an exact
replay of it passes as UNCHANGED. Run by CTest
(label integration); skips when NHANLUC is unset or the class and annual
commands do not exist yet.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

NHANLUC = os.environ.get("NHANLUC", "")
CLI_TIMEOUT_S = 60  # wall-clock bound on any one CLI run

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_NOT_FOUND = 0, 3, 5
EXIT_FAILED_PRECONDITION, EXIT_USAGE = 9, 64
LOCKED_2020 = "class is locked: the unit's report for 2020 is approved"


def setUpModule():
    nlcli.require_nhanluc()
    for cmd in ("annual", "class", "cadre"):
        p = subprocess.run([NHANLUC, "help", cmd], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=CLI_TIMEOUT_S)
        if p.returncode != 0:
            raise unittest.SkipTest("`nhanluc %s` does not exist yet" % cmd)


def class_doc(ref, end, sessions=10):
    return {
        "class": {
            "class_ref": ref, "organiser_unit": "hai-ba-trung",
            "title": "Bồi dưỡng nguồn quy hoạch", "kind": "UPGRADE", "area": "LEADERSHIP",
            "target_group": "PLANNING_COMMITTEE", "planning_term": "2020-2025",
            "mode": "FULL_TIME", "start_date": end, "end_date": end, "sessions": sessions,
            "planned_trainees": 20, "status": "ENDED",
        },
        "enrolments": [{"cadre_code": "HBT-0001", "status": "COMPLETED", "result": "GOOD",
                        "attended": sessions}],
    }


class AnnualCliTest(nlcli.CliMixin, nlserver.ServerTestCase):
    cli_options = ("--output", "json")

    def setUp(self):
        self.srv = self.start_server()
        self.tmp = tempfile.mkdtemp(prefix="nlreports-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "hai-ba-trung", "Quận Hai Bà Trưng", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "bach-mai", "Phường Bạch Mai", "--kind", "ward",
                "--parent", "hai-ba-trung")
        self.ok("unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("term", "add", "2020-2025", "--kind", "party_congress")
        for i in (1, 2):
            self.ok("cadre", "set", "HBT-%04d" % i, "--sex", "F", "--born", "1982")

    def okj(self, *args):
        """ok() parsed as JSON (cli_options already asks for JSON)."""
        return json.loads(self.ok(*args))

    def class_file(self, ref, end, sessions=10):
        path = os.path.join(self.tmp, "%s-%d.json" % (ref.replace("/", "_"), sessions))
        with open(path, "w", encoding="utf-8") as f:
            json.dump(class_doc(ref, end, sessions), f, ensure_ascii=False)
        return path

    def sessions(self, ref):
        return self.okj("class", "show", "hai-ba-trung", ref)["class"]["sessions"]

    def test_report_life(self):
        rec = self.okj("annual", "submit", "hai-ba-trung", "2020", "--at", "15/01/2021")
        self.assertEqual(rec, {"unit": "hai-ba-trung", "year": 2020, "status": "SUBMITTED",
                               "submitted_at": "2021-01-15", "approved_at": "",
                               "return_reason": "", "outcome": "CREATED"})
        # a replay, with the same time or none
        self.assertEqual(self.okj("annual", "submit", "hai-ba-trung", "2020",
                                  "--at", "2021-01-15")["outcome"], "UNCHANGED")
        rec = self.okj("annual", "submit", "hai-ba-trung", "2020")
        self.assertEqual((rec["outcome"], rec["submitted_at"]), ("UNCHANGED", "2021-01-15"))

        rec = self.okj("annual", "approve", "hai-ba-trung", "2020",
                       "--at", "2021-02-01T09:30:00+07:00")
        self.assertEqual((rec["status"], rec["approved_at"], rec["outcome"]),
                         ("APPROVED", "2021-02-01T09:30:00+07:00", "UPDATED"))
        self.assertEqual(self.okj("annual", "approve", "hai-ba-trung", "2020")["outcome"],
                         "UNCHANGED")
        err = self.fails(EXIT_FAILED_PRECONDITION, "annual", "submit", "hai-ba-trung", "2020")
        self.assertIn("report is approved", err)

        reason = "Thiếu số liệu lớp bồi dưỡng\nđề nghị bổ sung"
        rec = self.okj("annual", "return", "hai-ba-trung", "2020", "--reason", reason)
        self.assertEqual((rec["status"], rec["return_reason"], rec["approved_at"]),
                         ("RETURNED", reason, ""))
        self.assertEqual(self.okj("annual", "return", "hai-ba-trung", "2020",
                                  "--reason", reason)["outcome"], "UNCHANGED")
        err = self.fails(EXIT_FAILED_PRECONDITION, "annual", "approve", "hai-ba-trung", "2020")
        self.assertIn("report is RETURNED", err)

        # resubmitted without --at: now, as a UTC timestamp
        rec = self.okj("annual", "submit", "hai-ba-trung", "2020")
        self.assertEqual((rec["status"], rec["outcome"]), ("SUBMITTED", "UPDATED"))
        self.assertRegex(rec["submitted_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_refusals(self):
        self.fails(EXIT_NOT_FOUND, "annual", "approve", "hai-ba-trung", "2020")
        self.fails(EXIT_NOT_FOUND, "annual", "return", "hai-ba-trung", "2020", "--reason", "x")
        err = self.fails(EXIT_INVALID_ARGUMENT, "annual", "submit", "no-such-unit", "2020")
        self.assertIn("unit: no such unit", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "annual", "submit", "hai-ba-trung", "1900")
        self.assertIn("year: must be 1945-", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "annual", "submit", "hai-ba-trung", "2020",
                         "--at", "2021-01-15T25:00:00Z")
        self.assertIn("submitted_at:", err)
        self.ok("annual", "submit", "hai-ba-trung", "2020")
        err = self.fails(EXIT_INVALID_ARGUMENT, "annual", "return", "hai-ba-trung", "2020",
                         "--reason", "")
        self.assertIn("reason: required", err)
        self.fails(EXIT_USAGE, "annual", "return", "hai-ba-trung", "2020")
        self.fails(EXIT_USAGE, "annual", "submit", "hai-ba-trung", "năm")
        self.fails(EXIT_USAGE, "annual", "submit", "hai-ba-trung")
        self.fails(EXIT_USAGE, "annual", "list", "--status", "PENDING")
        self.fails(EXIT_USAGE, "annual", "frobnicate")
        # nothing but the one submitted report was written
        self.assertEqual(len(self.okj("annual", "list")), 1)

    def test_list(self):
        for unit, year in (("hai-ba-trung", 2020), ("bach-mai", 2020), ("tay-ho", 2020),
                           ("bach-mai", 2019), ("ha-noi", 2021)):
            self.ok("annual", "submit", unit, str(year), "--at", "%d-01-20" % (year + 1))
        self.ok("annual", "approve", "bach-mai", "2020")

        def keys(*filters):
            return [(r["unit"], r["year"]) for r in self.okj("annual", "list", *filters)]

        self.assertEqual(keys(), [("bach-mai", 2019), ("bach-mai", 2020), ("hai-ba-trung", 2020),
                                  ("tay-ho", 2020), ("ha-noi", 2021)])
        self.assertEqual(keys("--unit", "hai-ba-trung"),
                         [("bach-mai", 2019), ("bach-mai", 2020), ("hai-ba-trung", 2020)])
        self.assertEqual(keys("--year", "2020", "--unit", "ha-noi"),
                         [("bach-mai", 2020), ("hai-ba-trung", 2020), ("tay-ho", 2020)])
        self.assertEqual(keys("--status", "APPROVED"), [("bach-mai", 2020)])
        self.assertEqual(keys("--status", "Đã duyệt"), [("bach-mai", 2020)])
        self.assertEqual(keys("--status", "đã gửi", "--year", "2020"),
                         [("hai-ba-trung", 2020), ("tay-ho", 2020)])
        self.fails(EXIT_NOT_FOUND, "annual", "list", "--unit", "no-such-unit")
        # CSV output: a header and one line per report
        rc, out, err = self.cli("--output", "csv", "annual", "list", "--year", "2019")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(),
                         ["unit,year,status,submitted_at,approved_at,return_reason",
                          "bach-mai,2019,SUBMITTED,2020-01-20,,"])

    def test_lock(self):
        ref = "HBT-2020/QH-01"
        self.assertEqual(self.okj("class", "submit", self.class_file(ref, "2020-06-30"))["outcome"],
                         "CREATED")
        self.ok("annual", "submit", "hai-ba-trung", "2020", "--at", "2021-01-15")
        self.ok("annual", "approve", "hai-ba-trung", "2020")

        # locked, an exact replay (a rerun import, a retried submit) changes nothing: UNCHANGED
        self.assertEqual(self.okj("class", "submit", self.class_file(ref, "2020-06-30"))["outcome"],
                         "UNCHANGED")
        # locked: a changed class, a new class of 2020, a class moved into 2020, a cancel
        err = self.fails(EXIT_FAILED_PRECONDITION, "class", "submit",
                         self.class_file(ref, "2020-06-30", sessions=12))
        self.assertIn(LOCKED_2020, err)
        err = self.fails(EXIT_FAILED_PRECONDITION, "class", "submit",
                         self.class_file("HBT-2020/QH-02", "2020-09-01"))
        self.assertIn(LOCKED_2020, err)
        err = self.fails(EXIT_FAILED_PRECONDITION, "class", "cancel", "hai-ba-trung", ref)
        self.assertIn(LOCKED_2020, err)
        self.assertEqual(self.sessions(ref), 10)
        self.assertEqual(self.okj("class", "show", "hai-ba-trung", ref)["class"]["status"],
                         "ENDED")
        self.fails(EXIT_NOT_FOUND, "class", "show", "hai-ba-trung", "HBT-2020/QH-02")
        # another year is open
        self.assertEqual(self.okj("class", "submit",
                                  self.class_file("HBT-2021/QH-01", "2021-03-01"))["outcome"],
                         "CREATED")
        err = self.fails(EXIT_FAILED_PRECONDITION, "class", "submit",
                         self.class_file("HBT-2021/QH-01", "2020-12-01"))
        self.assertIn(LOCKED_2020, err)

        # returned: unlocked
        self.ok("annual", "return", "hai-ba-trung", "2020", "--reason", "Bổ sung lớp")
        self.assertEqual(self.okj("class", "submit",
                                  self.class_file(ref, "2020-06-30", sessions=12))["outcome"],
                         "UPDATED")
        self.assertEqual(self.sessions(ref), 12)
        self.assertEqual(self.okj("class", "cancel", "hai-ba-trung", ref)["outcome"], "UPDATED")


if __name__ == "__main__":
    unittest.main()
