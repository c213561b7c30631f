"""test_grpcio.py - a stock gRPC client (Debian's grpcio 1.51) against the real nhanlucd.

Each test starts its own server (tests/support/nlserver.py) on 127.0.0.1:0
with a temp database; the fixture fails the test on a sanitizer report or an
unclean exit. Run by CTest with /usr/bin/python3 (label interop).
"""

import collections
import os
import signal
import socket
import sys
import time
import unicodedata
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402

import grpc  # noqa: E402

MAX_MESSAGE = 4 * 1024 * 1024
CALL_TIMEOUT = 10  # seconds, for calls that are expected to succeed


class GrpcTestCase(nlserver.ServerTestCase):
    """A server plus a grpcio channel to it, both closed at cleanup."""

    server_args = ()
    server_env = None

    def setUp(self):
        self.s = nlserver.stubs()
        self.pb = self.s.registry_pb2
        self.srv = self.start_server(args=self.server_args, env=self.server_env)
        self.channel = self.open_channel()
        self.stub = self.s.registry_pb2_grpc.RegistryStub(self.channel)
        self.check = nlserver.health_check_callable(self.channel)

    def open_channel(self, options=()):
        ch = grpc.insecure_channel(self.srv.addr,
                                   options=nlserver.GRPC_CHANNEL_OPTIONS + list(options))
        # Cleanups run last-in first-out: the channel closes before the server stops.
        self.addCleanup(ch.close)
        return ch

    def health(self, service, timeout=CALL_TIMEOUT):
        return self.check(self.s.health_pb2.HealthCheckRequest(service=service), timeout=timeout)

    def unit(self, code, name, kind, parent=""):
        return self.pb.Unit(code=code, name=name, kind=kind, parent=parent)

    def create_unit(self, code, name, kind, parent=""):
        return self.stub.CreateUnit(
            self.pb.CreateUnitRequest(unit=self.unit(code, name, kind, parent)),
            timeout=CALL_TIMEOUT)

    def seed_tree(self):
        self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        self.create_unit("hoan-kiem", "Quận Hoàn Kiếm", self.pb.URBAN_DISTRICT, "ha-noi")
        self.create_unit("thanh-tri", "Huyện Thanh Trì", self.pb.RURAL_DISTRICT, "ha-noi")
        self.create_unit("hang-bac", "Phường Hàng Bạc", self.pb.WARD, "hoan-kiem")

    def assertRpcError(self, code, fn, *args, **kwargs):
        """Calls fn and asserts it raises grpc.RpcError with `code`; returns the error."""
        with self.assertRaises(grpc.RpcError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code(), code,
                         "details: %r" % (cm.exception.details(),))
        return cm.exception


class HealthTest(GrpcTestCase):
    def test_whole_server_and_registry_are_serving(self):
        serving = self.s.health_pb2.HealthCheckResponse.SERVING
        self.assertEqual(self.health("").status, serving)
        self.assertEqual(self.health("nhanluc.v1.Registry").status, serving)

    def test_unknown_service_is_not_found(self):
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.health, "nope")
        # The error did not break the connection.
        self.assertEqual(self.health("").status, self.s.health_pb2.HealthCheckResponse.SERVING)


class UnitsTest(GrpcTestCase):
    def test_create_get_list_units(self):
        r = self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        self.assertTrue(r.created)
        self.assertEqual((r.unit.code, r.unit.name, r.unit.kind, r.unit.parent),
                         ("ha-noi", "Thành phố Hà Nội", self.pb.CITY, ""))
        r = self.create_unit("hoan-kiem", "Quận Hoàn Kiếm", self.pb.URBAN_DISTRICT, "ha-noi")
        self.assertTrue(r.created)
        self.assertEqual(r.unit.parent, "ha-noi")

        got = self.stub.GetUnit(self.pb.GetUnitRequest(code="hoan-kiem"), timeout=CALL_TIMEOUT)
        self.assertEqual((got.unit.code, got.unit.name, got.unit.kind, got.unit.parent),
                         ("hoan-kiem", "Quận Hoàn Kiếm", self.pb.URBAN_DISTRICT, "ha-noi"))

        self.create_unit("thanh-tri", "Huyện Thanh Trì", self.pb.RURAL_DISTRICT, "ha-noi")
        self.create_unit("hang-bac", "Phường Hàng Bạc", self.pb.WARD, "hoan-kiem")
        every = self.stub.ListUnits(self.pb.ListUnitsRequest(), timeout=CALL_TIMEOUT)
        self.assertEqual(sorted(u.code for u in every.units),
                         ["ha-noi", "hang-bac", "hoan-kiem", "thanh-tri"])
        self.assertEqual(every.next_page_token, "")
        kids = self.stub.ListUnits(self.pb.ListUnitsRequest(parent="ha-noi"), timeout=CALL_TIMEOUT)
        self.assertEqual(sorted(u.code for u in kids.units), ["hoan-kiem", "thanh-tri"])
        self.assertEqual({u.parent for u in kids.units}, {"ha-noi"})

    def test_list_units_pages(self):
        self.seed_tree()
        seen, token = [], ""
        for _ in range(10):  # 4 units, page size 1: 4 pages (+1 spare)
            page = self.stub.ListUnits(self.pb.ListUnitsRequest(page_size=1, page_token=token),
                                       timeout=CALL_TIMEOUT)
            self.assertLessEqual(len(page.units), 1)
            seen += [u.code for u in page.units]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(token, "", "paging did not end")
        self.assertEqual(sorted(seen), ["ha-noi", "hang-bac", "hoan-kiem", "thanh-tri"])
        self.assertEqual(len(seen), len(set(seen)), "a unit appeared on two pages")

    def test_replay_returns_created_false(self):
        first = self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        again = self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        self.assertTrue(first.created)
        self.assertFalse(again.created)
        self.assertEqual(again.unit, first.unit)
        every = self.stub.ListUnits(self.pb.ListUnitsRequest(), timeout=CALL_TIMEOUT)
        self.assertEqual([u.code for u in every.units], ["ha-noi"])

    def test_conflict_is_already_exists(self):
        self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.create_unit,
                            "ha-noi", "Hà Nội khác", self.pb.CITY)
        got = self.stub.GetUnit(self.pb.GetUnitRequest(code="ha-noi"), timeout=CALL_TIMEOUT)
        self.assertEqual(got.unit.name, "Thành phố Hà Nội", "the conflicting write changed the row")

    def test_unknown_unit_is_not_found(self):
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.stub.GetUnit,
                            self.pb.GetUnitRequest(code="khong-co"), timeout=CALL_TIMEOUT)

    def test_unknown_parent_is_invalid_argument(self):
        e = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.create_unit,
                                "hoan-kiem", "Quận Hoàn Kiếm", self.pb.URBAN_DISTRICT, "ha-noi")
        self.assertIn("parent", e.details())
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, self.stub.GetUnit,
                            self.pb.GetUnitRequest(code="hoan-kiem"), timeout=CALL_TIMEOUT)

    def test_validation_names_the_field_path(self):
        pb = self.pb
        self.create_unit("ha-noi", "Thành phố Hà Nội", pb.CITY)
        cases = [
            ("CreateUnit", pb.CreateUnitRequest(), "unit"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("Ha Noi", "x", pb.CITY)),
             "unit.code"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("a" * 65, "x", pb.CITY)),
             "unit.code"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "", pb.CITY)), "unit.name"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "n" * 201, pb.CITY)),
             "unit.name"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "n", pb.UNIT_KIND_UNSPECIFIED)),
             "unit.kind"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "n", 99)), "unit.kind"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "n", pb.CITY, "ha-noi")),
             "unit.parent"),
            ("CreateUnit", pb.CreateUnitRequest(unit=self.unit("x", "n", pb.WARD)), "unit.parent"),
            ("GetUnit", pb.GetUnitRequest(code=""), "code"),
            ("GetUnit", pb.GetUnitRequest(code="HA-NOI"), "code"),
            ("ListUnits", pb.ListUnitsRequest(page_size=1001), "page_size"),
            ("ListUnits", pb.ListUnitsRequest(page_size=-1), "page_size"),
            ("ListUnits", pb.ListUnitsRequest(page_token="dTpIQS1OT0k"), "page_token"),
            ("ListUnits", pb.ListUnitsRequest(parent="Ha Noi"), "parent"),
            ("CreateTerm", pb.CreateTermRequest(), "term"),
            ("CreateTerm", pb.CreateTermRequest(term=pb.Term(code="2020", kind=pb.PARTY_CONGRESS)),
             "term.code"),
            ("CreateTerm", pb.CreateTermRequest(
                term=pb.Term(code="2025-2020", kind=pb.PARTY_CONGRESS)), "term.code"),
            ("CreateTerm", pb.CreateTermRequest(term=pb.Term(code="2020-2025")), "term.kind"),
            ("CreateTerm", pb.CreateTermRequest(
                term=pb.Term(code="2020-2025", kind=pb.PARTY_CONGRESS, start_year=2019)),
             "term.start_year"),
            ("ListTerms", pb.ListTermsRequest(kind=42), "kind"),
        ]
        for method, req, path in cases:
            with self.subTest(method=method, path=path, req=str(req)[:80]):
                e = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT,
                                        getattr(self.stub, method), req, timeout=CALL_TIMEOUT)
                self.assertTrue(e.details().startswith(path + ":"),
                                "details %r do not start with %r" % (e.details(), path + ":"))
        # Nothing was written by the rejected calls.
        every = self.stub.ListUnits(pb.ListUnitsRequest(), timeout=CALL_TIMEOUT)
        self.assertEqual([u.code for u in every.units], ["ha-noi"])
        terms = self.stub.ListTerms(pb.ListTermsRequest(), timeout=CALL_TIMEOUT).terms
        self.assertEqual(len(terms), 0)

    def test_non_base64_page_token_is_invalid_argument(self):
        for token in ("not-a-token", "!!!!"):
            with self.subTest(token=token):
                e = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.stub.ListUnits,
                                        self.pb.ListUnitsRequest(page_token=token),
                                        timeout=CALL_TIMEOUT)
                self.assertTrue(e.details().startswith("page_token:"), e.details())

    def test_vietnamese_nfd_name_comes_back_nfc(self):
        nfc = "Quận Hoàn Kiếm"
        nfd = unicodedata.normalize("NFD", nfc)
        self.assertEqual(unicodedata.normalize("NFC", nfc), nfc)
        self.assertNotEqual(nfd.encode(), nfc.encode(), "test input is not decomposed")
        self.create_unit("ha-noi", unicodedata.normalize("NFD", "Thành phố Hà Nội"), self.pb.CITY)

        r = self.create_unit("hoan-kiem", nfd, self.pb.URBAN_DISTRICT, "ha-noi")
        self.assertTrue(r.created)
        self.assertEqual(r.unit.name.encode(), nfc.encode())
        got = self.stub.GetUnit(self.pb.GetUnitRequest(code="hoan-kiem"), timeout=CALL_TIMEOUT)
        self.assertEqual(got.unit.name.encode(), nfc.encode())
        every = self.stub.ListUnits(self.pb.ListUnitsRequest(), timeout=CALL_TIMEOUT)
        names = {u.code: u.name.encode() for u in every.units}
        self.assertEqual(names, {"ha-noi": "Thành phố Hà Nội".encode(),
                                 "hoan-kiem": nfc.encode()})
        # The composed spelling of the same name is a replay, not a conflict.
        again = self.create_unit("hoan-kiem", nfc, self.pb.URBAN_DISTRICT, "ha-noi")
        self.assertFalse(again.created)


class TermsTest(GrpcTestCase):
    def test_create_and_list_terms(self):
        pb = self.pb
        r = self.stub.CreateTerm(pb.CreateTermRequest(
            term=pb.Term(code="2020-2025", kind=pb.PARTY_CONGRESS)), timeout=CALL_TIMEOUT)
        self.assertTrue(r.created)
        self.assertEqual((r.term.code, r.term.kind, r.term.start_year, r.term.end_year),
                         ("2020-2025", pb.PARTY_CONGRESS, 2020, 2025))
        r = self.stub.CreateTerm(pb.CreateTermRequest(
            term=pb.Term(code="2021-2026", kind=pb.PEOPLES_COUNCIL, start_year=2021,
                         end_year=2026)), timeout=CALL_TIMEOUT)
        self.assertTrue(r.created)
        again = self.stub.CreateTerm(pb.CreateTermRequest(
            term=pb.Term(code="2020-2025", kind=pb.PARTY_CONGRESS)), timeout=CALL_TIMEOUT)
        self.assertFalse(again.created)

        every = self.stub.ListTerms(pb.ListTermsRequest(), timeout=CALL_TIMEOUT)
        self.assertEqual(sorted((t.code, t.kind, t.start_year, t.end_year) for t in every.terms),
                         [("2020-2025", pb.PARTY_CONGRESS, 2020, 2025),
                          ("2021-2026", pb.PEOPLES_COUNCIL, 2021, 2026)])
        council = self.stub.ListTerms(pb.ListTermsRequest(kind=pb.PEOPLES_COUNCIL),
                                      timeout=CALL_TIMEOUT)
        self.assertEqual([t.code for t in council.terms], ["2021-2026"])

    def test_term_conflict_is_already_exists(self):
        pb = self.pb
        self.stub.CreateTerm(pb.CreateTermRequest(
            term=pb.Term(code="2020-2025", kind=pb.PARTY_CONGRESS)), timeout=CALL_TIMEOUT)
        self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.stub.CreateTerm,
                            pb.CreateTermRequest(term=pb.Term(code="2020-2025",
                                                              kind=pb.PEOPLES_COUNCIL)),
                            timeout=CALL_TIMEOUT)


class TransportTest(GrpcTestCase):
    def generic(self, path, channel=None):
        ch = channel or self.channel
        return ch.unary_unary(path, request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)

    def test_unknown_method_is_unimplemented(self):
        for path in ("/nhanluc.v1.Registry/Nope", "/x.Y/Z", "/nhanluc.v1.registry/GetUnit"):
            with self.subTest(path=path):
                self.assertRpcError(grpc.StatusCode.UNIMPLEMENTED, self.generic(path), b"",
                                    timeout=CALL_TIMEOUT)
        # The connection still serves real calls.
        self.assertEqual(self.health("").status, self.s.health_pb2.HealthCheckResponse.SERVING)

    def test_spaced_calls_are_not_told_too_many_pings(self):
        # grpcio sends a BDP ping after the data it receives, so a client making calls a
        # few ms apart pings while no call is running. A response clears the ping
        # strikes, so such a busy stock client is never sent GOAWAY "too_many_pings"
        # (grpcio would reconnect silently; the server log tells).
        deadline = time.monotonic() + 30
        n = 0
        while n < 400 and time.monotonic() < deadline:
            self.assertEqual(self.health("").status,
                             self.s.health_pb2.HealthCheckResponse.SERVING)
            time.sleep(0.02)
            n += 1
        self.assertGreaterEqual(n, 200, "too few calls in 30 s to mean anything")
        self.assertNotIn("too many pings", self.srv.stderr_text())

    def test_message_cap_is_exactly_4_mib(self):
        ch = self.open_channel([("grpc.max_send_message_length", -1),
                                ("grpc.max_receive_message_length", -1)])
        stub = self.s.registry_pb2_grpc.RegistryStub(ch)

        def get_unit_of_size(total):
            # field 1 tag (1 byte) + 4-byte varint length + code bytes = total
            req = self.pb.GetUnitRequest(code="a" * (total - 5))
            self.assertEqual(req.ByteSize(), total)
            return req

        # Exactly 4 MiB passes the transport and reaches validation (code too long).
        e = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, stub.GetUnit,
                                get_unit_of_size(MAX_MESSAGE), timeout=30)
        self.assertTrue(e.details().startswith("code:"), e.details())
        # One byte more is refused by the transport.
        self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, stub.GetUnit,
                            get_unit_of_size(MAX_MESSAGE + 1), timeout=30)
        self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, stub.GetUnit,
                            get_unit_of_size(2 * MAX_MESSAGE), timeout=30)
        # The channel and server still work afterwards.
        self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        got = stub.GetUnit(self.pb.GetUnitRequest(code="ha-noi"), timeout=CALL_TIMEOUT)
        self.assertEqual(got.unit.code, "ha-noi")

    def test_valid_request_of_exactly_4_mib_succeeds(self):
        """A GetUnit padded with an unknown field to exactly 4 MiB is served; 1 byte more is not."""
        self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)
        ch = self.open_channel([("grpc.max_send_message_length", -1)])
        raw = ch.unary_unary("/nhanluc.v1.Registry/GetUnit", request_serializer=lambda b: b,
                             response_deserializer=self.pb.GetUnitResponse.FromString)
        head = self.pb.GetUnitRequest(code="ha-noi").SerializeToString()

        def padded(total):
            # field 100, wire type 2: tag 0xa2 0x06, 4-byte varint length, padding
            pad = total - len(head) - 2 - 4
            n = bytes([(pad & 0x7f) | 0x80, ((pad >> 7) & 0x7f) | 0x80,
                       ((pad >> 14) & 0x7f) | 0x80, pad >> 21])
            self.assertLess(pad >> 21, 0x80)
            msg = head + b"\xa2\x06" + n + b"p" * pad
            self.assertEqual(len(msg), total)
            return msg

        got = raw(padded(MAX_MESSAGE), timeout=30)
        self.assertEqual((got.unit.code, got.unit.name), ("ha-noi", "Thành phố Hà Nội"))
        self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, raw, padded(MAX_MESSAGE + 1),
                            timeout=30)

    def test_200_concurrent_calls(self):
        self.seed_tree()
        serving = self.s.health_pb2.HealthCheckResponse.SERVING
        codes = ["ha-noi", "hoan-kiem", "thanh-tri", "hang-bac"]
        pending = []
        for i in range(200):
            if i % 2 == 0:
                code = codes[(i // 2) % len(codes)]
                fut = self.stub.GetUnit.future(self.pb.GetUnitRequest(code=code), timeout=60)
                pending.append(("get", code, fut))
            else:
                fut = self.check.future(self.s.health_pb2.HealthCheckRequest(service=""),
                                        timeout=60)
                pending.append(("health", "", fut))
        failures = []
        for kind, code, fut in pending:
            try:
                r = fut.result(timeout=90)
            except grpc.RpcError as e:
                failures.append((kind, code, e.code(), e.details()))
                continue
            if kind == "get":
                self.assertEqual(r.unit.code, code)
            else:
                self.assertEqual(r.status, serving)
        self.assertEqual(failures, [])


class DeadlineTest(GrpcTestCase):
    server_env = {"NL_TEST_HANDLER_DELAY_MS": 2000}

    def test_deadline_exceeded_well_before_the_handler_ends(self):
        t0 = time.monotonic()
        self.assertRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, self.stub.GetUnit,
                            self.pb.GetUnitRequest(code="ha-noi"), timeout=0.3)
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 1.5, "DEADLINE_EXCEEDED took %.2f s" % elapsed)
        # Health is not delayed and the connection is still usable.
        self.assertEqual(self.health("", timeout=5).status,
                         self.s.health_pb2.HealthCheckResponse.SERVING)


class CountersTest(GrpcTestCase):
    def test_calls_by_status_line_matches_what_the_client_saw(self):
        pb = self.pb
        seen = collections.Counter()

        def call(fn, *args):
            try:
                fn(*args, timeout=CALL_TIMEOUT)
                seen["OK"] += 1
            except grpc.RpcError as e:
                seen[e.code().name] += 1

        HC = self.s.health_pb2.HealthCheckRequest
        for _ in range(3):
            call(self.check, HC(service=""))
        call(self.check, HC(service="nope"))
        call(self.stub.CreateUnit, pb.CreateUnitRequest(unit=self.unit("ha-noi", "Hà Nội",
                                                                       pb.CITY)))
        call(self.stub.CreateUnit, pb.CreateUnitRequest(unit=self.unit("ha-noi", "Hà Nội",
                                                                       pb.CITY)))
        call(self.stub.CreateUnit, pb.CreateUnitRequest(unit=self.unit("ha-noi", "Khác",
                                                                       pb.CITY)))
        for code in ("ha-noi", "ha-noi", "khong-co", "BAD"):
            call(self.stub.GetUnit, pb.GetUnitRequest(code=code))
        call(self.stub.ListUnits, pb.ListUnitsRequest())
        call(self.stub.ListUnits, pb.ListUnitsRequest(parent="khong-co"))
        call(self.stub.ListTerms, pb.ListTermsRequest())
        raw = self.channel.unary_unary("/x.Y/Z", request_serializer=lambda b: b,
                                       response_deserializer=lambda b: b)
        call(raw, b"")
        self.assertEqual(seen, collections.Counter(
            OK=9, NOT_FOUND=3, INVALID_ARGUMENT=1, ALREADY_EXISTS=1, UNIMPLEMENTED=1))

        self.channel.close()
        rc, err = self.srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(nlserver.parse_calls_by_status(err), dict(seen), err[-3000:])


class DrainTest(GrpcTestCase):
    server_env = {"NL_TEST_HANDLER_DELAY_MS": 1500}
    # The read pool runs the reads of one loop turn in at most `threads` batches, one call
    # after another within a batch, so with the 1500 ms hook 50 calls on 2 threads would take
    # 37.5 s. 64 threads let the 50 calls wait in parallel, as slow independent calls would.
    server_args = ("--threads", "64", "--log-level", "debug")

    def test_sigterm_during_load_finishes_in_flight_calls(self):
        serving = self.s.health_pb2.HealthCheckResponse.SERVING
        self.create_unit("ha-noi", "Thành phố Hà Nội", self.pb.CITY)  # 1 OK, waits 1.5 s
        self.assertEqual(self.health("").status, serving)  # 2 OK
        n = 50
        futs = [self.stub.GetUnit.future(self.pb.GetUnitRequest(code="ha-noi"), timeout=30)
                for _ in range(n)]
        # Wait until the server has dispatched all of them (its debug log says so): on a
        # loaded machine grpcio may still hold some, and a connection without calls would
        # simply close at the GOAWAY.
        t_end = time.monotonic() + 10
        while time.monotonic() < t_end:  # bounded: 10 s
            if self.srv.stderr_text().count("GetUnit dispatched") >= n:
                break
            time.sleep(0.01)
        self.assertEqual(self.srv.stderr_text().count("GetUnit dispatched"), n)
        self.assertEqual(sum(f.done() for f in futs), 0, "calls finished before SIGTERM")
        t_term = time.monotonic()
        self.srv.signal(signal.SIGTERM)

        # The listener closes at once (PROTOCOL.md 9: within 100 ms), while the calls are
        # still in flight.
        refused_after = None
        for _ in range(15):  # bounded: 15 tries, 20 ms apart
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                try:
                    s.connect(("127.0.0.1", self.srv.port))
                except (ConnectionRefusedError, ConnectionResetError):
                    # Reset: the kernel took the SYN just before the listener closed.
                    refused_after = time.monotonic() - t_term
                    break
            time.sleep(0.02)
        self.assertIsNotNone(refused_after, "new connections were still accepted 0.3 s into "
                             "the drain")
        self.assertTrue(self.srv.alive(), "the server exited before its calls finished")
        self.assertFalse(all(f.done() for f in futs),
                         "the calls finished before the listener closed")

        errors = []
        for f in futs:
            try:
                self.assertEqual(f.result(timeout=30).unit.code, "ha-noi")
            except grpc.RpcError as e:
                errors.append((e.code(), e.details()))
        self.assertEqual(errors, [], "in-flight calls failed during the drain")

        self.channel.close()
        rc = self.srv.wait(10)
        exited_after = time.monotonic() - t_term
        self.assertIsNotNone(rc, "server still running 10 s after the calls finished")
        self.assertLess(exited_after, 5.0 + 1.0, "exit came after the drain limit")
        rc, err = self.srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(nlserver.parse_calls_by_status(err), {"OK": n + 2}, err[-3000:])

        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            with self.assertRaises(ConnectionRefusedError):
                s.connect(("127.0.0.1", self.srv.port))


if __name__ == "__main__":
    unittest.main(verbosity=2)
