"""test_cadres.py - `nhanluc cadre set|show|list` against the real server.

Each test starts its own nhanlucd (tests/support/nlserver.py) with a small
unit tree (city > district > ward, made with `nhanluc unit add`) and drives
the CLI as a subprocess: versioned profiles, Vietnamese labels on the flags
and bare codes in the output, as-of listing over a subtree, paging (cadres
loaded over gRPC with stubs generated from records.proto), usage errors
(exit 64) and server-side validation (exit 3 naming the field). Run by CTest
(label integration); skips when NHANLUC is unset.
"""

import json
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


_records = None


def records_pb2():
    """records_pb2 generated once per process from proto/nhanluc/v1/records.proto."""
    global _records
    if _records is not None:
        return _records
    mod = nlserver.stubs().records_pb2
    _records = mod
    return mod


class CadreCliTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "hoan-kiem", "Quận Hoàn Kiếm", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "phuc-tan", "Phường Phúc Tân", "--kind", "ward",
                "--parent", "hoan-kiem")
        self.ok("unit", "add", "ba-dinh", "Quận Ba Đình", "--kind", "urban_district",
                "--parent", "ha-noi")

    def test_set_show_with_vietnamese_labels(self):
        # decomposed name and labels, DD/MM/YYYY date: stored composed, printed as codes
        name = unicodedata.normalize("NFD", "Nguyễn Thị Hoa")
        out = self.ok("cadre", "set", "HK-001", "--sex", "Nữ", "--born", "1980", "--name", name,
                      "--unit", "phuc-tan", "--as-of", "01/07/2020", "--title", "Bí thư",
                      "--key-cadre", "có", "--level", "cấp xã", "--mgmt", "khác",
                      "--education", unicodedata.normalize("NFD", "Thạc sĩ"),
                      "--theory", "Trung cấp", "--state-mgmt", "chuyên viên")
        rec = json.loads(out)
        self.assertEqual(rec, {
            "cadre_code": "HK-001", "full_name": "Nguyễn Thị Hoa", "sex": "FEMALE",
            "birth_year": 1980, "unit": "phuc-tan", "position_title": "Bí thư",
            "key_cadre": True, "level": "COMMUNE", "mgmt_category": "OTHER",
            "education": "MASTER", "political_theory": "INTERMEDIATE", "state_mgmt": "OFFICER",
            "as_of": "2020-07-01", "valid_to": "", "outcome": "CREATED"})

        # the same again, with codes instead of labels: a replay
        out = self.ok("cadre", "set", "HK-001", "--sex", "F", "--born", "1980",
                      "--unit", "phuc-tan", "--as-of", "2020-07-01", "--title", "Bí thư",
                      "--key-cadre", "yes", "--level", "COMMUNE", "--mgmt", "OTHER",
                      "--education", "MASTER", "--theory", "INTERMEDIATE",
                      "--state-mgmt", "OFFICER")
        self.assertEqual(json.loads(out)["outcome"], "UNCHANGED")

        # a new as_of opens a version and closes the first
        out = self.ok("cadre", "set", "HK-001", "--sex", "F", "--born", "1980",
                      "--unit", "hoan-kiem", "--as-of", "2023-01-01", "--key-cadre", "no",
                      "--level", "DISTRICT", "--mgmt", "DISTRICT_STANDING",
                      "--education", "Tiến sĩ", "--theory", "Cao cấp", "--state-mgmt", "Cao cấp")
        rec = json.loads(out)
        self.assertEqual((rec["outcome"], rec["education"], rec["political_theory"],
                          rec["state_mgmt"], rec["valid_to"]),
                         ("CREATED", "DOCTOR", "ADVANCED", "SENIOR", ""))

        rows = json.loads(self.ok("cadre", "show", "HK-001"))
        self.assertEqual([(r["unit"], r["as_of"], r["valid_to"]) for r in rows],
                         [("phuc-tan", "2020-07-01", "2022-12-31"),
                          ("hoan-kiem", "2023-01-01", "")])
        self.assertTrue(all(r["full_name"] == "Nguyễn Thị Hoa" for r in rows))

        table = self.ok("--output", "table", "cadre", "show", "HK-001")
        self.assertIn("Nguyễn Thị Hoa", table)
        self.assertIn("MASTER", table)
        self.assertIn("DOCTOR", table)

        # the cadre alone: birth year corrected, profile untouched
        rec = json.loads(self.ok("cadre", "set", "HK-001", "--sex", "Nữ", "--born", "1981"))
        self.assertEqual((rec["outcome"], rec["birth_year"], rec["full_name"]),
                         ("UPDATED", 1981, "Nguyễn Thị Hoa"))
        self.assertNotIn("unit", rec)
        self.assertEqual(len(json.loads(self.ok("cadre", "show", "HK-001"))), 2)
        # no personal value in the server's log (it runs at debug level)
        log = self.srv.stderr_text()
        self.assertNotIn("Nguy", log)
        self.assertNotIn("Bí thư", log)

    def test_list_as_of_and_subtree(self):
        base = ["--sex", "M", "--born", "1970"] + PROFILE_FLAGS
        self.ok("cadre", "set", "a1", *base, "--unit", "phuc-tan", "--as-of", "2020-01-01")
        self.ok("cadre", "set", "b1", *base, "--unit", "ba-dinh", "--as-of", "2020-01-01")
        self.ok("cadre", "set", "c1", *base, "--unit", "hoan-kiem", "--as-of", "2020-01-01")
        self.ok("cadre", "set", "c1", *base, "--unit", "ba-dinh", "--as-of", "2022-05-01")
        self.ok("cadre", "set", "d1", "--sex", "M", "--born", "1970")  # no profile

        def codes(*args):
            return [r["cadre_code"] for r in json.loads(self.ok("cadre", "list", *args))]

        self.assertEqual(codes("--unit", "hoan-kiem", "--as-of", "2022-04-30"), ["a1", "c1"])
        self.assertEqual(codes("--unit", "hoan-kiem", "--as-of", "01/05/2022"), ["a1"])
        self.assertEqual(codes("--unit", "ba-dinh", "--as-of", "2022-05-01"), ["b1", "c1"])
        self.assertEqual(codes("--unit", "ha-noi", "--as-of", "2021-01-01"), ["a1", "b1", "c1"])
        self.assertEqual(codes("--as-of", "2019-12-31"), [])
        self.assertEqual(codes(), ["a1", "b1", "c1"])
        rows = json.loads(self.ok("cadre", "list", "--unit", "ba-dinh"))
        self.assertEqual(rows[1]["as_of"], "2022-05-01")
        self.assertEqual(rows[1]["education"], "UNIVERSITY")

        err = self.fails(EXIT_NOT_FOUND, "cadre", "list", "--unit", "nowhere")
        self.assertIn("unit not found", err)
        self.fails(EXIT_USAGE, "cadre", "list", "--as-of", "yesterday")

    def test_list_follows_pages(self):
        import grpc

        pb = records_pb2()
        n = 1003
        with grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
            upsert = ch.unary_unary("/nhanluc.v1.Records/UpsertCadre",
                                    request_serializer=pb.UpsertCadreRequest.SerializeToString,
                                    response_deserializer=pb.UpsertCadreResponse.FromString)
            futures = []
            for i in range(n):
                req = pb.UpsertCadreRequest(
                    cadre=pb.Cadre(cadre_code="p%04d" % i, sex=pb.SEX_MALE, birth_year=1970),
                    profile=pb.CadreProfile(unit="phuc-tan", as_of="2020-01-01",
                                            level=pb.LEVEL_COMMUNE, mgmt_category=pb.MGMT_CATEGORY_OTHER,
                                            education=pb.EDUCATION_UNIVERSITY,
                                            political_theory=pb.POLITICAL_THEORY_ELEMENTARY,
                                            state_mgmt=pb.STATE_MGMT_NONE))
                futures.append(upsert.future(req, timeout=60))
                if len(futures) == 64:
                    for f in futures:
                        self.assertEqual(f.result().outcome, pb.CREATED)
                    futures = []
            for f in futures:
                self.assertEqual(f.result().outcome, pb.CREATED)
        rows = json.loads(self.ok("cadre", "list", "--unit", "hoan-kiem", "--as-of", "2024-01-01"))
        self.assertEqual([r["cadre_code"] for r in rows], ["p%04d" % i for i in range(n)])

    def test_usage_errors_exit_64(self):
        err = self.fails(EXIT_USAGE, "cadre", "set", "x1", "--sex", "F", "--born", "1980",
                         "--bogus", "1")
        self.assertIn("bogus", err)
        err = self.fails(EXIT_USAGE, "cadre", "set", "x1", "--sex", "F", "--born", "1980",
                         "--unit", "phuc-tan", "--as-of", "2020-01-01", "--education", "giỏi")
        self.assertIn("--education", err)
        self.assertIn("MASTER", err)
        self.fails(EXIT_USAGE, "cadre", "set", "x1", "--sex", "X", "--born", "1980")
        self.fails(EXIT_USAGE, "cadre", "set", "x1", "--sex", "F", "--born", "nineteen")
        self.fails(EXIT_USAGE, "cadre", "set", "x1", "--born", "1980")
        self.fails(EXIT_USAGE, "cadre", "set", "--sex", "F", "--born", "1980")
        self.fails(EXIT_USAGE, "cadre", "set", "x1", "--sex", "F", "--born", "1980",
                   "--as-of", "2020-02-30")
        self.fails(EXIT_USAGE, "cadre", "frobnicate")
        self.fails(EXIT_USAGE, "cadre")
        # nothing reached the server
        self.fails(EXIT_NOT_FOUND, "cadre", "show", "x1")

    def test_bad_values_exit_3_naming_the_field(self):
        cases = [
            (["x1", "--sex", "F", "--born", "1900"], "cadre.birth_year"),
            (["x y", "--sex", "F", "--born", "1980"], "cadre.cadre_code"),
            (["x1", "--sex", "F", "--born", "1980", "--name", "a" * 201], "cadre.full_name"),
            (["x1", "--sex", "F", "--born", "1980", "--unit", "phuc-tan"], "profile.as_of"),
            (["x1", "--sex", "F", "--born", "1980", "--unit", "nowhere", "--as-of",
              "2020-01-01"] + PROFILE_FLAGS, "profile.unit"),
            (["x1", "--sex", "F", "--born", "1980", "--unit", "phuc-tan", "--as-of",
              "2020-01-01", "--level", "COMMUNE"], "profile.mgmt_category"),
            (["x1", "--sex", "F", "--born", "1980", "--unit", "phuc-tan", "--as-of",
              "2020-01-01", "--title", "a\tb"] + PROFILE_FLAGS, "profile.position_title"),
        ]
        for args, field in cases:
            err = self.fails(EXIT_INVALID_ARGUMENT, "cadre", "set", *args)
            self.assertIn(field, err)
            self.assertIn("INVALID_ARGUMENT", err)
        # a refused request stored nothing
        err = self.fails(EXIT_NOT_FOUND, "cadre", "show", "x1")
        self.assertIn("cadre not found", err)


if __name__ == "__main__":
    unittest.main()
