#!/usr/bin/python3
"""`nhanluc indicator|report|query` against a stock grpcio Indicators server.

A grpcio server on 127.0.0.1:0 implements nhanluc.v1.Indicators with canned
answers set per test; the real CLI runs as a subprocess. The tests hold the
CLI to the issue 4 contract: the exact JSON keys of a row, numbers printed with
the server's decimal digits (41.4, 1.98, 187), null for counts' denominators
and zero denominators, target objects, met as true/false/null, the group
object only with --by, ✓/✗ in a table; what the request carried (periods,
normalised dates, Vietnamese filter labels mapped to bare codes); and usage
errors (64) that never reach the server.

Environment: NHANLUC (path of the binary, required), NL_PROTO_DIR, and
NHANLUC_VALGRIND (path of valgrind): every CLI run is then wrapped in
valgrind --leak-check=full, a leak or memory error exiting 99.
Run with Debian's /usr/bin/python3 (it sees python3-grpcio).
"""

import concurrent.futures
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NHANLUC = os.environ.get("NHANLUC", "")
PROTO_DIR = os.environ.get("NL_PROTO_DIR", os.path.join(HERE, "..", "..", "proto"))
VALGRIND = os.environ.get("NHANLUC_VALGRIND", "")
WRAPPER = [VALGRIND, "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
           "--error-exitcode=99", "--track-fds=no"] if VALGRIND else []

grpc = None
pb = pb_grpc = None
_stub_dir = None

ROW_KEYS = ["code", "unit", "period", "as_of", "numerator", "denominator", "value", "target",
            "met"]


def setUpModule():
    global grpc, pb, pb_grpc, _stub_dir
    if not NHANLUC or not os.access(NHANLUC, os.X_OK):
        raise unittest.SkipTest("NHANLUC does not name an executable")
    import grpc as _grpc

    grpc = _grpc
    plugin = shutil.which("grpc_python_plugin")
    if plugin is None:
        raise RuntimeError("grpc_python_plugin not found (protobuf-compiler-grpc)")
    _stub_dir = tempfile.mkdtemp(prefix="nl-ind-stubs-")
    subprocess.run(
        ["protoc", "-I" + PROTO_DIR, "--python_out=" + _stub_dir, "--grpc_out=" + _stub_dir,
         "--plugin=protoc-gen-grpc=" + plugin, "nhanluc/v1/indicators.proto"],
        check=True, timeout=60)
    sys.path.insert(0, _stub_dir)
    from nhanluc.v1 import indicators_pb2 as p, indicators_pb2_grpc as pg

    pb, pb_grpc = p, pg


def tearDownModule():
    if _stub_dir:
        shutil.rmtree(_stub_dir, ignore_errors=True)


class Recorder:
    """Per-test handlers and the requests the server received."""

    def __init__(self):
        self.lock = threading.Lock()
        self.handlers = {}
        self.calls = []

    def reset(self):
        with self.lock:
            self.handlers = {}
            self.calls = []

    def dispatch(self, method, request, context):
        with self.lock:
            self.calls.append((method, request))
            h = self.handlers.get(method)
        if h is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "no handler for " + method)
        return h(request, context)

    def of(self, method):
        with self.lock:
            return [c[1] for c in self.calls if c[0] == method]


def make_servicer(rec):
    class Indicators(pb_grpc.IndicatorsServicer):
        pass

    for name in ("ListIndicators", "ShowIndicator", "CompareIndicator", "GetReport", "Query",
                 "SetTarget", "ListTargets", "DeleteTarget"):
        setattr(Indicators, name,
                (lambda m: lambda self, req, ctx: rec.dispatch(m, req, ctx))(name))
    return Indicators()


def value(code, unit="ha-noi", period="2015-2020", as_of="2019-12-31", num=0, den=None,
          val=None, kind=None, target=None, met=0, group=None, term="2015-2020"):
    """An IndicatorValue; den None = a count, val None = no value."""
    v = pb.IndicatorValue(code=code, unit=unit, period=period, as_of=as_of, numerator=num,
                          value_kind=kind or pb.VALUE_KIND_PERCENT, met=met, term=term)
    if den is not None:
        v.has_denominator = True
        v.denominator = den
    if val is not None:
        v.has_value = True
        v.value = val
    if target is not None:
        v.target.CopyFrom(pb.Target(indicator=code, op=target[0], value=target[1], term=term))
    for dim, dv in (group or []):
        v.group.add(dimension=dim, value=dv)
    return v


def row(code, unit, period, as_of, num, den, val, target, met, **extra):
    d = {"code": code, "unit": unit, "period": period, "as_of": as_of, "numerator": num,
         "denominator": den, "value": val, "target": target, "met": met}
    d.update(extra)
    return d


class IndicatorCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder()
        cls.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_IndicatorsServicer_to_server(make_servicer(cls.rec), cls.server)
        cls.port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.addr = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(grace=None).wait(10)

    def setUp(self):
        self.rec.reset()

    def run_cli(self, *args):
        e = dict(os.environ)
        e.pop("NHANLUC_SERVER", None)
        p = subprocess.run(WRAPPER + [NHANLUC, "--server", self.addr] + list(args),
                           capture_output=True, timeout=120, env=e)
        p.out = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8")
        return p

    def assertExit(self, p, code):
        self.assertEqual(p.returncode, code, "exit %d, expected %d\nstdout: %s\nstderr: %s"
                         % (p.returncode, code, p.out, p.err))

    def json_of(self, *args):
        p = self.run_cli(*args, "--output", "json")
        self.assertExit(p, 0)
        self.assertEqual(p.err, "")
        return p, json.loads(p.out)

    # --- indicator show -----------------------------------------------------

    def test_show_json_rows_have_exactly_the_contract_keys(self):
        answers = {
            "postgraduate_share": [value("postgraduate_share", num=126, den=300, val="42.0",
                                         target=(">=", "35"), met=pb.MET_YES)],
            "advanced_theory_share": [value("advanced_theory_share", num=291, den=300, val="97.0",
                                            target=("=", "100"), met=pb.MET_NO)],
            "classes": [value("classes", unit="tay-ho", num=187, val="187",
                              kind=pb.VALUE_KIND_COUNT)],
            "planning_coefficient": [value("planning_coefficient", num=164, den=83, val="1.98",
                                           kind=pb.VALUE_KIND_COEFFICIENT, period="2020-2025",
                                           as_of="2024-12-31")],
            "committee_women_share": [value("committee_women_share", unit="thanh-tri", num=0,
                                            den=0)],
            "attendance_rate": [value("attendance_rate", num=414, den=1000, val="41.4")],
        }
        self.rec.handlers["ShowIndicator"] = lambda req, ctx: pb.ShowIndicatorResponse(
            values=answers[req.code])
        expect = {
            "postgraduate_share": row("postgraduate_share", "ha-noi", "2015-2020", "2019-12-31",
                                      126, 300, 42.0, {"op": ">=", "value": 35}, True),
            "advanced_theory_share": row("advanced_theory_share", "ha-noi", "2015-2020",
                                         "2019-12-31", 291, 300, 97.0,
                                         {"op": "=", "value": 100}, False),
            "classes": row("classes", "tay-ho", "2015-2020", "2019-12-31", 187, None, 187, None,
                           None),
            "planning_coefficient": row("planning_coefficient", "ha-noi", "2020-2025",
                                        "2024-12-31", 164, 83, 1.98, None, None),
            "committee_women_share": row("committee_women_share", "thanh-tri", "2015-2020",
                                         "2019-12-31", 0, 0, None, None, None),
            "attendance_rate": row("attendance_rate", "ha-noi", "2015-2020", "2019-12-31", 414,
                                   1000, 41.4, None, None),
        }
        for code, want in expect.items():
            with self.subTest(code=code):
                p, got = self.json_of("indicator", "show", code)
                self.assertEqual(got, [want])
                self.assertEqual(list(got[0].keys()), ROW_KEYS)
        # The digits are the server's, not a double's: 41.4, 1.98, 187 and 35 as written.
        p, _ = self.json_of("indicator", "show", "attendance_rate")
        self.assertIn('"value": 41.4,', p.out)
        p, _ = self.json_of("indicator", "show", "planning_coefficient")
        self.assertIn('"value": 1.98,', p.out)
        p, _ = self.json_of("indicator", "show", "classes")
        self.assertIn('"value": 187,', p.out)
        self.assertIn('"denominator": null,', p.out)
        p, _ = self.json_of("indicator", "show", "postgraduate_share")
        self.assertIn('"value": 35\n', p.out)
        self.assertIn('"met": true', p.out)

    def test_show_request_carries_the_selection(self):
        self.rec.handlers["ShowIndicator"] = lambda req, ctx: pb.ShowIndicatorResponse(
            values=[value(req.code, num=1, den=2, val="50.0")])
        self.json_of("indicator", "show", "planning_masters_share", "--unit", "ha-noi", "--own",
                     "--term", "2020-2025", "--as-of", "31/12/2024")
        self.json_of("indicator", "show", "classes", "--year", "2019")
        self.json_of("indicator", "show", "classes", "--from", "1/7/2019", "--to",
                     "2019-12-31", "--by", "unit")
        a, b, c = self.rec.of("ShowIndicator")
        self.assertEqual((a.code, a.selection.unit, a.selection.own, a.selection.term,
                          a.selection.as_of, a.selection.year, a.by, a.explain),
                         ("planning_masters_share", "ha-noi", True, "2020-2025", "2024-12-31", 0,
                          "", False))
        self.assertEqual((b.selection.unit, b.selection.own, b.selection.year, b.selection.term),
                         ("", False, 2019, ""))
        self.assertEqual((c.selection.__getattribute__("from"), c.selection.to, c.by),
                         ("2019-07-01", "2019-12-31", "unit"))

    def test_show_by_gives_group_objects(self):
        self.rec.handlers["ShowIndicator"] = lambda req, ctx: pb.ShowIndicatorResponse(values=[
            value("enrolments", num=120, val="120", kind=pb.VALUE_KIND_COUNT,
                  group=[("sex", "FEMALE")]),
            value("enrolments", num=80, val="80", kind=pb.VALUE_KIND_COUNT,
                  group=[("sex", "MALE")]),
        ])
        _, got = self.json_of("indicator", "show", "enrolments", "--by", "sex")
        self.assertEqual(got, [
            row("enrolments", "ha-noi", "2015-2020", "2019-12-31", 120, None, 120, None, None,
                group={"sex": "FEMALE"}),
            row("enrolments", "ha-noi", "2015-2020", "2019-12-31", 80, None, 80, None, None,
                group={"sex": "MALE"}),
        ])
        self.assertEqual(list(got[0].keys()), ROW_KEYS + ["group"])
        p = self.run_cli("indicator", "show", "enrolments", "--by", "sex", "--output", "table")
        self.assertExit(p, 0)
        lines = p.out.splitlines()
        self.assertEqual(lines[0].split(), ["CODE", "UNIT", "PERIOD", "AS_OF", "SEX",
                                            "NUMERATOR", "DENOMINATOR", "VALUE", "TARGET",
                                            "MET"])
        self.assertEqual(lines[1].split(), ["enrolments", "ha-noi", "2015-2020", "2019-12-31",
                                            "FEMALE", "120", "120"])

    def test_show_table_marks_met_and_percent(self):
        vals = [value("postgraduate_share", num=126, den=300, val="42.0", target=(">=", "35"),
                      met=pb.MET_YES, group=[("unit", "a")]),
                value("postgraduate_share", num=20, den=100, val="20.0", target=(">=", "35"),
                      met=pb.MET_NO, group=[("unit", "b")]),
                value("postgraduate_share", num=0, den=0, target=(">=", "35"),
                      group=[("unit", "c")])]
        self.rec.handlers["ShowIndicator"] = lambda req, ctx: pb.ShowIndicatorResponse(
            values=vals)
        p = self.run_cli("indicator", "show", "postgraduate_share", "--by", "unit", "--output",
                         "table")
        self.assertExit(p, 0)
        lines = [l.split() for l in p.out.splitlines()]
        # The group column of --by unit does not repeat the UNIT column's name.
        self.assertEqual(lines[0], ["CODE", "UNIT", "PERIOD", "AS_OF", "GROUP_UNIT", "NUMERATOR",
                                    "DENOMINATOR", "VALUE", "TARGET", "MET"])
        self.assertEqual(lines[1][4:], ["a", "126", "300", "42.0%", "≥", "35%", "✓"])
        self.assertEqual(lines[2][4:], ["b", "20", "100", "20.0%", "≥", "35%", "✗"])
        self.assertEqual(lines[3][4:], ["c", "0", "0", "—", "≥", "35%"])
        p = self.run_cli("indicator", "show", "postgraduate_share", "--by", "unit", "--output",
                         "csv")
        self.assertExit(p, 0)
        got = list(csv.reader(io.StringIO(p.out)))
        self.assertEqual(got[0], ["code", "unit", "period", "as_of", "group_unit", "numerator",
                                  "denominator", "value", "target", "met"])
        self.assertEqual(got[1][4:], ["a", "126", "300", "42.0", ">= 35", "true"])
        self.assertEqual(got[2][4:], ["b", "20", "100", "20.0", ">= 35", "false"])
        self.assertEqual(got[3][4:], ["c", "0", "0", "", ">= 35", ""])

    def test_show_explain(self):
        expl = pb.Explanation(filters=["mgmt_category = CITY_STANDING"],
                              period="2015-01-01..2019-12-31", as_of="2019-12-31",
                              term="2015-2020", units=["ha-noi [2015-01-01..]"],
                              counts=["numerator 126", "denominator 300"])

        def show(req, ctx):
            r = pb.ShowIndicatorResponse(values=[value("postgraduate_share", num=126, den=300,
                                                       val="42.0")])
            if req.explain:
                r.explanation.CopyFrom(expl)
            return r
        self.rec.handlers["ShowIndicator"] = show
        _, got = self.json_of("indicator", "show", "postgraduate_share", "--explain")
        self.assertEqual(list(got.keys()), ["rows", "explanation"])
        self.assertEqual(list(got["rows"][0].keys()), ROW_KEYS)
        self.assertEqual(got["explanation"], {
            "filters": ["mgmt_category = CITY_STANDING"], "period": "2015-01-01..2019-12-31",
            "as_of": "2019-12-31", "term": "2015-2020", "units": ["ha-noi [2015-01-01..]"],
            "counts": ["numerator 126", "denominator 300"]})
        self.assertTrue(self.rec.of("ShowIndicator")[0].explain)
        p = self.run_cli("indicator", "show", "postgraduate_share", "--explain", "--output",
                         "table")
        self.assertExit(p, 0)
        self.assertIn("\nexplanation:\n", p.out)
        self.assertIn("    ha-noi [2015-01-01..]\n", p.out)
        self.assertIn("  as_of: 2019-12-31\n", p.out)
        p = self.run_cli("indicator", "show", "postgraduate_share", "--explain", "--output", "csv")
        self.assertExit(p, 0)
        self.assertEqual(len(list(csv.reader(io.StringIO(p.out)))), 2)
        self.assertIn("explanation:", p.err)
        self.assertNotIn("explanation", p.out)

    # --- indicator compare --------------------------------------------------

    def test_compare(self):
        def compare(req, ctx):
            if req.code == "committee_university_share":
                return pb.CompareIndicatorResponse(
                    a=value(req.code, unit="phuc-tho", num=166, den=250, val="66.4"),
                    b=value(req.code, unit="phuc-tho", period="2020-2025", as_of="2024-12-31",
                            num=235, den=250, val="94.0"),
                    has_change=True, change="+27.6")
            if req.code == "planning_coefficient":
                kind = pb.VALUE_KIND_COEFFICIENT
                return pb.CompareIndicatorResponse(
                    a=value(req.code, num=112, den=75, val="1.49", kind=kind),
                    b=value(req.code, period="2020-2025", as_of="2024-12-31", num=164, den=83,
                            val="1.98", kind=kind),
                    has_change=True, change="+0.48")
            if req.code == "classes":
                kind = pb.VALUE_KIND_COUNT
                return pb.CompareIndicatorResponse(
                    a=value(req.code, num=190, val="190", kind=kind),
                    b=value(req.code, num=187, val="187", kind=kind), has_change=True,
                    change="-3")
            if req.code == "reassignment_rate":
                return pb.CompareIndicatorResponse(
                    a=value(req.code, num=5, den=60, val="8.3"),
                    b=value(req.code, num=2, den=60, val="3.3"), has_change=True, change="-5.0")
            return pb.CompareIndicatorResponse(
                a=value(req.code, num=0, den=0), b=value(req.code, num=1, den=2, val="50.0"))
        self.rec.handlers["CompareIndicator"] = compare
        _, got = self.json_of("indicator", "compare", "committee_university_share", "--unit",
                              "phuc-tho", "--term", "2015-2020", "--term", "2020-2025")
        self.assertEqual(got, {"rows": [
            row("committee_university_share", "phuc-tho", "2015-2020", "2019-12-31", 166, 250,
                66.4, None, None),
            row("committee_university_share", "phuc-tho", "2020-2025", "2024-12-31", 235, 250,
                94.0, None, None)], "change": 27.6})
        req = self.rec.of("CompareIndicator")[0]
        self.assertEqual((req.term_a, req.term_b, req.selection.unit, req.selection.own,
                          req.selection.term),
                         ("2015-2020", "2020-2025", "phuc-tho", False, ""))
        p = self.run_cli("indicator", "compare", "committee_university_share", "--term", "a",
                         "--term", "b", "--output", "table")
        self.assertExit(p, 0)
        self.assertTrue(p.out.endswith("\nchange: +27.6 points\n"), p.out)
        p = self.run_cli("indicator", "compare", "planning_coefficient", "--own", "--as-of",
                         "2019-12-31", "--as-of", "31/12/2024", "--output", "table")
        self.assertExit(p, 0)
        # the change of the values shown (1.98 - 1.49), and the exact one when it differs
        self.assertTrue(p.out.endswith("\nchange: +0.49 (the difference of the values shown; "
                                       "+0.48 from the exact values)\n"), p.out)
        req = self.rec.of("CompareIndicator")[-1]
        self.assertEqual((req.as_of_a, req.as_of_b, req.term_a, req.selection.own),
                         ("2019-12-31", "2024-12-31", "", True))
        _, got = self.json_of("indicator", "compare", "other", "--term", "a", "--term", "b")
        self.assertIsNone(got["change"])
        self.assertIsNone(got["rows"][0]["value"])
        p = self.run_cli("indicator", "compare", "other", "--term", "a", "--term", "b",
                         "--output", "table")
        self.assertExit(p, 0)
        self.assertTrue(p.out.endswith("\nchange: none (a value is null)\n"), p.out)
        p, got = self.json_of("indicator", "compare", "classes", "--term", "a", "--term", "b")
        self.assertIn('"change": -3\n', p.out)
        self.assertEqual([r["denominator"] for r in got["rows"]], [None, None])
        p, got = self.json_of("indicator", "compare", "reassignment_rate", "--term", "a",
                              "--term", "b")
        self.assertIn('"change": -5.0\n', p.out)
        self.assertIn('"value": 8.3,', p.out)

    # --- indicator list -----------------------------------------------------

    def test_list(self):
        self.rec.handlers["ListIndicators"] = lambda req, ctx: pb.ListIndicatorsResponse(
            indicators=[
                pb.IndicatorDef(code="classes", name_vi="số lớp", name_en="classes",
                                formula="count of classes", population="classes of the period",
                                value_kind=pb.VALUE_KIND_COUNT, dimensions=["unit", "year"]),
                pb.IndicatorDef(code="postgraduate_share", name_vi="trình độ sau đại học",
                                name_en="postgraduate share", formula="MASTER+ / cadres",
                                population="CITY_STANDING", value_kind=pb.VALUE_KIND_PERCENT,
                                targets=[pb.Target(indicator="postgraduate_share", op=">=",
                                                   value="35", term="2015-2020")],
                                dimensions=["unit", "sex"])])
        _, got = self.json_of("indicator", "list")
        self.assertEqual(got[1], {
            "code": "postgraduate_share", "name_vi": "trình độ sau đại học",
            "name_en": "postgraduate share", "formula": "MASTER+ / cadres",
            "population": "CITY_STANDING", "value_kind": "PERCENT",
            "targets": [{"op": ">=", "value": 35, "unit": None, "term": "2015-2020"}],
            "dimensions": ["unit", "sex"]})
        self.assertEqual(got[0]["value_kind"], "COUNT")
        self.assertEqual(got[0]["targets"], [])
        p = self.run_cli("indicator", "list", "--output", "table")
        self.assertExit(p, 0)
        self.assertIn("≥ 35% (2015-2020)", p.out)
        self.assertIn("trình độ sau đại học", p.out)

    # --- report -------------------------------------------------------------

    def test_report(self):
        def report(req, ctx):
            return pb.GetReportResponse(
                unit="ha-noi", period="2019", as_of="2019-12-31", term="2015-2020",
                values=[value("classes", period="2019", num=293, val="293",
                              kind=pb.VALUE_KIND_COUNT),
                        value("postgraduate_share", period="2019", num=126, den=300, val="42.0",
                              target=(">=", "35"), met=pb.MET_YES),
                        value("advanced_theory_share", period="2019", num=291, den=300,
                              val="97.0", target=("=", "100"), met=pb.MET_NO),
                        value("report_completeness", period="2019", num=32, den=103,
                              val="31.1")],
                missing_reports=[pb.MissingReport(unit="my-duc", year=2019)],
                unexcused_absentees=7)
        self.rec.handlers["GetReport"] = report
        p, got = self.json_of("report", "--year", "2019")
        self.assertEqual(list(got.keys()), ["unit", "period", "as_of", "term", "unit_term_dates",
                                            "indicators", "missing_reports",
                                            "unexcused_absentees", "absentees",
                                            "absentees_truncated"])
        self.assertIsNone(got["absentees"])  # the server listed none: the count only
        self.assertEqual((got["unit"], got["period"], got["as_of"], got["term"]),
                         ("ha-noi", "2019", "2019-12-31", "2015-2020"))
        self.assertEqual(got["indicators"][1],
                         row("postgraduate_share", "ha-noi", "2019", "2019-12-31", 126, 300, 42.0,
                             {"op": ">=", "value": 35}, True))
        self.assertEqual(got["indicators"][0]["denominator"], None)
        self.assertEqual(got["indicators"][0]["value"], 293)
        self.assertIs(got["indicators"][2]["met"], False)
        self.assertEqual([list(r.keys()) for r in got["indicators"]], [ROW_KEYS] * 4)
        self.assertEqual(got["missing_reports"], [{"unit": "my-duc", "year": 2019}])
        self.assertEqual(got["unexcused_absentees"], 7)
        self.assertEqual(self.rec.of("GetReport")[0].selection.year, 2019)
        p = self.run_cli("report", "--year", "2019", "--output", "table")
        self.assertExit(p, 0)
        lines = p.out.splitlines()
        self.assertEqual(lines[0],
                         "report: ha-noi  period: 2019  as_of: 2019-12-31  term: 2015-2020")
        self.assertEqual(lines[2].split(), ["CODE", "NUMERATOR", "DENOMINATOR", "VALUE", "TARGET",
                                            "MET"])
        self.assertEqual(lines[4].split(), ["postgraduate_share", "126", "300", "42.0%", "≥",
                                            "35%", "✓"])
        self.assertEqual(lines[5].split(), ["advanced_theory_share", "291", "300", "97.0%", "=",
                                            "100%", "✗"])
        self.assertIn("\nunits that have not reported:\n  2019: 1 unit: my-duc\n", p.out)
        self.assertTrue(p.out.endswith("\ncadres with unexcused absences: 7\n"), p.out)
        # A year with many missing units stays one line: five codes, then how many more.
        many = ["u-%d" % i for i in range(7)]
        self.rec.handlers["GetReport"] = lambda req, ctx: pb.GetReportResponse(
            unit="ha-noi", period="2020-2025", as_of="2024-12-31", term="2020-2025",
            missing_reports=[pb.MissingReport(unit="my-duc", year=2020)]
            + [pb.MissingReport(unit=u, year=2021) for u in many])
        p = self.run_cli("report", "--term", "2020-2025", "--output", "table")
        self.assertExit(p, 0)
        self.assertIn("\n  2020: 1 unit: my-duc\n  2021: 7 units: u-0, u-1, u-2, u-3, u-4 and 2 more"
                      " (--output json lists them all)\n", p.out)
        self.rec.handlers["GetReport"] = report
        p = self.run_cli("report", "--output", "csv")
        self.assertExit(p, 0)
        got = list(csv.reader(io.StringIO(p.out)))
        self.assertEqual(got[0], ROW_KEYS)
        self.assertEqual(got[2], ["postgraduate_share", "ha-noi", "2019", "2019-12-31", "126",
                                  "300", "42.0", ">= 35", "true"])
        # then an empty line and the units that have not reported, under their own header
        self.assertEqual(got[5:], [[], ["missing_report_unit", "missing_report_year"],
                                   ["my-duc", "2019"]])

    # --- query --------------------------------------------------------------

    def test_query_maps_labels_and_prints_rows(self):
        def query(req, ctx):
            return pb.QueryResponse(
                measure=req.measure, unit="ha-noi", period="2019", as_of="2019-12-31",
                term="2015-2020",
                rows=[pb.QueryRow(group=[pb.GroupValue(dimension="unit", value="tay-ho"),
                                         pb.GroupValue(dimension="sex", value="FEMALE")],
                                  value=120),
                      pb.QueryRow(group=[pb.GroupValue(dimension="unit", value="tay-ho"),
                                         pb.GroupValue(dimension="sex", value="MALE")],
                                  value=95)])
        self.rec.handlers["Query"] = query
        _, got = self.json_of("query", "--measure", "enrolments", "--filter", "kind=upgrade",
                              "--filter", "sex=Nữ", "--filter", "education=Thạc sĩ",
                              "--filter", "education=Tiến sĩ", "--filter", "key_cadre=có",
                              "--filter", "political_theory=Cao cấp", "--filter",
                              "year=2019", "--filter", "target_group=PLANNING_COMMITTEE",
                              "--filter", "body=Bí thư", "--by", "unit", "--by", "sex",
                              "--year", "2019")
        req = self.rec.of("Query")[0]
        self.assertEqual([(f.field, f.value) for f in req.filters], [
            ("kind", "UPGRADE"), ("sex", "FEMALE"), ("education", "MASTER"),
            ("education", "DOCTOR"), ("key_cadre", "true"), ("political_theory", "ADVANCED"),
            ("year", "2019"), ("target_group", "PLANNING_COMMITTEE"), ("body", "SECRETARY")])
        self.assertEqual((req.measure, list(req.by), req.selection.year),
                         ("enrolments", ["unit", "sex"], 2019))
        self.assertEqual(got[0], row("enrolments", "ha-noi", "2019", "2019-12-31", 120, None, 120,
                                     None, None, group={"unit": "tay-ho", "sex": "FEMALE"}))
        self.assertEqual(list(got[1].keys()), ROW_KEYS + ["group"])
        p = self.run_cli("query", "--measure", "enrolments", "--by", "unit", "--by", "sex",
                         "--output", "table")
        self.assertExit(p, 0)
        lines = [l.split() for l in p.out.splitlines()]
        self.assertEqual(lines[0], ["UNIT", "PERIOD", "AS_OF", "GROUP_UNIT", "SEX", "VALUE"])
        self.assertEqual(lines[2], ["ha-noi", "2019", "2019-12-31", "tay-ho", "MALE", "95"])
        # Without --by: no group key.
        _, got = self.json_of("query", "--measure", "enrolments")
        self.assertEqual(list(got[0].keys()), ROW_KEYS)

    # --- errors -------------------------------------------------------------

    def test_usage_errors_never_reach_the_server(self):
        cases = [
            (("indicator", "show", "classes", "--term", "2015-2020", "--year", "2019"),
             "indicator", "at most one of --term, --year and --from/--to"),
            (("indicator", "show", "classes", "--year", "2019", "--from", "2019-01-01", "--to",
              "2019-12-31"), "indicator", "at most one of"),
            (("indicator", "show", "classes", "--from", "2019-01-01"), "indicator",
             "--from and --to go together"),
            (("indicator", "show", "classes", "--from", "2019-12-31", "--to", "2019-01-01"),
             "indicator", "is after --to"),
            (("indicator", "show", "classes", "--as-of", "2019-02-30"), "indicator",
             "bad --as-of '2019-02-30'"),
            (("indicator", "show", "classes", "--year", "20x9"), "indicator", "bad --year"),
            (("indicator", "show"), "indicator", "missing CODE"),
            (("indicator", "show", "a", "b"), "indicator", "unexpected argument 'b'"),
            (("indicator", "show", "a", "--colour", "red"), "indicator",
             "unknown option '--colour'"),
            (("indicator", "compare", "a", "--term", "2015-2020"), "indicator",
             "two --term or two --as-of"),
            (("indicator", "compare", "a", "--term", "x", "--term", "y", "--as-of",
              "2019-01-01"), "indicator", "two --term or two --as-of"),
            (("indicator", "compare", "a", "--term", "x", "--term", "y", "--term", "z"),
             "indicator", "at most 2 --term"),
            (("indicator", "compare", "a", "--year", "2019"), "indicator",
             "unknown option '--year'"),
            (("indicator", "frobnicate"), "indicator", "unknown subcommand 'frobnicate'"),
            (("report", "--term", "2015-2020", "--from", "2019-01-01", "--to", "2019-12-31"),
             "report", "at most one of"),
            (("report", "extra"), "report", "unexpected argument 'extra'"),
            (("query", "--filter", "sex=FEMALE"), "query", "missing --measure"),
            (("query", "--measure", "m", "--by", "a", "--by", "b", "--by", "c"), "query",
             "at most 2 --by"),
            (("query", "--measure", "m", "--filter", "sex=robot"), "query",
             "unknown value in --filter sex=robot"),
            (("query", "--measure", "m", "--filter", "education=Cao cấp"), "query",
             "unknown value in --filter education=Cao cấp"),
            (("query", "--measure", "m", "--filter", "colour=red"), "query",
             "unknown field in --filter colour=red"),
            (("query", "--measure", "m", "--filter", "sex"), "query", "bad --filter 'sex'"),
            (("query", "--measure", "m", "--filter", "key_cadre="), "query",
             "empty value in --filter key_cadre="),
            (("query", "--measure", "m", "--filter", "year=two"), "query",
             "bad --filter year=two"),
            (("query", "--measure", "m", "--by", "sex", "--by", "sex"), "query",
             "--by sex given twice"),
        ]
        for args, cmd, text in cases:
            with self.subTest(args=args):
                p = self.run_cli(*args)
                self.assertExit(p, 64)
                lines = p.err.splitlines()
                self.assertEqual(len(lines), 2, p.err)
                self.assertIn(text, lines[0])
                self.assertEqual(lines[1], "see 'nhanluc help %s'" % cmd)
                self.assertEqual(p.out, "")
        self.assertEqual(self.rec.calls, [])

    def test_server_errors_and_malformed_values(self):
        def bad(req, ctx):
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, "unknown indicator 'nope'")
        self.rec.handlers["ShowIndicator"] = bad
        p = self.run_cli("indicator", "show", "nope")
        self.assertExit(p, 3)
        self.assertEqual(p.err, "nhanluc: unknown indicator 'nope' (INVALID_ARGUMENT)\n")
        p = self.run_cli("report")  # no handler: UNIMPLEMENTED
        self.assertExit(p, 12)
        self.rec.handlers["ShowIndicator"] = lambda req, ctx: pb.ShowIndicatorResponse(
            values=[value("x", num=1, den=2, val="4l.4")])
        p = self.run_cli("indicator", "show", "x", "--output", "json")
        self.assertExit(p, 13)
        self.assertIn("not a decimal number", p.err)
        self.assertEqual(p.out, "")
        # The table shows what the server sent; only JSON needs a number.
        p = self.run_cli("indicator", "show", "x", "--output", "table")
        self.assertExit(p, 0)
        self.assertIn("4l.4%", p.out)


if __name__ == "__main__":
    unittest.main()
