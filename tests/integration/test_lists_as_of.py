"""test_lists_as_of.py - lists with a unit subtree use the tree of their day (DOMAIN.md 3).

"Every query is as of a date": `committee|seats|planning list --subtree` take
the units under UNIT in the tree of the last day of the term's window (term
A-B: 31 Dec of B-1), `review list --subtree` and `annual list --unit` the
tree of 31 December of each row's year, unless --as-of names the day; and
`export --unit` keeps to the same days. A past term or year keeps the units
abolished since.

One nhanlucd (--auth required, a bootstrap admin token) holds a small 2025
reorganisation made through the CLI:

    hn (CITY)
    |-- q1 (district, dissolved 2025-07-01)
    |   |-- q1-a, q1-b (wards, merged into p-moi on 2025-07-01)
    |-- q2 (district, dissolved 2025-07-01)
    |   `-- q2-c (ward; the dissolution moves it under hn)
    `-- p-moi (ward from 2025-07-01)

with one cadre per unit, committee members, seats and planning entries of
the 2020-2025 and 2025-2030 terms, reviews and annual reports of 2022 and
2025. The tests check that a past term / year lists the abolished units'
rows, the current term the new units', --as-of overrides, the 3x3 breaches
count on the list's day, export --unit agrees with the lists, and a district
token still sees only its own units (scope_auth.h: the units it stands over
today, so q2's token no longer sees q2-c). Every CLI run is bounded
(tests/support/nlcli.py).
"""

import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlcli  # noqa: E402
import nlserver  # noqa: E402
from test_auth import bootstrap  # noqa: E402

EXIT_INVALID_ARGUMENT, EXIT_NOT_FOUND, EXIT_USAGE = 3, 5, 64

PROFILE_FLAGS = ["--level", "COMMUNE", "--mgmt", "OTHER", "--education", "UNIVERSITY",
                 "--theory", "INTERMEDIATE", "--state-mgmt", "OFFICER"]

# unit -> its cadre (profile from 2020-01-01; p-moi's from 2025-07-01)
CADRE = {"hn": "C-HN", "q1": "C-Q1", "q1-a": "C-A", "q1-b": "C-B", "q2": "C-Q2",
         "q2-c": "C-C", "p-moi": "C-M"}
OLD_TERM, NEW_TERM = "2020-2025", "2025-2030"


def setUpModule():
    nlcli.require_nhanluc()


class ListsAsOfTest(nlcli.CliMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        srv = nlserver.NlServer(args=["--auth", "required"])
        cls.token = bootstrap(srv.db)
        cls.srv = srv.start()
        try:
            cls._seed()
        except BaseException:
            srv.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        rc, err = cls.srv.stop()
        bad = nlserver.sanitizer_findings(err)
        if bad or rc != 0:
            raise AssertionError("nhanlucd exit %s; %s\n%s" % (rc, "\n".join(bad[:20]),
                                                                err[-4000:]))

    @classmethod
    def _run(cls, *args, token=None):
        rc, out, err = nlcli.run_cli(cls.srv.addr, *args, token=token or cls.token)
        if rc != 0 or nlserver.sanitizer_findings(err):
            raise AssertionError("nhanluc %s: rc %d: %s" % (" ".join(args), rc, err))
        return out

    @classmethod
    def _seed(cls):
        run = cls._run
        run("unit", "add", "hn", "Thành phố", "--kind", "city")
        for code, parent in (("q1", "hn"), ("q2", "hn")):
            run("unit", "add", code, "Quận " + code, "--kind", "urban_district",
                "--parent", parent)
        for code, parent in (("q1-a", "q1"), ("q1-b", "q1"), ("q2-c", "q2")):
            run("unit", "add", code, "Phường " + code, "--kind", "ward", "--parent", parent)
        run("unit", "add", "p-moi", "Phường Mới", "--kind", "ward", "--parent", "hn",
            "--from", "2025-07-01")
        run("unit", "event", "merge", "--date", "2025-07-01", "--from", "q1-a,q1-b",
            "--to", "p-moi")
        run("unit", "event", "dissolve", "--date", "2025-07-01", "--from", "q1")
        run("unit", "event", "dissolve", "--date", "2025-07-01", "--from", "q2")
        run("term", "add", OLD_TERM, "--kind", "party_congress")
        run("term", "add", NEW_TERM, "--kind", "party_congress")
        for unit, code in CADRE.items():
            as_of = "2025-07-01" if unit == "p-moi" else "2020-01-01"
            run("cadre", "set", code, "--sex", "F", "--born", "1980", "--unit", unit,
                "--as-of", as_of, *PROFILE_FLAGS)
        for extra in ("C-A2", "C-A3", "C-A4"):
            run("cadre", "set", extra, "--sex", "M", "--born", "1981", "--unit", "q1-a",
                "--as-of", "2020-01-01", *PROFILE_FLAGS)
        # the 2020-2025 committees of the old units; the 2025-2030 ones of today's
        for unit in ("q1", "q1-a", "q1-b", "q2", "q2-c"):
            run("committee", "add", CADRE[unit], unit, OLD_TERM, "--body", "COMMITTEE",
                "--role", "MEMBER", "--start", "2020-06-01")
        for unit in ("q2-c", "p-moi"):
            run("committee", "add", CADRE[unit], unit, NEW_TERM, "--body", "COMMITTEE",
                "--role", "SECRETARY", "--start", "2025-08-01")
        for unit, seats in (("q1", "30"), ("q1-a", "9"), ("q2-c", "7")):
            run("seats", "set", unit, OLD_TERM, "COMMITTEE", seats)
        run("seats", "set", "p-moi", NEW_TERM, "COMMITTEE", "11")
        # four candidates for q1-a's secretary: a breach of the 3x3 rule in 2020-2025
        for code in ("C-A", "C-A2", "C-A3", "C-A4"):
            run("planning", "add", code, "q1-a", OLD_TERM, "SECRETARY", "--added", "2021-01-01")
        # reviews go to the unit of the profile on 31 December of their year
        for code, year in (("C-Q1", "2022"), ("C-A", "2022"), ("C-C", "2022"), ("C-M", "2025")):
            run("review", "set", code, year, "--rating", "GOOD", "--meets", "yes",
                "--action", "KEEP")
        for unit, year in (("q1", "2022"), ("q1-a", "2022"), ("q2", "2022"), ("q2-c", "2022"),
                           ("p-moi", "2025")):
            run("annual", "submit", unit, year, "--at", "%s-12-20" % year)
        cls.q1_token = run("admin", "token", "create", "--role", "district", "--unit", "q1",
                           "--name", "clerk q1").strip()
        cls.q2_token = run("admin", "token", "create", "--role", "district", "--unit", "q2",
                           "--name", "clerk q2").strip()
        cls.new_token = run("admin", "token", "create", "--role", "district", "--unit", "p-moi",
                            "--name", "clerk p-moi").strip()

    # --- helpers ---

    def units(self, *args, token=None):
        """The sorted (unit, cadre_code) pairs of a committee or planning list."""
        rows = self.okj(*args, token=token)
        if isinstance(rows, dict):
            rows = rows["entries"]
        return sorted((r["unit"], r["cadre_code"]) for r in rows)

    def report_units(self, *args, token=None):
        return sorted((r["unit"], r["year"]) for r in self.okj("annual", "list", *args,
                                                                 token=token))

    def reviews(self, *args, token=None):
        return sorted((r["cadre_code"], r["year"]) for r in self.okj("review", "list", *args,
                                                                       token=token))

    def export(self, kind, *args, token=None):
        """The data rows of `export KIND ARGS` (CSV, header dropped)."""
        out = self.ok("--output", "csv", "export", kind, *args, token=token)
        lines = [ln for ln in out.split("\r\n") if ln]
        return sorted(lines[1:])

    # --- term lists ---

    def test_committee_past_term_keeps_the_abolished_units(self):
        old = sorted((u, CADRE[u]) for u in ("q1", "q1-a", "q1-b", "q2", "q2-c"))
        self.assertEqual(self.units("committee", "list", "hn", "--term", OLD_TERM, "--subtree"),
                         old)
        self.assertEqual(self.units("committee", "list", "q1", "--term", OLD_TERM, "--subtree"),
                         [("q1", "C-Q1"), ("q1-a", "C-A"), ("q1-b", "C-B")])
        self.assertEqual(self.units("committee", "list", "q2", "--term", OLD_TERM, "--subtree"),
                         [("q2", "C-Q2"), ("q2-c", "C-C")])
        # without --subtree: the unit's own body only
        self.assertEqual(self.units("committee", "list", "q1", "--term", OLD_TERM),
                         [("q1", "C-Q1")])

    def test_committee_current_term_uses_todays_units(self):
        self.assertEqual(self.units("committee", "list", "hn", "--term", NEW_TERM, "--subtree"),
                         [("p-moi", "C-M"), ("q2-c", "C-C")])

    def test_as_of_overrides_the_terms_day(self):
        # after the reorganisation the old wards are no longer under anyone
        self.assertEqual(self.units("committee", "list", "hn", "--term", OLD_TERM, "--subtree",
                                    "--as-of", "2025-08-01"), [("q2-c", "C-C")])
        self.assertEqual(self.units("committee", "list", "q1", "--term", OLD_TERM, "--subtree",
                                    "--as-of", "01/08/2025"), [("q1", "C-Q1")])
        # before it, q2-c is q2's whatever term is asked
        self.assertEqual(self.units("committee", "list", "q2", "--term", NEW_TERM, "--subtree",
                                    "--as-of", "2024-12-31"), [("q2-c", "C-C")])
        self.assertEqual(self.units("committee", "list", "q2", "--term", NEW_TERM, "--subtree"),
                         [])
        err = self.fails(EXIT_USAGE, "committee", "list", "hn", "--term", OLD_TERM,
                         "--as-of", "hôm qua")
        self.assertIn("--as-of", err)

    def test_seats_follow_the_term(self):
        def seats(*args):
            return sorted((r["unit"], r["seats"]) for r in self.okj("seats", "list", *args))

        self.assertEqual(seats("hn", "--term", OLD_TERM, "--subtree"),
                         [("q1", 30), ("q1-a", 9), ("q2-c", 7)])
        self.assertEqual(seats("hn", "--term", NEW_TERM, "--subtree"), [("p-moi", 11)])
        self.assertEqual(seats("hn", "--term", OLD_TERM, "--subtree", "--as-of", "2026-01-01"),
                         [("q2-c", 7)])

    def test_planning_breaches_count_on_the_lists_day(self):
        doc = self.okj("planning", "list", "hn", "--term", OLD_TERM, "--subtree")
        self.assertEqual(len(doc["entries"]), 4)
        self.assertEqual(doc["violations"], [
            {"unit": "q1-a", "term": OLD_TERM, "body_or_title": "SECRETARY", "cadre_code": "",
             "count": 4}])
        # on a day when q1-a is under nobody, neither its entries nor its breach are hn's
        doc = self.okj("planning", "list", "hn", "--term", OLD_TERM, "--subtree",
                       "--as-of", "2025-07-01")
        self.assertEqual((doc["entries"], doc["violations"]), ([], []))
        # before the entries were added there is no breach, though q1-a lists them
        doc = self.okj("planning", "list", "q1-a", "--term", OLD_TERM, "--as-of", "2020-12-31")
        self.assertEqual((len(doc["entries"]), doc["violations"]), (4, []))

    # --- year lists ---

    def test_reviews_use_the_tree_of_their_year(self):
        self.assertEqual(self.reviews("hn", "--subtree", "--year", "2022"),
                         [("C-A", 2022), ("C-C", 2022), ("C-Q1", 2022)])
        self.assertEqual(self.reviews("hn", "--subtree"),
                         [("C-A", 2022), ("C-C", 2022), ("C-M", 2025), ("C-Q1", 2022)])
        self.assertEqual(self.reviews("q1", "--subtree"), [("C-A", 2022), ("C-Q1", 2022)])
        self.assertEqual(self.reviews("hn", "--subtree", "--year", "2022", "--as-of",
                                      "2025-12-31"), [("C-C", 2022)])

    def test_annual_reports_use_the_tree_of_their_year(self):
        self.assertEqual(self.report_units("--unit", "hn", "--year", "2022"),
                         [("q1", 2022), ("q1-a", 2022), ("q2", 2022), ("q2-c", 2022)])
        self.assertEqual(self.report_units("--unit", "hn"),
                         [("p-moi", 2025), ("q1", 2022), ("q1-a", 2022), ("q2", 2022),
                          ("q2-c", 2022)])
        self.assertEqual(self.report_units("--unit", "q1", "--year", "2022"),
                         [("q1", 2022), ("q1-a", 2022)])
        self.assertEqual(self.report_units("--unit", "hn", "--as-of", "2025-12-31"),
                         [("p-moi", 2025), ("q2-c", 2022)])
        # the unit itself is always in its subtree
        self.assertEqual(self.report_units("--unit", "q1", "--as-of", "2025-12-31"),
                         [("q1", 2022)])
        self.fails(EXIT_USAGE, "annual", "list", "--unit", "hn", "--as-of", "2025-13-01")

    # --- export ---

    def test_export_unit_filter_matches_the_lists(self):
        committee = self.export("committee", "--unit", "q1")
        self.assertEqual([ln.split(",")[:3] for ln in committee],
                         [["C-A", "q1-a", OLD_TERM], ["C-B", "q1-b", OLD_TERM],
                          ["C-Q1", "q1", OLD_TERM]])
        self.assertEqual(len(self.export("committee", "--unit", "hn")), 7)
        reports = self.export("reports", "--unit", "hn", "--year", "2022")
        self.assertEqual([ln.split(",")[0] for ln in reports], ["q1", "q1-a", "q2", "q2-c"])
        self.assertEqual([ln.split(",")[0] for ln in self.export("reviews", "--unit", "q1")],
                         ["C-A", "C-Q1"])
        self.assertEqual([ln.split(",")[:2] for ln in self.export("seats", "--unit", "hn")],
                         [["p-moi", NEW_TERM], ["q1", OLD_TERM], ["q1-a", OLD_TERM],
                          ["q2-c", OLD_TERM]])
        self.assertEqual([ln.split(",")[1] for ln in self.export("planning", "--unit", "q1")],
                         ["q1-a"] * 4)
        # an administrator's export of q2 keeps q2-c (under q2 in 2020-2025, moved up when q2
        # was dissolved) as its committee list does; a district's stays within today's units
        listed = sorted(u for u, _ in self.units("committee", "list", "q2", "--term", OLD_TERM,
                                                 "--subtree"))
        exported = sorted(ln.split(",")[1] for ln in self.export("committee", "--unit", "q2"))
        self.assertEqual(exported, ["q2", "q2-c"])
        self.assertEqual(exported, listed)

    def test_as_of_is_checked_by_the_server(self):
        # a stock gRPC client gets INVALID_ARGUMENT naming the field, not a silent "today"
        rec = nlserver.stubs().records_pb2
        md = (("authorization", "Bearer " + self.token),)
        with grpc.insecure_channel(self.srv.addr, options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
            for method, req, resp_cls in (
                    ("ListCommitteeMemberships",
                     rec.ListPartyRecordsRequest(unit="hn", term=OLD_TERM, subtree=True,
                                                 as_of="31/12/2024"),
                     rec.ListCommitteeMembershipsResponse),
                    ("ListReviews", rec.ListPartyRecordsRequest(unit="hn", as_of="2024-02-30"),
                     rec.ListReviewsResponse),
                    ("ListReports", rec.ListReportsRequest(unit="hn", as_of="yesterday"),
                     rec.ListReportsResponse)):
                call = ch.unary_unary("/nhanluc.v1.Records/" + method,
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=resp_cls.FromString)
                with self.assertRaises(grpc.RpcError) as cm:
                    call(req, timeout=20, metadata=md)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, method)
                self.assertIn("as_of", cm.exception.details(), method)
            # the same day as the CLI sends it works
            call = ch.unary_unary("/nhanluc.v1.Records/ListCommitteeMemberships",
                                  request_serializer=lambda m: m.SerializeToString(),
                                  response_deserializer=(
                                      rec.ListCommitteeMembershipsResponse.FromString))
            resp = call(rec.ListPartyRecordsRequest(unit="hn", term=OLD_TERM, subtree=True,
                                                    as_of="2024-12-31"), timeout=20, metadata=md)
            self.assertEqual(len(resp.memberships), 5)

    # --- district scope ---

    def test_district_sees_only_its_own_units(self):
        q1, q2, new = self.q1_token, self.q2_token, self.new_token
        # q1's wards ended under q1: they stay its own
        self.assertEqual(self.units("committee", "list", "q1", "--term", OLD_TERM, "--subtree",
                                    token=q1), [("q1", "C-Q1"), ("q1-a", "C-A"), ("q1-b", "C-B")])
        self.assertEqual(self.reviews("q1", "--subtree", token=q1), [("C-A", 2022),
                                                                     ("C-Q1", 2022)])
        self.assertEqual(self.report_units(token=q1), [("q1", 2022), ("q1-a", 2022)])
        self.assertEqual(len(self.okj("planning", "list", "q1", "--term", OLD_TERM, "--subtree",
                                      token=q1)["violations"]), 1)
        # q2-c stands under hn today: q2's token does not see it, though 2024's tree has it
        self.assertEqual(self.units("committee", "list", "q2", "--term", OLD_TERM, "--subtree",
                                    token=q2), [("q2", "C-Q2")])
        self.assertEqual(self.report_units("--unit", "q2", token=q2), [("q2", 2022)])
        self.assertEqual(self.okj("seats", "list", "q2", "--term", OLD_TERM, "--subtree",
                                  token=q2), [])
        # the city and another district's units are not found
        for token, unit in ((q1, "hn"), (q2, "q1"), (new, "q1")):
            err = self.fails(EXIT_NOT_FOUND, "committee", "list", unit, "--term", OLD_TERM,
                             "--subtree", token=token)
            self.assertIn("unit not found", err)
        self.fails(EXIT_NOT_FOUND, "annual", "list", "--unit", "hn", token=q1)
        # the new ward has no list of its predecessors' rows (lists follow no lineage)
        self.assertEqual(self.units("committee", "list", "p-moi", "--term", OLD_TERM,
                                    "--subtree", token=new), [])
        self.assertEqual(self.units("committee", "list", "p-moi", "--term", NEW_TERM,
                                    "--subtree", token=new), [("p-moi", "C-M")])
        # export: a district's own units, by the same days
        self.assertEqual([ln.split(",")[1] for ln in self.export("committee", token=q1)],
                         ["q1-a", "q1-b", "q1"])
        self.assertEqual([ln.split(",")[1] for ln in self.export("committee", token=q2)], ["q2"])


if __name__ == "__main__":
    unittest.main()
