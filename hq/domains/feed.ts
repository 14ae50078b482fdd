import type { NewFeedItem } from '../store/types';
import { num, type Tx } from '../store/sql';

/** Adds an item to the feed stations pull (to a whole site, or to one station when `stationId` is set). */
export async function addFeed(tx: Tx, item: NewFeedItem): Promise<number> {
  const row = await tx.one<{ cursor: number | string }>(
    'INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES (@siteId, @stationId, @kind, @payload, @at) RETURNING cursor',
    { siteId: item.siteId, stationId: item.stationId, kind: item.kind, payload: item.payload, at: item.at },
  );
  return num(row!.cursor);
}
