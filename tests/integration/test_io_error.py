#!/usr/bin/env python3
"""RELIABILITY.md 2.4 and F7: an fsync that fails on COMMIT.

The server runs over a test-only VFS (server/store_faultvfs.c, NL_TEST_HOOKS builds) armed by
NL_TEST_FAIL_SYNC_AFTER=N: the first N syncs succeed, every later one fails with
SQLITE_IOERR_FSYNC. The failing write must never be answered OK; the server must stop writing,
drain and exit 75 for its service manager; after a restart on the same file every write it
acknowledged is there.
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlserver  # noqa: E402

import grpc  # noqa: E402

CALL_TIMEOUT = 10
SYNCS_ALLOWED = 6


class IoErrorTest(unittest.TestCase):
    def create_units(self, srv, prefix, n):
        """Creates up to n units one call at a time; returns (acked codes, first failure)."""
        s = nlserver.stubs()
        pb = s.registry_pb2
        acked, failure = [], None
        with grpc.insecure_channel(srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
            stub = s.registry_pb2_grpc.RegistryStub(ch)
            for i in range(n):
                code = "%s-%02d" % (prefix, i)
                unit = pb.Unit(code=code, name="Đơn vị %d" % i, kind=pb.WARD if i else pb.CITY,
                               parent="" if i == 0 else "%s-00" % prefix)
                try:
                    stub.CreateUnit(pb.CreateUnitRequest(unit=unit), timeout=CALL_TIMEOUT)
                except grpc.RpcError as e:
                    failure = (code, e.code())
                    break
                acked.append(code)
        return acked, failure

    def test_failed_fsync_is_never_ok_and_the_server_exits_75(self):
        # One database file for the three runs (each NlServer removes its own temp dir).
        home = tempfile.mkdtemp(prefix="nl-ioerr-")
        self.addCleanup(shutil.rmtree, home, True)
        db = os.path.join(home, "nl.db")
        # A database with its schema, made by a normal run.
        first = nlserver.NlServer()
        first.db = db
        first.start()
        rc, err = first.stop()
        self.assertEqual(rc, 0, err[-2000:])

        faulty = nlserver.NlServer(env={"NL_TEST_FAIL_SYNC_AFTER": SYNCS_ALLOWED})
        faulty.db = db
        faulty.start()
        try:
            acked, failure = self.create_units(faulty, "io", 40)
            self.assertIsNotNone(failure, "no write failed within 40 calls")
            self.assertEqual(failure[1], grpc.StatusCode.UNAVAILABLE,
                             "a failed commit must answer UNAVAILABLE, not %s" % failure[1])
            self.assertGreaterEqual(len(acked), 1, "the first writes should have succeeded")
            rc = faulty.wait(30)
            self.assertEqual(rc, 75, "nhanlucd must drain and exit 75 after an I/O error")
            err = faulty.stderr_text()
            self.assertIn("I/O error", err)
            self.assertEqual(nlserver.sanitizer_findings(err), [])
        finally:
            faulty.stop()

        # Restarted without the fault: every acknowledged write is there.
        again = nlserver.NlServer()
        again.db = db
        again.start()
        try:
            s = nlserver.stubs()
            with grpc.insecure_channel(again.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
                stub = s.registry_pb2_grpc.RegistryStub(ch)
                for code in acked:
                    got = stub.GetUnit(s.registry_pb2.GetUnitRequest(code=code),
                                       timeout=CALL_TIMEOUT)
                    self.assertEqual(got.unit.code, code)
                # It writes again once restarted.
                more, failure = self.create_units(again, "after", 2)
                self.assertIsNone(failure)
        finally:
            rc, err = again.stop()
            self.assertEqual(rc, 0, err[-2000:])


if __name__ == "__main__":
    unittest.main()
