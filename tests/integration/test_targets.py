"""test_targets.py - `nhanluc target` and targets.csv against the real server.

Each test starts its own nhanlucd (tests/support/nlserver.py) with a small
unit tree (city > district > ward, made with `nhanluc unit add`) and two
terms, and drives the CLI as a subprocess: the article's five seeded targets,
set / replay / update / delete with the stored value normalised, JSON with
the value as a number, CSV and table output, server-side validation (exit 3,
the message naming the field, nothing written), usage errors (exit 64), and
targets.csv: export -> import into a second, empty server rebuilds the same
file (the seeded rows replay as unchanged, a second import changes nothing),
and a bad row reported as FILE:LINE: column NAME with nothing written.
Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_USAGE = 0, 3, 64

# DOMAIN.md 4: the congress resolution's targets, term 2015-2020, no unit (list order; in JSON
# a target that names no unit has "unit": null).
SEEDED = [
    {"indicator": "advanced_theory_share", "op": "=", "value": 100, "unit": None,
     "term": "2015-2020"},
    {"indicator": "key_commune_theory_share", "op": "=", "value": 100, "unit": None,
     "term": "2015-2020"},
    {"indicator": "key_commune_university_share", "op": ">", "value": 80, "unit": None,
     "term": "2015-2020"},
    {"indicator": "key_ward_university_share", "op": "=", "value": 100, "unit": None,
     "term": "2015-2020"},
    {"indicator": "postgraduate_share", "op": ">=", "value": 35, "unit": None,
     "term": "2015-2020"},
]


def setUpModule():
    nlcli.require_nhanluc()


class TargetCliTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.tmp = tempfile.mkdtemp(prefix="nltargets-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.world(self.srv)

    def world(self, srv):
        self.ok_on(srv, "unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok_on(srv, "unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "urban_district",
                   "--parent", "ha-noi")
        self.ok_on(srv, "unit", "add", "phu-thuong", "Phường Phú Thượng", "--kind", "ward",
                   "--parent", "tay-ho")
        self.ok_on(srv, "term", "add", "2015-2020", "--kind", "party_congress")
        self.ok_on(srv, "term", "add", "2020-2025", "--kind", "party_congress")

    def ok_on(self, srv, *args):
        """ok() against server `srv` (an nlserver.NlServer) instead of self.srv."""
        return self.ok(*args, server=srv.addr)

    def targets(self, *args):
        return self.okj("target", "list", *args)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def summary(self, srv, path):
        rows = list(csv.DictReader(io.StringIO(self.ok_on(srv, "--output", "csv", "import",
                                                          path))))
        self.assertEqual(len(rows), 1, rows)
        return dict((k, rows[0][k]) for k in ("rows", "created", "updated", "unchanged",
                                              "rejected"))

    # --- set, list, delete ---

    def test_seeded_targets(self):
        got = self.targets()
        self.assertEqual(got, SEEDED)
        # JSON numbers, not strings: scripts compare them as numbers
        self.assertTrue(all(type(t["value"]) is int for t in got))
        self.assertEqual(self.targets("--indicator", "postgraduate_share"), SEEDED[4:])
        self.assertEqual(self.targets("--term", "2020-2025"), [])

    def test_set_replay_update_delete(self):
        rec = self.okj("target", "set", "postgraduate_share", ">=", "40", "--term", "2015-2020",
                       "--unit", "tay-ho")
        self.assertEqual(rec, {"indicator": "postgraduate_share", "op": ">=", "value": 40,
                               "unit": "tay-ho", "term": "2015-2020", "outcome": "CREATED"})
        # the same target written another way: a replay; another op, another value: updates
        rec = self.okj("target", "set", "postgraduate_share", ">=", "040.0", "--term",
                       "2015-2020", "--unit", "tay-ho")
        self.assertEqual((rec["outcome"], rec["value"]), ("UNCHANGED", 40))
        rec = self.okj("target", "set", "postgraduate_share", ">", "40", "--term", "2015-2020",
                       "--unit", "tay-ho")
        self.assertEqual((rec["outcome"], rec["op"]), ("UPDATED", ">"))
        rec = self.okj("target", "set", "postgraduate_share", ">", "22.50", "--term",
                       "2015-2020", "--unit", "tay-ho")
        self.assertEqual((rec["outcome"], rec["value"]), ("UPDATED", 22.5))
        # the seeded city-wide target is a separate key, untouched
        self.assertEqual(self.targets("--indicator", "postgraduate_share"),
                         [SEEDED[4], {"indicator": "postgraduate_share", "op": ">",
                                      "value": 22.5, "unit": "tay-ho", "term": "2015-2020"}])
        # a coefficient and a count for another term, without a unit (JSON: "unit": null)
        rec = self.okj("target", "set", "planning_coefficient", ">=", "1.5", "--term",
                       "2020-2025")
        self.assertIsNone(rec["unit"])
        self.okj("target", "set", "planning_overload", "=", "0", "--term", "2020-2025")
        self.assertEqual(self.targets("--term", "2020-2025"), [
            {"indicator": "planning_coefficient", "op": ">=", "value": 1.5, "unit": None,
             "term": "2020-2025"},
            {"indicator": "planning_overload", "op": "=", "value": 0, "unit": None,
             "term": "2020-2025"}])

        # CSV: a header and the stored text; the table: upper-case headers
        out = self.ok("--output", "csv", "target", "list", "--indicator", "postgraduate_share")
        self.assertEqual(list(csv.reader(io.StringIO(out))), [
            ["indicator", "op", "value", "unit", "term"],
            ["postgraduate_share", ">=", "35", "", "2015-2020"],
            ["postgraduate_share", ">", "22.5", "tay-ho", "2015-2020"]])
        out = self.ok("--output", "table", "target", "list", "--term", "2020-2025")
        self.assertIn("INDICATOR", out.splitlines()[0])
        self.assertIn("planning_coefficient", out)

        # delete: once true, then false (not an error); the city-wide one stays
        rec = self.okj("target", "delete", "postgraduate_share", "--term", "2015-2020",
                       "--unit", "tay-ho")
        self.assertEqual(rec, {"indicator": "postgraduate_share", "unit": "tay-ho",
                               "term": "2015-2020", "deleted": True})
        rec = self.okj("target", "delete", "postgraduate_share", "--term", "2015-2020",
                       "--unit", "tay-ho")
        self.assertIs(rec["deleted"], False)
        self.assertEqual(self.targets("--indicator", "postgraduate_share"), SEEDED[4:])
        rec = self.okj("target", "delete", "postgraduate_share", "--term", "2015-2020")
        self.assertIs(rec["deleted"], True)
        self.assertIsNone(rec["unit"])  # no unit: null, not ""
        self.assertEqual(self.targets("--indicator", "postgraduate_share"), [])

    def test_validation_names_the_field(self):
        cases = [
            (["nope", ">=", "35"], "target.indicator: "),
            (["postgraduate_share", "=>", "35"], "target.op: "),
            (["postgraduate_share", ">=", "abc"], "target.value: "),
            (["postgraduate_share", ">=", ".5"], "target.value: "),
            (["--", "postgraduate_share", ">=", "-1"], "target.value: "),  # -1: not an option
            (["postgraduate_share", ">=", "35,5"], "target.value: "),
            (["postgraduate_share", ">=", "1.1234567"], "target.value: "),
            (["postgraduate_share", ">=", "100.1"], "target.value: a percent"),
            (["postgraduate_share", ">=", "35", "--unit", "nowhere"],
             "target.unit: no such unit"),
            (["postgraduate_share", ">=", "35", "--unit", "Tay Ho"], "target.unit: "),
        ]
        for words, want in cases:
            with self.subTest(words=words):
                err = self.fails(EXIT_INVALID_ARGUMENT, "target", "set", "--term", "2015-2020",
                                 *words)
                self.assertIn(want, err)
                self.assertIn("INVALID_ARGUMENT", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "target", "set", "postgraduate_share", ">=",
                         "35", "--term", "2030-2035")
        self.assertIn("target.term: no such term", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "target", "set", "postgraduate_share", ">=",
                         "35", "--term", "2015")
        self.assertIn("target.term: ", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "target", "list", "--indicator", "nope")
        self.assertIn("indicator: ", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "target", "delete", "nope", "--term",
                         "2015-2020")
        self.assertIn("indicator: ", err)
        # a count's target may exceed 100
        rec = self.okj("target", "set", "classes", ">=", "187", "--term", "2015-2020")
        self.assertEqual(rec["value"], 187)
        # nothing else was written
        self.assertEqual(len(self.targets()), len(SEEDED) + 1)

        # usage errors: the words are missing
        for words in (["set", "postgraduate_share", ">=", "35"],
                      ["set", "postgraduate_share", ">=", "--term", "2015-2020"],
                      ["delete", "postgraduate_share"],
                      ["frobnicate"], []):
            with self.subTest(words=words):
                self.fails(EXIT_USAGE, "target", *words)

    # --- targets.csv ---

    def test_csv_export_import_round_trip(self):
        self.ok("target", "set", "postgraduate_share", ">=", "40", "--term", "2015-2020",
                "--unit", "tay-ho")
        self.ok("target", "set", "postgraduate_share", "<", "12.25", "--term", "2020-2025",
                "--unit", "phu-thuong")
        self.ok("target", "set", "committee_women_share", ">", "40", "--term", "2020-2025")
        exported = self.ok("--output", "csv", "export", "targets")
        rows = list(csv.reader(io.StringIO(exported)))
        self.assertEqual(rows[0], ["indicator", "op", "value", "unit", "term"])
        self.assertEqual(len(rows), 1 + len(SEEDED) + 3)
        self.assertIn(["postgraduate_share", "<", "12.25", "phu-thuong", "2020-2025"], rows)
        self.assertIn(["postgraduate_share", ">=", "35", "", "2015-2020"], rows)
        # --unit: the targets naming a unit in the subtree; city-wide ones name none
        sub = list(csv.reader(io.StringIO(self.ok("--output", "csv", "export", "targets",
                                                  "--unit", "tay-ho"))))
        self.assertEqual(sub[1:], [["postgraduate_share", ">=", "40", "tay-ho", "2015-2020"],
                                   ["postgraduate_share", "<", "12.25", "phu-thuong",
                                    "2020-2025"]])

        # an empty database with the same units and terms: the seeded rows replay
        path = self.write("targets.csv", exported)
        other = self.start_server()
        self.world(other)
        s = self.summary(other, path)
        self.assertEqual(s, {"rows": "8", "created": "3", "updated": "0", "unchanged": "5",
                             "rejected": "0"})
        self.assertEqual(self.ok_on(other, "--output", "csv", "export", "targets"), exported)
        # the same file again changes nothing
        s = self.summary(other, path)
        self.assertEqual((s["created"], s["updated"], s["unchanged"]), ("0", "0", "8"))
        # an edited value is an update of that row only
        edited = exported.replace("committee_women_share,>,40,", "committee_women_share,>,45,")
        self.assertNotEqual(edited, exported)
        s = self.summary(other, self.write("edited.csv", edited))
        self.assertEqual((s["created"], s["updated"], s["unchanged"]), ("0", "1", "7"))

    def test_csv_bad_row_is_reported_with_its_line(self):
        # lines 3-4 are one record (a quoted cell holds a line break); line 6 has a bad value,
        # line 7 an unknown unit
        text = ("indicator,op,value,unit,term\r\n"
                "postgraduate_share,>=,40,tay-ho,2015-2020\r\n"
                "\"committee_women_share\",\">\",\"40\",\"\",\"2020-\r\n2025\"\r\n"
                "classes,>=,187,,2020-2025\r\n"
                "postgraduate_share,>=,abc,phu-thuong,2015-2020\r\n"
                "postgraduate_share,>=,30,nowhere,2015-2020\r\n")
        path = self.write("targets.csv", text)
        rc, out, err = self.cli("import", path)
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("%s:3: column term: " % path, err)  # "2020-\r\n2025" is no term code
        self.assertIn("%s:6: column value: must be a non-negative decimal" % path, err)
        self.assertIn("%s:7: column unit: no such unit" % path, err)
        self.assertNotIn("abc", err)
        # all or nothing: no row went in
        self.assertEqual(self.targets(), SEEDED)
        # with --skip-bad-rows the good rows go in
        rc, out, err = self.cli("--output", "csv", "import", path, "--skip-bad-rows")
        self.assertEqual(rc, EXIT_OK, err)
        got = list(csv.DictReader(io.StringIO(out)))[0]
        self.assertEqual((got["created"], got["rejected"]), ("2", "3"))
        self.assertEqual(len(self.targets()), len(SEEDED) + 2)
        # a header without the term column is refused before anything is sent
        path = self.write("noterm.csv", "indicator,op,value\r\nclasses,>=,1\r\n")
        rc, out, err = self.cli("import", path, "--kind", "targets")
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("term", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
