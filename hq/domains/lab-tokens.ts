/**
 * Tokens for labs' systems posting results (`POST /lab/v1/results`): issued per lab by HQ's admin
 * (admin API, `station hq lab-token`), shown once, kept only as their SHA-256 digest (a token is
 * 32 random bytes, so a digest cannot be walked back), revocable. A lab may hold several (one per
 * system, or a new one before the old is revoked).
 */
import { createHash, randomBytes } from 'node:crypto';
import { v7 } from 'uuid';
import type { Tx } from '../store/sql';
import { MAX_LAB_LENGTH } from './result-files';

/** Every token starts so, which tells it from HQ's admin token and stations' keys in a config file or a log search. */
export const LAB_TOKEN_PREFIX = 'lab_';
const TOKEN_SHAPE = /^lab_[A-Za-z0-9_-]{43}$/;

export type LabToken = { id: string; lab: string; createdAt: string; revokedAt: string | null; lastUsedAt: string | null };

type TokenRow = { id: string; lab: string; created_at: string; revoked_at: string | null; last_used_at: string | null };

function tokenOf(r: TokenRow): LabToken {
  return { id: r.id, lab: r.lab, createdAt: r.created_at, revokedAt: r.revoked_at, lastUsedAt: r.last_used_at };
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export type IssueOutcome = { ok: true; token: string; labToken: LabToken } | { ok: false; error: 'lab.nameInvalid' };

export function labNameProblem(lab: string): boolean {
  const name = lab.trim();
  return name.length === 0 || name.length > MAX_LAB_LENGTH;
}

/** A new token for `lab`; the token itself is in the answer only. */
export async function issueLabToken(tx: Tx, input: { lab: string; at: string }): Promise<IssueOutcome> {
  if (labNameProblem(input.lab)) return { ok: false, error: 'lab.nameInvalid' };
  const token = `${LAB_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row: TokenRow = { id: v7(), lab: input.lab.trim(), created_at: input.at, revoked_at: null, last_used_at: null };
  await tx.run('INSERT INTO lab_token (id, lab, token_hash, created_at) VALUES (@id, @lab, @hash, @at)', { id: row.id, lab: row.lab, hash: tokenDigest(token), at: input.at });
  return { ok: true, token, labToken: tokenOf(row) };
}

export async function revokeLabToken(tx: Tx, input: { id: string; at: string }): Promise<{ ok: true; labToken: LabToken } | { ok: false; error: 'lab.tokenUnknown' }> {
  const row = await tx.one<TokenRow>('SELECT id, lab, created_at, revoked_at, last_used_at FROM lab_token WHERE id = @id', { id: input.id });
  if (!row) return { ok: false, error: 'lab.tokenUnknown' };
  if (row.revoked_at === null) await tx.run('UPDATE lab_token SET revoked_at = @at WHERE id = @id', { id: input.id, at: input.at });
  return { ok: true, labToken: tokenOf({ ...row, revoked_at: row.revoked_at ?? input.at }) };
}

export async function labTokens(tx: Tx): Promise<LabToken[]> {
  return (await tx.all<TokenRow>('SELECT id, lab, created_at, revoked_at, last_used_at FROM lab_token ORDER BY lab, created_at')).map(tokenOf);
}

export type TokenCheck = { ok: true; labToken: LabToken } | { ok: false; reason: 'missing' | 'malformed' | 'unknown' | 'revoked'; tokenId?: string };

/** Whose token an `Authorization` header carries, if any live one. */
export async function checkLabToken(tx: Tx, authorization: string | undefined): Promise<TokenCheck> {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return { ok: false, reason: 'missing' };
  const token = authorization.slice(7).trim();
  if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'malformed' };
  const row = await tx.one<TokenRow>('SELECT id, lab, created_at, revoked_at, last_used_at FROM lab_token WHERE token_hash = @hash', { hash: tokenDigest(token) });
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked', tokenId: row.id };
  return { ok: true, labToken: tokenOf(row) };
}

export async function touchLabToken(tx: Tx, id: string, at: string): Promise<void> {
  await tx.run('UPDATE lab_token SET last_used_at = @at WHERE id = @id', { id, at });
}
