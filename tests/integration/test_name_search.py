"""test_name_search.py - finding units and cadres by name against the real server.

`nhanluc unit list --name TEXT` (Registry.ListUnits.name) and `nhanluc cadre
list --name TEXT` (Records.ListCadres.name) keep the units and cadres whose
name contains TEXT, ignoring letter case and whether Vietnamese was typed
composed (NFC) or decomposed (NFD). A query with accents must match them; one
typed without any ("thanh tri", "nguyen") matches whatever the accents (đ
read as d), as Vietnamese is often typed without an input method. The filter pages
like the unfiltered list, is validated (INVALID_ARGUMENT naming `name`),
and, full_name being personal data, never appears in the server's log.
Each test starts its own nhanlucd (tests/support/nlserver.py) at log level
debug. Run by CTest (label integration); skips when NHANLUC is unset.
"""

import json
import os
import sys
import unicodedata
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

RPC_TIMEOUT_S = 30
MAX_PAGES = 100  # bound on any paging loop here

EXIT_OK, EXIT_INVALID_ARGUMENT = 0, 3


def nfd(s):
    return unicodedata.normalize("NFD", s)


def setUpModule():
    nlcli.require_nhanluc()


class NameSearchTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "thanh-tri", "Huyện Thanh Trì", "--kind", "rural_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "hoan-kiem", "Quận Hoàn Kiếm", "--kind", "urban_district",
                "--parent", "ha-noi")
        self.ok("unit", "add", "quang-an", "Phường Quảng An", "--kind", "ward",
                "--parent", "tay-ho")

    # --- helpers ---

    def unit_codes(self, *args):
        return [u["code"] for u in json.loads(self.ok("unit", "list", *args))]

    def cadre_codes(self, *args):
        return [c["cadre_code"] for c in json.loads(self.ok("cadre", "list", *args))]

    def set_cadre(self, code, name, unit):
        self.ok("cadre", "set", code, "--sex", "F", "--born", "1980", "--name", name,
                "--unit", unit, "--as-of", "2020-01-01", "--level", "DISTRICT",
                "--mgmt", "DISTRICT_STANDING", "--education", "UNIVERSITY",
                "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER")

    def channel(self):
        import grpc
        return grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)

    # --- units ---

    def test_unit_list_by_name_any_case_or_form(self):
        for query in ["Tây Hồ", nfd("Tây Hồ"), "TÂY HỒ", nfd("TÂY HỒ"), "tây hồ", "Ồ"]:
            self.assertEqual(self.unit_codes("--name", query), ["tay-ho"], query)
        self.assertEqual(self.unit_codes("--name", nfd("THANH TRÌ")), ["thanh-tri"])
        self.assertEqual(self.unit_codes("--name", nfd("quận")), ["hoan-kiem", "tay-ho"])
        # with --parent: only its matching children
        self.assertEqual(self.unit_codes("--parent", "ha-noi", "--name", "QUẬN"),
                         ["hoan-kiem", "tay-ho"])
        self.assertEqual(self.unit_codes("--parent", "tay-ho", "--name", "quận"), [])
        # typed without accents: any accents match; with accents, they count
        self.assertEqual(self.unit_codes("--name", "Tay Ho"), ["tay-ho"])
        self.assertEqual(self.unit_codes("--name", "thanh tri"), ["thanh-tri"])
        self.assertEqual(self.unit_codes("--name", "Tây Ho"), [])
        self.assertEqual(self.unit_codes("--name", "thành trì"), [])
        # a name that matches nothing is an empty list
        self.assertEqual(self.unit_codes("--name", "Cầu Giấy"), [])
        self.assertEqual(self.unit_codes("--name", "Cau Giay"), [])
        # an empty filter is no filter
        self.assertEqual(len(self.unit_codes("--name", "")), 5)

    def test_unit_list_by_name_pages(self):
        pb = nlserver.stubs().registry_pb2
        want = []
        with self.channel() as ch:
            create = ch.unary_unary("/nhanluc.v1.Registry/CreateUnit",
                                    request_serializer=pb.CreateUnitRequest.SerializeToString,
                                    response_deserializer=pb.CreateUnitResponse.FromString)
            for i in range(30):
                east = i % 3 != 0
                code = "w%02d" % i
                name = ("Phường Đông Ngạc %d" if east else "Phường Xuân Đỉnh %d") % i
                create(pb.CreateUnitRequest(unit=pb.Unit(code=code, name=name, kind=pb.WARD,
                                                         parent="tay-ho")),
                       timeout=RPC_TIMEOUT_S)
                if east:
                    want.append(code)
            list_units = ch.unary_unary("/nhanluc.v1.Registry/ListUnits",
                                        request_serializer=pb.ListUnitsRequest.SerializeToString,
                                        response_deserializer=pb.ListUnitsResponse.FromString)
            got, token, pages = [], "", 0
            for _ in range(MAX_PAGES):
                resp = list_units(pb.ListUnitsRequest(name=nfd("ĐÔNG NGẠC"), page_size=7,
                                                      page_token=token), timeout=RPC_TIMEOUT_S)
                self.assertLessEqual(len(resp.units), 7)
                got += [u.code for u in resp.units]
                pages += 1
                token = resp.next_page_token
                if not token:
                    break
            self.assertEqual(got, want)
            self.assertEqual(pages, 3)  # 20 rows: 7 + 7 + 6
        # the CLI follows the pages too, with --parent
        self.assertEqual(self.unit_codes("--parent", "tay-ho", "--name", "đông ngạc"), want)

    # --- cadres ---

    def test_cadre_list_by_name_any_case_or_form(self):
        self.set_cadre("C1", "Nguyễn Thị Hà", "tay-ho")
        self.set_cadre("C2", "Nguyễn Văn Hải", "thanh-tri")
        self.set_cadre("C3", nfd("Trần Thị Hà"), "quang-an")  # stored NFC all the same
        self.set_cadre("C4", "Lê Hà", "hoan-kiem")
        for query in [nfd("Nguyễn Thị Hà"), nfd("NGUYỄN THỊ HÀ"), "nguyễn thị hà"]:
            self.assertEqual(self.cadre_codes("--name", query), ["C1"], query)
        self.assertEqual(self.cadre_codes("--name", "THỊ HÀ"), ["C1", "C3"])
        self.assertEqual(self.cadre_codes("--name", nfd("nguyễn")), ["C1", "C2"])
        self.assertEqual(self.cadre_codes("--name", "hà"), ["C1", "C3", "C4"])
        # with --unit: the subtree's matching cadres only
        self.assertEqual(self.cadre_codes("--unit", "tay-ho", "--name", "HÀ"), ["C1", "C3"])
        # typed without accents: whatever the accents
        self.assertEqual(self.cadre_codes("--name", "Nguyen"), ["C1", "C2"])
        self.assertEqual(self.cadre_codes("--name", "thi ha"), ["C1", "C3"])
        self.assertEqual(self.cadre_codes("--name", "NGUYEN VAN HAI"), ["C2"])
        # with accents, they count; no match is an empty list
        self.assertEqual(self.cadre_codes("--name", "Nguyễn Thi"), [])
        self.assertEqual(self.cadre_codes("--name", "Phạm"), [])

    def test_cadre_list_by_name_pages(self):
        pb = nlserver.stubs().records_pb2
        want = []
        with self.channel() as ch:
            upsert = ch.unary_unary("/nhanluc.v1.Records/UpsertCadre",
                                    request_serializer=pb.UpsertCadreRequest.SerializeToString,
                                    response_deserializer=pb.UpsertCadreResponse.FromString)
            for i in range(25):
                match = i % 2 == 0
                code = "K%03d" % i
                name = "Đỗ Thị Hương %d" % i if match else "Đinh Văn Hùng %d" % i
                upsert(pb.UpsertCadreRequest(
                    cadre=pb.Cadre(cadre_code=code, full_name=name, sex=pb.SEX_FEMALE,
                                   birth_year=1975),
                    profile=pb.CadreProfile(unit="quang-an", as_of="2020-01-01",
                                            level=pb.LEVEL_COMMUNE,
                                            mgmt_category=pb.MGMT_CATEGORY_OTHER,
                                            education=pb.EDUCATION_UNIVERSITY,
                                            political_theory=pb.POLITICAL_THEORY_ELEMENTARY,
                                            state_mgmt=pb.STATE_MGMT_NONE)),
                    timeout=RPC_TIMEOUT_S)
                if match:
                    want.append(code)
            list_cadres = ch.unary_unary("/nhanluc.v1.Records/ListCadres",
                                         request_serializer=pb.ListCadresRequest.SerializeToString,
                                         response_deserializer=pb.ListCadresResponse.FromString)
            for unit in ["", "tay-ho"]:
                got, token = [], ""
                for _ in range(MAX_PAGES):
                    resp = list_cadres(pb.ListCadresRequest(unit=unit, name=nfd("ĐỖ THỊ HƯƠNG"),
                                                            page_size=4, page_token=token),
                                       timeout=RPC_TIMEOUT_S)
                    self.assertLessEqual(len(resp.cadres), 4)
                    got += [c.cadre.cadre_code for c in resp.cadres]
                    token = resp.next_page_token
                    if not token:
                        break
                self.assertEqual(got, want, unit)
        self.assertEqual(self.cadre_codes("--name", "đỗ thị hương"), want)

    # --- validation and privacy ---

    def test_bad_name_is_invalid_argument(self):
        import grpc

        reg = nlserver.stubs().registry_pb2
        rec = nlserver.stubs().records_pb2
        with self.channel() as ch:
            list_units = ch.unary_unary("/nhanluc.v1.Registry/ListUnits",
                                        request_serializer=reg.ListUnitsRequest.SerializeToString,
                                        response_deserializer=reg.ListUnitsResponse.FromString)
            list_cadres = ch.unary_unary(
                "/nhanluc.v1.Records/ListCadres",
                request_serializer=rec.ListCadresRequest.SerializeToString,
                response_deserializer=rec.ListCadresResponse.FromString)
            for call, req in [(list_units, reg.ListUnitsRequest),
                              (list_cadres, rec.ListCadresRequest)]:
                for bad in ["Hà\tNội", "x\x7f", "é" * 101]:  # a control, DEL, 202 bytes
                    with self.assertRaises(grpc.RpcError) as cm:
                        call(req(name=bad), timeout=RPC_TIMEOUT_S)
                    self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
                    self.assertTrue(cm.exception.details().startswith("name: "),
                                    cm.exception.details())
                    self.assertNotIn(bad, cm.exception.details())
                # 200 bytes exactly is accepted
                self.assertEqual(len(call(req(name="é" * 100), timeout=RPC_TIMEOUT_S)
                                     .ListFields()), 0)
        rc, out, err = self.cli("cadre", "list", "--name", "a\x01b")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("name", err)
        rc, out, err = self.cli("unit", "list", "--name", "a\x01b")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)

    def test_name_never_logged(self):
        secret = "Vương Thị Xuyến"
        self.set_cadre("S1", secret, "tay-ho")
        for query in [secret, nfd(secret.upper()), "Xuyến"]:
            self.assertEqual(self.cadre_codes("--name", query), ["S1"])
            self.assertEqual(self.unit_codes("--name", query), [])
        self.cli("cadre", "list", "--name", "Xuyến\x01")  # refused: its message is checked above
        log = self.srv.stderr_text()
        self.assertIn("ListCadres", log)  # the calls were logged (level debug) ...
        for form in [secret, nfd(secret), secret.upper(), nfd(secret.upper()), secret.lower(),
                     "Xuyến", nfd("Xuyến"), "xuyến"]:
            self.assertNotIn(form, log)  # ... without the name searched for


if __name__ == "__main__":
    unittest.main()
