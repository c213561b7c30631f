"""test_classes.py - `nhanluc class submit|show|list|cancel` against the real server.

Each test starts its own nhanlucd (tests/support/nlserver.py) with a small
world made through the CLI: the city and two districts (`nhanluc unit add`),
two terms (`nhanluc term add`) and the cadres of the sample class
(`nhanluc cadre set`). The sample is tests/integration/data/class_hbt_2019.json,
a Hai Bà Trưng planning-source class of 2019 with four trainees, written with
a Vietnamese label and a DD/MM/YYYY date. Checked: create, exact replay,
update, `show --output json` fed back to `submit` (a replay), the list
filters and paging beyond one server page (classes loaded over gRPC with
stubs generated from records.proto), cancel, and the errors: malformed JSON
(exit 64), bad values and server refusals (exit 3) named by FILE:LINE:COL and
field path, with nothing written. Run by CTest (label integration); skips
when NHANLUC is unset or the cadre command does not exist yet.
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
SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "class_hbt_2019.json")
REF = "HBT-2019/QH-BCH-01"

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_NOT_FOUND, EXIT_USAGE, EXIT_NOINPUT = 0, 3, 5, 64, 66


def setUpModule():
    nlcli.require_nhanluc()
    p = subprocess.run([NHANLUC, "help", "cadre"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=CLI_TIMEOUT_S)
    if p.returncode != 0:
        raise unittest.SkipTest("`nhanluc cadre` does not exist yet: cannot create the trainees")


_records = None


def records_pb2():
    """records_pb2 generated once per process from proto/nhanluc/v1/records.proto."""
    global _records
    if _records is not None:
        return _records
    mod = nlserver.stubs().records_pb2
    _records = mod
    return mod


def line_of(path, text):
    """The number of the first line of file `path` that contains `text`."""
    with open(path, encoding="utf-8") as f:
        for i, ln in enumerate(f, 1):
            if text in ln:
                return i
    raise AssertionError("%r not in %s" % (text, path))


class ClassCliTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.tmp = tempfile.mkdtemp(prefix="nlclasses-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "hai-ba-trung", "Quận Hai Bà Trưng", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("term", "add", "2015-2020", "--kind", "party_congress")
        self.ok("term", "add", "2020-2025", "--kind", "party_congress")
        for i in range(1, 6):
            self.ok("cadre", "set", "HBT-%04d" % i, "--sex", "M", "--born", "1980")

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def sample(self):
        with open(SAMPLE, encoding="utf-8") as f:
            return json.load(f)

    def submit(self, path):
        return json.loads(self.ok("class", "submit", path))

    def refs(self, *filters):
        return [r["class_ref"] for r in json.loads(self.ok("class", "list", *filters))]

    def test_submit_show_replay_cancel(self):
        rec = self.submit(SAMPLE)
        self.assertEqual(rec, {"organiser_unit": "hai-ba-trung", "class_ref": REF,
                               "outcome": "CREATED", "enrolments_created": 4,
                               "enrolments_updated": 0, "enrolments_unchanged": 0})
        rec = self.submit(SAMPLE)
        self.assertEqual((rec["outcome"], rec["enrolments_created"], rec["enrolments_updated"],
                          rec["enrolments_unchanged"]), ("UNCHANGED", 0, 0, 4))

        # show --output json: the submitted document, normalised (codes, ISO dates, by cadre)
        doc = json.loads(self.ok("class", "show", "hai-ba-trung", REF))
        want = self.sample()
        want["class"].update(kind="UPGRADE", end_date="2019-06-28")
        self.assertEqual(doc["class"], want["class"])
        self.assertEqual([e["cadre_code"] for e in doc["enrolments"]],
                         ["HBT-0001", "HBT-0002", "HBT-0003", "HBT-0004"])
        by_code = {e["cadre_code"]: e for e in doc["enrolments"]}
        self.assertEqual(by_code["HBT-0003"], {
            "cadre_code": "HBT-0003", "status": "COMPLETED", "result": "VERY_GOOD",
            "attended": 16, "absent_excused": 0, "absent_unexcused": 0, "thesis_score": 8.5,
            "certificate_no": "HBT-2019/001"})
        self.assertEqual(by_code["HBT-0004"], {
            "cadre_code": "HBT-0004", "status": "WITHDREW", "attended": 3, "absent_excused": 0,
            "absent_unexcused": 0, "certificate_no": ""})

        # what show printed goes back in unchanged
        rec = self.submit(self.write("shown.json", json.dumps(doc, ensure_ascii=False)))
        self.assertEqual((rec["outcome"], rec["enrolments_unchanged"]), ("UNCHANGED", 4))

        # CSV: the enrolments.csv columns
        csv_out = self.ok("--output", "csv", "class", "show", "hai-ba-trung", REF)
        lines = csv_out.split("\r\n")
        self.assertEqual(lines[0], "class_ref,organiser_unit,cadre_code,status,result,attended,"
                                   "absent_excused,absent_unexcused,thesis_score,certificate_no")
        self.assertEqual(lines[1], REF + ",hai-ba-trung,HBT-0001,COMPLETED,EXCELLENT,15,1,0,"
                                         "9.25,HBT-2019/002")
        table = self.ok("--output", "table", "class", "show", "hai-ba-trung", REF)
        self.assertIn("PLANNING_COMMITTEE", table)
        self.assertIn("HBT-0004", table)

        rec = json.loads(self.ok("class", "cancel", "hai-ba-trung", REF))
        self.assertEqual((rec["status"], rec["outcome"]), ("CANCELLED", "UPDATED"))
        rec = json.loads(self.ok("class", "cancel", "hai-ba-trung", REF))
        self.assertEqual(rec["outcome"], "UNCHANGED")
        doc = json.loads(self.ok("class", "show", "hai-ba-trung", REF))
        self.assertEqual((doc["class"]["status"], len(doc["enrolments"])), ("CANCELLED", 4))

        self.fails(EXIT_NOT_FOUND, "class", "show", "hai-ba-trung", "NO-SUCH")
        self.fails(EXIT_NOT_FOUND, "class", "cancel", "tay-ho", REF)

    def test_update_and_add_trainees(self):
        self.submit(SAMPLE)
        doc = self.sample()
        doc["class"]["planned_trainees"] = 85
        doc["enrolments"][2]["absent_unexcused"] = 3  # HBT-0002
        doc["enrolments"].append({"cadre_code": "HBT-0005", "status": "ENROLLED"})
        rec = self.submit(self.write("update.json", json.dumps(doc, ensure_ascii=False)))
        self.assertEqual((rec["outcome"], rec["enrolments_created"], rec["enrolments_updated"],
                          rec["enrolments_unchanged"]), ("UPDATED", 1, 1, 3))

        # a document listing one trainee leaves the others in place
        doc["enrolments"] = doc["enrolments"][:1]
        rec = self.submit(self.write("one.json", json.dumps(doc, ensure_ascii=False)))
        self.assertEqual((rec["outcome"], rec["enrolments_unchanged"]), ("UNCHANGED", 1))
        shown = json.loads(self.ok("class", "show", "hai-ba-trung", REF))
        self.assertEqual(shown["class"]["planned_trainees"], 85)
        self.assertEqual(len(shown["enrolments"]), 5)
        self.assertEqual([e["absent_unexcused"] for e in shown["enrolments"]
                          if e["cadre_code"] == "HBT-0002"], [3])

    def test_list_filters(self):
        self.submit(SAMPLE)
        doc = self.sample()
        doc["class"].update(class_ref="TH-2020/01", organiser_unit="tay-ho",
                            start_date="2020-01-01", end_date="2020-01-01", kind="DEGREE",
                            area="ngoại ngữ", target_group="CIVIL_SERVANT", status="RUNNING",
                            planning_term="")
        doc["enrolments"] = []
        self.submit(self.write("th.json", json.dumps(doc, ensure_ascii=False)))

        rows = json.loads(self.ok("class", "list"))
        self.assertEqual([(r["end_date"], r["organiser_unit"], r["class_ref"], r["enrolments"])
                          for r in rows],
                         [("2019-06-28", "hai-ba-trung", REF, 4),
                          ("2020-01-01", "tay-ho", "TH-2020/01", 0)])
        self.assertEqual(rows[0]["kind"], "UPGRADE")
        self.assertEqual(rows[1]["area"], "FOREIGN_LANGUAGE")

        self.assertEqual(self.refs("--unit", "ha-noi"), [REF, "TH-2020/01"])
        self.assertEqual(self.refs("--unit", "tay-ho"), ["TH-2020/01"])
        self.assertEqual(self.refs("--term", "2015-2020"), [REF])
        self.assertEqual(self.refs("--term", "2020-2025"), ["TH-2020/01"])
        self.assertEqual(self.refs("--year", "2019"), [REF])
        self.assertEqual(self.refs("--kind", "đào tạo"), ["TH-2020/01"])
        self.assertEqual(self.refs("--area", "LEADERSHIP"), [REF])
        self.assertEqual(self.refs("--target-group", "PLANNING_COMMITTEE"), [REF])
        self.assertEqual(self.refs("--status", "RUNNING", "--unit", "tay-ho"), ["TH-2020/01"])
        self.assertEqual(self.refs("--status", "CANCELLED"), [])

        csv_out = self.ok("--output", "csv", "class", "list", "--unit", "hai-ba-trung")
        self.assertTrue(csv_out.startswith("end_date,organiser_unit,class_ref,title,"))

        self.fails(EXIT_NOT_FOUND, "class", "list", "--unit", "dong-da")
        self.fails(EXIT_NOT_FOUND, "class", "list", "--term", "2030-2035")
        self.fails(EXIT_INVALID_ARGUMENT, "class", "list", "--target-group", "NOBODY")
        self.fails(EXIT_USAGE, "class", "list", "--kind", "NOPE")
        self.fails(EXIT_USAGE, "class", "list", "--year", "20x9")

    def test_list_follows_pages(self):
        pb = records_pb2()
        import grpc

        n = 1003
        with grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
            submit = ch.unary_unary("/nhanluc.v1.Records/SubmitClass",
                                    request_serializer=pb.SubmitClassRequest.SerializeToString,
                                    response_deserializer=pb.SubmitClassResponse.FromString)
            futures = []
            for i in range(n):
                day = "2019-%02d-%02d" % (1 + i % 12, 1 + i % 28)
                req = pb.SubmitClassRequest(training_class=pb.TrainingClass(
                    class_ref="P-%04d" % i, organiser_unit="tay-ho" if i % 2 else "hai-ba-trung",
                    title="Lớp %d" % i, kind=pb.TRAINING_KIND_BRIEFING, area=pb.AREA_IT,
                    target_group="CIVIL_SERVANT", mode=pb.CLASS_MODE_ONLINE, start_date=day,
                    end_date=day, sessions=1, status=pb.CLASS_STATUS_ENDED))
                futures.append(submit.future(req, timeout=60))
            for f in futures:
                self.assertEqual(f.result().outcome, pb.CREATED)

        rows = json.loads(self.ok("class", "list"))
        self.assertEqual(len(rows), n)
        keys = [(r["end_date"], r["organiser_unit"], r["class_ref"]) for r in rows]
        self.assertEqual(keys, sorted(keys))
        self.assertEqual(len(set(keys)), n)
        self.assertEqual(len(self.refs("--unit", "tay-ho")), n // 2)

    def test_bad_files(self):
        # malformed JSON: exit 64 with the file, line and column
        path = self.write("broken.json", '{"class": {\n  "class_ref": "X",\n  "kind": ,\n}}')
        err = self.fails(EXIT_USAGE, "class", "submit", path)
        self.assertIn(path + ":3:11:", err)

        # a bad value: exit 3 naming its place and field
        doc = self.sample()
        doc["enrolments"][1]["status"] = "GRADUATED"
        path = self.write("badenum.json", json.dumps(doc, ensure_ascii=False, indent=1))
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit", path)
        self.assertIn("%s:%d:" % (path, line_of(path, "GRADUATED")), err)
        self.assertIn("enrolments[1].status: unknown value 'GRADUATED'", err)

        doc = self.sample()
        doc["class"]["start_date"] = "2019-13-01"
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit",
                         self.write("baddate.json", json.dumps(doc)))
        self.assertIn("class.start_date: not a date", err)

        doc = self.sample()
        doc["enrolments"][0]["atended"] = 3
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit",
                         self.write("typo.json", json.dumps(doc)))
        self.assertIn("enrolments[0].atended: unknown field", err)

        # refused by the server: exit 3, its field path mapped back into the file
        doc = self.sample()
        doc["enrolments"][2]["attended"] = 12  # 12 + 2 + 4 > 16 sessions
        path = self.write("toomany.json", json.dumps(doc, ensure_ascii=False, indent=1))
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit", path)
        self.assertIn("%s:%d:" % (path, line_of(path, '"attended": 12')), err)
        self.assertIn("enrolments[2].attended: attended + absent_excused + absent_unexcused", err)

        doc = self.sample()
        doc["enrolments"][3]["cadre_code"] = "HBT-9999"
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit",
                         self.write("nocadre.json", json.dumps(doc)))
        self.assertIn("enrolments[3].cadre_code: no such cadre", err)

        doc = self.sample()
        doc["class"]["title"] = "A\tB"
        err = self.fails(EXIT_INVALID_ARGUMENT, "class", "submit",
                         self.write("tab.json", json.dumps(doc)))
        self.assertIn("training_class.title:", err)

        # nothing of all that was written
        self.assertEqual(json.loads(self.ok("class", "list")), [])

        self.fails(EXIT_NOINPUT, "class", "submit", os.path.join(self.tmp, "missing.json"))
        self.fails(EXIT_USAGE, "class", "submit")
        self.fails(EXIT_USAGE, "class", "show", "hai-ba-trung")
        self.fails(EXIT_USAGE, "class")
        self.fails(EXIT_USAGE, "class", "frobnicate")


if __name__ == "__main__":
    unittest.main(verbosity=2)
