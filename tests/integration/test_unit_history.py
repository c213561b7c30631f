"""test_unit_history.py - units with history through the real CLI and server.

Each test starts its own nhanlucd (tests/support/nlserver.py) and drives
`nhanluc unit add|list|history|event|lineage` and `nhanluc term instance` as
subprocesses: versions added with --from (both date forms), the tree as of a
date across a merge, a dissolution moving children, the history timeline in
JSON and CSV, lineage both ways over chained events, idempotent replays,
usage errors (exit 64) and server-side validation (exit 3 naming the field).
Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

EXIT_OK, EXIT_INVALID_ARGUMENT, EXIT_NOT_FOUND, EXIT_FAILED_PRECONDITION = 0, 3, 5, 9
EXIT_USAGE = 64


def setUpModule():
    nlcli.require_nhanluc()


class UnitHistoryTest(nlcli.CliMixin, nlserver.ServerTestCase):
    def setUp(self):
        self.srv = self.start_server()

    def js(self, *args):
        return self.okj(*args)

    def codes(self, *args):
        return [u["code"] for u in self.js("unit", "list", *args)]

    def seed(self):
        """ha-noi > thanh-tri > xa-a, xa-b since always; xa-ab from 1 Jul 2025."""
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "thanh-tri", "Huyện Thanh Trì", "--kind", "rural_district",
                "--parent", "ha-noi")
        for code, name in (("xa-a", "Xã A"), ("xa-b", "Xã B")):
            self.ok("unit", "add", code, name, "--kind", "commune", "--parent", "thanh-tri")
        added = self.js("unit", "add", "xa-ab", "Xã AB", "--kind", "commune", "--parent",
                        "ha-noi", "--from", "1/7/2025")
        self.assertEqual((added["valid_from"], added["valid_to"], added["created"]),
                         ("2025-07-01", "", True))

    def test_merge_history_as_of_and_lineage(self):
        self.seed()
        ev = self.js("unit", "event", "merge", "--date", "01/07/2025", "--from", "xa-b,xa-a",
                     "--to", "xa-ab", "--basis", "Nghị quyết 1656/NQ-UBTVQH15")
        self.assertEqual(ev, {"kind": "MERGE", "effective_date": "2025-07-01",
                              "sources": "xa-a,xa-b", "targets": "xa-ab",
                              "legal_basis": "Nghị quyết 1656/NQ-UBTVQH15", "created": True})
        again = self.js("unit", "event", "merge", "--date", "2025-07-01", "--from", "xa-a,xa-b",
                        "--to", "xa-ab", "--basis", "Nghị quyết 1656/NQ-UBTVQH15")
        self.assertIs(again["created"], False)

        # The tree on the eve of the merge and on its day.
        self.assertEqual(self.codes("--as-of", "30/06/2025"),
                         ["ha-noi", "thanh-tri", "xa-a", "xa-b"])
        self.assertEqual(self.codes("--as-of", "2025-07-01"), ["ha-noi", "thanh-tri", "xa-ab"])
        self.assertEqual(self.codes("--parent", "thanh-tri", "--as-of", "2025-06-30"),
                         ["xa-a", "xa-b"])
        self.assertEqual(self.codes("--parent", "thanh-tri", "--as-of", "2025-07-01"), [])

        hist = self.js("unit", "history", "xa-a")
        self.assertEqual([(h["record"], h["valid_from"], h["valid_to"], h["effective_date"])
                          for h in hist],
                         [("VERSION", "", "2025-06-30", ""), ("MERGE", "", "", "2025-07-01")])
        self.assertEqual((hist[0]["name"], hist[0]["kind"], hist[0]["parent"]),
                         ("Xã A", "COMMUNE", "thanh-tri"))
        self.assertEqual((hist[1]["sources"], hist[1]["targets"], hist[1]["legal_basis"]),
                         ("xa-a,xa-b", "xa-ab", "Nghị quyết 1656/NQ-UBTVQH15"))
        # On the merge's day the event comes before the version it opens.
        self.assertEqual([h["record"] for h in self.js("unit", "history", "xa-ab")],
                         ["MERGE", "VERSION"])
        rows = list(csv.reader(io.StringIO(self.ok("--output", "csv", "unit", "history",
                                                   "xa-a"))))
        self.assertEqual(rows[0], ["record", "valid_from", "valid_to", "name", "kind", "parent",
                                   "effective_date", "sources", "targets", "legal_basis"])
        self.assertEqual(len(rows), 3)
        table = self.ok("--output", "table", "unit", "history", "xa-a")
        self.assertIn("2025-06-30", table)
        self.assertIn("MERGE", table)

        # A second, chained event: a rename of the merged unit.
        self.ok("unit", "add", "xa-moi", "Xã Mới", "--kind", "commune", "--parent", "ha-noi",
                "--from", "2026-01-01")
        self.ok("unit", "event", "rename", "--date", "2026-01-01", "--from", "xa-ab",
                "--to", "xa-moi")
        succ = self.js("unit", "lineage", "xa-a")
        self.assertEqual([(s["code"], s["via_code"], s["kind"], s["effective_date"])
                          for s in succ],
                         [("xa-ab", "xa-a", "MERGE", "2025-07-01"),
                          ("xa-moi", "xa-ab", "RENAME", "2026-01-01")])
        back = self.js("unit", "lineage", "xa-moi", "--back")
        self.assertEqual([(s["code"], s["via_code"]) for s in back],
                         [("xa-ab", "xa-moi"), ("xa-a", "xa-ab"), ("xa-b", "xa-ab")])
        self.assertEqual(self.js("unit", "lineage", "xa-moi"), [])
        self.assertEqual(self.codes("--as-of", "2026-01-01"), ["ha-noi", "thanh-tri", "xa-moi"])
        shown = self.js("unit", "show", "xa-ab")
        self.assertEqual(shown["name"], "Xã AB")

    def test_dissolve_moves_children(self):
        self.seed()
        self.ok("unit", "event", "dissolve", "--date", "2025-07-01", "--from", "thanh-tri")
        self.assertEqual(self.codes("--parent", "ha-noi", "--as-of", "2025-07-01"),
                         ["xa-a", "xa-ab", "xa-b"])
        self.assertEqual(self.codes("--parent", "ha-noi", "--as-of", "2025-06-30"),
                         ["thanh-tri"])
        hist = self.js("unit", "history", "xa-a")
        self.assertEqual([(h["record"], h["valid_from"], h["valid_to"], h["parent"])
                          for h in hist],
                         [("VERSION", "", "2025-06-30", "thanh-tri"),
                          ("VERSION", "2025-07-01", "", "ha-noi")])
        self.assertEqual(self.js("unit", "history", "thanh-tri")[-1]["record"], "DISSOLVE")

    def test_term_instance(self):
        self.seed()
        self.ok("term", "add", "2020-2025", "--kind", "party_congress")
        ti = self.js("term", "instance", "2020-2025", "thanh-tri", "--start", "15/08/2020",
                     "--end", "2025-07-20")
        self.assertEqual(ti, {"term": "2020-2025", "unit": "thanh-tri",
                              "start_date": "2020-08-15", "end_date": "2025-07-20",
                              "created": True})
        ti = self.js("term", "instance", "2020-2025", "thanh-tri", "--start", "2020-08-15",
                     "--end", "2025-07-20")
        self.assertIs(ti["created"], False)
        rc, out, err = self.cli("term", "instance", "2020-2025", "thanh-tri", "--start",
                                "2020-08-15", "--end", "2019-01-01")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("instance.end_date", err)
        rc, out, err = self.cli("term", "instance", "2015-2020", "thanh-tri", "--start",
                                "2015-08-15", "--end", "2020-07-20")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("instance.term", err)

    def test_errors(self):
        self.seed()
        for args in (["unit", "list", "--as-of", "2025-13-01"],
                     ["unit", "add", "x", "X", "--kind", "ward", "--parent", "ha-noi",
                      "--from", "31/02/2025"],
                     ["unit", "event", "merge", "--from", "xa-a", "--to", "xa-ab"],
                     ["unit", "event", "merge", "--date", "2025-07-01", "--to", "xa-ab"],
                     ["unit", "event", "absorb", "--date", "2025-07-01", "--from", "xa-a"],
                     ["unit", "lineage"],
                     ["unit", "history"],
                     ["term", "instance", "2020-2025", "ha-noi", "--start", "2020-01-01"]):
            with self.subTest(args=args):
                rc, out, err = self.cli(*args)
                self.assertEqual(rc, EXIT_USAGE, (out, err))
                self.assertEqual(out, "")
        # The server names the field, never the value.
        rc, out, err = self.cli("unit", "event", "rename", "--date", "2025-07-01",
                                "--from", "xa-a,xa-b", "--to", "xa-ab")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("event.sources", err)
        rc, out, err = self.cli("unit", "event", "merge", "--date", "2025-07-01",
                                "--from", "xa-a,khong-co", "--to", "xa-ab")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("event.sources[1]: no such unit", err)
        self.assertNotIn("khong-co", err)
        rc, out, err = self.cli("unit", "event", "merge", "--date", "2025-06-01",
                                "--from", "xa-a", "--to", "xa-ab")
        self.assertEqual(rc, EXIT_INVALID_ARGUMENT, err)
        self.assertIn("event.targets[0]", err)
        rc, out, err = self.cli("unit", "history", "khong-co")
        self.assertEqual(rc, EXIT_NOT_FOUND, err)
        # Nothing was recorded by the refused events.
        self.assertEqual([h["record"] for h in self.js("unit", "history", "xa-a")], ["VERSION"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
