import type { StationRow } from './types';

/** A station as both stores read it; PostgreSQL returns BIGINT columns as strings. */
export type StationDbRow = {
  id: string;
  site_id: string;
  site_name: string;
  name: string;
  number: number | string | null;
  local_station_id: string;
  public_key: string;
  enrolled_at: string;
  acked_through: number | string;
  head_seq: number | string;
  last_contact_at: string | null;
  revoked_at: string | null;
  chain_head: string | null;
  chain_error: string | null;
  hq_key: string | null;
};

export const STATION_SELECT = `SELECT s.id, s.site_id, site.name AS site_name, s.name, s.number, s.local_station_id, s.public_key, s.enrolled_at,
  s.acked_through, s.head_seq, s.last_contact_at, s.revoked_at, s.chain_head, s.chain_error, s.hq_key FROM station s JOIN site ON site.id = s.site_id`;

export function toStation(r: StationDbRow): StationRow {
  return {
    id: r.id,
    siteId: r.site_id,
    siteName: r.site_name,
    name: r.name,
    number: Number(r.number ?? 0),
    localStationId: r.local_station_id,
    publicKey: r.public_key,
    enrolledAt: r.enrolled_at,
    ackedThrough: Number(r.acked_through),
    headSeq: Number(r.head_seq),
    lastContactAt: r.last_contact_at,
    revokedAt: r.revoked_at,
    chainHead: r.chain_head,
    chainError: r.chain_error,
    hqKey: r.hq_key,
  };
}
