#!/usr/bin/python3
"""gen_city.py - the data set of tests/bench/indicators.sh: a city at scale.

Usage: gen_city.py DB   (DB: a database that nhanlucd created, empty, at schema version 5 or later)

Fills DB in place, directly with SQL (never through the server: 2,000,000
enrolments through SubmitClass would take minutes), with:

- 130 units: the city `bench-city`; 26 district-level units (urban
  districts, rural districts, one town) `dist-01..26`; 4 affiliated
  committees `aff-1..4`; 98 wards, communes and townships under the
  districts; and `dist-01-hop-nhat`, the ward that three wards of dist-01
  MERGE into on 2022-07-01 (mid-term, so a 2020-2025 flow crosses it:
  the sources close on 2022-06-30, their later classes are the target's,
  their cadres get a profile version in the target);
- the party-congress terms 2015-2020, 2020-2025, 2025-2030 and the
  people's-council terms 2016-2021, 2021-2026, with term instances for the
  city and the district-level units;
- 200,000 cadres, each with one profile version, about a quarter with two
  (a later education or theory level, a move); about 1 % CITY_STANDING,
  4 % DISTRICT_STANDING; 4 key cadres per ward, commune and township;
- classes of 35 to 65 trainees organised by every kind of unit, their end
  dates spread over 2015-01-01..2024-12-31 (the windows of the two terms),
  about 2 % CANCELLED, until the enrolments total exactly 2,000,000; about
  2 % of the enrolments WITHDREW, 3 % FAILED;
- committee memberships (COMMITTEE and STANDING_COMMITTEE) of every unit for
  both terms (60 % re-elected; the merged wards' end on 2022-06-30 and the
  new ward's begin on 2022-07-01); seats and planning entries (the
  COMMITTEE pool and titles, a few over the 3-per-title rule)
  for the city, the district-level units and the affiliated committees;
- reviews of 10 % of the cadres per year 2015..2024 (of those with a profile
  on 31 Dec of the year, which gives the review its unit), and the annual reports
  of every unit but the city for 2015..2024 (most on time, some late, some
  missing, DRAFT or RETURNED).

Deterministic: one random.Random(SEED), lists only, fixed dates and fixed
created_at/updated_at; two runs give the same rows. Loads fast: executemany
in large transactions with synchronous=OFF (journal_mode stays WAL, as the
server wants). Column and enum values are those of server/store.c's
migrations and records.proto / registry.proto. Prints a summary line per
table and checks the foreign keys at the end (exit 1 on a violation).
"""

import datetime
import random
import sqlite3
import sys
import time

SEED = 20251130
CITY = "bench-city"
STAMP = "2025-01-01T00:00:00.000Z"
SINCE = "0001-01-01"
MERGE_DAY = "2022-07-01"
MERGE_PREV = "2022-06-30"
MERGE_BASIS = "Nghị quyết sắp xếp đơn vị hành chính cấp xã (benchmark)"

N_CADRES = 200_000
N_ENROLMENTS = 2_000_000
N_DISTRICTS = 26       # 10 urban, 15 rural, 1 town
N_AFFILIATED = 4
N_LOCAL = 98           # wards, communes, townships under the districts
KEY_PER_LOCAL = 4

# registry.proto UnitKind, TermKind
CITY_K, URBAN, RURAL, TOWN, AFFIL, WARD, COMMUNE, TOWNSHIP = range(1, 9)
# records.proto
MALE, FEMALE = 1, 2
LEVEL_CITY, LEVEL_DISTRICT, LEVEL_COMMUNE = 1, 2, 3
CITY_STANDING, DISTRICT_STANDING, OTHER = 1, 2, 3
DEGREE, UPGRADE, BRIEFING = 1, 2, 3
ENDED, CANCELLED = 3, 4
ENROLLED, COMPLETED, FAILED, WITHDREW = 1, 2, 3, 4
RES_EXCELLENT, RES_VERY_GOOD, RES_GOOD, RES_AVERAGE, RES_FAIL = 1, 2, 3, 4, 5
BODY_COMMITTEE, BODY_STANDING = 1, 2
ROLE_SECRETARY, ROLE_DEPUTY, ROLE_STANDING, ROLE_MEMBER = 1, 2, 3, 4
# BodyOrTitle
BT_COMMITTEE, BT_STANDING, BT_SECRETARY, BT_DEPUTY, BT_CHAIR_PC, BT_CHAIR_PCOM, BT_VICE, \
    BT_DEPT_HEAD, BT_DEPT_DEPUTY, BT_DIRECTOR = range(1, 11)
DRAFT, SUBMITTED, RETURNED, APPROVED = 1, 2, 3, 4

# (code, kind, start_year, end_year, first day of the congress, last day)
TERMS = [("2015-2020", 1, 2015, 2020), ("2020-2025", 1, 2020, 2025), ("2025-2030", 1, 2025, 2030),
         ("2016-2021", 2, 2016, 2021), ("2021-2026", 2, 2021, 2026)]
# Party terms of the memberships and the pools: (term id, congress day, last day or None)
PARTY_TERMS = [(1, "2015-10-15", "2020-10-14"), (2, "2020-10-15", None)]

DAY0 = datetime.date(2015, 1, 1)
NDAYS = (datetime.date(2024, 12, 31) - DAY0).days + 1


def iso(d):
    return d.isoformat()


def prev_day(s):
    return iso(datetime.date.fromisoformat(s) - datetime.timedelta(days=1))


class City:
    def __init__(self, db):
        self.db = db
        self.rng = random.Random(SEED)
        self.units = []          # dicts: id, code, name, kind, parent (id), valid_from, valid_to
        self.by_code = {}
        self.children = {}       # unit id -> [child ids] (the tree before the merge)
        self.merge_sources = []  # unit ids
        self.merge_target = None
        self.cadre_unit = []     # index = cadre id - 1: home unit id of version 1
        self.unit_cadres = {}    # unit id -> [cadre ids] (version-1 home)

    # --- units and terms ---

    def add_unit(self, code, name, kind, parent, valid_from=SINCE, valid_to=None):
        u = {"id": len(self.units) + 1, "code": code, "name": name, "kind": kind,
             "parent": parent, "from": valid_from, "to": valid_to}
        self.units.append(u)
        self.by_code[code] = u
        self.children.setdefault(u["id"], [])
        if parent is not None:
            self.children[parent].append(u["id"])
        return u["id"]

    def build_units(self):
        city = self.add_unit(CITY, "Thành phố Benchmark", CITY_K, None)
        districts = []
        for i in range(1, N_DISTRICTS + 1):
            kind = URBAN if i <= 10 else (RURAL if i <= 25 else TOWN)
            word = {URBAN: "Quận", RURAL: "Huyện", TOWN: "Thị xã"}[kind]
            districts.append(self.add_unit("dist-%02d" % i, "%s %02d" % (word, i), kind, city))
        for i in range(1, N_AFFILIATED + 1):
            self.add_unit("aff-%d" % i, "Đảng bộ Khối %d" % i, AFFIL, city)
        # 98 local units: 4 under each of the first 20 districts, 3 under the other 6.
        for n, d in enumerate(districts):
            dcode = self.units[d - 1]["code"]
            dkind = self.units[d - 1]["kind"]
            for j in range(1, (4 if n < 20 else 3) + 1):
                if dkind == URBAN:
                    kind = WARD
                elif dkind == RURAL:
                    kind = TOWNSHIP if j == 1 else COMMUNE
                else:
                    kind = WARD if j <= 2 else COMMUNE
                word = {WARD: "Phường", COMMUNE: "Xã", TOWNSHIP: "Thị trấn"}[kind]
                self.add_unit("%s-%d" % (dcode, j), "%s %s-%d" % (word, dcode, j), kind, d)
        assert len(self.units) == 1 + N_DISTRICTS + N_AFFILIATED + N_LOCAL
        # The merge: wards 1..3 of dist-01 into a new ward of dist-01.
        self.merge_sources = [self.by_code["dist-01-%d" % j]["id"] for j in (1, 2, 3)]
        for s in self.merge_sources:
            self.units[s - 1]["to"] = MERGE_PREV
        self.merge_target = self.add_unit("dist-01-hop-nhat", "Phường Hợp Nhất", WARD,
                                          districts[0], MERGE_DAY)
        assert len(self.units) == 130
        self.city = city
        self.districts = districts
        self.affiliated = [u["id"] for u in self.units if u["kind"] == AFFIL]
        self.locals = [u["id"] for u in self.units if u["kind"] in (WARD, COMMUNE, TOWNSHIP)]

        c = self.db.cursor()
        c.executemany("INSERT INTO unit(id, code, created_at) VALUES (?, ?, ?)",
                      [(u["id"], u["code"], STAMP) for u in self.units])
        c.executemany("INSERT INTO unit_version(id, unit_id, name, kind, parent_id, valid_from,"
                      " valid_to, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      [(u["id"], u["id"], u["name"], u["kind"], u["parent"], u["from"], u["to"],
                        STAMP, STAMP) for u in self.units])
        srcs = sorted(self.units[s - 1]["code"] for s in self.merge_sources)
        key = "MERGE|%s|%s|%s" % (MERGE_DAY, ",".join(srcs), "dist-01-hop-nhat")
        c.execute("INSERT INTO unit_event(id, kind, effective_date, legal_basis, event_key,"
                  " created_at) VALUES (1, 1, ?, ?, ?, ?)", (MERGE_DAY, MERGE_BASIS, key, STAMP))
        c.executemany("INSERT INTO unit_event_unit(event_id, role, unit_id) VALUES (1, ?, ?)",
                      [(1, s) for s in self.merge_sources] + [(2, self.merge_target)])
        c.executemany("INSERT INTO term(id, code, kind, start_year, end_year, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      [(i + 1, t[0], t[1], t[2], t[3], STAMP) for i, t in enumerate(TERMS)])
        ti = []
        for n, u in enumerate([city] + districts):
            m = 5 + n % 3
            ti.append((1, u, "2015-%02d-%02d" % (m, 5 + n % 20),
                       "2020-%02d-%02d" % (m, 4 + n % 20)))
            ti.append((2, u, "2020-%02d-%02d" % (m, 5 + n % 20), "2025-06-30"))
        c.executemany("INSERT INTO term_instance(term_id, unit_id, start_date, end_date)"
                      " VALUES (?, ?, ?, ?)", ti)

    def level_of(self, unit):
        k = self.units[unit - 1]["kind"]
        if k in (CITY_K, AFFIL):
            return LEVEL_CITY
        return LEVEL_DISTRICT if k in (URBAN, RURAL, TOWN) else LEVEL_COMMUNE

    def subtree(self, unit):
        """Unit ids of `unit` and everything under it (the tree before the merge, plus the
        merge target under dist-01)."""
        out, todo = [], [unit]
        while todo:
            u = todo.pop()
            out.append(u)
            todo.extend(self.children[u])
        return out

    # --- cadres and their profiles ---

    def build_cadres(self):
        rng = self.rng
        homes, weights = [], []
        homes.append(self.city)
        weights.append(4000)
        for d in self.districts:
            homes.append(d)
            weights.append(1900)
        for a in self.affiliated:
            homes.append(a)
            weights.append(10000)
        for w in self.locals:
            if w == self.merge_target:
                continue
            homes.append(w)
            weights.append(1100)
        cum, t = [], 0
        for w in weights:
            t += w
            cum.append(t)
        self.cadre_unit = rng.choices(homes, cum_weights=cum, k=N_CADRES)
        for cid, u in enumerate(self.cadre_unit, 1):
            self.unit_cadres.setdefault(u, []).append(cid)
        self.unit_cadres.setdefault(self.merge_target, [])

        # Key cadres: 4 per local unit; CITY_STANDING about 1 % (from the city, district and
        # affiliated apparatus), DISTRICT_STANDING about 4 %.
        key = bytearray(N_CADRES + 1)
        for w in self.locals:
            for cid in self.unit_cadres[w][:KEY_PER_LOCAL]:
                key[cid] = 1
        upper = [cid for cid in range(1, N_CADRES + 1)
                 if self.level_of(self.cadre_unit[cid - 1]) != LEVEL_COMMUNE]
        standing = rng.sample(upper, N_CADRES // 100)
        mgmt = bytearray([OTHER]) * (N_CADRES + 1)
        for cid in standing:
            mgmt[cid] = CITY_STANDING
        for cid in rng.sample(range(1, N_CADRES + 1), N_CADRES * 4 // 100):
            if mgmt[cid] == OTHER:
                mgmt[cid] = DISTRICT_STANDING
        self.key = key
        self.mgmt = mgmt

        cadres, profiles = [], []
        self.first_from = [""] * (N_CADRES + 1)  # valid_from of each cadre's first version
        self.sex = bytearray(N_CADRES + 1)
        self.edu = bytearray(N_CADRES + 1)   # education of the latest version
        titles = ["Chuyên viên", "Phó phòng", "Trưởng phòng", "Bí thư", "Chủ tịch"]
        merge_src = set(self.merge_sources)
        pid = 0
        for cid in range(1, N_CADRES + 1):
            r = rng.random
            sex = FEMALE if r() < 0.42 else MALE
            self.sex[cid] = sex
            cadres.append((cid, "C%06d" % cid, "", sex, 1960 + int(r() * 38), STAMP, STAMP))
            unit = self.cadre_unit[cid - 1]
            cat = mgmt[cid]
            x = r()
            if cat == CITY_STANDING:
                edu = 4 if x < 0.08 else (3 if x < 0.42 else 2)
                theory = 5 if r() < 0.1 else (4 if r() < 0.93 else 3)
            else:
                edu = 1 if x < 0.15 else (2 if x < 0.75 else (3 if x < 0.97 else 4))
                y = r()
                if key[cid]:
                    theory = 2 if y < 0.06 else (3 if y < 0.8 else 4)
                    if self.units[unit - 1]["kind"] == COMMUNE and edu == 1 and r() < 0.5:
                        edu = 2
                    elif self.units[unit - 1]["kind"] in (WARD, TOWNSHIP) and edu == 1:
                        edu = 2 if r() < 0.9 else 1
                else:
                    theory = 1 if y < 0.2 else (2 if y < 0.4 else (3 if y < 0.75 else
                                                                   (4 if y < 0.97 else 5)))
            state = 1 + int(r() * 4)
            vfrom = "2014-01-01" if r() < 0.85 else iso(DAY0 + datetime.timedelta(
                days=int(r() * (NDAYS - 400))))
            title = titles[int(r() * len(titles))]
            level = self.level_of(unit)
            v1 = [cid, vfrom, None, unit, title, key[cid], level, cat, edu, theory, state]
            second = None
            if unit in merge_src:
                # The merge moves every cadre of a source ward into the new ward; one key
                # cadre in three stays key there.
                nkey = 1 if key[cid] and cid % 3 == 0 else 0
                second = [cid, MERGE_DAY, None, self.merge_target, title, nkey, level, cat, edu,
                          theory, state]
                if vfrom >= MERGE_DAY:
                    v1[1] = "2014-01-01"
            elif r() < 0.25:
                d = DAY0 + datetime.timedelta(days=1095 + int(r() * (NDAYS - 1095)))
                sfrom = iso(d)
                if sfrom > vfrom:
                    nedu = edu + 1 if edu < 4 and r() < 0.5 else edu
                    ntheory = theory + 1 if theory < 4 and r() < 0.4 else theory
                    nunit = unit
                    if r() < 0.1 and not key[cid]:
                        nunit = homes[int(r() * len(homes))]
                        if nunit in merge_src:
                            nunit = self.merge_target if sfrom >= MERGE_DAY else unit
                    second = [cid, sfrom, None, nunit, title, key[cid], self.level_of(nunit), cat,
                              nedu, ntheory, state]
            if second is not None:
                v1[2] = prev_day(second[1])
                self.edu[cid] = second[8]
            else:
                self.edu[cid] = edu
            self.first_from[cid] = v1[1]
            pid += 1
            profiles.append(tuple([pid] + v1 + [STAMP, STAMP]))
            if second is not None:
                pid += 1
                profiles.append(tuple([pid] + second + [STAMP, STAMP]))
        c = self.db.cursor()
        c.executemany("INSERT INTO cadre(id, cadre_code, full_name, sex, birth_year, created_at,"
                      " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", cadres)
        c.executemany("INSERT INTO cadre_profile(id, cadre_id, valid_from, valid_to, unit_id,"
                      " position_title, key_cadre, level, mgmt_category, education,"
                      " political_theory, state_mgmt, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", profiles)
        self.n_profiles = len(profiles)

    # --- classes and enrolments ---

    def build_classes(self):
        rng = self.rng
        # Organisers and their weights: the city, every district-level unit, the affiliated
        # committees and the local units (the merge target only through its sources' dates).
        org, w = [self.city], [5.0]
        org += self.districts
        w += [45.0 / len(self.districts)] * len(self.districts)
        org += self.affiliated
        w += [15.0 / len(self.affiliated)] * len(self.affiliated)
        locs = [u for u in self.locals if u != self.merge_target]
        org += locs
        w += [35.0 / len(locs)] * len(locs)
        cum, t = [], 0.0
        for x in w:
            t += x
            cum.append(t)
        # Trainee pools: the cadres of each organiser's subtree (version-1 homes).
        pools = {}
        for u in org + [self.merge_target]:
            if u == self.merge_target:
                members = [c for s in self.merge_sources for c in self.unit_cadres[s]]
            else:
                members = [c for x in self.subtree(u) for c in self.unit_cadres.get(x, [])]
            pools[u] = members
        merge_src = set(self.merge_sources)
        areas = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        area_cum = [20, 35, 50, 75, 80, 85, 92, 96, 100]

        c = self.db.cursor()
        ins_class = ("INSERT INTO class(id, organiser_unit_id, class_ref, title, kind, area,"
                     " target_group_id, planning_term_id, mode, start_date, end_date, sessions,"
                     " planned_trainees, status, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        ins_enrol = ("INSERT INTO enrolment(id, class_id, cadre_id, status, result, attended,"
                     " absent_excused, absent_unexcused, thesis_score, certificate_no,"
                     " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        classes, enrols = [], []
        total = 0
        cid = 0
        eid = 0
        self.n_cancelled = 0
        while total < N_ENROLMENTS:
            r = rng.random
            cid += 1
            size = min(35 + int(r() * 31), N_ENROLMENTS - total)
            end = DAY0 + datetime.timedelta(days=int(r() * NDAYS))
            start = end - datetime.timedelta(days=1 + int(r() * 60))
            if start < datetime.date(2014, 12, 1):
                start = datetime.date(2014, 12, 1)
            org_u = rng.choices(org, cum_weights=cum)[0]
            end_s, start_s = iso(end), iso(start)
            if org_u in merge_src and end_s >= MERGE_DAY:
                org_u = self.merge_target
                if start_s < MERGE_DAY:
                    start_s = MERGE_DAY
            elif org_u in merge_src and start_s < MERGE_DAY < end_s:
                end_s = MERGE_PREV
            x = r()
            kind = DEGREE if x < 0.05 else (UPGRADE if x < 0.8 else BRIEFING)
            area = rng.choices(areas, cum_weights=area_cum)[0]
            x = r()
            if x < 0.12:
                group = 1 + int(r() * 5)  # a planning source: PLANNING_COMMITTEE..DIRECTOR
                pterm = 2 if end_s < "2020-01-01" else 3
            else:
                group = 6 + int(r() * 3)  # KEY_CADRE, CIVIL_SERVANT, PARTY_MEMBER
                pterm = None
            status = CANCELLED if r() < 0.02 else ENDED
            self.n_cancelled += status == CANCELLED
            sessions = 4 + int(r() * 27)
            planned = max(0, size + int(r() * 16) - 5)
            classes.append((cid, org_u, "L%d-%06d" % (end.year, cid),
                            "Lớp bồi dưỡng số %d" % cid, kind, area, group, pterm,
                            1 + int(r() * 3), start_s, end_s, sessions, planned, status, STAMP,
                            STAMP))
            pool = pools[org_u]
            if size > len(pool):
                size = len(pool)
            for cadre in sorted(rng.sample(pool, size)):
                eid += 1
                y = r()
                if y < 0.02:
                    st, res = WITHDREW, None
                    attended = int(r() * sessions / 2)
                    exc, unexc = 0, 0
                else:
                    if y < 0.05:
                        st, res = FAILED, RES_FAIL
                    elif y < 0.06:
                        st, res = ENROLLED, None
                    else:
                        st = COMPLETED
                        z = r()
                        res = (RES_EXCELLENT if z < 0.1 else RES_VERY_GOOD if z < 0.4
                               else RES_GOOD if z < 0.85 else RES_AVERAGE)
                    z = r()
                    unexc = 1 + int(z * 100) % 2 if z < 0.03 else 0
                    exc = int(z * 1000) % 3 if z < 0.3 else 0
                    if exc + unexc > sessions:
                        exc, unexc = 0, 0
                    attended = sessions - exc - unexc
                score = round(5 + r() * 5, 1) if st == COMPLETED and kind == DEGREE else None
                enrols.append((eid, cid, cadre, st, res, attended, exc, unexc, score, "",
                               STAMP, STAMP))
            total += size
            if len(enrols) >= 200_000:
                c.executemany(ins_class, classes)
                c.executemany(ins_enrol, enrols)
                classes, enrols = [], []
        c.executemany(ins_class, classes)
        c.executemany(ins_enrol, enrols)
        self.n_classes, self.n_enrolments = cid, eid

    # --- party bodies, seats, planning ---

    def pick(self, unit, n, exclude=()):
        """n distinct cadres of `unit` (of its subtree if it has too few), none in exclude."""
        if unit == self.merge_target:
            own = [c for s in self.merge_sources for c in self.unit_cadres[s]]
        else:
            own = self.unit_cadres.get(unit, [])
        pool = [c for c in own if c not in exclude]
        if len(pool) < n:
            pool = [c for x in self.subtree(unit) for c in self.unit_cadres.get(x, [])
                    if c not in exclude]
        return self.rng.sample(pool, min(n, len(pool)))

    def build_party(self):
        rng = self.rng
        rows, seats, plan = [], [], []
        bodies = [(self.city, 83, 15)]
        bodies += [(d, 40 + rng.randrange(16), 13) for d in self.districts]
        bodies += [(a, 35 + rng.randrange(11), 11) for a in self.affiliated]
        bodies += [(w, 13 + rng.randrange(6), 5) for w in self.locals]
        mid = 0
        for unit, size, standing in bodies:
            prev = []
            for term, first, last in PARTY_TERMS:
                start, end = first, last
                if unit in self.merge_sources and term == 2:
                    end = MERGE_PREV
                if unit == self.merge_target:
                    if term == 1:
                        continue
                    start = MERGE_DAY
                keep = prev[:int(len(prev) * 0.6)]
                members = keep + self.pick(unit, size - len(keep), exclude=set(keep))
                prev = members
                for i, cadre in enumerate(members):
                    role = (ROLE_SECRETARY if i == 0 else ROLE_DEPUTY if i < 3
                            else ROLE_STANDING if i < standing else ROLE_MEMBER)
                    mid += 1
                    rows.append((mid, cadre, unit, term, BODY_COMMITTEE, role, start, end,
                                 STAMP, STAMP))
                    if i < standing:
                        mid += 1
                        rows.append((mid, cadre, unit, term, BODY_STANDING, role, start, end,
                                     STAMP, STAMP))
            # Seats and planning: the city, the district-level and affiliated units.
            if self.units[unit - 1]["kind"] not in (CITY_K, URBAN, RURAL, TOWN, AFFIL):
                continue
            for term, first, _last in PARTY_TERMS:
                quota = [(BT_COMMITTEE, size), (BT_STANDING, standing), (BT_SECRETARY, 1),
                         (BT_DEPUTY, 2), (BT_CHAIR_PC, 1), (BT_CHAIR_PCOM, 1), (BT_VICE, 3),
                         (BT_DEPT_HEAD, 12), (BT_DEPT_DEPUTY, 20)]
                if unit == self.city:
                    quota.append((BT_DIRECTOR, 30))
                y0 = int(first[:4]) - 1
                for bt, n in quota:
                    seats.append((unit, term, bt, n, STAMP))
                    if bt == BT_COMMITTEE:
                        k = int(n * (1.4 + rng.random() * 0.6))
                    elif bt in (BT_STANDING, BT_DEPT_DEPUTY):
                        continue
                    else:
                        k = n * (2 + rng.randrange(2))
                        if rng.random() < 0.1:
                            k = n * 3 + 1  # one title over the 3-candidate rule
                    for cadre in self.pick(unit, k):
                        added = "%d-%02d-%02d" % (y0 + rng.randrange(2), 1 + rng.randrange(12),
                                                  1 + rng.randrange(28))
                        removed = None
                        if rng.random() < 0.08:
                            removed = "%d-06-30" % (y0 + 3)
                        plan.append((cadre, unit, term, bt, added, removed, STAMP, STAMP))
        c = self.db.cursor()
        c.executemany("INSERT INTO committee_membership(id, cadre_id, unit_id, term_id, body,"
                      " role, start_date, end_date, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        c.executemany("INSERT INTO seat_quota(unit_id, term_id, body_or_title, seats, updated_at)"
                      " VALUES (?, ?, ?, ?, ?)", seats)
        c.executemany("INSERT OR IGNORE INTO planning_entry(cadre_id, unit_id, term_id,"
                      " body_or_title, added_on, removed_on, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", plan)
        self.n_members, self.n_seats = len(rows), len(seats)
        self.n_planning = c.execute("SELECT count(*) FROM planning_entry").fetchone()[0]

    # --- reviews and reports ---

    def build_reviews_reports(self):
        rng = self.rng
        reviews = []
        for year in range(2015, 2025):
            end = "%d-12-31" % year
            for cadre in sorted(rng.sample(range(1, N_CADRES + 1), N_CADRES // 10)):
                if self.first_from[cadre] > end:
                    continue  # not a cadre yet on 31 Dec: no unit to review them in
                x = rng.random()
                rating = 1 if x < 0.2 else (2 if x < 0.75 else (3 if x < 0.97 else 4))
                y = rng.random()
                action = (1 if y < 0.82 else 2 if y < 0.88 else 3 if y < 0.93 else
                          4 if y < 0.94 else 5 if y < 0.96 else 6)
                reviews.append((cadre, year, rating, 0 if rating == 4 else 1, action, "",
                                STAMP, STAMP))
        reports = []
        for year in range(2015, 2025):
            end = "%d-12-31" % year
            for u in self.units:
                if u["kind"] == CITY_K or u["from"] > end or (u["to"] and u["to"] < end):
                    continue
                x = rng.random()
                if x < 0.04:
                    continue  # never started
                if x < 0.07:
                    reports.append((u["id"], year, DRAFT, None, None, "", STAMP))
                    continue
                if x < 0.09:
                    reports.append((u["id"], year, RETURNED, "%d-01-20T08:00:00Z" % (year + 1),
                                    None, "thiếu số liệu", STAMP))
                    continue
                late = rng.random() < 0.1
                sub = "%d-%02d-%02dT09:30:00Z" % (year + 1, 2 if late else 1,
                                                   1 + rng.randrange(28))
                if rng.random() < 0.6:
                    reports.append((u["id"], year, APPROVED, sub,
                                    "%d-03-15T10:00:00Z" % (year + 1), "", STAMP))
                else:
                    reports.append((u["id"], year, SUBMITTED, sub, None, "", STAMP))
        c = self.db.cursor()
        c.executemany("INSERT INTO review(cadre_id, year, annual_rating, meets_requirements,"
                      " action, decision_ref, created_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", reviews)
        c.executemany("INSERT INTO report(unit_id, year, status, submitted_at, approved_at,"
                      " return_reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", reports)
        self.n_reviews, self.n_reports = len(reviews), len(reports)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    t0 = time.monotonic()
    db = sqlite3.connect(argv[1], isolation_level=None)
    v = db.execute("PRAGMA user_version").fetchone()[0]
    if v < 5:
        sys.stderr.write("gen_city: %s is at schema version %d, need 5 or later\n" % (argv[1], v))
        return 2
    if db.execute("SELECT count(*) FROM unit").fetchone()[0] != 0:
        sys.stderr.write("gen_city: %s is not empty\n" % argv[1])
        return 2
    groups = db.execute("SELECT code FROM target_group ORDER BY id").fetchall()
    if [g[0] for g in groups[:8]] != ["PLANNING_COMMITTEE", "PLANNING_SECRETARY",
                                       "PLANNING_DEPT_HEAD", "PLANNING_COUNCIL_CHAIR",
                                       "PLANNING_DIRECTOR", "KEY_CADRE", "CIVIL_SERVANT",
                                       "PARTY_MEMBER"]:
        sys.stderr.write("gen_city: the seeded target groups are not ids 1..8 as expected\n")
        return 2
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")
    city = City(db)
    steps = [("units and terms", city.build_units), ("cadres", city.build_cadres),
             ("classes and enrolments", city.build_classes), ("party", city.build_party),
             ("reviews and reports", city.build_reviews_reports)]
    for name, fn in steps:
        t = time.monotonic()
        db.execute("BEGIN")
        fn()
        db.execute("COMMIT")
        print("gen_city: %-24s %6.1f s" % (name, time.monotonic() - t), flush=True)
    bad = db.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        sys.stderr.write("gen_city: foreign key violations: %r\n" % (bad[:5],))
        return 1
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print("gen_city: %d units, %d cadres, %d profiles, %d classes (%d cancelled), %d enrolments,"
          " %d committee rows, %d seat rows, %d planning entries, %d reviews, %d reports;"
          " journal_mode %s; %.1f s"
          % (len(city.units), N_CADRES, city.n_profiles, city.n_classes, city.n_cancelled,
             city.n_enrolments, city.n_members, city.n_seats, city.n_planning, city.n_reviews,
             city.n_reports, mode, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
