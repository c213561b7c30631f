"""test_indicators_demo.py - the article's figures through the indicator engine.

The demo data set (deploy/demo/gen_demo.py) is imported into a fresh nhanlucd
with `nhanluc import`, in deploy/run.sh's order; then every figure of
DOMAIN.md section 7 (with the rows and arithmetic of deploy/demo/README.md)
is read back through `nhanluc report`, `indicator show`, `indicator compare`
and `query` with --output json, and each assertion names the figure it
checks. The expected numerators and denominators are the README's; values
are recomputed here from them (exact fractions, rounded half away from zero)
so that the rounding of the engine is checked too, and the JSON rows must
carry exactly the keys of the issue 4 contract.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import nlcli  # noqa: E402
import nlserver  # noqa: E402

GEN = os.path.join(nlserver.SOURCE_DIR, "deploy", "demo", "gen_demo.py")
PYTHON = "/usr/bin/python3"
CLI_TIMEOUT_S = 240
# deploy/run.sh's order: every file refers only to files before it
FILES = ["units", "terms", "unit_events", "term_instances", "cadres", "classes", "enrolments",
         "committee", "seats", "planning", "reviews", "reports", "targets"]
ROW_KEYS = ["code", "unit", "period", "as_of", "numerator", "denominator", "value", "target",
            "met"]
T1, T2 = "2015-2020", "2020-2025"
END1, END2 = "2019-12-31", "2024-12-31"


def setUpModule():
    nlcli.require_nhanluc()


def rounded(q, places):
    """A Fraction rounded half away from zero to `places` decimals, as a float for JSON."""
    d = Decimal(q.numerator) / Decimal(q.denominator)
    step = Decimal(1).scaleb(-places)
    return float(d.quantize(step, rounding=ROUND_HALF_UP))


def pct(num, den):
    return rounded(Fraction(100 * num, den), 1)


def coef(num, den):
    return rounded(Fraction(num, den), 2)


class IndicatorsDemoTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nlinddemo-")
        p = subprocess.run([PYTHON, GEN, cls.tmp], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            raise AssertionError("gen_demo.py exited %d: %s"
                                 % (p.returncode, p.stderr.decode("utf-8", "replace")))
        cls.srv = nlserver.NlServer(log_level="info").start()
        for kind in FILES:
            rc, out, err = cls.cli("--output", "csv", "import",
                                   os.path.join(cls.tmp, kind + ".csv"))
            if rc != 0:
                raise AssertionError("import %s exited %d: %s" % (kind, rc, err))

    @classmethod
    def tearDownClass(cls):
        rc, err = cls.srv.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        bad = nlserver.sanitizer_findings(err)
        if bad or rc != 0:
            raise AssertionError("nhanlucd exited %s; sanitizer: %s; log tail:\n%s"
                                 % (rc, bad[:10], err[-3000:]))

    @classmethod
    def cli(cls, *args):
        return nlcli.run_cli(cls.srv.addr, *args, timeout=CLI_TIMEOUT_S)

    def json_of(self, *args):
        rc, out, err = self.cli("--output", "json", *args)
        self.assertEqual(rc, 0, "nhanluc %s exited %d: %s" % (" ".join(args), rc, err))
        return json.loads(out)

    def show(self, code, *args):
        """The one row of `indicator show CODE ARGS` (exactly the contract keys)."""
        rows = self.json_of("indicator", "show", code, *args)
        self.assertEqual(len(rows), 1, "indicator show %s %s: %r" % (code, args, rows))
        self.assertEqual(list(rows[0].keys()), ROW_KEYS, code)
        return rows[0]

    def query_by_unit(self, *args):
        """{unit: value} of `query ... --by unit` over the city."""
        rows = self.json_of("query", *args, "--by", "unit")
        return dict((r["group"]["unit"], r["value"]) for r in rows)

    def assertRatio(self, row, num, den, value, figure):
        self.assertEqual((row["numerator"], row["denominator"], row["value"]), (num, den, value),
                         figure)

    # --- flows ---------------------------------------------------------------

    def test_tay_ho_187_classes_over_22000_enrolments(self):
        fig = "DOMAIN.md 7: Tây Hồ, 187 classes in term 2015-2020"
        r = self.show("classes", "--unit", "tay-ho", "--term", T1)
        self.assertEqual(r, {"code": "classes", "unit": "tay-ho", "period": T1, "as_of": END1,
                             "numerator": 187, "denominator": None, "value": 187,
                             "target": None, "met": None}, fig)
        fig = "DOMAIN.md 7: Tây Hồ, over 22,000 enrolments (22,160 rows - 48 WITHDREW = 22,112)"
        r = self.show("enrolments", "--unit", "tay-ho", "--term", T1)
        self.assertEqual((r["numerator"], r["denominator"], r["value"]), (22112, None, 22112), fig)
        self.assertGreater(r["value"], 22000, fig)
        fig = "README: Tây Hồ trainees 1,500 distinct cadres (enrolments are not trainees)"
        r = self.show("trainees", "--unit", "tay-ho", "--term", T1)
        self.assertEqual(r["value"], 1500, fig)
        fig = "DOMAIN.md 7: Tây Hồ figures through `report --unit tay-ho --term 2015-2020`"
        rep = self.json_of("report", "--unit", "tay-ho", "--term", T1)
        vals = dict((r["code"], r["value"]) for r in rep["indicators"])
        self.assertEqual((vals["classes"], vals["enrolments"], vals["trainees"]),
                         (187, 22112, 1500), fig)

    def test_hai_ba_trung_class_sizes(self):
        fig = "DOMAIN.md 7: Hai Bà Trưng classes of 80, 89, 116 and 87 trainees"
        want = {"PLANNING_COMMITTEE": 80, "PLANNING_SECRETARY": 89, "PLANNING_DEPT_HEAD": 116,
                "PLANNING_COUNCIL_CHAIR": 87}
        for measure in ("enrolments", "trainees"):
            rows = self.json_of("query", "--measure", measure, "--unit", "hai-ba-trung",
                                "--term", T1, "--by", "target_group")
            got = dict((r["group"]["target_group"], r["value"]) for r in rows)
            self.assertEqual(got, want, "%s (%s)" % (fig, measure))
        r = self.show("classes", "--unit", "hai-ba-trung", "--term", T1)
        self.assertEqual(r["value"], 4, fig)
        rows = self.json_of("query", "--measure", "trainees", "--unit", "hai-ba-trung",
                            "--term", T1, "--filter", "target_group=PLANNING_COMMITTEE")
        self.assertEqual([r["value"] for r in rows], [80], fig + " (filter)")

    def test_planning_source_classes_of_30_units(self):
        committee = ["--filter", "target_group=PLANNING_COMMITTEE"]
        titles = ["--filter", "target_group=PLANNING_DEPT_HEAD", "--filter",
                  "target_group=PLANNING_SECRETARY"]

        def below_city(measure, filters):
            got = self.query_by_unit("--measure", measure, "--term", T1, *filters)
            got.pop("ha-noi", None)  # the city's own classes are not "the 30 units"
            return dict((u, v) for u, v in got.items() if v > 0)

        fig = "DOMAIN.md 7: 30 units ran planning-source classes (25 districts + 5 affiliated)"
        units = set(below_city("classes", committee + titles))
        self.assertEqual(len(units), 30, fig)
        for absent in ("me-linh", "ba-vi", "my-duc", "ung-hoa", "phu-xuyen"):
            self.assertNotIn(absent, units, fig)
        fig = "DOMAIN.md 7: 26 classes (committee source at their own level)"
        self.assertEqual(sum(below_city("classes", committee).values()), 26, fig)
        fig = "DOMAIN.md 7: 2,542 trainees (committee source at their own level)"
        self.assertEqual(sum(below_city("trainees", committee).values()), 2542, fig)
        self.assertEqual(sum(below_city("enrolments", committee).values()), 2542, fig)
        fig = "DOMAIN.md 7: 69 classes (department head/deputy and grassroots secretary sources)"
        self.assertEqual(sum(below_city("classes", titles).values()), 69, fig)
        fig = "DOMAIN.md 7: 8,122 trainees (department head/deputy and grassroots secretary)"
        self.assertEqual(sum(below_city("trainees", titles).values()), 8122, fig)
        self.assertEqual(sum(below_city("enrolments", titles).values()), 8122, fig)
        fig = "README: the 95 classes together also have 8,122 trainees"
        self.assertEqual(sum(below_city("trainees", committee + titles).values()), 8122, fig)

    def test_city_2019_classes(self):
        def city_own(measure, *filters):
            return self.query_by_unit("--measure", measure, "--year", "2019", *filters).get(
                "ha-noi")

        fig = "DOMAIN.md 7: city 2019, secretary/deputy source class for 2020-2025, 86 cadres"
        self.assertEqual(city_own("trainees", "--filter", "target_group=PLANNING_SECRETARY"), 86,
                         fig)
        fig = "DOMAIN.md 7: city 2019, director/district chair source class for 2021-2026, 84"
        self.assertEqual(city_own("trainees", "--filter", "target_group=PLANNING_DIRECTOR"), 84,
                         fig)
        fig = "DOMAIN.md 7: city 2019, two English classes, 40 cadres"
        # "Ngoại ngữ" is the Vietnamese label of area FOREIGN_LANGUAGE.
        self.assertEqual(city_own("classes", "--filter", "area=Ngoại ngữ"), 2, fig)
        self.assertEqual(city_own("trainees", "--filter", "area=FOREIGN_LANGUAGE"), 40, fig)

    # --- committees and the pool ----------------------------------------------

    def test_women_in_district_committees(self):
        want = {"thanh-xuan": (19, 45, "> 40 %"), "cau-giay": (16, 49, "> 32 %"),
                "thanh-tri": (16, 55, "29.1 %"), "dan-phuong": (11, 47, "> 22 %")}
        for unit, (women, members, article) in want.items():
            fig = "DOMAIN.md 7: women in committees, %s %s, term 2020-2025" % (unit, article)
            r = self.show("committee_women_share", "--unit", unit, "--term", T2)
            self.assertEqual((r["unit"], r["period"], r["as_of"]), (unit, T2, END2), fig)
            self.assertRatio(r, women, members, pct(women, members), fig)
        fig = "DOMAIN.md 7: women in committees, Thanh Trì 29.1 %"
        self.assertEqual(self.show("committee_women_share", "--unit", "thanh-tri", "--term",
                                   T2)["value"], 29.1, fig)
        fig = ("DOMAIN.md 7: women in committees, Thanh Xuân > 40 %, Cầu Giấy > 32 %, "
               "Đan Phượng > 22 %")
        for unit, floor in (("thanh-xuan", 40), ("cau-giay", 32), ("dan-phuong", 22)):
            self.assertGreater(self.show("committee_women_share", "--unit", unit, "--term",
                                         T2)["value"], floor, fig)

    def test_phuc_tho_grassroots_university(self):
        fig = "DOMAIN.md 7: Phúc Thọ grassroots members with university or above 94 %, +27.6"
        got = self.json_of("indicator", "compare", "committee_university_share", "--unit",
                           "phuc-tho", "--term", T1, "--term", T2)
        self.assertEqual(list(got.keys()), ["rows", "change"], fig)
        a, b = got["rows"]
        self.assertEqual((a["unit"], a["period"], a["as_of"]), ("phuc-tho", T1, END1), fig)
        self.assertEqual((b["unit"], b["period"], b["as_of"]), ("phuc-tho", T2, END2), fig)
        self.assertRatio(a, 166, 250, 66.4, fig + " (2015-2020: 166 / 250)")
        self.assertRatio(b, 235, 250, 94.0, fig + " (2020-2025: 235 / 250)")
        self.assertEqual(got["change"], 27.6, fig + " (points)")
        rc, out, err = self.cli("--output", "table", "indicator", "compare",
                                "committee_university_share", "--unit", "phuc-tho", "--term", T1,
                                "--term", T2)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith("\nchange: +27.6 points\n"), fig + ": " + out)

    def test_city_committee_pool(self):
        figures = [
            ("planning_coefficient", (112, 75), (164, 83), coef,
             "DOMAIN.md 7: city pool coefficient 1.49 -> 1.98"),
            ("planning_masters_share", (54, 112), (120, 164), pct,
             "DOMAIN.md 7: city pool master's or above 48.2 % -> 73.2 %"),
            ("planning_theory_share", (104, 112), (153, 164), pct,
             "DOMAIN.md 7: city pool advanced theory 92.9 % -> 93.3 %"),
        ]
        for code, (n1, d1), (n2, d2), rnd, fig in figures:
            got = self.json_of("indicator", "compare", code, "--unit", "ha-noi", "--own",
                               "--term", T1, "--term", T2)
            a, b = got["rows"]
            self.assertRatio(a, n1, d1, rnd(n1, d1), fig + " (2015-2020)")
            self.assertRatio(b, n2, d2, rnd(n2, d2), fig + " (2020-2025)")
            # the change is exact b - a rounded like the values, not a difference of roundings
            scale = 100 if rnd is pct else 1
            places = 1 if rnd is pct else 2
            self.assertEqual(got["change"],
                             rounded(Fraction(scale * n2, d2) - Fraction(scale * n1, d1), places),
                             fig + " (change)")
        fig = "DOMAIN.md 7: city pool coefficient 1.49 -> 1.98 (the article's rounded values)"
        got = self.json_of("indicator", "compare", "planning_coefficient", "--unit", "ha-noi",
                           "--own", "--term", T1, "--term", T2)
        self.assertEqual([r["value"] for r in got["rows"]], [1.49, 1.98], fig)
        self.assertEqual(got["change"], 0.48, fig + " (1.9759 - 1.4933 = 0.4826)")
        # The table and CSV show the change of the values they show (1.98 - 1.49), the table
        # the exact one too: +0.48 alone read as an arithmetic error.
        args = ("indicator", "compare", "planning_coefficient", "--unit", "ha-noi", "--own",
                "--term", T1, "--term", T2)
        rc, out, err = self.cli("--output", "table", *args)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.endswith("\nchange: +0.49 (the difference of the values shown; "
                                     "+0.48 from the exact values)\n"), fig + ": " + out)
        rc, out, err = self.cli("--output", "csv", *args)
        self.assertEqual(rc, 0, err)
        rows = list(csv.reader(io.StringIO(out)))
        self.assertEqual(rows[0], ROW_KEYS + ["change"], fig)
        self.assertEqual([(r[6], r[9]) for r in rows[1:]], [("1.49", ""), ("1.98", "+0.49")],
                         fig + " (CSV)")

    # --- the congress resolution's targets --------------------------------------

    def test_targets_of_the_2015_2020_resolution(self):
        want = {
            "postgraduate_share": (126, 300, {"op": ">=", "value": 35}, True,
                                   "DOMAIN.md 7: target postgraduate >= 35 % (42.0 %, met)"),
            "advanced_theory_share": (291, 300, {"op": "=", "value": 100}, False,
                                      "DOMAIN.md 7: target advanced theory 100 % "
                                      "(97.0 %, not met)"),
            "key_commune_theory_share": (272, 272, {"op": "=", "value": 100}, True,
                                         "DOMAIN.md 7: target key commune-level cadres "
                                         "intermediate theory 100 %"),
            "key_ward_university_share": (144, 144, {"op": "=", "value": 100}, True,
                                          "DOMAIN.md 7: target key ward/township cadres "
                                          "university 100 %"),
            "key_commune_university_share": (110, 128, {"op": ">", "value": 80}, True,
                                             "DOMAIN.md 7: target key commune cadres university "
                                             "> 80 % (85.9 %)"),
        }
        rep = self.json_of("report", "--term", T1)
        self.assertEqual(list(rep.keys()), ["unit", "period", "as_of", "term", "unit_term_dates",
                                            "indicators", "missing_reports",
                                            "unexcused_absentees", "absentees",
                                            "absentees_truncated"])
        self.assertEqual((rep["unit"], rep["period"], rep["as_of"], rep["term"]),
                         ("ha-noi", T1, END1, T1), "report for the city, term 2015-2020")
        rows = dict((r["code"], r) for r in rep["indicators"])
        for r in rep["indicators"]:
            self.assertEqual(list(r.keys()), ROW_KEYS, r["code"])
        for code, (num, den, target, met, fig) in want.items():
            r = rows[code]
            self.assertRatio(r, num, den, pct(num, den), fig)
            self.assertEqual((r["target"], r["met"]), (target, met), fig)
            self.assertEqual((r["unit"], r["period"], r["as_of"]), ("ha-noi", T1, END1), fig)
            s = self.show(code, "--term", T1)
            self.assertEqual(s, r, fig + " (indicator show = report)")
        # The targets are the 2015-2020 resolution's: in 2020-2025 none applies.
        rep2 = self.json_of("report", "--term", T2)
        rows2 = dict((r["code"], r) for r in rep2["indicators"])
        fig = "README: CITY_STANDING on 2024-12-31, postgraduate 156 / 300, advanced 297 / 300"
        self.assertRatio(rows2["postgraduate_share"], 156, 300, 52.0, fig)
        self.assertRatio(rows2["advanced_theory_share"], 297, 300, 99.0, fig)
        self.assertEqual((rows2["postgraduate_share"]["target"],
                          rows2["postgraduate_share"]["met"]), (None, None),
                         fig + ": no target for term 2020-2025")
        fig = "DOMAIN.md 7: the five targets are listed by `indicator list` for term 2015-2020"
        defs = dict((d["code"], d) for d in self.json_of("indicator", "list"))
        for code, (_n, _d, target, _m, _f) in want.items():
            self.assertIn({"op": target["op"], "value": target["value"], "unit": None,
                           "term": T1}, defs[code]["targets"], fig + ": " + code)

    def test_key_cadres_after_the_2025_reorganisation(self):
        fig = "README: key cadres of the 20 new units on 2025-12-31"
        for code, num, den in (("key_ward_university_share", 44, 44),
                               ("key_commune_university_share", 36, 36),
                               ("key_commune_theory_share", 80, 80),
                               ("postgraduate_share", 104, 200)):
            r = self.show(code, "--as-of", "2025-12-31")
            self.assertEqual(r["as_of"], "2025-12-31", fig)
            self.assertRatio(r, num, den, pct(num, den), "%s: %s" % (fig, code))

    # --- completeness and absences ---------------------------------------------

    def test_report_completeness_2019(self):
        fig = "README reports.csv: report_completeness 2019 = 32 / 103 = 31.1 %"
        rep = self.json_of("report", "--year", "2019")
        self.assertEqual((rep["period"], rep["as_of"]), ("2019", "2019-12-31"), fig)
        rows = dict((r["code"], r) for r in rep["indicators"])
        self.assertRatio(rows["report_completeness"], 32, 103, 31.1, fig)
        missing = [(m["unit"], m["year"]) for m in rep["missing_reports"]]
        fig = "README reports.csv: my-duc has no 2019 report; ung-hoa and soc-son are late"
        self.assertIn(("my-duc", 2019), missing, fig)
        self.assertNotIn(("ung-hoa", 2019), missing, fig)
        self.assertNotIn(("soc-son", 2019), missing, fig)
        self.assertEqual(len(missing), 103 - 34, fig + " (103 expected, 34 submitted)")
        fig = "report's unexcused absentees = indicator show unexcused_absentees"
        self.assertEqual(rep["unexcused_absentees"],
                         self.show("unexcused_absentees", "--year", "2019")["value"], fig)
        # CSV carries the same page: the indicator rows (unexcused_absentees among them), an
        # empty line, then the units that have not reported under their own header.
        rc, out, err = self.cli("--output", "csv", "report", "--year", "2019")
        self.assertEqual(rc, 0, err)
        head, _, tail = out.partition("\n\n")
        rows = list(csv.reader(io.StringIO(head)))
        self.assertEqual(rows[0], ROW_KEYS)
        self.assertEqual(dict((r[0], r) for r in rows[1:])["unexcused_absentees"][4],
                         str(rep["unexcused_absentees"]), "report CSV: " + fig)
        missing_csv, _, absent_csv = tail.partition("\n\n")
        mrows = list(csv.reader(io.StringIO(missing_csv)))
        self.assertEqual(mrows[0], ["missing_report_unit", "missing_report_year"])
        self.assertEqual([(u, int(y)) for u, y in mrows[1:]], missing,
                         "report CSV: the missing reports of the JSON, in its order")
        # then (auth off: names may be seen) the cadres behind the count, as in the JSON
        arows = list(csv.reader(io.StringIO(absent_csv)))
        self.assertEqual(arows[0], ["cadre_code", "full_name", "classes", "sessions_missed"])
        self.assertEqual([r[0] for r in arows[1:]], [a["cadre_code"] for a in rep["absentees"]])
        if not rep["absentees_truncated"]:
            self.assertEqual(len(rep["absentees"]), rep["unexcused_absentees"], fig)

    # --- the query's filters ------------------------------------------------------

    def test_query_filter_values_and_statuses(self):
        """Target groups by code in any case or by label, unknown values refused, and the
        statuses the indicators leave out counted when a filter names them; expected counts
        from the generated CSV files (every organiser is under the city)."""
        with open(os.path.join(self.tmp, "classes.csv"), encoding="utf-8") as f:
            classes = list(csv.DictReader(f))
        with open(os.path.join(self.tmp, "enrolments.csv"), encoding="utf-8") as f:
            enrols = list(csv.DictReader(f))
        lo, hi = "2015-01-01", END1
        in_t1 = dict(((c["organiser_unit"], c["class_ref"]), c) for c in classes
                     if lo <= c["end_date"] <= hi)

        def total(*args):
            rows = self.json_of("query", "--term", T1, *args)
            self.assertEqual(len(rows), 1, args)
            return rows[0]["value"]

        key = sum(c["target_group"] == "KEY_CADRE" and c["status"] != "CANCELLED"
                  for c in in_t1.values())
        self.assertGreater(key, 0)
        for value in ("KEY_CADRE", "key_cadre", "cán bộ chủ chốt", "Cán Bộ Chủ Chốt",
                      "can bo chu chot"):
            self.assertEqual(total("--measure", "classes", "--filter", "target_group=" + value),
                             key, "target_group=" + value)
        rc, out, err = self.cli("query", "--measure", "classes", "--term", T1, "--filter",
                                "target_group=KEY_CADREX")
        self.assertEqual(rc, 3, err)
        self.assertIn("filters[0].value: KEY_CADREX is not a target group", err)

        cancelled = [k for k, c in in_t1.items() if c["status"] == "CANCELLED"]
        self.assertEqual(total("--measure", "classes", "--filter", "class_status=CANCELLED"),
                         len(cancelled), "the cancelled classes, counted when asked for")
        self.assertEqual(total("--measure", "classes", "--filter", "class_status=Đã hủy"),
                         len(cancelled), "the Vietnamese label of CANCELLED")
        withdrew = sum(e["status"] == "WITHDREW" for e in enrols
                       if (e["organiser_unit"], e["class_ref"]) in in_t1
                       and in_t1[(e["organiser_unit"], e["class_ref"])]["status"] != "CANCELLED")
        self.assertGreater(withdrew, 0)
        self.assertEqual(total("--measure", "enrolments", "--filter",
                               "enrolment_status=WITHDREW"), withdrew, "withdrawals")
        counted = sum(e["status"] != "WITHDREW" for e in enrols
                      if (e["organiser_unit"], e["class_ref"]) in in_t1
                      and in_t1[(e["organiser_unit"], e["class_ref"])]["status"] != "CANCELLED")
        self.assertEqual(total("--measure", "enrolments"), counted, "what the indicators count")
        self.assertEqual(self.show("enrolments", "--term", T1)["value"], counted)


if __name__ == "__main__":
    unittest.main(verbosity=2)
