"""test_indicators_property.py - the server's indicators against an independent Python oracle.

For each of a few seeded random data sets (a small city of about 25 unit codes
in 3 levels with a MERGE, a continuing MERGE, a MERGE across parents, a RENAME,
a SPLIT, a DISSOLVE and a change of kind; 120 cadres with profile versions over
time; ~40 classes with CANCELLED ones, WITHDREW enrolments and people in two
classes, one class of each reorganised unit shortly before its event; committee
memberships, planning entries with a cadre planned for several titles and a
title with too many candidates, seats, reviews and reports on time, late,
returned and approved), the CSV files are written, imported with
`nhanluc import` in deploy/run.sh's order, exported back with `nhanluc
export KIND`, and every catalogue indicator is computed by
tests/support/indicator_oracle.py FROM THE EXPORTED FILES and compared with
the server's ShowIndicator (gRPC) for random (indicator, unit, own, period,
as_of) selections: numerator, denominator (none for counts) and value text.
Selections are partly uniform, partly aimed at the rules' edges: stock dates
on and the day before a record's first or last day with its term, and units
and dates around each reorganisation (lineage, a unit that did not exist on
D, --own). The same selections grouped --by unit must give rows whose
numerators and denominators add up to the oracle's (indicators that count
distinct people excepted). The enrolment flows are also grouped by a random
attribute of the trainee (sex; education, theory, key cadre, level or
management category of the profile valid on the class's end date), and
every group is compared with the same formula applied in this file to the
oracle's records of that group (by_person), through ShowIndicator and, for
enrolments and trainees, Query. A mismatch names the data seed, the request and both answers.
NL_PROPERTY_SEEDS (e.g. "1,2,3") and NL_PROPERTY_QUERIES override the
defaults for a longer run.

A self-test first checks the oracle itself against the demo data set's
figures (deploy/demo/README.md, DOMAIN.md 7), so the oracle is known to read
the rules as the article's figures need.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import indicator_oracle  # noqa: E402
import nlcli  # noqa: E402
import nlserver  # noqa: E402

GEN_DEMO = os.path.join(nlserver.SOURCE_DIR, "deploy", "demo", "gen_demo.py")
PYTHON = "/usr/bin/python3"
CLI_TIMEOUT_S = 120
RPC_TIMEOUT_S = 20
# deploy/run.sh's order: every file refers only to files before it
FILES = ["units", "terms", "unit_events", "cadres", "classes", "enrolments", "committee",
         "seats", "planning", "reviews", "reports"]
SEEDS = [int(s) for s in os.environ.get("NL_PROPERTY_SEEDS", "11,23,37,41,59").split(",")]
QUERIES_PER_SET = int(os.environ.get("NL_PROPERTY_QUERIES", "150"))
CODES = [c for c, _ in indicator_oracle.CATALOGUE]
# counts of distinct people: one person may count in two rows of --by unit
DISTINCT_COUNTS = {"trainees", "unexcused_absentees"}
TERM_SCOPED = {"committee_women_share", "committee_university_share", "planning_coefficient",
               "planning_masters_share", "planning_theory_share", "planning_women_share",
               "planning_overload"}
# the flows over counted enrolments, and a trainee's attributes they can be grouped by
ENROL_FLOWS = ("enrolments", "trainees", "attendance_rate", "unexcused_absentees",
               "completion_rate", "very_good_rate")
PERSON_DIMS = ("sex", "education", "political_theory", "key_cadre", "level", "mgmt_category")

HEADERS = {
    "units": ["code", "name", "kind", "parent", "valid_from", "valid_to"],
    "terms": ["code", "kind", "start_year", "end_year"],
    "unit_events": ["kind", "effective_date", "sources", "targets", "legal_basis"],
    "cadres": ["cadre_code", "full_name", "sex", "birth_year", "unit", "position_title",
               "key_cadre", "level", "mgmt_category", "education", "political_theory",
               "state_mgmt", "as_of"],
    "classes": ["class_ref", "organiser_unit", "title", "kind", "area", "target_group",
                "planning_term", "mode", "start_date", "end_date", "sessions",
                "planned_trainees", "status"],
    "enrolments": ["class_ref", "organiser_unit", "cadre_code", "status", "result", "attended",
                   "absent_excused", "absent_unexcused", "thesis_score", "certificate_no"],
    "committee": ["cadre_code", "unit", "term", "body", "role", "start_date", "end_date"],
    "seats": ["unit", "term", "body_or_title", "seats"],
    "planning": ["cadre_code", "unit", "term", "body_or_title", "added_on", "removed_on"],
    "reviews": ["cadre_code", "year", "annual_rating", "meets_requirements", "action",
                "decision_ref"],
    "reports": ["unit", "year", "status", "submitted_at", "approved_at", "return_reason"],
}
PC_TERMS = ["2015-2020", "2020-2025", "2025-2030"]
TITLES = ["SECRETARY", "DEPUTY_SECRETARY", "CHAIR_PEOPLES_COUNCIL", "CHAIR_PEOPLES_COMMITTEE",
          "VICE_CHAIR", "DEPT_HEAD", "DEPT_DEPUTY", "DIRECTOR"]
FIRST = datetime.date(2014, 1, 1)
LAST = datetime.date(2025, 12, 31)


def d2s(d):
    return d.isoformat()


def s2d(s):
    return datetime.date.fromisoformat(s)


def day_before(s):
    return d2s(s2d(s) - datetime.timedelta(days=1))


def setUpModule():
    nlcli.require_nhanluc()


# --- random data sets ------------------------------------------------------------------------

class World:
    """One random data set: rows per file (lists of dicts) and what the generator needs."""

    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed)
        self.rows = {k: [] for k in HEADERS}
        self.spans = {}  # unit code -> [(from or None, to or None, kind, parent)]
        self.make_units()
        self.make_terms()
        self.make_cadres()
        self.make_classes()
        self.make_party()
        self.make_reviews()
        self.make_reports()
        # dates where a record starts or ends: stock dates on and around them test the
        # "start <= D, end > D" and "profile valid on D" boundaries
        edges = set()
        for m in self.rows["committee"]:
            edges.update([m["start_date"], m["end_date"]])
        for p in self.rows["planning"]:
            edges.update([p["added_on"], p["removed_on"]])
        for c in self.rows["cadres"]:
            edges.add(c["as_of"])
        edges.update(self.dates.values())
        edges.discard("")
        self.edge_dates = sorted(e for e in edges | {day_before(e) for e in edges}
                                 if "2015-01-01" <= e <= "2025-12-31")

    # units: (code, from, to, kind, parent); to = last day inclusive
    def rdate(self, lo, hi, rng=None):
        lo, hi = s2d(lo), s2d(hi)
        rng = rng or self.rng
        return d2s(lo + datetime.timedelta(days=rng.randrange((hi - lo).days + 1)))

    def unit(self, code, kind, parent, vf=None, vt=None, name=None):
        self.rows["units"].append({"code": code, "name": name or "Đơn vị " + code, "kind": kind,
                                   "parent": parent or "", "valid_from": vf or "",
                                   "valid_to": vt or ""})
        self.spans.setdefault(code, []).append((vf, vt, kind, parent))

    def event(self, kind, date, sources, targets):
        self.rows["unit_events"].append({"kind": kind, "effective_date": date,
                                         "sources": ";".join(sources),
                                         "targets": ";".join(targets),
                                         "legal_basis": "Quyết định %s %s" % (kind, date)})

    def make_units(self):
        r = self.rdate
        self.unit("c", "CITY", None)
        self.unit("a1", "AFFILIATED_COMMITTEE", "c")
        # d1: a MERGE into a new ward, a MERGE that continues its target, a SPLIT
        self.unit("d1", "URBAN_DISTRICT", "c")
        e_merge = r("2017-03-01", "2023-09-30")
        self.unit("w1", "WARD", "d1", None, day_before(e_merge))
        self.unit("w2", "WARD", "d1", None, day_before(e_merge))
        self.unit("w12", "WARD", "d1", e_merge, None)
        self.event("MERGE", e_merge, ["w1", "w2"], ["w12"])
        e_cont = r("2016-06-01", "2024-06-30")
        self.unit("w3", "WARD", "d1")
        self.unit("w4", "WARD", "d1", None, day_before(e_cont))
        self.event("MERGE", e_cont, ["w4"], ["w3"])
        e_split = r("2017-01-01", "2023-12-31")
        self.unit("z", "WARD", "d1", None, day_before(e_split))
        self.unit("za", "WARD", "d1", e_split, None)
        self.unit("zb", "WARD", "d1", e_split, None)
        self.event("SPLIT", e_split, ["z"], ["za", "zb"])
        # d2: renamed to d2n (x1, x3 re-parented by version rows; x4 is not: the server moves
        # it under d2n from the rename's date, and the oracle reads that from the export);
        # x2 becomes a TOWNSHIP
        e_ren = r("2018-01-01", "2023-06-30")
        e_kind = r("2016-01-01", "2024-06-30")
        self.unit("d2", "RURAL_DISTRICT", "c", None, day_before(e_ren))
        self.unit("d2n", "RURAL_DISTRICT", "c", e_ren, None)
        self.event("RENAME", e_ren, ["d2"], ["d2n"])
        for x in ("x1", "x3"):
            self.unit(x, "COMMUNE", "d2", None, day_before(e_ren))
            self.unit(x, "COMMUNE", "d2n", e_ren, None)
        self.unit("x4", "COMMUNE", "d2")
        cuts = sorted({e_ren, e_kind})
        starts = [None] + cuts
        for i, vf in enumerate(starts):
            vt = day_before(starts[i + 1]) if i + 1 < len(starts) else None
            on = vf or "2000-01-01"
            self.unit("x2", "TOWNSHIP" if on >= e_kind else "COMMUNE",
                      "d2n" if on >= e_ren else "d2", vf, vt)
        # d3: dissolved; the server moves its children under the city
        e_dis = r("2019-01-01", "2024-12-31")
        self.unit("d3", "URBAN_DISTRICT", "c", None, day_before(e_dis))
        self.unit("y1", "WARD", "d3")
        self.event("DISSOLVE", e_dis, ["d3"], [])
        # d4: opened late; k2 is opened by a MERGE of d3's y2 (a merge across parents,
        # before or after d3's dissolution)
        e_cross = r("2017-06-01", "2024-06-30")
        self.unit("y2", "COMMUNE", "d3", None, day_before(e_cross))
        self.unit("d4", "RURAL_DISTRICT", "c", "2016-01-01", None)
        self.unit("t1", "TOWNSHIP", "d4", "2016-01-01", None)
        self.unit("k1", "COMMUNE", "d4", "2016-01-01", None)
        self.unit("k2", "COMMUNE", "d4", e_cross, None)
        self.event("MERGE", e_cross, ["y2"], ["k2"])
        self.codes = sorted(self.spans)
        self.dates = {"merge": e_merge, "cont": e_cont, "split": e_split, "rename": e_ren,
                      "kind": e_kind, "dissolve": e_dis, "cross": e_cross}

    def valid(self, code, d):
        return any((vf is None or vf <= d) and (vt is None or d <= vt)
                   for vf, vt, _, _ in self.spans[code])

    def kind_on(self, code, d):
        for vf, vt, kind, _ in self.spans[code]:
            if (vf is None or vf <= d) and (vt is None or d <= vt):
                return kind
        return None

    def valid_units(self, d, leaf_bias=True):
        out = [c for c in self.codes if self.valid(c, d)]
        if leaf_bias:
            out += [c for c in out if self.kind_on(c, d) in ("WARD", "COMMUNE", "TOWNSHIP")]
        return out

    def make_terms(self):
        for code in PC_TERMS:
            a, b = code.split("-")
            self.rows["terms"].append({"code": code, "kind": "PARTY_CONGRESS", "start_year": a,
                                       "end_year": b})
        for code in ("2016-2021", "2021-2026"):
            a, b = code.split("-")
            self.rows["terms"].append({"code": code, "kind": "PEOPLES_COUNCIL", "start_year": a,
                                       "end_year": b})

    def make_cadres(self):
        rng = self.rng
        self.cadres = []
        self.first_as_of = {}
        self.units_of = {}  # cadre -> units it was ever profiled at
        for i in range(1, 121):
            code = "K%04d" % i
            self.cadres.append(code)
            sex = rng.choice(["MALE", "FEMALE"])
            birth = rng.randrange(1960, 1996)
            # a profile submitted in 2014..2019 mostly, later for some
            d = self.rdate("2014-01-01", "2019-06-30" if rng.random() < 0.85 else "2024-06-30")
            n_versions = rng.choice([1, 1, 2, 2, 3])
            edu = rng.choice(["BELOW_UNIVERSITY", "UNIVERSITY", "UNIVERSITY", "MASTER", "DOCTOR"])
            theo = rng.choice(["NONE", "ELEMENTARY", "INTERMEDIATE", "ADVANCED", "BACHELOR"])
            mgmt = rng.choice(["CITY_STANDING", "DISTRICT_STANDING", "OTHER"])
            unit = rng.choice(self.valid_units(d))
            key = rng.random() < 0.35
            self.first_as_of[code] = d
            for v in range(n_versions):
                if v > 0:
                    d = d2s(s2d(d) + datetime.timedelta(days=rng.randrange(60, 1500)))
                    if d > "2025-06-30":
                        break
                    if rng.random() < 0.5:
                        edu = rng.choice(["UNIVERSITY", "MASTER", "DOCTOR"])
                    if rng.random() < 0.5:
                        theo = rng.choice(["INTERMEDIATE", "ADVANCED", "BACHELOR"])
                    if rng.random() < 0.3:
                        mgmt = rng.choice(["CITY_STANDING", "DISTRICT_STANDING", "OTHER"])
                    if rng.random() < 0.3:
                        key = not key
                    # follow a merge, or move
                    if unit in ("w1", "w2") and d >= self.dates["merge"] and rng.random() < 0.7:
                        unit = "w12"
                    elif not self.valid(unit, d) or rng.random() < 0.3:
                        unit = rng.choice(self.valid_units(d))
                kind = self.kind_on(unit, d)
                level = {"CITY": "CITY", "WARD": "COMMUNE", "COMMUNE": "COMMUNE",
                         "TOWNSHIP": "COMMUNE"}.get(kind, "DISTRICT")
                self.units_of.setdefault(code, set()).add(unit)
                self.rows["cadres"].append({
                    "cadre_code": code, "full_name": "Người %d" % i, "sex": sex,
                    "birth_year": str(birth), "unit": unit, "position_title": "Chuyên viên",
                    "key_cadre": "true" if key else "false", "level": level,
                    "mgmt_category": mgmt, "education": edu, "political_theory": theo,
                    "state_mgmt": rng.choice(["NONE", "OFFICER", "PRINCIPAL", "SENIOR"]),
                    "as_of": d})

    def make_classes(self):
        rng = self.rng
        groups = ["PLANNING_COMMITTEE", "PLANNING_SECRETARY", "PLANNING_DEPT_HEAD", "KEY_CADRE",
                  "CIVIL_SERVANT", "PARTY_MEMBER"]
        areas = ["POLITICAL_THEORY", "STATE_MANAGEMENT", "LEADERSHIP", "PROFESSIONAL", "IT",
                 "FOREIGN_LANGUAGE", "OTHER"]
        # boundary end dates: the last and first days of years and term windows, event eves
        edges = ["2015-01-01", "2019-12-31", "2020-01-01", "2024-12-31", "2025-01-01",
                 "2017-12-31", "2018-01-01", "2021-12-31", "2022-01-01",
                 day_before(self.dates["merge"]), self.dates["merge"],
                 day_before(self.dates["rename"]), self.dates["rename"]]
        # one class of each reorganised unit shortly before its event: lineage has work to do
        before = [(u, self.dates[ev]) for u, ev in (("w1", "merge"), ("w4", "cont"),
                                                    ("z", "split"), ("d2", "rename"),
                                                    ("y2", "cross"), ("d3", "dissolve"))]
        n = rng.randrange(34, 42)
        for i in range(n + len(before)):
            for _ in range(50):  # bounded: find an organiser valid on both dates
                if i >= n:
                    org, eff = before[i - n]
                    end = d2s(s2d(eff) - datetime.timedelta(days=rng.randrange(1, 120)))
                elif rng.random() < 0.25:
                    end = rng.choice(edges)
                else:
                    end = self.rdate("2015-01-01", "2025-11-30")
                start = d2s(s2d(end) - datetime.timedelta(days=rng.randrange(0, 45)))
                orgs = [c for c in self.valid_units(end) if self.valid(c, start)]
                if i >= n:
                    orgs = [org] if org in orgs else []
                if orgs:
                    break
            org = rng.choice(orgs)
            ref = "L-%02d" % i
            status = rng.choices(["ENDED", "CANCELLED", "PLANNED", "RUNNING"], [70, 18, 6, 6])[0]
            sessions = rng.randrange(1, 12)
            group = rng.choice(groups)
            self.rows["classes"].append({
                "class_ref": ref, "organiser_unit": org, "title": "Lớp %d" % i,
                "kind": rng.choice(["DEGREE", "UPGRADE", "BRIEFING"]), "area": rng.choice(areas),
                "target_group": group,
                "planning_term": "2020-2025" if group.startswith("PLANNING") else "",
                "mode": rng.choice(["FULL_TIME", "PART_TIME", "ONLINE"]),
                "start_date": start, "end_date": end, "sessions": str(sessions),
                "planned_trainees": str(rng.randrange(0, 14)), "status": status})
            k = rng.choice([0, 3, 6, 9, 12, 15])
            for cadre in rng.sample(self.cadres, k):
                st = rng.choices(["COMPLETED", "FAILED", "ENROLLED", "WITHDREW"],
                                 [55, 12, 15, 18])[0]
                result = ""
                if st == "COMPLETED":
                    result = rng.choice(["EXCELLENT", "VERY_GOOD", "GOOD", "AVERAGE", ""])
                elif st == "FAILED":
                    result = rng.choice(["FAIL", ""])
                att = rng.randrange(0, sessions + 1)
                exc = rng.randrange(0, sessions - att + 1)
                unexc = rng.randrange(0, sessions - att - exc + 1) if rng.random() < 0.4 else 0
                self.rows["enrolments"].append({
                    "class_ref": ref, "organiser_unit": org, "cadre_code": cadre, "status": st,
                    "result": result, "attended": str(att), "absent_excused": str(exc),
                    "absent_unexcused": str(unexc), "thesis_score": "", "certificate_no": ""})

    def party_units(self, d):
        return [c for c in self.codes if self.valid(c, d)]

    def make_party(self):
        rng = self.rng
        seen_plan = set()
        for term in PC_TERMS:
            a = int(term[:4])
            units = self.party_units("%d-06-30" % a)
            units += [u for u in ("w12", "d2n", "za", "k2") if u not in units]
            for unit in units:
                if rng.random() < 0.45:
                    continue
                # committee: members from ~mid-year of the first year, some leave early
                start = self.rdate("%d-01-15" % a, "%d-11-30" % a)
                if not self.valid(unit, start):
                    continue
                for cadre in rng.sample(self.cadres, rng.randrange(3, 11)):
                    end = ""
                    if rng.random() < 0.25:
                        end = self.rdate(d2s(s2d(start) + datetime.timedelta(days=1)),
                                         "%d-12-31" % (a + 5))
                    elif term != "2025-2030" and rng.random() < 0.7:
                        end = "%d-06-30" % (a + 5)
                    self.rows["committee"].append({
                        "cadre_code": cadre, "unit": unit, "term": term,
                        "body": rng.choice(["COMMITTEE", "COMMITTEE", "STANDING_COMMITTEE"]),
                        "role": rng.choice(["SECRETARY", "DEPUTY_SECRETARY", "STANDING_MEMBER",
                                            "MEMBER", "MEMBER"]),
                        "start_date": start, "end_date": end})
                # seats
                if rng.random() < 0.8:
                    self.rows["seats"].append({"unit": unit, "term": term,
                                               "body_or_title": "COMMITTEE",
                                               "seats": str(rng.randrange(0, 9))})
                if rng.random() < 0.3:
                    self.rows["seats"].append({"unit": unit, "term": term,
                                               "body_or_title": rng.choice(
                                                   ["STANDING_COMMITTEE", "SECRETARY"]),
                                               "seats": str(rng.randrange(1, 4))})
                # planning pool: added up to 2 years before the term, some removed
                added_lo = "%d-01-01" % (a - 2)
                for cadre in rng.sample(self.cadres, rng.randrange(2, 12)):
                    added = self.rdate(added_lo, "%d-12-31" % (a + 1))
                    if not self.valid(unit, added):
                        continue
                    bodies = ["COMMITTEE"]
                    if rng.random() < 0.25:  # the same cadre planned for titles too
                        bodies += rng.sample(TITLES, rng.randrange(1, 3))
                    for bt in bodies:
                        key = (cadre, unit, term, bt)
                        if key in seen_plan:
                            continue
                        seen_plan.add(key)
                        removed = ""
                        if rng.random() < 0.2:
                            removed = self.rdate(d2s(s2d(added) + datetime.timedelta(days=1)),
                                                 "%d-12-31" % (a + 5))
                        self.rows["planning"].append({
                            "cadre_code": cadre, "unit": unit, "term": term,
                            "body_or_title": bt, "added_on": added, "removed_on": removed})
            # a title with too many candidates and a cadre with too many titles
            for _ in range(2):
                added = self.rdate("%d-01-01" % (a - 1), "%d-06-30" % a)
                units = self.party_units(added)
                unit = rng.choice(units)
                title = rng.choice(TITLES)
                for cadre in rng.sample(self.cadres, rng.randrange(3, 6)):
                    key = (cadre, unit, term, title)
                    if key not in seen_plan:
                        seen_plan.add(key)
                        self.rows["planning"].append({
                            "cadre_code": cadre, "unit": unit, "term": term,
                            "body_or_title": title, "added_on": added,
                            "removed_on": "" if rng.random() < 0.8 else
                            self.rdate("%d-07-01" % a, "%d-12-31" % (a + 4))})
                cadre = rng.choice(self.cadres)
                for title in rng.sample(TITLES, rng.randrange(3, 6)):
                    key = (cadre, unit, term, title)
                    on = self.rdate(added, "%d-12-31" % a)
                    if key not in seen_plan:
                        seen_plan.add(key)
                        self.rows["planning"].append({
                            "cadre_code": cadre, "unit": unit, "term": term,
                            "body_or_title": title,
                            "added_on": on if self.valid(unit, on) else added, "removed_on": ""})

    def make_reviews(self):
        rng = self.rng
        seen = set()
        for _ in range(rng.randrange(35, 50)):
            cadre = rng.choice(self.cadres)
            year = rng.randrange(2015, 2026)
            if (cadre, year) in seen:
                continue
            seen.add((cadre, year))
            self.rows["reviews"].append({
                "cadre_code": cadre, "year": str(year),
                "annual_rating": rng.choice(["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"]),
                "meets_requirements": rng.choice(["true", "false"]),
                "action": rng.choice(["KEEP", "KEEP", "REASSIGN", "ROTATE", "DISMISS",
                                      "REMOVE_FROM_PLANNING", "FURTHER_TRAINING"]),
                "decision_ref": ""})

    def make_reports(self):
        rng = self.rng
        for year in range(2015, 2025):
            for unit in self.codes:
                if unit == "c" or rng.random() < 0.35:
                    continue
                status = rng.choices(["SUBMITTED", "APPROVED", "RETURNED", "DRAFT"],
                                     [55, 20, 15, 10])[0]
                day = rng.choice(["%d-01-10" % (year + 1), "%d-01-31" % (year + 1),
                                  "%d-02-01" % (year + 1), "%d-03-15" % (year + 1),
                                  "%d-12-28" % year])
                sub = day
                if rng.random() < 0.3:  # a timestamp: its date decides
                    sub = rng.choice([day + "T23:59:59+07:00", day + "T00:00:01Z",
                                      day + "T12:00:00.5-05:00"])
                row = {"unit": unit, "year": str(year), "status": status, "submitted_at": sub,
                       "approved_at": "", "return_reason": ""}
                if status == "DRAFT":
                    row["submitted_at"] = ""
                elif status == "APPROVED":
                    row["approved_at"] = "%d-04-01" % (year + 1)
                elif status == "RETURNED":
                    row["return_reason"] = "Thiếu số liệu"
                self.rows["reports"].append(row)

    def write(self, outdir):
        os.makedirs(outdir, exist_ok=True)
        for kind, header in HEADERS.items():
            with open(os.path.join(outdir, kind + ".csv"), "w", newline="",
                      encoding="utf-8") as f:
                w = csv.DictWriter(f, fieldnames=header, lineterminator="\n")
                w.writeheader()
                w.writerows(self.rows[kind])

    # --- random selections ---------------------------------------------------------------

    def selection(self, rng, code):
        """A random (unit, own, term, year, frm, to, as_of) for indicator `code`."""
        if rng.random() < 0.4:
            return self.event_selection(rng, code)
        if code in TERM_SCOPED and rng.random() < 0.4:
            return self.record_selection(rng, code)
        # the city and the district level hold most records; every code comes up
        p = rng.random()
        if p < 0.25:
            unit = ""
        elif p < 0.55:
            unit = rng.choice(["d1", "d2", "d2n", "d3", "d4", "c"])
        else:
            unit = rng.choice(self.codes)
        own = code in TERM_SCOPED and rng.random() < 0.35
        term = year = frm = to = as_of = None
        p = rng.random()
        if p < 0.45:
            term = rng.choice(PC_TERMS[:2] * 3 + PC_TERMS[2:] +
                              (["2016-2021"] if code not in TERM_SCOPED else []))
        elif p < 0.65:
            year = rng.randrange(2015, 2026)
        elif p < 0.85:
            frm = self.rdate("2015-01-01", "2024-12-31", rng)
            to = self.rdate(frm, "2025-12-31", rng)
        if rng.random() < 0.45 or (term is None and year is None and frm is None
                                   and rng.random() < 0.7):
            lo, hi = "2015-01-01", "2025-12-31"
            if term and rng.random() < 0.6:  # mostly inside the term's window
                lo, hi = "%s-01-01" % term[:4], "%d-12-31" % (int(term[5:]) - 1)
            as_of = rng.choice([self.rdate(lo, min(hi, "2025-12-31"), rng),
                                self.rdate("2015-01-01", "2025-12-31", rng),
                                rng.choice(self.edge_dates), rng.choice(self.edge_dates)])
        return {"unit": unit, "own": own, "term": term, "year": year, "frm": frm, "to": to,
                "as_of": as_of}


    def record_selection(self, rng, code):
        """A stock date on a committee or planning record's first or last day, its term."""
        if code.startswith("committee"):
            recs = [r for r in self.rows["committee"] if r["body"] == "COMMITTEE"]
        elif code == "planning_overload":
            recs = [r for r in self.rows["planning"] if r["body_or_title"] in TITLES]
        else:
            recs = [r for r in self.rows["planning"] if r["body_or_title"] == "COMMITTEE"]
        ended = [r for r in recs if r.get("end_date") or r.get("removed_on")]
        rec = rng.choice(ended if ended and rng.random() < 0.7 else recs)
        end = rec.get("end_date") or rec.get("removed_on")
        d = rec.get("start_date") or rec["added_on"]
        if end and rng.random() < 0.6:
            d = end
        if rng.random() < 0.25:
            d = day_before(d)
        unit = rng.choice([rec["unit"], rec["unit"], ""])
        return {"unit": unit, "own": rng.random() < 0.5, "term": rec["term"], "year": None,
                "frm": None, "to": None, "as_of": d}

    # the units each reorganisation involves: its sources, targets and their parents
    EVENT_UNITS = {"merge": ["w12", "w1", "d1"], "cont": ["w3", "w4", "d1"],
                   "split": ["za", "z", "d1"], "rename": ["d2n", "d2", "x1", "x4"],
                   "kind": ["x2", "d2n"], "dissolve": ["d3", "y1", "c"],
                   "cross": ["k2", "y2", "d4"]}

    def event_selection(self, rng, code):
        """A selection around a reorganisation: a unit it involves, a date shortly before."""
        ev = rng.choice(sorted(self.EVENT_UNITS))
        unit = rng.choice(self.EVENT_UNITS[ev])
        d = d2s(s2d(self.dates[ev]) - datetime.timedelta(days=rng.choice([1, 1, 30, 200, -1])))
        if code in TERM_SCOPED and rng.random() < 0.5:
            d = rng.choice(self.edge_dates)
        term = year = as_of = None
        own = code in TERM_SCOPED and rng.random() < 0.35
        p = rng.random()
        if p < 0.4:
            year = int(d[:4])
            as_of = d if rng.random() < 0.6 else None
        elif p < 0.7:
            term = [t for t in PC_TERMS if t[:4] <= d[:4] < t[5:]][0]
            as_of = d
        else:
            as_of = d
        return {"unit": unit, "own": own, "term": term, "year": year, "frm": None, "to": None,
                "as_of": as_of}


def describe(code, sel):
    parts = ["indicator show", code]
    if sel["unit"]:
        parts += ["--unit", sel["unit"]]
    if sel["own"]:
        parts.append("--own")
    for k, flag in (("term", "--term"), ("year", "--year"), ("frm", "--from"), ("to", "--to"),
                    ("as_of", "--as-of")):
        if sel[k]:
            parts += [flag, str(sel[k])]
    return " ".join(parts)


# --- the tests -------------------------------------------------------------------------------

def run_cli(addr, *args):
    """nhanluc --server ADDR --timeout 2m ARGS...; returns (rc, stdout bytes, stderr text)."""
    return nlcli.run_cli(addr, "--timeout", "2m", *args, timeout=CLI_TIMEOUT_S, text=False)


def load_and_export(addr, src, dst):
    """Imports src/KIND.csv for every kind (in order), exports every kind into dst."""
    os.makedirs(dst, exist_ok=True)
    for kind in FILES:
        rc, out, err = run_cli(addr, "--output", "csv", "import", os.path.join(src, kind + ".csv"))
        if rc != 0:
            raise AssertionError("nhanluc import %s.csv exited %d: %s %s"
                                 % (kind, rc, out.decode("utf-8", "replace")[-2000:], err[-2000:]))
    for kind in FILES:
        rc, out, err = run_cli(addr, "export", kind)
        if rc != 0:
            raise AssertionError("nhanluc export %s exited %d: %s" % (kind, rc, err[-2000:]))
        with open(os.path.join(dst, kind + ".csv"), "wb") as f:
            f.write(out)


class OracleDemoSelfTest(unittest.TestCase):
    """The oracle reproduces the demo's figures (deploy/demo/README.md) from its export."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nlprop-demo-")
        gen = os.path.join(cls.tmp, "gen")
        p = subprocess.run([PYTHON, GEN_DEMO, gen], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            raise AssertionError("gen_demo.py: %s" % p.stderr.decode("utf-8", "replace"))
        srv = nlserver.NlServer(log_level="info").start()
        try:
            load_and_export(srv.addr, gen, os.path.join(cls.tmp, "exp"))
        finally:
            rc, err = srv.stop()
        if rc != 0 or nlserver.sanitizer_findings(err):
            raise AssertionError("nhanlucd exited %s; log tail:\n%s" % (rc, err[-3000:]))
        cls.o = indicator_oracle.Oracle(os.path.join(cls.tmp, "exp"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check(self, figure, code, want_value, want_num=None, want_den=None, **sel):
        got = self.o.compute(code, **sel)
        self.assertEqual(got.value, want_value, "%s: %s %r -> %r" % (figure, code, sel, got))
        if want_num is not None:
            self.assertEqual(got.numerator, want_num, "%s: numerator" % figure)
        if want_den is not None:
            self.assertEqual(got.denominator, want_den, "%s: denominator" % figure)

    def test_tay_ho(self):
        # DOMAIN.md 7: Tay Ho, term 2015-2020: 187 classes, over 22,000 enrolments
        self.check("Tay Ho 187 classes", "classes", "187", unit="tay-ho", term="2015-2020")
        self.check("Tay Ho 22,112 enrolments (> 22,000)", "enrolments", "22112",
                   unit="tay-ho", term="2015-2020")
        self.check("Tay Ho 1,500 trainees != enrolments", "trainees", "1500",
                   unit="tay-ho", term="2015-2020")

    def test_planning_source_classes(self):
        o = self.o
        w = o.window("2015-2020")
        # Hai Ba Trung: classes of 80, 89, 116 and 87 trainees
        for ref, n in (("HBT-2019/QH-BCH", 80), ("HBT-2019/QH-BT-02", 89),
                       ("HBT-2018/QH-TP-01", 116), ("HBT-2019/QH-CT", 87)):
            got = o.compute("trainees", unit="hai-ba-trung", term="2015-2020",
                            class_pred=lambda c, ref=ref: c["class_ref"] == ref)
            self.assertEqual(got.value, str(n), "Hai Ba Trung class %s" % ref)
        plan = [c for c in o.counted_classes("ha-noi", w)
                if c["target_group"].startswith("PLANNING_") and c["organiser_unit"] != "ha-noi"]
        # 30 units ran planning-source classes
        self.assertEqual(len({c["organiser_unit"] for c in plan}), 30, "30 units")
        # 26 classes, 2,542 trainees (committee source)
        self.check("26 committee-source classes", "classes", "26", unit="ha-noi",
                   term="2015-2020", class_pred=lambda c: c["target_group"] ==
                   "PLANNING_COMMITTEE" and c["organiser_unit"] != "ha-noi")
        self.check("2,542 committee-source trainees", "trainees", "2542", unit="ha-noi",
                   term="2015-2020", class_pred=lambda c: c["target_group"] ==
                   "PLANNING_COMMITTEE" and c["organiser_unit"] != "ha-noi")
        # 69 classes, 8,122 trainees (department head and secretary sources)
        two = ("PLANNING_DEPT_HEAD", "PLANNING_SECRETARY")
        self.check("69 dept-head/secretary classes", "classes", "69", unit="ha-noi",
                   term="2015-2020", class_pred=lambda c: c["target_group"] in two
                   and c["organiser_unit"] != "ha-noi")
        self.check("8,122 dept-head/secretary trainees", "trainees", "8122", unit="ha-noi",
                   term="2015-2020", class_pred=lambda c: c["target_group"] in two
                   and c["organiser_unit"] != "ha-noi")
        # city 2019: 86 (secretary source), 84 (director source), two English classes of 40
        city = lambda c: c["organiser_unit"] == "ha-noi"  # noqa: E731
        self.check("city 2019 secretary source 86", "trainees", "86", unit="ha-noi", year=2019,
                   class_pred=lambda c: city(c) and c["target_group"] == "PLANNING_SECRETARY")
        self.check("city 2019 director source 84", "trainees", "84", unit="ha-noi", year=2019,
                   class_pred=lambda c: city(c) and c["target_group"] == "PLANNING_DIRECTOR")
        self.check("city 2019 two English classes", "classes", "2", unit="ha-noi", year=2019,
                   class_pred=lambda c: city(c) and c["area"] == "FOREIGN_LANGUAGE")
        self.check("city 2019 English 40 cadres", "trainees", "40", unit="ha-noi", year=2019,
                   class_pred=lambda c: city(c) and c["area"] == "FOREIGN_LANGUAGE")

    def test_committees(self):
        # women in committees, 2020-2025
        for unit, value in (("thanh-xuan", "42.2"), ("cau-giay", "32.7"), ("thanh-tri", "29.1"),
                            ("dan-phuong", "23.4")):
            self.check("women in committee %s" % unit, "committee_women_share", value,
                       unit=unit, term="2020-2025")
        # Phuc Tho grassroots committees with university or above: 66.4 % -> 94.0 % (+27.6)
        self.check("Phuc Tho 2015-2020", "committee_university_share", "66.4", 166, 250,
                   unit="phuc-tho", term="2015-2020")
        self.check("Phuc Tho 2020-2025 94 %", "committee_university_share", "94.0", 235, 250,
                   unit="phuc-tho", term="2020-2025")

    def test_city_pool(self):
        for term, coef, masters, theory in (("2015-2020", "1.49", "48.2", "92.9"),
                                            ("2020-2025", "1.98", "73.2", "93.3")):
            self.check("city pool coefficient %s" % term, "planning_coefficient", coef,
                       unit="ha-noi", own=True, term=term)
            self.check("city pool master's %s" % term, "planning_masters_share", masters,
                       unit="ha-noi", own=True, term=term)
            self.check("city pool advanced theory %s" % term, "planning_theory_share", theory,
                       unit="ha-noi", own=True, term=term)

    def test_targets_figures(self):
        self.check("CITY_STANDING postgraduate 2019", "postgraduate_share", "42.0", 126, 300,
                   term="2015-2020")
        self.check("CITY_STANDING postgraduate 2024", "postgraduate_share", "52.0", 156, 300,
                   term="2020-2025")
        self.check("CITY_STANDING advanced theory 2019", "advanced_theory_share", "97.0",
                   291, 300, term="2015-2020")
        self.check("CITY_STANDING advanced theory 2024", "advanced_theory_share", "99.0",
                   297, 300, term="2020-2025")
        self.check("key commune-level theory", "key_commune_theory_share", "100.0", 272, 272,
                   term="2015-2020")
        self.check("key ward/township university", "key_ward_university_share", "100.0",
                   144, 144, term="2015-2020")
        self.check("key commune university", "key_commune_university_share", "85.9", 110, 128,
                   term="2015-2020")
        self.check("key ward university 2025", "key_ward_university_share", "100.0", 44, 44,
                   as_of="2025-12-31")
        self.check("key commune university 2025", "key_commune_university_share", "100.0",
                   36, 36, as_of="2025-12-31")
        self.check("key commune-level theory 2025", "key_commune_theory_share", "100.0", 80, 80,
                   as_of="2025-12-31")

    def test_reviews_and_reports(self):
        self.check("report completeness 2019", "report_completeness", "31.1", 32, 103, year=2019)
        self.check("Long Bien 2019 good", "post_training_good_share", "76.7", 46, 60,
                   unit="long-bien", year=2019)
        self.check("Long Bien 2019 reassigned", "reassignment_rate", "8.3", 5, 60,
                   unit="long-bien", year=2019)
        self.check("Long Bien 2020 reassigned", "reassignment_rate", "3.3", 2, 60,
                   unit="long-bien", year=2020)

    def test_rounding(self):
        r = indicator_oracle.make_answer
        self.assertEqual(r("percent", 1, 8).value, "12.5")     # 12.5 exactly
        self.assertEqual(r("percent", 1, 16).value, "6.3")     # 6.25 -> 6.3 (half away)
        self.assertEqual(r("percent", 1, 3).value, "33.3")
        self.assertEqual(r("percent", 0, 3).value, "0.0")
        self.assertEqual(r("coefficient", 1, 8).value, "0.13")  # 0.125 -> 0.13
        self.assertEqual(r("coefficient", 6, 3).value, "2.00")
        self.assertIsNone(r("percent", 0, 0).value)
        self.assertEqual(r("count", 7, None), (7, None, "7"))


class IndicatorPropertyTest(unittest.TestCase):
    """Random data sets: the server's ShowIndicator equals the oracle's answer."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nlprop-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.s = nlserver.stubs()

    def server_answer(self, stub, code, sel, by=""):
        ip = self.s.indicators_pb2
        req = ip.ShowIndicatorRequest(code=code, by=by, selection=ip.Selection(
            unit=sel["unit"], own=sel["own"], term=sel["term"] or "", year=sel["year"] or 0,
            to=sel["to"] or "", as_of=sel["as_of"] or ""))
        setattr(req.selection, "from", sel["frm"] or "")
        resp = stub.ShowIndicator(req, timeout=RPC_TIMEOUT_S)
        if by == "unit":
            # the rows of --by unit, summed: they must add up to the whole
            num = sum(v.numerator for v in resp.values)
            return num, sum(v.denominator for v in resp.values)
        if len(resp.values) != 1:
            return "values: %d rows" % len(resp.values)
        v = resp.values[0]
        return indicator_oracle.Answer(v.numerator, v.denominator if v.has_denominator else None,
                                       v.value if v.has_value else None)

    def check_by_person(self, stub, oracle, code, sel, dim, failures, seed):
        """ShowIndicator CODE --by DIM (and Query enrolments/trainees --by DIM) against
        by_person(): every group's numerator, denominator and value."""
        import grpc

        try:
            want = by_person(oracle, code, dim, sel)
        except indicator_oracle.NoTerm:
            return
        ip = self.s.indicators_pb2
        what = "nhanluc %s --by %s" % (describe(code, sel), dim)
        try:
            req = ip.ShowIndicatorRequest(code=code, by=dim, selection=ip.Selection(
                unit=sel["unit"], own=sel["own"], term=sel["term"] or "",
                year=sel["year"] or 0, to=sel["to"] or "", as_of=sel["as_of"] or ""))
            setattr(req.selection, "from", sel["frm"] or "")
            resp = stub.ShowIndicator(req, timeout=RPC_TIMEOUT_S)
            got = {v.group[0].value: indicator_oracle.Answer(
                v.numerator, v.denominator if v.has_denominator else None,
                v.value if v.has_value else None) for v in resp.values}
            if code in ("enrolments", "trainees"):
                q = ip.QueryRequest(measure=code, by=[dim], selection=req.selection)
                rows = stub.Query(q, timeout=RPC_TIMEOUT_S).rows
                qgot = {r.group[0].value: r.value for r in rows}
                if qgot != {g: a.numerator for g, a in want.items()}:
                    failures.append("seed %d: Query %s by %s: server %s, oracle %s"
                                    % (seed, code, dim, sorted(qgot.items()),
                                       sorted((g, a.numerator) for g, a in want.items())))
        except grpc.RpcError as e:
            failures.append("seed %d: %s: %s: %s" % (seed, what, e.code(), e.details()))
            return
        if got != want:
            failures.append("seed %d: %s\n    server: %s\n    oracle: %s"
                            % (seed, what, sorted(got.items()), sorted(want.items())))

    def test_random_data_sets(self):
        import grpc

        failures = []
        for seed in SEEDS:
            world = World(seed)
            src = os.path.join(self.tmp, "s%d" % seed, "gen")
            exp = os.path.join(self.tmp, "s%d" % seed, "exp")
            world.write(src)
            srv = nlserver.NlServer(log_level="info").start()
            try:
                load_and_export(srv.addr, src, exp)
                oracle = indicator_oracle.Oracle(exp)
                rng = random.Random(seed * 7919)
                prng = random.Random(seed * 104729)  # the attribute of each grouped check
                codes = CODES + [rng.choice(CODES) for _ in range(QUERIES_PER_SET - len(CODES))]
                with grpc.insecure_channel(srv.addr,
                                           options=nlserver.GRPC_CHANNEL_OPTIONS) as ch:
                    stub = self.s.indicators_pb2_grpc.IndicatorsStub(ch)
                    for code in codes:
                        sel = world.selection(rng, code)
                        # "today" (UTC) is read at the call, as the server does
                        oracle.today = datetime.datetime.now(
                            datetime.timezone.utc).date().isoformat()
                        want = oracle.compute(code, unit=sel["unit"], own=sel["own"],
                                              term=sel["term"], year=sel["year"],
                                              frm=sel["frm"], to=sel["to"], as_of=sel["as_of"])
                        try:
                            got = self.server_answer(stub, code, sel)
                        except grpc.RpcError as e:
                            got = "%s: %s" % (e.code(), e.details())
                        if got != want:
                            failures.append("seed %d: nhanluc %s\n    server: %s\n    oracle: %s"
                                            % (seed, describe(code, sel), fmt(got), fmt(want)))
                        if code in ENROL_FLOWS:
                            self.check_by_person(stub, oracle, code, sel,
                                                 prng.choice(PERSON_DIMS), failures, seed)
                        if code in DISTINCT_COUNTS or sel["own"]:
                            continue  # distinct people may sit in two rows; --own rows differ
                        # --by unit: the rows add up to the whole, across every reorganisation
                        try:
                            num, den = self.server_answer(stub, code, sel, "unit")
                        except grpc.RpcError as e:
                            failures.append("seed %d: nhanluc %s --by unit: %s: %s"
                                            % (seed, describe(code, sel), e.code(), e.details()))
                            continue
                        want_den = want.denominator or 0
                        if num != want.numerator or den != want_den:
                            failures.append("seed %d: nhanluc %s --by unit\n    rows sum to "
                                            "numerator=%d denominator=%d\n    oracle: %s"
                                            % (seed, describe(code, sel), num, den, fmt(want)))
            finally:
                rc, err = srv.stop()
            if rc != 0 or nlserver.sanitizer_findings(err):
                self.fail("seed %d: nhanlucd exited %s; log tail:\n%s" % (seed, rc, err[-3000:]))
        if failures:
            self.fail("%d disagreement(s) between the server and the oracle "
                      "(data: World(seed) of this file):\n%s"
                      % (len(failures), "\n".join(failures[:40])))


def by_person(oracle, code, dim, sel):
    """{group value: Answer} of an enrolment flow grouped by a trainee's attribute, from the
    oracle's records: the cadre's sex, or the profile version valid on the class's end date
    ("UNKNOWN" without one); each group computed with the indicator's formula."""
    r = oracle.resolve(sel["term"], sel["year"], sel["frm"], sel["to"], sel["as_of"])
    groups = {}
    for c in oracle.counted_classes(sel["unit"] or oracle.root, r.window):
        for e in oracle.enrols.get((c["organiser_unit"], c["class_ref"]), ()):
            if e["status"] == "WITHDREW":
                continue
            if dim == "sex":
                g = oracle.sex.get(e["cadre_code"]) or "UNKNOWN"
            else:
                p = oracle.profile(e["cadre_code"], c["end_date"])
                if p is None:
                    g = "UNKNOWN"
                elif dim == "key_cadre":
                    g = "true" if indicator_oracle._true(p["key_cadre"]) else "false"
                else:
                    g = p[dim]
            groups.setdefault(g, []).append(e)
    out = {}
    for g, en in groups.items():
        att = sum(int(e["attended"]) for e in en)
        ses = sum(int(e["attended"]) + int(e["absent_excused"]) + int(e["absent_unexcused"])
                  for e in en)
        done = sum(e["status"] == "COMPLETED" for e in en)
        num, den = {
            "enrolments": (len(en), None),
            "trainees": (len({e["cadre_code"] for e in en}), None),
            "unexcused_absentees": (len({e["cadre_code"] for e in en
                                         if int(e["absent_unexcused"]) > 0}), None),
            "attendance_rate": (att, ses),
            "completion_rate": (done, sum(e["status"] in ("COMPLETED", "FAILED") for e in en)),
            "very_good_rate": (sum(e["status"] == "COMPLETED"
                                   and e["result"] in ("EXCELLENT", "VERY_GOOD") for e in en),
                               done),
        }[code]
        out[g] = indicator_oracle.make_answer(indicator_oracle.VALUE_KIND[code], num, den)
    return out


def fmt(a):
    if isinstance(a, indicator_oracle.Answer):
        return "numerator=%s denominator=%s value=%s" % (
            a.numerator, "none" if a.denominator is None else a.denominator,
            "null" if a.value is None else a.value)
    return str(a)


if __name__ == "__main__":
    unittest.main(verbosity=2)
