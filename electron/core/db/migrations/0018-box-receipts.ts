import type { Migration } from './index';

/**
 * Schema 18: the lab's receipts of this station's boxes, as HQ sends them (`box.receipt` in the
 * feed, to the station that boxed the box alone).
 *
 * - `box_receipt`: one row per receipt and revision, as it came (HQ sends a receipt when the lab
 *   finishes it and again after each correction, `revision` 1, 2, …): when and by whom the box was
 *   received, the tubes handed over (`expected`) and how many the lab found received, missing,
 *   extra and broken, the box's state at HQ then (`box_state`: not `handedOver` when the lab had
 *   the box before HQ had its hand-over). Nothing is changed or deleted: a box's receipt is its
 *   latest revision. `feed_cursor`: the feed item it came in.
 * - `box_receipt_tube`: each tube of a revision that was not as handed over, with the lab's reason.
 * No personal data: who received a box is lab staff.
 */
export const migration0018: Migration = {
  version: 18,
  name: 'box-receipts',
  up(db) {
    db.exec(`
      CREATE TABLE box_receipt (
        receipt_id TEXT NOT NULL,
        revision INTEGER NOT NULL CHECK (revision >= 1),
        box_id TEXT NOT NULL REFERENCES box(id),
        box_code TEXT NOT NULL,
        received_at TEXT NOT NULL,
        received_by TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        box_state TEXT NOT NULL CHECK (box_state IN ('open', 'sealed', 'handedOver')),
        expected INTEGER NOT NULL,
        received INTEGER NOT NULL,
        missing INTEGER NOT NULL,
        extra INTEGER NOT NULL,
        broken INTEGER NOT NULL,
        feed_cursor INTEGER NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (receipt_id, revision)
      ) STRICT;
      CREATE INDEX box_receipt_box ON box_receipt(box_id, revision);

      CREATE TABLE box_receipt_tube (
        receipt_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        tube_code TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('missing', 'extra', 'broken')),
        reason TEXT NOT NULL,
        PRIMARY KEY (receipt_id, revision, tube_code),
        FOREIGN KEY (receipt_id, revision) REFERENCES box_receipt(receipt_id, revision)
      ) STRICT;
    `);
  },
};
