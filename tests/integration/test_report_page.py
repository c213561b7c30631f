"""test_report_page.py - what `nhanluc report` shows besides the indicators.

The unit's own term dates (DOMAIN.md 4: "per-unit term dates are shown, not
used for counting"): a report for a term names the dates set with `nhanluc
term instance`, and its counts are those of the term's window all the same.

The cadres with unexcused absences, by role:

Issue 4: `nhanluc report` gives "the cadres with unexcused absences (count
only unless the caller may see names)". A server with --auth required holds
a city hn with districts d-a and d-b; d-a ran a 2019 class attended by its
own cadre A1 (2 sessions missed without excuse), by d-b's cadre B1 (1) and by
A2 (none). Then `nhanluc report --unit d-a --year 2019`:

- as the administrator: the count 2 and both cadres, with their names, the
  classes and sessions missed (JSON, table and CSV);
- as d-a's district token: the same two cadres, B1's name withheld (a name
  goes to the cadre's own unit only);
- as a central token: the count alone (`absentees` null, no list in the
  table or CSV).

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlcli  # noqa: E402
import nlserver  # noqa: E402
from test_auth import AuthServerCase  # noqa: E402

PROFILE = ("--level", "DISTRICT", "--mgmt", "DISTRICT_STANDING", "--education", "UNIVERSITY",
           "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER")


def setUpModule():
    nlcli.require_nhanluc()


class ReportPageTest(AuthServerCase):
    def setUp(self):
        self.start_auth_server()
        self.tmp = tempfile.mkdtemp(prefix="nlabs-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        a = nlserver.stubs().admin_pb2
        self.admin_ok("unit", "add", "hn", "Thành phố", "--kind", "city")
        for d in ("d-a", "d-b"):
            self.admin_ok("unit", "add", d, "Quận " + d, "--kind", "urban_district", "--parent",
                          "hn")
        for code, unit, name in (("A1", "d-a", "Nguyễn Văn An"), ("A2", "d-a", "Lê Thị Ba"),
                                 ("B1", "d-b", "Trần Văn Bình")):
            self.admin_ok("cadre", "set", code, "--sex", "M", "--born", "1980", "--name", name,
                          "--unit", unit, "--as-of", "2018-01-01", *PROFILE)
        doc = {"class": {"class_ref": "K1", "organiser_unit": "d-a", "title": "Lớp K1",
                         "kind": "UPGRADE", "area": "LEADERSHIP", "target_group": "KEY_CADRE",
                         "mode": "PART_TIME", "start_date": "2019-03-01",
                         "end_date": "2019-03-20", "sessions": 10, "planned_trainees": 3,
                         "status": "ENDED"},
               "enrolments": [
                   {"cadre_code": "A1", "status": "COMPLETED", "result": "GOOD", "attended": 8,
                    "absent_excused": 0, "absent_unexcused": 2},
                   {"cadre_code": "B1", "status": "COMPLETED", "result": "GOOD", "attended": 9,
                    "absent_excused": 0, "absent_unexcused": 1},
                   {"cadre_code": "A2", "status": "COMPLETED", "result": "GOOD", "attended": 10,
                    "absent_excused": 0, "absent_unexcused": 0}]}
        path = os.path.join(self.tmp, "k1.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        self.admin_ok("class", "submit", path)
        self.district = self.create_token(a.ROLE_DISTRICT, "d-a", "clerk a")
        self.central = self.create_token(a.ROLE_CENTRAL, "", "central")

    def run_as(self, token, *args):
        rc, out, err = nlcli.run_cli(self.srv.addr, *args, token=token)
        self.assertEqual(rc, 0, "nhanluc %s: %s" % (" ".join(args), err))
        return out

    def admin_ok(self, *args):
        return self.run_as(self.admin, *args)

    def report(self, token, output="json"):
        out = self.run_as(token, "--output", output, "report", "--unit", "d-a", "--year", "2019")
        return json.loads(out) if output == "json" else out

    def test_admin_sees_every_name(self):
        r = self.report(self.admin)
        self.assertEqual(r["unexcused_absentees"], 2)
        self.assertEqual(r["absentees"], [
            {"cadre_code": "A1", "full_name": "Nguyễn Văn An", "classes": 1, "sessions": 2},
            {"cadre_code": "B1", "full_name": "Trần Văn Bình", "classes": 1, "sessions": 1}])
        self.assertIs(r["absentees_truncated"], False)
        table = self.report(self.admin, "table")
        self.assertIn("cadres with unexcused absences: 2", table)
        self.assertIn("Nguyễn Văn An", table)
        sections = self.report(self.admin, "csv").split("\n\n")
        self.assertEqual(len(sections), 3, sections)
        rows = list(csv.reader(io.StringIO(sections[2])))
        self.assertEqual(rows[0], ["cadre_code", "full_name", "classes", "sessions_missed"])
        self.assertEqual(rows[1:3], [["A1", "Nguyễn Văn An", "1", "2"],
                                     ["B1", "Trần Văn Bình", "1", "1"]])

    def test_district_sees_its_own_cadres_names(self):
        r = self.report(self.district)
        self.assertEqual(r["unexcused_absentees"], 2)
        self.assertEqual([(a["cadre_code"], a["full_name"]) for a in r["absentees"]],
                         [("A1", "Nguyễn Văn An"), ("B1", None)])
        self.assertNotIn("Trần Văn Bình", self.report(self.district, "table"))

    def test_central_sees_the_count_only(self):
        r = self.report(self.central)
        self.assertEqual(r["unexcused_absentees"], 2)
        self.assertIsNone(r["absentees"])
        table = self.report(self.central, "table")
        self.assertIn("cadres with unexcused absences: 2", table)
        for name in ("Nguyễn Văn An", "Trần Văn Bình", "A1"):
            self.assertNotIn(name, table)
        self.assertEqual(len(self.report(self.central, "csv").split("\n\n")), 2)

    def test_the_units_own_term_dates_are_shown_not_counted(self):
        self.admin_ok("term", "add", "2015-2020", "--kind", "party_congress")
        before = self.report_term("d-a")
        self.assertIsNone(before["unit_term_dates"])
        # d-a held its congress late: shown on its report, the window unchanged
        self.admin_ok("term", "instance", "2015-2020", "d-a", "--start", "2015-10-12",
                      "--end", "2020-10-20")
        r = self.report_term("d-a")
        self.assertEqual(r["unit_term_dates"], "2015-10-12..2020-10-20")
        self.assertEqual(r["indicators"], before["indicators"])
        self.assertIsNone(self.report_term("d-b")["unit_term_dates"])
        table = self.run_as(self.admin, "--output", "table", "report", "--unit", "d-a",
                            "--term", "2015-2020")
        self.assertIn("term: 2015-2020 (the unit's own dates: 2015-10-12..2020-10-20)", table)

    def report_term(self, unit):
        return json.loads(self.run_as(self.admin, "--output", "json", "report", "--unit", unit,
                                      "--term", "2015-2020"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
