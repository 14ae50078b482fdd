/**
 * The journal's hash chain, defined once for the station (which makes it) and HQ (which checks
 * it). Each entry's hash covers its predecessor's hash, its sequence number, the digest of its
 * public content and the digest of its personal fields; the personal fields themselves are not
 * in the chain, so they can be purged after the retention period without breaking it (the
 * station keeps their digest). The personal digest is salted per entry, and the salt is purged
 * with the fields: what is left cannot be matched against a guessed ID number.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { JournalKind } from '../electron/core/journal';
import { canonicalJson, recordContent, sha256Hex } from './protocol';

/** The predecessor of entry 1. */
export const GENESIS_HASH = '0'.repeat(64);

export const chainHashSchema = z.string().regex(/^[0-9a-f]{64}$/);
export const chainSaltSchema = z.string().regex(/^[0-9a-f]{32}$/);

/**
 * The payload fields of each kind that are personal data (PIPL): a resident's name, ID number,
 * phone, registration code, household, roster rows, and what staff wrote about a person (an
 * exemption's, a referral's or a key-person action's note). Staff (operators, a referral's
 * escort) are not listed: who did what must stay on record. A person's `key` is personal too (it
 * is made of their ID number, or their name and phone).
 */
export const PERSONAL_FIELDS: { readonly [K in JournalKind]?: readonly string[] } = {
  'person.registered': ['key', 'idNumber', 'regCode', 'name', 'phone'],
  'person.updated': ['idNumber', 'regCode', 'name', 'phone'],
  'roster.rows': ['rows'],
  'exemption.set': ['idNumber', 'note'],
  'exemption.lifted': ['idNumber'],
  'gate.passage': ['household'],
  'gate.referral': ['note'],
  'gate.keyPersonAction': ['note'],
  'gate.visitor': ['phone', 'household', 'reason'],
  'gate.vehicle': ['plate', 'driver', 'driverPhone'],
  'pass.issued': ['household', 'idNumber', 'name'],
  'pass.revoked': ['reason'],
  'isolation.started': ['household', 'persons', 'reason'],
  'isolation.ended': ['reason'],
  // A transporter recorded by name and phone (one with a badge is an operator: on record).
  'box.handedOver': ['transporterName', 'transporterPhone'],
  // A door visit's room (with building and unit, an address) and a refusal's reason (what the resident said).
  'door.visit': ['room', 'reason'],
};

export function hasPersonalFields(kind: string): boolean {
  return Object.hasOwn(PERSONAL_FIELDS, kind);
}

/** A payload split into what stays for good and the personal fields (null for kinds without any). */
export function splitPersonal(kind: string, payload: unknown): { publicPayload: unknown; personal: Record<string, unknown> | null } {
  const fields = Object.hasOwn(PERSONAL_FIELDS, kind) ? PERSONAL_FIELDS[kind as JournalKind] : undefined;
  if (!fields) return { publicPayload: payload, personal: null };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { publicPayload: payload, personal: {} };
  const publicPayload: Record<string, unknown> = {};
  const personal: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (fields.includes(k)) personal[k] = v;
    else publicPayload[k] = v;
  }
  return { publicPayload, personal };
}

export function newSalt(): string {
  return randomBytes(16).toString('hex');
}

export function personalDigest(salt: string, personal: Record<string, unknown>): string {
  return sha256Hex(`${salt}\n${canonicalJson(personal)}`);
}

/** The envelope of an entry as it travels (without its station id). */
export type ChainEntry = { seq: number; kind?: unknown; entityId?: unknown; operatorId?: unknown; at?: unknown; payload?: unknown };

/** The digest of an entry's content with its personal fields left out. */
export function publicDigest(entry: Omit<ChainEntry, 'seq'>, publicPayload: unknown): string {
  return sha256Hex(recordContent({ at: entry.at, entityId: entry.entityId, kind: entry.kind, operatorId: entry.operatorId, payload: publicPayload }));
}

/** Entry `seq`'s hash: SHA-256 over a fixed line format, so no JSON library choice can change it. */
export function entryHash(prev: string, seq: number, publicPart: string, personalPart: string | null): string {
  return sha256Hex(`station.journal.v1\n${prev}\n${seq}\n${publicPart}\n${personalPart ?? ''}`);
}

/**
 * The two digests an entry's hash covers. `salt` when its personal fields are present; after a
 * purge `keptDigest` (the digest kept in their place) instead. The kept digest stands only for
 * fields that are gone: an entry that still has any of them but no salt was not purged, it was
 * altered (a field changed and the salt swapped for the old digest), and its personal part is
 * null, which no entry of a kind with personal fields is chained with.
 */
export function entryDigests(entry: ChainEntry, salt: string | null, keptDigest: string | null): { publicPart: string; personalPart: string | null } {
  const kind = typeof entry.kind === 'string' ? entry.kind : '';
  const { publicPayload, personal } = splitPersonal(kind, entry.payload);
  const publicPart = publicDigest(entry, publicPayload);
  if (personal === null) return { publicPart, personalPart: null };
  if (salt !== null) return { publicPart, personalPart: personalDigest(salt, personal) };
  return { publicPart, personalPart: Object.keys(personal).length === 0 ? keptDigest : null };
}
