"""nlserver.py - test fixture: run the real nhanlucd and generate Python stubs.

Used by the interop (grpcio), attack (raw HTTP/2) and integration (CLI)
tests. Everything here talks to 127.0.0.1 only and every wait is bounded.

- NlServer starts `nhanlucd --listen 127.0.0.1:0 --db <temp>/nl.db` (plus
  extra flags and environment), reads the port from the single
  `listening on 127.0.0.1:PORT` line with a bounded wait, and stops the server
  by its own PID: SIGTERM, a bounded wait, SIGKILL only as a last resort.
  stop() returns (exit code, stderr text).
- sanitizer_findings(stderr) lists the ASan/LSan/UBSan reports in a log;
  ServerTestCase.start_server() registers a cleanup that stops the server and
  fails the test on such a report or on an unclean exit, so an ASan+UBSan
  build of nhanlucd fails the suite loudly.
- stubs() runs protoc + grpc_python_plugin once per process into a temp dir
  and returns the registry_pb2, registry_pb2_grpc and health_pb2 modules.
  health_pb2 is loaded from its file under a private module name, because
  the generated package `grpc.health.v1` would shadow the installed `grpc`.

Paths come from the environment that CTest sets: NHANLUCD (server binary),
NHANLUC (CLI, optional), NL_SOURCE_DIR (repository root) and
NL_GRPC_PROTO_DIR (Debian's grpc-proto include dir).
"""

import atexit
import importlib.util
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("NL_SOURCE_DIR") or os.path.normpath(os.path.join(HERE, "..", ".."))
GRPC_PROTO_DIR = os.environ.get("NL_GRPC_PROTO_DIR") or "/usr/share/grpc-proto"

# How long a fresh server may take to print its `listening on` line (ASan is slow to start).
START_TIMEOUT_S = 60.0 if os.environ.get("NL_SERVER_WRAPPER") else 20.0
# How long stop() waits after SIGTERM before SIGKILL.
STOP_TIMEOUT_S = 60.0 if os.environ.get("NL_SERVER_WRAPPER") else 20.0
# Drain limit every fixture server gets unless a test passes its own.
DEFAULT_DRAIN_MS = 5000

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

LISTEN_RE = re.compile(r"^listening on 127\.0\.0\.1:(\d+)$")
CALLS_RE = re.compile(r"calls by status:(.*)$", re.M)


def nhanlucd_path():
    """The server binary from $NHANLUCD; raises unittest.SkipTest if unset."""
    p = os.environ.get("NHANLUCD")
    if not p:
        raise unittest.SkipTest("NHANLUCD is not set (run through ctest)")
    if not os.access(p, os.X_OK):
        raise AssertionError("NHANLUCD=%s is not executable" % p)
    return p


def sanitizer_findings(text):
    """Lines of `text` that report a sanitizer finding (empty list if clean)."""
    return [ln for ln in text.splitlines() if any(m in ln for m in SANITIZER_MARKERS)]


def parse_calls_by_status(stderr):
    """The counters of the last `calls by status:` log line as {name: count}.

    Returns None if there is no such line; {} for `calls by status: none`.
    """
    found = CALLS_RE.findall(stderr)
    if not found:
        return None
    counts = {}
    for word in found[-1].split():
        if word == "none":
            continue
        name, _, num = word.partition("=")
        counts[name] = int(num)
    return counts


def free_closed_port():
    """A loopback port that nothing listens on (bound then closed, so it is unlikely reused)."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class NlServer:
    """One nhanlucd process on 127.0.0.1:<ephemeral port> with a private temp db."""

    def __init__(self, args=(), env=None, drain_ms=DEFAULT_DRAIN_MS, log_level="debug"):
        self.tmp = tempfile.mkdtemp(prefix="nlsrv-")
        self.db = os.path.join(self.tmp, "nl.db")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.pop("NL_TEST_HANDLER_DELAY_MS", None)
        if env:
            self.env.update({k: str(v) for k, v in env.items()})
        self.drain_ms = drain_ms
        self.log_level = log_level
        self.proc = None
        self.port = None
        self.result = None  # (exit code, stderr) once stopped

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        """Starts the server and waits (bounded) for its `listening on` line. Returns self."""
        # NL_SERVER_WRAPPER (e.g. "valgrind --error-exitcode=99 ...") runs the server
        # under a tool; its exit code then reports the tool's findings.
        wrapper = shlex.split(os.environ.get("NL_SERVER_WRAPPER", ""))
        argv = wrapper + [nhanlucd_path(), "--listen", "127.0.0.1:0", "--db", self.db,
                          "--log-level", self.log_level]
        if self.drain_ms is not None:
            argv += ["--drain-timeout-ms", str(self.drain_ms)]
        # nhanlucd requires tokens by default; tests of other things run it with
        # --auth off unless they choose (tests/integration/test_auth.py and others do).
        if not any(a == "--auth" or a.startswith("--auth=") for a in self.args):
            argv += ["--auth", "off"]
        argv += self.args
        # stderr goes to a file: a pipe nobody reads would block a chatty server.
        self._errf = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._errf, env=self.env)
        line = self._read_stdout_line(START_TIMEOUT_S)
        m = LISTEN_RE.match(line)
        if not m:
            rc, err = self.stop()
            raise AssertionError("nhanlucd did not print 'listening on 127.0.0.1:PORT' "
                                 "(got %r, exit %s); stderr:\n%s" % (line, rc, err[-4000:]))
        self.port = int(m.group(1))
        return self

    def _read_stdout_line(self, timeout):
        buf = b""
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while b"\n" not in buf and len(buf) < 4096:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    break
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
        finally:
            sel.close()
        return buf.split(b"\n", 1)[0].decode("utf-8", "replace")

    def stderr_text(self):
        """What the server logged so far."""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def rss_kib(self):
        """The server's resident set (VmRSS) in KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
        raise AssertionError("no VmRSS in /proc/%d/status" % self.proc.pid)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        """Sends `sig` to this server's PID (only while it runs)."""
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        """Waits up to `timeout` s for the process to exit; returns its exit code or None."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, wait up to `timeout` s, SIGKILL if still running.

        Returns (exit code, stderr). Idempotent: later calls return the first result.
        The exit code is negative (-signal) if the process died by a signal.
        """
        if self.result is not None:
            return self.result
        if self.proc is None:
            self.result = (None, "")
            return self.result
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.wait(timeout)
        killed = False
        if rc is None:
            self.proc.kill()
            rc = self.wait(10)
            killed = True
        self.proc.stdout.close()
        self._errf.close()
        err = self.stderr_text()
        if killed:
            err += "\n[fixture] nhanlucd did not exit %.0f s after SIGTERM: killed\n" % timeout
        self.result = (rc, err)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.result


class ServerTestCase(unittest.TestCase):
    """TestCase with start_server(): stopped and checked at cleanup.

    The cleanup fails the test if the server's stderr holds a sanitizer
    report, or if it did not exit 0 after SIGTERM.
    """

    def start_server(self, args=(), env=None, drain_ms=DEFAULT_DRAIN_MS, log_level="debug"):
        srv = NlServer(args=args, env=env, drain_ms=drain_ms, log_level=log_level).start()
        self.addCleanup(self.check_server_exit, srv)
        return srv

    def check_server_exit(self, srv):
        """Stops `srv` (if still running) and asserts a clean exit without sanitizer reports."""
        rc, err = srv.stop()
        bad = sanitizer_findings(err)
        if bad:
            self.fail("sanitizer report in nhanlucd's stderr:\n%s\n--- full log tail:\n%s"
                      % ("\n".join(bad[:20]), err[-6000:]))
        if rc != 0:
            self.fail("nhanlucd exited %s after SIGTERM; stderr tail:\n%s" % (rc, err[-4000:]))


# --- Python stubs -----------------------------------------------------------------------------

_stubs = None


def stubs():
    """Generates (once per process) and imports the stubs.

    Returns an object with attributes registry_pb2, registry_pb2_grpc, records_pb2,
    records_pb2_grpc, indicators_pb2, indicators_pb2_grpc, admin_pb2, admin_pb2_grpc,
    health_pb2. All nhanluc.v1
    modules come from one directory: records.proto imports registry.proto and
    indicators.proto, and two stub directories would split the package.
    """
    global _stubs
    if _stubs is not None:
        return _stubs
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise AssertionError("protoc and grpc_python_plugin (protobuf-compiler-grpc) are needed")
    out = tempfile.mkdtemp(prefix="nlstubs-")
    atexit.register(shutil.rmtree, out, True)
    cmd = [protoc, "-I" + os.path.join(SOURCE_DIR, "proto"), "-I" + GRPC_PROTO_DIR,
           "--python_out=" + out, "--grpc_out=" + out, "--plugin=protoc-gen-grpc=" + plugin,
           "nhanluc/v1/registry.proto", "nhanluc/v1/records.proto", "nhanluc/v1/indicators.proto",
           "nhanluc/v1/admin.proto", "grpc/health/v1/health.proto"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise AssertionError("protoc failed: %s" % r.stderr.decode("utf-8", "replace"))
    if out not in sys.path:
        sys.path.insert(0, out)
    from nhanluc.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402 (generated above)
    from nhanluc.v1 import records_pb2, records_pb2_grpc  # noqa: E402 (generated above)
    from nhanluc.v1 import indicators_pb2, indicators_pb2_grpc  # noqa: E402 (generated above)
    from nhanluc.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402 (generated above)

    spec = importlib.util.spec_from_file_location(
        "nl_health_pb2", os.path.join(out, "grpc", "health", "v1", "health_pb2.py"))
    health_pb2 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(health_pb2)

    class _Stubs:
        pass

    s = _Stubs()
    s.registry_pb2 = registry_pb2
    s.registry_pb2_grpc = registry_pb2_grpc
    s.records_pb2 = records_pb2
    s.records_pb2_grpc = records_pb2_grpc
    s.indicators_pb2 = indicators_pb2
    s.indicators_pb2_grpc = indicators_pb2_grpc
    s.admin_pb2 = admin_pb2
    s.admin_pb2_grpc = admin_pb2_grpc
    s.health_pb2 = health_pb2
    _stubs = s
    return s


def health_check_callable(channel):
    """grpc.health.v1.Health/Check on `channel` as a unary-unary callable."""
    h = stubs().health_pb2
    return channel.unary_unary("/grpc.health.v1.Health/Check",
                               request_serializer=h.HealthCheckRequest.SerializeToString,
                               response_deserializer=h.HealthCheckResponse.FromString)


# grpcio options for every test channel: never go through an HTTP proxy from the environment.
GRPC_CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]
