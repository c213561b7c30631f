"""nlcli.py - test helper: run the real `nhanluc` CLI as a subprocess.

Used by the integration tests that drive the CLI against a server of their
own (tests/support/nlserver.py) or an in-process fake. One CLI run here is
always `$NHANLUC [--server ADDR] [OPTIONS...] ARGS...` with stdin from
/dev/null, a wall-clock bound, and an environment from which the variables
that could point the CLI at another server or lend it a token
(NHANLUC_SERVER, NHANLUC_TOKEN, NHANLUC_TOKEN_FILE, NHANLUC_CONFIG) are dropped, so that
only what the test passes reaches it.

- require_nhanluc() is the setUpModule check: skip when NHANLUC is unset.
- run_cli() runs the CLI once and returns (rc, stdout, stderr).
- CliMixin gives a unittest.TestCase cli() / ok() / okj() / fails() that run
  it against self.srv.addr with the test's token (if any) and fail the test
  on a sanitizer report in the CLI's stderr, so that an ASan+UBSan build
  covers the CLI as well as the server.

Importable through the same sys.path entry as nlserver.py.
"""

import json
import os
import subprocess
import unittest

import nlserver

NHANLUC = os.environ.get("NHANLUC", "")
CLI_TIMEOUT_S = 60  # default wall-clock bound on any one CLI run
EXIT_OK = 0
DROPPED_ENV = ("NHANLUC_SERVER", "NHANLUC_TOKEN", "NHANLUC_TOKEN_FILE", "NHANLUC_CONFIG")


def require_nhanluc():
    """The setUpModule check of a CLI test; returns the CLI's path ($NHANLUC).

    Raises unittest.SkipTest when NHANLUC is unset or empty (the nhanluc
    target is not built) and AssertionError when it does not name an
    executable file.
    """
    if not NHANLUC:
        raise unittest.SkipTest("NHANLUC is not set: the nhanluc CLI target is not built")
    if not os.access(NHANLUC, os.X_OK):
        raise AssertionError("NHANLUC=%s is not executable" % NHANLUC)
    return NHANLUC


def run_cli(addr, *args, token=None, env=None, timeout=CLI_TIMEOUT_S, text=True):
    """Runs `nhanluc --server ADDR ARGS...` once; returns (rc, stdout, stderr).

    addr: the server address; a false value (None, "", False) leaves
    --server out. The CLI gets this process's environment without
    DROPPED_ENV, then NHANLUC_TOKEN=token when token is a non-empty string,
    then the entries of `env` (a dict, may be None), which win. stdin is
    /dev/null; subprocess.TimeoutExpired is raised (the CLI killed) after
    `timeout` seconds. stdout is decoded as UTF-8 (strictly: a CLI printing
    anything else raises) unless text is False (then bytes); stderr is
    always text, undecodable bytes replaced. No sanitizer check here.
    """
    argv = [NHANLUC] + (["--server", addr] if addr else []) + list(args)
    e = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    if token:
        e["NHANLUC_TOKEN"] = token
    e.update(env or {})
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout)
    out = p.stdout.decode("utf-8") if text else p.stdout
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


class CliMixin:
    """cli() / ok() / okj() / fails() for a unittest.TestCase running the CLI.

    Mix in before the TestCase class. The CLI talks to cli_server() (by
    default self.srv.addr) and sends self.token as NHANLUC_TOKEN when the
    test has that attribute and it is set (None or absent: no token). A
    class may override:
      cli_options  global options put after --server ADDR, before ARGS
                   (e.g. ("--output", "json")); not named in messages;
      cli_timeout  the wall-clock bound of one run, in seconds;
      cli_text     False to get stdout as bytes instead of text.
    """

    cli_options = ()
    cli_timeout = CLI_TIMEOUT_S
    cli_text = True

    def cli_server(self):
        """The address cli() passes as --server unless told otherwise: self.srv.addr."""
        return self.srv.addr

    def cli(self, *args, server=None, token=None, env=None, timeout=None):
        """Runs `nhanluc --server ADDR OPTIONS... ARGS...`; returns (rc, stdout, stderr).

        server: the address (None: cli_server(); False: no --server at all).
        token: None sends self.token if set, a string sends that token,
        False sends none. env: extra environment entries, applied last (see
        run_cli). timeout: seconds, None for cli_timeout. Fails the test if
        the CLI's stderr holds a sanitizer report; any exit code is returned.
        """
        if server is None:
            server = self.cli_server()
        if token is None:
            token = getattr(self, "token", None)
        rc, out, err = run_cli(server, *self.cli_options, *args, token=token, env=env,
                               timeout=self.cli_timeout if timeout is None else timeout,
                               text=self.cli_text)
        if nlserver.sanitizer_findings(err):
            self.fail("sanitizer report from nhanluc %s:\n%s" % (" ".join(args), err[-6000:]))
        return rc, out, err

    def ok(self, *args, **kw):
        """cli(*args, **kw) that must exit 0; returns its stdout.

        The failure message names the command, the exit code and stderr.
        """
        rc, out, err = self.cli(*args, **kw)
        self.assertEqual(rc, EXIT_OK, "nhanluc %s: rc %d, stderr %r" % (" ".join(args), rc, err))
        return out

    def okj(self, *args, **kw):
        """ok("--output", "json", *args, **kw) parsed as JSON."""
        return json.loads(self.ok("--output", "json", *args, **kw))

    def fails(self, want_rc, *args, **kw):
        """cli(*args, **kw) that must exit want_rc with nothing on stdout; returns stderr."""
        rc, out, err = self.cli(*args, **kw)
        self.assertEqual(rc, want_rc, "nhanluc %s: rc %d, stderr %r" % (" ".join(args), rc, err))
        self.assertEqual(out, "" if self.cli_text else b"")
        return err
