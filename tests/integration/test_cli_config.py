"""test_cli_config.py - the CLI's config file, against the real nhanlucd.

Issue 5: the token comes from --token, NHANLUC_TOKEN or "a file named in the
config (mode 0600 checked)", and TLS from --tls, https:// "or a tls config
key". The file (`key = value` lines) is --config FILE, else $NHANLUC_CONFIG,
else $XDG_CONFIG_HOME/nhanluc/config; options win over variables, variables
over the file. Bad files are refused naming the file and line; a token file
readable by others is refused naming its mode. Every process is bounded.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402
import tlspki  # noqa: E402

EXIT_OK, EXIT_UNAVAILABLE, EXIT_UNAUTHENTICATED, EXIT_USAGE = 0, 14, 16, 64


def setUpModule():
    nlcli.require_nhanluc()


def bootstrap(db):
    p = subprocess.run([nlserver.nhanlucd_path(), "--db", db, "--bootstrap-admin"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


class ConfigCase(unittest.TestCase):
    """A server requiring tokens; every CLI run starts from an environment without config."""

    server_args = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nl-clicfg-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        srv = nlserver.NlServer(args=["--auth", "required", "--backup-dir", "off",
                                      *self.server_args])
        self.token = bootstrap(srv.db)
        srv.start()
        self.srv = srv
        self.addCleanup(self.check_exit, srv)
        self.token_file = self.write("token", self.token + "\n", 0o600)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)

    def check_exit(self, srv):
        rc, err = srv.stop()
        self.assertEqual(nlserver.sanitizer_findings(err), [], err[-4000:])
        self.assertEqual(rc, 0, err[-4000:])

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def run_cli(self, *args, env=None):
        """nhanluc ARGS with no --server, no token and no config in the environment but `env`."""
        e = {"HOME": self.home, "XDG_CONFIG_HOME": "", "NHANLUC_CONFIG": "", "NHANLUC_TLS": "",
             "NHANLUC_CA": "", "NHANLUC_CERT": "", "NHANLUC_KEY": ""}
        e.update(env or {})
        rc, out, err = nlcli.run_cli(None, *args, env=e, timeout=60)
        self.assertEqual(nlserver.sanitizer_findings(err), [], err)
        return rc, out, err

    def config(self, text, name="nhanluc.conf"):
        return self.write(name, text)


class ConfigFileTest(ConfigCase):
    def test_server_and_token_file_from_the_config(self):
        cfg = self.config("# district office\nserver = %s\ntoken-file = %s\noutput = json\n"
                          % (self.srv.addr, self.token_file))
        # --config FILE
        rc, out, err = self.run_cli("--config", cfg, "health")
        self.assertEqual(rc, EXIT_OK, err)
        rc, out, err = self.run_cli("--config", cfg, "term", "list")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out), [])  # output = json, though stdout is a pipe anyway
        # $NHANLUC_CONFIG
        rc, out, err = self.run_cli("term", "list", env={"NHANLUC_CONFIG": cfg})
        self.assertEqual(rc, EXIT_OK, err)
        # the default file, $XDG_CONFIG_HOME/nhanluc/config, then ~/.config/nhanluc/config
        xdg = os.path.join(self.tmp, "xdg")
        os.makedirs(os.path.join(xdg, "nhanluc"))
        shutil.copy(cfg, os.path.join(xdg, "nhanluc", "config"))
        rc, out, err = self.run_cli("term", "list", env={"XDG_CONFIG_HOME": xdg})
        self.assertEqual(rc, EXIT_OK, err)
        os.makedirs(os.path.join(self.home, ".config", "nhanluc"))
        shutil.copy(cfg, os.path.join(self.home, ".config", "nhanluc", "config"))
        rc, out, err = self.run_cli("term", "list")
        self.assertEqual(rc, EXIT_OK, err)

    def test_options_win_over_variables_and_variables_over_the_file(self):
        dead = "127.0.0.1:%d" % nlserver.free_closed_port()
        cfg = self.config("server = %s\ntoken-file = %s\ntimeout = 2s\n" % (dead, self.token_file))
        # the file's server is dead: --server and $NHANLUC_SERVER both override it
        rc, _, err = self.run_cli("--config", cfg, "term", "list")
        self.assertEqual(rc, EXIT_UNAVAILABLE, err)
        rc, _, err = self.run_cli("--config", cfg, "--server", self.srv.addr, "term", "list")
        self.assertEqual(rc, EXIT_OK, err)
        rc, _, err = self.run_cli("--config", cfg, "term", "list",
                                  env={"NHANLUC_SERVER": self.srv.addr})
        self.assertEqual(rc, EXIT_OK, err)
        # a wrong token in the environment wins over the file's right one
        bad = "nl_000000000000_" + "A" * 43
        rc, _, err = self.run_cli("--config", cfg, "--server", self.srv.addr, "term", "list",
                                  env={"NHANLUC_TOKEN": bad})
        self.assertEqual(rc, EXIT_UNAUTHENTICATED, err)
        # no token anywhere: the server says so
        nofile = self.config("server = %s\n" % self.srv.addr, "notoken.conf")
        rc, _, err = self.run_cli("--config", nofile, "term", "list")
        self.assertEqual(rc, EXIT_UNAUTHENTICATED, err)

    def test_token_file_readable_by_others_is_refused(self):
        loose = self.write("loose-token", self.token + "\n", 0o644)
        cfg = self.config("server = %s\ntoken-file = %s\n" % (self.srv.addr, loose))
        rc, out, err = self.run_cli("--config", cfg, "term", "list")
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("token file '%s' has mode 0644" % loose, err)
        self.assertNotIn(self.token, err + out)

    def test_bad_files_name_the_file_and_line(self):
        cases = [
            ("server = %s\ncolour = blue\n" % self.srv.addr, ":2: unknown key 'colour'"),
            ("server\n", ":1: expected 'key = value'"),
            ("\n\ntimeout = soon\n", ":3: bad timeout 'soon'"),
            ("output = xml\n", ":1: bad output 'xml'"),
            ("tls = maybe\n", ":1: bad tls 'maybe'"),
            ("server = host:99999\n", ":1: bad server 'host:99999'"),
            ("token-file =\n", ":1: 'token-file' needs a value"),
        ]
        for i, (text, want) in enumerate(cases):
            cfg = self.config(text, "bad%d.conf" % i)
            rc, out, err = self.run_cli("--config", cfg, "health")
            self.assertEqual(rc, EXIT_USAGE, (text, err))
            self.assertIn(cfg + want, err)
            self.assertEqual(out, "")
        # a named file must exist; the default one may not
        missing = os.path.join(self.tmp, "nope.conf")
        rc, _, err = self.run_cli("--config", missing, "health")
        self.assertEqual(rc, EXIT_USAGE, err)
        self.assertIn("cannot read config file '%s'" % missing, err)
        rc, _, err = self.run_cli("health", env={"NHANLUC_CONFIG": missing})
        self.assertEqual(rc, EXIT_USAGE, err)
        rc, _, err = self.run_cli("--server", self.srv.addr, "health")
        self.assertEqual(rc, EXIT_OK, err)


class ConfigTlsTest(ConfigCase):
    """`tls = yes` and `ca` in the file reach a TLS-only server."""

    @classmethod
    def setUpClass(cls):
        cls.pki = tlspki.Pki()
        cls.server_args = tuple(cls.pki.server_args())

    @classmethod
    def tearDownClass(cls):
        cls.pki.cleanup()

    def test_tls_and_ca_from_the_config(self):
        addr = "localhost:%d" % self.srv.port
        cfg = self.config("server = %s\ntls = yes\nca = %s\ntoken-file = %s\n"
                          % (addr, self.pki.ca, self.token_file))
        rc, out, err = self.run_cli("--config", cfg, "term", "list")
        self.assertEqual(rc, EXIT_OK, err)
        # https:// in the file is TLS too; without the CA the certificate does not verify
        cfg2 = self.config("server = https://%s\ntoken-file = %s\n" % (addr, self.token_file),
                           "https.conf")
        rc, out, err = self.run_cli("--config", cfg2, "term", "list")
        self.assertEqual(rc, EXIT_UNAVAILABLE, err)
        self.assertIn("certificate", err)
        rc, out, err = self.run_cli("--config", cfg2, "--ca", self.pki.ca, "term", "list")
        self.assertEqual(rc, EXIT_OK, err)
        # tls = no in the file yields to NHANLUC_TLS=1
        cfg3 = self.config("server = %s\ntls = no\nca = %s\ntoken-file = %s\n"
                           % (addr, self.pki.ca, self.token_file), "notls.conf")
        rc, out, err = self.run_cli("--config", cfg3, "term", "list", env={"NHANLUC_TLS": "1"})
        self.assertEqual(rc, EXIT_OK, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
