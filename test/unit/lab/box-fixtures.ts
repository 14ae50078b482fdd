import type { BatchRecord } from '../../../hq/protocol';

/**
 * A desk's journal as the station's sampling desk and `electron/core/boxes` write it: tubes opened
 * and sealed (no people: HQ's box projection needs none), boxes opened, filled, emptied of a tube
 * with a reason, sealed and handed over to a transporter recorded by name and phone. Entity ids
 * are readable (`A-box-2`), seqs contiguous from 1, times a second apart from `start`.
 */
export class BoxJournal {
  readonly records: BatchRecord[] = [];
  private n = 0;
  private readonly tubes = new Map<string, string>();
  private readonly boxes = new Map<string, string>();

  constructor(
    readonly prefix: string,
    private readonly start = Date.parse('2026-12-01T01:00:00.000Z'),
    readonly operatorId = `${prefix}-op`,
  ) {}

  private push(kind: string, entityId: string, payload: Record<string, unknown>): void {
    const seq = this.records.length + 1;
    this.records.push({ seq, kind, entityId, operatorId: this.operatorId, at: this.at(seq), payload });
  }

  /** When record `seq` was journalled. */
  at(seq: number): string {
    return new Date(this.start + seq * 1000).toISOString();
  }

  private id(what: string): string {
    return `${this.prefix}-${what}-${++this.n}`;
  }

  /** A tube opened and sealed with `count` people. */
  sealedTube(code: string, count = 5): string {
    const id = this.id('tube');
    this.tubes.set(code, id);
    this.push('tube.opened', id, { code, capacity: 10, roundId: `${this.prefix}-round` });
    this.push('tube.sealed', id, { code, count, cause: 'manual' });
    return id;
  }

  tubeId(code: string): string {
    return this.tubes.get(code)!;
  }

  boxId(code: string): string {
    return this.boxes.get(code)!;
  }

  open(code: string, capacity = 50): string {
    const id = this.id('box');
    this.boxes.set(code, id);
    this.push('box.opened', id, { code, capacity });
    return id;
  }

  add(boxCode: string, tubeCode: string): string {
    const entryId = this.id('entry');
    this.push('box.tubeAdded', this.boxId(boxCode), { boxCode, tubeCode, tubeId: this.tubeId(tubeCode), entryId });
    return entryId;
  }

  remove(boxCode: string, tubeCode: string, entryId: string, reason: string): void {
    this.push('box.tubeRemoved', this.boxId(boxCode), { boxCode, tubeCode, reason, entryId });
  }

  seal(code: string, tubeCodes: string[], personCount: number): void {
    this.push('box.sealed', this.boxId(code), { code, count: tubeCodes.length, personCount, tubeCodes });
  }

  handOver(code: string, tubeCount: number, personCount: number): void {
    this.push('box.handedOver', this.boxId(code), {
      code,
      tubeCount,
      personCount,
      transporterOperatorId: null,
      transporterName: '钱转运',
      transporterPhone: '13700137000',
      coldChainNote: '冰排 4 块',
    });
  }

  /** The records from seq `from` through `to` (inclusive). */
  slice(from: number, to = this.records.length): BatchRecord[] {
    return this.records.slice(from - 1, to);
  }
}
