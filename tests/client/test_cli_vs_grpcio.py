#!/usr/bin/python3
"""The real `nhanluc` binary against a stock grpcio server (PROTOCOL.md §11, layer 4).

A grpcio server on 127.0.0.1:0 implements grpc.health.v1.Health and
nhanluc.v1.Registry; each test sets the handlers it needs, runs the CLI as a
subprocess and checks exit code, stdout and stderr, and what the server saw.
Stubs are generated at test time with protoc + grpc_python_plugin (matching
Debian's python3-grpcio), so no generated code is committed.

Environment: NHANLUC (path of the binary, required), NL_PROTO_DIR,
NL_GRPC_PROTO_DIR, and NHANLUC_VALGRIND (path of valgrind) to run the
ValgrindTest cases, which wrap the CLI in valgrind --leak-check=full.
Run with Debian's /usr/bin/python3 (it sees python3-grpcio).
"""

import concurrent.futures
import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
NHANLUC = os.environ.get("NHANLUC", "")
PROTO_DIR = os.environ.get("NL_PROTO_DIR", os.path.join(HERE, "..", "..", "proto"))
GRPC_PROTO_DIR = os.environ.get("NL_GRPC_PROTO_DIR", "/usr/share/grpc-proto")
VALGRIND = os.environ.get("NHANLUC_VALGRIND", "")

grpc = None
registry_pb2 = registry_pb2_grpc = health_pb2 = health_pb2_grpc = None
_stub_dir = None


def setUpModule():
    global grpc, registry_pb2, registry_pb2_grpc, health_pb2, health_pb2_grpc, _stub_dir
    if not NHANLUC or not os.access(NHANLUC, os.X_OK):
        raise unittest.SkipTest("NHANLUC does not name an executable")
    import grpc as _grpc

    grpc = _grpc
    plugin = shutil.which("grpc_python_plugin")
    if plugin is None:
        raise RuntimeError("grpc_python_plugin not found (protobuf-compiler-grpc)")
    _stub_dir = tempfile.mkdtemp(prefix="nl-stubs-")
    subprocess.run(
        ["protoc", "-I" + PROTO_DIR, "-I" + GRPC_PROTO_DIR,
         "--python_out=" + _stub_dir, "--grpc_out=" + _stub_dir,
         "--plugin=protoc-gen-grpc=" + plugin,
         "nhanluc/v1/registry.proto", "grpc/health/v1/health.proto"],
        check=True, timeout=60)
    sys.path.insert(0, _stub_dir)
    # The health stubs live in package grpc.health.v1, inside grpcio's own "grpc"
    # package: let that package also search the stub directory.
    grpc.__path__.append(os.path.join(_stub_dir, "grpc"))
    from nhanluc.v1 import registry_pb2 as r, registry_pb2_grpc as rg
    from grpc.health.v1 import health_pb2 as h, health_pb2_grpc as hg

    registry_pb2, registry_pb2_grpc, health_pb2, health_pb2_grpc = r, rg, h, hg


def tearDownModule():
    if _stub_dir:
        shutil.rmtree(_stub_dir, ignore_errors=True)


class Recorder:
    """Per-test handlers and a log of every call the server received."""

    def __init__(self):
        self.lock = threading.Lock()
        self.handlers = {}
        self.calls = []  # (method, request, metadata dict, time_remaining, t, peer)

    def reset(self):
        with self.lock:
            self.handlers = {}
            self.calls = []

    def dispatch(self, method, request, context):
        with self.lock:
            self.calls.append((method, request, dict(context.invocation_metadata()),
                               context.time_remaining(), time.monotonic(), context.peer()))
            n = sum(1 for c in self.calls if c[0] == method)
            h = self.handlers.get(method)
        if h is None:
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "no handler for " + method)
        return h(request, context, n)

    def count(self, method):
        with self.lock:
            return sum(1 for c in self.calls if c[0] == method)

    def of(self, method):
        with self.lock:
            return [c for c in self.calls if c[0] == method]


def make_servicers(rec):
    class Health(health_pb2_grpc.HealthServicer):
        def Check(self, request, context):
            return rec.dispatch("Check", request, context)

    class Registry(registry_pb2_grpc.RegistryServicer):
        def CreateUnit(self, request, context):
            return rec.dispatch("CreateUnit", request, context)

        def GetUnit(self, request, context):
            return rec.dispatch("GetUnit", request, context)

        def ListUnits(self, request, context):
            return rec.dispatch("ListUnits", request, context)

        def CreateTerm(self, request, context):
            return rec.dispatch("CreateTerm", request, context)

        def ListTerms(self, request, context):
            return rec.dispatch("ListTerms", request, context)

    return Health(), Registry()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sleep_while_active(context, limit):
    """Sleeps until the client goes away, `limit` seconds at most."""
    end = time.monotonic() + limit
    while context.is_active() and time.monotonic() < end:
        time.sleep(0.02)


def unit(code, name, kind, parent=""):
    return registry_pb2.Unit(code=code, name=name, kind=kind, parent=parent)


class CliTestBase(unittest.TestCase):
    wrapper = []  # command prefix (valgrind)
    slack = 2.0   # seconds allowed on top of timing bounds (CI runs tests in parallel, ASan too)

    @classmethod
    def setUpClass(cls):
        cls.rec = Recorder()
        cls.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
        h, r = make_servicers(cls.rec)
        health_pb2_grpc.add_HealthServicer_to_server(h, cls.server)
        registry_pb2_grpc.add_RegistryServicer_to_server(r, cls.server)
        cls.port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.addr = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(grace=None).wait(10)

    def setUp(self):
        self.rec.reset()

    def run_cli(self, *args, server=None, timeout=60, env=None):
        e = dict(os.environ)
        e.pop("NHANLUC_SERVER", None)
        if env:
            e.update(env)
        cmd = list(self.wrapper) + [NHANLUC, "--server", server or self.addr] + list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=e)
        p.elapsed = time.monotonic() - t0
        p.out = p.stdout.decode("utf-8")
        p.err = p.stderr.decode("utf-8")
        return p

    def assertExit(self, p, code):
        self.assertEqual(p.returncode, code,
                         "exit %d, expected %d\nstdout: %s\nstderr: %s"
                         % (p.returncode, code, p.out, p.err))


class HealthTest(CliTestBase):
    def test_serving(self):
        self.rec.handlers["Check"] = lambda req, ctx, n: health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVING)
        p = self.run_cli("health", "--output", "table")
        self.assertExit(p, 0)
        self.assertEqual(p.out, "SERVING\n")
        self.assertEqual(p.err, "")
        p = self.run_cli("--output", "json", "health", "nhanluc.v1.Registry")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), {"service": "nhanluc.v1.Registry", "status": "SERVING"})
        self.assertEqual([c[1].service for c in self.rec.of("Check")], ["", "nhanluc.v1.Registry"])

    def test_not_serving(self):
        self.rec.handlers["Check"] = lambda req, ctx, n: health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.NOT_SERVING)
        p = self.run_cli("health", "--output", "table")
        self.assertExit(p, 14)
        self.assertEqual(p.out, "NOT_SERVING\n")
        self.assertEqual(p.err, "nhanluc: server is NOT_SERVING (UNAVAILABLE)\n")
        self.assertEqual(self.rec.count("Check"), 1)  # an answer, not a failure: no retry

    def test_unknown_service(self):
        def check(req, ctx, n):
            ctx.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        self.rec.handlers["Check"] = check
        p = self.run_cli("health", "no.such.Service")
        self.assertExit(p, 5)
        self.assertEqual(p.err, "nhanluc: unknown service (NOT_FOUND)\n")

    def test_request_headers(self):
        self.rec.handlers["Check"] = lambda req, ctx, n: health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVING)
        p = self.run_cli("--timeout", "3s", "health")
        self.assertExit(p, 0)
        (_, _, md, remaining, _, _), = self.rec.of("Check")
        self.assertTrue(md.get("user-agent", "").startswith("nhanluc/"), md)
        # grpc-timeout carried what was left of the 3 s.
        self.assertIsNotNone(remaining)
        self.assertLessEqual(remaining, 3.0)
        self.assertGreater(remaining, 1.0)


class UnitTest(CliTestBase):
    def test_add_created_and_existed(self):
        def create(req, ctx, n):
            return registry_pb2.CreateUnitResponse(unit=req.unit, created=(n == 1))
        self.rec.handlers["CreateUnit"] = create
        args = ("unit", "add", "tay-ho", "Quận Tây Hồ", "--kind", "Urban_District",
                "--parent", "ha-noi", "--output", "json")
        p = self.run_cli(*args)
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), {"code": "tay-ho", "name": "Quận Tây Hồ",
                                             "kind": "URBAN_DISTRICT", "parent": "ha-noi",
                                             "created": True})
        p = self.run_cli(*args)
        self.assertExit(p, 0)
        self.assertIs(json.loads(p.out)["created"], False)
        req = self.rec.of("CreateUnit")[0][1]
        self.assertEqual((req.unit.code, req.unit.name, req.unit.kind, req.unit.parent),
                         ("tay-ho", "Quận Tây Hồ", registry_pb2.URBAN_DISTRICT, "ha-noi"))
        p = self.run_cli("unit", "add", "x", "X", "--kind", "city", "--output", "table")
        self.assertExit(p, 0)
        self.assertEqual(p.out.splitlines()[0].split(), ["CODE", "NAME", "KIND", "PARENT", "CREATED"])
        self.assertEqual(p.out.splitlines()[1].split(), ["x", "X", "CITY", "no"])

    def test_add_usage_errors(self):
        cases = [
            (("unit", "add", "x", "X"), "missing --kind"),
            (("unit", "add", "x", "X", "--kind", "galaxy"), "unknown --kind 'galaxy'"),
            (("unit", "add", "x"), "missing NAME"),
            (("unit", "add", "x", "X", "--kind", "city", "--colour", "red"),
             "unknown option '--colour'"),
            (("unit",), "missing subcommand"),
            (("unit", "delete", "x"), "unknown subcommand 'delete'"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                p = self.run_cli(*args)
                self.assertExit(p, 64)
                lines = p.err.splitlines()
                self.assertEqual(len(lines), 2, p.err)
                self.assertTrue(lines[0].startswith("nhanluc: "), p.err)
                self.assertIn(text, lines[0])
                self.assertEqual(lines[1], "see 'nhanluc help unit'")
        self.assertEqual(self.rec.calls, [])

    def test_show_table_aligns_vietnamese(self):
        names = {
            "tay-ho": unicodedata.normalize("NFD", "Quận Tây Hồ"),
            "ha-noi": "Thành phố Hà Nội",
        }
        kinds = {"tay-ho": registry_pb2.URBAN_DISTRICT, "ha-noi": registry_pb2.CITY}

        def get(req, ctx, n):
            if req.code not in names:
                ctx.abort(grpc.StatusCode.NOT_FOUND, "không tìm thấy đơn vị")
            return registry_pb2.GetUnitResponse(unit=unit(req.code, names[req.code], kinds[req.code]))
        self.rec.handlers["GetUnit"] = get

        def listing(req, ctx, n):
            return registry_pb2.ListUnitsResponse(
                units=[unit(c, names[c], kinds[c], "" if c == "ha-noi" else "ha-noi")
                       for c in ("ha-noi", "tay-ho")])
        self.rec.handlers["ListUnits"] = listing

        p = self.run_cli("unit", "show", "tay-ho", "--output", "table")
        self.assertExit(p, 0)
        p = self.run_cli("unit", "list", "--output", "table")
        self.assertExit(p, 0)
        lines = p.out.splitlines()
        self.assertEqual(len(lines), 3)

        def width(s):
            return sum(0 if unicodedata.combining(ch) else 1 for ch in s)

        def col(line, text):
            return width(line[:line.index(text)])
        kind_cols = {col(lines[0], "KIND"), col(lines[1], "CITY"), col(lines[2], "URBAN_DISTRICT")}
        self.assertEqual(len(kind_cols), 1, p.out)
        self.assertEqual(col(lines[2], "ha-noi"), col(lines[0], "PARENT"))
        p = self.run_cli("unit", "show", "nowhere")
        self.assertExit(p, 5)
        self.assertEqual(p.err, "nhanluc: không tìm thấy đơn vị (NOT_FOUND)\n")

    def test_list_pages_to_the_end(self):
        total = 2345
        everything = [unit("u%04d" % i, "Phường số %d" % i, registry_pb2.WARD, "p")
                      for i in range(total)]

        def listing(req, ctx, n):
            start = int(req.page_token or "0")
            size = req.page_size
            page = everything[start:start + size]
            nxt = str(start + size) if start + size < total else ""
            return registry_pb2.ListUnitsResponse(units=page, next_page_token=nxt)
        self.rec.handlers["ListUnits"] = listing
        p = self.run_cli("unit", "list", "--parent", "p", "--output", "json")
        self.assertExit(p, 0)
        got = json.loads(p.out)
        self.assertEqual([u["code"] for u in got], [u.code for u in everything])
        self.assertEqual(got[7], {"code": "u0007", "name": "Phường số 7", "kind": "WARD",
                                  "parent": "p"})
        reqs = [c[1] for c in self.rec.of("ListUnits")]
        self.assertEqual([(r.parent, r.page_size, r.page_token) for r in reqs],
                         [("p", 1000, ""), ("p", 1000, "1000"), ("p", 1000, "2000")])
        # One connection for every page, and one deadline that keeps shrinking.
        self.assertEqual(len({c[5] for c in self.rec.of("ListUnits")}), 1)
        rem = [c[3] for c in self.rec.of("ListUnits")]
        self.assertEqual(rem, sorted(rem, reverse=True))

    def test_list_stops_on_repeated_token(self):
        self.rec.handlers["ListUnits"] = lambda req, ctx, n: registry_pb2.ListUnitsResponse(
            units=[unit("a", "A", registry_pb2.WARD)], next_page_token="same")
        p = self.run_cli("unit", "list")
        self.assertExit(p, 13)
        self.assertIn("same page token", p.err)
        self.assertEqual(self.rec.count("ListUnits"), 2)

    def test_csv_quoting(self):
        names = ["Hà Nội, thủ đô", 'Tên "đặc biệt"', "Hai\ndòng", "Bình thường"]
        self.rec.handlers["ListUnits"] = lambda req, ctx, n: registry_pb2.ListUnitsResponse(
            units=[unit("c%d" % i, nm, registry_pb2.COMMUNE, "x") for i, nm in enumerate(names)])
        p = self.run_cli("unit", "list", "--output", "csv")
        self.assertExit(p, 0)
        self.assertIn("\r\n", p.out)
        rows = list(csv.reader(io.StringIO(p.out, newline="")))
        self.assertEqual(rows[0], ["code", "name", "kind", "parent"])
        self.assertEqual([r[1] for r in rows[1:]], names)
        self.assertEqual(rows[1], ["c0", names[0], "COMMUNE", "x"])
        self.assertIn('"Hà Nội, thủ đô"', p.out)
        self.assertIn("Bình thường", p.out.replace('"Bình', ""))  # unquoted when not needed

    def test_default_output_is_json_when_piped(self):
        self.rec.handlers["ListUnits"] = lambda req, ctx, n: registry_pb2.ListUnitsResponse()
        p = self.run_cli("unit", "list")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), [])

    def test_server_from_environment(self):
        self.rec.handlers["ListUnits"] = lambda req, ctx, n: registry_pb2.ListUnitsResponse()
        e = dict(os.environ, NHANLUC_SERVER=self.addr)
        p = subprocess.run(list(self.wrapper) + [NHANLUC, "unit", "list"], capture_output=True,
                           timeout=60, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.rec.count("ListUnits"), 1)


class TermTest(CliTestBase):
    def test_add_years_from_code_and_flags(self):
        self.rec.handlers["CreateTerm"] = lambda req, ctx, n: registry_pb2.CreateTermResponse(
            term=req.term, created=True)
        p = self.run_cli("term", "add", "2020-2025", "--kind", "party_congress", "--output", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), {"code": "2020-2025", "kind": "PARTY_CONGRESS",
                                             "start_year": 2020, "end_year": 2025,
                                             "created": True})
        p = self.run_cli("term", "add", "hdnd-xvi", "--kind", "PEOPLES_COUNCIL",
                         "--start", "2021", "--end", "2026", "--output", "csv")
        self.assertExit(p, 0)
        self.assertEqual(p.out, "code,kind,start_year,end_year,created\r\n"
                                "hdnd-xvi,PEOPLES_COUNCIL,2021,2026,true\r\n")
        t = [c[1].term for c in self.rec.of("CreateTerm")]
        self.assertEqual([(x.code, x.kind, x.start_year, x.end_year) for x in t],
                         [("2020-2025", registry_pb2.PARTY_CONGRESS, 2020, 2025),
                          ("hdnd-xvi", registry_pb2.PEOPLES_COUNCIL, 2021, 2026)])
        p = self.run_cli("term", "add", "hdnd-xvi", "--kind", "peoples_council")
        self.assertExit(p, 64)
        self.assertIn("--start and --end", p.err)
        p = self.run_cli("term", "add", "2020-2025", "--kind", "party_congress", "--end", "20x5")
        self.assertExit(p, 64)
        self.assertEqual(self.rec.count("CreateTerm"), 2)

    def test_list_with_kind(self):
        def listing(req, ctx, n):
            all_terms = [registry_pb2.Term(code="2015-2020", kind=registry_pb2.PARTY_CONGRESS,
                                           start_year=2015, end_year=2020),
                         registry_pb2.Term(code="2016-2021", kind=registry_pb2.PEOPLES_COUNCIL,
                                           start_year=2016, end_year=2021)]
            return registry_pb2.ListTermsResponse(
                terms=[t for t in all_terms if req.kind in (0, t.kind)])
        self.rec.handlers["ListTerms"] = listing
        p = self.run_cli("term", "list", "--kind", "peoples-council", "--output", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out), [{"code": "2016-2021", "kind": "PEOPLES_COUNCIL",
                                              "start_year": 2016, "end_year": 2021}])
        p = self.run_cli("term", "list", "--output", "table")
        self.assertExit(p, 0)
        self.assertEqual(p.out.splitlines()[0].split(), ["CODE", "KIND", "START_YEAR", "END_YEAR"])
        self.assertEqual(len(p.out.splitlines()), 3)


class StatusTest(CliTestBase):
    def test_each_error_status(self):
        msg = "unit.parent: không có đơn vị này (100%)"
        for code in grpc.StatusCode:
            if code in (grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE,
                        grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED):
                continue  # OK is no error; the retried codes have their own tests
            with self.subTest(code=code.name):
                self.rec.reset()

                def get(req, ctx, n, code=code):
                    ctx.abort(code, msg)
                self.rec.handlers["GetUnit"] = get
                p = self.run_cli("unit", "show", "x")
                self.assertExit(p, code.value[0])
                self.assertEqual(p.err, "nhanluc: %s (%s)\n" % (msg, code.name))
                self.assertEqual(p.out, "")
                self.assertEqual(self.rec.count("GetUnit"), 1)  # never retried

    def test_control_characters_in_message_are_neutralised(self):
        def get(req, ctx, n):
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad\x1b[2Jfield\nname")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("unit", "show", "x")
        self.assertExit(p, 3)
        self.assertEqual(p.err, "nhanluc: bad?[2Jfield?name (INVALID_ARGUMENT)\n")

    def test_unimplemented_method(self):
        p = self.run_cli("term", "list")  # no handler: UNIMPLEMENTED from the servicer
        self.assertExit(p, 12)
        self.assertIn("(UNIMPLEMENTED)", p.err)

    def test_response_over_4_mib(self):
        big = "x" * (4 * 1024 * 1024 + 10)
        self.rec.handlers["GetUnit"] = lambda req, ctx, n: registry_pb2.GetUnitResponse(
            unit=unit("big", big, registry_pb2.CITY))
        p = self.run_cli("unit", "show", "big")
        self.assertExit(p, 8)
        self.assertIn("larger than 4194304 bytes", p.err)
        self.assertEqual(self.rec.count("GetUnit"), 1)

    def test_response_just_under_4_mib(self):
        big = "y" * (4 * 1024 * 1024 - 100)
        self.rec.handlers["GetUnit"] = lambda req, ctx, n: registry_pb2.GetUnitResponse(
            unit=unit("big", big, registry_pb2.CITY))
        p = self.run_cli("unit", "show", "big", "--output", "json")
        self.assertExit(p, 0)
        self.assertEqual(len(json.loads(p.out)["name"]), len(big))


class DeadlineTest(CliTestBase):
    def test_server_slower_than_timeout(self):
        seen = {}

        def get(req, ctx, n):
            sleep_while_active(ctx, 5.0)
            seen["cancelled"] = not ctx.is_active()
            return registry_pb2.GetUnitResponse(unit=unit("x", "X", registry_pb2.CITY))
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "500ms", "unit", "show", "x")
        self.assertExit(p, 4)
        self.assertEqual(p.err, "nhanluc: deadline exceeded after 500ms (DEADLINE_EXCEEDED)\n")
        self.assertGreaterEqual(p.elapsed, 0.45)
        self.assertLess(p.elapsed, 0.5 + self.slack + 0.5)
        self.assertEqual(self.rec.count("GetUnit"), 1)
        (_, _, _, remaining, _, _), = self.rec.of("GetUnit")
        self.assertLessEqual(remaining, 0.5)
        # The server learns of it (RST_STREAM CANCEL or its own deadline) within a second.
        for _ in range(100):
            if "cancelled" in seen:
                break
            time.sleep(0.02)
        self.assertTrue(seen.get("cancelled"))

    def test_deadline_covers_all_pages(self):
        def listing(req, ctx, n):
            time.sleep(0.3)
            return registry_pb2.ListUnitsResponse(
                units=[unit("u%d" % n, "U", registry_pb2.WARD)], next_page_token=str(n))
        self.rec.handlers["ListUnits"] = listing
        p = self.run_cli("--timeout", "1s", "unit", "list")
        self.assertExit(p, 4)
        self.assertIn("deadline exceeded after 1s", p.err)
        self.assertLess(p.elapsed, 1.0 + self.slack + 0.5)
        self.assertLessEqual(self.rec.count("ListUnits"), 4)


class ConnectTest(CliTestBase):
    def test_unreachable_port(self):
        port = free_port()
        p = self.run_cli("--timeout", "2s", "unit", "list", server="127.0.0.1:%d" % port)
        self.assertExit(p, 14)
        self.assertEqual(p.err, "nhanluc: cannot reach 127.0.0.1:%d: connection refused "
                                "(UNAVAILABLE)\n" % port)
        self.assertLess(p.elapsed, 2.0 + self.slack)

    def test_ipv6_literal(self):
        try:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.bind(("::1", 0))
            s.close()
        except OSError:
            self.skipTest("no IPv6 loopback")
        port = free_port()
        p = self.run_cli("--timeout", "1s", "health", server="[::1]:%d" % port)
        self.assertExit(p, 14)
        self.assertIn("cannot reach [::1]:%d" % port, p.err)

    def test_hostname_resolves(self):
        self.rec.handlers["Check"] = lambda req, ctx, n: health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVING)
        # "localhost" may resolve to ::1 first, where nothing listens: the CLI tries the next.
        p = self.run_cli("health", server="localhost:%d" % self.port)
        self.assertExit(p, 0)

    def test_bad_server_is_usage_error(self):
        p = self.run_cli("health", server="::1")
        self.assertExit(p, 64)
        self.assertIn("bad --server '::1'", p.err)


class RetryTest(CliTestBase):
    def test_unavailable_then_ok(self):
        def get(req, ctx, n):
            if n < 3:
                ctx.abort(grpc.StatusCode.UNAVAILABLE, "tạm thời không sẵn sàng")
            return registry_pb2.GetUnitResponse(unit=unit("x", "X", registry_pb2.CITY))
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "20s", "unit", "show", "x", "--output", "json")
        self.assertExit(p, 0)
        self.assertEqual(json.loads(p.out)["code"], "x")
        self.assertEqual(self.rec.count("GetUnit"), 3)
        # Full jitter: the waits are at most 1 s and 2 s.
        times = [c[4] for c in self.rec.of("GetUnit")]
        self.assertLess(times[1] - times[0], 1.0 + self.slack)
        self.assertLess(times[2] - times[1], 2.0 + self.slack)
        rem = [c[3] for c in self.rec.of("GetUnit")]
        self.assertEqual(rem, sorted(rem, reverse=True))  # each attempt sends what is left

    def test_unavailable_never_past_the_deadline(self):
        def get(req, ctx, n):
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "đang bảo trì")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "2s", "unit", "show", "x")
        self.assertExit(p, 14)
        self.assertEqual(p.err, "nhanluc: đang bảo trì (UNAVAILABLE)\n")
        self.assertLess(p.elapsed, 2.0 + self.slack)
        n = self.rec.count("GetUnit")
        self.assertGreaterEqual(n, 1)
        self.assertLessEqual(n, 5)

    def test_attempts_capped_at_five(self):
        def get(req, ctx, n):
            ctx.set_trailing_metadata((("grpc-retry-pushback-ms", "10"),))
            ctx.abort(grpc.StatusCode.UNAVAILABLE, "down")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "10s", "unit", "show", "x")
        self.assertExit(p, 14)
        self.assertEqual(self.rec.count("GetUnit"), 5)
        self.assertLess(p.elapsed, 3.0 + self.slack)

    def test_resource_exhausted_honours_pushback(self):
        def get(req, ctx, n):
            if n == 1:
                ctx.set_trailing_metadata((("grpc-retry-pushback-ms", "400"),))
                ctx.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "quá nhiều yêu cầu")
            return registry_pb2.GetUnitResponse(unit=unit("x", "X", registry_pb2.CITY))
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "10s", "unit", "show", "x")
        self.assertExit(p, 0)
        t = [c[4] for c in self.rec.of("GetUnit")]
        self.assertEqual(len(t), 2)
        self.assertGreaterEqual(t[1] - t[0], 0.39)
        self.assertLess(t[1] - t[0], 0.4 + self.slack)

    def test_negative_pushback_stops(self):
        def get(req, ctx, n):
            ctx.set_trailing_metadata((("grpc-retry-pushback-ms", "-1"),))
            ctx.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "hết hạn mức")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("unit", "show", "x")
        self.assertExit(p, 8)
        self.assertEqual(p.err, "nhanluc: hết hạn mức (RESOURCE_EXHAUSTED)\n")
        self.assertEqual(self.rec.count("GetUnit"), 1)

    def test_pushback_past_deadline_gives_up_at_once(self):
        def get(req, ctx, n):
            ctx.set_trailing_metadata((("grpc-retry-pushback-ms", "60000"),))
            ctx.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "chờ một phút")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "3s", "unit", "show", "x")
        self.assertExit(p, 8)
        self.assertLess(p.elapsed, 1.0 + self.slack)
        self.assertEqual(self.rec.count("GetUnit"), 1)

    def test_goaway_from_connection_age_during_paging(self):
        """grpcio closes connections older than 300 ms: later pages reconnect."""
        rec = Recorder()

        def listing(req, ctx, n):
            time.sleep(0.15)
            k = int(req.page_token or "0")
            return registry_pb2.ListUnitsResponse(
                units=[unit("u%d" % k, "U", registry_pb2.WARD)],
                next_page_token="" if k == 5 else str(k + 1))
        rec.handlers["ListUnits"] = listing
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=2),
                             options=[("grpc.max_connection_age_ms", 300),
                                      ("grpc.max_connection_age_grace_ms", 5000)])
        _, r = make_servicers(rec)
        registry_pb2_grpc.add_RegistryServicer_to_server(r, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            p = self.run_cli("--timeout", "20s", "--output", "json", "unit", "list",
                             server="127.0.0.1:%d" % port)
        finally:
            server.stop(grace=None).wait(10)
        self.assertExit(p, 0)
        self.assertEqual([u["code"] for u in json.loads(p.out)], ["u%d" % k for k in range(6)])
        self.assertEqual([c[1].page_token for c in rec.of("ListUnits")],
                         ["", "1", "2", "3", "4", "5"])
        self.assertGreater(len({c[5] for c in rec.of("ListUnits")}), 1)  # new connections

    def test_server_comes_up_during_retries(self):
        """Connect failures are retried: a server that starts late is still reached."""
        port = free_port()
        rec = Recorder()
        rec.handlers["Check"] = lambda req, ctx, n: health_pb2.HealthCheckResponse(
            status=health_pb2.HealthCheckResponse.SERVING)
        server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=2))
        h, _ = make_servicers(rec)
        health_pb2_grpc.add_HealthServicer_to_server(h, server)

        def start_later():
            time.sleep(0.8)
            server.add_insecure_port("127.0.0.1:%d" % port)
            server.start()
        th = threading.Thread(target=start_later)
        th.start()
        try:
            # Waits of attempts 1-4 are at most 1+2+4+8 s: within 20 s it must get through.
            p = self.run_cli("--timeout", "20s", "health", server="127.0.0.1:%d" % port)
        finally:
            th.join(10)
            server.stop(grace=None).wait(10)
        # The port may be taken by another process in between; then it cannot succeed.
        if p.returncode == 14 and rec.count("Check") == 0:
            self.skipTest("port %d was not free again" % port)
        self.assertExit(p, 0)
        self.assertEqual(rec.count("Check"), 1)


def grpc_frame(payload, flag=0):
    return bytes([flag]) + len(payload).to_bytes(4, "big") + payload


class RawH2Server:
    """A bare HTTP/2 server (python3-h2) whose answers each test scripts.

    `respond(conn, stream_id, info)` is called at the request's END_STREAM with
    the h2 connection; info = {"conn": n, "call": n, "headers": [...], "body": b}.
    Every event of every connection is recorded. Threads are daemons and every
    loop is bounded by time.
    """

    def __init__(self, respond):
        import h2.config
        import h2.connection
        import h2.events
        self.h2 = h2
        self.respond = respond
        self.lock = threading.Lock()
        self.requests = []
        self.events = []  # (conn no, event)
        self.nconns = 0
        self.stopped = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self):
        self.stopped = True
        self.thread.join(5)
        self.sock.close()

    def serve(self):
        end = time.monotonic() + 120
        while not self.stopped and time.monotonic() < end:
            try:
                s, _ = self.sock.accept()
            except socket.timeout:
                continue
            with self.lock:
                self.nconns += 1
                n = self.nconns
            threading.Thread(target=self.handle, args=(s, n), daemon=True).start()

    def handle(self, s, conn_no):
        h2 = self.h2
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8", validate_outbound_headers=False))
        conn.initiate_connection()
        heads, bodies = {}, {}
        s.settimeout(0.2)
        end = time.monotonic() + 30
        try:
            s.sendall(conn.data_to_send())
            while not self.stopped and time.monotonic() < end:
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                for ev in conn.receive_data(data):
                    with self.lock:
                        self.events.append((conn_no, ev))
                    if isinstance(ev, h2.events.RequestReceived):
                        heads[ev.stream_id] = ev.headers
                        bodies[ev.stream_id] = b""
                    elif isinstance(ev, h2.events.DataReceived):
                        bodies[ev.stream_id] += ev.data
                        conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        with self.lock:
                            self.requests.append((conn_no, heads[ev.stream_id], bodies[ev.stream_id]))
                            info = {"conn": conn_no, "call": len(self.requests),
                                    "headers": heads[ev.stream_id], "body": bodies[ev.stream_id]}
                        self.respond(conn, ev.stream_id, info)
                out = conn.data_to_send()
                if out:
                    s.sendall(out)
                if conn.state_machine.state == h2.connection.ConnectionState.CLOSED:
                    break
        except (OSError, h2.exceptions.ProtocolError):
            pass
        finally:
            s.close()

    def of_type(self, name):
        with self.lock:
            return [(n, ev) for n, ev in self.events if type(ev).__name__ == name]


def reply_ok(conn, sid, payload, status="0", chunk=None, trailers=()):
    conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
    chunk = chunk or max(1, len(payload))
    for i in range(0, len(payload), chunk):
        conn.send_data(sid, payload[i:i + chunk])
    conn.send_headers(sid, [("grpc-status", status)] + list(trailers), end_stream=True)


def reply_trailers_only(conn, sid, status, message=None):
    h = [(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", status)]
    if message is not None:
        h.append(("grpc-message", message))
    conn.send_headers(sid, h, end_stream=True)


class RawH2Test(unittest.TestCase):
    def setUp(self):
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.close()

    def serve(self, respond):
        self.server = RawH2Server(respond)
        return self.server

    def run_cli(self, *args, timeout_arg="5s"):
        e = dict(os.environ)
        e.pop("NHANLUC_SERVER", None)
        cmd = [NHANLUC, "--server", "127.0.0.1:%d" % self.server.port, "--timeout", timeout_arg]
        t0 = time.monotonic()
        p = subprocess.run(cmd + list(args), capture_output=True, timeout=60, env=e)
        p.elapsed = time.monotonic() - t0
        p.out, p.err = p.stdout.decode(), p.stderr.decode()
        return p

    def unit_bytes(self, code="x"):
        return registry_pb2.GetUnitResponse(
            unit=unit(code, "Xã Đông Anh", registry_pb2.COMMUNE, "dong-anh")).SerializeToString()

    def check(self, respond, code, err=None, calls=1, args=("unit", "show", "x")):
        self.serve(respond)
        p = self.run_cli(*args)
        self.assertEqual(p.returncode, code, p.err)
        if err is not None:
            self.assertIn(err, p.err)
        if calls is not None:
            self.assertEqual(len(self.server.requests), calls)
        return p

    def test_request_shape(self):
        srv = self.serve(lambda c, sid, info: reply_ok(c, sid, grpc_frame(self.unit_bytes())))
        p = self.run_cli("--output", "json", "unit", "show", "x", timeout_arg="3s")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(json.loads(p.out)["name"], "Xã Đông Anh")
        (_, headers, body), = srv.requests
        names = [k for k, _ in headers]
        self.assertEqual(names, [":method", ":scheme", ":path", ":authority", "te",
                                 "content-type", "grpc-timeout", "user-agent"])
        h = dict(headers)
        self.assertEqual(h[":method"], "POST")
        self.assertEqual(h[":scheme"], "http")
        self.assertEqual(h[":path"], "/nhanluc.v1.Registry/GetUnit")
        self.assertEqual(h[":authority"], "127.0.0.1:%d" % srv.port)
        self.assertEqual(h["te"], "trailers")
        self.assertEqual(h["content-type"], "application/grpc")
        self.assertRegex(h["grpc-timeout"], r"^[0-9]{1,8}m$")
        self.assertLessEqual(int(h["grpc-timeout"][:-1]), 3000)
        self.assertGreater(int(h["grpc-timeout"][:-1]), 2000)
        self.assertRegex(h["user-agent"], r"^nhanluc/[0-9]+\.[0-9]+\.[0-9]+$")
        self.assertEqual(body, grpc_frame(registry_pb2.GetUnitRequest(code="x").SerializeToString()))
        # SETTINGS: no push, 1 MiB stream window; connection window raised to 4 MiB.
        (_, ev), = srv.of_type("RemoteSettingsChanged")[:1]
        changed = {int(k): v.new_value for k, v in ev.changed_settings.items()}
        self.assertEqual(changed.get(0x2), 0)
        self.assertEqual(changed.get(0x4), 1 << 20)
        conn_updates = [ev.delta for _, ev in srv.of_type("WindowUpdated") if ev.stream_id == 0]
        self.assertIn((4 << 20) - 65535, conn_updates)
        # The CLI says goodbye with GOAWAY(NO_ERROR).
        for _ in range(100):
            if srv.of_type("ConnectionTerminated"):
                break
            time.sleep(0.02)
        (_, ev), = srv.of_type("ConnectionTerminated")
        self.assertEqual(int(ev.error_code), 0)

    def test_message_split_into_one_byte_frames(self):
        self.check(lambda c, sid, info: reply_ok(c, sid, grpc_frame(self.unit_bytes()), chunk=1), 0)

    def test_trailers_only_status_and_percent_message(self):
        p = self.check(lambda c, sid, info: reply_trailers_only(
            c, sid, "5", "kh%C3%B4ng t%C3%ACm th%E1%BA%A5y 100%25 %ZZ"), 5)
        self.assertEqual(p.err, "nhanluc: không tìm thấy 100% %ZZ (NOT_FOUND)\n")

    def test_http_status_without_grpc_status(self):
        def respond(c, sid, info):
            c.send_headers(sid, [(":status", "404"), ("content-type", "text/plain")], end_stream=True)
        p = self.check(respond, 12, "answered HTTP 404 without a gRPC status")
        self.assertTrue(p.err.endswith("(UNIMPLEMENTED)\n"))

    def test_http_503_is_retried_as_unavailable(self):
        def respond(c, sid, info):
            if info["call"] == 1:
                c.send_headers(sid, [(":status", "503")], end_stream=True)
            else:
                reply_ok(c, sid, grpc_frame(self.unit_bytes()))
        self.check(respond, 0, calls=2)

    def test_refused_stream_is_retried_at_once(self):
        def respond(c, sid, info):
            if info["call"] < 3:
                c.reset_stream(sid, error_code=7)  # REFUSED_STREAM
            else:
                reply_ok(c, sid, grpc_frame(self.unit_bytes()))
        p = self.check(respond, 0, calls=3)
        self.assertLess(p.elapsed, 1.5)

    def test_other_resets(self):
        for code, want in ((2, 13), (8, 1), (11, 8), (12, 7)):
            with self.subTest(h2_error=code):
                p = self.check(lambda c, sid, info, code=code: c.reset_stream(sid, error_code=code),
                               want, "stream reset by")
                self.server.close()

    def test_bad_bodies(self):
        ok = self.unit_bytes()
        cases = [
            ("two messages", lambda c, sid, i: reply_ok(c, sid, grpc_frame(ok) + grpc_frame(ok)),
             "more than one response message"),
            ("no message", lambda c, sid, i: reply_ok(c, sid, b""), "no response message"),
            ("compressed", lambda c, sid, i: reply_ok(c, sid, grpc_frame(ok, flag=1)), "compressed"),
            ("garbage", lambda c, sid, i: reply_ok(c, sid, grpc_frame(b"\xff\xff\xff")),
             "cannot decode the response message"),
            ("truncated", lambda c, sid, i: reply_ok(c, sid, grpc_frame(ok)[:-2]),
             "truncated response message"),
        ]
        for name, respond, text in cases:
            with self.subTest(case=name):
                p = self.check(respond, 13, text)
                self.assertTrue(p.err.endswith("(INTERNAL)\n"), p.err)
                self.server.close()

    def test_unparseable_grpc_status_is_unknown(self):
        self.check(lambda c, sid, i: reply_trailers_only(c, sid, "abc", "x"), 2)

    def test_empty_message_is_a_valid_default(self):
        """A zero-length message is an all-default reply (PROTOCOL.md §1.4)."""
        srv = self.serve(lambda c, sid, i: reply_ok(c, sid, grpc_frame(b"")))
        p = self.run_cli("--output", "json", "term", "list")
        self.assertEqual(p.returncode, 0, p.err)
        self.assertEqual(json.loads(p.out), [])
        self.assertEqual(len(srv.requests), 1)

    def test_goaway_before_the_stream_reconnects(self):
        def respond(c, sid, info):
            if info["conn"] == 1:
                c.close_connection(error_code=0, last_stream_id=0)
            else:
                reply_ok(c, sid, grpc_frame(self.unit_bytes()))
        p = self.check(respond, 0, calls=2)
        self.assertEqual(self.server.nconns, 2)
        self.assertLess(p.elapsed, 1.5)

    def test_connection_closed_mid_call(self):
        def respond(c, sid, info):
            raise OSError("drop")  # the handler closes the socket without answering
        p = self.check(respond, 14, calls=None)
        # A close with unread bytes in the kernel buffer is a TCP RST: either text is right.
        self.assertRegex(p.err, r"^nhanluc: lost connection to 127\.0\.0\.1:%d: "
                                r"(connection closed by the server|connection reset by peer) "
                                r"\(UNAVAILABLE\)\n$" % self.server.port)
        self.assertGreaterEqual(len(self.server.requests), 2)  # retried
        self.assertLessEqual(len(self.server.requests), 5)

    def test_server_never_answers(self):
        srv = self.serve(lambda c, sid, i: None)
        p = self.run_cli("unit", "show", "x", timeout_arg="700ms")
        self.assertEqual(p.returncode, 4, p.err)
        self.assertEqual(p.err, "nhanluc: deadline exceeded after 700ms (DEADLINE_EXCEEDED)\n")
        self.assertLess(p.elapsed, 2.0)
        # The CLI cancelled the stream before it left.
        for _ in range(100):
            if srv.of_type("StreamReset"):
                break
            time.sleep(0.02)
        (_, ev), = srv.of_type("StreamReset")
        self.assertEqual(int(ev.error_code), 8)  # CANCEL

    def test_pages_share_one_connection(self):
        def respond(c, sid, info):
            req = registry_pb2.ListUnitsRequest.FromString(info["body"][5:])
            nxt = "" if req.page_token == "2" else str(int(req.page_token or "0") + 1)
            msg = registry_pb2.ListUnitsResponse(
                units=[unit("u" + (req.page_token or "0"), "U", registry_pb2.WARD)],
                next_page_token=nxt)
            reply_ok(c, sid, grpc_frame(msg.SerializeToString()))
        p = self.check(respond, 0, calls=3, args=("--output", "csv", "unit", "list"))
        self.assertEqual(p.out, "code,name,kind,parent\r\nu0,U,WARD,\r\nu1,U,WARD,\r\nu2,U,WARD,\r\n")
        self.assertEqual(self.server.nconns, 1)
        self.assertEqual([n for n, _, _ in self.server.requests], [1, 1, 1])


@unittest.skipUnless(VALGRIND, "NHANLUC_VALGRIND not set")
class ValgrindTest(UnitTest):
    """The UnitTest cases, plus errors, deadline and connect failure, under valgrind."""
    wrapper = [VALGRIND, "--quiet", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
               "--error-exitcode=99", "--track-fds=no"] if VALGRIND else []
    slack = 3.0

    def test_error_status(self):
        def get(req, ctx, n):
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, "unit.code: sai định dạng")
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("unit", "show", "x")
        self.assertExit(p, 3)

    def test_deadline(self):
        def get(req, ctx, n):
            sleep_while_active(ctx, 5.0)
            return registry_pb2.GetUnitResponse()
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "1s", "unit", "show", "x")
        self.assertExit(p, 4)

    def test_unreachable(self):
        p = self.run_cli("--timeout", "1500ms", "health", server="127.0.0.1:%d" % free_port())
        self.assertExit(p, 14)

    def test_server_deadline_exceeded_is_retried_within_the_timeout(self):
        def get(req, ctx, n):
            if n == 1:
                ctx.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "queue expired the call")
            return registry_pb2.GetUnitResponse(unit=unit("x", "X", registry_pb2.CITY))
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("--timeout", "10s", "unit", "show", "x")
        self.assertExit(p, 0)
        self.assertEqual(self.rec.count("GetUnit"), 2)

        # Always DEADLINE_EXCEEDED: at most 5 attempts, then exit 4 with the server's message.
        self.rec.reset()
        self.rec.handlers["GetUnit"] = lambda req, ctx, n: ctx.abort(
            grpc.StatusCode.DEADLINE_EXCEEDED, "queue expired the call")
        p = self.run_cli("--timeout", "10s", "unit", "show", "x")
        self.assertExit(p, 4)
        self.assertIn("(DEADLINE_EXCEEDED)", p.err)
        self.assertLessEqual(self.rec.count("GetUnit"), 5)
        self.assertGreaterEqual(self.rec.count("GetUnit"), 2)

    def test_retry_then_ok(self):
        def get(req, ctx, n):
            if n == 1:
                ctx.set_trailing_metadata((("grpc-retry-pushback-ms", "50"),))
                ctx.abort(grpc.StatusCode.UNAVAILABLE, "again")
            return registry_pb2.GetUnitResponse(unit=unit("x", "X", registry_pb2.CITY))
        self.rec.handlers["GetUnit"] = get
        p = self.run_cli("unit", "show", "x")
        self.assertExit(p, 0)
        self.assertEqual(self.rec.count("GetUnit"), 2)

    def test_big_response(self):
        self.rec.handlers["GetUnit"] = lambda req, ctx, n: registry_pb2.GetUnitResponse(
            unit=unit("big", "z" * (5 * 1024 * 1024), registry_pb2.CITY))
        p = self.run_cli("unit", "show", "big")
        self.assertExit(p, 8)


if __name__ == "__main__":
    unittest.main()
