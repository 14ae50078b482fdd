import { createHmac } from 'node:crypto';

/**
 * A person's "sampled in this round" mark: HMAC-SHA-256 of their person key under the site's
 * mark key, cut to 16 bytes. Desks of a site share marks to warn about someone sampled at
 * another desk; a mark lets a desk check the person in front of it, and says nothing about
 * anyone else (an ID number alone has too little entropy to be hashed without a key).
 * Used by the station and by HQ alike.
 */
export function personMark(markKey: string, personKey: string): string {
  return createHmac('sha256', Buffer.from(markKey, 'base64url')).update(personKey, 'utf8').digest().subarray(0, 16).toString('base64url');
}
