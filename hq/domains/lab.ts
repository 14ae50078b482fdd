/**
 * The lab's side of the chain of custody at HQ (schema 16): what a lab's receipt of a box says of
 * each tube. Receipts are made by the receipt screen (scan the box, then its tubes); results files
 * ask here whether a tube ever reached the lab, so a result for a tube never received is flagged.
 */
import { anyOf, eachOf, type Tx } from '../store/sql';

/** What a receipt says of a tube, against the box as it was handed over. */
export const LAB_TUBE_STATUSES = ['received', 'missing', 'extra', 'broken'] as const;
export type LabTubeStatus = (typeof LAB_TUBE_STATUSES)[number];

/** A tube is at the lab when some receipt holds it received, or found it in a box it was not handed over in. */
const AT_LAB: readonly LabTubeStatus[] = ['received', 'extra'];

/** Of `codes`, those some lab receipt holds as arrived (received or extra). */
export async function receivedTubeCodes(tx: Tx, codes: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const CHUNK = 5_000;
  for (let i = 0; i < codes.length; i += CHUNK) {
    const rows = await tx.all<{ tube_code: string }>(
      `SELECT DISTINCT t.tube_code FROM ${eachOf(tx, 'codes', 'lab_receipt_tube', 't', 'tube_code')} WHERE ${anyOf(tx, 't.status', 'statuses')}`,
      { codes: codes.slice(i, i + CHUNK), statuses: AT_LAB },
    );
    for (const r of rows) found.add(r.tube_code);
  }
  return found;
}
