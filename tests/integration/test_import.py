"""test_import.py - `nhanluc import FILE` and `nhanluc export KIND`.

Two halves:

- ClientImportTest runs the real CLI against an in-process grpcio Records
  service that records every request (stubs generated from records.proto):
  what the client sends whatever the server does. Checked: a bad cell stops
  the import before anything is written (the other rows still go through the
  dry pass, so one run lists every bad row) and is reported as FILE:LINE:
  column NAME without the cell's value; a dry-run pass over every row precedes the
  real batches; --batch cuts the real pass; batch ids are stable across
  reruns (and change with --batch); a replayed batch counts as unchanged; a
  row the server refuses in the dry pass stops the import before any write;
  --skip-bad-rows skips the dry pass and imports the rest; --dry-run sends
  dry batches only; an UNAVAILABLE batch is retried with the same batch_id;
  no request nears the 4 MiB cap; export writes the header, CRLF rows, the
  BOM with --bom and follows page tokens; a header of no kind is a usage
  error naming its columns.
- ServerImportTest runs the real CLI against the real nhanlucd: the files of
  tests/integration/data/import_*.csv (BOM, CRLF, quoted commas, quotes and
  line breaks, Vietnamese labels, DD/MM/YYYY dates) imported in order,
  checked through `unit/cadre/class show`, rerun as unchanged, exported and
  imported back unchanged, rebuilt identically in a fresh database; a bad
  row reported with its line and column and nothing written; --dry-run
  writes nothing; --skip-bad-rows imports the rest; and a kill -9 of the
  server during a 20,000-row enrolments import, restarted on the same
  database file and the same command rerun, ends exactly as one clean
  import into a fresh database. These skip, saying so, while the server
  answers Records.Import / Records.Export with UNIMPLEMENTED.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

NHANLUC = os.environ.get("NHANLUC", "")
CLI_TIMEOUT_S = 120  # wall-clock bound on any one CLI run
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
FILES = ["import_units.csv", "import_terms.csv", "import_cadres.csv", "import_classes.csv",
         "import_enrolments.csv"]
KINDS = ["units", "terms", "cadres", "classes", "enrolments"]

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_UNAVAILABLE, EXIT_USAGE = 0, 3, 14, 64
MAX_REQUEST = 4 * 1024 * 1024


def setUpModule():
    nlcli.require_nhanluc()


class ImportCliMixin(nlcli.CliMixin):
    """nlcli.CliMixin against self.addr (a fake or a real server), stdout as bytes."""
    addr = None
    cli_timeout = CLI_TIMEOUT_S
    cli_text = False

    def cli_server(self):
        return self.addr

    def summary(self, *args):
        """The JSON summary of `nhanluc import ARGS` (exit 0 required)."""
        return json.loads(self.ok("--output", "json", "import", *args))

    def write(self, name, text, bom=False):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(("\ufeff" if bom else "") + text)
        return path


def enrolment_csv(n, cert_len=0, first_line_extra=None):
    """enrolments.csv text with n rows (CRLF); certificate numbers padded to cert_len."""
    rows = ["class_ref,organiser_unit,cadre_code,status,result,attended,absent_excused,"
            "absent_unexcused,thesis_score,certificate_no"]
    for i in range(n):
        cert = ("CC-%06d" % i).ljust(cert_len, "x")
        rows.append("K-%03d,hai-ba-trung,C-%05d,COMPLETED,GOOD,%d,1,0,%s,%s"
                    % (i // 200, i % 200, 10 + i % 5, "" if i % 3 else "8.5", cert))
    return "\r\n".join(rows) + "\r\n"


# --- the client against a recording fake server ---------------------------------------------


class FakeRecords:
    """Records.Import / Records.Export that record requests; built on the generated servicer."""

    def __init__(self, pb, pb_grpc):
        self.pb = pb
        self.lock = threading.Lock()
        self.requests = []       # every ImportRequest, in arrival order
        self.exports = []        # every ExportRequest
        self.bad_lines = {}      # line -> (field, reason): refused rows
        self.unavailable_once = set()  # real-pass batch indexes to refuse once with UNAVAILABLE
        self.stored = {}         # batch_id -> committed ImportResponse
        self.real_seen = 0
        self.pages = []          # Export: list of lists of ImportRow
        fake = self

        class Servicer(pb_grpc.RecordsServicer):
            def Import(self, request, context):
                return fake.do_import(request, context)

            def Export(self, request, context):
                return fake.do_export(request, context)

        self.servicer = Servicer()

    def do_import(self, req, context):
        import grpc
        pb = self.pb
        with self.lock:
            self.requests.append(req)
            if not req.dry_run:
                index = self.real_seen
                self.real_seen += 1
                if index in self.unavailable_once:
                    self.unavailable_once.discard(index)
                    self.real_seen -= 1
                    context.abort(grpc.StatusCode.UNAVAILABLE, "restarting")
                if req.batch_id in self.stored:
                    resp = pb.ImportResponse()
                    resp.CopyFrom(self.stored[req.batch_id])
                    resp.replayed = True
                    return resp
            errors = [pb.RowError(line=r.line, field=self.bad_lines[r.line][0],
                                  reason=self.bad_lines[r.line][1])
                      for r in req.rows if r.line in self.bad_lines]
            ok = len(req.rows) - len(errors)
            if errors and not req.skip_bad_rows:
                ok = 0
            resp = pb.ImportResponse(created=ok, rejected=len(errors), errors=errors)
            if not req.dry_run and (req.skip_bad_rows or not errors):
                self.stored[req.batch_id] = resp
            return resp

    def do_export(self, req, context):
        with self.lock:
            self.exports.append(req)
            page = int(req.page_token or "0")
            resp = self.pb.ExportResponse(rows=self.pages[page])
            if page + 1 < len(self.pages):
                resp.next_page_token = str(page + 1)
            return resp

    def real(self):
        return [r for r in self.requests if not r.dry_run]

    def dry(self):
        return [r for r in self.requests if r.dry_run]


class ClientImportTest(ImportCliMixin, unittest.TestCase):
    def setUp(self):
        import grpc
        st = nlserver.stubs()
        self.pb = st.records_pb2
        self.fake = FakeRecords(st.records_pb2, st.records_pb2_grpc)
        self.server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4),
                                  options=[("grpc.max_receive_message_length", 8 << 20)])
        st.records_pb2_grpc.add_RecordsServicer_to_server(self.fake.servicer, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.addCleanup(self.server.stop, None)
        self.addr = "127.0.0.1:%d" % port
        self.tmp = tempfile.mkdtemp(prefix="nlimport-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_bad_cells_stop_before_writing(self):
        path = self.write("cadres.csv",
                          "cadre_code,full_name,sex,birth_year,as_of\r\n"
                          "C1,An,Nữ,1975,01/10/2020\r\n"
                          "C2,\"Bình\r\nTrần\",Zebra42,1980,2020-10-01\r\n"
                          "C3,Cúc,Nam,1985,31/02/2020\r\n", bom=True)
        rc, out, err = self.cli("import", path)
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertEqual(out, b"")
        self.assertIn("%s:3: column sex: unknown value" % path, err)
        self.assertIn("%s:5: column as_of: expected a date" % path, err)  # line 3 spans 3-4
        self.assertNotIn("Zebra42", err)
        self.assertIn("nothing was written", err)
        # the readable row is checked by the server (so one run lists every bad row), never written
        self.assertEqual([r.dry_run for r in self.fake.requests], [True])
        self.assertEqual([row.line for row in self.fake.requests[0].rows], [2])

    def test_unknown_header_is_a_usage_error(self):
        path = self.write("x.csv", "ma_can_bo,ho_ten\r\nA,B\r\n")
        rc, out, err = self.cli("import", path)
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("ma_can_bo, ho_ten", err)
        rc, out, err = self.cli("import", path, "--kind", "cadres")
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("unknown column \"ma_can_bo\"", err)
        self.assertEqual(self.fake.requests, [])

    def test_dry_pass_batches_and_stable_ids(self):
        path = self.write("enrolments.csv", enrolment_csv(5))
        s = self.summary(path, "--batch", "2")
        self.assertEqual((s["kind"], s["rows"], s["created"], s["unchanged"], s["rejected"],
                          s["dry_run"]), ("enrolments", 5, 5, 0, 0, False))
        dry, real = self.fake.dry(), self.fake.real()
        self.assertEqual([len(r.rows) for r in dry], [5])
        self.assertEqual([len(r.rows) for r in real], [2, 2, 1])
        # the dry pass comes first, and every real row is sent once, in file order
        self.assertTrue(self.fake.requests[0].dry_run)
        self.assertEqual([row.line for r in real for row in r.rows], [2, 3, 4, 5, 6])
        self.assertEqual(real[0].rows[1].enrolment.enrolment.cadre_code, "C-00001")
        self.assertEqual(real[0].rows[0].enrolment.enrolment.thesis_score.value, 8.5)
        self.assertFalse(real[0].rows[1].enrolment.enrolment.HasField("thesis_score"))
        ids = [r.batch_id for r in real]
        self.assertEqual(len(set(ids + [dry[0].batch_id])), 4)
        for i in ids:
            self.assertRegex(i, "^[0-9a-f]{64}$")

        # a rerun sends the same ids; the server replays them: all unchanged
        s = self.summary(path, "--batch", "2")
        self.assertEqual((s["created"], s["updated"], s["unchanged"]), (0, 0, 5))
        self.assertEqual([r.batch_id for r in self.fake.real()[3:]], ids)
        # another --batch is another cut: other ids
        self.summary(path, "--batch", "3")
        self.assertTrue(set(r.batch_id for r in self.fake.real()[6:]).isdisjoint(ids))

    def test_refused_row_stops_before_writing(self):
        path = self.write("enrolments.csv", enrolment_csv(6))
        self.fake.bad_lines[4] = ("enrolment.enrolment.attended", "attended + absences > sessions")
        rc, out, err = self.cli("import", path, "--batch", "2")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("%s:4: column attended: attended + absences > sessions" % path, err)
        self.assertIn("nothing was written", err)
        self.assertEqual(self.fake.real(), [])
        self.assertEqual(len(self.fake.dry()), 1)

    def test_skip_bad_rows(self):
        text = enrolment_csv(6).replace("C-00002,COMPLETED", "C-00002,Zebra42")
        path = self.write("enrolments.csv", text)
        self.fake.bad_lines[6] = ("enrolment.cadre_code", "no such cadre")
        s = self.summary(path, "--skip-bad-rows")
        self.assertEqual((s["created"], s["rejected"]), (4, 2))
        self.assertEqual(self.fake.dry(), [])
        self.assertTrue(all(r.skip_bad_rows for r in self.fake.real()))
        self.assertEqual(sum(len(r.rows) for r in self.fake.real()), 5)
        rc, out, err = self.cli("import", path, "--skip-bad-rows")
        self.assertIn("%s:4: column status: unknown value" % path, err)
        self.assertIn("%s:6: column cadre_code: no such cadre" % path, err)

    def test_dry_run_sends_dry_batches_only(self):
        path = self.write("enrolments.csv", enrolment_csv(7000))
        s = self.summary(path, "--dry-run")
        self.assertEqual((s["created"], s["dry_run"]), (7000, True))
        self.assertEqual([len(r.rows) for r in self.fake.requests], [5000, 2000])
        self.assertEqual(self.fake.real(), [])

    def test_unavailable_batch_is_resent_with_its_id(self):
        path = self.write("enrolments.csv", enrolment_csv(5))
        self.fake.unavailable_once.add(1)
        s = self.summary(path, "--batch", "2")
        self.assertEqual((s["created"], s["unchanged"]), (5, 0))
        real = self.fake.real()
        self.assertEqual([len(r.rows) for r in real], [2, 2, 2, 1])
        self.assertEqual(real[1].batch_id, real[2].batch_id)
        self.assertNotEqual(real[0].batch_id, real[1].batch_id)

    def test_requests_stay_under_the_cap(self):
        # 1,500 rows of ~3 KB: 1,000 rows would be ~3 MiB, so the byte cap cuts the batches.
        path = self.write("enrolments.csv", enrolment_csv(1500, cert_len=3000))
        s = self.summary(path)
        self.assertEqual(s["created"], 1500)
        for r in self.fake.requests:
            self.assertLess(r.ByteSize(), MAX_REQUEST // 2 + 4096)
        self.assertEqual(sum(len(r.rows) for r in self.fake.real()), 1500)
        self.assertGreater(len(self.fake.real()), 2)

    def test_export_writes_csv_pages(self):
        pb = self.pb
        cls = lambda ref, title: pb.ImportRow(training_class=pb.TrainingClass(  # noqa: E731
            class_ref=ref, organiser_unit="tay-ho", title=title, kind=pb.TRAINING_KIND_UPGRADE,
            area=pb.AREA_IT, start_date="2024-03-01", end_date="2024-03-05", sessions=5,
            status=pb.CLASS_STATUS_ENDED))
        self.fake.pages = [[cls("A/1", "Tin học, cơ bản"), cls("A/2", 'Lớp "2"\nkhóa 1')],
                           [cls("A/3", "Ba")]]
        rc, out, err = self.cli("export", "classes", "--year", "2024", "--unit", "tay-ho")
        self.assertEqual(rc, EXIT_OK, err)
        want = ("class_ref,organiser_unit,title,kind,area,target_group,planning_term,mode,"
                "start_date,end_date,sessions,planned_trainees,status\r\n"
                "A/1,tay-ho,\"Tin học, cơ bản\",UPGRADE,IT,,,,2024-03-01,2024-03-05,5,0,ENDED\r\n"
                "A/2,tay-ho,\"Lớp \"\"2\"\"\nkhóa 1\",UPGRADE,IT,,,,2024-03-01,2024-03-05,5,0,"
                "ENDED\r\n"
                "A/3,tay-ho,Ba,UPGRADE,IT,,,,2024-03-01,2024-03-05,5,0,ENDED\r\n")
        self.assertEqual(out.decode("utf-8"), want)
        e = self.fake.exports
        self.assertEqual([(x.kind, x.year, x.unit, x.page_token) for x in e],
                         [(pb.EXPORT_KIND_CLASSES, 2024, "tay-ho", ""),
                          (pb.EXPORT_KIND_CLASSES, 2024, "tay-ho", "1")])
        rc, out, err = self.cli("export", "classes.csv", "--bom")
        self.assertEqual(out[:3], b"\xef\xbb\xbf")
        # what export writes, import reads back into the same rows
        path = self.write("classes.csv", out[3:].decode("utf-8"), bom=True)
        self.summary(path)
        sent = [row for r in self.fake.real() for row in r.rows]
        self.assertEqual([r.training_class for r in sent],
                         [r.training_class for p in self.fake.pages for r in p])
        rc, out, err = self.cli("export", "target")  # no such kind (targets is one)
        self.assertEqual(rc, EXIT_USAGE, err)


# --- the client against the real server ------------------------------------------------------


class ServerImportTest(ImportCliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()
        self.addr = self.srv.addr
        self.tmp = tempfile.mkdtemp(prefix="nlimport-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.require_built()

    def require_built(self):
        """Skips while the server answers Import or Export with UNIMPLEMENTED."""
        import grpc
        st = nlserver.stubs()
        with grpc.insecure_channel(self.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
            stub = st.records_pb2_grpc.RecordsStub(ch)
            for name, call, req in (
                    ("Import", stub.Import, st.records_pb2.ImportRequest(batch_id="probe",
                                                                         dry_run=True)),
                    ("Export", stub.Export, st.records_pb2.ExportRequest(
                        kind=st.records_pb2.EXPORT_KIND_UNITS, page_size=1))):
                try:
                    call(req, timeout=30)
                except grpc.RpcError as e:
                    if e.code() == grpc.StatusCode.UNIMPLEMENTED:
                        self.skipTest("the server does not implement Records.%s yet "
                                      "(UNIMPLEMENTED: %s)" % (name, e.details()))

    def import_all(self, expect_created=True):
        for f in FILES:
            s = self.summary(os.path.join(DATA, f))
            self.assertEqual(s["rejected"], 0, f)
            if expect_created:
                self.assertEqual(s["created"] + s["updated"], s["rows"], (f, s))

    def export(self, kind):
        return self.ok("export", kind)

    def test_import_rerun_and_round_trip(self):
        self.import_all()
        unit = json.loads(self.ok("--output", "json", "unit", "show", "tay-ho"))
        self.assertEqual(unit["name"], 'Quận "Tây Hồ"')
        self.assertEqual(unit["kind"], "URBAN_DISTRICT")
        unit = json.loads(self.ok("--output", "json", "unit", "show", "hai-ba-trung"))
        self.assertEqual(unit["name"], "Quận Hai Bà Trưng, Hà Nội")
        terms = json.loads(self.ok("--output", "json", "term", "list"))
        self.assertIn({"code": "2021-2026", "kind": "PEOPLES_COUNCIL", "start_year": 2021,
                       "end_year": 2026}, terms)
        out = self.ok("--output", "csv", "cadre", "show", "HBT-0001").decode("utf-8")
        self.assertIn("2020-10-01", out)
        self.assertIn("2023-01-01", out)
        self.assertIn("DOCTOR", out)
        doc = json.loads(self.ok("--output", "json", "class", "show", "hai-ba-trung",
                                 "HBT-2019/QH-BCH-01"))
        self.assertEqual(doc["class"]["title"],
                         "Lớp bồi dưỡng nguồn quy hoạch, Ban Chấp hành\nnhiệm kỳ 2020-2025")
        self.assertEqual((doc["class"]["kind"], doc["class"]["end_date"]),
                         ("UPGRADE", "2019-06-28"))
        by = {e["cadre_code"]: e for e in doc["enrolments"]}
        self.assertEqual(sorted(by), ["HBT-0001", "HBT-0002", "HBT-0003"])
        self.assertEqual((by["HBT-0001"]["result"], by["HBT-0001"]["thesis_score"]),
                         ("EXCELLENT", 9.25))
        self.assertEqual(by["HBT-0003"]["result"], "VERY_GOOD")

        # the same files again: every row unchanged
        for f in FILES:
            s = self.summary(os.path.join(DATA, f))
            self.assertEqual((s["created"], s["updated"], s["unchanged"]), (0, 0, s["rows"]), f)

        # export -> import: unchanged; and into a fresh database -> the same export
        exports = {k: self.export(k) for k in KINDS}
        for k in KINDS:
            self.assertFalse(exports[k].startswith(b"\xef\xbb\xbf"))
            path = os.path.join(self.tmp, k + ".csv")
            with open(path, "wb") as f:
                f.write(exports[k])
            s = self.summary(path)
            self.assertEqual((s["created"], s["updated"]), (0, 0), (k, s))
            self.assertEqual(s["unchanged"], s["rows"], k)
        self.assertEqual(exports["enrolments"].count(b"\r\n"), 6)
        fresh = self.start_server()
        self.addr = fresh.addr
        for k in KINDS:
            self.summary(os.path.join(self.tmp, k + ".csv"))
        for k in KINDS:
            self.assertEqual(self.export(k), exports[k], k)

    def test_bad_rows_dry_run_and_skip(self):
        for f in FILES[:2]:
            self.summary(os.path.join(DATA, f))
        base = self.export("cadres")
        prof = ",Bí thư,có,DISTRICT,OTHER,Thạc sĩ,Cao cấp,Cao cấp,01/01/2021\r\n"
        text = ("cadre_code,sex,birth_year,unit,position_title,key_cadre,level,mgmt_category,"
                "education,political_theory,state_mgmt,as_of\r\n"
                "K1,Nữ,1975,tay-ho" + prof +
                "K2,Nam,1980,khong-co-don-vi" + prof +
                "K3,Nam,1982,tay-ho" + prof)
        path = self.write("cadres.csv", text, bom=True)

        # a row the server refuses: named by line and column, nothing written
        rc, out, err = self.cli("import", path)
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("%s:3: column unit:" % path, err)
        self.assertNotIn("khong-co-don-vi", err)
        self.assertEqual(self.export("cadres"), base)

        # a cell the client cannot read: the same, and the server's refusal in the same run
        bad = self.write("cadres2.csv", text.replace("K3,Nam", "K3,Zebra42"))
        rc, out, err = self.cli("import", bad)
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("%s:4: column sex:" % bad, err)
        self.assertIn("%s:3: column unit:" % bad, err)
        self.assertEqual(self.export("cadres"), base)

        # --dry-run: counted, nothing written
        good = self.write("cadres3.csv", text.replace("khong-co-don-vi", "tay-ho"))
        s = self.summary(good, "--dry-run")
        self.assertEqual((s["created"], s["dry_run"]), (3, True))
        self.assertEqual(self.export("cadres"), base)

        # --skip-bad-rows: the others go in
        s = self.summary(path, "--skip-bad-rows")
        self.assertEqual((s["created"], s["rejected"]), (2, 1))
        codes = [ln.split(b",")[0] for ln in self.export("cadres").split(b"\r\n")[1:] if ln]
        self.assertEqual(sorted(codes), [b"K1", b"K3"])

    def test_kill9_during_import_then_rerun(self):
        n_cadres, n_classes = 200, 100
        cadres = ["cadre_code,sex,birth_year"]
        cadres += ["C-%05d,%s,%d" % (i, "Nam" if i % 2 else "Nữ", 1960 + i % 40)
                   for i in range(n_cadres)]
        classes = ["class_ref,organiser_unit,title,kind,area,target_group,mode,start_date,"
                   "end_date,sessions,status"]
        classes += ["K-%03d,hai-ba-trung,Lớp %d,UPGRADE,IT,CIVIL_SERVANT,FULL_TIME,2019-03-01,"
                    "2019-03-20,20,ENDED" % (i, i) for i in range(n_classes)]
        with open(os.path.join(DATA, FILES[0]), encoding="utf-8-sig") as f:
            units = f.read()
        setup = [self.write("units.csv", units),
                 self.write("cadres.csv", "\r\n".join(cadres) + "\r\n"),
                 self.write("classes.csv", "\r\n".join(classes) + "\r\n")]
        big = self.write("enrolments.csv", enrolment_csv(n_cadres * n_classes))
        batch = ["--batch", "200", "--timeout", "40s"]

        # the first server: a file of our own, and every job slowed down so that the kill
        # lands between batches of the real pass
        dbdir = tempfile.mkdtemp(prefix="nlkill-")
        self.addCleanup(shutil.rmtree, dbdir, True)
        srv = nlserver.NlServer(env={"NL_TEST_HANDLER_DELAY_MS": "20"})
        srv.db = os.path.join(dbdir, "nl.db")
        srv.start()
        self.addCleanup(srv.stop)
        self.addr = srv.addr
        for f in setup:
            self.summary(f)
        before = srv.stderr_text().count("/nhanluc.v1.Records/Import OK")
        argv = [NHANLUC, "--server", srv.addr, "--output", "json", "import", big] + batch
        cli = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        try:
            # 4 dry batches of 5,000 rows, then wait for 3 committed real batches
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and cli.poll() is None:
                if srv.stderr_text().count("/nhanluc.v1.Records/Import OK") - before >= 4 + 3:
                    break
                time.sleep(0.01)
            if cli.poll() is not None:
                self.skipTest("the import ended before the server could be killed")
            os.kill(srv.pid, signal.SIGKILL)
            out, err = cli.communicate(timeout=CLI_TIMEOUT_S)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait(10)
        err = err.decode("utf-8", "replace")
        self.assertNotEqual(cli.returncode, EXIT_OK, err)
        self.assertIn("run the same command again", err)
        srv.wait(10)
        srv.stop()

        # the same database file, the same command
        again = nlserver.NlServer()
        again.db = srv.db
        again.start()
        self.addCleanup(self.check_server_exit, again)
        self.addr = again.addr
        s = self.summary(big, *batch)
        self.assertEqual(s["rejected"], 0)
        self.assertEqual(s["created"] + s["unchanged"], n_cadres * n_classes)
        self.assertGreaterEqual(s["unchanged"], 3 * 200)
        self.assertEqual(s["updated"], 0)
        after = {k: self.export(k) for k in ("enrolments", "classes", "cadres", "units")}

        # one clean import into a fresh database gives the same records
        self.addr = self.start_server().addr
        for f in setup + [big]:
            self.summary(f)
        for k, text in after.items():
            self.assertEqual(self.export(k), text, k)
        self.assertEqual(after["enrolments"].count(b"\r\n"), n_cadres * n_classes + 1)

    def test_big_class_in_two_batches(self):
        """One class of 2,000 trainees, enrolments.csv in two batches of 1,000 (issue 3's
        audit: each row once read the whole class): all created; the same command again
        replays the stored answers; another --batch runs every row again, all unchanged; a
        file with one row changed updates that row alone; the class holds them all."""
        n = 2000
        cadres = ["cadre_code,sex,birth_year"]
        cadres += ["B-%05d,%s,%d" % (i, "Nam" if i % 2 else "Nữ", 1960 + i % 40)
                   for i in range(n)]
        classes = ("class_ref,organiser_unit,title,kind,area,target_group,mode,start_date,"
                   "end_date,sessions,status\r\n"
                   "BIG,hai-ba-trung,Lớp đông,UPGRADE,IT,CIVIL_SERVANT,FULL_TIME,2021-03-01,"
                   "2021-05-28,20,ENDED\r\n")
        head = ("class_ref,organiser_unit,cadre_code,status,result,attended,absent_excused,"
                "absent_unexcused,thesis_score,certificate_no")

        def enrolments(changed=None):
            rows = [head]
            for i in range(n):
                attended = 10 + i % 7 + (1 if i == changed else 0)
                rows.append("BIG,hai-ba-trung,B-%05d,COMPLETED,GOOD,%d,1,0,%s,BIG/%05d"
                            % (i, attended, "" if i % 3 else "9.5", i))
            return "\r\n".join(rows) + "\r\n"

        self.summary(os.path.join(DATA, FILES[0]))
        self.summary(self.write("cadres.csv", "\r\n".join(cadres) + "\r\n"))
        self.summary(self.write("classes.csv", classes))
        path = self.write("enrolments.csv", enrolments())

        def counts(*args):
            s = self.summary(path, *args)
            self.assertEqual((s["rows"], s["rejected"]), (n, 0), s)
            return s["created"], s["updated"], s["unchanged"]

        self.assertEqual(counts("--batch", "1000"), (n, 0, 0))
        self.assertEqual(counts("--batch", "1000"), (0, 0, n))  # committed batches replay
        self.assertEqual(counts("--batch", "999"), (0, 0, n))   # new batches, every row again
        path = self.write("enrolments2.csv", enrolments(changed=1500))
        self.assertEqual(counts("--batch", "1000"), (0, 1, n - 1))

        doc = json.loads(self.ok("--output", "json", "class", "show", "hai-ba-trung", "BIG"))
        by = {e["cadre_code"]: e for e in doc["enrolments"]}
        self.assertEqual(len(by), n)
        self.assertEqual(by["B-01500"]["attended"], 10 + 1500 % 7 + 1)
        self.assertEqual(by["B-01499"]["attended"], 10 + 1499 % 7)
        self.assertEqual(by["B-00003"]["thesis_score"], 9.5)


if __name__ == "__main__":
    unittest.main()
