import fc from 'fast-check';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { argSchemas, METHODS, type Method } from '../../../electron/api/contract';
import type { WireMessage, WireResult } from '../../../electron/api/wire';
import type { StationCore } from '../../../electron/core/core';
import { openWireSession } from '../../../electron/core/transport';
import { openCore } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { anyText, databaseDigest, fuzzOptions, fuzzTimeout, idNumber, jsonValue } from './arbitraries';

/**
 * Calls that reach past the station (a network address, a device path, a printer): they are fuzzed
 * where they parse (device frames, printer replies, HQ answers), not by sending bytes to whatever
 * a random argument names.
 */
const OUTWARD: readonly Method[] = ['upload.enroll', 'upload.syncNow', 'devices.save', 'devices.setMode', 'devices.testPrint', 'devices.simulate', 'devices.discover', 'devices.calibrate', 'label.print', 'label.reprint', 'label.printerStatus'];
const UNCLEAR = ['internal', 'storage.full', 'storage.readonly', 'storage.corrupt', 'storage.busy'];

/** Values that fit many argument fields somewhere: ids, codes, texts, numbers, dates, base64. */
const fieldValue = fc.oneof(
  jsonValue(1),
  anyText(12),
  fc.uuid(),
  idNumber,
  fc.integer({ min: 1, max: 30 }).map(tubeCode),
  fc.integer({ min: -1, max: 600 }),
  fc.constantFrom(1, 5, 10, 20, 'manual', 'serial', 'away', 'other', '2026-01-01', '3-2-502', 'AAAA', ''),
);

/** Arguments for `method`: its schema's own keys with odd values, or anything at all. */
function argsFor(method: Method): fc.Arbitrary<unknown> {
  const schema = argSchemas[method];
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
  const near = fc.dictionary(fc.constantFrom(...keys, 'extra'), fieldValue, { maxKeys: keys.length + 1 });
  return keys.length > 0 ? fc.oneof({ weight: 4, arbitrary: near }, jsonValue(2)) : fc.oneof(fc.constant({}), jsonValue(2));
}

const call = fc.constantFrom(...METHODS.filter((m) => !OUTWARD.includes(m))).chain((method) => argsFor(method).map((args) => ({ method, args })));
/** A message as a browser tab may send it: a call, a call to a method that is not there, or anything. */
const message = fc.oneof(
  { weight: 6, arbitrary: call.map(({ method, args }) => ({ type: 'call', method, args })) },
  fc.record({ type: fc.constantFrom('call', 'result', 'event'), method: fc.oneof(anyText(70), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')), args: jsonValue(1) }, { requiredKeys: [] }),
  jsonValue(2),
);

describe('the core API over the wire (fuzz)', () => {
  let core: StationCore | undefined;
  afterEach(() => core?.close());

  it(
    'answers every call once, with a value or a clear refusal, and a refusal writes nothing',
    async () => {
      core = openCore();
      const c = core;
      // A round and an open tube, so that calls reach past "nothing open".
      await c.invoke('round.start', { name: '第1轮' });
      await c.invoke('scan.submit', { text: tubeCode(99), source: 'manual' });
      let nextId = 0;
      /** Calls whose arguments passed validation: the property reached the handlers, not only the schemas. */
      let handled = 0;
      const results = new Map<number, WireResult[]>();
      const session = openWireSession(c, (m: WireMessage) => {
        if (m.type === 'result') results.set(m.id, [...(results.get(m.id) ?? []), m]);
      });
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (messages) => {
            for (const raw of messages) {
              const id = nextId++;
              const sent = JSON.parse(JSON.stringify(typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw, id } : raw)) as unknown;
              // Work an earlier call started (a ledger being read) finishes before the picture is taken.
              await c.roster.idle();
              const before = databaseDigest(c.db);
              session.receive(sent);
              const isCall = typeof sent === 'object' && sent !== null && !Array.isArray(sent) && (sent as { type?: unknown }).type === 'call';
              for (let i = 0; i < 400 && isCall && !results.has(id); i++) await new Promise((r) => setTimeout(r, 5));
              const answers = results.get(id) ?? [];
              // A call gets exactly one answer; anything else at most a refusal (when it has an id to answer).
              expect(answers.length).toBe(isCall ? 1 : Math.min(answers.length, 1));
              const result = answers[0]?.result ?? { ok: false as const, error: { code: 'request.invalid' as const } };
              if (!isCall) expect(result).toEqual({ ok: false, error: { code: 'request.invalid' } });
              if (result.ok || result.error.code !== 'request.invalid') handled++;
              if (result.ok) continue;
              expect(UNCLEAR, JSON.stringify(sent).slice(0, 300)).not.toContain(result.error.code);
              expect(databaseDigest(c.db)).toBe(before);
            }
          }),
          fuzzOptions(80, 10_000),
        );
      } finally {
        session.close();
      }
      expect(handled).toBeGreaterThan(20);
    },
    fuzzTimeout(40_000),
  );
});
