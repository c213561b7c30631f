"""test_party.py - `nhanluc committee|seats|planning|review` against the real server.

Each test starts its own nhanlucd (tests/support/nlserver.py) with a small
unit tree (city > district > ward, made with `nhanluc unit add`), a term and
a few cadres, and drives the CLI as a subprocess: Vietnamese labels on the
way in and bare codes on the way out, created / unchanged / updated upserts,
unit and subtree lists in JSON and CSV, the 3x3 planning violations (JSON
member and stderr warnings, exit 0), reviews attributed to the unit of the
cadre's profile on 31 December, usage errors (exit 64) and server-side
validation (exit 3 naming the field). Run by CTest (label integration);
skips when NHANLUC is unset.
"""

import csv
import io
import os
import sys
import unicodedata
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_NOT_FOUND, EXIT_USAGE = 0, 3, 5, 64

PROFILE_FLAGS = ["--level", "DISTRICT", "--mgmt", "DISTRICT_STANDING", "--education",
                 "UNIVERSITY", "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER"]


def setUpModule():
    nlcli.require_nhanluc()


class PartyCliTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "hoan-kiem", "Quận Hoàn Kiếm", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "phuc-tan", "Phường Phúc Tân", "--kind", "ward",
                "--parent", "hoan-kiem")
        self.ok("unit", "add", "ba-dinh", "Quận Ba Đình", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("term", "add", "2020-2025", "--kind", "party_congress")
        for code, unit in (("HK-1", "hoan-kiem"), ("HK-2", "hoan-kiem"), ("HK-3", "hoan-kiem"),
                           ("HK-4", "hoan-kiem"), ("PT-1", "phuc-tan"), ("BD-1", "ba-dinh")):
            self.ok("cadre", "set", code, "--sex", "F", "--born", "1975", "--unit", unit,
                    "--as-of", "2020-01-01", *PROFILE_FLAGS)

    def test_committee_upsert_and_lists(self):
        rec = self.okj("committee", "add", "HK-1", "hoan-kiem", "2020-2025",
                       "--body", unicodedata.normalize("NFD", "Ban Chấp hành"),
                       "--role", "Bí thư", "--start", "15/10/2020")
        self.assertEqual(rec, {"cadre_code": "HK-1", "unit": "hoan-kiem", "term": "2020-2025",
                               "body": "COMMITTEE", "role": "SECRETARY",
                               "start_date": "2020-10-15", "end_date": "", "outcome": "CREATED"})
        # the same with codes: a replay; a new end date: an update
        rec = self.okj("committee", "add", "HK-1", "hoan-kiem", "2020-2025", "--body",
                       "COMMITTEE", "--role", "SECRETARY", "--start", "2020-10-15")
        self.assertEqual(rec["outcome"], "UNCHANGED")
        rec = self.okj("committee", "add", "HK-1", "hoan-kiem", "2020-2025", "--body",
                       "committee", "--role", "secretary", "--start", "2020-10-15",
                       "--end", "2023-06-30")
        self.assertEqual((rec["outcome"], rec["end_date"]), ("UPDATED", "2023-06-30"))
        self.okj("committee", "add", "HK-2", "hoan-kiem", "2020-2025", "--body", "Ban Thường vụ",
                 "--role", "Ủy viên Ban Thường vụ", "--start", "2020-10-15")
        self.okj("committee", "add", "PT-1", "phuc-tan", "2020-2025", "--body", "cấp ủy",
                 "--role", "Ủy viên", "--start", "2020-09-01")
        self.okj("committee", "add", "BD-1", "ba-dinh", "2020-2025", "--body", "BCH",
                 "--role", "Phó Bí thư", "--start", "2020-09-01")

        rows = self.okj("committee", "list", "hoan-kiem", "--term", "2020-2025")
        self.assertEqual([(r["cadre_code"], r["body"], r["role"]) for r in rows],
                         [("HK-1", "COMMITTEE", "SECRETARY"),
                          ("HK-2", "STANDING_COMMITTEE", "STANDING_MEMBER")])
        rows = self.okj("committee", "list", "hoan-kiem", "--term", "2020-2025", "--subtree")
        self.assertEqual([(r["unit"], r["cadre_code"]) for r in rows],
                         [("hoan-kiem", "HK-1"), ("hoan-kiem", "HK-2"), ("phuc-tan", "PT-1")])
        rows = self.okj("committee", "list", "ha-noi", "--term", "2020-2025", "--subtree")
        self.assertEqual(len(rows), 4)
        self.assertEqual(self.okj("committee", "list", "ha-noi", "--term", "2020-2025"), [])

        # CSV: a header row and bare codes
        out = self.ok("--output", "csv", "committee", "list", "ba-dinh", "--term", "2020-2025")
        table = list(csv.reader(io.StringIO(out)))
        self.assertEqual(table[0], ["cadre_code", "unit", "term", "body", "role", "start_date",
                                    "end_date"])
        self.assertEqual(table[1][:5], ["BD-1", "ba-dinh", "2020-2025", "COMMITTEE",
                                        "DEPUTY_SECRETARY"])

        # validation by the server names the field; nothing is written
        err = self.fails(EXIT_INVALID_ARGUMENT, "committee", "add", "HK-3", "hoan-kiem",
                         "2020-2025", "--body", "COMMITTEE", "--role", "MEMBER",
                         "--start", "2021-01-01", "--end", "2020-12-31")
        self.assertIn("membership.end_date", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "committee", "add", "NOBODY", "hoan-kiem",
                         "2020-2025", "--body", "COMMITTEE", "--role", "MEMBER",
                         "--start", "2021-01-01")
        self.assertIn("membership.cadre_code: no such cadre", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "committee", "add", "HK-3", "hoan-kiem",
                         "2025-2030", "--body", "COMMITTEE", "--role", "MEMBER",
                         "--start", "2021-01-01")
        self.assertIn("membership.term: no such term", err)
        self.assertEqual(len(self.okj("committee", "list", "ha-noi", "--term", "2020-2025",
                                      "--subtree")), 4)
        err = self.fails(EXIT_NOT_FOUND, "committee", "list", "nowhere", "--term", "2020-2025")
        self.assertIn("unit not found", err)

        # usage errors: unknown label, bad date, missing option
        err = self.fails(EXIT_USAGE, "committee", "add", "HK-3", "hoan-kiem", "2020-2025",
                         "--body", "Quốc hội", "--role", "MEMBER", "--start", "2021-01-01")
        self.assertIn("STANDING_COMMITTEE", err)
        self.fails(EXIT_USAGE, "committee", "add", "HK-3", "hoan-kiem", "2020-2025",
                   "--body", "COMMITTEE", "--role", "MEMBER", "--start", "hôm qua")
        self.fails(EXIT_USAGE, "committee", "add", "HK-3", "hoan-kiem", "2020-2025",
                   "--body", "COMMITTEE", "--role", "MEMBER")
        self.fails(EXIT_USAGE, "committee", "list", "hoan-kiem")

    def test_seats(self):
        rec = self.okj("seats", "set", "hoan-kiem", "2020-2025", "Ban Chấp hành", "45")
        self.assertEqual(rec, {"unit": "hoan-kiem", "term": "2020-2025",
                               "body_or_title": "COMMITTEE", "seats": 45, "outcome": "CREATED"})
        self.assertEqual(self.okj("seats", "set", "hoan-kiem", "2020-2025", "COMMITTEE",
                                  "45")["outcome"], "UNCHANGED")
        self.assertEqual(self.okj("seats", "set", "hoan-kiem", "2020-2025", "COMMITTEE",
                                  "47")["outcome"], "UPDATED")
        self.okj("seats", "set", "hoan-kiem", "2020-2025", "Chủ tịch UBND", "1")
        self.okj("seats", "set", "phuc-tan", "2020-2025", "Phó Chủ tịch HĐND, UBND", "0")
        rows = self.okj("seats", "list", "hoan-kiem", "--term", "2020-2025", "--subtree")
        self.assertEqual([(r["unit"], r["body_or_title"], r["seats"]) for r in rows],
                         [("hoan-kiem", "COMMITTEE", 47),
                          ("hoan-kiem", "CHAIR_PEOPLES_COMMITTEE", 1),
                          ("phuc-tan", "VICE_CHAIR", 0)])
        self.fails(EXIT_USAGE, "seats", "set", "hoan-kiem", "2020-2025", "COMMITTEE", "-1")
        self.fails(EXIT_USAGE, "seats", "set", "hoan-kiem", "2020-2025", "COMMITTEE", "many")
        self.fails(EXIT_USAGE, "seats", "set", "hoan-kiem", "2020-2025", "COMMITTEE")
        err = self.fails(EXIT_INVALID_ARGUMENT, "seats", "set", "nowhere", "2020-2025",
                         "COMMITTEE", "3")
        self.assertIn("quota.unit: no such unit", err)

    def test_planning_violations(self):
        # four candidates for SECRETARY, one more removed (does not count)
        for code in ("HK-1", "HK-2", "HK-3"):
            rec = self.okj("planning", "add", code, "hoan-kiem", "2020-2025", "Bí thư",
                           "--added", "01/01/2021")
            self.assertEqual((rec["body_or_title"], rec["outcome"]), ("SECRETARY", "CREATED"))
        self.okj("planning", "add", "BD-1", "hoan-kiem", "2020-2025", "SECRETARY",
                 "--added", "2021-01-01", "--removed", "2021-06-30")
        doc = self.okj("planning", "list", "hoan-kiem", "--term", "2020-2025")
        self.assertEqual(doc["violations"], [])
        self.assertIs(doc["violations_truncated"], False)
        self.assertEqual(len(doc["entries"]), 4)
        self.okj("planning", "add", "HK-4", "hoan-kiem", "2020-2025", "SECRETARY",
                 "--added", "2021-01-01")
        # HK-1: four titles (the COMMITTEE body does not count as one)
        for title in ("Phó Bí thư", "Chủ tịch HĐND", "Trưởng phòng", "Ban Chấp hành"):
            self.okj("planning", "add", "HK-1", "hoan-kiem", "2020-2025", title,
                     "--added", "2021-01-01")
        self.assertEqual(self.okj("planning", "add", "HK-1", "hoan-kiem", "2020-2025",
                                  "DEPT_HEAD", "--added", "2021-01-01")["outcome"], "UNCHANGED")

        doc = self.okj("planning", "list", "hoan-kiem", "--term", "2020-2025")
        self.assertEqual(doc["violations"], [
            {"unit": "hoan-kiem", "term": "2020-2025", "body_or_title": "SECRETARY",
             "cadre_code": "", "count": 4},
            {"unit": "hoan-kiem", "term": "2020-2025", "body_or_title": "",
             "cadre_code": "HK-1", "count": 4},
        ])
        self.assertEqual(len(doc["entries"]), 9)
        self.assertEqual(doc["entries"][0]["body_or_title"], "COMMITTEE")
        # the subtree from the city sees them too; another district does not
        doc = self.okj("planning", "list", "ha-noi", "--term", "2020-2025", "--subtree")
        self.assertEqual(len(doc["violations"]), 2)
        self.assertEqual(self.okj("planning", "list", "ba-dinh", "--term",
                                  "2020-2025")["violations"], [])

        # table output: entries on stdout, the violations as warnings on stderr, exit 0
        rc, out, err = self.cli("--output", "table", "planning", "list", "hoan-kiem",
                                "--term", "2020-2025")
        self.assertEqual(rc, EXIT_OK)
        self.assertIn("SECRETARY", out)
        self.assertNotIn("warning", out)
        self.assertIn("warning: hoan-kiem 2020-2025: SECRETARY has 4 candidates", err)
        self.assertIn("cadre HK-1 is planned for 4 titles", err)
        rc, out, err = self.cli("--output", "csv", "planning", "list", "hoan-kiem",
                                "--term", "2020-2025")
        self.assertEqual(rc, EXIT_OK)
        self.assertEqual(len(list(csv.reader(io.StringIO(out)))), 10)
        self.assertEqual(err.count("warning"), 2)

        # removing HK-4 ends the first breach
        rec = self.okj("planning", "add", "HK-4", "hoan-kiem", "2020-2025", "SECRETARY",
                       "--added", "2021-01-01", "--removed", "2021-12-31")
        self.assertEqual(rec["outcome"], "UPDATED")
        doc = self.okj("planning", "list", "hoan-kiem", "--term", "2020-2025")
        self.assertEqual([v["cadre_code"] for v in doc["violations"]], ["HK-1"])

        err = self.fails(EXIT_INVALID_ARGUMENT, "planning", "add", "HK-2", "hoan-kiem",
                         "2020-2025", "DIRECTOR", "--added", "2021-01-01",
                         "--removed", "2020-01-01")
        self.assertIn("entry.removed_on", err)
        self.fails(EXIT_USAGE, "planning", "add", "HK-2", "hoan-kiem", "2020-2025", "DIRECTOR")
        self.fails(EXIT_USAGE, "planning", "add", "HK-2", "hoan-kiem", "2020-2025", "Thủ tướng",
                   "--added", "2021-01-01")

    def test_reviews(self):
        # HK-2 moves to Ba Đình on 31 Dec 2022: its 2022 review is Ba Đình's
        self.ok("cadre", "set", "HK-2", "--sex", "F", "--born", "1975", "--unit", "ba-dinh",
                "--as-of", "2022-12-31", *PROFILE_FLAGS)
        rec = self.okj("review", "set", "HK-1", "2022", "--rating", "HTXSNV", "--meets", "có",
                       "--action", "Giữ nguyên", "--decision", "QĐ số 12/QĐ-QU\nngày 5/1/2023")
        self.assertEqual(rec, {"cadre_code": "HK-1", "year": 2022, "annual_rating": "EXCELLENT",
                               "meets_requirements": True, "action": "KEEP",
                               "decision_ref": "QĐ số 12/QĐ-QU\nngày 5/1/2023",
                               "outcome": "CREATED"})
        self.assertEqual(self.okj("review", "set", "HK-1", "2022", "--rating", "EXCELLENT",
                                  "--meets", "yes", "--action", "KEEP", "--decision",
                                  "QĐ số 12/QĐ-QU\nngày 5/1/2023")["outcome"], "UNCHANGED")
        rec = self.okj("review", "set", "HK-2", "2022", "--rating",
                       "Không hoàn thành nhiệm vụ", "--meets", "no", "--action", "Điều chuyển")
        self.assertEqual((rec["annual_rating"], rec["meets_requirements"], rec["action"]),
                         ("NOT_COMPLETED", False, "REASSIGN"))
        self.okj("review", "set", "PT-1", "2022", "--rating", "HTTNV", "--meets", "yes",
                 "--action", "FURTHER_TRAINING")
        self.okj("review", "set", "PT-1", "2023", "--rating", "htnv", "--meets", "yes",
                 "--action", "luân chuyển")

        def listed(*args):
            return [(r["cadre_code"], r["year"]) for r in self.okj("review", "list", *args)]

        self.assertEqual(listed("hoan-kiem"), [("HK-1", 2022)])
        self.assertEqual(listed("ba-dinh", "--year", "2022"), [("HK-2", 2022)])
        self.assertEqual(listed("hoan-kiem", "--subtree"),
                         [("HK-1", 2022), ("PT-1", 2022), ("PT-1", 2023)])
        self.assertEqual(listed("hoan-kiem", "--subtree", "--year", "2023"), [("PT-1", 2023)])
        self.assertEqual(listed("ha-noi", "--subtree", "--year", "2022"),
                         [("HK-1", 2022), ("HK-2", 2022), ("PT-1", 2022)])

        err = self.fails(EXIT_INVALID_ARGUMENT, "review", "set", "HK-1", "1900", "--rating",
                         "GOOD", "--meets", "yes", "--action", "KEEP")
        self.assertIn("review.year", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "review", "set", "HK-1", "2022", "--rating",
                         "GOOD", "--meets", "yes", "--action", "KEEP", "--decision", "x" * 301)
        self.assertIn("review.decision_ref", err)
        self.fails(EXIT_USAGE, "review", "set", "HK-1", "2022", "--rating", "GOOD",
                   "--meets", "maybe", "--action", "KEEP")
        self.fails(EXIT_USAGE, "review", "set", "HK-1", "2022", "--rating", "GOOD",
                   "--action", "KEEP")
        self.fails(EXIT_USAGE, "review", "list", "hoan-kiem", "--year", "last")
        # no personal value in the server's log (it runs at debug level)
        self.assertNotIn("QĐ số", self.srv.stderr_text())


if __name__ == "__main__":
    unittest.main()
