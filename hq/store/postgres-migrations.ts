import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';

export type PgMigration = { version: number; name: string; up(client: PoolClient): Promise<void> };

/**
 * HQ's PostgreSQL schema, version by version; the same tables and columns as the SQLite schema
 * (`sqlite-migrations.ts`), with BIGINT sequence numbers. How it partitions and shards when HQ
 * outgrows one machine is in hq/README.md.
 */
const initial: PgMigration = {
  version: 1,
  name: 'hq-initial',
  async up(client) {
    await client.query(`
      CREATE TABLE site (id TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT, at TEXT NOT NULL);

      CREATE TABLE enrollment_code (
        code_hash TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        station_id TEXT
      );

      CREATE TABLE station (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        name TEXT NOT NULL,
        local_station_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        acked_through BIGINT NOT NULL DEFAULT 0,
        head_seq BIGINT NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        last_contact_at TEXT
      );

      CREATE TABLE seen_signature (signature TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
      CREATE INDEX seen_signature_expiry ON seen_signature(expires_at);

      CREATE TABLE record (
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        kind TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        at TEXT NOT NULL,
        payload TEXT NOT NULL,
        digest TEXT NOT NULL,
        rejection TEXT,
        detail TEXT,
        PRIMARY KEY (station_id, seq)
      );

      CREATE TABLE conflict (
        id BIGSERIAL PRIMARY KEY,
        station_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        batch_id TEXT NOT NULL,
        stored_digest TEXT NOT NULL,
        received_digest TEXT NOT NULL,
        received TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX conflict_station ON conflict(station_id, seq);

      CREATE TABLE person (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        person_key TEXT NOT NULL,
        PRIMARY KEY (station_id, person_id)
      );
      CREATE INDEX person_site_key ON person(site_id, person_key);

      CREATE TABLE round (
        station_id TEXT NOT NULL,
        round_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        PRIMARY KEY (station_id, round_id)
      );

      CREATE TABLE tube (
        station_id TEXT NOT NULL,
        tube_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        code TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        round_id TEXT NOT NULL,
        day TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        state TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (station_id, tube_id)
      );
      CREATE INDEX tube_code ON tube(code);
      CREATE INDEX tube_site_day ON tube(site_id, day);

      CREATE TABLE binding (
        station_id TEXT NOT NULL,
        binding_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        tube_id TEXT NOT NULL,
        tube_code TEXT NOT NULL,
        person_id TEXT NOT NULL,
        round_id TEXT NOT NULL,
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (station_id, binding_id)
      );
      CREATE INDEX binding_site_day ON binding(site_id, day);
      CREATE INDEX binding_tube_code ON binding(tube_code);
      CREATE INDEX binding_round ON binding(station_id, round_id);

      CREATE TABLE box (
        station_id TEXT NOT NULL,
        box_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        code TEXT NOT NULL,
        count INTEGER NOT NULL,
        day TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (station_id, box_id)
      );
      CREATE INDEX box_site_day ON box(site_id, day);

      CREATE TABLE result (id BIGSERIAL PRIMARY KEY, tube_code TEXT NOT NULL, result TEXT NOT NULL, at TEXT NOT NULL);
      CREATE INDEX result_tube ON result(tube_code, id);

      CREATE TABLE retest_task (
        tube_code TEXT NOT NULL,
        person_key TEXT NOT NULL,
        site_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT,
        closed_station_id TEXT,
        closed_seq BIGINT,
        PRIMARY KEY (tube_code, person_key)
      );
      CREATE INDEX retest_task_open ON retest_task(person_key) WHERE closed_at IS NULL;

      CREATE TABLE feed_item (
        cursor BIGSERIAL PRIMARY KEY,
        site_id TEXT,
        station_id TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
      );
    `);
  },
};

/** Which binding closed a re-test task, so undoing that binding at the station reopens it. */
const retestClosedBinding: PgMigration = {
  version: 2,
  name: 'hq-retest-closed-binding',
  async up(client) {
    await client.query(`
      ALTER TABLE retest_task ADD COLUMN closed_binding_id TEXT;
      CREATE INDEX retest_task_closed_binding ON retest_task(closed_station_id, closed_binding_id) WHERE closed_at IS NOT NULL;
    `);
  },
};

/** Many desks at one site: the same tables and backfill as SQLite's `hq-site-desks`. */
const siteDesks: PgMigration = {
  version: 3,
  name: 'hq-site-desks',
  async up(client) {
    await client.query(`
      ALTER TABLE site ADD COLUMN mark_key TEXT;
      ALTER TABLE station ADD COLUMN number INTEGER;
      CREATE TABLE station_number (
        site_id TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
        station_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (site_id, number)
      );
      CREATE TABLE code_holder (code TEXT PRIMARY KEY, station_id TEXT NOT NULL, tube_id TEXT NOT NULL);
      CREATE TABLE tube_conflict (
        code TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        resolved_station_id TEXT,
        resolved_tube_id TEXT,
        resolved_at TEXT,
        resolved_note TEXT
      );
      ALTER TABLE result ADD COLUMN station_id TEXT;
      ALTER TABLE result ADD COLUMN tube_id TEXT;
    `);
    const at = new Date().toISOString();
    const feed = 'INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES ($1, $2, $3, $4, $5)';
    const sites = (await client.query<{ id: string; name: string }>('SELECT id, name FROM site ORDER BY id')).rows;
    for (const site of sites) {
      const key = randomBytes(32).toString('base64url');
      await client.query('UPDATE site SET mark_key = $1 WHERE id = $2', [key, site.id]);
      await client.query(feed, [site.id, null, 'site.keys', JSON.stringify({ siteId: site.id, markKey: key }), at]);
      const stations = (await client.query<{ id: string; name: string }>('SELECT id, name FROM station WHERE site_id = $1 ORDER BY enrolled_at, id', [site.id])).rows;
      for (const [i, st] of stations.entries()) {
        const number = i + 1;
        await client.query('UPDATE station SET number = $1 WHERE id = $2', [number, st.id]);
        await client.query('INSERT INTO station_number (site_id, number, station_id, at) VALUES ($1, $2, $3, $4)', [site.id, number, st.id, at]);
        await client.query(feed, [site.id, st.id, 'station.identity', JSON.stringify({ siteId: site.id, siteName: site.name, number, name: st.name.slice(0, 60) }), at]);
      }
    }
    await client.query(`
      CREATE UNIQUE INDEX station_site_number ON station(site_id, number);
      INSERT INTO code_holder (code, station_id, tube_id)
        SELECT DISTINCT ON (code) code, station_id, tube_id FROM tube ORDER BY code, opened_at ON CONFLICT DO NOTHING;
    `);
    await client.query(
      `INSERT INTO tube_conflict (code, site_id, detected_at) SELECT code, min(site_id), $1 FROM tube GROUP BY code HAVING count(*) > 1`,
      [at],
    );
  },
};

/** Rounds belong to the site: the same `site_round` as SQLite's `hq-site-rounds`. */
const siteRounds: PgMigration = {
  version: 4,
  name: 'hq-site-rounds',
  async up(client) {
    await client.query(`
      CREATE TABLE site_round (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        name TEXT NOT NULL,
        starts_on TEXT,
        ends_on TEXT,
        started_at TEXT NOT NULL,
        started_by TEXT NOT NULL,
        station_id TEXT,
        closed_at TEXT,
        closed_by TEXT
      );
      CREATE INDEX site_round_site ON site_round(site_id, started_at);
    `);
  },
};

/**
 * The resident roster at HQ: versions per site (imported at HQ, or imported at one of the site's
 * stations and received in its journal), their residents, refused rows, changes against the
 * version in use, and residents per building and unit.
  The same tables as SQLite's `hq-roster`.
 */
const roster: PgMigration = {
  version: 5,
  name: 'hq-roster',
  async up(client) {
    await client.query(`
      CREATE TABLE roster_import (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        source TEXT NOT NULL,
        station_id TEXT,
        file_name TEXT,
        state TEXT NOT NULL,
        total_rows INTEGER NOT NULL DEFAULT 0,
        residents INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        warned INTEGER NOT NULL DEFAULT 0,
        expected_rows INTEGER,
        changes TEXT,
        headers TEXT,
        plan TEXT,
        failure TEXT,
        created_at TEXT NOT NULL,
        applied_at TEXT
      );
      CREATE INDEX roster_import_site ON roster_import(site_id, state);
      CREATE TABLE roster_resident (
        import_id TEXT NOT NULL,
        row_no BIGINT NOT NULL,
        id_number TEXT NOT NULL,
        name TEXT NOT NULL,
        phone TEXT,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        room TEXT NOT NULL,
        tags INTEGER NOT NULL
      );
      CREATE INDEX roster_resident_row ON roster_resident(import_id, row_no);
      CREATE INDEX roster_resident_id ON roster_resident(import_id, id_number);
      CREATE INDEX roster_resident_home ON roster_resident(import_id, building, unit, room);
      CREATE TABLE roster_problem (import_id TEXT NOT NULL, row_no BIGINT NOT NULL, problems TEXT NOT NULL, refused INTEGER NOT NULL);
      CREATE INDEX roster_problem_row ON roster_problem(import_id, row_no);
      CREATE TABLE roster_change (import_id TEXT NOT NULL, kind TEXT NOT NULL, id_number TEXT NOT NULL, row_no BIGINT, before TEXT);
      CREATE INDEX roster_change_kind ON roster_change(import_id, kind, row_no);
      CREATE TABLE roster_cell (import_id TEXT NOT NULL, building TEXT NOT NULL, unit TEXT NOT NULL, residents INTEGER NOT NULL, PRIMARY KEY (import_id, building, unit));
    `);
  },
};

/**
 * Coverage of each round against its site's roster: who counts as sampled (with how many live
 * bindings say so), who is exempt and why, and the counts per building and unit kept up to date
 * with every batch (`coverage_state`: which roster version they were counted against).
 * The same tables as SQLite's `hq-coverage`.
 */
const coverage: PgMigration = {
  version: 6,
  name: 'hq-coverage',
  async up(client) {
    await client.query(`
      CREATE TABLE coverage_tested (round_id TEXT NOT NULL, person_key TEXT NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY (round_id, person_key));
      CREATE TABLE coverage_exempt (
        round_id TEXT NOT NULL,
        person_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        exempted_by TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (round_id, person_key)
      );
      CREATE TABLE coverage_cell (
        round_id TEXT NOT NULL,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        tested INTEGER NOT NULL DEFAULT 0,
        exempt INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (round_id, building, unit)
      );
      CREATE TABLE coverage_state (round_id TEXT PRIMARY KEY, roster_id TEXT NOT NULL, counted_at TEXT NOT NULL);
    `);
  },
};

/** The same `coverage_total` as SQLite's `hq-coverage-totals`. */
const coverageTotals: PgMigration = {
  version: 7,
  name: 'hq-coverage-totals',
  async up(client) {
    await client.query(`
      CREATE TABLE coverage_total (round_id TEXT PRIMARY KEY, tested BIGINT NOT NULL);
      INSERT INTO coverage_total (round_id, tested) SELECT round_id, count(*) FROM coverage_tested GROUP BY round_id;
    `);
  },
};

/** The same as SQLite's `hq-roster-readers`: the reader's heartbeat, its uploaded file, one version in use per site. */
const rosterReaders: PgMigration = {
  version: 8,
  name: 'hq-roster-readers',
  async up(client) {
    await client.query(`
      ALTER TABLE roster_import ADD COLUMN touched_at TEXT;
      ALTER TABLE roster_import ADD COLUMN upload_file TEXT;
      UPDATE roster_import SET state = 'superseded' WHERE state = 'current' AND id <> (
        SELECT o.id FROM roster_import o WHERE o.site_id = roster_import.site_id AND o.state = 'current' ORDER BY o.applied_at DESC, o.id DESC LIMIT 1);
      CREATE UNIQUE INDEX roster_import_one_current ON roster_import(site_id) WHERE state = 'current';
    `);
  },
};

/** The same index as SQLite's `hq-bindings-by-tube`. */
const bindingsByTube: PgMigration = {
  version: 9,
  name: 'hq-bindings-by-tube',
  async up(client) {
    await client.query('CREATE INDEX binding_tube ON binding(station_id, tube_id)');
  },
};

/** The same as SQLite's `hq-station-revoked`. */
const stationRevoked: PgMigration = {
  version: 10,
  name: 'hq-station-revoked',
  async up(client) {
    await client.query('ALTER TABLE station ADD COLUMN revoked_at TEXT');
  },
};

/** The same as SQLite's `hq-journal-chain`. */
const journalChain: PgMigration = {
  version: 11,
  name: 'hq-journal-chain',
  async up(client) {
    await client.query(`
      ALTER TABLE record ADD COLUMN chain_hash TEXT;
      ALTER TABLE station ADD COLUMN chain_head TEXT;
      ALTER TABLE station ADD COLUMN chain_error TEXT;
    `);
  },
};

/** The same `site_operator` as SQLite's `hq-site-operators`. */
const siteOperators: PgMigration = {
  version: 12,
  name: 'hq-site-operators',
  async up(client) {
    await client.query(`
      CREATE TABLE site_operator (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('collector', 'sampler', 'gatekeeper', 'transporter', 'admin')),
        badge TEXT,
        pin_hash TEXT,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        locked_out INTEGER NOT NULL DEFAULT 0 CHECK (locked_out IN (0, 1)),
        station_id TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX site_operator_code ON site_operator(site_id, code);
      CREATE UNIQUE INDEX site_operator_badge ON site_operator(site_id, badge) WHERE badge IS NOT NULL;
    `);
  },
};

/** The same as SQLite's `hq-keys-and-relink`. */
const keysAndRelink: PgMigration = {
  version: 13,
  name: 'hq-keys-and-relink',
  async up(client) {
    await client.query(`
      ALTER TABLE station ADD COLUMN hq_key TEXT;
      ALTER TABLE enrollment_code ADD COLUMN relink_station_id TEXT;
      CREATE TABLE station_relink (
        code_hash TEXT PRIMARY KEY,
        station_id TEXT NOT NULL REFERENCES station(id),
        relinked_at TEXT NOT NULL,
        revoked_at TEXT,
        public_key_before TEXT NOT NULL
      );
      CREATE INDEX station_relink_station ON station_relink(station_id, relinked_at);
    `);
  },
};

/** The same gate projections and follow-ups as SQLite's `hq-gate`. */
const gate: PgMigration = {
  version: 14,
  name: 'hq-gate',
  async up(client) {
    await client.query(`
      CREATE TABLE gate_passage (
        station_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        operator_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        residency TEXT NOT NULL,
        level TEXT NOT NULL,
        key_person INTEGER NOT NULL CHECK (key_person IN (0, 1)),
        key_person_lists TEXT NOT NULL,
        threshold_c DOUBLE PRECISION NOT NULL,
        temperature TEXT,
        person_seq BIGINT,
        PRIMARY KEY (station_id, passage_id)
      );
      CREATE INDEX gate_passage_site_hour ON gate_passage(site_id, day, station_id, hour, direction, temperature);
      CREATE INDEX gate_passage_hits ON gate_passage(site_id, day, at) WHERE key_person = 1;
      CREATE INDEX gate_passage_person_hits ON gate_passage(station_id, person_id, seq) WHERE key_person = 1;
      CREATE TABLE gate_reading (
        station_id TEXT NOT NULL,
        reading_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        measured_at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT,
        celsius DOUBLE PRECISION NOT NULL,
        threshold_c DOUBLE PRECISION NOT NULL,
        high INTEGER NOT NULL CHECK (high IN (0, 1)),
        source TEXT NOT NULL,
        match TEXT NOT NULL,
        temperature TEXT,
        PRIMARY KEY (station_id, reading_id)
      );
      CREATE INDEX gate_reading_site_hour ON gate_reading(site_id, day, high, hour);
      CREATE TABLE gate_referral (
        station_id TEXT NOT NULL,
        referral_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        destination TEXT NOT NULL,
        escort TEXT NOT NULL,
        PRIMARY KEY (station_id, referral_id)
      );
      CREATE INDEX gate_referral_site_day ON gate_referral(site_id, day, hour);
      CREATE TABLE gate_key_person_action (
        station_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (station_id, action_id)
      );
      CREATE INDEX gate_key_person_action_passage ON gate_key_person_action(passage_id, station_id, seq);
      CREATE TABLE gate_visit (
        station_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        expected_until TEXT NOT NULL,
        PRIMARY KEY (station_id, visit_id)
      );
      CREATE INDEX gate_visit_site_hour ON gate_visit(site_id, day, hour);
      CREATE INDEX gate_visit_id ON gate_visit(visit_id);
      CREATE TABLE gate_visit_left (
        station_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        stayed_minutes INTEGER NOT NULL,
        PRIMARY KEY (station_id, visit_id)
      );
      CREATE INDEX gate_visit_left_site_hour ON gate_visit_left(site_id, day, hour);
      CREATE INDEX gate_visit_left_id ON gate_visit_left(visit_id);
      CREATE TABLE gate_vehicle (
        station_id TEXT NOT NULL,
        vehicle_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        plate_kind TEXT NOT NULL,
        passengers INTEGER NOT NULL,
        entry_id TEXT,
        PRIMARY KEY (station_id, vehicle_id)
      );
      CREATE INDEX gate_vehicle_site_hour ON gate_vehicle(site_id, day, hour, direction);
      CREATE TABLE station_workplace (station_id TEXT PRIMARY KEY, workplace TEXT NOT NULL, seq BIGINT NOT NULL, at TEXT NOT NULL);
      CREATE TABLE gate_follow_up (
        id BIGSERIAL PRIMARY KEY,
        station_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        note TEXT NOT NULL,
        followed_up_by TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX gate_follow_up_passage ON gate_follow_up(passage_id, station_id, id);
    `);
  },
};

/** Resident passes, as in `sqlite-migrations.ts`. */
const residentPasses: PgMigration = {
  version: 15,
  name: 'hq-resident-passes',
  async up(client) {
    await client.query(`
      CREATE TABLE resident_pass (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        code TEXT NOT NULL,
        household TEXT NOT NULL,
        id_number TEXT NOT NULL,
        name TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        issued_at TEXT NOT NULL,
        revoked_at TEXT,
        revoked_reason TEXT,
        revoked_station_id TEXT
      );
      CREATE UNIQUE INDEX resident_pass_code ON resident_pass(site_id, code);
      CREATE INDEX resident_pass_holder ON resident_pass(site_id, id_number);
    `);
  },
};

/** Boxes and the lab, as in `sqlite-migrations.ts`. */
const boxCustody: PgMigration = {
  version: 16,
  name: 'hq-box-custody',
  async up(client) {
    await client.query(`
      ALTER TABLE box ADD COLUMN person_count INTEGER;
      ALTER TABLE box ADD COLUMN handed_over_at TEXT;
      ALTER TABLE box ADD COLUMN handed_over_count INTEGER;
      ALTER TABLE box ADD COLUMN state TEXT NOT NULL DEFAULT 'sealed' CHECK (state IN ('open', 'sealed', 'handedOver'));
      ALTER TABLE box ADD COLUMN opened_at TEXT;
      ALTER TABLE box ADD COLUMN capacity INTEGER;
      ALTER TABLE box ADD COLUMN sealed_at TEXT;
      UPDATE box SET sealed_at = at;
      CREATE INDEX box_code ON box(code);
      CREATE INDEX box_site_state ON box(site_id, state);
      CREATE TABLE box_tube (
        station_id TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        box_id TEXT NOT NULL,
        tube_id TEXT NOT NULL,
        tube_code TEXT NOT NULL,
        added_at TEXT NOT NULL,
        removed_at TEXT,
        removed_reason TEXT,
        PRIMARY KEY (station_id, entry_id)
      );
      CREATE INDEX box_tube_box ON box_tube(station_id, box_id);
      CREATE INDEX box_tube_tube ON box_tube(station_id, tube_id);
      CREATE INDEX box_tube_code ON box_tube(tube_code);
      CREATE TABLE lab_receipt (
        id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        box_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        box_code TEXT NOT NULL,
        received_at TEXT NOT NULL,
        received_by TEXT NOT NULL,
        closed_at TEXT,
        note TEXT NOT NULL DEFAULT '',
        box_state TEXT NOT NULL DEFAULT 'handedOver',
        closed_by TEXT,
        revision INTEGER NOT NULL DEFAULT 0
      );
      CREATE UNIQUE INDEX lab_receipt_box ON lab_receipt(station_id, box_id);
      CREATE INDEX lab_receipt_site ON lab_receipt(site_id, received_at);
      CREATE TABLE lab_receipt_tube (
        receipt_id TEXT NOT NULL REFERENCES lab_receipt(id),
        tube_code TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('received', 'missing', 'extra', 'broken')),
        reason TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        PRIMARY KEY (receipt_id, tube_code)
      );
      CREATE INDEX lab_receipt_tube_code ON lab_receipt_tube(tube_code, status);
      CREATE TABLE lab_receipt_step (
        receipt_id TEXT NOT NULL REFERENCES lab_receipt(id),
        n INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('opened', 'scanned', 'broken', 'finished', 'corrected')),
        tube_code TEXT,
        status TEXT CHECK (status IN ('received', 'missing', 'extra', 'broken')),
        reason TEXT NOT NULL DEFAULT '',
        done_by TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (receipt_id, n)
      );
    `);
  },
};

/** Home isolation, as in `sqlite-migrations.ts`. */
const isolation: PgMigration = {
  version: 17,
  name: 'hq-isolation',
  async up(client) {
    await client.query(`
      CREATE TABLE isolation (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        subject TEXT NOT NULL,
        household TEXT NOT NULL,
        reason TEXT NOT NULL,
        start_day TEXT NOT NULL,
        until_day TEXT NOT NULL,
        sampling_days TEXT NOT NULL,
        station_id TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        end_reason TEXT,
        ended_by TEXT
      );
      CREATE INDEX isolation_site ON isolation(site_id, until_day);
      CREATE TABLE isolation_person (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL REFERENCES isolation(id),
        id_number TEXT NOT NULL,
        name TEXT NOT NULL
      );
      CREATE INDEX isolation_person_of ON isolation_person(isolation_id);
      CREATE TABLE isolation_reading (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        day TEXT NOT NULL,
        slot TEXT NOT NULL,
        celsius DOUBLE PRECISION NOT NULL,
        station_id TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX isolation_reading_of ON isolation_reading(isolation_id, day);
    `);
  },
};

/** Lab results in bulk, as in `sqlite-migrations.ts`. */
const resultImports: PgMigration = {
  version: 18,
  name: 'hq-result-imports',
  async up(client) {
    await client.query(`
      ALTER TABLE result ADD COLUMN tested_at TEXT;
      ALTER TABLE result ADD COLUMN lab TEXT;
      ALTER TABLE result ADD COLUMN import_id TEXT;
      ALTER TABLE result ADD COLUMN row_no INTEGER;
      ALTER TABLE result ADD COLUMN not_received INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX result_of_import ON result(import_id, row_no) WHERE import_id IS NOT NULL;
      CREATE INDEX result_not_received ON result(id) WHERE not_received = 1;
      CREATE TABLE result_import (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL CHECK (source IN ('file', 'lab')),
        file_name TEXT,
        file_hash TEXT,
        lab TEXT,
        lab_token_id TEXT,
        state TEXT NOT NULL CHECK (state IN ('refused', 'imported', 'discarded')),
        complete INTEGER NOT NULL DEFAULT 0,
        total_rows INTEGER NOT NULL,
        imported INTEGER NOT NULL,
        already INTEGER NOT NULL,
        duplicates INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        not_received INTEGER NOT NULL,
        positives INTEGER NOT NULL,
        good_rows INTEGER NOT NULL,
        pending TEXT,
        at TEXT NOT NULL,
        imported_at TEXT
      );
      CREATE INDEX result_import_done ON result_import(file_hash) WHERE complete = 1;
      CREATE INDEX result_import_at ON result_import(at);
      CREATE TABLE result_import_error (
        import_id TEXT NOT NULL REFERENCES result_import(id),
        row_no INTEGER NOT NULL,
        n INTEGER NOT NULL,
        col TEXT,
        code TEXT NOT NULL,
        value TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (import_id, row_no, n)
      );
      CREATE TABLE lab_token (
        id TEXT PRIMARY KEY,
        lab TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
      );
    `);
  },
};

export const HQ_PG_MIGRATIONS: readonly PgMigration[] = [
  initial,
  retestClosedBinding,
  siteDesks,
  siteRounds,
  roster,
  coverage,
  coverageTotals,
  rosterReaders,
  bindingsByTube,
  stationRevoked,
  journalChain,
  siteOperators,
  keysAndRelink,
  gate,
  residentPasses,
  boxCustody,
  isolation,
  resultImports,
];
