"""test_auth.py - tokens and roles through the real nhanlucd (`--auth required`).

The operator's path: `nhanlucd --db PATH --bootstrap-admin` makes the first
admin token; the server then starts with --auth required; the admin creates a
unit and central and district tokens through nhanluc.v1.Admin.

- A role x method matrix: every method of every service, listed from the
  generated stubs' service descriptors (not from the server's table), called
  with an empty request by no token, admin, central and district. Without a
  token every method but Health/Check is UNAUTHENTICATED; a role the rules
  forbid is PERMISSION_DENIED; an allowed call is neither (it may still fail
  on the empty request, e.g. INVALID_ARGUMENT).
- Garbage, unknown, wrong-secret, expired (edited in the database) and revoked
  tokens are UNAUTHENTICATED, and no message echoes the token.
- Brute force: after 10 failed authentications the address answers
  RESOURCE_EXHAUSTED with grpc-retry-pushback-ms, even for a valid token, while
  Health/Check stays open (its own server, so the lockout harms no other test).
- No token text ever reaches the server's log (debug level).
- `nhanluc admin token create` prints the token alone on stdout (auth off).
Every call has a deadline; every process is bounded.
"""

import json
import os
import re
import sqlite3
import subprocess
import sys
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402

NHANLUC = os.environ.get("NHANLUC", "")
TOKEN_RE = re.compile(r"^nl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
CALL_TIMEOUT_S = 20
OK, INVALID_ARGUMENT, PERMISSION_DENIED = 0, 3, 7
RESOURCE_EXHAUSTED, UNAUTHENTICATED = 8, 16

WRITE_VERBS = ("Create", "Upsert", "Set", "Delete", "Record", "Submit", "Cancel", "Approve",
               "Return", "Import", "Revoke")


def all_methods():
    """Every unary method path of the services nhanlucd serves, from the stubs' descriptors."""
    s = nlserver.stubs()
    paths = []
    for mod in (s.registry_pb2, s.records_pb2, s.indicators_pb2, s.admin_pb2, s.health_pb2):
        for svc in mod.DESCRIPTOR.services_by_name.values():
            for m in svc.methods:
                if m.server_streaming or m.client_streaming:
                    continue  # Health/Watch: not served
                paths.append("/%s/%s" % (svc.full_name, m.name))
    return paths


def expected_allowed(path, role):
    """The rules of issue 5 as this server applies them, from the path alone."""
    name = path.rsplit("/", 1)[1]
    write = name.startswith(WRITE_VERBS)
    review = path in ("/nhanluc.v1.Records/ApproveReport", "/nhanluc.v1.Records/ReturnReport")
    if path == "/grpc.health.v1.Health/Check":
        return True
    if role == "admin":
        return True
    if role is None or path.startswith("/nhanluc.v1.Admin/"):
        return False
    if not write:
        return True
    if role == "central":
        return review  # target writes need a grant, which no test token has
    return path.startswith("/nhanluc.v1.Records/") and not review


def bootstrap(db):
    p = subprocess.run([nlserver.nhanlucd_path(), "--db", db, "--bootstrap-admin"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("bootstrap failed: %s" % p.stderr)
    tok = p.stdout.strip()
    assert TOKEN_RE.match(tok), p.stdout
    return tok


class AuthServerCase(unittest.TestCase):
    """A server with --auth required on a database holding a bootstrap admin token."""

    def start_auth_server(self):
        srv = nlserver.NlServer(args=["--auth", "required"])
        self.admin = bootstrap(srv.db)
        srv.start()
        self.srv = srv
        self.addCleanup(self._check, srv)
        self.chan = grpc.insecure_channel(srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS)
        self.addCleanup(self.chan.close)
        self.tokens = [self.admin]
        return srv

    def _check(self, srv):
        rc, err = srv.stop()
        self.assertEqual(nlserver.sanitizer_findings(err), [], err[-4000:])
        self.assertEqual(rc, 0, err[-4000:])
        for tok in self.tokens:
            # Neither the token nor its secret part is ever logged (the id may be).
            secret = TOKEN_RE.match(tok).group(2)
            self.assertFalse(secret in err, "a token's secret is in the server log")

    def raw(self, path, token=None, body=b""):
        """Calls `path` with raw request bytes; returns (code int, details, trailing metadata)."""
        call = self.chan.unary_unary(path)
        md = (("authorization", "Bearer " + token),) if token is not None else None
        try:
            _, c = call.with_call(body, timeout=CALL_TIMEOUT_S, metadata=md)
            return OK, "", dict(c.trailing_metadata() or ())
        except grpc.RpcError as e:
            return e.code().value[0], e.details() or "", dict(e.trailing_metadata() or ())

    def admin_call(self, method, req, resp_cls, token=None):
        call = self.chan.unary_unary("/nhanluc.v1.Admin/" + method,
                                     request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=resp_cls.FromString)
        md = (("authorization", "Bearer " + (token or self.admin)),)
        return call(req, timeout=CALL_TIMEOUT_S, metadata=md)

    def create_token(self, role, unit="", name="t"):
        a = nlserver.stubs().admin_pb2
        resp = self.admin_call("CreateToken", a.CreateTokenRequest(role=role, unit=unit, name=name),
                               a.CreateTokenResponse)
        self.assertRegex(resp.token, TOKEN_RE)
        self.tokens.append(resp.token)
        return resp.token

    def create_unit(self, code, kind, parent=""):
        r = nlserver.stubs().registry_pb2
        call = self.chan.unary_unary("/nhanluc.v1.Registry/CreateUnit",
                                     request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=r.CreateUnitResponse.FromString)
        call(r.CreateUnitRequest(unit=r.Unit(code=code, name=code, kind=kind, parent=parent)),
             timeout=CALL_TIMEOUT_S, metadata=(("authorization", "Bearer " + self.admin),))


class RoleMatrixTest(AuthServerCase):
    def setUp(self):
        self.start_auth_server()
        a = nlserver.stubs().admin_pb2
        self.create_unit("hn", 1)
        self.create_unit("d1", 2, "hn")
        self.central = self.create_token(a.ROLE_CENTRAL)
        self.district = self.create_token(a.ROLE_DISTRICT, unit="d1")

    def test_role_method_matrix(self):
        paths = all_methods()
        self.assertIn("/nhanluc.v1.Admin/CreateToken", paths)
        self.assertIn("/grpc.health.v1.Health/Check", paths)
        self.assertGreater(len(paths), 40)
        roles = {None: None, "admin": self.admin, "central": self.central,
                 "district": self.district}
        bad = []
        for path in paths:
            for role, tok in roles.items():
                code, details, _ = self.raw(path, tok)
                allowed = expected_allowed(path, role)
                if role is None and path != "/grpc.health.v1.Health/Check":
                    ok = code == UNAUTHENTICATED
                elif allowed:
                    ok = code not in (UNAUTHENTICATED, PERMISSION_DENIED)
                else:
                    ok = code == PERMISSION_DENIED
                if path == "/grpc.health.v1.Health/Check":
                    ok = code == OK
                if not ok:
                    bad.append("%s as %s: code %d (%s)" % (path, role, code, details))
        self.assertEqual(bad, [])

    def test_refused_tokens_are_unauthenticated(self):
        path = "/nhanluc.v1.Registry/ListUnits"
        self.assertEqual(self.raw(path, self.district)[0], OK)
        m = TOKEN_RE.match(self.district)
        tid, secret = m.group(1), m.group(2)
        wrong_secret = "nl_%s_%s" % (tid, ("B" if secret[0] == "A" else "A") + secret[1:])
        unknown = "nl_%s_%s" % ("0" * 12 if tid != "0" * 12 else "1" * 12, secret)
        for tok in ("garbage", "nl_", wrong_secret, unknown, self.district + "x"):
            code, details, _ = self.raw(path, tok)
            self.assertEqual(code, UNAUTHENTICATED, tok)
            self.assertNotIn(secret, details)
        self.tokens += [wrong_secret, unknown]
        # Two authorization headers are refused too.
        call = self.chan.unary_unary(path)
        with self.assertRaises(grpc.RpcError) as cm:
            call(b"", timeout=CALL_TIMEOUT_S, metadata=(("authorization", "Bearer " + self.admin),
                                                        ("authorization", "Bearer " + self.admin)))
        self.assertEqual(cm.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

        # Expired: the operator's clock moved past expires_at (edited in the database, on a
        # token not used yet: a credential the server has read stays cached up to
        # NL_TOKEN_CACHE_TTL_MS after an edit made behind its back).
        later = self.create_token(a_pb().ROLE_DISTRICT, unit="d1")
        later_id = TOKEN_RE.match(later).group(1)
        con = sqlite3.connect(self.srv.db, timeout=10)
        try:
            con.execute("UPDATE auth_token SET expires_at = '2001-01-01T00:00:00.000Z'"
                        " WHERE id = ?", (later_id,))
            con.commit()
        finally:
            con.close()
        self.assertEqual(self.raw(path, later)[0], UNAUTHENTICATED)

        # Revoked: takes effect on the next call.
        a = nlserver.stubs().admin_pb2
        self.assertEqual(self.raw(path, self.central)[0], OK)
        cid = TOKEN_RE.match(self.central).group(1)
        info = self.admin_call("RevokeToken", a.RevokeTokenRequest(id=cid),
                               a.RevokeTokenResponse).info
        self.assertEqual(info.id, cid)
        self.assertNotEqual(info.revoked_at, "")
        self.assertEqual(self.raw(path, self.central)[0], UNAUTHENTICATED)
        listed = self.admin_call("ListTokens", a.ListTokensRequest(), a.ListTokensResponse)
        by_id = {t.id: t for t in listed.tokens}
        self.assertEqual(by_id[cid].revoked_at, info.revoked_at)
        self.assertEqual(by_id[tid].unit, "d1")
        self.assertEqual(by_id[tid].role, a.ROLE_DISTRICT)

    def test_admin_service_validates(self):
        a = nlserver.stubs().admin_pb2
        with self.assertRaises(grpc.RpcError) as cm:
            self.admin_call("CreateToken", a.CreateTokenRequest(role=a.ROLE_DISTRICT, name="x"),
                            a.CreateTokenResponse)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("token.unit", cm.exception.details())
        with self.assertRaises(grpc.RpcError) as cm:
            self.admin_call("RevokeToken", a.RevokeTokenRequest(id="0123456789ab"),
                            a.RevokeTokenResponse)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
        # A district token cannot make itself an admin.
        with self.assertRaises(grpc.RpcError) as cm:
            self.admin_call("CreateToken", a.CreateTokenRequest(role=a.ROLE_ADMIN, name="x"),
                            a.CreateTokenResponse, token=self.district)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)


def a_pb():
    return nlserver.stubs().admin_pb2


class LockoutTest(AuthServerCase):
    def test_ten_failures_lock_the_address(self):
        self.start_auth_server()
        path = "/nhanluc.v1.Registry/ListUnits"
        self.assertEqual(self.raw(path, self.admin)[0], OK)
        # Calls without a token guess nothing and are not counted.
        for _ in range(12):
            self.assertEqual(self.raw(path, None)[0], UNAUTHENTICATED)
        self.assertEqual(self.raw(path, self.admin)[0], OK)
        tid = TOKEN_RE.match(self.admin).group(1)
        for i in range(10):
            tok = "nl_%s_%s" % (tid, "A" * 42 + "E") if i % 2 else "not-a-token"
            code, _, md = self.raw(path, tok)
            self.assertEqual(code, UNAUTHENTICATED, "failure %d" % (i + 1))
            self.assertNotIn("grpc-retry-pushback-ms", md)
        for tok in (self.admin, "garbage"):
            code, details, md = self.raw(path, tok)
            self.assertEqual(code, RESOURCE_EXHAUSTED, details)
            self.assertIn("grpc-retry-pushback-ms", md)
            ms = int(md["grpc-retry-pushback-ms"])
            self.assertGreater(ms, 14 * 60 * 1000)
            self.assertLessEqual(ms, 15 * 60 * 1000)
        # Probes still see the server.
        self.assertEqual(self.raw("/grpc.health.v1.Health/Check", None)[0], OK)
        self.assertIn("locked out", self.srv.stderr_text())


class AuthOffTest(nlserver.ServerTestCase):
    """Default `auth = off`: no token needed; the Admin service works for the operator."""

    def test_cli_token_create_list_revoke(self):
        if not NHANLUC:
            raise unittest.SkipTest("NHANLUC is not set")
        srv = self.start_server()

        def cli(*args):
            return subprocess.run([NHANLUC, "--server", srv.addr, *args], capture_output=True,
                                  text=True, timeout=60, stdin=subprocess.DEVNULL)

        p = cli("admin", "token", "create", "--role", "central", "--name", "analyst",
                "--days", "30")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 1, p.stdout)
        m = TOKEN_RE.match(lines[0])
        self.assertIsNotNone(m, p.stdout)
        tid = m.group(1)
        p = cli("--output", "json", "admin", "token", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = json.loads(p.stdout)
        self.assertEqual([(r["id"], r["role"], r["name"], r["revoked_at"]) for r in rows],
                         [(tid, "central", "analyst", "")])
        self.assertNotIn(m.group(2), p.stdout)
        p = cli("--output", "json", "admin", "token", "revoke", tid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotEqual(json.loads(p.stdout)["revoked_at"], "")
        p = cli("admin", "token", "create", "--role", "district", "--name", "x")
        self.assertEqual(p.returncode, INVALID_ARGUMENT, p.stderr)
        self.assertEqual(p.stdout, "")
        p = cli("admin", "token", "create", "--role", "boss", "--name", "x")
        self.assertEqual(p.returncode, 64, p.stderr)
        rc, err = srv.stop()
        self.assertNotIn(lines[0], err)

    def test_cli_without_token_is_unauthenticated_when_required(self):
        if not NHANLUC:
            raise unittest.SkipTest("NHANLUC is not set")
        srv = self.start_server(args=["--auth", "required"])
        p = subprocess.run([NHANLUC, "--server", srv.addr, "admin", "token", "list"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, UNAUTHENTICATED, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_bad_auth_setting_refuses_to_start(self):
        p = subprocess.run([nlserver.nhanlucd_path(), "--listen", "127.0.0.1:0", "--db",
                            "/nonexistent/x.db", "--auth", "maybe"], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("auth", p.stderr)
        self.assertNotIn("listening", p.stdout)


if __name__ == "__main__":
    unittest.main()
