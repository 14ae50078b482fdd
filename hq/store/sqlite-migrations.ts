import { randomBytes } from 'node:crypto';
import type { Migration } from '../../electron/core/db/migrations';

/**
 * HQ's SQLite schema, version by version (the same ordered-list scheme as the station's). The
 * PostgreSQL schema in `postgres-migrations.ts` has the same tables and columns.
 *
 * `record` holds every journal record of every station, valid or not, by (station, seq): it is
 * what makes ingest idempotent. The other tables are projections for the dashboard and the feed.
 * Times are ISO 8601 UTC text; `day` is the sampling site's calendar day.
 */
const initial: Migration = {
  version: 1,
  name: 'hq-initial',
  up(db) {
    db.exec(`
      CREATE TABLE site (id TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT, at TEXT NOT NULL) STRICT;

      CREATE TABLE enrollment_code (
        code_hash TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        station_id TEXT
      ) STRICT;

      CREATE TABLE station (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        name TEXT NOT NULL,
        local_station_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        acked_through INTEGER NOT NULL DEFAULT 0,
        head_seq INTEGER NOT NULL DEFAULT 0,
        rejected INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        last_contact_at TEXT
      ) STRICT;

      CREATE TABLE seen_signature (signature TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT;
      CREATE INDEX seen_signature_expiry ON seen_signature(expires_at);

      CREATE TABLE record (
        station_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        at TEXT NOT NULL,
        payload TEXT NOT NULL,
        digest TEXT NOT NULL,
        rejection TEXT,
        detail TEXT,
        PRIMARY KEY (station_id, seq)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE conflict (
        id INTEGER PRIMARY KEY,
        station_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        batch_id TEXT NOT NULL,
        stored_digest TEXT NOT NULL,
        received_digest TEXT NOT NULL,
        received TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX conflict_station ON conflict(station_id, seq);

      CREATE TABLE person (
        station_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        person_key TEXT NOT NULL,
        PRIMARY KEY (station_id, person_id)
      ) STRICT;
      CREATE INDEX person_site_key ON person(site_id, person_key);

      CREATE TABLE round (
        station_id TEXT NOT NULL,
        round_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        PRIMARY KEY (station_id, round_id)
      ) STRICT;

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
      ) STRICT;
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
      ) STRICT;
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
      ) STRICT;
      CREATE INDEX box_site_day ON box(site_id, day);

      CREATE TABLE result (id INTEGER PRIMARY KEY, tube_code TEXT NOT NULL, result TEXT NOT NULL, at TEXT NOT NULL) STRICT;
      CREATE INDEX result_tube ON result(tube_code, id);

      CREATE TABLE retest_task (
        tube_code TEXT NOT NULL,
        person_key TEXT NOT NULL,
        site_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT,
        closed_station_id TEXT,
        closed_seq INTEGER,
        PRIMARY KEY (tube_code, person_key)
      ) STRICT;
      CREATE INDEX retest_task_open ON retest_task(person_key) WHERE closed_at IS NULL;

      CREATE TABLE feed_item (
        cursor INTEGER PRIMARY KEY AUTOINCREMENT,
        site_id TEXT,
        station_id TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
    `);
  },
};

/** Which binding closed a re-test task, so undoing that binding at the station reopens it. */
const retestClosedBinding: Migration = {
  version: 2,
  name: 'hq-retest-closed-binding',
  up(db) {
    db.exec(`
      ALTER TABLE retest_task ADD COLUMN closed_binding_id TEXT;
      CREATE INDEX retest_task_closed_binding ON retest_task(closed_station_id, closed_binding_id) WHERE closed_at IS NOT NULL;
    `);
  },
};

/**
 * Many desks at one site: each station's number within its site (a number once given is never
 * given to another station of the site, so old tube codes stay unique), the site's key for
 * "sampled in this round" marks, the first holder of every tube code and the codes opened at
 * more than one station, and which tube a result is for.
 */
const siteDesks: Migration = {
  version: 3,
  name: 'hq-site-desks',
  up(db) {
    db.exec(`
      ALTER TABLE site ADD COLUMN mark_key TEXT;
      ALTER TABLE station ADD COLUMN number INTEGER;
      CREATE TABLE station_number (
        site_id TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 999),
        station_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (site_id, number)
      ) STRICT;
      CREATE TABLE code_holder (code TEXT PRIMARY KEY, station_id TEXT NOT NULL, tube_id TEXT NOT NULL) STRICT, WITHOUT ROWID;
      CREATE TABLE tube_conflict (
        code TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        resolved_station_id TEXT,
        resolved_tube_id TEXT,
        resolved_at TEXT,
        resolved_note TEXT
      ) STRICT;
      ALTER TABLE result ADD COLUMN station_id TEXT;
      ALTER TABLE result ADD COLUMN tube_id TEXT;
    `);
    const at = new Date().toISOString();
    const feed = db.prepare('INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES (?, ?, ?, ?, ?)');
    for (const site of db.prepare('SELECT id, name FROM site ORDER BY id').all() as { id: string; name: string }[]) {
      const key = randomBytes(32).toString('base64url');
      db.prepare('UPDATE site SET mark_key = ? WHERE id = ?').run(key, site.id);
      feed.run(site.id, null, 'site.keys', JSON.stringify({ siteId: site.id, markKey: key }), at);
      const stations = db.prepare('SELECT id, name FROM station WHERE site_id = ? ORDER BY enrolled_at, id').all(site.id) as { id: string; name: string }[];
      stations.forEach((st, i) => {
        const number = i + 1;
        db.prepare('UPDATE station SET number = ? WHERE id = ?').run(number, st.id);
        db.prepare('INSERT INTO station_number (site_id, number, station_id, at) VALUES (?, ?, ?, ?)').run(site.id, number, st.id, at);
        feed.run(site.id, st.id, 'station.identity', JSON.stringify({ siteId: site.id, siteName: site.name, number, name: st.name.slice(0, 60) }), at);
      });
    }
    db.exec(`
      CREATE UNIQUE INDEX station_site_number ON station(site_id, number);
      INSERT OR IGNORE INTO code_holder (code, station_id, tube_id) SELECT code, station_id, tube_id FROM tube ORDER BY opened_at;
      INSERT INTO tube_conflict (code, site_id, detected_at)
        SELECT code, min(site_id), '${at}' FROM tube GROUP BY code HAVING count(*) > 1;
    `);
  },
};

/**
 * Rounds belong to the site: `site_round` holds the rounds HQ's staff or a site admin at one of
 * the site's stations started, sent to every station of the site. (`round` keeps what each
 * station journalled, its demo rounds included.)
 */
const siteRounds: Migration = {
  version: 4,
  name: 'hq-site-rounds',
  up(db) {
    db.exec(`
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
      ) STRICT;
      CREATE INDEX site_round_site ON site_round(site_id, started_at);
    `);
  },
};

/**
 * The resident roster at HQ: versions per site (imported at HQ, or imported at one of the site's
 * stations and received in its journal), their residents, refused rows, changes against the
 * version in use, and residents per building and unit.
 */
const roster: Migration = {
  version: 5,
  name: 'hq-roster',
  up(db) {
    db.exec(`
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
      ) STRICT;
      CREATE INDEX roster_import_site ON roster_import(site_id, state);
      CREATE TABLE roster_resident (
        import_id TEXT NOT NULL,
        row_no INTEGER NOT NULL,
        id_number TEXT NOT NULL,
        name TEXT NOT NULL,
        phone TEXT,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        room TEXT NOT NULL,
        tags INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX roster_resident_row ON roster_resident(import_id, row_no);
      CREATE INDEX roster_resident_id ON roster_resident(import_id, id_number);
      CREATE INDEX roster_resident_home ON roster_resident(import_id, building, unit, room);
      CREATE TABLE roster_problem (import_id TEXT NOT NULL, row_no INTEGER NOT NULL, problems TEXT NOT NULL, refused INTEGER NOT NULL) STRICT;
      CREATE INDEX roster_problem_row ON roster_problem(import_id, row_no);
      CREATE TABLE roster_change (import_id TEXT NOT NULL, kind TEXT NOT NULL, id_number TEXT NOT NULL, row_no INTEGER, before TEXT) STRICT;
      CREATE INDEX roster_change_kind ON roster_change(import_id, kind, row_no);
      CREATE TABLE roster_cell (import_id TEXT NOT NULL, building TEXT NOT NULL, unit TEXT NOT NULL, residents INTEGER NOT NULL, PRIMARY KEY (import_id, building, unit)) STRICT;
    `);
  },
};

/**
 * Coverage of each round against its site's roster: who counts as sampled (with how many live
 * bindings say so), who is exempt and why, and the counts per building and unit kept up to date
 * with every batch (`coverage_state`: which roster version they were counted against).
 */
const coverage: Migration = {
  version: 6,
  name: 'hq-coverage',
  up(db) {
    db.exec(`
      CREATE TABLE coverage_tested (round_id TEXT NOT NULL, person_key TEXT NOT NULL, sources INTEGER NOT NULL, PRIMARY KEY (round_id, person_key)) STRICT;
      CREATE TABLE coverage_exempt (
        round_id TEXT NOT NULL,
        person_key TEXT NOT NULL,
        reason TEXT NOT NULL,
        note TEXT NOT NULL,
        exempted_by TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (round_id, person_key)
      ) STRICT;
      CREATE TABLE coverage_cell (
        round_id TEXT NOT NULL,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        tested INTEGER NOT NULL DEFAULT 0,
        exempt INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (round_id, building, unit)
      ) STRICT;
      CREATE TABLE coverage_state (round_id TEXT PRIMARY KEY, roster_id TEXT NOT NULL, counted_at TEXT NOT NULL) STRICT;
    `);
  },
};

/**
 * How many people count as sampled in each round, on the roster or not, kept with every change to
 * `coverage_tested` (counting those rows took most of a coverage read at a district's size).
 */
const coverageTotals: Migration = {
  version: 7,
  name: 'hq-coverage-totals',
  up(db) {
    db.exec(`
      CREATE TABLE coverage_total (round_id TEXT PRIMARY KEY, tested INTEGER NOT NULL) STRICT;
      INSERT INTO coverage_total (round_id, tested) SELECT round_id, count(*) FROM coverage_tested GROUP BY round_id;
    `);
  },
};

/**
 * Roster imports HQ reads: `touched_at` is the reader's heartbeat (an import still `reading` with
 * no heartbeat for a while was left by a process that stopped; a live one is left alone), and
 * `upload_file` the uploaded ledger in HQ's `uploads/` folder while the import needs it. At most
 * one version of a site is in use: where two already were (applied concurrently), the later
 * applied stays in use and the other becomes superseded.
 */
const rosterReaders: Migration = {
  version: 8,
  name: 'hq-roster-readers',
  up(db) {
    db.exec(`
      ALTER TABLE roster_import ADD COLUMN touched_at TEXT;
      ALTER TABLE roster_import ADD COLUMN upload_file TEXT;
      UPDATE roster_import SET state = 'superseded' WHERE state = 'current' AND id <> (
        SELECT o.id FROM roster_import o WHERE o.site_id = roster_import.site_id AND o.state = 'current' ORDER BY o.applied_at DESC, o.id DESC LIMIT 1);
      CREATE UNIQUE INDEX roster_import_one_current ON roster_import(site_id) WHERE state = 'current';
    `);
  },
};

/**
 * Bindings found by their tube: a batch that voids a tube takes back the coverage of its
 * bindings, and without this index that read every binding the station had ever sent.
 */
const bindingsByTube: Migration = {
  version: 9,
  name: 'hq-bindings-by-tube',
  up(db) {
    db.exec('CREATE INDEX binding_tube ON binding(station_id, tube_id)');
  },
};

/**
 * Stations HQ stopped trusting (a laptop lost or stolen, a desk retired): `revoked_at` set, their
 * batches and feed requests refused from then on.
 */
const stationRevoked: Migration = {
  version: 10,
  name: 'hq-station-revoked',
  up(db) {
    db.exec('ALTER TABLE station ADD COLUMN revoked_at TEXT');
  },
};

/**
 * Each station's journal chain (see hq/chain.ts): `record.chain_hash`, each record's hash as the
 * station sent it (NULL for records from before its station chained its journal);
 * `station.chain_head`, the hash of its record `acked_through`: NULL until the station's first
 * chained batch, which anchors it (hq/README.md, "Trust"); `station.chain_error`, why its last
 * refused batch did not continue the chain, for the dashboard.
 */
const journalChain: Migration = {
  version: 11,
  name: 'hq-journal-chain',
  up(db) {
    db.exec(`
      ALTER TABLE record ADD COLUMN chain_hash TEXT;
      ALTER TABLE station ADD COLUMN chain_head TEXT;
      ALTER TABLE station ADD COLUMN chain_error TEXT;
    `);
  },
};

/**
 * The site's operators: made by HQ's staff (dashboard, `station hq operator`) or by a site admin
 * at a station (projected from its journal), and sent to every station of the site through the
 * feed. The PIN's Argon2id hash, never the PIN. A staff code and a badge name one operator of a
 * site. `station_id`: where it was made (NULL at HQ); `updated_at` orders changes from everywhere.
 */
const siteOperators: Migration = {
  version: 12,
  name: 'hq-site-operators',
  up(db) {
    db.exec(`
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
      ) STRICT;
      CREATE UNIQUE INDEX site_operator_code ON site_operator(site_id, code);
      CREATE UNIQUE INDEX site_operator_badge ON site_operator(site_id, badge) WHERE badge IS NOT NULL;
    `);
  },
};

/**
 * HQ's key rotation and linking a station again (hq/README.md, "Changing HQ's key" and "Linking a
 * desk again"): `station.hq_key`, the fingerprint of the HQ key the station last said it trusts
 * (so staff see who has not moved to a new key before retiring the old one); a re-link code names
 * its station (`enrollment_code.relink_station_id`); `station_relink`, each time a station was
 * linked again: when, whether it was revoked then, and the key it had before.
 */
const keysAndRelink: Migration = {
  version: 13,
  name: 'hq-keys-and-relink',
  up(db) {
    db.exec(`
      ALTER TABLE station ADD COLUMN hq_key TEXT;
      ALTER TABLE enrollment_code ADD COLUMN relink_station_id TEXT;
      CREATE TABLE station_relink (
        code_hash TEXT PRIMARY KEY,
        station_id TEXT NOT NULL REFERENCES station(id),
        relinked_at TEXT NOT NULL,
        revoked_at TEXT,
        public_key_before TEXT NOT NULL
      ) STRICT;
      CREATE INDEX station_relink_station ON station_relink(station_id, relinked_at);
    `);
  },
};

/**
 * The gate checkpoint at HQ (hq/README.md, "The gate at HQ"): what the site's gates and sentinels
 * journal, projected per station and entity for counts per site, day and hour (site time, UTC+8),
 * and key-person hits for HQ's staff to follow up. No personal field is copied here: the person,
 * a note or a plate is read from the journal record itself (`record`, by `seq`), so what retention
 * takes from the journal is gone from every page. `person_seq`: for a key-person passage, the
 * record that says who they were then (`person.registered` or `person.updated`).
 * `gate_follow_up` is HQ's own: staff mark a hit followed up, with a note; nothing is deleted.
 */
const gate: Migration = {
  version: 14,
  name: 'hq-gate',
  up(db) {
    db.exec(`
      CREATE TABLE gate_passage (
        station_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
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
        threshold_c REAL NOT NULL,
        temperature TEXT,
        person_seq INTEGER,
        PRIMARY KEY (station_id, passage_id)
      ) STRICT;
      CREATE INDEX gate_passage_site_hour ON gate_passage(site_id, day, station_id, hour, direction, temperature);
      CREATE INDEX gate_passage_hits ON gate_passage(site_id, day, at) WHERE key_person = 1;
      CREATE INDEX gate_passage_person_hits ON gate_passage(station_id, person_id, seq) WHERE key_person = 1;
      CREATE TABLE gate_reading (
        station_id TEXT NOT NULL,
        reading_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        measured_at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT,
        celsius REAL NOT NULL,
        threshold_c REAL NOT NULL,
        high INTEGER NOT NULL CHECK (high IN (0, 1)),
        source TEXT NOT NULL,
        match TEXT NOT NULL,
        temperature TEXT,
        PRIMARY KEY (station_id, reading_id)
      ) STRICT;
      CREATE INDEX gate_reading_site_hour ON gate_reading(site_id, day, high, hour);
      CREATE TABLE gate_referral (
        station_id TEXT NOT NULL,
        referral_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        destination TEXT NOT NULL,
        escort TEXT NOT NULL,
        PRIMARY KEY (station_id, referral_id)
      ) STRICT;
      CREATE INDEX gate_referral_site_day ON gate_referral(site_id, day, hour);
      CREATE TABLE gate_key_person_action (
        station_id TEXT NOT NULL,
        action_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        action TEXT NOT NULL,
        PRIMARY KEY (station_id, action_id)
      ) STRICT;
      CREATE INDEX gate_key_person_action_passage ON gate_key_person_action(passage_id, station_id, seq);
      CREATE TABLE gate_visit (
        station_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        expected_until TEXT NOT NULL,
        PRIMARY KEY (station_id, visit_id)
      ) STRICT;
      CREATE INDEX gate_visit_site_hour ON gate_visit(site_id, day, hour);
      CREATE INDEX gate_visit_id ON gate_visit(visit_id);
      CREATE TABLE gate_visit_left (
        station_id TEXT NOT NULL,
        visit_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        passage_id TEXT NOT NULL,
        stayed_minutes INTEGER NOT NULL,
        PRIMARY KEY (station_id, visit_id)
      ) STRICT;
      CREATE INDEX gate_visit_left_site_hour ON gate_visit_left(site_id, day, hour);
      CREATE INDEX gate_visit_left_id ON gate_visit_left(visit_id);
      CREATE TABLE gate_vehicle (
        station_id TEXT NOT NULL,
        vehicle_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        plate_kind TEXT NOT NULL,
        passengers INTEGER NOT NULL,
        entry_id TEXT,
        PRIMARY KEY (station_id, vehicle_id)
      ) STRICT;
      CREATE INDEX gate_vehicle_site_hour ON gate_vehicle(site_id, day, hour, direction);
      CREATE TABLE station_workplace (station_id TEXT PRIMARY KEY, workplace TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL) STRICT;
      CREATE TABLE gate_follow_up (
        id INTEGER PRIMARY KEY,
        station_id TEXT NOT NULL,
        passage_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        note TEXT NOT NULL,
        followed_up_by TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX gate_follow_up_passage ON gate_follow_up(passage_id, station_id, id);
    `);
  },
};

/**
 * Resident passes (出入证), from the site's stations' `pass.issued` and `pass.revoked` entries, and
 * relayed to every station of the site (`domains/passes.ts`). A code names one pass of a site; the
 * first revocation of a pass is kept. Personal data: `id_number`, `name`, `household`, as in the
 * records they come from.
 */
const residentPasses: Migration = {
  version: 15,
  name: 'hq-resident-passes',
  up(db) {
    db.exec(`
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
      ) STRICT;
      CREATE UNIQUE INDEX resident_pass_code ON resident_pass(site_id, code);
      CREATE INDEX resident_pass_holder ON resident_pass(site_id, id_number);
    `);
  },
};

/**
 * Boxes and the lab (chain of custody): a box from its opening at the station (`box.opened`: state
 * `open`, its capacity), its tubes as the station put them in and took them out (`box.tubeAdded` /
 * `box.tubeRemoved`, one `box_tube` row per entry, the reason kept), its seal (state `sealed`, tube
 * and person counts) and its hand-over (state `handedOver`, time and count; who carried it stays in
 * the journal, personal). `box.at` / `box.day` are when it was sealed (opened, while it is open);
 * boxes HQ had before were all sealed.
 *
 * The lab's receipt at HQ (`domains/lab.ts`): the box scanned, then its tubes; `lab_receipt_tube`
 * holds each tube's status as the receipt's steps left it (received, missing, extra or broken, with
 * a reason), `lab_receipt_step` every step (opened, scanned, broken, finished, corrected) with who,
 * when and why, never changed. One receipt per box; a finished receipt is corrected by a new step
 * with its reason (`revision` counts the receipt's finished states sent to the station). A tube
 * counts as received at the lab when a receipt holds it `received` or `extra`.
 */
const boxCustody: Migration = {
  version: 16,
  name: 'hq-box-custody',
  up(db) {
    db.exec(`
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
      ) STRICT;
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
      ) STRICT;
      CREATE UNIQUE INDEX lab_receipt_box ON lab_receipt(station_id, box_id);
      CREATE INDEX lab_receipt_site ON lab_receipt(site_id, received_at);
      CREATE TABLE lab_receipt_tube (
        receipt_id TEXT NOT NULL REFERENCES lab_receipt(id),
        tube_code TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('received', 'missing', 'extra', 'broken')),
        reason TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        PRIMARY KEY (receipt_id, tube_code)
      ) STRICT;
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
      ) STRICT;
    `);
  },
};

/**
 * Home isolation at HQ (`domains/isolation.ts`): isolations started at a station of the site
 * (their `isolation.started` entry) or by HQ (`station_id` NULL), who is in each, their end (who
 * ended it: a station's id, or `HQ`), and the temperature readings stations took; each relayed to
 * the site's stations through the feed. Tasks are derived from these and HQ's bindings.
 */
const isolation: Migration = {
  version: 17,
  name: 'hq-isolation',
  up(db) {
    db.exec(`
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
      ) STRICT;
      CREATE INDEX isolation_site ON isolation(site_id, until_day);
      CREATE TABLE isolation_person (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL REFERENCES isolation(id),
        id_number TEXT NOT NULL,
        name TEXT NOT NULL
      ) STRICT;
      CREATE INDEX isolation_person_of ON isolation_person(isolation_id);
      CREATE TABLE isolation_reading (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        day TEXT NOT NULL,
        slot TEXT NOT NULL,
        celsius REAL NOT NULL,
        station_id TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX isolation_reading_of ON isolation_reading(isolation_id, day);
    `);
  },
};

/**
 * Lab results in bulk: a lab's result file imported at HQ, or a lab system posting over HTTP with
 * a token of its own. Each result keeps the lab's time and name, the import (and row) that posted
 * it, and whether no lab receipt held its tube as arrived when it was posted (flagged, yet stored
 * and sent on as any result). An import keeps its counts, its row errors, and, when it was refused
 * for errors, its good rows until staff import them knowingly or let it go. A lab's token is kept
 * only as its SHA-256 digest.
 */
const resultImports: Migration = {
  version: 18,
  name: 'hq-result-imports',
  up(db) {
    db.exec(`
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
      ) STRICT;
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
      ) STRICT;
      CREATE TABLE lab_token (
        id TEXT PRIMARY KEY,
        lab TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_used_at TEXT
      ) STRICT;
    `);
  },
};

export const HQ_SQLITE_MIGRATIONS: readonly Migration[] = [
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
