"""test_unit_history.py - units with history through the real CLI and server.

Each test starts its own nhanlucd (tests/support/nlserver.py) and drives
`nhanluc unit add|list|history|event|lineage` and `nhanluc term instance` as
subprocesses: versions added with --from (both date forms), the tree as of a
date across a merge, a dissolution moving children, a rename and a merge
moving the children of the units they close (by the CLI and by an
unit_events.csv import, the city's subtree and its cadres keeping them), a
split refused while a child is still attached (exit 9, nothing changed), the
history timeline in JSON and CSV, lineage both ways over chained events,
idempotent replays, usage errors (exit 64) and server-side validation (exit 3
naming the field).
Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
import json
import os
import shutil
import sys
import tempfile
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

    def export_units(self):
        return self.ok("--output", "csv", "export", "units")

    def import_events(self, text):
        """`nhanluc import unit_events.csv` of `text` (header added); returns (rc, out, err)."""
        tmp = tempfile.mkdtemp(prefix="nlunits-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "unit_events.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("kind,effective_date,sources,targets,legal_basis\n" + text)
        return self.cli("--output", "json", "import", path)

    def versions(self, code):
        return [(h["valid_from"], h["valid_to"], h["parent"])
                for h in self.js("unit", "history", code) if h["record"] == "VERSION"]

    def test_rename_moves_children(self):
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "r-old", "Huyện Cũ", "--kind", "rural_district", "--parent",
                "ha-noi", "--from", "2010-01-01")
        self.ok("unit", "add", "r-old-x", "Xã X", "--kind", "commune", "--parent", "r-old",
                "--from", "2010-01-01")
        # r-old-y is already placed under the city from the event's day by a version row
        self.ok("unit", "add", "r-old-y", "Xã Y", "--kind", "commune", "--parent", "r-old",
                "--from", "2010-01-01")
        self.ok("unit", "add", "r-old-y", "Phường Y", "--kind", "ward", "--parent", "ha-noi",
                "--from", "2023-01-01")
        self.ok("unit", "add", "r-new", "Thị xã Mới", "--kind", "town", "--parent", "ha-noi",
                "--from", "2023-01-01")
        self.ok("cadre", "set", "RX-001", "--sex", "F", "--born", "1980", "--unit", "r-old-x",
                "--as-of", "2015-01-01", "--title", "Chủ tịch UBND xã", "--key-cadre", "yes",
                "--level", "COMMUNE", "--mgmt", "OTHER", "--education", "UNIVERSITY",
                "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER")

        ev = self.js("unit", "event", "rename", "--date", "2023-01-01", "--from", "r-old",
                     "--to", "r-new", "--basis", "x")
        self.assertIs(ev["created"], True)
        self.assertEqual(self.codes("--as-of", "2023-06-01", "--parent", "r-new"), ["r-old-x"])
        self.assertEqual(self.codes("--as-of", "2022-12-31", "--parent", "r-old"),
                         ["r-old-x", "r-old-y"])
        self.assertEqual(self.codes("--as-of", "2023-06-01", "--parent", "r-old"), [])
        self.assertEqual(self.versions("r-old-x"), [("2010-01-01", "2022-12-31", "r-old"),
                                                    ("2023-01-01", "", "r-new")])
        # the child already placed elsewhere by a version row stays where it is
        self.assertEqual(self.versions("r-old-y"), [("2010-01-01", "2022-12-31", "r-old"),
                                                    ("2023-01-01", "", "ha-noi")])
        # the city's subtree still holds the child and its cadre after the event
        self.assertIn("r-old-x", self.codes("--as-of", "2023-06-01"))
        for unit in ("ha-noi", "r-new"):
            cadres = self.js("cadre", "list", "--unit", unit, "--as-of", "2023-06-01")
            self.assertEqual([c["cadre_code"] for c in cadres], ["RX-001"], unit)
        self.assertEqual(self.js("cadre", "list", "--unit", "r-old", "--as-of", "2023-06-01"),
                         [])

        # replays, by the CLI and by an import, change nothing
        before = self.export_units()
        again = self.js("unit", "event", "rename", "--date", "01/01/2023", "--from", "r-old",
                        "--to", "r-new", "--basis", "x")
        self.assertIs(again["created"], False)
        rc, out, err = self.import_events("RENAME,2023-01-01,r-old,r-new,x\n")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out)["unchanged"], 1, out)
        self.assertEqual(self.export_units(), before)

    def merge_world(self):
        """ha-noi > q-a > w-a, q-b > w-b (since always); q-ab under ha-noi from 2025-07-01."""
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        for d, w in (("q-a", "w-a"), ("q-b", "w-b")):
            self.ok("unit", "add", d, "Quận " + d, "--kind", "urban_district", "--parent",
                    "ha-noi")
            self.ok("unit", "add", w, "Phường " + w, "--kind", "ward", "--parent", d)
        self.ok("unit", "add", "q-ab", "Quận AB", "--kind", "urban_district", "--parent",
                "ha-noi", "--from", "2025-07-01")

    def test_merge_moves_children_of_both_sources(self):
        self.merge_world()
        # a MERGE has one target (into several it would be a split)
        err = self.fails(EXIT_INVALID_ARGUMENT, "unit", "event", "merge", "--date", "2025-07-01",
                         "--from", "q-a", "--to", "q-ab,q-b")
        self.assertIn("event.targets: a MERGE has exactly one target", err)
        self.ok("unit", "event", "merge", "--date", "2025-07-01", "--from", "q-a,q-b",
                "--to", "q-ab")
        self.assertEqual(self.codes("--parent", "q-ab", "--as-of", "2025-07-01"), ["w-a", "w-b"])
        self.assertEqual(self.codes("--as-of", "2025-07-01"), ["ha-noi", "q-ab", "w-a", "w-b"])
        self.assertEqual(self.versions("w-a"), [("", "2025-06-30", "q-a"),
                                                ("2025-07-01", "", "q-ab")])

    def test_merge_by_import_moves_children_and_reimport_changes_nothing(self):
        self.merge_world()
        rc, out, err = self.import_events("MERGE,2025-07-01,q-b;q-a,q-ab,NQ 1\n")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out)["created"], 1, out)
        # the import did what the single RPC does
        self.assertEqual(self.codes("--parent", "q-ab", "--as-of", "2025-07-01"), ["w-a", "w-b"])
        self.assertEqual(self.versions("w-b"), [("", "2025-06-30", "q-b"),
                                                ("2025-07-01", "", "q-ab")])
        before = self.export_units()
        rc, out, err = self.import_events("MERGE,2025-07-01,q-a;q-b,q-ab,NQ 1\n")
        self.assertEqual(rc, EXIT_OK, err)
        self.assertEqual(json.loads(out)["unchanged"], 1, out)
        again = self.js("unit", "event", "merge", "--date", "2025-07-01", "--from", "q-a,q-b",
                        "--to", "q-ab", "--basis", "NQ 1")
        self.assertIs(again["created"], False)
        self.assertEqual(self.export_units(), before)

    def test_split_with_attached_child_is_refused(self):
        self.ok("unit", "add", "ha-noi", "Thành phố Hà Nội", "--kind", "city")
        self.ok("unit", "add", "s", "Huyện S", "--kind", "rural_district", "--parent", "ha-noi")
        self.ok("unit", "add", "s-x", "Xã X", "--kind", "commune", "--parent", "s")
        for t in ("s1", "s2"):
            self.ok("unit", "add", t, "Huyện " + t, "--kind", "rural_district", "--parent",
                    "ha-noi", "--from", "2021-01-01")
        before = self.export_units()
        err = self.fails(EXIT_FAILED_PRECONDITION, "unit", "event", "split", "--date",
                         "2021-01-01", "--from", "s", "--to", "s1,s2")
        self.assertIn("event.sources[0]", err)
        self.assertIn("'s-x'", err)
        self.assertIn("place its children under one of the targets first", err)
        # the same through an import: the row is refused with the same status
        rc, out, err = self.import_events("SPLIT,2021-01-01,s,s1;s2,\n")
        self.assertEqual(rc, EXIT_FAILED_PRECONDITION, (out, err))
        self.assertIn("'s-x'", err)
        # nothing changed: no version, no event
        self.assertEqual(self.export_units(), before)
        self.assertEqual([h["record"] for h in self.js("unit", "history", "s")], ["VERSION"])
        self.assertEqual(self.codes("--parent", "s", "--as-of", "2021-06-01"), ["s-x"])

        # once the user places the child under a target, the split goes through
        self.ok("unit", "add", "s-x", "Xã X", "--kind", "commune", "--parent", "s2",
                "--from", "2021-01-01")
        self.ok("unit", "event", "split", "--date", "2021-01-01", "--from", "s", "--to", "s1,s2")
        self.assertEqual(self.codes("--parent", "s2", "--as-of", "2021-06-01"), ["s-x"])
        self.assertEqual(self.versions("s"), [("", "2020-12-31", "ha-noi")])

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
