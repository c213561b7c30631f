"""test_target_groups.py - the target-group catalogue (DOMAIN.md 3) through the CLI.

`target_group` is "seeded, extendable by the administrator", and a class names
its group by code or by its Vietnamese label:

- `nhanluc target-group list` shows the eight seeded groups by code;
- `target-group add CODE LABEL` adds one (created true), the same pair again is
  a replay (created false), the code with another label or the label (in any
  case or Unicode form) under another code exits 6, a bad code exits 3;
- a class submitted (class.json), imported (classes.csv) or listed
  (--target-group) by label, in upper case, decomposed or typed without
  accents, or by a lower-case code, is stored and shown with the code; an unknown group exits 3;
- roles (a server with --auth required): only an admin adds; a district lists.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import json
import os
import shutil
import sys
import tempfile
import unicodedata
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlcli  # noqa: E402
import nlserver  # noqa: E402
from test_auth import AuthServerCase  # noqa: E402

EXIT_INVALID_ARGUMENT, EXIT_ALREADY_EXISTS, EXIT_PERMISSION_DENIED = 3, 6, 7
SEEDED = ["CIVIL_SERVANT", "KEY_CADRE", "PARTY_MEMBER", "PLANNING_COMMITTEE",
          "PLANNING_COUNCIL_CHAIR", "PLANNING_DEPT_HEAD", "PLANNING_DIRECTOR",
          "PLANNING_SECRETARY"]
CLASS_HEADER = ("class_ref,organiser_unit,title,kind,area,target_group,planning_term,mode,"
                "start_date,end_date,sessions,planned_trainees,status\r\n")


def nfd(s):
    return unicodedata.normalize("NFD", s)


def setUpModule():
    nlcli.require_nhanluc()


class TargetGroupCliTest(nlcli.CliMixin, unittest.TestCase):

    def setUp(self):
        self.srv = nlserver.NlServer().start()
        self.addCleanup(self.srv.stop)
        self.tmp = tempfile.mkdtemp(prefix="nltg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "urban_district",
                "--parent", "ha-noi")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def submit(self, ref, target_group):
        doc = {"class": {"class_ref": ref, "organiser_unit": "tay-ho", "title": "Lớp " + ref,
                         "kind": "UPGRADE", "area": "LEADERSHIP", "target_group": target_group,
                         "mode": "PART_TIME", "start_date": "2019-03-01",
                         "end_date": "2019-03-20", "sessions": 10, "planned_trainees": 5,
                         "status": "ENDED"},
               "enrolments": []}
        return self.cli("class", "submit", self.write(ref + ".json", json.dumps(doc)))

    def group_of(self, ref):
        return self.okj("class", "show", "tay-ho", ref)["class"]["target_group"]

    def test_list_add_and_conflicts(self):
        rows = self.okj("target-group", "list")
        self.assertEqual([r["code"] for r in rows], SEEDED)
        self.assertIn({"code": "KEY_CADRE", "label_vi": "cán bộ chủ chốt"}, rows)

        r = self.okj("target-group", "add", "LEGAL_TRAINING", nfd("bồi dưỡng pháp luật"))
        self.assertEqual(r, {"code": "LEGAL_TRAINING", "label_vi": "bồi dưỡng pháp luật",
                             "created": True})  # stored in NFC
        r = self.okj("target-group", "add", "LEGAL_TRAINING", "bồi dưỡng pháp luật")
        self.assertFalse(r["created"])
        self.assertEqual(len(self.okj("target-group", "list")), len(SEEDED) + 1)

        err = self.fails(EXIT_ALREADY_EXISTS, "target-group", "add", "LEGAL_TRAINING", "khác")
        self.assertIn("target_group.code", err)
        err = self.fails(EXIT_ALREADY_EXISTS, "target-group", "add", "OTHER_CODE",
                         "CÁN BỘ CHỦ CHỐT")
        self.assertIn("target_group.label_vi: already the label of KEY_CADRE", err)
        for bad in ("legal", "1ABC", "A", "A-B"):
            err = self.fails(EXIT_INVALID_ARGUMENT, "target-group", "add", bad, "nhãn")
            self.assertIn("target_group.code", err)
        err = self.fails(EXIT_INVALID_ARGUMENT, "target-group", "add", "NO_LABEL", "")
        self.assertIn("target_group.label_vi", err)
        self.assertEqual(len(self.okj("target-group", "list")), len(SEEDED) + 1)

    def test_classes_take_the_code_or_the_label(self):
        self.ok("target-group", "add", "LEGAL_TRAINING", "bồi dưỡng pháp luật")
        for ref, given in (("K1", "cán bộ chủ chốt"), ("K2", nfd("CÁN BỘ CHỦ CHỐT")),
                           ("K3", "key_cadre"), ("K4", "Bồi dưỡng pháp luật"),
                           ("K7", "can bo chu chot")):  # typed without accents
            rc, out, err = self.submit(ref, given)
            self.assertEqual(rc, 0, (given, err))
        self.assertEqual([self.group_of(r) for r in ("K1", "K2", "K3", "K4", "K7")],
                         ["KEY_CADRE", "KEY_CADRE", "KEY_CADRE", "LEGAL_TRAINING", "KEY_CADRE"])
        rc, out, err = self.submit("K5", "không có nhóm này")  # and with one accent wrong:
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        rc, out, err = self.submit("K5", "cán bộ chủ chót")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("target_group: not in the catalogue", err)

        # classes.csv with a label holding a comma, quoted as Excel does
        path = self.write("classes.csv", CLASS_HEADER +
                          'K6,tay-ho,Lớp K6,UPGRADE,LEADERSHIP,"nguồn Bí thư, Phó Bí thư",,'
                          "PART_TIME,2019-04-01,2019-04-20,10,5,ENDED\r\n")
        s = self.okj("import", path)
        self.assertEqual(s["created"], 1)
        self.assertEqual(self.group_of("K6"), "PLANNING_SECRETARY")

        # the list filter, by label or code
        for f in ("cán bộ chủ chốt", "KEY_CADRE", "key_cadre"):
            refs = sorted(c["class_ref"] for c in
                          self.okj("class", "list", "--target-group", f))
            self.assertEqual(refs, ["K1", "K2", "K3", "K7"], f)
        self.fails(EXIT_INVALID_ARGUMENT, "class", "list", "--target-group", "NOPE")


class TargetGroupRolesTest(AuthServerCase):
    def test_only_admin_adds(self):
        self.start_auth_server()
        a = nlserver.stubs().admin_pb2
        reg = nlserver.stubs().registry_pb2
        self.create_unit("hn", reg.CITY)
        district = self.create_token(a.ROLE_DISTRICT, "hn", "clerk")
        central = self.create_token(a.ROLE_CENTRAL, "", "central")
        for token, want in ((district, EXIT_PERMISSION_DENIED), (central, EXIT_PERMISSION_DENIED),
                            (self.admin, 0)):
            rc, out, err = nlcli.run_cli(self.srv.addr, "--output", "json", "target-group", "add",
                                         "NEW_GROUP", "nhóm mới", token=token)
            self.assertEqual(rc, want, err)
        rc, out, err = nlcli.run_cli(self.srv.addr, "--output", "json", "target-group", "list",
                                     token=district)
        self.assertEqual(rc, 0, err)
        self.assertIn("NEW_GROUP", [r["code"] for r in json.loads(out)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
