"""indicator_oracle.py - the catalogue indicators of DOMAIN.md section 4, computed in Python.

An independent re-implementation, written from the text of DOMAIN.md 4 ("Exact
semantics") alone, used by tests/integration/test_indicators_property.py as an
oracle for the server's engine. Input: a directory of the CSV files that
`nhanluc export KIND` writes (DOMAIN.md 8: units, terms, unit_events, cadres,
classes, enrolments, committee, planning, seats, reviews, reports). Output:
Answer(numerator, denominator, value) where denominator is None for counts and
value is the exact decimal text ("41.4", "1.98", "187") or None when the
denominator is 0. Standard library only (Debian's /usr/bin/python3).

    o = Oracle("/path/to/exports")
    o.compute("planning_coefficient", unit="ha-noi", own=True, term="2015-2020")
    python3 indicator_oracle.py DIR CODE [--unit U] [--own] [--term T | --year Y |
        --from D --to D] [--as-of D] [--today D]

How each rule of DOMAIN.md 4 is read here (the text, then the reading where it
leaves a choice; "READING" marks a choice the text does not make):

- Term window A-B = A-01-01..(B-1)-12-31. Dates are compared as ISO text.
- Period of a flow: a class counts in the period holding its end_date; CANCELLED
  classes never count (any other status does, PLANNED and RUNNING included);
  counted enrolments = enrolments of counted classes that are not WITHDREW.
- Without a period the flow period is the PARTY_CONGRESS term whose window
  contains D (D = --as-of, else today). --from/--to: inclusive.
- Stock date D = --as-of, else the last day of the period (31 Dec of --year, the
  window's end for --term, --to for --from/--to), else today.
- Term of term-scoped populations (committee, pool, seats, overload) = --term,
  else the PARTY_CONGRESS term whose window contains D. READING: with no such
  term the oracle raises NoTerm (the tests never ask it).
- Profiles: the version of the cadre with the greatest as_of <= D. A cadre
  with no version on D is not in a cadre stock. Sex comes from the cadre
  (the last exported row of the cadre).
- Unit tree on a date T: the unit version rows with valid_from <= T (empty =
  always) and valid_to >= T (empty = current; valid_to is the last day).
  subtree(U, T) = U (if it has a version valid on T) and every unit whose
  parent chain in that tree reaches U.
- Flow scope of U for a record dated T (a class: its end_date) = subtree(U, T)
  plus, for every MERGE or RENAME event with U among its targets and T before
  the event's effective date, the flow scope of each source for T
  (recursively, so each event of the chain must be after T). READING: lineage
  applies to U itself (the unit asked about), not to units under U that are
  themselves merge targets; a source's subtree on T comes with it. SPLIT and
  DISSOLVE attribute nothing. Events are not replayed on the tree: the
  exported version rows already hold the children that a DISSOLVE, MERGE or
  RENAME moved under their new parent (and a SPLIT leaves none behind).
- Stock scope of U on D: subtree(U, D) when U has a version valid on D;
  otherwise every MERGE/RENAME predecessor of U (transitively) that has a
  version valid on D, with its subtree on D. READING: when U exists on D its
  predecessors are NOT added, even when U is a MERGE target that continued and
  its sources still existed on D (the text's lineage-for-stocks rule only
  speaks of a unit that did not exist on D).
- --own (term-scoped populations only): the scope is {U} instead of U's
  subtree. READING: for a U that did not exist on D, --own gives the
  predecessors that existed on D themselves, without their subtrees. --own
  changes nothing for flows, cadre stocks, reviews or reports.
- Key-cadre indicators: profile key_cadre = true and the kind of the profile's
  unit in its version valid on D (WARD/COMMUNE/TOWNSHIP; WARD/TOWNSHIP;
  COMMUNE). A profile whose unit has no version on D is in no scope at all.
- Ladders: education BELOW_UNIVERSITY < UNIVERSITY < MASTER < DOCTOR; theory
  NONE < ELEMENTARY < INTERMEDIATE < ADVANCED = BACHELOR.
- Committee members: committee rows of the term, body COMMITTEE, start_date <=
  D and (no end_date or end_date > D), unit in the stock scope; one per row.
  Sex from the cadre; education from the profile valid on D; a member without
  a profile on D counts in the denominator only.
- Pool: planning rows of the term with body_or_title COMMITTEE, added_on <= D
  and (no removed_on or removed_on > D), unit in scope; one per (unit, cadre).
  Seats: seats rows of the term with body_or_title COMMITTEE, unit in the
  stock scope on D (summed). Education/theory/sex as for committee members.
- planning_overload: per (unit, term): planning rows of the term active on D
  whose body_or_title is a title (not COMMITTEE/STANDING_COMMITTEE), unit in
  scope; one violation per title with more than 3 distinct cadres, plus one
  per cadre with more than 3 distinct titles.
- Reviews: selected by year: --year Y; the years of the window for --term;
  for --from/--to the years Y whose Y-12-31 is in the range; with no period
  the years of the default term. A review belongs to the unit of the cadre's
  profile valid on Y-12-31 (no profile then: no unit, never counted).
  READING: the review's unit must be in the flow scope of U for the date
  Y-12-31 (lineage as for classes).
- report_completeness: per year Y (the review years above): expected = units
  with a version valid on Y-12-31 whose kind then is not CITY, in the flow
  scope of U for Y-12-31 (READING: lineage as for reviews); on time = the
  expected unit's report for Y is SUBMITTED or APPROVED and the date part
  (first 10 characters) of submitted_at <= (Y+1)-01-31. Summed over the years.
- Rounding: exact Fraction, half away from zero, 1 decimal for percents
  (100 * num / den), 2 for coefficients; zero denominator => value None.
"""

import csv
import datetime
import os
import sys
from collections import namedtuple
from fractions import Fraction

COUNT, PERCENT, COEFF = "count", "percent", "coefficient"

# code -> value kind, in the catalogue's order (server/ind_catalog.c).
CATALOGUE = [
    ("classes", COUNT), ("enrolments", COUNT), ("trainees", COUNT),
    ("attendance_rate", PERCENT), ("unexcused_absentees", COUNT), ("completion_rate", PERCENT),
    ("very_good_rate", PERCENT), ("plan_fulfilment", PERCENT), ("postgraduate_share", PERCENT),
    ("advanced_theory_share", PERCENT), ("key_commune_theory_share", PERCENT),
    ("key_ward_university_share", PERCENT), ("key_commune_university_share", PERCENT),
    ("committee_women_share", PERCENT), ("committee_university_share", PERCENT),
    ("planning_coefficient", COEFF), ("planning_masters_share", PERCENT),
    ("planning_theory_share", PERCENT), ("planning_women_share", PERCENT),
    ("planning_overload", COUNT), ("post_training_good_share", PERCENT),
    ("reassignment_rate", PERCENT), ("report_completeness", PERCENT),
]
VALUE_KIND = dict(CATALOGUE)

EDUCATION = {"BELOW_UNIVERSITY": 1, "UNIVERSITY": 2, "MASTER": 3, "DOCTOR": 4}
THEORY = {"NONE": 0, "ELEMENTARY": 1, "INTERMEDIATE": 2, "ADVANCED": 3, "BACHELOR": 3}
BODIES = ("COMMITTEE", "STANDING_COMMITTEE")

Answer = namedtuple("Answer", "numerator denominator value")
# What a selection resolves to: flow window, stock date, population term, review years.
Resolved = namedtuple("Resolved", "window as_of term years")


class NoTerm(Exception):
    """No party-congress term window contains the date, and no --term was given."""


def round_half_away(q, places):
    """Fraction q rounded half away from zero to `places` decimals, as text."""
    scale = 10 ** places
    x = abs(q) * scale
    n = int(x + Fraction(1, 2))  # floor(x + 1/2) for x >= 0
    sign = "-" if q < 0 and n else ""
    if places == 0:
        return sign + str(n)
    return "%s%d.%0*d" % (sign, n // scale, places, n % scale)


def make_answer(kind, num, den):
    """The Answer of a value kind for exact integer num (and den)."""
    if kind == COUNT:
        return Answer(num, None, str(num))
    if den == 0:
        return Answer(num, den, None)
    if kind == PERCENT:
        return Answer(num, den, round_half_away(Fraction(100 * num, den), 1))
    return Answer(num, den, round_half_away(Fraction(num, den), 2))


def _iso(d):
    return d.isoformat()


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    return list(csv.DictReader(text.splitlines(True)))


def _true(s):
    return s.strip().lower() in ("true", "1", "yes", "x", "có")


class Oracle:
    """The records of one export directory, and every catalogue indicator over them."""

    def __init__(self, csv_dir, today=None):
        self.today = today or _iso(datetime.datetime.now(datetime.timezone.utc).date())

        def rows(kind):
            p = os.path.join(csv_dir, kind + ".csv")
            return _read(p) if os.path.exists(p) else []

        self.units = rows("units")
        self.root = None
        for u in self.units:
            if u["kind"] == "CITY" and not u["parent"]:
                self.root = u["code"]
        self.terms = {}
        for t in rows("terms"):
            self.terms[t["code"]] = (t["kind"], int(t["start_year"]), int(t["end_year"]))
        # target code -> [(source code, effective date)] of MERGE and RENAME events
        self.preds = {}
        for e in rows("unit_events"):
            if e["kind"] not in ("MERGE", "RENAME"):
                continue
            srcs = [s for s in e["sources"].split(";") if s]
            for t in [t for t in e["targets"].split(";") if t]:
                for s in srcs:
                    if s != t:
                        self.preds.setdefault(t, []).append((s, e["effective_date"]))
        self.sex = {}
        self.profiles = {}  # cadre -> [(as_of, row)] sorted by as_of
        for c in rows("cadres"):
            self.sex[c["cadre_code"]] = c["sex"]
            self.profiles.setdefault(c["cadre_code"], []).append((c["as_of"], c))
        for v in self.profiles.values():
            v.sort(key=lambda x: x[0])
        self.classes = {}
        for c in rows("classes"):
            self.classes[(c["organiser_unit"], c["class_ref"])] = c
        self.enrols = {}
        for e in rows("enrolments"):
            self.enrols.setdefault((e["organiser_unit"], e["class_ref"]), []).append(e)
        self.committee = rows("committee")
        self.planning = rows("planning")
        self.seats = rows("seats")
        self.reviews = rows("reviews")
        self.reports = {(r["unit"], int(r["year"])): r for r in rows("reports")}
        self._tree_cache = {}
        self._sub_cache = {}
        self._flow_cache = {}

    # --- time -------------------------------------------------------------------------------

    def window(self, term):
        """(first day, last day) of term `term`'s window."""
        _, a, b = self.terms[term]
        return ("%04d-01-01" % a, "%04d-12-31" % (b - 1))

    def pc_term(self, d):
        """The PARTY_CONGRESS term whose window contains date d, or None."""
        for code, (kind, _, _) in sorted(self.terms.items()):
            w = self.window(code)
            if kind == "PARTY_CONGRESS" and w[0] <= d <= w[1]:
                return code
        return None

    def resolve(self, term=None, year=None, frm=None, to=None, as_of=None):
        """The flow window, stock date, population term and review years of a selection."""
        if term:
            window = self.window(term)
            d = as_of or window[1]
            pop = term
        elif year:
            window = ("%04d-01-01" % year, "%04d-12-31" % year)
            d = as_of or window[1]
            pop = self.pc_term(d)
        elif frm or to:
            window = (frm, to)
            d = as_of or to
            pop = self.pc_term(d)
        else:
            d = as_of or self.today
            pop = self.pc_term(d)
            if pop is None:
                raise NoTerm(d)
            window = self.window(pop)
        years = [y for y in range(int(window[0][:4]), int(window[1][:4]) + 1)
                 if window[0] <= "%04d-12-31" % y <= window[1]]
        return Resolved(window, d, pop, years)

    # --- units ------------------------------------------------------------------------------

    def tree(self, d):
        """{code: version row} of the units with a version valid on d."""
        t = self._tree_cache.get(d)
        if t is None:
            t = {}
            for u in self.units:
                if (not u["valid_from"] or u["valid_from"] <= d) and \
                        (not u["valid_to"] or d <= u["valid_to"]):
                    old = t.get(u["code"])
                    if old is None or (old["valid_from"] or "") < (u["valid_from"] or ""):
                        t[u["code"]] = u
            self._tree_cache[d] = t
        return t

    def subtree(self, unit, d):
        """frozenset of U and the units under it in the tree valid on d (empty if U is not)."""
        key = (unit, d)
        s = self._sub_cache.get(key)
        if s is None:
            t = self.tree(d)
            kids = {}
            for code, u in t.items():
                if u["parent"] and u["parent"] != code:
                    kids.setdefault(u["parent"], []).append(code)
            out = set()
            if unit in t:
                todo = [unit]
                while todo:
                    c = todo.pop()
                    if c in out:
                        continue
                    out.add(c)
                    todo.extend(kids.get(c, ()))
            s = frozenset(out)
            self._sub_cache[key] = s
        return s

    def flow_scope(self, unit, d, _seen=None):
        """Units whose record dated d counts for `unit`: its subtree plus lineage sources."""
        key = (unit, d)
        if _seen is None and key in self._flow_cache:
            return self._flow_cache[key]
        seen = set() if _seen is None else _seen
        seen.add(unit)
        out = set(self.subtree(unit, d))
        for src, eff in self.preds.get(unit, ()):
            if d < eff and src not in seen:
                out |= self.flow_scope(src, d, seen)
        if _seen is None:
            self._flow_cache[key] = frozenset(out)
        return out

    def all_preds(self, unit):
        """Every MERGE/RENAME predecessor of `unit`, transitively."""
        out, todo = set(), [unit]
        while todo:
            u = todo.pop()
            for s, _ in self.preds.get(u, ()):
                if s not in out and s != unit:
                    out.add(s)
                    todo.append(s)
        return out

    def stock_scope(self, unit, d, own=False):
        """Units of a stock of `unit` on d (own: its own bodies only)."""
        t = self.tree(d)
        if unit in t:
            return frozenset([unit]) if own else self.subtree(unit, d)
        out = set()
        for p in self.all_preds(unit):
            if p in t:
                out |= {p} if own else self.subtree(p, d)
        return frozenset(out)

    # --- records ----------------------------------------------------------------------------

    def profile(self, cadre, d):
        """The profile row of `cadre` valid on d, or None."""
        best = None
        for as_of, row in self.profiles.get(cadre, ()):
            if as_of <= d:
                best = row
            else:
                break
        return best

    def counted_classes(self, unit, window, pred=None):
        """The counted classes of `unit`'s flow scope whose end_date is in window."""
        out = []
        for key, c in self.classes.items():
            if c["status"] == "CANCELLED" or not (window[0] <= c["end_date"] <= window[1]):
                continue
            if c["organiser_unit"] not in self.flow_scope(unit, c["end_date"]):
                continue
            if pred is None or pred(c):
                out.append(c)
        return out

    def counted_enrolments(self, classes):
        out = []
        for c in classes:
            for e in self.enrols.get((c["organiser_unit"], c["class_ref"]), ()):
                if e["status"] != "WITHDREW":
                    out.append(e)
        return out

    @staticmethod
    def _active(start, end, d):
        return start <= d and (not end or end > d)

    def members(self, unit, r, own):
        """Committee rows (COMMITTEE body) of the term active on D in the stock scope."""
        scope = self.stock_scope(unit, r.as_of, own)
        return [m for m in self.committee
                if m["term"] == r.term and m["body"] == "COMMITTEE" and m["unit"] in scope
                and self._active(m["start_date"], m["end_date"], r.as_of)]

    def pool(self, unit, r, own):
        """Distinct (unit, cadre) of the COMMITTEE pool of the term active on D in scope."""
        scope = self.stock_scope(unit, r.as_of, own)
        out = set()
        for p in self.planning:
            if p["term"] == r.term and p["body_or_title"] == "COMMITTEE" and p["unit"] in scope \
                    and self._active(p["added_on"], p["removed_on"], r.as_of):
                out.add((p["unit"], p["cadre_code"]))
        return sorted(out)

    def _person_share(self, people, d, test):
        """(numerator, denominator) over cadre codes `people` by test(sex, profile or None)."""
        num = 0
        for c in people:
            if test(self.sex.get(c), self.profile(c, d)):
                num += 1
        return num, len(people)

    # --- the indicators ---------------------------------------------------------------------

    def compute(self, code, unit=None, own=False, term=None, year=None, frm=None, to=None,
                as_of=None, class_pred=None):
        """Answer of indicator `code` for the selection (unit None or "" = the city)."""
        kind = VALUE_KIND[code]
        unit = unit or self.root
        r = self.resolve(term, year, frm, to, as_of)
        num, den = self._compute(code, unit, own, r, class_pred)
        return make_answer(kind, num, den)

    def _compute(self, code, unit, own, r, class_pred):
        d = r.as_of
        if code in ("classes", "enrolments", "trainees", "attendance_rate",
                    "unexcused_absentees", "completion_rate", "very_good_rate",
                    "plan_fulfilment"):
            cls = self.counted_classes(unit, r.window, class_pred)
            en = self.counted_enrolments(cls)
            if code == "classes":
                return len(cls), None
            if code == "enrolments":
                return len(en), None
            if code == "trainees":
                return len({e["cadre_code"] for e in en}), None
            if code == "unexcused_absentees":
                return len({e["cadre_code"] for e in en if int(e["absent_unexcused"]) > 0}), None
            if code == "attendance_rate":
                return (sum(int(e["attended"]) for e in en),
                        sum(int(e["attended"]) + int(e["absent_excused"]) +
                            int(e["absent_unexcused"]) for e in en))
            if code == "completion_rate":
                return (sum(e["status"] == "COMPLETED" for e in en),
                        sum(e["status"] in ("COMPLETED", "FAILED") for e in en))
            if code == "very_good_rate":
                return (sum(e["status"] == "COMPLETED" and e["result"] in ("EXCELLENT", "VERY_GOOD")
                            for e in en),
                        sum(e["status"] == "COMPLETED" for e in en))
            return len(en), sum(int(c["planned_trainees"]) for c in cls)

        if code in ("postgraduate_share", "advanced_theory_share", "key_commune_theory_share",
                    "key_ward_university_share", "key_commune_university_share"):
            scope = self.stock_scope(unit, d)
            tree = self.tree(d)
            kinds = {"key_commune_theory_share": ("WARD", "COMMUNE", "TOWNSHIP"),
                     "key_ward_university_share": ("WARD", "TOWNSHIP"),
                     "key_commune_university_share": ("COMMUNE",)}.get(code)
            num = den = 0
            for cadre in self.profiles:
                p = self.profile(cadre, d)
                if p is None or p["unit"] not in scope:
                    continue
                if kinds is None:
                    if p["mgmt_category"] != "CITY_STANDING":
                        continue
                elif not (_true(p["key_cadre"]) and tree[p["unit"]]["kind"] in kinds):
                    continue
                den += 1
                if code == "postgraduate_share":
                    num += EDUCATION[p["education"]] >= EDUCATION["MASTER"]
                elif code in ("advanced_theory_share",):
                    num += THEORY[p["political_theory"]] >= THEORY["ADVANCED"]
                elif code == "key_commune_theory_share":
                    num += THEORY[p["political_theory"]] >= THEORY["INTERMEDIATE"]
                else:
                    num += EDUCATION[p["education"]] >= EDUCATION["UNIVERSITY"]
            return num, den

        if code in ("committee_women_share", "committee_university_share",
                    "planning_coefficient", "planning_masters_share", "planning_theory_share",
                    "planning_women_share", "planning_overload"):
            if r.term is None:
                raise NoTerm(d)
        if code == "committee_women_share":
            people = [m["cadre_code"] for m in self.members(unit, r, own)]
            return self._person_share(people, d, lambda sex, p: sex == "FEMALE")
        if code == "committee_university_share":
            people = [m["cadre_code"] for m in self.members(unit, r, own)]
            return self._person_share(
                people, d,
                lambda sex, p: p is not None and EDUCATION[p["education"]] >= 2)
        if code == "planning_coefficient":
            scope = self.stock_scope(unit, d, own)
            seats = sum(int(s["seats"]) for s in self.seats
                        if s["term"] == r.term and s["body_or_title"] == "COMMITTEE"
                        and s["unit"] in scope)
            return len(self.pool(unit, r, own)), seats
        if code in ("planning_masters_share", "planning_theory_share", "planning_women_share"):
            people = [c for _, c in self.pool(unit, r, own)]
            test = {
                "planning_masters_share":
                    lambda sex, p: p is not None and EDUCATION[p["education"]] >= 3,
                "planning_theory_share":
                    lambda sex, p: p is not None and THEORY[p["political_theory"]] >= 3,
                "planning_women_share": lambda sex, p: sex == "FEMALE",
            }[code]
            return self._person_share(people, d, test)
        if code == "planning_overload":
            scope = self.stock_scope(unit, d, own)
            per_title, per_cadre = {}, {}
            for p in self.planning:
                if p["term"] != r.term or p["body_or_title"] in BODIES or p["unit"] not in scope:
                    continue
                if not self._active(p["added_on"], p["removed_on"], d):
                    continue
                per_title.setdefault((p["unit"], p["body_or_title"]), set()).add(p["cadre_code"])
                per_cadre.setdefault((p["unit"], p["cadre_code"]), set()).add(p["body_or_title"])
            n = sum(len(v) > 3 for v in per_title.values()) + \
                sum(len(v) > 3 for v in per_cadre.values())
            return n, None

        if code in ("post_training_good_share", "reassignment_rate"):
            num = den = 0
            for rv in self.reviews:
                y = int(rv["year"])
                if y not in r.years:
                    continue
                dec31 = "%04d-12-31" % y
                p = self.profile(rv["cadre_code"], dec31)
                if p is None or p["unit"] not in self.flow_scope(unit, dec31):
                    continue
                den += 1
                if code == "post_training_good_share":
                    num += rv["annual_rating"] in ("EXCELLENT", "GOOD")
                else:
                    num += rv["action"] in ("REASSIGN", "ROTATE", "DISMISS")
            return num, den

        if code == "report_completeness":
            num = den = 0
            for y in r.years:
                dec31 = "%04d-12-31" % y
                tree = self.tree(dec31)
                scope = self.flow_scope(unit, dec31)
                for u in sorted(scope):
                    if u not in tree or tree[u]["kind"] == "CITY":
                        continue
                    den += 1
                    rp = self.reports.get((u, y))
                    if rp and rp["status"] in ("SUBMITTED", "APPROVED") and \
                            rp["submitted_at"][:10] and \
                            rp["submitted_at"][:10] <= "%04d-01-31" % (y + 1):
                        num += 1
            return num, den
        raise KeyError(code)


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="compute a catalogue indicator from export CSVs")
    ap.add_argument("dir")
    ap.add_argument("code")
    ap.add_argument("--unit")
    ap.add_argument("--own", action="store_true")
    ap.add_argument("--term")
    ap.add_argument("--year", type=int)
    ap.add_argument("--from", dest="frm")
    ap.add_argument("--to")
    ap.add_argument("--as-of")
    ap.add_argument("--today")
    a = ap.parse_args(argv)
    o = Oracle(a.dir, today=a.today)
    codes = [c for c, _ in CATALOGUE] if a.code == "all" else [a.code]
    for c in codes:
        ans = o.compute(c, unit=a.unit, own=a.own, term=a.term, year=a.year, frm=a.frm,
                        to=a.to, as_of=a.as_of)
        print("%s\t%s\t%s\t%s" % (c, ans.numerator,
                                  "" if ans.denominator is None else ans.denominator,
                                  "null" if ans.value is None else ans.value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
