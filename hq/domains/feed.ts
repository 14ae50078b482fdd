/**
 * The feed stations pull (`GET /api/v1/feed?after=CURSOR`). A station keeps only the highest
 * cursor it has read, so an item must never become visible after one with a higher cursor: it
 * would be skipped for good.
 *
 * On PostgreSQL a cursor (BIGSERIAL) is taken when the row is inserted, but the row is seen only
 * when its transaction commits, and transactions of different stations' batches commit in any
 * order (T1 takes 100, T2 takes 101 and commits first: a station reading then passes 100 for
 * good). So a transaction's feed items are inserted just before its COMMIT (`Tx.beforeCommit`),
 * under a transaction-level advisory lock held until that commit: no other transaction takes a
 * cursor between this one taking its own and committing, so cursors become visible in order.
 * Nothing is locked after the advisory lock, so it cannot take part in a deadlock, and it is
 * held for one INSERT and the COMMIT only. Items are numbered in commit order, and nothing in a
 * transaction can know the cursor of an item it added (nothing needs to; `insertFeed` returns
 * them to a caller that adds items in a transaction of their own).
 *
 * On SQLite every transaction already runs alone (BEGIN IMMEDIATE under the store's lock), so
 * items are inserted at once.
 */
import type { NewFeedItem } from '../store/types';
import { num, type InsertColumn, type Tx } from '../store/sql';

/** The advisory lock key under which feed cursors are taken on PostgreSQL (7243001 is the migrations'). */
export const FEED_LOCK = 7243002;

/** Items each PostgreSQL transaction has added, inserted before it commits. */
const pending = new WeakMap<Tx, NewFeedItem[]>();

/** Adds an item to the feed stations pull (to a whole site, or to one station when `stationId` is set). */
export async function addFeed(tx: Tx, item: NewFeedItem): Promise<void> {
  if (tx.dialect === 'sqlite') {
    await insertFeed(tx, [item]);
    return;
  }
  let items = pending.get(tx);
  if (!items) {
    const queued: NewFeedItem[] = [];
    pending.set(tx, queued);
    tx.beforeCommit(async () => {
      pending.delete(tx);
      await insertFeed(tx, queued, { cursors: false });
    });
    items = queued;
  }
  items.push(item);
}

/**
 * `addFeed` for many items, in order: inserted at once on SQLite, queued for the one insert before
 * COMMIT on PostgreSQL, as `addFeed` does.
 */
export async function addFeeds(tx: Tx, items: readonly NewFeedItem[]): Promise<void> {
  if (items.length === 0) return;
  if (tx.dialect === 'postgres') {
    for (const item of items) await addFeed(tx, item);
    return;
  }
  await tx.insertRows('feed_item', FEED_COLUMNS, items.map((x) => [x.siteId, x.stationId, x.kind, x.payload, x.at]));
}

const FEED_COLUMNS: readonly InsertColumn[] = [
  ['site_id', 'text'],
  ['station_id', 'text'],
  ['kind', 'text'],
  ['payload', 'text'],
  ['at', 'text'],
];

/**
 * Inserts feed items now, in order, and returns their cursors (none with `cursors: false`). On PostgreSQL it takes the feed's
 * advisory lock first, so it must be the last thing the transaction does before COMMIT (as
 * `addFeed` arranges), or a transaction of its own.
 */
export async function insertFeed(tx: Tx, items: readonly NewFeedItem[], opts: { cursors?: boolean } = {}): Promise<number[]> {
  if (items.length === 0) return [];
  if (tx.dialect === 'postgres') {
    await tx.one(`SELECT pg_advisory_xact_lock(${FEED_LOCK})`);
    if (opts.cursors === false) {
      // With COPY, in order: a lab's file of 100,000 results took 5 s as one INSERT over arrays
      // returning every cursor, and well under one this way.
      await tx.insertRows('feed_item', FEED_COLUMNS, items.map((x) => [x.siteId, x.stationId, x.kind, x.payload, x.at]));
      return [];
    }
    // One statement for all of them; WITH ORDINALITY and ORDER BY keep the cursors in the order added.
    const rows = await tx.all<{ cursor: number | string }>(
      `INSERT INTO feed_item (site_id, station_id, kind, payload, at)
       SELECT u.site_id, u.station_id, u.kind, u.payload, u.at
       FROM unnest(@sites::text[], @stations::text[], @kinds::text[], @payloads::text[], @ats::text[]) WITH ORDINALITY AS u(site_id, station_id, kind, payload, at, n)
       ORDER BY u.n RETURNING cursor`,
      {
        sites: items.map((i) => i.siteId),
        stations: items.map((i) => i.stationId),
        kinds: items.map((i) => i.kind),
        payloads: items.map((i) => i.payload),
        ats: items.map((i) => i.at),
      },
    );
    return rows.map((r) => num(r.cursor)).sort((a, b) => a - b);
  }
  const cursors: number[] = [];
  for (const item of items) {
    const row = await tx.one<{ cursor: number }>(
      'INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES (@siteId, @stationId, @kind, @payload, @at) RETURNING cursor',
      { siteId: item.siteId, stationId: item.stationId, kind: item.kind, payload: item.payload, at: item.at },
    );
    cursors.push(num(row!.cursor));
  }
  return cursors;
}
