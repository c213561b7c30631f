#!/usr/bin/python3
"""gen_demo.py - the demo data set: the article's Hanoi, as district CSV files.

Usage: gen_demo.py OUTDIR     (writes the files of FILES into OUTDIR)
       gen_demo.py --figures  (prints the figures the data produces, writes nothing)

Writes the CSV files of DOMAIN.md section 8 that rebuild the world of the
article in shared/seed (see deploy/demo/README.md): the city, its 30
district-level units as they were before 1 Jul 2025 and 5 affiliated
committees, the wards and communes of the eight districts of the article's
sidebar (Thanh Tri, Ha Dong, Nam Tu Liem, Phuc Tho, Son Tay, Ba Vi, Chuong My,
Thach That) with the 2025 reorganisation (version rows plus MERGE and
DISSOLVE events), the terms, and the cadres, classes, enrolments, committee
memberships, seats, planning entries, reviews and reports whose figures are
those of DOMAIN.md section 7, and the article's five targets.

Deterministic: one random.Random(SEED), lists only (never set or dict
iteration order that depends on hashing), fixed dates; two runs write
byte-identical files. Debian's /usr/bin/python3 standard library only.

Before writing, check_figures() recomputes every figure of the article from
the generated records with the counting rules of DOMAIN.md section 4 (stocks
at one date, the profile valid then, WITHDREW and CANCELLED excluded, exact
fractions rounded half away from zero) and stops with an error if one is off,
so an edit of the generator cannot silently break a figure.
"""

import csv
import os
import random
import sys
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

SEED = 20200101
CITY = "ha-noi"
END_OLD = "2025-06-30"  # last day of the district level and of the old wards/communes
NEW_DAY = "2025-07-01"
MERGE_BASIS = ("Nghị quyết số 1656/NQ-UBTVQH15 ngày 16/6/2025 của Ủy ban Thường vụ Quốc hội"
               " về sắp xếp các đơn vị hành chính cấp xã của thành phố Hà Nội năm 2025")
DISSOLVE_BASIS = ("Luật Tổ chức chính quyền địa phương số 72/2025/QH15: chính quyền địa phương"
                  " hai cấp, kết thúc hoạt động của đơn vị hành chính cấp huyện từ 01/7/2025")

# The import order: every file refers only to files before it.
FILES = ["units.csv", "terms.csv", "unit_events.csv", "term_instances.csv", "cadres.csv",
         "classes.csv", "enrolments.csv", "committee.csv", "seats.csv", "planning.csv",
         "reviews.csv", "reports.csv", "targets.csv"]

HEADERS = {
    "units.csv": ["code", "name", "kind", "parent", "valid_from", "valid_to"],
    "terms.csv": ["code", "kind", "start_year", "end_year"],
    "unit_events.csv": ["kind", "effective_date", "sources", "targets", "legal_basis"],
    "term_instances.csv": ["term", "unit", "start_date", "end_date"],
    "cadres.csv": ["cadre_code", "full_name", "sex", "birth_year", "unit", "position_title",
                   "key_cadre", "level", "mgmt_category", "education", "political_theory",
                   "state_mgmt", "as_of"],
    "classes.csv": ["class_ref", "organiser_unit", "title", "kind", "area", "target_group",
                    "planning_term", "mode", "start_date", "end_date", "sessions",
                    "planned_trainees", "status"],
    "enrolments.csv": ["class_ref", "organiser_unit", "cadre_code", "status", "result",
                       "attended", "absent_excused", "absent_unexcused", "thesis_score",
                       "certificate_no"],
    "committee.csv": ["cadre_code", "unit", "term", "body", "role", "start_date", "end_date"],
    "seats.csv": ["unit", "term", "body_or_title", "seats"],
    "planning.csv": ["cadre_code", "unit", "term", "body_or_title", "added_on", "removed_on"],
    "reviews.csv": ["cadre_code", "year", "annual_rating", "meets_requirements", "action",
                    "decision_ref"],
    "reports.csv": ["unit", "year", "status", "submitted_at", "approved_at", "return_reason"],
    "targets.csv": ["indicator", "op", "value", "unit", "term"],
}

# The congress resolution's five targets (DOMAIN.md 4 and 7): term 2015-2020, every unit (no
# unit). The server seeds the same rows, so importing them is a replay: every row unchanged.
TARGETS = [["postgraduate_share", ">=", "35", "", "2015-2020"],
           ["advanced_theory_share", "=", "100", "", "2015-2020"],
           ["key_commune_theory_share", "=", "100", "", "2015-2020"],
           ["key_ward_university_share", "=", "100", "", "2015-2020"],
           ["key_commune_university_share", ">", "80", "", "2015-2020"]]

# --- the units -------------------------------------------------------------------------------

# (code, name, kind, cadre-code prefix)
DISTRICTS = [
    ("ba-dinh", "Quận Ba Đình", "URBAN_DISTRICT", "BD"),
    ("hoan-kiem", "Quận Hoàn Kiếm", "URBAN_DISTRICT", "HK"),
    ("tay-ho", "Quận Tây Hồ", "URBAN_DISTRICT", "TH"),
    ("long-bien", "Quận Long Biên", "URBAN_DISTRICT", "LB"),
    ("cau-giay", "Quận Cầu Giấy", "URBAN_DISTRICT", "CG"),
    ("dong-da", "Quận Đống Đa", "URBAN_DISTRICT", "DD"),
    ("hai-ba-trung", "Quận Hai Bà Trưng", "URBAN_DISTRICT", "HBT"),
    ("hoang-mai", "Quận Hoàng Mai", "URBAN_DISTRICT", "HM"),
    ("thanh-xuan", "Quận Thanh Xuân", "URBAN_DISTRICT", "TX"),
    ("nam-tu-liem", "Quận Nam Từ Liêm", "URBAN_DISTRICT", "NTL"),
    ("bac-tu-liem", "Quận Bắc Từ Liêm", "URBAN_DISTRICT", "BTL"),
    ("ha-dong", "Quận Hà Đông", "URBAN_DISTRICT", "HD"),
    ("soc-son", "Huyện Sóc Sơn", "RURAL_DISTRICT", "SS"),
    ("dong-anh", "Huyện Đông Anh", "RURAL_DISTRICT", "DA"),
    ("gia-lam", "Huyện Gia Lâm", "RURAL_DISTRICT", "GL"),
    ("thanh-tri", "Huyện Thanh Trì", "RURAL_DISTRICT", "TT"),
    ("me-linh", "Huyện Mê Linh", "RURAL_DISTRICT", "ML"),
    ("ba-vi", "Huyện Ba Vì", "RURAL_DISTRICT", "BV"),
    ("phuc-tho", "Huyện Phúc Thọ", "RURAL_DISTRICT", "PT"),
    ("dan-phuong", "Huyện Đan Phượng", "RURAL_DISTRICT", "DP"),
    ("hoai-duc", "Huyện Hoài Đức", "RURAL_DISTRICT", "HDU"),
    ("quoc-oai", "Huyện Quốc Oai", "RURAL_DISTRICT", "QO"),
    ("thach-that", "Huyện Thạch Thất", "RURAL_DISTRICT", "TTH"),
    ("chuong-my", "Huyện Chương Mỹ", "RURAL_DISTRICT", "CM"),
    ("thanh-oai", "Huyện Thanh Oai", "RURAL_DISTRICT", "TO"),
    ("thuong-tin", "Huyện Thường Tín", "RURAL_DISTRICT", "TTI"),
    ("phu-xuyen", "Huyện Phú Xuyên", "RURAL_DISTRICT", "PX"),
    ("ung-hoa", "Huyện Ứng Hòa", "RURAL_DISTRICT", "UH"),
    ("my-duc", "Huyện Mỹ Đức", "RURAL_DISTRICT", "MD"),
    ("son-tay", "Thị xã Sơn Tây", "TOWN", "ST"),
]
AFFILIATED = [
    ("khoi-co-quan", "Đảng bộ Khối các cơ quan Thành phố Hà Nội", "AFFILIATED_COMMITTEE", "KCQ"),
    ("khoi-doanh-nghiep", "Đảng bộ Khối Doanh nghiệp Thành phố Hà Nội", "AFFILIATED_COMMITTEE",
     "KDN"),
    ("bo-tu-lenh-thu-do", "Đảng bộ Bộ Tư lệnh Thủ đô Hà Nội", "AFFILIATED_COMMITTEE", "BTLTD"),
    ("cong-an-thanh-pho", "Đảng bộ Công an Thành phố Hà Nội", "AFFILIATED_COMMITTEE", "CA"),
    ("khoi-dai-hoc", "Đảng bộ Khối các trường đại học, cao đẳng Hà Nội", "AFFILIATED_COMMITTEE",
     "KDH"),
]
# The 5 district-level units of the 30 that ran no planning-source class (the article: 25 did).
NO_PLANNING_CLASSES = ["me-linh", "ba-vi", "my-duc", "ung-hoa", "phu-xuyen"]
# The 4 of the 30 planning-class units without a committee-source class (26 classes for 30 units).
NO_COMMITTEE_CLASS = ["bo-tu-lenh-thu-do", "cong-an-thanh-pho", "khoi-dai-hoc", "quoc-oai"]

# The 2025 plan of the article's sidebar: district -> [(new unit name, kind, [old units])];
# an old unit is "W:name" (ward), "C:name" (commune) or "T:name" (township). Which old unit
# goes to which new one is illustrative: the real resolution splits some old units. The
# sidebar names the new units of the first five; those of Ba Vi, Chuong My and Thach That are
# the names Nghi quyet 1656/NQ-UBTVQH15 gave them, in the numbers the sidebar gives (8, 6, 5).
REORG = [
    ("thanh-tri", [
        ("Thanh Trì", "COMMUNE", ["T:Văn Điển", "C:Tứ Hiệp", "C:Ngũ Hiệp", "C:Yên Mỹ"]),
        ("Tân Triều", "COMMUNE", ["C:Tân Triều", "C:Thanh Liệt"]),
        ("Đại Thanh", "COMMUNE", ["C:Tả Thanh Oai", "C:Hữu Hòa", "C:Vĩnh Quỳnh"]),
        ("Ngọc Hồi", "COMMUNE", ["C:Ngọc Hồi", "C:Liên Ninh", "C:Đại Áng"]),
        ("Nam Phù", "COMMUNE", ["C:Đông Mỹ", "C:Vạn Phúc", "C:Duyên Hà", "C:Tam Hiệp"]),
    ]),
    ("ha-dong", [
        ("Hà Đông", "WARD", ["W:Quang Trung", "W:Hà Cầu", "W:Vạn Phúc", "W:Phúc La",
                             "W:Văn Quán"]),
        ("Dương Nội", "WARD", ["W:Dương Nội", "W:La Khê", "W:Phú La"]),
        ("Yên Nghĩa", "WARD", ["W:Yên Nghĩa", "W:Đồng Mai", "W:Biên Giang"]),
        ("Kiến Hưng", "WARD", ["W:Kiến Hưng", "W:Mộ Lao"]),
        ("Phú Lương", "WARD", ["W:Phú Lương", "W:Phú Lãm"]),
    ]),
    ("nam-tu-liem", [
        ("Xuân Phương", "WARD", ["W:Xuân Phương", "W:Phương Canh"]),
        ("Từ Liêm", "WARD", ["W:Cầu Diễn", "W:Mỹ Đình 1", "W:Mỹ Đình 2", "W:Phú Đô"]),
        ("Tây Mỗ", "WARD", ["W:Tây Mỗ"]),
        ("Đại Mỗ", "WARD", ["W:Đại Mỗ", "W:Trung Văn", "W:Mễ Trì"]),
    ]),
    ("phuc-tho", [
        ("Phúc Thọ", "COMMUNE", ["T:Phúc Thọ", "C:Phúc Hòa", "C:Phụng Thượng", "C:Long Thượng"]),
        ("Phúc Lộc", "COMMUNE", ["C:Tích Giang", "C:Trạch Mỹ Lộc", "C:Thọ Lộc", "C:Xuân Đình"]),
        ("Hát Môn", "COMMUNE", ["C:Hát Môn", "C:Ngọc Tảo", "C:Tam Thuấn", "C:Thanh Đa"]),
    ]),
    ("son-tay", [
        ("Sơn Tây", "WARD", ["W:Lê Lợi", "W:Ngô Quyền", "W:Phú Thịnh", "W:Quang Trung",
                             "W:Sơn Lộc", "W:Viên Sơn", "W:Trung Hưng"]),
        ("Tùng Thiện", "WARD", ["W:Trung Sơn Trầm", "W:Xuân Khanh", "C:Xuân Sơn", "C:Thanh Mỹ",
                                "C:Đường Lâm"]),
        ("Đoài Phương", "COMMUNE", ["C:Kim Sơn", "C:Sơn Đông", "C:Cổ Đông"]),
    ]),
    ("ba-vi", [  # "8 xã so với 29 xã/thị trấn"
        ("Quảng Oai", "COMMUNE", ["T:Tây Đằng", "C:Chu Minh", "C:Đông Quang", "C:Cam Thượng",
                                  "C:Tiên Phong", "C:Thụy An"]),
        ("Cổ Đô", "COMMUNE", ["C:Cổ Đô", "C:Phong Vân", "C:Phú Đông", "C:Vạn Thắng"]),
        ("Bất Bạt", "COMMUNE", ["C:Sơn Đà", "C:Thuần Mỹ", "C:Tòng Bạt", "C:Cẩm Lĩnh"]),
        ("Minh Châu", "COMMUNE", ["C:Minh Châu", "C:Phú Phương", "C:Châu Sơn"]),
        ("Suối Hai", "COMMUNE", ["C:Ba Trại", "C:Tản Lĩnh"]),
        ("Vật Lại", "COMMUNE", ["C:Vật Lại", "C:Đồng Thái", "C:Phú Sơn", "C:Thái Hòa",
                                "C:Phú Châu"]),
        ("Ba Vì", "COMMUNE", ["C:Ba Vì", "C:Khánh Thượng", "C:Minh Quang"]),
        ("Yên Bài", "COMMUNE", ["C:Yên Bài", "C:Vân Hòa"]),
    ]),
    ("chuong-my", [
        ("Chương Mỹ", "WARD", ["T:Chúc Sơn", "C:Phụng Châu", "C:Tiên Phương", "C:Thụy Hương",
                               "C:Đại Yên", "C:Ngọc Hòa"]),
        ("Phú Nghĩa", "COMMUNE", ["C:Phú Nghĩa", "C:Đông Sơn", "C:Đông Phương Yên",
                                  "C:Trường Yên", "C:Thanh Bình"]),
        ("Xuân Mai", "COMMUNE", ["T:Xuân Mai", "C:Thủy Xuân Tiên", "C:Nam Phương Tiến",
                                 "C:Tân Tiến", "C:Trung Hòa"]),
        ("Trần Phú", "COMMUNE", ["C:Trần Phú", "C:Hoàng Văn Thụ", "C:Hữu Văn", "C:Mỹ Lương",
                                 "C:Đồng Phú"]),
        ("Hòa Phú", "COMMUNE", ["C:Hòa Chính", "C:Phú Nam An", "C:Văn Võ", "C:Thượng Vực",
                                "C:Hồng Phong", "C:Đồng Lạc"]),
        ("Quảng Bị", "COMMUNE", ["C:Quảng Bị", "C:Tốt Động", "C:Lam Điền", "C:Hợp Đồng",
                                 "C:Hoàng Diệu"]),
    ]),
    ("thach-that", [
        ("Thạch Thất", "COMMUNE", ["T:Liên Quan", "C:Đại Đồng", "C:Cẩm Yên", "C:Lại Thượng",
                                   "C:Phú Kim", "C:Kim Quan", "C:Hương Ngải"]),
        ("Hạ Bằng", "COMMUNE", ["C:Hạ Bằng", "C:Tân Xã", "C:Đồng Trúc", "C:Cần Kiệm"]),
        ("Tây Phương", "COMMUNE", ["C:Thạch Xá", "C:Hữu Bằng", "C:Chàng Sơn", "C:Bình Phú",
                                   "C:Phùng Xá", "C:Canh Nậu", "C:Dị Nậu"]),
        ("Hòa Lạc", "COMMUNE", ["C:Bình Yên", "C:Thạch Hòa"]),
        ("Yên Xuân", "COMMUNE", ["C:Yên Bình", "C:Yên Trung", "C:Tiến Xuân"]),
    ]),
]
# The sidebar's figures: district -> (old units or None where it gives no number, new units).
SIDEBAR = {"thanh-tri": (16, 5), "ha-dong": (15, 5), "nam-tu-liem": (None, 4),
           "phuc-tho": (None, 3), "son-tay": (None, 3), "ba-vi": (29, 8), "chuong-my": (None, 6),
           "thach-that": (None, 5)}
# The old wards and communes of these districts are in the register from this day only (their
# records start with the 2020-2025 term), and hold no cadre: so every figure of the article and
# of the README, the 2019 ones included (report completeness: 103 units expected), stays that
# of the units above, while the 2025 lineage of all eight districts is there.
OLD_UNITS_FROM = {"ba-vi": "2020-01-01", "chuong-my": "2020-01-01", "thach-that": "2020-01-01"}
OLD_KIND = {"W": ("WARD", "Phường"), "C": ("COMMUNE", "Xã"), "T": ("TOWNSHIP", "Thị trấn")}
NEW_PREFIX = {"WARD": ("phuong", "Phường"), "COMMUNE": ("xa", "Xã")}

TERMS = [("2015-2020", "PARTY_CONGRESS", 2015, 2020), ("2020-2025", "PARTY_CONGRESS", 2020, 2025),
         ("2025-2030", "PARTY_CONGRESS", 2025, 2030), ("2016-2021", "PEOPLES_COUNCIL", 2016, 2021),
         ("2021-2026", "PEOPLES_COUNCIL", 2021, 2026)]

# --- the article's figures (DOMAIN.md section 7) ---------------------------------------------

TAY_HO_CLASSES = 187        # term 2015-2020
TAY_HO_ENROLMENTS = 22160   # rows of those classes: "hơn 22 nghìn lượt" (a few are WITHDREW)
TAY_HO_PLANNING = [110, 110]  # its two title-source classes (part of the 187)
TAY_HO_COMMITTEE_CLASS = 160  # its committee-source class (part of the 187)
HBT_SIZES = {"PLANNING_COMMITTEE": 80, "PLANNING_SECRETARY": 89, "PLANNING_DEPT_HEAD": 116,
             "PLANNING_COUNCIL_CHAIR": 87}
COMMITTEE_CLASSES, COMMITTEE_TRAINEES = 26, 2542
TITLE_CLASSES, TITLE_TRAINEES = 69, 8122
CITY_2019 = {"secretary": 86, "director": 84, "english": (20, 20)}
# district committee 2020-2025: (members, women) -> 42.2 %, 32.7 %, 29.1 %, 23.4 %
WOMEN = [("thanh-xuan", 45, 19), ("cau-giay", 49, 16), ("thanh-tri", 55, 16),
         ("dan-phuong", 47, 11)]
# Phuc Tho's commune committees: members per term, university or above in 2015-2020 / 2020-2025
PHUC_THO_MEMBERS, PHUC_THO_UNI_1, PHUC_THO_UNI_2, PHUC_THO_REELECTED = 250, 166, 235, 150
# The city committee's own pool: (seats, pool, master's or above, advanced theory) per term
CITY_POOL = {"2015-2020": (75, 112, 54, 104), "2020-2025": (83, 164, 120, 153)}
CITY_POOL_OVERLAP = 50
# CITY_STANDING cadres (the postgraduate >= 35 % and advanced theory 100 % targets)
CITY_STANDING_N = 300
CITY_STANDING_2019 = (126, 291)  # postgraduate, advanced theory on 2019-12-31
CITY_STANDING_2024 = (156, 297)  # after the 2020 profile versions
# Key cadres of commune-level units: 4 per old unit; of those in COMMUNE units, how many have
# no university degree on 2019-12-31 (wards and townships: all have one).
KEY_PER_UNIT = 4
KEY_COMMUNE_NO_UNI = 18

EDU_RANK = {"BELOW_UNIVERSITY": 0, "UNIVERSITY": 1, "MASTER": 2, "DOCTOR": 3}
THEORY_RANK = {"NONE": 0, "ELEMENTARY": 1, "INTERMEDIATE": 2, "ADVANCED": 3, "BACHELOR": 3}

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương",
            "Lý", "Phan", "Trịnh", "Đinh", "Hà", "Lương", "Tạ", "Kiều", "Chu"]
MIDDLE_M = ["Văn", "Đức", "Quang", "Minh", "Mạnh", "Hữu", "Tiến", "Xuân", "Công", "Thành"]
MIDDLE_F = ["Thị", "Thu", "Thanh", "Ngọc", "Minh", "Hồng", "Phương", "Thùy", "Bích", "Kim"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong",
           "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh"]
GIVEN_F = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai",
           "Nga", "Ngân", "Oanh", "Phượng", "Thảo", "Trang", "Yến"]


def slug(text):
    """ASCII code part of a Vietnamese name: 'Mỹ Đình 1' -> 'my-dinh-1'."""
    s = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in s).split())


def round_half_away(fr, places):
    """Exact Fraction -> Decimal rounded half away from zero (DOMAIN.md 4)."""
    q = Decimal(fr.numerator) / Decimal(fr.denominator)
    return q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pct(num, den):
    return round_half_away(Fraction(100 * num, den), 1)


def day(y, m, d):
    return "%04d-%02d-%02d" % (y, m, d)


def split_total(rng, total, n, lo, hi):
    """n integers in lo..hi summing to total, drawn with rng (deterministic)."""
    if not n * lo <= total <= n * hi:
        raise ValueError("cannot split %d into %d parts of %d..%d" % (total, n, lo, hi))
    parts = [rng.randint(lo, hi) for _ in range(n)]
    diff = total - sum(parts)
    i = 0
    while diff != 0:
        k = i % n
        if diff > 0 and parts[k] < hi:
            parts[k] += 1
            diff -= 1
        elif diff < 0 and parts[k] > lo:
            parts[k] -= 1
            diff += 1
        i += 1
    return parts


class Demo:
    """The records of every file, built in memory, then checked and written."""

    def __init__(self):
        self.rng = random.Random(SEED)
        self.rows = {f: [] for f in FILES}
        self.unit_kind = {}      # code -> kind (every unit, old and new)
        self.unit_parent = {}    # code -> parent code before 2025-07-01 (new units: the city)
        self.unit_start = {}     # code -> valid_from ('' = since always)
        self.unit_end = {}       # code -> valid_to ('' = current)
        self.prefix = {}         # unit code -> cadre-code prefix
        self.next_no = {}        # prefix -> next number
        self.cadre = {}          # cadre_code -> {"sex", "profiles": [(as_of, profile dict)]}
        self.cadre_order = []
        self.classes = []        # dicts
        self.enrol = []          # dicts (class index, cadre, status, result, ...)
        self.committee = []
        self.planning = []
        self.seats = []
        self.old_units = {}      # district -> [(code, kind)]
        self.new_units = []      # (code, name, kind, [sources])

    # --- units and terms ---

    def build_units(self):
        u = self.rows["units.csv"]
        u.append([CITY, "Thành phố Hà Nội", "CITY", "", "", ""])
        self.unit_kind[CITY] = "CITY"
        self.prefix[CITY] = "HN"
        for code, name, kind, pre in DISTRICTS:
            u.append([code, name, kind, CITY, "", END_OLD])
            self.unit_kind[code], self.unit_parent[code], self.unit_end[code] = kind, CITY, END_OLD
            self.prefix[code] = pre
        for code, name, kind, pre in AFFILIATED:
            u.append([code, name, kind, CITY, "", ""])
            self.unit_kind[code], self.unit_parent[code], self.unit_end[code] = kind, CITY, ""
            self.prefix[code] = pre
        for district, plan in REORG:
            olds = []
            start = OLD_UNITS_FROM.get(district, "")
            for _new_name, _new_kind, sources in plan:
                for src in sources:
                    k, name = src.split(":", 1)
                    kind, word = OLD_KIND[k]
                    code = "%s-%s" % (district, slug(name))
                    if code in self.unit_kind:
                        raise ValueError("unit code %s twice" % code)
                    u.append([code, "%s %s" % (word, name), kind, district, start, END_OLD])
                    self.unit_kind[code], self.unit_parent[code] = kind, district
                    self.unit_start[code], self.unit_end[code] = start, END_OLD
                    self.prefix[code] = self.prefix[district]
                    olds.append((code, kind))
            self.old_units[district] = olds
        for district, plan in REORG:
            for new_name, new_kind, sources in plan:
                pre, word = NEW_PREFIX[new_kind]
                code = "%s-%s" % (pre, slug(new_name))
                if code in self.unit_kind:
                    raise ValueError("unit code %s twice" % code)
                u.append([code, "%s %s" % (word, new_name), new_kind, CITY, NEW_DAY, ""])
                self.unit_kind[code], self.unit_parent[code] = new_kind, CITY
                self.unit_start[code], self.unit_end[code] = NEW_DAY, ""
                self.prefix[code] = self.prefix[district]
                srcs = ["%s-%s" % (district, slug(s.split(":", 1)[1])) for s in sources]
                self.new_units.append((code, new_name, new_kind, srcs))
                self.rows["unit_events.csv"].append(
                    ["MERGE", NEW_DAY, ";".join(srcs), code, MERGE_BASIS])
        for code, _name, _kind, _pre in DISTRICTS:
            self.rows["unit_events.csv"].append(["DISSOLVE", NEW_DAY, code, "", DISSOLVE_BASIS])

        for code, kind, a, b in TERMS:
            self.rows["terms.csv"].append([code, kind, str(a), str(b)])
        ti = self.rows["term_instances.csv"]
        ti.append(["2015-2020", CITY, "2015-10-15", "2020-10-14"])
        ti.append(["2020-2025", CITY, "2020-10-15", "2025-10-15"])
        for i, (code, _n, _k, _p) in enumerate(DISTRICTS):
            # district congresses were staggered over the spring and summer of the congress year
            ti.append(["2015-2020", code, day(2015, 5 + i % 3, 5 + i % 20),
                       day(2020, 5 + i % 3, 4 + i % 20)])
            ti.append(["2020-2025", code, day(2020, 5 + i % 3, 5 + i % 20), END_OLD])

    # --- cadres ---

    def new_cadre(self, unit, sex=None, birth=None):
        pre = self.prefix[unit]
        n = self.next_no.get(pre, 1)
        self.next_no[pre] = n + 1
        code = "%s-%05d" % (pre, n)
        rng = self.rng
        if sex is None:
            sex = "FEMALE" if rng.random() < 0.42 else "MALE"
        if birth is None:
            birth = rng.randint(1962, 1993)
        if sex == "FEMALE":
            name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_F), rng.choice(GIVEN_F))
        else:
            name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_M), rng.choice(GIVEN_M))
        self.cadre[code] = {"sex": sex, "birth": birth, "name": name, "profiles": []}
        self.cadre_order.append(code)
        return code

    def profile(self, code, as_of, unit, title, level, mgmt="OTHER", edu=None, theory=None,
                state=None, key=False):
        rng = self.rng
        if edu is None:
            edu = rng.choices(["BELOW_UNIVERSITY", "UNIVERSITY", "MASTER"], [10, 70, 20])[0]
        if theory is None:
            theory = rng.choices(["ELEMENTARY", "INTERMEDIATE", "ADVANCED"], [30, 55, 15])[0]
        if state is None:
            state = rng.choices(["NONE", "OFFICER", "PRINCIPAL"], [20, 65, 15])[0]
        self.cadre[code]["profiles"].append(
            (as_of, {"unit": unit, "title": title, "key": key, "level": level, "mgmt": mgmt,
                     "edu": edu, "theory": theory, "state": state}))

    def pool(self, unit, n, as_of, titles, level="DISTRICT"):
        """n new cadres of `unit` with one profile each."""
        out = []
        for _ in range(n):
            c = self.new_cadre(unit)
            self.profile(c, as_of, unit, self.rng.choice(titles), level,
                         mgmt=self.rng.choice(["DISTRICT_STANDING", "OTHER", "OTHER"]))
            out.append(c)
        return out

    # --- classes ---

    def add_class(self, unit, ref, title, kind, area, group, start, end, sessions, trainees,
                  planning_term="", mode="PART_TIME", status="ENDED", withdrew=0, thesis=False):
        ci = len(self.classes)
        self.classes.append({"ref": ref, "unit": unit, "title": title, "kind": kind, "area": area,
                             "group": group, "pterm": planning_term, "mode": mode,
                             "start": start, "end": end, "sessions": sessions,
                             "planned": len(trainees) + self.rng.choice([0, 0, 5, 10]),
                             "status": status})
        rng = self.rng
        wd = set(rng.sample(range(len(trainees)), withdrew)) if withdrew else ()
        for i, c in enumerate(trainees):
            if i in wd:
                self.enrol.append({"ci": ci, "cadre": c, "status": "WITHDREW", "result": "",
                                   "att": rng.randint(0, sessions // 2), "exc": 0, "unexc": 0,
                                   "score": "", "cert": ""})
                continue
            exc = unexc = 0
            if sessions >= 4 and rng.random() < 0.08:
                exc = 1
            if sessions >= 4 and rng.random() < 0.02:
                unexc = 1
            failed = rng.random() < 0.015 and kind != "BRIEFING"
            if status == "CANCELLED":
                st, res, att, exc, unexc = "ENROLLED", "", 0, 0, 0
            elif failed:
                st, res = "FAILED", "FAIL"
                att = sessions - exc - unexc
            else:
                st = "COMPLETED"
                res = "" if kind == "BRIEFING" else rng.choices(
                    ["EXCELLENT", "VERY_GOOD", "GOOD", "AVERAGE"], [8, 30, 52, 10])[0]
                att = sessions - exc - unexc
            score = ""
            if thesis and st in ("COMPLETED", "FAILED"):
                score = "%.1f" % (rng.randint(40, 58) / 10 if st == "FAILED"
                                  else rng.randint(62, 96) / 10)
            cert = ""
            if st == "COMPLETED" and kind != "BRIEFING":
                cert = "%s-%04d" % (ref, i + 1)
            self.enrol.append({"ci": ci, "cadre": c, "status": st, "result": res, "att": att,
                               "exc": exc, "unexc": unexc, "score": score, "cert": cert})
        return ci

    def build_tay_ho(self):
        """187 classes ending 2015-2019 with > 22,000 enrolments, drawn from 1,500 cadres."""
        rng = self.rng
        th = self.pool("tay-ho", 1500, "2015-01-01",
                       ["Chuyên viên", "Cán bộ phường", "Bí thư chi bộ", "Phó trưởng phòng",
                        "Trưởng phòng", "Công chức phường"])
        self.tay_ho_pool = th
        catalogue = [
            ("BRIEFING", "PROFESSIONAL", "CIVIL_SERVANT",
             "Tập huấn nghiệp vụ giải phóng mặt bằng, cơ chế và chính sách bồi thường", 2),
            ("BRIEFING", "MASS_MOBILISATION", "CIVIL_SERVANT",
             "Tập huấn công tác tuyên truyền, dân vận trong giải phóng mặt bằng", 2),
            ("UPGRADE", "IT", "CIVIL_SERVANT",
             "Bồi dưỡng kiến thức tin học, dịch vụ công trực tuyến mức độ 3, 4", 6),
            ("UPGRADE", "STATE_MANAGEMENT", "CIVIL_SERVANT",
             "Bồi dưỡng kiến thức cải cách hành chính", 4),
            ("BRIEFING", "POLITICAL_THEORY", "PARTY_MEMBER",
             "Học tập, quán triệt nghị quyết của Đảng", 1),
            ("UPGRADE", "LEADERSHIP", "KEY_CADRE",
             "Cập nhật kiến thức cho cán bộ diện Ban Thường vụ Quận ủy quản lý", 4),
            ("BRIEFING", "DEFENCE_SECURITY", "PARTY_MEMBER",
             "Bồi dưỡng kiến thức quốc phòng và an ninh", 3),
            ("UPGRADE", "PROFESSIONAL", "CIVIL_SERVANT", "Bồi dưỡng nghiệp vụ công tác Đảng", 5),
        ]
        n_other = TAY_HO_CLASSES - len(TAY_HO_PLANNING) - 1  # + its committee-source class
        per_year = split_total(rng, n_other, 5, 35, 37)
        plan = []  # (year, j, count, catalogue entry)
        k = 0
        for y, count in zip(range(2015, 2020), per_year):
            for j in range(count):
                entry = catalogue[(k + y) % len(catalogue)]
                if j % 18 == 5:  # a degree class a year or so: intermediate political theory
                    entry = ("DEGREE", "POLITICAL_THEORY", "CIVIL_SERVANT",
                             "Trung cấp lý luận chính trị - hành chính", 40)
                plan.append((y, j, count, entry))
                k += 1
        n_degree = sum(1 for p in plan if p[3][0] == "DEGREE")
        planning = sum(TAY_HO_PLANNING) + TAY_HO_COMMITTEE_CLASS
        sizes = split_total(rng, TAY_HO_ENROLMENTS - planning - 60 * n_degree,
                            n_other - n_degree, 40, 250)
        k = 0
        for y, j, count, (kind, area, group, title, sessions) in plan:
            if kind == "DEGREE":
                size = 60
            else:
                size = sizes[k]
                k += 1
            m = 1 + (j * 12) // count
            start = day(y, m, 3 + j % 20)
            end = day(y, m if sessions <= 6 else min(m + 8, 12), 6 + j % 20)
            withdrew = 2 if j % 9 == 0 and kind != "DEGREE" else 0
            self.add_class("tay-ho", "TH-%d/%03d" % (y, j + 1), title, kind, area, group,
                           start, end, sessions, rng.sample(th, size),
                           mode="FULL_TIME" if kind == "DEGREE" else "PART_TIME",
                           withdrew=withdrew, thesis=(kind == "DEGREE"))
        # a few later classes, outside the 2015-2020 window
        for j in range(8):
            y = 2020 + j // 4
            self.add_class("tay-ho", "TH-%d/%03d" % (y, 101 + j),
                           "Bồi dưỡng kỹ năng làm việc trực tuyến", "BRIEFING", "IT",
                           "CIVIL_SERVANT", day(y, 3 + j, 10), day(y, 3 + j, 11), 2,
                           rng.sample(th, 45), mode="ONLINE")

    def build_planning(self):
        """The planning-source classes of the 25 districts and 5 affiliated committees."""
        rng = self.rng
        units = [d[0] for d in DISTRICTS if d[0] not in NO_PLANNING_CLASSES] + \
            [a[0] for a in AFFILIATED]
        assert len(units) == 30
        with_committee = [u for u in units if u not in NO_COMMITTEE_CLASS]
        assert len(with_committee) == COMMITTEE_CLASSES
        # title-source classes: 9 units run 3, the other 21 run 2; Hai Ba Trung runs 2
        three = [u for u in units if u not in ("hai-ba-trung",)][3:12]
        n_titles = {u: 3 if u in three else 2 for u in units}
        assert sum(n_titles.values()) == TITLE_CLASSES
        fixed = ("hai-ba-trung", "tay-ho")
        others_t = [u for u in units if u not in fixed]
        t_sizes = split_total(rng, TITLE_TRAINEES - HBT_SIZES["PLANNING_DEPT_HEAD"] -
                              HBT_SIZES["PLANNING_SECRETARY"] - sum(TAY_HO_PLANNING),
                              sum(n_titles[u] for u in others_t), 80, 160)
        others_c = [u for u in with_committee if u not in fixed]
        c_sizes = split_total(rng, COMMITTEE_TRAINEES - HBT_SIZES["PLANNING_COMMITTEE"] -
                              TAY_HO_COMMITTEE_CLASS, len(others_c), 70, 130)
        ti = ci = 0
        titles = ["Phó trưởng phòng", "Trưởng phòng", "Bí thư chi bộ", "Phó Bí thư Đảng ủy",
                  "Chuyên viên chính", "Phó Chủ tịch UBND phường"]
        self.planning_pool = {}
        for u in units:
            if u == "hai-ba-trung":
                tsz = [HBT_SIZES["PLANNING_DEPT_HEAD"], HBT_SIZES["PLANNING_SECRETARY"]]
                csz = HBT_SIZES["PLANNING_COMMITTEE"]
            elif u == "tay-ho":
                tsz, csz = TAY_HO_PLANNING, TAY_HO_COMMITTEE_CLASS
            else:
                tsz = t_sizes[ti:ti + n_titles[u]]
                ti += n_titles[u]
                csz = 0
                if u in with_committee:
                    csz = c_sizes[ci]
                    ci += 1
            groups = ["PLANNING_DEPT_HEAD", "PLANNING_SECRETARY", "PLANNING_DEPT_HEAD"]
            if u == "tay-ho":
                pool = rng.sample(self.tay_ho_pool, sum(tsz))
            else:
                pool = self.pool(u, sum(tsz), "2017-01-01", titles)
            self.planning_pool[u] = pool
            pre = self.prefix[u]
            off = 0
            for j, size in enumerate(tsz):
                g = groups[j]
                what = ("trưởng, phó các phòng, ban, cơ quan, đơn vị" if g == "PLANNING_DEPT_HEAD"
                        else "Bí thư, Phó Bí thư các chi bộ, đảng bộ cơ sở")
                y = 2018 + j % 2
                self.add_class(u, "%s-%d/QH-%s-%02d" % (pre, y, "TP" if j != 1 else "BT", j + 1),
                               "Bồi dưỡng cán bộ nguồn quy hoạch %s, nhiệm kỳ 2020-2025" % what,
                               "UPGRADE", "LEADERSHIP", g, day(y, 3 + 2 * j, 5),
                               day(y, 5 + 2 * j, 28), 16, pool[off:off + size],
                               planning_term="2020-2025", thesis=True)
                off += size
            if csz:
                self.add_class(u, "%s-2019/QH-BCH" % pre,
                               "Bồi dưỡng cán bộ nguồn quy hoạch Ban Chấp hành Đảng bộ, "
                               "nhiệm kỳ 2020-2025", "UPGRADE", "LEADERSHIP", "PLANNING_COMMITTEE",
                               "2019-05-06", "2019-06-28", 16, rng.sample(pool, csz),
                               planning_term="2020-2025", thesis=True)
        # Hai Ba Trung's fourth class: ward council and committee chairs (not a figure set)
        self.add_class("hai-ba-trung", "HBT-2019/QH-CT",
                       "Bồi dưỡng cán bộ nguồn quy hoạch Chủ tịch, Phó Chủ tịch HĐND - UBND các "
                       "phường, nhiệm kỳ 2021-2026", "UPGRADE", "LEADERSHIP",
                       "PLANNING_COUNCIL_CHAIR", "2019-09-09", "2019-11-29", 16,
                       rng.sample(self.planning_pool["hai-ba-trung"],
                                  HBT_SIZES["PLANNING_COUNCIL_CHAIR"]),
                       planning_term="2021-2026", thesis=True)
        # a class that Long Bien cancelled after registering its trainees: never counts
        self.add_class("long-bien", "LB-2019/TH-HUY", "Tập huấn kỹ năng số (đã hủy)", "BRIEFING",
                       "IT", "CIVIL_SERVANT", "2019-11-04", "2019-11-05", 2,
                       self.planning_pool["long-bien"][:30], status="CANCELLED")

    def build_city(self):
        """CITY_STANDING cadres, the city pool, the city's own 2019 classes, seats."""
        rng = self.rng
        cs = []
        pg19, adv19 = CITY_STANDING_2019
        pg24, adv24 = CITY_STANDING_2024
        titles = ["Bí thư Quận ủy", "Chủ tịch UBND quận", "Giám đốc Sở", "Phó Giám đốc Sở",
                  "Trưởng ban Thành ủy", "Phó trưởng ban Thành ủy", "Bí thư Huyện ủy"]
        for i in range(CITY_STANDING_N):
            c = self.new_cadre(CITY)
            unit = CITY if i % 3 else DISTRICTS[i % len(DISTRICTS)][0]
            edu = ("DOCTOR" if i % 7 == 0 else "MASTER") if i < pg19 else "UNIVERSITY"
            th = ("BACHELOR" if i % 11 == 0 else "ADVANCED") if i < adv19 else "INTERMEDIATE"
            self.profile(c, "2015-10-01", unit, rng.choice(titles), "CITY", "CITY_STANDING",
                         edu, th, "SENIOR" if i % 2 else "PRINCIPAL", key=True)
            # 2020 versions: 30 finished a master's, 6 the advanced theory course
            if pg19 <= i < pg24 or adv19 <= i < adv24:
                edu2 = "MASTER" if i < pg24 else edu
                th2 = "ADVANCED" if i < adv24 else th
                self.profile(c, "2020-11-01", unit, rng.choice(titles), "CITY", "CITY_STANDING",
                             edu2, th2, "SENIOR", key=True)
            cs.append(c)
        self.city_standing = cs
        rng.shuffle(cs)

        # The city committee's pool: 2015-2020 (added 2014) and 2020-2025 (added 2018).
        s1, n1, m1, a1 = CITY_POOL["2015-2020"]
        s2, n2, m2, a2 = CITY_POOL["2020-2025"]
        ptitles = ["Phó Bí thư Quận ủy", "Phó Chủ tịch UBND quận", "Phó Giám đốc Sở",
                   "Phó trưởng ban Thành ủy", "Trưởng phòng Sở"]

        def pool_member(i, m, a, as_of):
            c = self.new_cadre(CITY)
            edu = ("DOCTOR" if i % 9 == 0 else "MASTER") if i < m else "UNIVERSITY"
            th = ("BACHELOR" if i % 13 == 0 else "ADVANCED") if i < a else "INTERMEDIATE"
            unit = CITY if i % 2 else DISTRICTS[(i * 7) % len(DISTRICTS)][0]
            self.profile(c, as_of, unit, rng.choice(ptitles), "DISTRICT" if i % 2 == 0 else "CITY",
                         "DISTRICT_STANDING", edu, th, "PRINCIPAL")
            return c

        p1 = [pool_member(i, m1, a1, "2013-06-01") for i in range(n1)]
        # the first CITY_POOL_OVERLAP of p1 (master's, advanced theory) stay in the next pool
        p2 = p1[:CITY_POOL_OVERLAP] + [pool_member(i, m2, a2, "2017-01-01")
                                       for i in range(CITY_POOL_OVERLAP, n2)]
        for c in p1[:20]:  # promoted after the 2020 congress: a new version, same levels
            old = self.cadre[c]["profiles"][-1][1]
            self.profile(c, "2020-11-01", old["unit"], "Phó Bí thư Quận ủy", old["level"],
                         "DISTRICT_STANDING", old["edu"],
                         old["theory"], old["state"])
        for c in p1:
            self.planning.append([c, CITY, "2015-2020", "COMMITTEE", "2014-06-16", ""])
        for c in p2:
            self.planning.append([c, CITY, "2020-2025", "COMMITTEE", "2018-05-21", ""])
        self.seats += [[CITY, "2015-2020", "COMMITTEE", str(s1)],
                       [CITY, "2020-2025", "COMMITTEE", str(s2)],
                       [CITY, "2015-2020", "STANDING_COMMITTEE", "16"],
                       [CITY, "2020-2025", "STANDING_COMMITTEE", "17"]]
        self.city_pool = (p1, p2)

        # The city's 2019 classes.
        self.add_class(CITY, "HN-2019/QH-BT",
                       "Bồi dưỡng cán bộ quy hoạch nguồn Bí thư, Phó Bí thư Quận, Huyện, Thị ủy "
                       "và Đảng ủy trực thuộc Thành ủy, nhiệm kỳ 2020-2025", "UPGRADE",
                       "LEADERSHIP", "PLANNING_SECRETARY", "2019-03-04", "2019-07-26", 24,
                       rng.sample(p2, CITY_2019["secretary"]), planning_term="2020-2025",
                       mode="FULL_TIME", thesis=True)
        self.add_class(CITY, "HN-2019/QH-GD",
                       "Bồi dưỡng cán bộ quy hoạch nguồn giám đốc các sở, ban, ngành và tương "
                       "đương, Chủ tịch HĐND - UBND quận, huyện, thị xã, nhiệm kỳ 2021-2026",
                       "UPGRADE", "LEADERSHIP", "PLANNING_DIRECTOR", "2019-08-05", "2019-12-13",
                       24, rng.sample(p2 + cs, CITY_2019["director"]), planning_term="2021-2026",
                       mode="FULL_TIME", thesis=True)
        eng = rng.sample(cs, sum(CITY_2019["english"]))
        a, b = CITY_2019["english"]
        self.add_class(CITY, "HN-2019/TA-01", "Tiếng Anh giao tiếp cho cán bộ diện Ban Thường vụ "
                       "Thành ủy quản lý (lớp 1)", "UPGRADE", "FOREIGN_LANGUAGE", "KEY_CADRE",
                       "2019-04-01", "2019-09-27", 30, eng[:a])
        self.add_class(CITY, "HN-2019/TA-02", "Tiếng Anh giao tiếp cho cán bộ diện Ban Thường vụ "
                       "Thành ủy quản lý (lớp 2)", "UPGRADE", "FOREIGN_LANGUAGE", "KEY_CADRE",
                       "2019-09-09", "2019-12-20", 30, eng[a:a + b])

    def build_committees(self):
        """Women in four district committees (2020-2025); Phuc Tho's commune committees."""
        rng = self.rng
        for unit, n, women in WOMEN:
            sexes = ["FEMALE"] * women + ["MALE"] * (n - women)
            rng.shuffle(sexes)
            for i, sex in enumerate(sexes):
                c = self.new_cadre(unit, sex=sex)
                role = ("SECRETARY" if i == 0 else "DEPUTY_SECRETARY" if i < 3
                        else "STANDING_MEMBER" if i < 13 else "MEMBER")
                self.profile(c, "2020-07-01", unit, "Ủy viên Ban Chấp hành Đảng bộ", "DISTRICT",
                             "DISTRICT_STANDING", rng.choice(["UNIVERSITY", "MASTER", "MASTER"]),
                             rng.choice(["ADVANCED", "ADVANCED", "INTERMEDIATE"]), "PRINCIPAL")
                self.committee.append([c, unit, "2020-2025", "COMMITTEE", role, "2020-07-20",
                                       END_OLD])
                if i < 13:
                    self.committee.append([c, unit, "2020-2025", "STANDING_COMMITTEE", role,
                                           "2020-07-20", END_OLD])

        communes = [code for code, _k in self.old_units["phuc-tho"]]
        per1 = split_total(rng, PHUC_THO_MEMBERS, len(communes), 15, 25)
        per2 = list(per1)
        # term 1: members 0..249; 0..165 hold a degree on 2019-12-31
        t1 = []
        for u, k in zip(communes, per1):
            for _ in range(k):
                t1.append((u, self.new_cadre(u)))
        order = list(range(len(t1)))
        rng.shuffle(order)
        uni1 = set(order[:PHUC_THO_UNI_1])
        for i, (u, c) in enumerate(t1):
            edu = rng.choice(["UNIVERSITY", "UNIVERSITY", "MASTER"]) if i in uni1 \
                else "BELOW_UNIVERSITY"
            self.profile(c, "2015-05-11", u, "Đảng ủy viên", "COMMUNE", "OTHER", edu,
                         rng.choice(["INTERMEDIATE", "INTERMEDIATE", "ELEMENTARY"]), "OFFICER")
            self.committee.append([c, u, "2015-2020", "COMMITTEE", "MEMBER", "2015-05-11",
                                   "2020-05-24"])
        # term 2: 150 re-elected (120 with a degree, 30 who finished one in 2018-2020), and
        # 100 new members of whom 85 hold a degree
        with_deg = [i for i in order if i in uni1]
        without = [i for i in order if i not in uni1]
        n_up = PHUC_THO_REELECTED - 120
        re_idx = sorted(with_deg[:120] + without[:n_up])
        for i in re_idx:
            u, c = t1[i]
            if i not in uni1:
                self.profile(c, "2020-05-25", u, "Đảng ủy viên", "COMMUNE", "OTHER", "UNIVERSITY",
                             "INTERMEDIATE", "OFFICER")
            self.committee.append([c, u, "2020-2025", "COMMITTEE", "MEMBER", "2020-05-25",
                                   END_OLD])
            per2[communes.index(u)] -= 1
        new_uni = PHUC_THO_UNI_2 - PHUC_THO_REELECTED
        k = 0
        for u, left in zip(communes, per2):
            for _ in range(left):
                c = self.new_cadre(u)
                edu = "UNIVERSITY" if k < new_uni else "BELOW_UNIVERSITY"
                self.profile(c, "2020-05-25", u, "Đảng ủy viên", "COMMUNE", "OTHER", edu,
                             "INTERMEDIATE", "OFFICER")
                self.committee.append([c, u, "2020-2025", "COMMITTEE", "MEMBER", "2020-05-25",
                                       END_OLD])
                k += 1

    def build_key_cadres(self):
        """4 key cadres per old ward/commune/township; 2025 versions in the new units."""
        rng = self.rng
        titles = ["Bí thư Đảng ủy", "Phó Bí thư Thường trực Đảng ủy", "Chủ tịch HĐND",
                  "Chủ tịch UBND"]
        commune_keys = []
        self.key_of = {}
        keyed = [d for d, _plan in REORG if d not in OLD_UNITS_FROM]
        for district in keyed:
            for code, kind in self.old_units[district]:
                self.key_of[code] = []
                for t in titles:
                    c = self.new_cadre(code)
                    self.key_of[code].append((c, t))
                    if kind == "COMMUNE":
                        commune_keys.append(c)
        no_uni = set(rng.sample(commune_keys, KEY_COMMUNE_NO_UNI))
        for district in keyed:
            for code, kind in self.old_units[district]:
                for c, t in self.key_of[code]:
                    edu = "BELOW_UNIVERSITY" if c in no_uni else rng.choice(
                        ["UNIVERSITY", "UNIVERSITY", "UNIVERSITY", "MASTER"])
                    self.profile(c, "2015-07-01", code, t, "COMMUNE", "DISTRICT_STANDING", edu,
                                 rng.choice(["INTERMEDIATE", "INTERMEDIATE", "ADVANCED"]),
                                 rng.choice(["OFFICER", "PRINCIPAL"]), key=True)
        # 1 Jul 2025: each new unit's four key posts go to cadres of its old units
        for code, _name, kind, srcs in self.new_units:
            cands = [ct for s in srcs for ct in self.key_of.get(s, [])]
            if not cands:
                continue  # the old units of OLD_UNITS_FROM hold no cadre
            for t in titles:
                picks = [c for c, tt in cands if tt == t]
                c = picks[0]
                old = self.cadre[c]["profiles"][-1][1]
                edu = old["edu"] if old["edu"] != "BELOW_UNIVERSITY" else "UNIVERSITY"
                self.profile(c, NEW_DAY, code, t, "COMMUNE", "DISTRICT_STANDING", edu,
                             "ADVANCED" if t.startswith("Bí thư") else old["theory"],
                             old["state"], key=True)

    def build_reviews_reports(self):
        """Long Bien's post-training reviews (2019, 2020) and the 2019 annual reports."""
        rng = self.rng
        trained = self.planning_pool["long-bien"][:60]
        for year in (2019, 2020):
            for i, c in enumerate(trained):
                r = rng.random()
                if r < 0.2:
                    row = [c, str(year), "EXCELLENT", "true", "KEEP", ""]
                elif r < 0.82:
                    row = [c, str(year), "GOOD", "true", "KEEP", ""]
                elif r < 0.93:
                    row = [c, str(year), "COMPLETED", "true", "FURTHER_TRAINING", ""]
                else:
                    act = rng.choice(["REASSIGN", "ROTATE", "DISMISS"])
                    row = [c, str(year), "NOT_COMPLETED", "false", act,
                           "Quyết định số %d-QĐ/QU ngày 15/01/%d của Ban Thường vụ Quận ủy Long "
                           "Biên" % (100 + i, year + 1)]
                self.rows["reviews.csv"].append(row)
        units = [d[0] for d in DISTRICTS] + [a[0] for a in AFFILIATED]
        for i, u in enumerate(units):
            if u == "my-duc":
                continue  # did not report
            late = u in ("ung-hoa", "soc-son")
            at = "2020-02-%02d" % (10 + i % 5) if late else "2020-01-%02d" % (6 + i % 20)
            self.rows["reports.csv"].append([u, "2019", "SUBMITTED", at, "", ""])

    # --- rows ---

    def finish_rows(self):
        cad = self.rows["cadres.csv"]
        for code in self.cadre_order:
            c = self.cadre[code]
            for as_of, p in c["profiles"]:
                cad.append([code, c["name"], c["sex"], str(c["birth"]), p["unit"], p["title"],
                            "true" if p["key"] else "false", p["level"], p["mgmt"], p["edu"],
                            p["theory"], p["state"], as_of])
        for k in self.classes:
            self.rows["classes.csv"].append(
                [k["ref"], k["unit"], k["title"], k["kind"], k["area"], k["group"], k["pterm"],
                 k["mode"], k["start"], k["end"], str(k["sessions"]), str(k["planned"]),
                 k["status"]])
        for e in self.enrol:
            k = self.classes[e["ci"]]
            self.rows["enrolments.csv"].append(
                [k["ref"], k["unit"], e["cadre"], e["status"], e["result"], str(e["att"]),
                 str(e["exc"]), str(e["unexc"]), e["score"], e["cert"]])
        self.rows["committee.csv"] = self.committee
        self.rows["planning.csv"] = self.planning
        self.rows["seats.csv"] = self.seats
        self.rows["targets.csv"] = [list(t) for t in TARGETS]

    def build(self):
        self.build_units()
        self.build_tay_ho()
        self.build_planning()
        self.build_city()
        self.build_committees()
        self.build_key_cadres()
        self.build_reviews_reports()
        self.finish_rows()
        return self

    # --- the figures, recomputed from the records (DOMAIN.md section 4) ---

    def profile_at(self, code, d):
        best = None
        for as_of, p in self.cadre[code]["profiles"]:
            if as_of <= d and (best is None or as_of >= best[0]):
                best = (as_of, p)
        return best[1] if best else None

    def flows(self, pred):
        """(classes, enrolments, trainees) of the counted classes k with pred(k)."""
        idx = [i for i, k in enumerate(self.classes) if k["status"] != "CANCELLED" and pred(k)]
        sel = set(idx)
        en = [e for e in self.enrol if e["ci"] in sel and e["status"] != "WITHDREW"]
        return len(idx), len(en), len(set(e["cadre"] for e in en)), idx

    def figures(self):
        """[(figure, value, expected)] of the article, computed from the records."""
        out = []
        in_term1 = lambda k: "2015-01-01" <= k["end"] <= "2019-12-31"  # noqa: E731
        n, en, tr, _ = self.flows(lambda k: k["unit"] == "tay-ho" and in_term1(k))
        out.append(("Tây Hồ classes 2015-2020", n, TAY_HO_CLASSES))
        out.append(("Tây Hồ enrolments 2015-2020 > 22,000", en > 22000, True))
        out.append(("Tây Hồ trainees < enrolments", tr < en, True))
        self.tay_ho_counts = (n, en, tr)
        for g, size in sorted(HBT_SIZES.items()):
            _n, en, tr, _ = self.flows(lambda k, g=g: k["unit"] == "hai-ba-trung" and
                                       k["group"] == g)
            out.append(("Hai Bà Trưng %s class size" % g, (_n, en, tr), (1, size, size)))
        for groups, cn, tn in ((("PLANNING_COMMITTEE",), COMMITTEE_CLASSES, COMMITTEE_TRAINEES),
                               (("PLANNING_DEPT_HEAD", "PLANNING_SECRETARY"), TITLE_CLASSES,
                                TITLE_TRAINEES)):
            n, en, tr, idx = self.flows(lambda k, gs=groups: k["unit"] != CITY and
                                        k["group"] in gs and in_term1(k))
            out.append(("%s classes/trainees below the city" % "+".join(groups), (n, tr),
                        (cn, tn)))
            out.append(("%s enrolments = trainees" % "+".join(groups), en, tr))
        _n, _e, _t, idx = self.flows(lambda k: k["unit"] != CITY and k["group"].startswith(
            "PLANNING_") and in_term1(k))
        out.append(("units running planning-source classes",
                    len(set(self.classes[i]["unit"] for i in idx)), 30))
        for ref, size in (("HN-2019/QH-BT", CITY_2019["secretary"]),
                          ("HN-2019/QH-GD", CITY_2019["director"])):
            _n, en, tr, _ = self.flows(lambda k, r=ref: k["unit"] == CITY and k["ref"] == r)
            out.append(("city 2019 %s" % ref, tr, size))
        _n, en, tr, _ = self.flows(lambda k: k["unit"] == CITY and k["area"] ==
                                   "FOREIGN_LANGUAGE" and k["end"][:4] == "2019")
        out.append(("city 2019 English classes/trainees", (_n, tr), (2, 40)))

        d2 = "2024-12-31"
        for unit, _n, _w in WOMEN:
            mem = [m for m in self.committee if m[1] == unit and m[2] == "2020-2025" and
                   m[3] == "COMMITTEE" and m[5] <= d2 and (m[6] == "" or m[6] > d2)]
            fem = sum(1 for m in mem if self.cadre[m[0]]["sex"] == "FEMALE")
            out.append(("women in %s committee 2020-2025" % unit, str(pct(fem, len(mem))),
                        {"thanh-xuan": "42.2", "cau-giay": "32.7", "thanh-tri": "29.1",
                         "dan-phuong": "23.4"}[unit]))
        pt = [c for c, _k in self.old_units["phuc-tho"]]
        vals = []
        for term, d in (("2015-2020", "2019-12-31"), ("2020-2025", d2)):
            mem = [m for m in self.committee if m[1] in pt and m[2] == term and
                   m[3] == "COMMITTEE" and m[5] <= d and (m[6] == "" or m[6] > d)]
            uni = sum(1 for m in mem if EDU_RANK[self.profile_at(m[0], d)["edu"]] >= 1)
            vals.append(Fraction(100 * uni, len(mem)))
            out.append(("Phúc Thọ grassroots members %s: university+" % term,
                        str(pct(uni, len(mem))), "66.4" if term == "2015-2020" else "94.0"))
        out.append(("Phúc Thọ rise in points", str(round_half_away(vals[1] - vals[0], 1)),
                    "27.6"))
        for term, d, want in (("2015-2020", "2019-12-31", ("1.49", "48.2", "92.9")),
                              ("2020-2025", d2, ("1.98", "73.2", "93.3"))):
            pool = sorted(set(p[0] for p in self.planning if p[1] == CITY and p[2] == term and
                              p[3] == "COMMITTEE" and p[4] <= d and
                              (p[5] == "" or p[5] > d)))
            seats = sum(int(s[3]) for s in self.seats if s[0] == CITY and s[1] == term and
                        s[2] == "COMMITTEE")
            ms = sum(1 for c in pool if EDU_RANK[self.profile_at(c, d)["edu"]] >= 2)
            th = sum(1 for c in pool if THEORY_RANK[self.profile_at(c, d)["theory"]] >= 3)
            got = (str(round_half_away(Fraction(len(pool), seats), 2)), str(pct(ms, len(pool))),
                   str(pct(th, len(pool))))
            out.append(("city pool %s: coefficient, master's+, advanced theory" % term, got,
                        want))
        # the sidebar: each district's old units merge into its new ones, every one with lineage
        for district, (n_old, n_new) in sorted(SIDEBAR.items()):
            olds = [c for c, _k in self.old_units[district]]
            news = [nu for nu in self.new_units if set(nu[3]) <= set(olds)]
            merged = sorted(s for nu in news for s in nu[3])
            got = (len(olds) if n_old else None, len(news), merged == sorted(olds))
            out.append(("reorganisation of %s: old units, new units, each old one merged once"
                        % district, got, (n_old, n_new, True)))
        return out

    def target_populations(self, d):
        """The five targets' (numerator, denominator) on date d, for the README."""
        def valid(code):
            start, end = self.unit_start.get(code, ""), self.unit_end.get(code, "")
            return start <= d and (end == "" or d <= end)
        cs = pg = adv = 0
        keys = {"WARD": [0, 0, 0], "TOWNSHIP": [0, 0, 0], "COMMUNE": [0, 0, 0]}
        for code in self.cadre_order:
            p = self.profile_at(code, d)
            if p is None:
                continue
            if p["mgmt"] == "CITY_STANDING" and valid(p["unit"]):
                cs += 1
                pg += EDU_RANK[p["edu"]] >= 2
                adv += THEORY_RANK[p["theory"]] >= 3
            k = self.unit_kind.get(p["unit"])
            if p["key"] and k in keys and valid(p["unit"]):
                keys[k][0] += 1
                keys[k][1] += THEORY_RANK[p["theory"]] >= 2
                keys[k][2] += EDU_RANK[p["edu"]] >= 1
        w, t, c = keys["WARD"], keys["TOWNSHIP"], keys["COMMUNE"]
        return {"postgraduate_share": (pg, cs), "advanced_theory_share": (adv, cs),
                "key_commune_theory_share": (w[1] + t[1] + c[1], w[0] + t[0] + c[0]),
                "key_ward_university_share": (w[2] + t[2], w[0] + t[0]),
                "key_commune_university_share": (c[2], c[0])}


def check_figures(demo):
    bad = [(f, v, want) for f, v, want in demo.figures() if v != want]
    for f, v, want in bad:
        sys.stderr.write("gen_demo: figure off: %s: got %r, want %r\n" % (f, v, want))
    return not bad


def write(demo, outdir):
    os.makedirs(outdir, exist_ok=True)
    for name in FILES:
        path = os.path.join(outdir, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADERS[name])
            w.writerows(demo.rows[name])


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: gen_demo.py OUTDIR | --figures\n")
        return 64
    demo = Demo().build()
    if not check_figures(demo):
        return 1
    if argv[1] == "--figures":
        for f, v, _w in demo.figures():
            print("%s: %s" % (f, v))
        print("Tây Hồ 2015-2020 (classes, enrolments, trainees): %s" % (demo.tay_ho_counts,))
        for d in ("2019-12-31", "2024-12-31", "2025-12-31"):
            for ind, (num, den) in sorted(demo.target_populations(d).items()):
                print("%s on %s: %d / %d = %s %%" % (ind, d, num, den,
                                                     pct(num, den) if den else "-"))
        for name in FILES:
            print("%s: %d rows" % (name, len(demo.rows[name])))
        return 0
    write(demo, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
