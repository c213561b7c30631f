"""h2raw.py - a frame-level HTTP/2 client for the attack tests.

python3-h2 refuses to send most of what these tests must send (too many
streams, resets in a tight loop, unread PING floods), so this client writes
frames itself with hyperframe and hpack (the libraries under python3-h2) on a
blocking loopback socket, and records every frame the server sends, decoded,
per stream and in arrival order. Every read is bounded by a deadline.

Header blocks are encoded with "never indexed" literals, so the server's HPACK
dynamic table never changes and frames can be interleaved or dropped freely.
"""

import socket
import struct
import time

import hpack
from hpack import NeverIndexedHeaderTuple
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame,
                              PingFrame, RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Error codes (RFC 9113 section 7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
REFUSED_STREAM = 0x7
CANCEL = 0x8
ENHANCE_YOUR_CALM = 0xB

# Window we advertise, so responses never stall on our side.
OUR_WINDOW = 1 << 30


def grpc_message(payload, compressed=0, length=None):
    """A Length-Prefixed-Message: flag byte, 4-byte big-endian length, payload."""
    n = len(payload) if length is None else length
    return struct.pack(">BI", compressed, n) + payload


class Closed(Exception):
    pass


class Received:
    """One frame from the server: kind ('HEADERS', 'DATA', 'RST_STREAM', ...), flags, payload."""

    def __init__(self, kind, stream_id, flags, headers=None, data=b"", error_code=None,
                 frame=None):
        self.kind = kind
        self.stream_id = stream_id
        self.flags = set(flags)
        self.headers = headers  # list of (name, value) str pairs, HEADERS only
        self.data = data
        self.error_code = error_code
        self.frame = frame

    @property
    def end_stream(self):
        return "END_STREAM" in self.flags

    def header(self, name):
        for k, v in self.headers or ():
            if k == name:
                return v
        return None

    def __repr__(self):
        extra = ""
        if self.headers is not None:
            extra = " %r" % (self.headers,)
        elif self.kind == "DATA":
            extra = " %d bytes" % len(self.data)
        elif self.error_code is not None:
            extra = " error=%d" % self.error_code
        return "<%s sid=%d %s%s>" % (self.kind, self.stream_id, sorted(self.flags), extra)


class RawH2:
    """One h2c connection to 127.0.0.1:port, driven frame by frame."""

    def __init__(self, port, timeout=10.0, settings=None, handshake=True, ack_settings=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.dec.max_allowed_table_size = 65536
        self.inbuf = b""
        self.frames = []            # every Received, in order
        self.by_stream = {}         # stream id -> [Received]
        self.goaway = None          # the last GOAWAY Received
        self.eof = False
        self.server_settings = {}
        self.settings_acked = False
        self.ack_settings = ack_settings
        self.auto_ping_ack = True
        self._cont = None           # (stream id, flags, block) while a header block continues
        if handshake:
            self.handshake(settings)

    # --- sending ---

    def send_raw(self, b):
        self.sock.sendall(b)

    def send_frame(self, f):
        self.sock.sendall(f.serialize())

    def handshake(self, settings=None):
        s = SettingsFrame(0)
        base = {SettingsFrame.ENABLE_PUSH: 0, SettingsFrame.INITIAL_WINDOW_SIZE: (1 << 31) - 1}
        base.update(settings or {})
        s.settings = base
        w = WindowUpdateFrame(0)
        w.window_increment = OUR_WINDOW
        self.send_raw(PREFACE + s.serialize() + w.serialize())

    def encode_headers(self, headers):
        return self.enc.encode([NeverIndexedHeaderTuple(k, v) for k, v in headers])

    def headers_frame(self, sid, headers, end_stream=False, block=None):
        f = HeadersFrame(sid)
        f.data = self.encode_headers(headers) if block is None else block
        f.flags.add("END_HEADERS")
        if end_stream:
            f.flags.add("END_STREAM")
        return f

    def send_headers(self, sid, headers, end_stream=False):
        self.send_frame(self.headers_frame(sid, headers, end_stream))

    def send_data(self, sid, data, end_stream=False, max_frame=16384):
        out = []
        pos = 0
        while True:
            chunk = data[pos:pos + max_frame]
            pos += len(chunk)
            f = DataFrame(sid)
            f.data = chunk
            last = pos >= len(data)
            if last and end_stream:
                f.flags.add("END_STREAM")
            out.append(f.serialize())
            if last:
                break
        self.send_raw(b"".join(out))

    def send_rst(self, sid, code=CANCEL):
        f = RstStreamFrame(sid)
        f.error_code = code
        self.send_frame(f)

    def ping_frame(self, opaque=b"\0" * 8):
        f = PingFrame(0)
        f.opaque_data = opaque
        return f

    def send_goaway(self, code=NO_ERROR):
        f = GoAwayFrame(0)
        f.last_stream_id = 0
        f.error_code = code
        try:
            self.send_frame(f)
        except OSError:
            pass

    def request_headers(self, path, method="POST", content_type="application/grpc",
                        extra=(), timeout_header=None):
        h = [(":method", method), (":scheme", "http"), (":path", path),
             (":authority", "127.0.0.1")]
        if content_type is not None:
            h.append(("content-type", content_type))
        h.append(("te", "trailers"))
        if timeout_header is not None:
            h.append(("grpc-timeout", timeout_header))
        h.extend(extra)
        return h

    def call(self, sid, path, body=None, **kw):
        """HEADERS then (if body is not None) DATA with END_STREAM; END_STREAM on HEADERS if not."""
        self.send_headers(sid, self.request_headers(path, **kw), end_stream=body is None)
        if body is not None:
            self.send_data(sid, body, end_stream=True)

    # --- receiving ---

    def _recv_some(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(min(left, self.timeout))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            raise Closed()
        self.inbuf += chunk
        return True

    def _take_frames(self):
        while len(self.inbuf) >= 9:
            f, length = Frame.parse_frame_header(memoryview(self.inbuf[:9]))
            if len(self.inbuf) < 9 + length:
                return
            f.parse_body(memoryview(self.inbuf[9:9 + length]))
            self.inbuf = self.inbuf[9 + length:]
            self._on_frame(f)

    def _record(self, r):
        self.frames.append(r)
        if r.stream_id != 0:
            self.by_stream.setdefault(r.stream_id, []).append(r)

    def _on_frame(self, f):
        if isinstance(f, HeadersFrame) or isinstance(f, ContinuationFrame):
            if isinstance(f, HeadersFrame):
                self._cont = (f.stream_id, set(f.flags), f.data)
            else:
                sid, flags, block = self._cont
                self._cont = (sid, flags, block + f.data)
            if "END_HEADERS" in f.flags:
                sid, flags, block = self._cont
                self._cont = None
                hdrs = [(k.decode() if isinstance(k, bytes) else k,
                         v.decode() if isinstance(v, bytes) else v)
                        for k, v in self.dec.decode(block, raw=True)]
                self._record(Received("HEADERS", sid, flags, headers=hdrs, frame=f))
            return
        if isinstance(f, DataFrame):
            # No WINDOW_UPDATE: handshake() opened our windows to about 2^31 and 2^30 bytes,
            # and needless updates would count against the server's misbehaviour budget.
            self._record(Received("DATA", f.stream_id, f.flags, data=bytes(f.data), frame=f))
            return
        if isinstance(f, RstStreamFrame):
            self._record(Received("RST_STREAM", f.stream_id, f.flags, error_code=f.error_code,
                                  frame=f))
            return
        if isinstance(f, GoAwayFrame):
            r = Received("GOAWAY", 0, f.flags, error_code=f.error_code, frame=f)
            r.last_stream_id = f.last_stream_id
            r.debug = bytes(f.additional_data)
            self.goaway = r
            self._record(r)
            return
        if isinstance(f, SettingsFrame):
            self._record(Received("SETTINGS", 0, f.flags, frame=f))
            if "ACK" in f.flags:
                self.settings_acked = True
            else:
                self.server_settings.update(f.settings)
                if self.ack_settings:
                    a = SettingsFrame(0)
                    a.flags.add("ACK")
                    try:
                        self.send_frame(a)
                    except OSError:
                        pass
            return
        if isinstance(f, PingFrame):
            self._record(Received("PING", 0, f.flags, data=bytes(f.opaque_data), frame=f))
            if "ACK" not in f.flags and self.auto_ping_ack:
                a = PingFrame(0)
                a.flags.add("ACK")
                a.opaque_data = f.opaque_data
                try:
                    self.send_frame(a)
                except OSError:
                    pass
            return
        self._record(Received(type(f).__name__, f.stream_id, f.flags, frame=f))

    def pump(self, until=None, timeout=None):
        """Reads and records frames until until(self) is true, the peer closes, or timeout.

        Returns True if `until` became true (or, without `until`, if the peer closed).
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if until is not None and until(self):
                return True
            try:
                got = self._recv_some(deadline)
            except Closed:
                self._take_frames()
                return until(self) if until is not None else True
            if not got:
                return until(self) if until is not None else False
            self._take_frames()

    def stream_ended(self, sid):
        return any(r.end_stream or r.kind == "RST_STREAM" for r in self.by_stream.get(sid, ()))

    def wait_streams(self, sids, timeout=None):
        """Pumps until every stream in `sids` ended (END_STREAM or RST_STREAM)."""
        return self.pump(lambda c: all(c.stream_ended(s) for s in sids), timeout)

    def wait_closed(self, timeout):
        """Pumps until the server closes the connection; True if it did."""
        try:
            return self.pump(lambda c: c.eof, timeout)
        except OSError:
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def grpc_status(frames):
    """grpc-status (int) of the last HEADERS in `frames`, or None."""
    for r in reversed(frames):
        if r.kind == "HEADERS" and r.header("grpc-status") is not None:
            return int(r.header("grpc-status"))
    return None
