import { afterEach, describe, expect, it } from 'vitest';
import type { ArgsOf } from '../../../electron/api/contract';
import type { GatePassageView } from '../../../electron/api/gate';
import type { PassView } from '../../../electron/api/passes';
import { StationCore } from '../../../electron/core/core';
import { newPassCode, readPassCode } from '../../../electron/core/passes/code';
import { checkRecord, parseFeedItem, type FeedItem } from '../../../hq/protocol';
import { pngToBitmap } from '../../../native/label/png';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { dataKeyOf, ok, refused, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';
import { labelPng, zbarDecode } from '../../helpers/printer-sim';

const cores: StationCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
});

const KEEPER = { name: '王值守', code: 'G001', role: 'gatekeeper' as const, pin: '580317' };
const ADMIN = { code: 'T001', pin: '730519' };
/** 10:00 at the site (UTC+8), 2026-11-20. */
const START = Date.parse('2026-11-20T02:00:00.000Z');
const DAY = 86_400_000;
const H101 = { building: '1', unit: '1', room: '101' };
const H102 = { building: '1', unit: '1', room: '102' };

/** Residents 1–3 at 1-1-101, 4 at 1-1-102, 5 at 2-1-201 (居民N, idNumber(N)). */
const ROSTER: [number, string][] = [
  [1, '1,1,101'],
  [2, '1,1,101'],
  [3, '1,1,101'],
  [4, '1,1,102'],
  [5, '2,1,201'],
];

async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...ROSTER.map(([n, home]) => `居民${n},${idNumber(n)},,${home},`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

/** A gate whose clock the test moves, with the roster applied, a gate keeper made and signed in. */
async function gate(options: { roster?: boolean; workplace?: 'gate' | 'desk' } = {}) {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  if (options.roster !== false) await applyRoster(core);
  await ok(core, 'station.setWorkplace', { workplace: options.workplace ?? 'gate' });
  await ok(core, 'operator.create', KEEPER);
  const keeper = async () => ok(core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
  await keeper();
  return {
    core,
    advance: (ms: number) => (now += ms),
    now: () => now,
    keeper,
    admin: async () => ok(core, 'operator.signIn', ADMIN),
  };
}

function journal(core: StationCore, kind: string) {
  return (core.db.prepare('SELECT seq, kind, entity_id, operator_id, at, payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as {
    seq: number;
    kind: string;
    entity_id: string;
    operator_id: string;
    at: string;
    payload: string;
  }[]).map((r) => ({ seq: r.seq, kind: r.kind, entityId: r.entity_id, operatorId: r.operator_id, at: r.at, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/** Each entry as HQ takes it: valid under the protocol's schema of its kind. */
function expectHqTakes(entries: ReturnType<typeof journal>): void {
  for (const e of entries) expect(checkRecord(e), `${e.kind} ${e.seq}`).toMatchObject({ ok: true });
}

/** A pass's code, as only the station's database and the printed QR hold it. */
function codeOf(core: StationCore, passId: string): string {
  return (core.db.prepare('SELECT code FROM resident_pass WHERE id = ?').get(passId) as { code: string }).code;
}

const scan = (core: StationCore, text: string) => core.invoke('gate.scan', { text, source: 'manual' });

async function passage(core: StationCore, text: string): Promise<GatePassageView> {
  const outcome = await ok(core, 'gate.scan', { text, source: 'manual' });
  if (outcome.kind !== 'gate.passage') throw new Error(`not a passage: ${outcome.kind}`);
  return outcome.passage;
}

async function refusal(core: StationCore, text: string) {
  const r = await scan(core, text);
  if (r.ok) throw new Error(`scan accepted: ${JSON.stringify(r.value)}`);
  return r.error;
}

describe('issuing passes from the roster', () => {
  it('issues one pass to each resident of a household, journalled with exactly the agreed payload, and counts them per household', async () => {
    const g = await gate();
    const before = await ok(g.core, 'pass.households', { query: '', limit: 50, offset: 0 });
    expect(before).toEqual({
      total: 3,
      households: [
        { ...H101, household: '1-1-101', residents: 3, validPasses: 0 },
        { ...H102, household: '1-1-102', residents: 1, validPasses: 0 },
        { building: '2', unit: '1', room: '201', household: '2-1-201', residents: 1, validPasses: 0 },
      ],
    });
    const issued = await ok(g.core, 'pass.issue', { household: H101, validFrom: '2026-11-20', validUntil: '2026-12-19' });
    expect(issued.map((p) => p.name)).toEqual(['居民1', '居民2', '居民3']);
    expect(issued[0]).toMatchObject({
      household: '1-1-101',
      state: 'valid',
      origin: 'here',
      revoked: null,
      // The site's days (UTC+8): from the start of the first to the end of the last.
      validFrom: '2026-11-19T16:00:00.000Z',
      validUntil: '2026-12-19T15:59:59.999Z',
      maskedIdNumber: `110105********${idNumber(1).slice(-4)}`,
    });
    // Neither the full ID number nor the code leaves the core.
    const codes = issued.map((p) => codeOf(g.core, p.id));
    expect(JSON.stringify(issued)).not.toContain(idNumber(1));
    for (const code of codes) {
      expect(readPassCode(code).intact).toBe(true);
      expect(JSON.stringify(issued)).not.toContain(code);
    }
    const entries = journal(g.core, 'pass.issued');
    expect(entries).toHaveLength(3);
    expectHqTakes(entries);
    const keeper = (await ok(g.core, 'operator.session', {})).operator!.id;
    expect(entries[0]).toMatchObject({ entityId: issued[0]!.id, operatorId: keeper });
    expect(entries[0]!.payload).toEqual({
      siteId: g.core.identity.site.id,
      code: codes[0],
      household: '1-1-101',
      idNumber: idNumber(1),
      name: '居民1',
      validFrom: '2026-11-19T16:00:00.000Z',
      validUntil: '2026-12-19T15:59:59.999Z',
    });
    const after = await ok(g.core, 'pass.households', { query: '1-1', limit: 50, offset: 0 });
    expect(after.households.map((h) => [h.household, h.validPasses])).toEqual([
      ['1-1-101', 3],
      ['1-1-102', 0],
    ]);
    const byName = await ok(g.core, 'pass.households', { query: '居民4', limit: 50, offset: 0 });
    expect(byName.households.map((h) => h.household)).toEqual(['1-1-102']);
    const residents = await ok(g.core, 'pass.residents', { household: H101 });
    expect(residents.residents.map((r) => [r.name, r.pass?.state])).toEqual([
      ['居民1', 'valid'],
      ['居民2', 'valid'],
      ['居民3', 'valid'],
    ]);
  });

  it('reissues: the earlier pass is revoked as reissued; a site admin revokes with a reason, once; a gate keeper may not', async () => {
    const g = await gate();
    const [first] = await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(2)], validFrom: '2026-11-20', validUntil: '2026-11-30' });
    const refs = (await ok(g.core, 'pass.residents', { household: H101 })).residents;
    const [second] = await ok(g.core, 'pass.issue', { household: H101, residents: [refs[1]!.ref], validFrom: '2026-11-20', validUntil: '2026-12-10' });
    expect(second!.name).toBe('居民2');
    expect(await ok(g.core, 'pass.list', { state: 'revoked', limit: 50, offset: 0 })).toMatchObject({ total: 1, passes: [{ id: first!.id, revoked: { reason: 'reissued' } }] });
    expect(await ok(g.core, 'pass.list', { state: 'valid', limit: 50, offset: 0 })).toMatchObject({ total: 1, passes: [{ id: second!.id }] });
    const revokedEntries = journal(g.core, 'pass.revoked');
    expect(revokedEntries.map((e) => [e.entityId, e.payload])).toEqual([[first!.id, { siteId: g.core.identity.site.id, code: codeOf(g.core, first!.id), reason: 'reissued' }]]);

    expect(await refused(g.core, 'pass.revoke', { passId: second!.id, reason: '已搬离' })).toBe('operator.forbidden');
    await g.admin();
    const revoked = await ok(g.core, 'pass.revoke', { passId: second!.id, reason: '已搬离' });
    expect(revoked).toMatchObject({ state: 'revoked', revoked: { reason: '已搬离' } });
    const again = await g.core.invoke('pass.revoke', { passId: second!.id, reason: '再次' });
    expect(again).toEqual({ ok: false, error: { code: 'pass.alreadyRevoked', params: { reason: '已搬离', at: '2026-11-20 10:00' } } });
    const reissuedAgain = await g.core.invoke('pass.revoke', { passId: first!.id, reason: 'x' });
    expect(!reissuedAgain.ok && reissuedAgain.error.params).toMatchObject({ context: 'reissued' });
    expectHqTakes([...journal(g.core, 'pass.issued'), ...journal(g.core, 'pass.revoked')]);
    expect(journal(g.core, 'pass.revoked')).toHaveLength(2);
    // The list finds them by name, by the last digits of the ID number, by a scanned code, by household.
    expect((await ok(g.core, 'pass.list', { query: '居民2', limit: 50, offset: 0 })).total).toBe(2);
    expect((await ok(g.core, 'pass.list', { query: idNumber(2).slice(-4), limit: 50, offset: 0 })).total).toBe(2);
    expect((await ok(g.core, 'pass.list', { query: idNumber(2), limit: 50, offset: 0 })).total).toBe(2);
    expect((await ok(g.core, 'pass.list', { query: idNumber(1), limit: 50, offset: 0 })).total).toBe(0);
    expect((await ok(g.core, 'pass.list', { query: codeOf(g.core, first!.id).toLowerCase(), limit: 50, offset: 0 })).passes.map((p) => p.id)).toEqual([first!.id]);
    expect((await ok(g.core, 'pass.list', { household: '1-1-102', limit: 50, offset: 0 })).total).toBe(0);
  });

  it('refuses what cannot be a pass, and changes nothing', async () => {
    const g = await gate();
    const refusedWith = async (args: ArgsOf<'pass.issue'>) => {
      const r = await g.core.invoke('pass.issue', args);
      return r.ok ? null : r.error;
    };
    expect(await refusedWith({ household: H101, validFrom: '2026-11-25', validUntil: '2026-11-24' })).toEqual({
      code: 'pass.untilBeforeFrom',
      params: { from: '2026-11-25 00:00', until: '2026-11-24 23:59' },
    });
    // 90 days from the first to the last day is the most; 91 is refused.
    expect(await refusedWith({ household: H102, validFrom: '2026-11-20', validUntil: '2027-02-17' })).toBeNull();
    expect(await refusedWith({ household: H102, validFrom: '2026-11-20', validUntil: '2027-02-18' })).toEqual({ code: 'pass.tooLong', params: { maxDays: 90 } });
    expect(await refusedWith({ household: H101, validFrom: '2026-11-01', validUntil: '2026-11-19' })).toEqual({ code: 'pass.untilPast', params: { until: '2026-11-19 23:59' } });
    expect(await refusedWith({ household: { building: '9', unit: '9', room: '909' }, validFrom: '2026-11-20', validUntil: '2026-11-30' })).toEqual({
      code: 'pass.householdUnknown',
      params: { household: '9-9-909' },
    });
    expect(await refusedWith({ household: H101, residents: [idNumber(4)], validFrom: '2026-11-20', validUntil: '2026-11-30' })).toEqual({
      code: 'pass.notInHousehold',
      params: { household: '1-1-101' },
    });
    expect((await refusedWith({ household: H101, validFrom: '20261120', validUntil: '2026-11-30' }))?.code).toBe('request.invalid');
    expect(journal(g.core, 'pass.issued')).toHaveLength(1);
    expect(await refused(g.core, 'pass.revoke', { passId: 'nope', reason: 'x' })).toBe('operator.forbidden');
    await g.admin();
    expect(await refused(g.core, 'pass.revoke', { passId: 'nope', reason: 'x' })).toBe('pass.notFound');
    expect(await refused(g.core, 'pass.revoke', { passId: 'nope', reason: '  ' })).toBe('request.invalid');

    const bare = await gate({ roster: false });
    expect(await refused(bare.core, 'pass.issue', { household: H101, validFrom: '2026-11-20', validUntil: '2026-11-30' })).toBe('pass.noRoster');
    expect(await ok(bare.core, 'pass.households', { query: '', limit: 50, offset: 0 })).toEqual({ total: 0, households: [] });
  });

  it('is for gate keepers and site admins: a collector may not issue or list passes', async () => {
    const g = await gate();
    await g.admin();
    await ok(g.core, 'operator.create', { name: '李采集', code: 'C001', role: 'collector', pin: '692047' });
    await ok(g.core, 'operator.signIn', { code: 'C001', pin: '692047' });
    for (const [method, args] of [
      ['pass.issue', { household: H101, validFrom: '2026-11-20', validUntil: '2026-11-30' }],
      ['pass.list', {}],
      ['pass.households', {}],
    ] as const) {
      expect(await refused(g.core, method, args as never)).toBe('operator.forbidden');
    }
  });
});

describe('a pass scanned at the gate', () => {
  async function issuedAt101(g: Awaited<ReturnType<typeof gate>>, validFrom = '2026-11-20', validUntil = '2026-11-30'): Promise<{ pass: PassView; code: string }> {
    const [pass] = await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(1)], validFrom, validUntil });
    return { pass: pass!, code: codeOf(g.core, pass!.id) };
  }

  it('valid: a passage with subject pass for the resident it names, through the same verdict as a person scan', async () => {
    const g = await gate();
    const { pass, code } = await issuedAt101(g);
    const p = await passage(g.core, code);
    expect(p).toMatchObject({
      subject: 'pass',
      pass: { id: pass.id, validUntil: pass.validUntil },
      direction: 'in',
      person: { name: '居民1', maskedIdNumber: `110105********${idNumber(1).slice(-4)}` },
      residency: { kind: 'resident', household: '1-1-101', tags: [] },
      temperature: { state: 'awaiting' },
      verdict: { level: 'check', reasons: ['rule.notMet', 'temperature.awaiting'], final: false },
    });
    // The person is the one an ID card scan finds: one person row for both.
    const byId = await passage(g.core, idNumber(1));
    expect(byId.person.id).toBe(p.person.id);
    expect(byId.subject).toBe('person');
    const entries = journal(g.core, 'gate.passage');
    expect(entries[0]!.payload).toMatchObject({ subject: 'pass', format: 'pass', residency: 'resident', household: '1-1-101', personId: p.person.id });
    expectHqTakes([...entries, ...journal(g.core, 'person.registered')]);
    expect(g.core.db.prepare('SELECT subject, pass_id FROM gate_passage ORDER BY seq').all()).toEqual([
      { subject: 'pass', pass_id: pass.id },
      { subject: 'person', pass_id: null },
    ]);
  });

  it('revoked, expired, not yet valid, unknown or damaged: refused with the reason, and no passage made', async () => {
    const g = await gate();
    const { pass, code } = await issuedAt101(g);
    const later = await ok(g.core, 'pass.issue', { household: H102, validFrom: '2026-11-25', validUntil: '2026-11-30' });
    expect(await refusal(g.core, codeOf(g.core, later[0]!.id))).toEqual({ code: 'gate.passNotYetValid', params: { from: '2026-11-25 00:00' } });
    expect(await refusal(g.core, newPassCode(9))).toEqual({ code: 'gate.passUnknown' });
    const damaged = code.slice(0, 12) + (code[12] === 'A' ? 'B' : 'A') + code.slice(13);
    expect(await refusal(g.core, damaged)).toEqual({ code: 'gate.passDamaged' });
    expect(await refusal(g.core, code.slice(0, -3))).toEqual({ code: 'gate.passDamaged' });

    g.advance(3600_000);
    await g.admin();
    await ok(g.core, 'pass.revoke', { passId: pass.id, reason: '已搬离' });
    await g.keeper();
    expect(await refusal(g.core, code)).toEqual({ code: 'gate.passRevoked', params: { reason: '已搬离', at: '2026-11-20 11:00' } });

    // Reissued: the old pass says so, the new one lets them through.
    const [next] = await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(2)], validFrom: '2026-11-20', validUntil: '2026-11-30' });
    const nextCode = codeOf(g.core, next!.id);
    await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(2)], validFrom: '2026-11-20', validUntil: '2026-11-30' });
    expect(await refusal(g.core, nextCode)).toEqual({ code: 'gate.passRevoked', params: { reason: 'reissued', at: '2026-11-20 11:00', context: 'reissued' } });

    g.advance(11 * DAY);
    await g.keeper();
    const expiredPass = (await ok(g.core, 'pass.list', { query: '居民2', state: 'expired', limit: 5, offset: 0 })).passes[0]!;
    expect(await refusal(g.core, codeOf(g.core, expiredPass.id))).toEqual({ code: 'gate.passExpired', params: { until: '2026-11-30 23:59' } });
    expect(g.core.db.prepare('SELECT count(*) AS n FROM gate_passage').get()).toEqual({ n: 0 });
  });

  it('a refused pass counts as someone at the gate: a reading just after it is not given to the person before', async () => {
    const g = await gate();
    const { code } = await issuedAt101(g);
    const revokedLater = await ok(g.core, 'pass.issue', { household: H102, validFrom: '2026-11-20', validUntil: '2026-11-30' });
    await g.admin();
    await ok(g.core, 'pass.revoke', { passId: revokedLater[0]!.id, reason: '冒用' });
    await g.keeper();
    const first = await passage(g.core, code);
    g.advance(1000);
    expect((await refusal(g.core, codeOf(g.core, revokedLater[0]!.id))).code).toBe('gate.passRevoked');
    g.advance(500);
    g.core.gate.thermometerReading({ id: 'thermo-1', celsius: 36.6, at: new Date(g.now()).toISOString() });
    g.advance(2001);
    await g.core.gate.checkDue();
    expect((await ok(g.core, 'gate.passage', { id: first.id })).temperature.readings).toEqual([]);
    expect(g.core.db.prepare('SELECT match, passage_id FROM gate_reading').all()).toEqual([{ match: 'unmatched', passage_id: null }]);
  });

  it('is refused at a sampling desk: passes are for the gate', async () => {
    const g = await gate({ workplace: 'desk' });
    await g.admin();
    const { code } = await issuedAt101(g);
    expect(await refused(g.core, 'scan.submit', { text: code, source: 'manual' })).toBe('scan.passNotAtDesk');
  });
});

describe('printing a pass', () => {
  it('previews the label as printed: the QR holds the code, the name, household and last day are on it, not the ID number', async () => {
    const g = await gate();
    const [pass] = await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(3)], validFrom: '2026-11-20', validUntil: '2026-12-31' });
    const preview = await ok(g.core, 'pass.preview', { passId: pass!.id });
    expect(preview).toMatchObject({ passId: pass!.id, dpi: 203 });
    expect([Math.round(preview.widthMm), Math.round(preview.heightMm)]).toEqual([60, 40]);
    expect(preview.png.startsWith('data:image/png;base64,')).toBe(true);
    const bitmap = pngToBitmap(Buffer.from(preview.png.slice('data:image/png;base64,'.length), 'base64'));
    expect([bitmap.width, bitmap.height]).toEqual([480, 320]);
    expect(zbarDecode(labelPng(bitmap))).toEqual([codeOf(g.core, pass!.id)]);
    const { plan } = g.core.labels.planOf('pass', g.core.passes.labelData(pass!.id, new Date(g.now())).data);
    const texts = plan.elements.flatMap((e) => (e.kind === 'text' ? [e.text] : []));
    expect(texts).toEqual(expect.arrayContaining(['出入证', '居民3', '1-1-101', '有效期至', '2026-12-31', g.core.identity.site.name]));
    expect(JSON.stringify(plan)).not.toContain(idNumber(3));
    const at300 = await ok(g.core, 'pass.preview', { passId: pass!.id, dpi: 300 });
    expect(at300.dpi).toBe(300);

    // No printer: said so, with the code masked; a revoked pass is not printed at all.
    const printed = await ok(g.core, 'pass.print', { passId: pass!.id });
    expect(printed).toMatchObject({ passId: pass!.id, template: 'pass', printed: false, fault: 'no-printer', code: pass!.maskedCode });
    await g.admin();
    await ok(g.core, 'pass.revoke', { passId: pass!.id, reason: '遗失' });
    expect(await g.core.invoke('pass.print', { passId: pass!.id })).toEqual({ ok: false, error: { code: 'pass.notPrintable', params: { state: 'revoked' } } });
    expect(await refused(g.core, 'pass.preview', { passId: pass!.id })).toBe('pass.notPrintable');
  });
});

describe('printing a pass on the label printer', () => {
  it('sends the label to the printer, whose printout’s QR reads back as the code; the desk’s print strip is not told', async () => {
    const sim = await PrinterSimulator.start();
    try {
      const g = await gate();
      const events: string[] = [];
      g.core.subscribe((e) => events.push(e.event));
      for (const mode of ['raster', 'native'] as const) {
        g.core.db
          .prepare(`INSERT INTO setting (key, value) VALUES ('labels.printer', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
          .run(JSON.stringify({ language: 'zpl', dpi: 203, mode, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, statusTimeoutMs: 500 }));
        const [pass] = await ok(g.core, 'pass.issue', { household: H102, validFrom: '2026-11-20', validUntil: '2026-11-30' });
        const printed = await ok(g.core, 'pass.print', { passId: pass!.id });
        expect(printed).toMatchObject({ passId: pass!.id, printed: true, fault: null, template: 'pass', code: pass!.maskedCode });
        const jobs = await sim.waitForJobs(mode === 'raster' ? 1 : 2);
        const [png] = PrinterSimulator.renderJobPng(jobs[jobs.length - 1]!);
        expect(zbarDecode(png!)).toEqual([codeOf(g.core, pass!.id)]);
      }
      expect(events).not.toContain('label.job');
    } finally {
      await sim.close();
    }
  });
});

describe('passes of the site’s other stations, from HQ’s feed', () => {
  function feedItems(core: StationCore, raw: { kind: string; payload: unknown }[], firstCursor: number): FeedItem[] {
    return raw.map((r, i) => {
      const checked = parseFeedItem({ cursor: firstCursor + i, ...r });
      if (!checked.ok) throw new Error(checked.detail);
      return checked.item;
    });
  }
  const issuedItem = (siteId: string, code: string, passId = 'pass-remote-1') => ({
    kind: 'pass.issued',
    payload: {
      passId,
      siteId,
      code,
      household: '2-1-201',
      idNumber: idNumber(5),
      name: '居民5',
      validFrom: '2026-11-19T16:00:00.000Z',
      validUntil: '2026-11-30T15:59:59.999Z',
      stationId: 'hq-station-2',
      stationNumber: 2,
      stationName: '2号卡点',
      issuedAt: '2026-11-20T01:00:00.000Z',
    },
  });
  const revokedItem = (siteId: string, code: string, passId = 'pass-remote-1') => ({
    kind: 'pass.revoked',
    payload: { passId, siteId, code, reason: '已搬离', stationId: 'hq-station-2', stationName: '2号卡点', revokedAt: '2026-11-20T01:30:00.000Z' },
  });

  it('applies a pass once however often it comes, and a revocation that comes first revokes the pass when it arrives', async () => {
    const g = await gate();
    const site = g.core.identity.site.id;
    const code = newPassCode(2);
    const apply = (items: FeedItem[]) => g.core.writer.run(() => g.core.feed.apply(items, new Date(g.now()).toISOString()));
    const effects = await apply(feedItems(g.core, [issuedItem(site, code), issuedItem(site, code), issuedItem('other-site', newPassCode(2), 'pass-x')], 1));
    expect(effects.passes).toBe(1);
    expect(g.core.db.prepare('SELECT id, origin, station_name, operator_id, seq FROM resident_pass').all()).toEqual([
      { id: 'pass-remote-1', origin: 'feed', station_name: '2号卡点', operator_id: null, seq: null },
    ]);
    // Nothing journalled here: it is the other station's record.
    expect(journal(g.core, 'pass.issued')).toEqual([]);
    const p = await passage(g.core, code);
    expect(p).toMatchObject({ subject: 'pass', person: { name: '居民5' }, residency: { kind: 'resident', household: '2-1-201' } });
    const listed = await ok(g.core, 'pass.list', { limit: 5, offset: 0 });
    expect(listed.passes[0]).toMatchObject({ origin: 'feed', stationName: '2号卡点', state: 'valid' });

    // A revocation before its pass (the feed does not send them so; kept all the same).
    const early = newPassCode(2);
    expect((await apply(feedItems(g.core, [revokedItem(site, early, 'pass-remote-2')], 10))).passes).toBe(1);
    expect(await refusal(g.core, early)).toEqual({ code: 'gate.passRevoked', params: { reason: '已搬离', at: '2026-11-20 09:30' } });
    await apply(feedItems(g.core, [issuedItem(site, early, 'pass-remote-2'), revokedItem(site, early, 'pass-remote-2')], 11));
    expect((await ok(g.core, 'pass.list', { state: 'revoked', limit: 5, offset: 0 })).passes.map((x) => x.id)).toEqual(['pass-remote-2']);

    // A pass from the feed is reissued here like any: revoked as reissued, journalled here.
    const [mine] = await ok(g.core, 'pass.issue', { household: { building: '2', unit: '1', room: '201' }, validFrom: '2026-11-20', validUntil: '2026-11-30' });
    expect(journal(g.core, 'pass.revoked').map((e) => [e.entityId, e.payload.reason])).toEqual([['pass-remote-1', 'reissued']]);
    expect(await refusal(g.core, code)).toMatchObject({ code: 'gate.passRevoked' });
    expect((await passage(g.core, codeOf(g.core, mine!.id))).subject).toBe('pass');
  });
});

describe('retention', () => {
  it('purges the holder of a pass expired before the period once HQ holds it; the pass is still refused', async () => {
    const g = await gate();
    const [pass] = await ok(g.core, 'pass.issue', { household: H101, residents: [idNumber(1)], validFrom: '2026-11-20', validUntil: '2026-11-21' });
    const [kept] = await ok(g.core, 'pass.issue', { household: H102, validFrom: '2026-11-20', validUntil: '2027-02-01' });
    await g.admin();
    await ok(g.core, 'pass.revoke', { passId: pass!.id, reason: '遗失，电话 13800138000' });
    g.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(g.core.journal.lastSeq());
    g.core.identity.site.config = { ...g.core.identity.site.config, retention: { personalDataDays: 15 } };
    g.advance(20 * DAY);
    const summary = await g.core.retention.purge();
    expect(summary?.passRows).toBe(2);
    expect(g.core.db.prepare('SELECT id, id_number, name, household FROM resident_pass ORDER BY issued_at, id').all()).toEqual([
      { id: pass!.id, id_number: null, name: '', household: '' },
      { id: kept!.id, id_number: idNumber(4), name: '居民4', household: '1-1-102' },
    ]);
    expect(g.core.db.prepare('SELECT reason FROM resident_pass_revocation').all()).toEqual([{ reason: '' }]);
    await g.keeper();
    expect((await refusal(g.core, codeOf(g.core, pass!.id))).code).toBe('gate.passRevoked');
  });
});
