import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  answerBinding,
  formatEnrollmentCode,
  HEADER_HQ_HELD,
  HEADER_HQ_KEY,
  HEADER_HQ_SIGNATURE,
  HEADER_HQ_TIME,
  HEADER_SIGNATURE,
  hqKeyFingerprint,
  hqKeyHeader,
  signAnswer,
} from '../../hq/protocol';

export type HqSigner = {
  privateKey: KeyObject;
  /** HQ's key as its answers carry it. */
  header: string;
  fingerprint: string;
  /** An enrollment code naming this key (one-time part `oneTime`, 12 symbols). */
  code(oneTime?: string): string;
  /** The headers that make `body` HQ's signed answer to `req` (HQ's time and held position as given). */
  headers(req: { headers: IncomingHttpHeaders; body: Buffer }, status: number, body: Buffer | string, extra?: { hqTime?: string; held?: string }): Record<string, string>;
};

/** A key that signs answers the way HQ does, for scripted stand-ins of HQ and for men in the middle. */
export function hqSigner(): HqSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const header = hqKeyHeader(publicKey);
  const fingerprint = hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' }));
  return {
    privateKey,
    header,
    fingerprint,
    code: (oneTime = 'ABCD2345EFGH') => formatEnrollmentCode(oneTime, fingerprint),
    headers(req, status, body, extra = {}) {
      const hqTime = extra.hqTime ?? String(Date.now());
      const held = extra.held ?? '';
      const requestSignature = req.headers[HEADER_SIGNATURE];
      const request = answerBinding(typeof requestSignature === 'string' ? requestSignature : undefined, req.body);
      const signature = signAnswer(privateKey, { status, hqTime, held, request, body: Buffer.from(body) });
      return { [HEADER_HQ_TIME]: hqTime, [HEADER_HQ_KEY]: header, [HEADER_HQ_SIGNATURE]: signature, ...(held ? { [HEADER_HQ_HELD]: held } : {}) };
    },
  };
}
