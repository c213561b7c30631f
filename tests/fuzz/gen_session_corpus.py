#!/usr/bin/python3
"""Writes seed inputs for fuzz_session into corpus/session/.

Each seed is byte 0 (the chunk size the target uses, minus one) followed by
what a gRPC client sends: the HTTP/2 preface and frames, made with python3-h2
so they are well formed. Run with Debian's /usr/bin/python3 from this folder.
"""
import os
import struct
import sys

import h2.config
import h2.connection

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "session")


def msg(payload, flag=0):
    return struct.pack(">BI", flag, len(payload)) + payload


def pb_string(field, s):
    b = s.encode()
    return bytes([field << 3 | 2, len(b)]) + b


def session(calls, extra=None):
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    for i, (path, body, headers, end) in enumerate(calls):
        sid = 1 + 2 * i
        hdrs = [(":method", "POST"), (":scheme", "http"), (":path", path),
                (":authority", "x"), ("te", "trailers"),
                ("content-type", "application/grpc")] + headers
        c.send_headers(sid, hdrs)
        c.send_data(sid, body, end_stream=end)
        if extra:
            extra(c, sid)
    return c.data_to_send()


UNIT = pb_string(1, "ha-noi") + pb_string(2, "Thành phố Hà Nội") + bytes([0x18, 1])
SEEDS = {
    "health": [("/grpc.health.v1.Health/Check", msg(b""), [], True)],
    "health_named": [("/grpc.health.v1.Health/Check", msg(pb_string(1, "nhanluc.v1.Registry")), [], True)],
    "create_get": [("/nhanluc.v1.Registry/CreateUnit", msg(bytes([0x0a, len(UNIT)]) + UNIT), [], True),
                   ("/nhanluc.v1.Registry/GetUnit", msg(pb_string(1, "ha-noi")), [], True),
                   ("/nhanluc.v1.Registry/ListUnits", msg(b""), [], True)],
    "term": [("/nhanluc.v1.Registry/CreateTerm", msg(bytes([0x0a, 13]) + pb_string(1, "2020-2025") + bytes([0x10, 1])), [], True),
             ("/nhanluc.v1.Registry/ListTerms", msg(b""), [], True)],
    "unknown": [("/x.Y/Z", msg(b""), [], True)],
    "timeout": [("/grpc.health.v1.Health/Check", msg(b""), [("grpc-timeout", "5S")], True),
                ("/grpc.health.v1.Health/Check", msg(b""), [("grpc-timeout", "123456789S")], True)],
    "two_messages": [("/grpc.health.v1.Health/Check", msg(b"") + msg(b""), [], True)],
    "partial": [("/nhanluc.v1.Registry/GetUnit", msg(pb_string(1, "ha-noi"))[:-2], [], True)],
    "compressed": [("/grpc.health.v1.Health/Check", msg(b"", flag=1), [("grpc-encoding", "gzip")], True)],
    "oversize": [("/nhanluc.v1.Registry/GetUnit", b"\x00\x7f\xff\xff\xff" + b"x" * 32, [], False)],
    "open_stream": [("/nhanluc.v1.Registry/GetUnit", msg(b"")[:3], [], False)],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, calls in SEEDS.items():
        for chunk in (255, 6):
            data = bytes([chunk]) + session(calls)
            with open(os.path.join(OUT, f"{name}_{chunk + 1}"), "wb") as f:
                f.write(data)

    def reset(c, sid):
        c.reset_stream(sid)
    data = bytes([255]) + session([("/nhanluc.v1.Registry/GetUnit", msg(b"")[:2], [], False)] * 20, reset)
    with open(os.path.join(OUT, "rapid_reset"), "wb") as f:
        f.write(data)

    def ping(c, sid):
        for i in range(50):
            c.ping(struct.pack(">Q", i))
    data = bytes([255]) + session([("/grpc.health.v1.Health/Check", msg(b""), [], True)], ping)
    with open(os.path.join(OUT, "pings"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, "http1"), "wb") as f:
        f.write(bytes([255]) + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
