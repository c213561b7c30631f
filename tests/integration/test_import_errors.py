"""test_import_errors.py - what `nhanluc import` says about a file it will not take whole.

The real CLI against the real nhanlucd (a fresh database per test, the files of
tests/integration/data/import_*.csv loaded first). A district clerk must learn
from one run every row to fix, and a script must be able to tell a lock from a
typo:

- rows refused because the unit-year is locked by an approved report exit 9
  (FAILED_PRECONDITION, like `class submit`), not 3, and their line reads
  FILE:LINE: reason, without an empty field name;
- a row with a value beyond the header's columns is that row's fault: the
  others import with --skip-bad-rows, and without it nothing is written;
- two rows with the same natural key and different values (the same cadre as
  of the same day, written once as 01/03/2021 and once as 2021-03-01) are
  both reported, each naming the other's line, and nothing is written; the
  same row twice is harmless;
- a file with a row the CLI cannot read and a row the server refuses lists
  both in one run;
- a units.csv larger than one batch whose rows name parents given more than a
  batch earlier passes the dry run (checked as a whole) and imports.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
FILES = ["import_units.csv", "import_terms.csv", "import_cadres.csv", "import_classes.csv",
         "import_enrolments.csv"]
EXIT_INVALID_ARGUMENT, EXIT_FAILED_PRECONDITION = 3, 9
ENROL_HEADER = ("class_ref,organiser_unit,cadre_code,status,result,attended,absent_excused,"
                "absent_unexcused,thesis_score,certificate_no\r\n")
CADRE_HEADER = ("cadre_code,sex,birth_year,unit,position_title,key_cadre,level,mgmt_category,"
                "education,political_theory,state_mgmt,as_of\r\n")
PROFILE = ",Bí thư,có,DISTRICT,OTHER,Thạc sĩ,Cao cấp,Cao cấp,"


def setUpModule():
    nlcli.require_nhanluc()


class ImportErrorsTest(nlcli.CliMixin, unittest.TestCase):

    def setUp(self):
        self.srv = nlserver.NlServer().start()
        self.addCleanup(self.srv.stop)
        self.tmp = tempfile.mkdtemp(prefix="nlimperr-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        for f in FILES:
            self.ok("import", os.path.join(DATA, f))

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def export(self, kind):
        return self.ok("export", kind)

    def test_locked_unit_year_exits_9(self):
        self.ok("annual", "submit", "hai-ba-trung", "2019", "--at", "2020-01-10")
        self.ok("annual", "approve", "hai-ba-trung", "2019", "--at", "2020-01-20")
        before = self.export("enrolments")
        path = self.write("enr.csv", ENROL_HEADER +
                          "HBT-2019/QH-BCH-01,hai-ba-trung,HBT-0002,COMPLETED,GOOD,12,2,2,,\r\n")
        err = self.fails(EXIT_FAILED_PRECONDITION, "import", path)
        self.assertIn("%s:2: " % path, err)
        self.assertIn("locked", err)
        self.assertNotIn(": : ", err)
        self.assertEqual(self.export("enrolments"), before)
        # returned: the same file goes in
        self.ok("annual", "return", "hai-ba-trung", "2019", "--reason", "sửa số liệu")
        s = self.okj("import", path)
        self.assertEqual((s["updated"], s["rejected"]), (1, 0))

    def test_value_beyond_the_header_is_a_bad_row(self):
        before = self.export("cadres")
        path = self.write("cadres.csv", CADRE_HEADER +
                          "K1,Nữ,1975,tay-ho" + PROFILE + "01/01/2021\r\n" +
                          "K2,Nam,1980,tay-ho" + PROFILE + "01/01/2021,thừa\r\n" +
                          "K3,Nam,1982,tay-ho" + PROFILE + "01/01/2021\r\n")
        err = self.fails(EXIT_INVALID_ARGUMENT, "import", path)
        self.assertIn("%s:3: a value in field 13, beyond the header's 12 columns" % path, err)
        self.assertEqual(self.export("cadres"), before)
        s = self.okj("import", path, "--skip-bad-rows")
        self.assertEqual((s["created"], s["rejected"]), (2, 1))

    def test_same_key_other_values_names_both_lines(self):
        before = self.export("cadres")
        path = self.write("cadres.csv", CADRE_HEADER +
                          "D1,Nữ,1975,tay-ho" + PROFILE + "01/03/2021\r\n" +
                          "D2,Nam,1980,tay-ho" + PROFILE + "01/03/2021\r\n" +
                          "D1,Nữ,1976,tay-ho" + PROFILE + "2021-03-01\r\n")
        err = self.fails(EXIT_INVALID_ARGUMENT, "import", path)
        self.assertIn("%s:2: the same cadre_code, as_of as line 4, with other values" % path, err)
        self.assertIn("%s:4: the same cadre_code, as_of as line 2, with other values" % path, err)
        self.assertEqual(self.export("cadres"), before)
        # --skip-bad-rows: neither of the two is guessed at; the third row goes in
        s = self.okj("import", path, "--skip-bad-rows")
        self.assertEqual((s["created"], s["rejected"]), (1, 2))
        # the same row twice is not a contradiction
        twice = self.write("twice.csv", CADRE_HEADER +
                           ("D3,Nữ,1975,tay-ho" + PROFILE + "01/03/2021\r\n") * 2)
        s = self.okj("import", twice)
        self.assertEqual(s["rejected"], 0)
        self.assertEqual(s["created"] + s["unchanged"], 2)

    def test_one_run_lists_local_and_server_refusals(self):
        path = self.write("cadres.csv", CADRE_HEADER +
                          "E1,Nữ,1975,khong-co-don-vi" + PROFILE + "01/01/2021\r\n" +
                          "E2,Zebra42,1980,tay-ho" + PROFILE + "01/01/2021\r\n")
        err = self.fails(EXIT_INVALID_ARGUMENT, "import", path)
        self.assertIn("%s:2: column unit:" % path, err)    # the server's refusal
        self.assertIn("%s:3: column sex:" % path, err)     # the CLI's
        self.assertNotIn("Zebra42", err)
        self.assertNotIn("khong-co-don-vi", err)
        self.assertIn("nothing was written", err)
        self.assertNotIn("E1", self.export("cadres"))

    def test_units_file_beyond_one_batch_checks_as_a_whole(self):
        # 6,000 units, the wards naming districts given more than 5,000 rows earlier: the dry
        # pass must see the file whole, as the real pass (batch after committed batch) does
        rows = ["code,name,kind,parent,valid_from,valid_to"]
        rows += ["d%03d,Quận %d,URBAN_DISTRICT,ha-noi,," % (i, i) for i in range(100)]
        rows += ["w%04d,Phường %d,WARD,d%03d,," % (i, i, i % 100) for i in range(5900)]
        path = self.write("units.csv", "\r\n".join(rows) + "\r\n")
        s = self.okj("import", path, "--dry-run")
        self.assertEqual((s["created"], s["rejected"]), (6000, 0))
        s = self.okj("import", path)
        self.assertEqual((s["created"], s["rejected"]), (6000, 0))
        self.assertEqual(self.okj("unit", "show", "w5899")["parent"], "d099")


if __name__ == "__main__":
    unittest.main(verbosity=2)
