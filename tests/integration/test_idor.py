"""test_idor.py - district tokens are confined to their units (issue 5, scope_auth.h).

A server with --auth required holds the records of two sibling districts,
d-a (with ward w-a) and d-b (with ward w-b), under the city hn, written by
the bootstrap admin: cadres with full names, a class with an enrolment, a
committee membership, a seat quota, a planning entry, a review and a report
per district. Then:

- IDOR: district A calls every read path (Get by key with B's codes, every
  list with and without B's unit, Export of every kind, the indicator
  reads) and no byte of any B record comes back: reads by key and B's unit
  filters answer NOT_FOUND, lists carry A's rows only (also page by page).
- Writes into B by A are PERMISSION_DENIED (Import rows one by one) and
  change nothing: the admin's export of every kind is the same before and
  after. A's own reads and writes work.
- The admin sees both districts; central sees both without any full_name.
- SetTarget: a central token granted target writes may, one without the
  grant is PERMISSION_DENIED; the grant is for central tokens only.
- ListTargets: a district sees the targets naming no unit, its own units and
  its ancestors (the city's), never a sibling district's or its ward's.
Every call has a deadline; every loop is bounded.
"""

import os
import sys
import unittest

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlserver  # noqa: E402
from test_auth import AuthServerCase, CALL_TIMEOUT_S  # noqa: E402

NOT_FOUND, PERMISSION_DENIED, OK = 5, 7, 0
B_MARKERS = (b"d-b", b"w-b", b"cad-b", b"CL-B", b"Name B")
MAX_PAGES = 50


class IdorTest(AuthServerCase):
    @classmethod
    def setUpClass(cls):
        cls.s = nlserver.stubs()

    def setUp(self):
        self.start_auth_server()
        s = self.s
        reg, a = s.registry_pb2, s.admin_pb2
        for code, kind, parent in (("hn", reg.CITY, ""), ("d-a", reg.URBAN_DISTRICT, "hn"),
                                   ("d-b", reg.URBAN_DISTRICT, "hn"), ("w-a", reg.WARD, "d-a"),
                                   ("w-b", reg.WARD, "d-b")):
            self.create_unit(code, kind, parent)
        self.call("Registry", "CreateTerm", reg.CreateTermRequest(
            term=reg.Term(code="2020-2025", kind=reg.PARTY_CONGRESS, start_year=2020,
                          end_year=2025)), reg.CreateTermResponse)
        for x, X in (("a", "A"), ("b", "B")):
            self.seed(x, X)
        self.dist_a = self.create_token(a.ROLE_DISTRICT, "d-a", "clerk a")
        self.dist_b = self.create_token(a.ROLE_DISTRICT, "d-b", "clerk b")
        self.central = self.create_token(a.ROLE_CENTRAL, "", "central")

    # --- helpers ---

    def call(self, svc, method, req, resp_cls, token=None):
        """Calls nhanluc.v1.<svc>/<method>; returns (code int, response or None, details)."""
        call = self.chan.unary_unary("/nhanluc.v1.%s/%s" % (svc, method),
                                     request_serializer=lambda m: m.SerializeToString(),
                                     response_deserializer=resp_cls.FromString)
        md = (("authorization", "Bearer " + (token or self.admin)),)
        try:
            return OK, call(req, timeout=CALL_TIMEOUT_S, metadata=md), ""
        except grpc.RpcError as e:
            return e.code().value[0], None, e.details() or ""

    def ok(self, svc, method, req, resp_cls, token=None):
        code, resp, det = self.call(svc, method, req, resp_cls, token)
        self.assertEqual(code, OK, "%s/%s: %s" % (svc, method, det))
        return resp

    def profile(self, unit):
        rec = self.s.records_pb2
        return rec.CadreProfile(unit=unit, as_of="2020-01-01", level=rec.LEVEL_DISTRICT,
                                mgmt_category=rec.MGMT_CATEGORY_OTHER,
                                education=rec.EDUCATION_UNIVERSITY,
                                political_theory=rec.POLITICAL_THEORY_ELEMENTARY,
                                state_mgmt=rec.STATE_MGMT_NONE)

    def seed(self, x, X):
        rec = self.s.records_pb2
        d, w = "d-" + x, "w-" + x
        for code, unit, name in (("cad-" + x, d, "Name %s one" % X),
                                 ("cad-" + x + "2", w, "Name %s two" % X)):
            self.ok("Records", "UpsertCadre", rec.UpsertCadreRequest(
                cadre=rec.Cadre(cadre_code=code, full_name=name, sex=rec.SEX_FEMALE,
                                birth_year=1975), profile=self.profile(unit)),
                rec.UpsertCadreResponse)
        self.ok("Records", "SubmitClass", rec.SubmitClassRequest(
            training_class=self.klass(d, "CL-" + X),
            enrolments=[rec.Enrolment(cadre_code="cad-" + x, status=rec.ENROLMENT_STATUS_ENROLLED)]),
            rec.SubmitClassResponse)
        self.ok("Records", "UpsertCommitteeMembership", rec.UpsertCommitteeMembershipRequest(
            membership=rec.CommitteeMembership(cadre_code="cad-" + x, unit=d, term="2020-2025",
                                               body=rec.BODY_COMMITTEE,
                                               role=rec.BODY_ROLE_SECRETARY,
                                               start_date="2020-06-01")),
            rec.UpsertCommitteeMembershipResponse)
        self.ok("Records", "SetSeatQuota", rec.SetSeatQuotaRequest(
            quota=rec.SeatQuota(unit=d, term="2020-2025",
                                body_or_title=rec.BODY_OR_TITLE_COMMITTEE, seats=5)),
            rec.SetSeatQuotaResponse)
        self.ok("Records", "UpsertPlanningEntry", rec.UpsertPlanningEntryRequest(
            entry=rec.PlanningEntry(cadre_code="cad-" + x, unit=d, term="2020-2025",
                                    body_or_title=rec.BODY_OR_TITLE_COMMITTEE,
                                    added_on="2020-06-01")), rec.UpsertPlanningEntryResponse)
        self.ok("Records", "UpsertReview", rec.UpsertReviewRequest(
            review=rec.Review(cadre_code="cad-" + x, year=2021,
                              annual_rating=rec.ANNUAL_RATING_GOOD, meets_requirements=True,
                              action=rec.REVIEW_ACTION_KEEP)), rec.UpsertReviewResponse)
        self.ok("Records", "SubmitReport", rec.SubmitReportRequest(unit=d, year=2021),
                rec.ReportResponse)

    def klass(self, unit, ref):
        rec = self.s.records_pb2
        return rec.TrainingClass(class_ref=ref, organiser_unit=unit, title="Lop " + ref,
                                 kind=rec.TRAINING_KIND_BRIEFING, area=rec.AREA_IT,
                                 target_group="CIVIL_SERVANT", mode=rec.CLASS_MODE_ONLINE,
                                 start_date="2021-03-01", end_date="2021-03-02", sessions=2,
                                 status=rec.CLASS_STATUS_ENDED)

    def assert_no_b(self, msg, what):
        raw = msg.SerializeToString()
        for m in B_MARKERS:
            self.assertNotIn(m, raw, "%s leaks %r" % (what, m))

    def assert_not_found(self, svc, method, req, resp_cls, token):
        code, resp, det = self.call(svc, method, req, resp_cls, token)
        self.assertEqual(code, NOT_FOUND, "%s/%s answered %d %s" % (svc, method, code, det))
        for m in B_MARKERS:
            self.assertNotIn(m.decode(), det)

    def export_all(self, kind, token=None, unit=""):
        """Every row of one export kind, page by page (bounded)."""
        rec = self.s.records_pb2
        rows, tok = [], ""
        for _ in range(MAX_PAGES):
            r = self.ok("Records", "Export", rec.ExportRequest(kind=kind, unit=unit, page_size=1,
                                                                page_token=tok),
                        rec.ExportResponse, token)
            rows.extend(r.rows)
            tok = r.next_page_token
            if not tok:
                return rows
        self.fail("export did not end")

    def export_kinds(self):
        rec = self.s.records_pb2
        return [v.number for v in rec.ExportKind.DESCRIPTOR.values if v.number != 0]

    def snapshot(self):
        """The admin's export of every kind: the whole database as the API shows it."""
        return {k: [r.SerializeToString() for r in self.export_all(k)] for k in self.export_kinds()}

    # --- tests ---

    def test_reads_by_key_answer_not_found(self):
        reg, rec, ind = self.s.registry_pb2, self.s.records_pb2, self.s.indicators_pb2
        A = self.dist_a
        for code in ("d-b", "w-b", "hn"):
            self.assert_not_found("Registry", "GetUnit", reg.GetUnitRequest(code=code),
                                  reg.GetUnitResponse, A)
            self.assert_not_found("Registry", "GetUnitHistory",
                                  reg.GetUnitHistoryRequest(code=code),
                                  reg.GetUnitHistoryResponse, A)
            self.assert_not_found("Registry", "GetLineage", reg.GetLineageRequest(
                code=code, direction=reg.SUCCESSORS), reg.GetLineageResponse, A)
            self.assert_not_found("Registry", "ListUnits", reg.ListUnitsRequest(parent=code),
                                  reg.ListUnitsResponse, A)
        for code in ("cad-b", "cad-b2"):
            self.assert_not_found("Records", "GetCadre", rec.GetCadreRequest(cadre_code=code),
                                  rec.GetCadreResponse, A)
        self.assert_not_found("Records", "GetClass", rec.GetClassRequest(
            organiser_unit="d-b", class_ref="CL-B"), rec.GetClassResponse, A)
        for unit in ("d-b", "w-b", "hn"):
            self.assert_not_found("Records", "ListCadres", rec.ListCadresRequest(unit=unit),
                                  rec.ListCadresResponse, A)
            self.assert_not_found("Records", "ListClasses", rec.ListClassesRequest(unit=unit),
                                  rec.ListClassesResponse, A)
            self.assert_not_found("Records", "ListReports", rec.ListReportsRequest(unit=unit),
                                  rec.ListReportsResponse, A)
            for m, resp in (("ListCommitteeMemberships", rec.ListCommitteeMembershipsResponse),
                            ("ListSeatQuotas", rec.ListSeatQuotasResponse),
                            ("ListPlanningEntries", rec.ListPlanningEntriesResponse),
                            ("ListReviews", rec.ListReviewsResponse)):
                self.assert_not_found("Records", m, rec.ListPartyRecordsRequest(
                    unit=unit, subtree=True, term="2020-2025"), resp, A)
            for k in self.export_kinds():
                if k != rec.EXPORT_KIND_TERMS:
                    self.assert_not_found("Records", "Export",
                                          rec.ExportRequest(kind=k, unit=unit),
                                          rec.ExportResponse, A)
            sel = ind.Selection(unit=unit, year=2021)
            self.assert_not_found("Indicators", "ShowIndicator", ind.ShowIndicatorRequest(
                code=self.an_indicator(), selection=sel), ind.ShowIndicatorResponse, A)
            self.assert_not_found("Indicators", "CompareIndicator",
                                  ind.CompareIndicatorRequest(
                                      code=self.an_indicator(), selection=ind.Selection(unit=unit),
                                      as_of_a="2021-01-01", as_of_b="2021-12-31"),
                                  ind.CompareIndicatorResponse, A)
            self.assert_not_found("Indicators", "GetReport", ind.GetReportRequest(selection=sel),
                                  ind.GetReportResponse, A)
            self.assert_not_found("Indicators", "Query", ind.QueryRequest(
                measure="classes", selection=sel), ind.QueryResponse, A)

    def an_indicator(self):
        ind = self.s.indicators_pb2
        r = self.ok("Indicators", "ListIndicators", ind.ListIndicatorsRequest(),
                    ind.ListIndicatorsResponse)
        self.assertTrue(r.indicators)
        return r.indicators[0].code

    def test_lists_and_exports_carry_own_rows_only(self):
        reg, rec, ind = self.s.registry_pb2, self.s.records_pb2, self.s.indicators_pb2
        A = self.dist_a
        units = self.ok("Registry", "ListUnits", reg.ListUnitsRequest(), reg.ListUnitsResponse, A)
        self.assertEqual(sorted(u.code for u in units.units), ["d-a", "w-a"])
        # Paging sees A's rows only: one row a page, both of them, then the end.
        seen, tok = [], ""
        for _ in range(MAX_PAGES):
            r = self.ok("Records", "ListCadres", rec.ListCadresRequest(page_size=1, page_token=tok),
                        rec.ListCadresResponse, A)
            self.assert_no_b(r, "ListCadres page")
            seen += [c.cadre.cadre_code for c in r.cadres]
            tok = r.next_page_token
            if not tok:
                break
        self.assertEqual(seen, ["cad-a", "cad-a2"])
        r = self.ok("Records", "ListCadres", rec.ListCadresRequest(name="name"),
                    rec.ListCadresResponse, A)
        self.assertEqual([c.cadre.full_name for c in r.cadres], ["Name A one", "Name A two"])
        r = self.ok("Records", "ListClasses", rec.ListClassesRequest(), rec.ListClassesResponse, A)
        self.assertEqual([c.training_class.class_ref for c in r.classes], ["CL-A"])
        r = self.ok("Records", "ListReports", rec.ListReportsRequest(), rec.ListReportsResponse, A)
        self.assertEqual([x.unit for x in r.reports], ["d-a"])
        for m, resp, field in (
                ("ListCommitteeMemberships", rec.ListCommitteeMembershipsResponse, "memberships"),
                ("ListSeatQuotas", rec.ListSeatQuotasResponse, "quotas"),
                ("ListPlanningEntries", rec.ListPlanningEntriesResponse, "entries"),
                ("ListReviews", rec.ListReviewsResponse, "reviews")):
            r = self.ok("Records", m, rec.ListPartyRecordsRequest(
                unit="d-a", subtree=True, term="2020-2025"), resp, A)
            self.assertEqual(len(getattr(r, field)), 1, m)
            self.assert_no_b(r, m)
        for k in self.export_kinds():
            rows = self.export_all(k, A)
            for row in rows:
                self.assert_no_b(row, "Export kind %d" % k)
            if k == rec.EXPORT_KIND_CADRES:
                self.assertEqual(sorted(r.cadre.cadre.cadre_code for r in rows),
                                 ["cad-a", "cad-a2"])
                self.assertIn("Name A one", [r.cadre.cadre.full_name for r in rows])
            if k == rec.EXPORT_KIND_CLASSES:
                self.assertEqual([r.training_class.class_ref for r in rows], ["CL-A"])
        # Indicator reads without a unit are about the district's own unit.
        rep = self.ok("Indicators", "GetReport", ind.GetReportRequest(
            selection=ind.Selection(year=2021)), ind.GetReportResponse, A)
        self.assertEqual(rep.unit, "d-a")
        self.assert_no_b(rep, "GetReport")
        q = self.ok("Indicators", "Query", ind.QueryRequest(
            measure="classes", selection=ind.Selection(year=2021)), ind.QueryResponse, A)
        self.assertEqual(q.unit, "d-a")
        self.assertEqual(sum(r.value for r in q.rows), 1)
        show = self.ok("Indicators", "ShowIndicator", ind.ShowIndicatorRequest(
            code=self.an_indicator(), selection=ind.Selection(year=2021), explain=True),
            ind.ShowIndicatorResponse, A)
        self.assert_no_b(show, "ShowIndicator")

    def test_writes_into_another_unit_are_denied_and_change_nothing(self):
        rec = self.s.records_pb2
        A = self.dist_a
        before = self.snapshot()
        attempts = [
            ("UpsertCadre", rec.UpsertCadreRequest(
                cadre=rec.Cadre(cadre_code="new-x", full_name="X", sex=rec.SEX_MALE,
                                birth_year=1980), profile=self.profile("d-b")),
             rec.UpsertCadreResponse),
            ("UpsertCadre", rec.UpsertCadreRequest(  # B's cadre, moved into A: refused
                cadre=rec.Cadre(cadre_code="cad-b", full_name="Renamed", sex=rec.SEX_MALE,
                                birth_year=1980), profile=self.profile("d-a")),
             rec.UpsertCadreResponse),
            ("UpsertCadre", rec.UpsertCadreRequest(  # B's cadre's name alone
                cadre=rec.Cadre(cadre_code="cad-b2", full_name="Renamed", sex=rec.SEX_MALE,
                                birth_year=1980)), rec.UpsertCadreResponse),
            ("SubmitClass", rec.SubmitClassRequest(training_class=self.klass("d-b", "CL-X")),
             rec.SubmitClassResponse),
            ("SubmitClass", rec.SubmitClassRequest(training_class=self.klass("w-b", "CL-B")),
             rec.SubmitClassResponse),
            ("CancelClass", rec.CancelClassRequest(organiser_unit="d-b", class_ref="CL-B"),
             rec.CancelClassResponse),
            ("UpsertEnrolment", rec.UpsertEnrolmentRequest(row=rec.EnrolmentRow(
                organiser_unit="d-b", class_ref="CL-B", enrolment=rec.Enrolment(
                    cadre_code="cad-a", status=rec.ENROLMENT_STATUS_ENROLLED))),
             rec.UpsertEnrolmentResponse),
            ("UpsertCommitteeMembership", rec.UpsertCommitteeMembershipRequest(
                membership=rec.CommitteeMembership(
                    cadre_code="cad-a", unit="d-b", term="2020-2025", body=rec.BODY_COMMITTEE,
                    role=rec.BODY_ROLE_SECRETARY, start_date="2020-06-01")),
             rec.UpsertCommitteeMembershipResponse),
            ("SetSeatQuota", rec.SetSeatQuotaRequest(quota=rec.SeatQuota(
                unit="d-b", term="2020-2025", body_or_title=rec.BODY_OR_TITLE_COMMITTEE,
                seats=9)), rec.SetSeatQuotaResponse),
            ("UpsertPlanningEntry", rec.UpsertPlanningEntryRequest(entry=rec.PlanningEntry(
                cadre_code="cad-a", unit="d-b", term="2020-2025",
                body_or_title=rec.BODY_OR_TITLE_COMMITTEE, added_on="2020-07-01")),
             rec.UpsertPlanningEntryResponse),
            ("UpsertReview", rec.UpsertReviewRequest(review=rec.Review(
                cadre_code="cad-b", year=2021, annual_rating=rec.ANNUAL_RATING_EXCELLENT,
                meets_requirements=True, action=rec.REVIEW_ACTION_KEEP)),
             rec.UpsertReviewResponse),
            ("SubmitReport", rec.SubmitReportRequest(unit="d-b", year=2022), rec.ReportResponse),
        ]
        for method, req, resp_cls in attempts:
            code, _, det = self.call("Records", method, req, resp_cls, A)
            self.assertEqual(code, PERMISSION_DENIED, "%s answered %d %s" % (method, code, det))
        # Import: each row naming another unit is refused alone; the good row is written.
        imp = self.ok("Records", "Import", rec.ImportRequest(batch_id="idor-1", skip_bad_rows=True,
                                                             rows=[
            rec.ImportRow(line=2, training_class=self.klass("d-b", "CL-IMP")),
            rec.ImportRow(line=3, training_class=self.klass("w-b", "CL-IMP2")),
        ]), rec.ImportResponse, A)
        self.assertEqual((imp.created, imp.rejected), (0, 2))
        self.assertEqual(sorted(e.line for e in imp.errors), [2, 3])
        # A district imports no units at all (CreateUnit is the admin's).
        imp = self.ok("Records", "Import", rec.ImportRequest(batch_id="idor-2", skip_bad_rows=True,
                                                             rows=[
            rec.ImportRow(line=2, unit=self.s.registry_pb2.Unit(
                code="w-x", name="x", kind=self.s.registry_pb2.WARD, parent="d-a"))]),
            rec.ImportResponse, A)
        self.assertEqual((imp.created, imp.rejected), (0, 1))
        self.assertEqual(self.snapshot(), before)

    def test_own_writes_work(self):
        rec = self.s.records_pb2
        A = self.dist_a
        r = self.ok("Records", "UpsertCadre", rec.UpsertCadreRequest(
            cadre=rec.Cadre(cadre_code="cad-a3", full_name="Name A three", sex=rec.SEX_MALE,
                            birth_year=1981), profile=self.profile("w-a")),
            rec.UpsertCadreResponse, A)
        self.assertEqual(r.cadre.full_name, "Name A three")
        self.ok("Records", "SubmitClass", rec.SubmitClassRequest(
            training_class=self.klass("w-a", "CL-A2")), rec.SubmitClassResponse, A)
        self.ok("Records", "CancelClass", rec.CancelClassRequest(organiser_unit="w-a",
                                                                 class_ref="CL-A2"),
                rec.CancelClassResponse, A)
        imp = self.ok("Records", "Import", rec.ImportRequest(batch_id="own-1", rows=[
            rec.ImportRow(line=2, training_class=self.klass("d-a", "CL-A3"))]),
            rec.ImportResponse, A)
        self.assertEqual((imp.created, imp.rejected), (1, 0))
        g = self.ok("Records", "GetCadre", rec.GetCadreRequest(cadre_code="cad-a3"),
                    rec.GetCadreResponse, A)
        self.assertEqual(g.cadre.full_name, "Name A three")
        # B does not see A's new records either.
        self.assert_not_found("Records", "GetCadre", rec.GetCadreRequest(cadre_code="cad-a3"),
                              rec.GetCadreResponse, self.dist_b)
        self.assert_not_found("Records", "GetClass", rec.GetClassRequest(
            organiser_unit="d-a", class_ref="CL-A3"), rec.GetClassResponse, self.dist_b)

    def test_admin_and_central_see_both_central_without_names(self):
        rec = self.s.records_pb2
        for tok, names in ((self.admin, True), (self.central, False)):
            r = self.ok("Records", "ListCadres", rec.ListCadresRequest(), rec.ListCadresResponse,
                        tok)
            self.assertEqual([c.cadre.cadre_code for c in r.cadres],
                             ["cad-a", "cad-a2", "cad-b", "cad-b2"])
            got = [c.cadre.full_name for c in r.cadres]
            if names:
                self.assertEqual(got, ["Name A one", "Name A two", "Name B one", "Name B two"])
            else:
                self.assertEqual(got, ["", "", "", ""])
            g = self.ok("Records", "GetCadre", rec.GetCadreRequest(cadre_code="cad-b"),
                        rec.GetCadreResponse, tok)
            self.assertEqual(g.cadre.full_name, "Name B one" if names else "")
            rows = self.export_all(rec.EXPORT_KIND_CADRES, tok)
            self.assertEqual(len(rows), 4)
            self.assertEqual(any(r.cadre.cadre.full_name for r in rows), names)
            r = self.ok("Records", "ListClasses", rec.ListClassesRequest(),
                        rec.ListClassesResponse, tok)
            self.assertEqual(sorted(c.training_class.class_ref for c in r.classes),
                             ["CL-A", "CL-B"])

    def test_target_grant(self):
        a, ind = self.s.admin_pb2, self.s.indicators_pb2
        code, _, _ = self.call("Admin", "CreateToken", a.CreateTokenRequest(
            role=a.ROLE_DISTRICT, unit="d-a", name="x", may_write_targets=True),
            a.CreateTokenResponse)
        self.assertEqual(code, 3)  # INVALID_ARGUMENT: only central tokens get the grant
        granted = self.ok("Admin", "CreateToken", a.CreateTokenRequest(
            role=a.ROLE_CENTRAL, name="planner", may_write_targets=True), a.CreateTokenResponse)
        self.tokens.append(granted.token)
        self.assertTrue(granted.info.may_write_targets)
        listed = self.ok("Admin", "ListTokens", a.ListTokensRequest(), a.ListTokensResponse)
        grants = {t.id: t.may_write_targets for t in listed.tokens}
        self.assertTrue(grants[granted.info.id])
        self.assertEqual(sum(grants.values()), 1)
        req = ind.SetTargetRequest(target=ind.Target(indicator=self.an_indicator(), op=">=",
                                                     value="50", unit="d-a", term="2020-2025"))
        for tok in (self.central, self.dist_a):
            code, _, _ = self.call("Indicators", "SetTarget", req, ind.SetTargetResponse, tok)
            self.assertEqual(code, PERMISSION_DENIED)
        r = self.ok("Indicators", "SetTarget", req, ind.SetTargetResponse, granted.token)
        self.assertTrue(r.created)
        code, _, _ = self.call("Indicators", "DeleteTarget", ind.DeleteTargetRequest(
            indicator=req.target.indicator, unit="d-a", term="2020-2025"),
            ind.DeleteTargetResponse, self.central)
        self.assertEqual(code, PERMISSION_DENIED)

    def test_list_targets_scoped(self):
        ind = self.s.indicators_pb2
        code = self.an_indicator()
        for unit, value in (("", "10"), ("hn", "11"), ("d-a", "12"), ("w-a", "13"),
                            ("d-b", "14"), ("w-b", "15")):
            self.ok("Indicators", "SetTarget", ind.SetTargetRequest(target=ind.Target(
                indicator=code, op=">=", value=value, unit=unit, term="2020-2025")),
                ind.SetTargetResponse)

        def listed(token):
            r = self.ok("Indicators", "ListTargets",
                        ind.ListTargetsRequest(indicator=code, term="2020-2025"),
                        ind.ListTargetsResponse, token)
            return sorted((t.unit, t.value) for t in r.targets)

        everything = [("", "10"), ("d-a", "12"), ("d-b", "14"), ("hn", "11"), ("w-a", "13"),
                      ("w-b", "15")]
        self.assertEqual(listed(self.admin), everything)
        self.assertEqual(listed(self.central), everything)
        self.assertEqual(listed(self.dist_a), [("", "10"), ("d-a", "12"), ("hn", "11"),
                                               ("w-a", "13")])
        self.assertEqual(listed(self.dist_b), [("", "10"), ("d-b", "14"), ("hn", "11"),
                                               ("w-b", "15")])
        # Unfiltered, A's list carries no byte of B's targets (the seeded ones name no unit).
        r = self.ok("Indicators", "ListTargets", ind.ListTargetsRequest(),
                    ind.ListTargetsResponse, self.dist_a)
        self.assertGreater(len(r.targets), 4)
        self.assert_no_b(r, "ListTargets")
        # The catalogue lists each indicator's targets: the same scope applies.
        r = self.ok("Indicators", "ListIndicators", ind.ListIndicatorsRequest(),
                    ind.ListIndicatorsResponse, self.dist_a)
        (d,) = [d for d in r.indicators if d.code == code]
        self.assertEqual(sorted((t.unit, t.value) for t in d.targets if t.term == "2020-2025"),
                         [("", "10"), ("d-a", "12"), ("hn", "11"), ("w-a", "13")])
        self.assert_no_b(r, "ListIndicators")


if __name__ == "__main__":
    unittest.main()
