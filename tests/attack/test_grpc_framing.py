"""test_grpc_framing.py - malformed gRPC requests, sent frame by frame (tests/support/h2raw.py).

Checks the HTTP and gRPC answers of PROTOCOL.md sections 1.2-1.5 to requests
no stock client would send: wrong method or content-type, bad grpc-timeout,
bad Length-Prefixed-Message framing, compression, huge length prefixes. Each
test starts its own nhanlucd (tests/support/nlserver.py), which must exit 0
with no sanitizer report afterwards. Run by CTest (label attack).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import h2raw  # noqa: E402
import nlserver  # noqa: E402
from h2raw import grpc_message  # noqa: E402

HEALTH = "/grpc.health.v1.Health/Check"
GET_UNIT = "/nhanluc.v1.Registry/GetUnit"
CREATE_UNIT = "/nhanluc.v1.Registry/CreateUnit"
MAX_MESSAGE = 4 * 1024 * 1024

OK, DEADLINE_EXCEEDED, NOT_FOUND, RESOURCE_EXHAUSTED = 0, 4, 5, 8
UNIMPLEMENTED, INTERNAL = 12, 13


class FramingTest(nlserver.ServerTestCase):
    def setUp(self):
        self.s = nlserver.stubs()
        self.srv = self.start_server()
        self.c = h2raw.RawH2(self.srv.port)
        self.addCleanup(self.c.close)
        self.next_sid = 1

    def sid(self):
        sid = self.next_sid
        self.next_sid += 2
        return sid

    def finish(self, sid, timeout=10):
        self.assertTrue(self.c.wait_streams([sid], timeout),
                        "no answer on stream %d: %r" % (sid, self.c.by_stream.get(sid)))
        return self.c.by_stream[sid]

    def assertTrailersOnly(self, frames, status):
        """Exactly one HEADERS (END_STREAM) with :status 200, content-type, grpc-status; no DATA.

        A RST_STREAM(NO_ERROR) may follow: the server answered before our END_STREAM
        (PROTOCOL.md 1.7).
        """
        kinds = [r.kind for r in frames]
        if kinds[-1:] == ["RST_STREAM"]:
            self.assertEqual(frames[-1].error_code, h2raw.NO_ERROR, frames)
            frames = frames[:-1]
        self.assertEqual([r.kind for r in frames], ["HEADERS"], frames)
        h = frames[0]
        self.assertTrue(h.end_stream, frames)
        self.assertEqual(h.header(":status"), "200", frames)
        self.assertIsNotNone(h.header("content-type"), frames)
        self.assertTrue(h.header("content-type").startswith("application/grpc"), frames)
        self.assertEqual(h.header("grpc-status"), str(status), frames)
        return h

    def assertHttpOnly(self, frames, http_status):
        kinds = [r.kind for r in frames]
        if kinds[-1:] == ["RST_STREAM"]:
            self.assertEqual(frames[-1].error_code, h2raw.NO_ERROR, frames)
            frames = frames[:-1]
        self.assertEqual([r.kind for r in frames], ["HEADERS"], frames)
        self.assertTrue(frames[0].end_stream, frames)
        self.assertEqual(frames[0].header(":status"), str(http_status), frames)
        self.assertIsNone(frames[0].header("grpc-status"), frames)

    def health_ok(self):
        """A well-formed Health/Check on the same connection answers OK."""
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""))
        self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    def create_unit(self, code="ha-noi", name="Thành phố Hà Nội"):
        pb = self.s.registry_pb2
        body = pb.CreateUnitRequest(unit=pb.Unit(code=code, name=name, kind=pb.CITY))
        sid = self.sid()
        self.c.call(sid, CREATE_UNIT, grpc_message(body.SerializeToString()))
        self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    # --- well-formed calls: the shapes every client relies on ---

    def test_ok_response_is_headers_data_trailers(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""))
        frames = self.finish(sid)
        kinds = [r.kind for r in frames]
        self.assertEqual(kinds[0], "HEADERS", frames)
        self.assertEqual(kinds[-1], "HEADERS", frames)
        self.assertEqual(set(kinds[1:-1]), {"DATA"}, frames)
        head, trailers = frames[0], frames[-1]
        self.assertFalse(head.end_stream, frames)
        self.assertEqual(head.header(":status"), "200")
        self.assertTrue(head.header("content-type").startswith("application/grpc"))
        self.assertIsNone(head.header("grpc-status"), "grpc-status belongs in the trailers")
        self.assertTrue(trailers.end_stream, frames)
        self.assertEqual(trailers.header("grpc-status"), "0")
        self.assertEqual([k for k, _ in trailers.headers if k.startswith(":")], [],
                         "pseudo-headers in trailers")
        body = b"".join(r.data for r in frames[1:-1])
        self.assertEqual(body[0], 0, "compressed flag set on the reply")
        self.assertEqual(int.from_bytes(body[1:5], "big"), len(body) - 5)
        reply = self.s.health_pb2.HealthCheckResponse.FromString(body[5:])
        self.assertEqual(reply.status, self.s.health_pb2.HealthCheckResponse.SERVING)

    def test_handler_error_is_trailers_only(self):
        pb = self.s.registry_pb2
        sid = self.sid()
        self.c.call(sid, GET_UNIT,
                    grpc_message(pb.GetUnitRequest(code="khong-co").SerializeToString()))
        h = self.assertTrailersOnly(self.finish(sid), NOT_FOUND)
        self.assertTrue(h.header("grpc-message"))

    def test_message_split_across_one_byte_data_frames_is_reassembled(self):
        self.create_unit()
        pb = self.s.registry_pb2
        msg = grpc_message(pb.GetUnitRequest(code="ha-noi").SerializeToString())
        sid = self.sid()
        self.c.send_headers(sid, self.c.request_headers(GET_UNIT))
        for i in range(len(msg)):
            self.c.send_data(sid, msg[i:i + 1], end_stream=(i == len(msg) - 1))
        frames = self.finish(sid)
        self.assertEqual(h2raw.grpc_status(frames), OK, frames)
        body = b"".join(r.data for r in frames if r.kind == "DATA")
        self.assertEqual(pb.GetUnitResponse.FromString(body[5:]).unit.name, "Thành phố Hà Nội")

    def test_zero_length_message_is_a_default_request(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""))  # 00 00000000: HealthCheckRequest{service=""}
        self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    # --- HTTP-level refusals ---

    def test_content_type_text_plain_is_http_415(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""), content_type="text/plain")
        self.assertHttpOnly(self.finish(sid), 415)
        self.health_ok()

    def test_missing_content_type_is_http_415(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""), content_type=None)
        self.assertHttpOnly(self.finish(sid), 415)

    def test_grpc_content_type_suffixes_are_accepted(self):
        for ct in ("application/grpc+proto", "application/grpc"):
            with self.subTest(content_type=ct):
                sid = self.sid()
                self.c.call(sid, HEALTH, grpc_message(b""), content_type=ct)
                self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    def test_get_is_http_405(self):
        for body in (None, grpc_message(b"")):
            with self.subTest(body=body):
                sid = self.sid()
                self.c.call(sid, HEALTH, body, method="GET")
                self.assertHttpOnly(self.finish(sid), 405)
        self.health_ok()

    # --- grpc-timeout ---

    def test_malformed_grpc_timeout_is_internal_trailers_only(self):
        for value in ("123456789S", "1x", "-1S", "", "5", "S", "1.5S", "1SS", "+1S"):
            with self.subTest(grpc_timeout=value):
                sid = self.sid()
                self.c.call(sid, HEALTH, grpc_message(b""), timeout_header=value)
                self.assertTrailersOnly(self.finish(sid), INTERNAL)
        self.health_ok()

    def test_well_formed_grpc_timeouts_are_accepted(self):
        for value in ("12345678n", "99999999u", "5010m", "301m", "5S", "1M", "1H", "99999999H"):
            with self.subTest(grpc_timeout=value):
                sid = self.sid()
                self.c.call(sid, HEALTH, grpc_message(b""), timeout_header=value)
                self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    def test_zero_grpc_timeout_is_deadline_exceeded(self):
        for value in ("0m", "0S", "00000000n"):
            with self.subTest(grpc_timeout=value):
                sid = self.sid()
                self.c.call(sid, HEALTH, grpc_message(b""), timeout_header=value)
                self.assertTrailersOnly(self.finish(sid), DEADLINE_EXCEEDED)

    # --- Length-Prefixed-Message framing ---

    def test_huge_length_prefix_is_refused_before_buffering(self):
        self.health_ok()
        rss_before = self.srv.rss_kib()
        for _ in range(20):
            sid = self.sid()
            # 2 GiB announced, 10 bytes sent, no END_STREAM: the answer must come from the prefix.
            self.c.send_headers(sid, self.c.request_headers(HEALTH))
            self.c.send_data(sid, grpc_message(b"0123456789", length=1 << 31))
            self.assertTrailersOnly(self.finish(sid), RESOURCE_EXHAUSTED)
        for _ in range(20):
            sid = self.sid()
            self.c.call(sid, HEALTH, grpc_message(b"0123456789", length=(1 << 32) - 1))
            self.assertTrailersOnly(self.finish(sid), RESOURCE_EXHAUSTED)
        self.health_ok()
        grew = self.srv.rss_kib() - rss_before
        self.assertLess(grew, 4096, "RSS grew by %d KiB after 40 huge length prefixes" % grew)

    def test_length_cap_is_exactly_4_mib(self):
        # 4 MiB + 1 announced: refused at once, before any body arrives.
        sid = self.sid()
        self.c.send_headers(sid, self.c.request_headers(HEALTH))
        self.c.send_data(sid, grpc_message(b"", length=MAX_MESSAGE + 1))
        self.assertTrailersOnly(self.finish(sid), RESOURCE_EXHAUSTED)
        # Exactly 4 MiB announced: allowed, so the server waits for the body.
        sid = self.sid()
        self.c.send_headers(sid, self.c.request_headers(HEALTH))
        self.c.send_data(sid, grpc_message(b"", length=MAX_MESSAGE))
        self.c.pump(lambda c: c.stream_ended(sid), timeout=0.5)
        self.assertEqual(self.c.by_stream.get(sid, []), [],
                         "a 4 MiB prefix was answered before its body")
        self.c.send_rst(sid, h2raw.CANCEL)
        self.health_ok()

    def test_two_messages_in_one_call_is_unimplemented(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b"") + grpc_message(b""))
        self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        # The same, with the second message in its own DATA frame.
        sid = self.sid()
        self.c.send_headers(sid, self.c.request_headers(HEALTH))
        self.c.send_data(sid, grpc_message(b""))
        self.c.send_data(sid, grpc_message(b""), end_stream=True)
        self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        self.health_ok()

    def test_no_message_is_unimplemented(self):
        for how in ("end_stream_on_headers", "empty_data"):
            with self.subTest(how=how):
                sid = self.sid()
                if how == "end_stream_on_headers":
                    self.c.call(sid, HEALTH, None)
                else:
                    self.c.call(sid, HEALTH, b"")
                self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)

    def test_partial_message_at_end_stream_is_internal(self):
        partial = {
            "body": grpc_message(b"abc", length=10),
            "prefix": grpc_message(b"")[:3],
            "one_byte": b"\x00",
            "message_then_partial": grpc_message(b"") + grpc_message(b"x", length=2),
        }
        for name, body in partial.items():
            with self.subTest(partial=name):
                sid = self.sid()
                self.c.call(sid, HEALTH, body)
                h = self.assertTrailersOnly(self.finish(sid), INTERNAL)
                self.assertIsNotNone(h.header("grpc-message"))
        self.health_ok()

    def test_compressed_flag_is_unimplemented(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b"", compressed=1))
        self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b"", compressed=1),
                    extra=[("grpc-encoding", "gzip")])
        h = self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        self.assertEqual(h.header("grpc-accept-encoding"), "identity")
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b"", compressed=1),
                    extra=[("grpc-encoding", "identity")])
        self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        self.health_ok()

    # Server bug: PROTOCOL.md 1.4 wants `grpc-accept-encoding: identity` on the UNIMPLEMENTED
    # reply to a compressed message, but server/dispatch.c adds it only when the grpc-encoding
    # header was unsupported (call->bad_encoding), not for the compressed flag alone
    # (call->compressed, no grpc-encoding header): the reply has no grpc-accept-encoding.
    def test_compressed_flag_reply_advertises_identity(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b"", compressed=1))
        h = self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        self.assertEqual(h.header("grpc-accept-encoding"), "identity")

    def test_grpc_encoding_other_than_identity_is_unimplemented(self):
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""), extra=[("grpc-encoding", "gzip")])
        h = self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)
        self.assertEqual(h.header("grpc-accept-encoding"), "identity")
        sid = self.sid()
        self.c.call(sid, HEALTH, grpc_message(b""), extra=[("grpc-encoding", "identity")])
        self.assertEqual(h2raw.grpc_status(self.finish(sid)), OK)

    def test_garbage_protobuf_is_a_clean_error(self):
        # Field 1 (code) as a length-delimited string claiming 100 bytes, with 3 present.
        sid = self.sid()
        self.c.call(sid, GET_UNIT, grpc_message(b"\x0a\x64abc"))
        self.assertTrailersOnly(self.finish(sid), INTERNAL)
        self.health_ok()

    def test_unknown_path_is_unimplemented_trailers_only(self):
        for path in ("/nhanluc.v1.Registry/Nope", "/x.Y/Z", "/", "/nhanluc.v1.Registry/",
                     "/nhanluc.v1.Registry/GetUnit/extra"):
            with self.subTest(path=path):
                sid = self.sid()
                self.c.call(sid, path, grpc_message(b""))
                self.assertTrailersOnly(self.finish(sid), UNIMPLEMENTED)


class FramingCountersTest(nlserver.ServerTestCase):
    def test_refused_calls_never_reach_a_handler(self):
        """Every refusal is counted under its status; none of them becomes an OK call."""
        srv = self.start_server()
        c = h2raw.RawH2(srv.port)
        sid = 1
        sent = {"INTERNAL": 0, "UNIMPLEMENTED": 0, "RESOURCE_EXHAUSTED": 0,
                "DEADLINE_EXCEEDED": 0}
        for _ in range(5):
            c.call(sid, HEALTH, grpc_message(b""), timeout_header="1x")
            sent["INTERNAL"] += 1
            c.call(sid + 2, HEALTH, grpc_message(b"") * 2)
            sent["UNIMPLEMENTED"] += 1
            c.call(sid + 4, HEALTH, grpc_message(b"", length=1 << 31))
            sent["RESOURCE_EXHAUSTED"] += 1
            c.call(sid + 6, HEALTH, grpc_message(b""), timeout_header="0m")
            sent["DEADLINE_EXCEEDED"] += 1
            self.assertTrue(c.wait_streams([sid, sid + 2, sid + 4, sid + 6], 10))
            sid += 8
        c.close()
        rc, err = srv.stop()
        self.assertEqual(rc, 0, err[-3000:])
        self.assertEqual(nlserver.parse_calls_by_status(err), sent, err[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
