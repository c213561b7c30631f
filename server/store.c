/*
 * store.c - the SQLite store: one connection, its pragmas, the schema
 * migrations, transactions, and the helpers every store_<area>.c uses
 * (store_int.h).
 *
 * The store module (store.c and store_<area>.c) is the only code that
 * includes sqlite3.h. A struct
 * nl_store wraps one connection used by one thread at a time (opened with
 * SQLITE_OPEN_NOMUTEX). Every statement is prepared once per connection, on
 * first use, with SQLITE_PREPARE_PERSISTENT, and every use follows the same
 * shape: bind -> step -> copy the columns out -> sqlite3_reset +
 * sqlite3_clear_bindings at the cleanup label, so no statement is ever left
 * holding a read snapshot. Values reach SQL only as bound parameters; the one
 * SQL text built at run time is "PRAGMA user_version = N" during migration,
 * where N is our own migration counter (a pragma cannot take a parameter).
 *
 * Schema changes live in migrations[]: entry i takes user_version i to i + 1
 * and runs, with the version bump, inside one BEGIN IMMEDIATE transaction, so
 * a killed migration leaves the old or the new schema, never half of it.
 *
 * Every connection gets the application SQL functions nl_fold(text): the
 * text case-folded and in NFC (nl_text_fold()), NULL for NULL or for text
 * that is not UTF-8, so `instr(nl_fold(name), ?) > 0` with a folded query is
 * a name search that ignores letter case and composed/decomposed input;
 * nl_fold_bare(text), the same without accents (nl_text_fold_bare()), for a
 * query typed without them (NL_STORE_NAME_HAS, store_int.h). SQLite's own
 * lower() and LIKE fold ASCII only.
 *
 * SQLite results become enum nl_status in nl_store_fail() (RELIABILITY.md 2.4);
 * sqlite3_errmsg() goes to the log there and never into a client message.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../common/log.h"
#include "../common/text.h"
#include "job.h"
#include "store.h"
#include "store_int.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_PROGRESS_STEPS  1000

/*
 * Migration i brings user_version from i to i + 1. Append only: a released
 * entry never changes, because databases in the field already ran it.
 */
static const char *const migrations[] = {
    /* 1: the reporting tree and the terms. */
    "CREATE TABLE unit("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 8),"
    "  parent_id INTEGER REFERENCES unit(id),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    /* (parent_id, code) serves both the foreign key and the children listing in code order. */
    "CREATE INDEX unit_parent ON unit(parent_id, code);"
    "CREATE TABLE term("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  kind INTEGER NOT NULL CHECK(kind IN (1, 2)),"
    "  start_year INTEGER NOT NULL,"
    "  end_year INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  CHECK(start_year < end_year)"
    ");",

    /*
     * 2: unit history (DOMAIN.md 3 and 5). `unit` keeps the stable identity
     * (id, code); names, kinds and parents move into versions. Dates are
     * 'YYYY-MM-DD' text, which sorts as dates; valid_to is the last valid day,
     * inclusive, NULL = current; '0001-01-01' = since always. The table is
     * rebuilt rather than altered: nothing references it yet but itself.
     */
    "ALTER TABLE unit RENAME TO unit_v1;"
    "CREATE TABLE unit("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    "INSERT INTO unit(id, code, created_at) SELECT id, code, created_at FROM unit_v1;"
    "CREATE TABLE unit_version("
    "  id INTEGER PRIMARY KEY,"
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  name TEXT NOT NULL,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 8),"
    "  parent_id INTEGER REFERENCES unit(id),"
    "  valid_from TEXT NOT NULL,"
    "  valid_to TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(unit_id, valid_from),"
    "  CHECK(valid_to IS NULL OR valid_to >= valid_from)"
    ");"
    "CREATE INDEX unit_version_parent ON unit_version(parent_id, valid_from);"
    "INSERT INTO unit_version(unit_id, name, kind, parent_id, valid_from)"
    "  SELECT id, name, kind, parent_id, '0001-01-01' FROM unit_v1;"
    "DROP TABLE unit_v1;"
    "CREATE TABLE unit_event("
    "  id INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 4),"
    "  effective_date TEXT NOT NULL,"
    "  legal_basis TEXT NOT NULL DEFAULT '',"
    /* kind|date|sorted sources|sorted targets: the idempotency key of DOMAIN.md 3. */
    "  event_key TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    "CREATE TABLE unit_event_unit("
    "  event_id INTEGER NOT NULL REFERENCES unit_event(id),"
    "  role INTEGER NOT NULL CHECK(role IN (1, 2))," /* 1 source, 2 target */
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  PRIMARY KEY(event_id, role, unit_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX unit_event_unit_unit ON unit_event_unit(unit_id);"
    "CREATE TABLE term_instance("
    "  term_id INTEGER NOT NULL REFERENCES term(id),"
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  start_date TEXT NOT NULL,"
    "  end_date TEXT NOT NULL,"
    "  PRIMARY KEY(term_id, unit_id),"
    "  CHECK(start_date <= end_date)"
    ") WITHOUT ROWID;",

    /*
     * 3: cadres with versioned profiles, the target-group catalogue, classes
     * and enrolments (DOMAIN.md 3). Enum columns hold the proto enum values of
     * records.proto. Profiles: valid_from = the `as_of` a profile was
     * submitted with; valid_to = the day before the next version, NULL =
     * current.
     */
    "CREATE TABLE cadre("
    "  id INTEGER PRIMARY KEY,"
    "  cadre_code TEXT NOT NULL UNIQUE,"
    "  full_name TEXT NOT NULL DEFAULT '',"
    "  sex INTEGER NOT NULL CHECK(sex IN (1, 2)),"
    "  birth_year INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    "CREATE TABLE cadre_profile("
    "  id INTEGER PRIMARY KEY,"
    "  cadre_id INTEGER NOT NULL REFERENCES cadre(id),"
    "  valid_from TEXT NOT NULL,"
    "  valid_to TEXT,"
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  position_title TEXT NOT NULL DEFAULT '',"
    "  key_cadre INTEGER NOT NULL DEFAULT 0 CHECK(key_cadre IN (0, 1)),"
    "  level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 3),"
    "  mgmt_category INTEGER NOT NULL CHECK(mgmt_category BETWEEN 1 AND 3),"
    "  education INTEGER NOT NULL CHECK(education BETWEEN 1 AND 4),"
    "  political_theory INTEGER NOT NULL CHECK(political_theory BETWEEN 1 AND 5),"
    "  state_mgmt INTEGER NOT NULL CHECK(state_mgmt BETWEEN 1 AND 4),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(cadre_id, valid_from),"
    "  CHECK(valid_to IS NULL OR valid_to >= valid_from)"
    ");"
    "CREATE INDEX cadre_profile_unit ON cadre_profile(unit_id, valid_from);"
    "CREATE TABLE target_group("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  label_vi TEXT NOT NULL"
    ");"
    "INSERT INTO target_group(code, label_vi) VALUES"
    "  ('PLANNING_COMMITTEE', 'nguồn quy hoạch Ban Chấp hành'),"
    "  ('PLANNING_SECRETARY', 'nguồn Bí thư, Phó Bí thư'),"
    "  ('PLANNING_DEPT_HEAD', 'nguồn trưởng, phó phòng, ban'),"
    "  ('PLANNING_COUNCIL_CHAIR', 'nguồn Chủ tịch, Phó Chủ tịch HĐND, UBND'),"
    "  ('PLANNING_DIRECTOR', 'nguồn giám đốc sở và tương đương'),"
    "  ('KEY_CADRE', 'cán bộ chủ chốt'),"
    "  ('CIVIL_SERVANT', 'cán bộ, công chức'),"
    "  ('PARTY_MEMBER', 'đảng viên');"
    "CREATE TABLE class("
    "  id INTEGER PRIMARY KEY,"
    "  organiser_unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  class_ref TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  kind INTEGER NOT NULL CHECK(kind BETWEEN 1 AND 3),"
    "  area INTEGER NOT NULL CHECK(area BETWEEN 1 AND 9),"
    "  target_group_id INTEGER NOT NULL REFERENCES target_group(id),"
    "  planning_term_id INTEGER REFERENCES term(id),"
    "  mode INTEGER NOT NULL CHECK(mode BETWEEN 1 AND 3),"
    "  start_date TEXT NOT NULL,"
    "  end_date TEXT NOT NULL,"
    "  sessions INTEGER NOT NULL CHECK(sessions >= 1),"
    "  planned_trainees INTEGER NOT NULL CHECK(planned_trainees >= 0),"
    "  status INTEGER NOT NULL CHECK(status BETWEEN 1 AND 4),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(organiser_unit_id, class_ref),"
    "  CHECK(start_date <= end_date)"
    ");"
    "CREATE INDEX class_end ON class(end_date);"
    "CREATE TABLE enrolment("
    "  id INTEGER PRIMARY KEY,"
    "  class_id INTEGER NOT NULL REFERENCES class(id),"
    "  cadre_id INTEGER NOT NULL REFERENCES cadre(id),"
    "  status INTEGER NOT NULL CHECK(status BETWEEN 1 AND 4),"
    "  result INTEGER CHECK(result IS NULL OR result BETWEEN 1 AND 5),"
    "  attended INTEGER NOT NULL DEFAULT 0 CHECK(attended >= 0),"
    "  absent_excused INTEGER NOT NULL DEFAULT 0 CHECK(absent_excused >= 0),"
    "  absent_unexcused INTEGER NOT NULL DEFAULT 0 CHECK(absent_unexcused >= 0),"
    "  thesis_score REAL CHECK(thesis_score IS NULL OR thesis_score BETWEEN 0 AND 10),"
    "  certificate_no TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(class_id, cadre_id)"
    ");"
    /*
     * No index on enrolment(cadre_id): every query reaches enrolments through
     * their class, and such an index costs about a scattered leaf page per
     * trainee on every class submit (tests/bench/records.sh). Cadres are never
     * deleted, so the foreign key needs no index either.
     */
    "",

    /*
     * 4: party bodies, seats, the planning pool, post-training reviews, the
     * annual reports, and import batches (DOMAIN.md 3 and 8). Enum columns
     * hold records.proto values; end/removed dates NULL = still active.
     */
    "CREATE TABLE committee_membership("
    "  id INTEGER PRIMARY KEY,"
    "  cadre_id INTEGER NOT NULL REFERENCES cadre(id),"
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  term_id INTEGER NOT NULL REFERENCES term(id),"
    "  body INTEGER NOT NULL CHECK(body IN (1, 2)),"
    "  role INTEGER NOT NULL CHECK(role BETWEEN 1 AND 4),"
    "  start_date TEXT NOT NULL,"
    "  end_date TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(cadre_id, unit_id, term_id, body),"
    "  CHECK(end_date IS NULL OR end_date >= start_date)"
    ");"
    "CREATE INDEX committee_unit_term ON committee_membership(unit_id, term_id);"
    "CREATE TABLE seat_quota("
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  term_id INTEGER NOT NULL REFERENCES term(id),"
    "  body_or_title INTEGER NOT NULL CHECK(body_or_title BETWEEN 1 AND 10),"
    "  seats INTEGER NOT NULL CHECK(seats >= 0),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  PRIMARY KEY(unit_id, term_id, body_or_title)"
    ") WITHOUT ROWID;"
    "CREATE TABLE planning_entry("
    "  id INTEGER PRIMARY KEY,"
    "  cadre_id INTEGER NOT NULL REFERENCES cadre(id),"
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  term_id INTEGER NOT NULL REFERENCES term(id),"
    "  body_or_title INTEGER NOT NULL CHECK(body_or_title BETWEEN 1 AND 10),"
    "  added_on TEXT NOT NULL,"
    "  removed_on TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(cadre_id, unit_id, term_id, body_or_title),"
    "  CHECK(removed_on IS NULL OR removed_on >= added_on)"
    ");"
    "CREATE INDEX planning_unit_term ON planning_entry(unit_id, term_id);"
    "CREATE TABLE review("
    "  id INTEGER PRIMARY KEY,"
    "  cadre_id INTEGER NOT NULL REFERENCES cadre(id),"
    "  year INTEGER NOT NULL,"
    "  annual_rating INTEGER NOT NULL CHECK(annual_rating BETWEEN 1 AND 4),"
    "  meets_requirements INTEGER NOT NULL CHECK(meets_requirements IN (0, 1)),"
    "  action INTEGER NOT NULL CHECK(action BETWEEN 1 AND 6),"
    "  decision_ref TEXT NOT NULL DEFAULT '',"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  UNIQUE(cadre_id, year)"
    ");"
    "CREATE TABLE report("
    "  unit_id INTEGER NOT NULL REFERENCES unit(id),"
    "  year INTEGER NOT NULL,"
    "  status INTEGER NOT NULL CHECK(status BETWEEN 1 AND 4),"
    "  submitted_at TEXT,"
    "  approved_at TEXT,"
    "  return_reason TEXT NOT NULL DEFAULT '',"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  PRIMARY KEY(unit_id, year)"
    ") WITHOUT ROWID;"
    /* Import batches: the stored response of each batch_id, so a replay writes nothing. */
    "CREATE TABLE import_batch("
    "  batch_id TEXT PRIMARY KEY,"
    "  request_hash BLOB NOT NULL,"
    "  response BLOB NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ") WITHOUT ROWID;",

    /*
     * 5: targets and the indexes of the indicator engine (DOMAIN.md 4).
     * A target's term is its code (terms are keyed by code, and the
     * article's targets are seeded before any term exists); unit_id NULL
     * names no unit. value is the decimal text as set ("35", "1.5").
     */
    "CREATE TABLE target("
    "  id INTEGER PRIMARY KEY,"
    "  indicator TEXT NOT NULL,"
    "  unit_id INTEGER REFERENCES unit(id),"
    "  term_code TEXT NOT NULL,"
    "  op TEXT NOT NULL CHECK(op IN ('>=', '>', '=', '<=', '<')),"
    "  value TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    ");"
    "CREATE UNIQUE INDEX target_key ON target(indicator, term_code, ifnull(unit_id, 0));"
    /* The congress resolution's targets for term 2015-2020 (DOMAIN.md 4 and 7). */
    "INSERT INTO target(indicator, unit_id, term_code, op, value) VALUES"
    "  ('postgraduate_share', NULL, '2015-2020', '>=', '35'),"
    "  ('advanced_theory_share', NULL, '2015-2020', '=', '100'),"
    "  ('key_commune_theory_share', NULL, '2015-2020', '=', '100'),"
    "  ('key_ward_university_share', NULL, '2015-2020', '=', '100'),"
    "  ('key_commune_university_share', NULL, '2015-2020', '>', '80');"
    /* Flows: a unit's counted classes of a period, by organiser and end date. */
    "CREATE INDEX class_organiser_end ON class(organiser_unit_id, end_date);"
    /* Stocks: the narrow populations of the catalogue, by unit and date. */
    "CREATE INDEX cadre_profile_mgmt ON cadre_profile(mgmt_category, unit_id, valid_from);"
    "CREATE INDEX cadre_profile_key ON cadre_profile(unit_id, valid_from) WHERE key_cadre = 1;"
    "CREATE INDEX review_year ON review(year);"
    "CREATE INDEX report_year ON report(year);",

    /*
     * 6 and 7: maintained summaries for the indicator engine (tests/bench/
     * indicators.sh). Each class carries the sums of its counted enrolments
     * (status not WITHDREW), kept by triggers in the same transaction as the
     * enrolment write, so a flow indicator reads one index entry per class
     * instead of every enrolment; `rev` counts the changes to its enrolments
     * (store_indicators.c's trainee cache checks it). Each review carries the
     * unit of its cadre's profile on 31 Dec of its year (DOMAIN.md 3), kept by
     * triggers on reviews and on profiles, so reviews are read by unit and
     * year.
     */
    /* clang-format off */
    "ALTER TABLE class ADD COLUMN n_enrol INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN n_attended INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN n_sessions INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN n_completed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN n_failed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN n_very_good INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE class ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;"
    "UPDATE class SET"
    "  n_enrol = (SELECT count(*) FROM enrolment e WHERE e.class_id = class.id AND e.status <> 4),"
    "  n_attended = (SELECT ifnull(sum(attended), 0) FROM enrolment e"
    "                WHERE e.class_id = class.id AND e.status <> 4),"
    "  n_sessions = (SELECT ifnull(sum(attended + absent_excused + absent_unexcused), 0)"
    "                FROM enrolment e WHERE e.class_id = class.id AND e.status <> 4),"
    "  n_completed = (SELECT count(*) FROM enrolment e WHERE e.class_id = class.id"
    "                 AND e.status = 2),"
    "  n_failed = (SELECT count(*) FROM enrolment e WHERE e.class_id = class.id AND e.status = 3),"
    "  n_very_good = (SELECT count(*) FROM enrolment e WHERE e.class_id = class.id"
    "                 AND e.status = 2 AND ifnull(e.result, 0) IN (1, 2));"
#define NL_ENROL_SUMS(sign, row)                                                                   \
    "n_enrol = n_enrol " sign " (" row ".status <> 4),"                                            \
    " n_attended = n_attended " sign " (CASE WHEN " row ".status <> 4 THEN " row ".attended"       \
    " ELSE 0 END),"                                                                                \
    " n_sessions = n_sessions " sign " (CASE WHEN " row ".status <> 4 THEN " row ".attended + "    \
    row ".absent_excused + " row ".absent_unexcused ELSE 0 END),"                                  \
    " n_completed = n_completed " sign " (" row ".status = 2),"                                    \
    " n_failed = n_failed " sign " (" row ".status = 3),"                                          \
    " n_very_good = n_very_good " sign " (" row ".status = 2"                                      \
    " AND ifnull(" row ".result, 0) IN (1, 2)), rev = rev + 1"
    "CREATE TRIGGER enrolment_sums_insert AFTER INSERT ON enrolment BEGIN"
    "  UPDATE class SET " NL_ENROL_SUMS("+", "NEW") " WHERE id = NEW.class_id;"
    "END;"
    "CREATE TRIGGER enrolment_sums_delete AFTER DELETE ON enrolment BEGIN"
    "  UPDATE class SET " NL_ENROL_SUMS("-", "OLD") " WHERE id = OLD.class_id;"
    "END;"
    "CREATE TRIGGER enrolment_sums_update AFTER UPDATE OF class_id, cadre_id, status, result,"
    "  attended, absent_excused, absent_unexcused ON enrolment BEGIN"
    "  UPDATE class SET " NL_ENROL_SUMS("-", "OLD") " WHERE id = OLD.class_id;"
    "  UPDATE class SET " NL_ENROL_SUMS("+", "NEW") " WHERE id = NEW.class_id;"
    "END;"
    /* Flows read this index alone: the scope's units and dates, then the sums. */
    "DROP INDEX class_organiser_end;"
    "CREATE INDEX class_flow ON class(organiser_unit_id, end_date, status, kind, area,"
    "  target_group_id, planned_trainees, n_enrol, n_attended, n_sessions, n_completed, n_failed,"
    "  n_very_good, rev);",

    /* 7: the review's unit, as migration 6 says. */
    "ALTER TABLE review ADD COLUMN unit_id INTEGER REFERENCES unit(id);"
#define NL_REVIEW_UNIT(cadre, year)                                                                \
    "(SELECT p.unit_id FROM cadre_profile p WHERE p.cadre_id = " cadre                             \
    " AND p.valid_from <= printf('%04d-12-31', " year ") AND (p.valid_to IS NULL"                  \
    " OR p.valid_to >= printf('%04d-12-31', " year ")))"
    "UPDATE review SET unit_id = " NL_REVIEW_UNIT("review.cadre_id", "review.year") ";"
    "CREATE TRIGGER review_unit_insert AFTER INSERT ON review BEGIN"
    "  UPDATE review SET unit_id = " NL_REVIEW_UNIT("NEW.cadre_id", "NEW.year")
    "  WHERE id = NEW.id;"
    "END;"
    "CREATE TRIGGER review_unit_update AFTER UPDATE OF cadre_id, year ON review BEGIN"
    "  UPDATE review SET unit_id = " NL_REVIEW_UNIT("NEW.cadre_id", "NEW.year")
    "  WHERE id = NEW.id;"
    "END;"
    "CREATE TRIGGER profile_review_insert AFTER INSERT ON cadre_profile BEGIN"
    "  UPDATE review SET unit_id = " NL_REVIEW_UNIT("review.cadre_id", "review.year")
    "  WHERE cadre_id = NEW.cadre_id;"
    "END;"
    "CREATE TRIGGER profile_review_update AFTER UPDATE OF cadre_id, valid_from, valid_to, unit_id"
    "  ON cadre_profile BEGIN"
    "  UPDATE review SET unit_id = " NL_REVIEW_UNIT("review.cadre_id", "review.year")
    "  WHERE cadre_id IN (OLD.cadre_id, NEW.cadre_id);"
    "END;"
    "CREATE TRIGGER profile_review_delete AFTER DELETE ON cadre_profile BEGIN"
    "  UPDATE review SET unit_id = " NL_REVIEW_UNIT("review.cadre_id", "review.year")
    "  WHERE cadre_id = OLD.cadre_id;"
    "END;"
    "CREATE INDEX review_unit ON review(unit_id, year, annual_rating, action);",

    /*
     * 8: credentials (store_tokens.h). Only the SHA-256 of a token's secret
     * is kept; `id` is the token's public lookup key. A district token
     * names its unit, the other roles none.
     */
    "CREATE TABLE auth_token("
    "  id TEXT PRIMARY KEY CHECK(length(id) = 12 AND id NOT GLOB '*[^0-9a-f]*'),"
    "  secret_sha256 BLOB NOT NULL"
    "    CHECK(typeof(secret_sha256) = 'blob' AND length(secret_sha256) = 32),"
    "  role TEXT NOT NULL CHECK(role IN ('admin', 'central', 'district')),"
    "  unit_id INTEGER REFERENCES unit(id),"
    "  name TEXT NOT NULL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    "  expires_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now','+90 days')),"
    "  revoked_at TEXT,"
    "  CHECK((role = 'district') = (unit_id IS NOT NULL))"
    ");"
    "CREATE INDEX auth_token_unit ON auth_token(unit_id);",

    /*
     * 9: the grant of target writes (issue 5): a central token may set and
     * delete targets only with may_write_targets = 1; no other role has it.
     */
    "ALTER TABLE auth_token ADD COLUMN may_write_targets INTEGER NOT NULL DEFAULT 0"
    "  CHECK(may_write_targets = 0 OR (may_write_targets = 1 AND role = 'central'));",

    /*
     * 10: the audit trail (store_audit.h): one row per audited call, chained
     * by hash = SHA-256(prev_hash || entry); seq is 1, 2, 3 ... set by the
     * writer. Append-only: the triggers refuse UPDATE and DELETE.
     */
    "CREATE TABLE audit("
    "  seq INTEGER PRIMARY KEY CHECK(seq >= 1),"
    "  at TEXT NOT NULL,"
    "  token_id TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  cert_fp TEXT NOT NULL,"
    "  peer TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  keys TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL CHECK(length(prev_hash) = 32),"
    "  hash BLOB NOT NULL CHECK(length(hash) = 32)"
    ");"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit trail is append-only');"
    "END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit trail is append-only');"
    "END;",

    /*
     * 11: the log of changes to what a person is (store_indicators.h): a
     * row per cadre whose sex or profile versions changed, so a read
     * connection that keeps, per class, each trainee's attributes on the
     * class's end date learns which cadres to read again without an index
     * of enrolments by cadre. Sequential appends; only the last 100,000
     * rows are kept (a reader further behind starts over).
     */
#define NL_PROFILE_LOG(cadre)                                                                      \
    "  INSERT INTO profile_change(cadre_id) VALUES (" cadre ");"                                   \
    "  DELETE FROM profile_change WHERE seq <= last_insert_rowid() - 100000;"
#define NL_PROFILE_COLS_CHANGED                                                                    \
    " OLD.cadre_id IS NOT NEW.cadre_id OR OLD.valid_from IS NOT NEW.valid_from"                    \
    " OR OLD.valid_to IS NOT NEW.valid_to OR OLD.key_cadre IS NOT NEW.key_cadre"                   \
    " OR OLD.level IS NOT NEW.level OR OLD.mgmt_category IS NOT NEW.mgmt_category"                 \
    " OR OLD.education IS NOT NEW.education"                                                       \
    " OR OLD.political_theory IS NOT NEW.political_theory"
    "CREATE TABLE profile_change(seq INTEGER PRIMARY KEY, cadre_id INTEGER NOT NULL);"
    "CREATE TRIGGER profile_change_insert AFTER INSERT ON cadre_profile BEGIN"
    NL_PROFILE_LOG("NEW.cadre_id")
    "END;"
    "CREATE TRIGGER profile_change_update AFTER UPDATE ON cadre_profile"
    "  WHEN" NL_PROFILE_COLS_CHANGED " BEGIN"
    NL_PROFILE_LOG("OLD.cadre_id")
    NL_PROFILE_LOG("NEW.cadre_id")
    "END;"
    "CREATE TRIGGER profile_change_delete AFTER DELETE ON cadre_profile BEGIN"
    NL_PROFILE_LOG("OLD.cadre_id")
    "END;"
    "CREATE TRIGGER cadre_sex_change AFTER UPDATE OF sex ON cadre"
    "  WHEN OLD.sex IS NOT NEW.sex BEGIN"
    NL_PROFILE_LOG("NEW.id")
    "END;",

    /*
     * 12: each class's row count, every enrolment (WITHDREW ones too), kept
     * by triggers, so the size cap of a class (store_classes.h,
     * NL_CLASS_MAX_ENROLMENTS) is one keyed read after a created row, not a
     * count of the class's enrolments (which made an enrolments import
     * slow down with the square of the class size).
     */
    "ALTER TABLE class ADD COLUMN n_rows INTEGER NOT NULL DEFAULT 0;"
    "UPDATE class SET n_rows = (SELECT count(*) FROM enrolment AS e WHERE e.class_id = class.id);"
    "CREATE TRIGGER enrolment_rows_insert AFTER INSERT ON enrolment BEGIN"
    "  UPDATE class SET n_rows = n_rows + 1 WHERE id = NEW.class_id;"
    "END;"
    "CREATE TRIGGER enrolment_rows_delete AFTER DELETE ON enrolment BEGIN"
    "  UPDATE class SET n_rows = n_rows - 1 WHERE id = OLD.class_id;"
    "END;"
    "CREATE TRIGGER enrolment_rows_move AFTER UPDATE OF class_id ON enrolment"
    "  WHEN OLD.class_id IS NOT NEW.class_id BEGIN"
    "  UPDATE class SET n_rows = n_rows - 1 WHERE id = OLD.class_id;"
    "  UPDATE class SET n_rows = n_rows + 1 WHERE id = NEW.class_id;"
    "END;",
    /* clang-format on */
};
#undef NL_ENROL_SUMS
#undef NL_REVIEW_UNIT
#undef NL_PROFILE_LOG
#undef NL_PROFILE_COLS_CHANGED

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == NL_STORE_SCHEMA_VERSION,
               "one migration per schema version");

enum stmt_id {
    S_BEGIN,
    S_BEGIN_IMMEDIATE,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_USER_VERSION,
    S_CHECKPOINT,
    S_COUNT
};
_Static_assert(S_COUNT <= NL_STORE_CORE_STMTS, "raise NL_STORE_CORE_STMTS");

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN",
    [S_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT job",
    [S_RELEASE] = "RELEASE job",
    [S_ROLLBACK_TO] = "ROLLBACK TO job",
    [S_USER_VERSION] = "PRAGMA user_version",
    [S_CHECKPOINT] = "PRAGMA wal_checkpoint(TRUNCATE)",
};

void nl_store_fmt_msg(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (buf == NULL || len == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

const char *nl_store_errmsg(enum nl_status st)
{
    switch (st) {
    case NL_OK:
        return "";
    case NL_CANCELLED:
        return "call cancelled";
    case NL_DEADLINE_EXCEEDED:
        return "deadline exceeded";
    case NL_NOT_FOUND:
        return "not found";
    case NL_ALREADY_EXISTS:
        return "already exists";
    case NL_FAILED_PRECONDITION:
        return "the request conflicts with stored data";
    case NL_RESOURCE_EXHAUSTED:
        return "the database is out of space or memory";
    case NL_UNAVAILABLE:
        return "the database is busy or unavailable, try again";
    case NL_DATA_LOSS:
        return "the database is damaged";
    default:
        return "internal error in the store";
    }
}

/*
 * Maps a SQLite result (extended codes on) to a status and logs what the
 * operator needs: the SQLite message and what we were doing. `what` is our
 * own constant text (a statement or a step name), never a client value.
 */
enum nl_status nl_store_fail(struct nl_store *st, int rc, const char *what)
{
    const char *em = sqlite3_errmsg(st->db);

    if ((rc & 0xff) == SQLITE_IOERR)
        st->io_failed = 1;
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
            nl_log_debug("store: %s: %s", what, em);
            return NL_ALREADY_EXISTS;
        }
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY || rc == SQLITE_CONSTRAINT_CHECK) {
            /* Validation should have caught it before the store. */
            nl_log_warnx("store: %s: %s", what, em);
            return NL_FAILED_PRECONDITION;
        }
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        nl_log_warnx("store: %s: %s", what, em);
        return NL_UNAVAILABLE;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
        nl_log_error("store: %s: %s", what, em);
        return NL_RESOURCE_EXHAUSTED;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        nl_log_error("store: %s: %s (database damaged)", what, em);
        return NL_DATA_LOSS;
    case SQLITE_INTERRUPT:
        nl_log_debug("store: %s: interrupted", what);
        return st->stopped == NL_CANCELLED ? NL_CANCELLED : NL_DEADLINE_EXCEEDED;
    case SQLITE_IOERR:
        nl_log_error("store: %s: %s (I/O error %d)", what, em, rc);
        return NL_UNAVAILABLE;
    default:
        break;
    }
    nl_log_error("store: %s: %s (%d)", what, em, rc);
    return NL_INTERNAL;
}

/* The status for a failure while opening, when no connection-level log applies. */
static enum nl_status open_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return NL_DATA_LOSS;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
        return NL_RESOURCE_EXHAUSTED;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return NL_UNAVAILABLE;
    default:
        return NL_INTERNAL;
    }
}

/* Returns the prepared statement `id`, preparing it on first use; NULL after store_fail. */
static sqlite3_stmt *stmt_get(struct nl_store *st, enum stmt_id id, enum nl_status *err)
{
    if (st->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &st->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            *err = nl_store_fail(st, rc, stmt_sql[id]);
            sqlite3_finalize(st->stmt[id]);
            st->stmt[id] = NULL;
            return NULL;
        }
    }
    return st->stmt[id];
}

sqlite3_stmt *nl_store_stmt(struct nl_store *st, const char *sql, enum nl_status *err)
{
    for (unsigned i = 0; i < st->ncache; i++) {
        if (st->cache[i].sql == sql)
            return st->cache[i].stmt;
    }
    if (st->ncache == NL_STORE_MAX_STMTS) {
        nl_log_error("store: more than %d prepared statements; raise NL_STORE_MAX_STMTS",
                     NL_STORE_MAX_STMTS);
        *err = NL_INTERNAL;
        return NULL;
    }
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        *err = nl_store_fail(st, rc, sql);
        sqlite3_finalize(stmt);
        return NULL;
    }
    st->cache[st->ncache].sql = sql;
    st->cache[st->ncache].stmt = stmt;
    st->ncache++;
    return stmt;
}

/* The cleanup half of every use: drop the snapshot and the borrowed bindings. */
void nl_store_stmt_done(sqlite3_stmt *s)
{
    if (s != NULL) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Runs a statement without parameters whose rows (if any) do not matter. */
static enum nl_status run_simple(struct nl_store *st, enum stmt_id id)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, id, &res);
    int rc;

    if (s == NULL)
        return res;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        res = nl_store_fail(st, rc, stmt_sql[id]);
    nl_store_stmt_done(s);
    return res;
}

/* Binds text that outlives the step (every caller resets before returning). */
int nl_store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

enum nl_status nl_store_bind_folded(struct nl_store *st, sqlite3_stmt *s, int i, const char *name)
{
    char *folded = NULL;
    size_t flen = 0;
    int rc;

    if (name == NULL || name[0] == '\0') {
        rc = nl_store_bind_text(s, i, "");
    } else {
        rc = nl_text_fold(name, strlen(name), &folded, &flen);
        if (rc == NL_TEXT_NOMEM)
            return NL_RESOURCE_EXHAUSTED;
        if (rc != NL_TEXT_OK || flen > (size_t)INT_MAX) {
            free(folded);
            return NL_INVALID_ARGUMENT;
        }
        /* SQLite owns `folded` from here, even when the bind fails. */
        rc = sqlite3_bind_text(s, i, folded, (int)flen, free);
    }
    return rc == SQLITE_OK ? NL_OK : nl_store_bind_fail(st, "bind name filter");
}

/* Copies text column `col` of the current row into the arena. */
char *nl_store_col_text(sqlite3_stmt *s, int col, struct nl_arena *a)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    int n = sqlite3_column_bytes(s, col);

    if (t == NULL)
        return nl_arena_strndup(a, "", 0);
    return nl_arena_strndup(a, (const char *)t, (size_t)n);
}

/* Column text compared with a C string, without copying. */
int nl_store_col_eq(sqlite3_stmt *s, int col, const char *v)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);

    if (t == NULL)
        return v[0] == '\0';
    return strlen(v) == n && memcmp(t, v, n) == 0;
}

/* A failed sqlite3_bind_*: the connection's error code, logged with `what`. */
enum nl_status nl_store_bind_fail(struct nl_store *st, const char *what)
{
    return nl_store_fail(st, sqlite3_errcode(st->db), what);
}

/*
 * Steps `s` (bound) once: NL_OK with *row = 1 when it stands on a row (its
 * columns readable until stmt_done), *row = 0 when it is done, else the status
 * of store_fail. Errors are logged with the statement's own SQL.
 */
enum nl_status nl_store_step_once(struct nl_store *st, sqlite3_stmt *s, int *row)
{
    int rc = sqlite3_step(s);

    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return NL_OK;
    return nl_store_fail(st, rc, sqlite3_sql(s));
}

/*
 * Prepares statement `id`, binds `code` as ?1 and steps once: the lookup of
 * one row by code. On NL_OK, *s is the statement (*row says whether it stands
 * on a row); the caller reads the columns and calls nl_store_stmt_done(*s) in any case,
 * as it does on failure (*s may then be NULL).
 */
enum nl_status nl_store_find_by_code(struct nl_store *st, const char *sql, const char *code,
                                     const char *what, sqlite3_stmt **s, int *row)
{
    enum nl_status res = NL_OK;

    *row = 0;
    *s = nl_store_stmt(st, sql, &res);
    if (*s == NULL)
        return res;
    if (nl_store_bind_text(*s, 1, code) != SQLITE_OK)
        return nl_store_bind_fail(st, what);
    return nl_store_step_once(st, *s, row);
}

/* Steps a bound write statement `s` that returns no rows: NL_OK or the mapped status. */
enum nl_status nl_store_step_write(struct nl_store *st, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    return rc == SQLITE_DONE ? NL_OK : nl_store_fail(st, rc, sqlite3_sql(s));
}

/* Fills an empty client message from the status, the way every create returns. */
void nl_store_default_msg(enum nl_status res, char *msg, size_t msglen)
{
    if (res != NL_OK && msg != NULL && msglen > 0 && msg[0] == '\0')
        nl_store_fmt_msg(msg, msglen, "%s", nl_store_errmsg(res));
}

static int store_progress(void *arg)
{
    struct nl_store *st = arg;

    if (st->cancel != NULL && atomic_load(st->cancel) != 0) {
        st->stopped = NL_CANCELLED;
        return 1;
    }
    if (st->deadline_ms != 0 && nl_now_ms() >= st->deadline_ms) {
        st->stopped = NL_DEADLINE_EXCEEDED;
        return 1;
    }
    return 0;
}

void nl_store_set_interrupt(struct nl_store *st, const atomic_int *cancel, uint64_t deadline_ms)
{
    st->cancel = cancel;
    st->deadline_ms = deadline_ms;
    st->stopped = NL_OK;
    if (cancel != NULL || deadline_ms != 0)
        sqlite3_progress_handler(st->db, STORE_PROGRESS_STEPS, store_progress, st);
    else
        sqlite3_progress_handler(st->db, 0, NULL, NULL);
}

/* --- opening --- */

/* The user data of nl_fold_bare: the function strips accents. */
static const int fold_bare = 1;

/*
 * nl_fold(text) and nl_fold_bare(text) (user data &fold_bare): see the top
 * of the file. Never puts the value into an error.
 */
static void sql_fold(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    int bare = sqlite3_user_data(c) == &fold_bare;
    const unsigned char *t;
    char *out = NULL;
    size_t outlen = 0;
    int len, rc;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(c);
        return;
    }
    t = sqlite3_value_text(argv[0]);
    len = sqlite3_value_bytes(argv[0]);
    if (t == NULL) {
        sqlite3_result_error_nomem(c);
        return;
    }
    rc = bare ? nl_text_fold_bare((const char *)t, (size_t)len, &out, &outlen)
              : nl_text_fold((const char *)t, (size_t)len, &out, &outlen);
    if (rc == NL_TEXT_NOMEM) {
        sqlite3_result_error_nomem(c);
        return;
    }
    if (rc != NL_TEXT_OK) {
        /* Stored text is validated on the way in; anything else matches nothing. */
        sqlite3_result_null(c);
        return;
    }
    if (outlen > (size_t)INT_MAX) {
        free(out);
        sqlite3_result_error_toobig(c);
        return;
    }
    sqlite3_result_text(c, out, (int)outlen, free);
}

/*
 * nl_distinct(x): the number of distinct non-NULL values of x, for small
 * non-negative integers (row ids). A bitmap instead of the temporary B-tree
 * of COUNT(DISTINCT x): one bit test per row, no sorting. The indicator
 * engine counts distinct trainees with it.
 */
struct distinct_ctx {
    uint64_t *bits;
    size_t words;
    sqlite3_int64 count;
};

#define DISTINCT_MAX_ID ((sqlite3_int64)1 << 31)

static void sql_distinct_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    struct distinct_ctx *d = sqlite3_aggregate_context(c, sizeof(*d));
    sqlite3_int64 v;

    (void)argc;
    if (d == NULL) {
        sqlite3_result_error_nomem(c);
        return;
    }
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    v = sqlite3_value_int64(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER || v < 0 || v >= DISTINCT_MAX_ID) {
        sqlite3_result_error(c, "nl_distinct: a row id expected", -1);
        return;
    }
    size_t w = (size_t)(v >> 6);
    if (w >= d->words) {
        size_t words = d->words ? d->words : 1024;
        while (words <= w)
            words *= 2;
        uint64_t *b = sqlite3_realloc64(d->bits, words * sizeof(*b));
        if (b == NULL) {
            sqlite3_result_error_nomem(c);
            return;
        }
        memset(b + d->words, 0, (words - d->words) * sizeof(*b));
        d->bits = b;
        d->words = words;
    }
    uint64_t bit = (uint64_t)1 << (v & 63);
    if ((d->bits[w] & bit) == 0) {
        d->bits[w] |= bit;
        d->count++;
    }
}

static void sql_distinct_final(sqlite3_context *c)
{
    struct distinct_ctx *d = sqlite3_aggregate_context(c, 0);

    sqlite3_result_int64(c, d != NULL ? d->count : 0);
    if (d != NULL)
        sqlite3_free(d->bits);
}

/* Registers the application SQL functions on a new connection. SQLite's result. */
static int register_functions(sqlite3 *db)
{
    int rc = sqlite3_create_function_v2(db, "nl_distinct", 1,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                        NULL, sql_distinct_step, sql_distinct_final, NULL);
    if (rc != SQLITE_OK)
        return rc;
    /*
     * INNOCUOUS as well as DETERMINISTIC: a pure function of its argument,
     * so it stays usable under trusted_schema = OFF should a view or an
     * index expression ever call it.
     */
    rc = sqlite3_create_function_v2(db, "nl_fold", 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                    sql_fold, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    return sqlite3_create_function_v2(db, "nl_fold_bare", 1,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      (void *)(uintptr_t)&fold_bare, sql_fold, NULL, NULL, NULL);
}

/* Runs constant SQL (no values) at open time; on failure fills err and returns the status. */
static enum nl_status open_exec(struct nl_store *st, const char *path, const char *sql, char *err,
                                size_t errlen)
{
    char *em = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &em);

    if (rc == SQLITE_OK)
        return NL_OK;
    nl_store_fmt_msg(err, errlen, "cannot set up '%s': %s", path,
                     em != NULL ? em : sqlite3_errstr(rc));
    sqlite3_free(em);
    return open_status(rc);
}

/*
 * Runs constant SQL and copies the first column of its first row into out
 * ("" when there is no row). Returns SQLITE_OK or the failing result.
 */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

    if (outlen > 0)
        out[0] = '\0';
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        if (t != NULL && outlen > 0)
            (void)snprintf(out, outlen, "%s", (const char *)t);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

static int query_user_version(sqlite3 *db, int *v)
{
    char buf[32];
    int rc = query_text(db, "PRAGMA user_version", buf, sizeof(buf));

    if (rc == SQLITE_OK)
        *v = (int)strtol(buf, NULL, 10);
    return rc;
}

/* Checks the schema version against this build; fills err when it cannot be used. */
static enum nl_status check_version(int v, enum nl_store_mode mode, const char *path, char *err,
                                    size_t errlen)
{
    if (v < 0) {
        nl_store_fmt_msg(err, errlen,
                         "database '%s' has schema version %d, which no nhanlucd writes", path, v);
        return NL_FAILED_PRECONDITION;
    }
    if (v > NL_STORE_SCHEMA_VERSION) {
        nl_store_fmt_msg(err, errlen, "database schema version %d is newer than this nhanlucd (%d)",
                         v, NL_STORE_SCHEMA_VERSION);
        return NL_FAILED_PRECONDITION;
    }
    if (mode == NL_STORE_READONLY && v < NL_STORE_SCHEMA_VERSION) {
        nl_store_fmt_msg(err, errlen,
                         "database '%s' has schema version %d, older than this nhanlucd (%d); "
                         "open it read-write first",
                         path, v, NL_STORE_SCHEMA_VERSION);
        return NL_FAILED_PRECONDITION;
    }
    return NL_OK;
}

/*
 * Runs every pending migration, each with its version bump in one BEGIN
 * IMMEDIATE transaction. The version is read again inside the transaction:
 * another process may have migrated while we waited for the lock.
 */
static enum nl_status migrate(struct nl_store *st, const char *path, char *err, size_t errlen)
{
    enum nl_status res;
    int v = 0;
    int rc = query_user_version(st->db, &v);

    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "cannot read the schema version of '%s': %s", path,
                         sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    res = check_version(v, NL_STORE_READWRITE, path, err, errlen);
    if (res != NL_OK || v == NL_STORE_SCHEMA_VERSION)
        return res;

    for (;;) {
        char bump[64];

        rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = query_user_version(st->db, &v);
        if (rc != SQLITE_OK)
            goto sqlfail;
        res = check_version(v, NL_STORE_READWRITE, path, err, errlen);
        if (res != NL_OK) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return res;
        }
        if (v == NL_STORE_SCHEMA_VERSION) {
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
            if (rc != SQLITE_OK)
                goto sqlfail;
            return NL_OK;
        }
        rc = sqlite3_exec(st->db, migrations[v], NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            (void)snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
            rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            goto sqlfail;
        nl_log_info("store: database migrated to schema version %d", v + 1);
    }

sqlfail:
    nl_store_fmt_msg(err, errlen, "database '%s': migration to schema version %d failed: %s", path,
                     v + 1, sqlite3_errmsg(st->db));
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    res = open_status(rc);
    if (res != NL_UNAVAILABLE && res != NL_DATA_LOSS && res != NL_RESOURCE_EXHAUSTED)
        res = NL_INTERNAL;
    return res;
}

/* PRAGMA quick_check must answer exactly "ok". */
static enum nl_status quick_check(struct nl_store *st, const char *path, char *err, size_t errlen)
{
    char res[256];
    int rc = query_text(st->db, "PRAGMA quick_check", res, sizeof(res));

    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "database '%s' failed its integrity check: %s", path,
                         sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    if (strcmp(res, "ok") != 0) {
        /* The first report reads "*** in database main ***\nPage 2: ..."; keep one line. */
        for (char *p = res; *p != '\0'; p++) {
            if (*p == '\n')
                *p = ' ';
        }
        for (size_t n = strlen(res); n > 0 && res[n - 1] == ' '; n--)
            res[n - 1] = '\0';
        nl_store_fmt_msg(err, errlen, "database '%s' failed its integrity check: %s", path, res);
        return NL_DATA_LOSS;
    }
    return NL_OK;
}

/* The pragmas of RELIABILITY.md 2.1 for the writer's connection. */
static enum nl_status setup_readwrite(struct nl_store *st, const char *path, char *err,
                                      size_t errlen)
{
    char mode[32];
    enum nl_status res;
    int rc;

    res = open_exec(st, path,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA trusted_schema = OFF;"
                    "PRAGMA secure_delete = ON;"
                    "PRAGMA temp_store = MEMORY;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    /*
     * The first statement that reads the file, before anything writes to
     * it: a damaged file or a non-database is refused as it was found.
     */
    res = quick_check(st, path, err, errlen);
    if (res != NL_OK)
        return res;
    rc = query_text(st->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': %s", path, sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    if (strcmp(mode, "wal") != 0 &&
        !(strcmp(path, ":memory:") == 0 && strcmp(mode, "memory") == 0)) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': journal_mode is '%s', not 'wal'", path,
                         mode);
        return NL_UNAVAILABLE;
    }
    res = open_exec(st, path,
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA journal_size_limit = 67108864;"
                    /* The writer's page cache: 64 MiB at most, grown as used. */
                    "PRAGMA cache_size = -65536;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    return migrate(st, path, err, errlen);
}

static enum nl_status setup_readonly(struct nl_store *st, const char *path, char *err,
                                     size_t errlen)
{
    enum nl_status res;
    int v = 0;
    int rc;

    res = open_exec(st, path,
                    "PRAGMA foreign_keys = ON;"
                    "PRAGMA trusted_schema = OFF;"
                    /* Large sorts must not spill personal data to temp files. */
                    "PRAGMA temp_store = MEMORY;",
                    err, errlen);
    if (res != NL_OK)
        return res;
    rc = query_user_version(st->db, &v);
    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': %s", path, sqlite3_errmsg(st->db));
        return open_status(rc);
    }
    return check_version(v, NL_STORE_READONLY, path, err, errlen);
}

enum nl_status nl_store_open(const char *path, enum nl_store_mode mode, struct nl_store **out,
                             char *err, size_t errlen)
{
    struct nl_store *st;
    enum nl_status res;
    int flags = SQLITE_OPEN_NOMUTEX;
    int rc;

    *out = NULL;
    nl_store_fmt_msg(err, errlen, "%s", "");
#ifdef SQLITE_OPEN_EXRESCODE
    flags |= SQLITE_OPEN_EXRESCODE;
#endif
    flags |= mode == NL_STORE_READONLY ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': out of memory", path);
        return NL_RESOURCE_EXHAUSTED;
    }
    st->mode = mode;
    rc = sqlite3_open_v2(path, &st->db, flags, nl_store_faultvfs_name());
    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': %s", path,
                         st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        res = open_status(rc);
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    /* Defensive mode: no writable_schema or other ways to damage the file from SQL. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    rc = register_functions(st->db);
    if (rc != SQLITE_OK) {
        nl_store_fmt_msg(err, errlen, "cannot open '%s': %s", path, sqlite3_errmsg(st->db));
        res = open_status(rc);
        goto fail;
    }

    res = mode == NL_STORE_READONLY ? setup_readonly(st, path, err, errlen)
                                    : setup_readwrite(st, path, err, errlen);
    if (res != NL_OK)
        goto fail;
    *out = st;
    return NL_OK;
fail:
    nl_store_close(st);
    return res;
}

void nl_store_close(struct nl_store *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < S_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    for (unsigned i = 0; i < st->ncache; i++)
        sqlite3_finalize(st->cache[i].stmt);
    nl_store_ind_cache_free(st);
    nl_store_token_cache_free(st);
    if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
        nl_log_error("store: close: %s", sqlite3_errmsg(st->db));
    free(st);
}

int nl_store_io_failed(const struct nl_store *st)
{
    return st->io_failed;
}

int nl_store_schema_version(struct nl_store *st)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, S_USER_VERSION, &res);
    int v = -1;

    if (s == NULL)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    else
        nl_store_fail(st, rc, stmt_sql[S_USER_VERSION]);
    nl_store_stmt_done(s);
    return v;
}

/* --- transactions --- */

enum nl_status nl_store_begin_read(struct nl_store *st)
{
    return run_simple(st, S_BEGIN);
}

enum nl_status nl_store_end_read(struct nl_store *st)
{
    return run_simple(st, S_COMMIT);
}

enum nl_status nl_store_begin_write(struct nl_store *st)
{
    return run_simple(st, S_BEGIN_IMMEDIATE);
}

enum nl_status nl_store_commit(struct nl_store *st)
{
    return run_simple(st, S_COMMIT);
}

enum nl_status nl_store_rollback(struct nl_store *st)
{
    if (sqlite3_get_autocommit(st->db))
        return NL_OK;
    return run_simple(st, S_ROLLBACK);
}

int nl_store_txn_active(struct nl_store *st)
{
    return !sqlite3_get_autocommit(st->db);
}

enum nl_status nl_store_savepoint(struct nl_store *st)
{
    return run_simple(st, S_SAVEPOINT);
}

enum nl_status nl_store_savepoint_release(struct nl_store *st)
{
    return run_simple(st, S_RELEASE);
}

enum nl_status nl_store_savepoint_rollback(struct nl_store *st)
{
    enum nl_status res;

    /* An interrupted write (or FULL, NOMEM, IOERR) already rolled back everything. */
    if (sqlite3_get_autocommit(st->db)) {
        nl_log_warnx("store: the transaction was rolled back with the failing job");
        return NL_ABORTED;
    }
    res = run_simple(st, S_ROLLBACK_TO);

    if (res != NL_OK)
        return res;
    return run_simple(st, S_RELEASE);
}

enum nl_status nl_store_checkpoint(struct nl_store *st)
{
    enum nl_status res = NL_OK;
    sqlite3_stmt *s = stmt_get(st, S_CHECKPOINT, &res);
    int rc;

    if (s == NULL)
        return res;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        /* Columns: busy, WAL frames, frames checkpointed. busy = 1: readers held it back. */
        if (sqlite3_column_int(s, 0) != 0) {
            nl_log_warnx("store: checkpoint could not complete: readers are active");
            res = NL_UNAVAILABLE;
        }
    } else if (rc != SQLITE_DONE) {
        res = nl_store_fail(st, rc, stmt_sql[S_CHECKPOINT]);
    }
    nl_store_stmt_done(s);
    return res;
}

/*
 * Makes room for one more record in an arena array that doubles from 16,
 * never beyond `limit` entries. Returns 0 or -1 when out of memory.
 */
static int grow(void **rows, size_t *cap, size_t n, size_t elem, size_t limit, struct nl_arena *a)
{
    size_t ncap;
    void *p;

    if (n < *cap)
        return 0;
    ncap = *cap == 0 ? 16 : *cap * 2;
    if (ncap > limit)
        ncap = limit;
    if (ncap <= n || ncap > SIZE_MAX / elem)
        return -1;
    p = nl_arena_alloc(a, ncap * elem);
    if (p == NULL)
        return -1;
    if (n > 0)
        memcpy(p, *rows, n * elem);
    *rows = p;
    *cap = ncap;
    return 0;
}

/*
 * Steps the bound statement `s` to its end, copying each row with `copy` into
 * an arena array of records of `elem` bytes: *rows and *n on NL_OK. With
 * `more` non-NULL, at most `limit` rows are taken and *more = 1 says that
 * another row follows; with `more` NULL, `limit` only caps the array (a row
 * beyond it is NL_RESOURCE_EXHAUSTED). On failure *rows = NULL, *n = 0 and
 * *more = 0. The caller calls nl_store_stmt_done(s).
 */
enum nl_status nl_store_collect_rows(struct nl_store *st, sqlite3_stmt *s, nl_store_row_fn copy,
                                     size_t elem, size_t limit, void **rows, size_t *n, int *more,
                                     struct nl_arena *a)
{
    enum nl_status res = NL_OK;
    void *arr = NULL;
    size_t cap = 0;
    int row;

    *rows = NULL;
    *n = 0;
    while ((res = nl_store_step_once(st, s, &row)) == NL_OK && row) {
        if (more != NULL && *n == limit) {
            *more = 1;
            break;
        }
        if (grow(&arr, &cap, *n, elem, limit, a) != 0) {
            res = NL_RESOURCE_EXHAUSTED;
            break;
        }
        res = copy(s, (char *)arr + *n * elem, a);
        if (res != NL_OK)
            break;
        (*n)++;
    }
    if (res != NL_OK) {
        *n = 0;
        if (more != NULL)
            *more = 0;
        return res;
    }
    *rows = arr;
    return NL_OK;
}

#ifdef NL_TEST_HOOKS
enum nl_status nl_store_test_exec(struct nl_store *st, const char *sql)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? NL_OK : nl_store_fail(st, rc, "test exec");
}

enum nl_status nl_store_test_query(struct nl_store *st, const char *sql, char *out, size_t outlen)
{
    int rc = query_text(st->db, sql, out, outlen);

    return rc == SQLITE_OK ? NL_OK : nl_store_fail(st, rc, "test query");
}
#endif
