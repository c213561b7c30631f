"""test_ratelimit.py - the rate limits of RELIABILITY.md 5.4 through the real nhanlucd.

The suite and the local CLI talk over loopback, which the limits spare
unless --rate-limit-loopback is given; these servers give it, with small
limits so that a test stays short.

- Per identity (--rate-district 10 --rate-district-burst 20): a district token
  fires 100 calls at once and gets the burst plus what refilled while they
  ran (a band, not an exact count: CI has two slow cores); the rest are
  RESOURCE_EXHAUSTED with a grpc-retry-pushback-ms trailer no longer than one
  token's refill time and a message naming the limit. Meanwhile a second
  district token and the admin token are not limited at all. After the
  pushback the first token works again. A central token has its own limit
  (--rate-central). The refusals are in the audit trail under the token id,
  and the exit line counts them.
- The CLI: `nhanluc import` of a file in one-row batches, beyond the burst,
  still succeeds, because the CLI waits for the pushback (rate 5, burst 2).
- Per address (--conn-rate 5 --conn-burst 10): 30 TCP connections opened at
  once; those over the limit are reset by the server before it sends a byte,
  the others get the server's SETTINGS at once; a second later new
  connections work. The refusals are logged in two lines (the first at once,
  the rest at exit), not one per connection. Without --rate-limit-loopback
  the same flood is not limited.

Token ids are public, so a credential's first calls, made before the server
verified it once, pass unlimited (ratelimit.h): each test makes one call per
token first. Loopback only; every call has a deadline, every loop is bounded,
servers are stopped by PID (nlserver.py).
"""

import json
import os
import re
import socket
import sys
import time
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402
from test_auth import TOKEN_RE, bootstrap  # noqa: E402

CALL_TIMEOUT_S = 30
WAIT_S = 20  # bound on waiting for asynchronous effects (audit entries)
OK, RESOURCE_EXHAUSTED = 0, 8
LIST_UNITS = "/nhanluc.v1.Registry/ListUnits"
RATE_MSG_RE = re.compile(r"^rate limit of this credential exceeded \((\d+) calls/s\), "
                         r"retry in (\d+) ms$")
EXIT_LINE_RE = re.compile(r"rate limits: conn_rate_refused=(\d+) call_rate_refused=(\d+)")
CONN_LOG_RE = re.compile(r"conn-rate: (\d+) new connection\(s\) from 127\.0\.0\.1 refused")


def token_id(tok):
    return TOKEN_RE.match(tok).group(1)


def exit_counts(err):
    """(conn_rate_refused, call_rate_refused) from the server's exit line."""
    m = EXIT_LINE_RE.findall(err)
    if not m:
        raise AssertionError("no 'rate limits:' exit line in the server log:\n" + err[-3000:])
    return int(m[-1][0]), int(m[-1][1])


class RateServerCase(unittest.TestCase):
    """A server with --auth required, a bootstrap admin, and the test's limits."""

    def start_rate_server(self, extra):
        srv = nlserver.NlServer(args=["--auth", "required", "--rate-limit-loopback"] + extra,
                                log_level="info")
        self.admin = bootstrap(srv.db)
        srv.start()
        self.srv = srv
        self.addCleanup(self.check_exit, srv)
        self.tokens = [self.admin]
        self.chans = {}
        return srv

    def check_exit(self, srv):
        rc, err = srv.stop()
        for ch in self.chans.values():
            ch.close()
        self.assertEqual(nlserver.sanitizer_findings(err), [], err[-4000:])
        self.assertEqual(rc, 0, err[-4000:])
        for tok in self.tokens:
            self.assertNotIn(TOKEN_RE.match(tok).group(2), err, "a secret is in the log")

    def chan(self, name):
        """One channel (one HTTP/2 connection) per name, so identities do not share streams."""
        if name not in self.chans:
            self.chans[name] = grpc.insecure_channel(self.srv.addr,
                                                     options=nlserver.GRPC_CHANNEL_OPTIONS)
        return self.chans[name]

    def rpc(self, name, path, token):
        call = self.chan(name).unary_unary(path)
        return call, (("authorization", "Bearer " + token),)

    def raw(self, path, token, name="main", body=b""):
        """(code int, details, trailing metadata dict) of one call."""
        call, md = self.rpc(name, path, token)
        try:
            _, c = call.with_call(body, timeout=CALL_TIMEOUT_S, metadata=md)
            return OK, "", dict(c.trailing_metadata() or ())
        except grpc.RpcError as e:
            return e.code().value[0], e.details() or "", dict(e.trailing_metadata() or ())

    def typed(self, svc, method, req, resp_cls, token=None):
        call = self.chan("main").unary_unary(
            "/nhanluc.v1.%s/%s" % (svc, method), request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=resp_cls.FromString)
        return call(req, timeout=CALL_TIMEOUT_S,
                    metadata=(("authorization", "Bearer " + (token or self.admin)),))

    def create_unit(self, code, kind, parent=""):
        r = nlserver.stubs().registry_pb2
        self.typed("Registry", "CreateUnit",
                   r.CreateUnitRequest(unit=r.Unit(code=code, name=code, kind=kind, parent=parent)),
                   r.CreateUnitResponse)

    def create_token(self, role, unit="", name="t"):
        a = nlserver.stubs().admin_pb2
        tok = self.typed("Admin", "CreateToken", a.CreateTokenRequest(role=role, unit=unit,
                                                                      name=name),
                         a.CreateTokenResponse).token
        self.assertRegex(tok, TOKEN_RE)
        self.tokens.append(tok)
        return tok

    def fire(self, name, token, n):
        """Starts n ListUnits calls at once on channel `name`; returns their futures."""
        call, md = self.rpc(name, LIST_UNITS, token)
        return [call.future(b"", timeout=CALL_TIMEOUT_S, metadata=md) for _ in range(n)]

    def outcomes(self, futs):
        """[(code int, details, trailing metadata dict)] of finished futures."""
        out = []
        for f in futs:
            e = f.exception(timeout=CALL_TIMEOUT_S + 10)
            if e is None:
                out.append((OK, "", dict(f.trailing_metadata() or ())))
            else:
                out.append((e.code().value[0], e.details() or "", dict(e.trailing_metadata() or ())))
        return out

    def audit_entries(self):
        """Every audit entry, page by page (bounded)."""
        a = nlserver.stubs().admin_pb2
        rows, after = [], 0
        for _ in range(50):
            r = self.typed("Admin", "ListAudit", a.ListAuditRequest(after_seq=after, page_size=1000),
                           a.ListAuditResponse)
            rows.extend(r.entries)
            if not r.more or not r.entries:
                return rows
            after = r.entries[-1].seq
        self.fail("ListAudit did not end")

    def check_refusal(self, details, md, rate):
        """A rate refusal: the message names the limit and the wait, the trailer is that wait."""
        self.assertIn("grpc-retry-pushback-ms", md, details)
        ms = int(md["grpc-retry-pushback-ms"])
        self.assertGreater(ms, 0)
        self.assertLessEqual(ms, -(-1000 // rate))  # one token's refill time at most
        m = RATE_MSG_RE.match(details)
        self.assertIsNotNone(m, details)
        self.assertEqual((int(m.group(1)), int(m.group(2))), (rate, ms))
        return ms


class IdentityRateTest(RateServerCase):
    def test_district_limited_others_unaffected(self):
        self.start_rate_server(["--rate-district", "10", "--rate-district-burst", "20",
                                "--rate-central", "5", "--rate-central-burst", "5",
                                "--audit-denial-window-s", "1"])
        a, reg = nlserver.stubs().admin_pb2, nlserver.stubs().registry_pb2
        self.create_unit("hn", reg.CITY)
        self.create_unit("d1", reg.URBAN_DISTRICT, "hn")
        self.create_unit("d2", reg.URBAN_DISTRICT, "hn")
        d1 = self.create_token(a.ROLE_DISTRICT, "d1", "d1")
        d2 = self.create_token(a.ROLE_DISTRICT, "d2", "d2")
        central = self.create_token(a.ROLE_CENTRAL, "", "central")
        # One call each: the server learns each token's role (and so its limit).
        for name, tok in (("d1", d1), ("d2", d2), ("admin", self.admin), ("central", central)):
            self.assertEqual(self.raw(LIST_UNITS, tok, name)[0], OK, name)

        # d1 fires 100 calls; d2 (within its burst) and the admin fire at the same time.
        t0 = time.monotonic()
        f1 = self.fire("d1", d1, 100)
        f2 = self.fire("d2", d2, 15)
        fa = self.fire("admin", self.admin, 60)
        r1, r2, ra = self.outcomes(f1), self.outcomes(f2), self.outcomes(fa)
        elapsed = time.monotonic() - t0

        ok = sum(1 for c, _, _ in r1 if c == OK)
        refused = [(d, md) for c, d, md in r1 if c == RESOURCE_EXHAUSTED]
        self.assertEqual(ok + len(refused), 100, [c for c, _, _ in r1])
        # The burst of 20 passes; then 10/s for as long as the calls kept coming.
        self.assertGreaterEqual(ok, 20)
        self.assertLessEqual(ok, 20 + int(10 * elapsed) + 1, "elapsed %.2f s" % elapsed)
        self.assertGreater(len(refused), 0, "100 calls in %.2f s were not limited" % elapsed)
        waits = [self.check_refusal(d, md, 10) for d, md in refused]
        # Others unaffected (RELIABILITY.md S9).
        self.assertEqual([c for c, _, _ in r2], [OK] * 15)
        self.assertEqual([c for c, _, _ in ra], [OK] * 60)

        # After the pushback, d1 works again.
        time.sleep(max(waits) / 1000.0 + 0.05)
        self.assertEqual(self.raw(LIST_UNITS, d1, "d1")[0], OK)

        # A central token has its own limit: 5/s, burst 5.
        codes = []
        t0 = time.monotonic()
        for _ in range(12):  # one after the other: each waits for its answer
            code, details, md = self.raw(LIST_UNITS, central, "central")
            codes.append(code)
            if code == RESOURCE_EXHAUSTED:
                self.check_refusal(details, md, 5)
        elapsed = time.monotonic() - t0
        c_ok = codes.count(OK)
        self.assertEqual(c_ok + codes.count(RESOURCE_EXHAUSTED), 12, codes)
        self.assertGreaterEqual(c_ok, 5)
        self.assertLessEqual(c_ok, 5 + int(5 * elapsed) + 1, "elapsed %.2f s" % elapsed)
        c_refused = 12 - c_ok
        if elapsed < 1.2:
            self.assertGreater(c_refused, 0, codes)

        # The refusals are audited under d1's token id: the first at once, the rest in one
        # summary when the 1 s window closes (the sweep may take a few seconds).
        d1_id = token_id(d1)
        deadline = time.monotonic() + WAIT_S
        while True:
            mine = [e for e in self.audit_entries()
                    if e.token_id == d1_id and e.outcome == "RESOURCE_EXHAUSTED"]
            counted = 0
            for e in mine:
                m = re.match(r"^repeated=(\d+) window=1s$", e.keys)
                counted += int(m.group(1)) if m else 1
            if counted >= len(refused) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(counted, len(refused), [(e.keys, e.peer) for e in mine])
        self.assertTrue(all(e.method == LIST_UNITS for e in mine))
        self.assertLessEqual(len(mine), 10, "refusals are aggregated, not 1 entry per call")

        rc, err = self.srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(exit_counts(err), (0, len(refused) + c_refused))
        calls = nlserver.parse_calls_by_status(err)
        self.assertEqual(calls.get("RESOURCE_EXHAUSTED", 0), len(refused) + c_refused)

    def test_without_loopback_switch_not_limited(self):
        srv = nlserver.NlServer(args=["--auth", "required", "--rate-district", "1",
                                      "--rate-district-burst", "1"], log_level="info")
        self.admin = bootstrap(srv.db)
        srv.start()
        self.srv = srv
        self.addCleanup(self.check_exit, srv)
        self.tokens, self.chans = [self.admin], {}
        a, reg = nlserver.stubs().admin_pb2, nlserver.stubs().registry_pb2
        self.create_unit("hn", reg.CITY)
        self.create_unit("d1", reg.URBAN_DISTRICT, "hn")
        d1 = self.create_token(a.ROLE_DISTRICT, "d1", "d1")
        self.assertEqual(self.raw(LIST_UNITS, d1, "d1")[0], OK)
        codes = [c for c, _, _ in self.outcomes(self.fire("d1", d1, 30))]
        self.assertEqual(codes, [OK] * 30)
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(exit_counts(err), (0, 0))


class CliImportWaitsTest(nlcli.CliMixin, RateServerCase):
    def test_import_beyond_the_burst_succeeds(self):
        nlcli.require_nhanluc()
        self.start_rate_server(["--rate-district", "5", "--rate-district-burst", "2"])
        a, reg = nlserver.stubs().admin_pb2, nlserver.stubs().registry_pb2
        self.create_unit("hn", reg.CITY)
        self.create_unit("d1", reg.URBAN_DISTRICT, "hn")
        self.token = self.create_token(a.ROLE_DISTRICT, "d1", "clerk")
        path = os.path.join(self.srv.tmp, "cadres.csv")
        rows = ["cadre_code,full_name,sex,birth_year,unit,position_title,key_cadre,level,"
                "mgmt_category,education,political_theory,state_mgmt,as_of"]
        for i in range(8):
            rows.append("RL-%03d,Nguyen Van %s,MALE,1980,d1,Chuyen vien,,DISTRICT,OTHER,"
                        "UNIVERSITY,ELEMENTARY,OFFICER,2020-10-15" % (i, chr(ord("A") + i)))
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("\r\n".join(rows) + "\r\n")
        # A dry pass and 8 one-row batches: 9 calls, 2 of burst, then 5/s.
        t0 = time.monotonic()
        summary = json.loads(self.ok("--output", "json", "import", path, "--batch", "1"))
        elapsed = time.monotonic() - t0
        self.assertEqual((summary["created"], summary["rejected"]), (8, 0), summary)
        rc, err = self.srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        conn_refused, call_refused = exit_counts(err)
        self.assertEqual(conn_refused, 0)
        # The CLI was refused and waited, rather than never being limited.
        self.assertGreater(call_refused, 0, "9 calls in %.2f s were not limited" % elapsed)
        self.assertGreaterEqual(elapsed, 1.0)  # 6 calls beyond the burst at 5/s: 1.2 s at least


def tcp_flood(port, n):
    """Opens n connections at once; returns (admitted, refused, seconds).

    Admitted: the server's first bytes (its SETTINGS) arrive unasked. Refused:
    the connection ends (reset or EOF) without a byte; the reset may even
    come before connect() returns (a loaded host).
    """
    socks = []
    admitted = refused = 0
    t0 = time.monotonic()
    try:
        for _ in range(n):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            except ConnectionResetError:
                refused += 1
        for s in socks:
            s.settimeout(10)
            try:
                data = s.recv(1024)
            except ConnectionResetError:
                data = b""
            if data:
                admitted += 1
            else:
                refused += 1
        return admitted, refused, time.monotonic() - t0
    finally:
        for s in socks:
            s.close()


class ConnRateTest(unittest.TestCase):
    def start(self, extra):
        srv = nlserver.NlServer(args=["--conn-rate", "5", "--conn-burst", "10"] + extra,
                                log_level="info").start()
        self.addCleanup(srv.stop)
        return srv

    def health_ok(self, srv):
        chan = grpc.insecure_channel(srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)
        try:
            h = nlserver.stubs().health_pb2
            resp = nlserver.health_check_callable(chan)(h.HealthCheckRequest(), timeout=10)
            return resp.status == h.HealthCheckResponse.SERVING
        finally:
            chan.close()

    def test_flood_is_cut_then_recovers(self):
        srv = self.start(["--rate-limit-loopback"])
        admitted, refused, took = tcp_flood(srv.port, 30)
        self.assertGreaterEqual(admitted, 10)  # the burst
        self.assertLessEqual(admitted, 10 + int(5 * took) + 1, "took %.2f s" % took)
        self.assertGreater(refused, 0, "30 connections in %.2f s were not limited" % took)
        self.assertEqual(admitted + refused, 30)
        # A second and a half refills 7 tokens: new connections work again.
        time.sleep(1.5)
        admitted2, refused2, _ = tcp_flood(srv.port, 2)
        self.assertEqual((admitted2, refused2), (2, 0))
        self.assertTrue(self.health_ok(srv))
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(nlserver.sanitizer_findings(err), [])
        self.assertEqual(exit_counts(err), (refused, 0))
        # One line at the first refusal, the rest summed in one line at exit: never one per
        # connection.
        counts = [int(n) for n in CONN_LOG_RE.findall(err)]
        self.assertEqual(sum(counts), refused, err[-3000:])
        self.assertEqual(counts[0], 1)
        self.assertLessEqual(len(counts), 2)

    def test_loopback_spared_by_default(self):
        srv = self.start([])
        admitted, refused, _ = tcp_flood(srv.port, 30)
        self.assertEqual((admitted, refused), (30, 0))
        self.assertTrue(self.health_ok(srv))
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(exit_counts(err), (0, 0))
        self.assertEqual(CONN_LOG_RE.findall(err), [])


if __name__ == "__main__":
    unittest.main()
