import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { NO_OPERATOR } from '../operators/operators';
import type { Journal } from '../journal';
import type { PersonPayload } from '../scan/parsers/types';
import { personKey } from './key';

/** A `person` row as the desk and the gate read it. */
export type PersonRow = { id: string; id_number: string | null; reg_code: string | null; name: string | null; phone: string | null };

/** Who, where and when a change is made. */
export type Stamp = { stationId: string; operatorId: string; at: string };

/**
 * The people this station has met, sampled at the desk or passing the gate: one row per person
 * key, journalled as `person.registered` when first met and `person.updated` when a later code
 * fills in what an earlier one lacked. Runs inside the writer's transaction.
 */
export class PersonRegistry {
  private readonly find: Statement<[string], PersonRow>;
  private readonly insert: Statement;
  private readonly update: Statement;

  constructor(db: StationDatabase, private readonly journal: Journal) {
    this.find = db.prepare('SELECT id, id_number, reg_code, name, phone FROM person WHERE person_key = ?');
    this.insert = db.prepare(
      `INSERT INTO person (id, person_key, id_number, reg_code, name, phone, source_format, station_id, operator_id, at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.update = db.prepare('UPDATE person SET id_number = ?, reg_code = ?, name = ?, phone = ? WHERE id = ?');
  }

  /** The person this payload names, registered if new; a code carrying more fills in, never erases. */
  upsert(payload: PersonPayload, format: string, s: Stamp): PersonRow {
    const key = personKey(payload);
    if (!key) throw new DomainError('scan.personWithoutIdentity');
    const found = this.find.get(key);
    if (!found) {
      const id = newId();
      const seq = this.journal.append({
        ...s,
        kind: 'person.registered',
        entityId: id,
        payload: { key, idNumber: payload.idNumber, regCode: payload.regCode, name: payload.name, phone: payload.phone, format },
      });
      // NULL where the station registers them itself (a sentinel with nobody signed in).
      this.insert.run(id, key, payload.idNumber, payload.regCode, payload.name, payload.phone, format, s.stationId, s.operatorId === NO_OPERATOR ? null : s.operatorId, s.at, seq);
      return { id, id_number: payload.idNumber, reg_code: payload.regCode, name: payload.name, phone: payload.phone };
    }
    const merged: PersonRow = {
      id: found.id,
      id_number: found.id_number ?? payload.idNumber,
      reg_code: found.reg_code ?? payload.regCode,
      name: found.name ?? payload.name,
      phone: found.phone ?? payload.phone,
    };
    const changed = (['id_number', 'reg_code', 'name', 'phone'] as const).filter((k) => merged[k] !== found[k]);
    if (changed.length > 0) {
      this.journal.append({
        ...s,
        kind: 'person.updated',
        entityId: found.id,
        payload: { idNumber: merged.id_number, regCode: merged.reg_code, name: merged.name, phone: merged.phone },
      });
      this.update.run(merged.id_number, merged.reg_code, merged.name, merged.phone, found.id);
    }
    return merged;
  }
}
