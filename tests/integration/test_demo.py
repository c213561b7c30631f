"""test_demo.py - the demo data set (deploy/demo/gen_demo.py) through the real CLI and server.

The generator is run twice and must write byte-identical files; its files
are imported, in deploy/run.sh's order, into a fresh nhanlucd with
`nhanluc import` (every file exit 0, nothing rejected); then the article's
figures (DOMAIN.md section 7, deploy/demo/README.md) are read back through
`nhanluc class list`, `unit list/lineage` and `nhanluc export`, and
recomputed here from what the server returns: Tay Ho's 187 classes and over
22,000 enrolments, Hai Ba Trung's four classes, the 26 + 69 planning-source
classes of 30 units, the city's 2019 classes, the reorganisation of 1 Jul
2025, women in four district committees, Phuc Tho's grassroots committees,
and the city committee's pool. Last, the same imports run again change
nothing: every row unchanged, every export identical.

Run by CTest (label integration); skips when NHANLUC is unset.
"""

import csv
import io
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
TERM1 = ("2015-01-01", "2019-12-31")


def setUpModule():
    nlcli.require_nhanluc()


def pct(num, den):
    """Percent rounded half away from zero to one decimal (DOMAIN.md 4), as text."""
    q = Decimal(100 * num) / Decimal(den)
    return str(q.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def coef(num, den):
    q = Decimal(num) / Decimal(den)
    return str(q.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def generate(outdir):
    p = subprocess.run([PYTHON, GEN, outdir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("gen_demo.py exited %d: %s" % (p.returncode,
                                                           p.stderr.decode("utf-8", "replace")))


class DemoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nldemo-")
        cls.dir_a = os.path.join(cls.tmp, "a")
        cls.dir_b = os.path.join(cls.tmp, "b")
        generate(cls.dir_a)
        generate(cls.dir_b)
        cls.srv = nlserver.NlServer(log_level="info").start()
        cls.first = {}
        for kind in FILES:
            cls.first[kind] = cls.import_file(kind)
        cls._cache = {}

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
        """Runs the CLI with --output csv; returns (rc, stdout text, stderr text)."""
        return nlcli.run_cli(cls.srv.addr, "--output", "csv", *args, timeout=CLI_TIMEOUT_S)

    @classmethod
    def rows(cls, *args):
        """The CSV rows (dicts) that a successful CLI command prints."""
        rc, out, err = cls.cli(*args)
        if rc != 0:
            raise AssertionError("nhanluc %s exited %d: %s" % (" ".join(args), rc, err))
        return list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))

    @classmethod
    def import_file(cls, kind):
        path = os.path.join(cls.dir_a, kind + ".csv")
        got = cls.rows("import", path)
        if len(got) != 1:
            raise AssertionError("import %s printed %r" % (kind, got))
        return {k: got[0][k] for k in ("rows", "created", "updated", "unchanged", "rejected")}

    @classmethod
    def export(cls, kind, *args):
        key = (kind,) + args
        if key not in cls._cache:
            cls._cache[key] = cls.rows("export", kind, *args)
        return cls._cache[key]

    # --- the generator ---

    def test_generator_is_deterministic(self):
        names = sorted(os.listdir(self.dir_a))
        self.assertEqual(names, sorted(k + ".csv" for k in FILES))
        for name in names:
            with open(os.path.join(self.dir_a, name), "rb") as f:
                a = f.read()
            with open(os.path.join(self.dir_b, name), "rb") as f:
                b = f.read()
            self.assertEqual(a, b, "%s differs between two runs" % name)
            self.assertGreater(a.count(b"\n"), 1, "%s has no data rows" % name)

    def test_first_import_writes_every_row(self):
        for kind in FILES:
            s = self.first[kind]
            with self.subTest(kind=kind):
                self.assertEqual(s["rejected"], "0")
                self.assertGreater(int(s["rows"]), 0)
                if kind == "targets":
                    # the server seeds the article's five targets: importing them is a replay
                    self.assertEqual((s["created"], s["updated"], s["unchanged"]),
                                     ("0", "0", s["rows"]), s)
                    continue
                # a fresh database: every row is new or a later version of an earlier row
                self.assertEqual(int(s["created"]) + int(s["updated"]), int(s["rows"]), s)

    # --- the article's figures ---

    def classes_term1(self, unit=None):
        args = ["class", "list", "--term", "2015-2020"] + (["--unit", unit] if unit else [])
        return self.rows(*args)

    def enrolments_of(self, classes):
        """Counted enrolment rows (not WITHDREW) of the given class rows."""
        keys = set((c["organiser_unit"], c["class_ref"]) for c in classes
                   if c["status"] != "CANCELLED")
        return [e for e in self.export("enrolments")
                if (e["organiser_unit"], e["class_ref"]) in keys and e["status"] != "WITHDREW"]

    def test_tay_ho_187_classes_over_22000_enrolments(self):
        cl = self.classes_term1("tay-ho")
        self.assertEqual(len(cl), 187)
        self.assertTrue(all(TERM1[0] <= c["end_date"] <= TERM1[1] for c in cl))
        # later classes exist and are not counted in the term
        self.assertGreater(len(self.rows("class", "list", "--unit", "tay-ho")), 187)
        en = self.enrolments_of(cl)
        self.assertGreater(len(en), 22000)
        self.assertLess(len(set(e["cadre_code"] for e in en)), len(en))  # trainees != enrolments

    def test_hai_ba_trung_four_classes(self):
        cl = self.classes_term1("hai-ba-trung")
        sizes = dict((c["target_group"], int(c["enrolments"])) for c in cl)
        self.assertEqual(len(cl), 4)
        self.assertEqual(sizes, {"PLANNING_COMMITTEE": 80, "PLANNING_SECRETARY": 89,
                                 "PLANNING_DEPT_HEAD": 116, "PLANNING_COUNCIL_CHAIR": 87})

    def test_planning_source_classes_of_30_units(self):
        cl = [c for c in self.classes_term1() if c["organiser_unit"] != "ha-noi"]
        committee = [c for c in cl if c["target_group"] == "PLANNING_COMMITTEE"]
        titles = [c for c in cl if c["target_group"] in ("PLANNING_DEPT_HEAD",
                                                         "PLANNING_SECRETARY")]
        self.assertEqual(len(committee), 26)
        self.assertEqual(len(set(e["cadre_code"] for e in self.enrolments_of(committee))), 2542)
        self.assertEqual(len(titles), 69)
        self.assertEqual(len(set(e["cadre_code"] for e in self.enrolments_of(titles))), 8122)
        units = set(c["organiser_unit"] for c in committee + titles)
        self.assertEqual(len(units), 30)
        kinds = dict((u["code"], u["kind"]) for u in self.export("units"))
        self.assertEqual(sum(1 for u in units if kinds[u] == "AFFILIATED_COMMITTEE"), 5)

    def test_city_2019_classes(self):
        cl = [c for c in self.rows("class", "list", "--unit", "ha-noi", "--year", "2019")
              if c["organiser_unit"] == "ha-noi"]
        by_group = dict((c["target_group"], c) for c in cl)
        self.assertEqual(int(by_group["PLANNING_SECRETARY"]["enrolments"]), 86)
        self.assertEqual(by_group["PLANNING_SECRETARY"]["planning_term"], "2020-2025")
        self.assertEqual(int(by_group["PLANNING_DIRECTOR"]["enrolments"]), 84)
        self.assertEqual(by_group["PLANNING_DIRECTOR"]["planning_term"], "2021-2026")
        english = [c for c in cl if c["area"] == "FOREIGN_LANGUAGE"]
        self.assertEqual(len(english), 2)
        self.assertEqual(len(set(e["cadre_code"] for e in self.enrolments_of(english))), 40)

    def test_reorganisation_of_2025(self):
        before = set(u["code"] for u in self.rows("unit", "list", "--as-of", "2025-06-30"))
        after = dict((u["code"], u) for u in self.rows("unit", "list", "--as-of", "2025-07-01"))
        self.assertIn("thanh-tri", before)
        self.assertNotIn("thanh-tri", after)
        old_tt = self.rows("unit", "list", "--parent", "thanh-tri", "--as-of", "2024-12-31")
        self.assertEqual(len(old_tt), 16)
        new_tt = ["xa-thanh-tri", "xa-tan-trieu", "xa-dai-thanh", "xa-ngoc-hoi", "xa-nam-phu"]
        for code in new_tt:
            self.assertEqual(after[code]["parent"], "ha-noi")
            self.assertEqual(after[code]["kind"], "COMMUNE")
        # no district-level unit after 1 Jul 2025
        self.assertFalse([c for c, u in after.items()
                          if u["kind"] in ("URBAN_DISTRICT", "RURAL_DISTRICT", "TOWN")])
        # lineage: the 5 new communes descend from exactly Thanh Tri's 16 old ones
        back = []
        for code in new_tt:
            preds = self.rows("unit", "lineage", code, "--back")
            self.assertTrue(preds, code)
            back += [p["code"] for p in preds]
        self.assertEqual(sorted(back), sorted(u["code"] for u in old_tt))
        fwd = self.rows("unit", "lineage", "thanh-tri-van-dien")
        self.assertEqual([p["code"] for p in fwd], ["xa-thanh-tri"])
        # and Ha Dong's 15 wards -> 5 wards: the successors of the old wards
        old_hd = self.rows("unit", "list", "--parent", "ha-dong", "--as-of", "2024-12-31")
        self.assertEqual(len(old_hd), 15)
        succ = set()
        for u in old_hd:
            succ.update(p["code"] for p in self.rows("unit", "lineage", u["code"]))
        self.assertEqual(sorted(succ), ["phuong-duong-noi", "phuong-ha-dong", "phuong-kien-hung",
                                        "phuong-phu-luong", "phuong-yen-nghia"])
        self.assertTrue(all(after[c]["kind"] == "WARD" for c in succ))

    def profiles(self):
        """cadre_code -> (sex, [(as_of, row)] oldest first) from `export cadres`."""
        if "profiles" not in self._cache:
            out = {}
            for r in self.export("cadres"):
                out.setdefault(r["cadre_code"], (r["sex"], []))[1].append((r["as_of"], r))
            for _sex, vers in out.values():
                vers.sort(key=lambda v: v[0])
            self._cache["profiles"] = out
        return self._cache["profiles"]

    def at(self, code, d):
        vers = [r for as_of, r in self.profiles()[code][1] if as_of <= d]
        return vers[-1]

    def members(self, units, term, d):
        return [m for m in self.export("committee")
                if m["unit"] in units and m["term"] == term and m["body"] == "COMMITTEE" and
                m["start_date"] <= d and (m["end_date"] == "" or m["end_date"] > d)]

    def test_women_in_district_committees(self):
        want = {"thanh-xuan": "42.2", "cau-giay": "32.7", "thanh-tri": "29.1",
                "dan-phuong": "23.4"}
        for unit, share in want.items():
            mem = self.members([unit], "2020-2025", "2024-12-31")
            women = sum(1 for m in mem if self.profiles()[m["cadre_code"]][0] == "FEMALE")
            self.assertEqual(pct(women, len(mem)), share, unit)

    def test_phuc_tho_grassroots_university(self):
        communes = [u["code"] for u in self.rows("unit", "list", "--parent", "phuc-tho",
                                                 "--as-of", "2019-12-31")]
        shares = []
        for term, d in (("2015-2020", "2019-12-31"), ("2020-2025", "2024-12-31")):
            mem = self.members(communes, term, d)
            uni = sum(1 for m in mem if self.at(m["cadre_code"], d)["education"] in
                      ("UNIVERSITY", "MASTER", "DOCTOR"))
            shares.append(Fraction(100 * uni, len(mem)))
        self.assertEqual(pct(shares[1].numerator, shares[1].denominator * 100), "94.0")
        diff = shares[1] - shares[0]
        self.assertEqual(pct(diff.numerator, diff.denominator * 100), "27.6")

    def test_city_committee_pool(self):
        seats = dict((s["term"], int(s["seats"])) for s in self.export("seats")
                     if s["unit"] == "ha-noi" and s["body_or_title"] == "COMMITTEE")
        want = {"2015-2020": ("1.49", "48.2", "92.9"), "2020-2025": ("1.98", "73.2", "93.3")}
        for term, d in (("2015-2020", "2019-12-31"), ("2020-2025", "2024-12-31")):
            pool = sorted(set(p["cadre_code"] for p in self.export("planning")
                              if p["unit"] == "ha-noi" and p["term"] == term and
                              p["body_or_title"] == "COMMITTEE" and p["added_on"] <= d and
                              (p["removed_on"] == "" or p["removed_on"] > d)))
            masters = sum(1 for c in pool if self.at(c, d)["education"] in ("MASTER", "DOCTOR"))
            adv = sum(1 for c in pool if self.at(c, d)["political_theory"] in ("ADVANCED",
                                                                              "BACHELOR"))
            got = (coef(len(pool), seats[term]), pct(masters, len(pool)), pct(adv, len(pool)))
            self.assertEqual(got, want[term], term)

    # --- idempotency: last, since it re-imports (named to sort last) ---

    def test_z_rerun_changes_nothing(self):
        kinds = list(FILES)
        before = dict((k, self.rows("export", k)) for k in kinds)
        for kind in FILES:
            s = self.import_file(kind)
            with self.subTest(kind=kind):
                self.assertEqual((s["created"], s["updated"], s["rejected"]), ("0", "0", "0"), s)
                self.assertEqual(s["unchanged"], s["rows"])
        for k in kinds:
            self.assertEqual(self.rows("export", k), before[k], k)


if __name__ == "__main__":
    unittest.main(verbosity=2)
