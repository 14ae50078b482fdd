import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegisterVisitorArgs } from '../../../electron/core/gate/visitors';
import { checkJournalFile } from '../../../electron/core/journal';
import { PERSONAL_FIELDS } from '../../../hq/chain';
import { PAYLOAD_SCHEMAS } from '../../../hq/protocol';
import { dataKeyOf, ok, refused, signInAdmin, stationCore, TEST_ADMIN } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';
import { closeGates, COLLECTOR, DAY, gate, journal, KEEPER, refusedByHq, snapshot, START } from './gate-station';

afterEach(closeGates);

/** An outsider: not on the roster (residents are test people 1 to 4). */
const VISITOR = 50;
const visitor = (over: Partial<RegisterVisitorArgs> = {}): RegisterVisitorArgs => ({
  name: '赵访客',
  idNumber: idNumber(VISITOR),
  phone: '139 1234 5678',
  reason: '探望父母',
  household: '1-1-101',
  stay: { minutes: 120 },
  ...over,
});

describe('registering a visitor', () => {
  it('makes their person, a visitor passage with the same checks and verdict, and the visit; a reading measured just before is in the answer', async () => {
    const g = await gate({ roster: ['1', '2', '3', '4'] });
    // The thermometer read them a second before the gate keeper pressed "register".
    g.reading(36.6, g.now() - 1000);
    const { visit, passage } = await ok(g.core, 'gate.registerVisitor', visitor());
    expect(passage).toMatchObject({
      direction: 'in',
      subject: 'visitor',
      person: { name: '赵访客', maskedIdNumber: '110105********' + idNumber(VISITOR).slice(-4) },
      residency: { kind: 'outsider' },
      rule: { kind: 'sampledWithin', met: false },
      temperature: { state: 'normal', readings: [{ celsius: 36.6, match: 'auto' }] },
      // Registered: not held for being an outsider; the site's entry rule still applies.
      verdict: { level: 'check', reasons: ['rule.notMet'], final: true },
    });
    expect(visit).toEqual({
      id: expect.any(String),
      person: passage.person,
      maskedPhone: '139****5678',
      reason: '探望父母',
      household: '1-1-101',
      enteredAt: new Date(START).toISOString(),
      expectedUntil: new Date(START + 120 * 60_000).toISOString(),
      overstay: false,
      entry: { passageId: passage.id, verdict: passage.verdict, temperature: 'normal' },
      left: null,
    });
    expect(JSON.stringify(visit)).not.toContain(idNumber(VISITOR));
    expect(JSON.stringify(visit)).not.toContain('13912345678');
    // Journalled: the person (with the phone given), the passage, the reading, the visit.
    expect(journal(g.core, 'person.registered').at(-1)!.payload).toMatchObject({ idNumber: idNumber(VISITOR), name: '赵访客', phone: '13912345678', format: 'visitor' });
    expect(journal(g.core, 'gate.passage')).toEqual([expect.objectContaining({ entity_id: passage.id, payload: expect.objectContaining({ subject: 'visitor', direction: 'in', residency: 'outsider', reasons: ['rule.notMet', 'temperature.awaiting'] }) })]);
    const entries = journal(g.core, 'gate.visitor');
    expect(entries).toEqual([
      {
        entity_id: visit.id,
        operator_id: (await ok(g.core, 'operator.session', {})).operator!.id,
        payload: { passageId: passage.id, personId: passage.person.id, phone: '13912345678', reason: '探望父母', household: '1-1-101', expectedUntil: visit.expectedUntil },
      },
    ]);
    // Exactly the payload HQ validates, with the personal fields the chain sets apart.
    expect(PAYLOAD_SCHEMAS['gate.visitor'].safeParse(entries[0]!.payload).success).toBe(true);
    expect(Object.keys(entries[0]!.payload)).toEqual(expect.arrayContaining([...PERSONAL_FIELDS['gate.visitor']!]));
    expect(refusedByHq(g.core)).toEqual([]);
    // The screens were told: the passage and the visit.
    expect(g.events.map((e) => e.event).filter((e) => e.startsWith('gate.'))).toEqual(expect.arrayContaining(['gate.passage', 'gate.reading', 'gate.visit']));
  });

  it('attaches a reading measured after the registration once nobody else can have been presented for it', async () => {
    const g = await gate({ roster: ['1'] });
    const { visit, passage } = await ok(g.core, 'gate.registerVisitor', visitor());
    expect(passage.temperature.state).toBe('awaiting');
    g.advance(3000);
    g.reading(37.5);
    g.advance(2001);
    await g.core.gate.checkDue();
    const after = await ok(g.core, 'gate.passage', { id: passage.id });
    expect(after.temperature).toMatchObject({ state: 'remeasure', readings: [{ celsius: 37.5, match: 'auto', high: true }] });
    expect(after.verdict.level).toBe('stop');
    const [listed] = await ok(g.core, 'gate.visitors', { state: 'onSite' });
    expect(listed).toMatchObject({ id: visit.id, entry: { temperature: 'remeasure', verdict: { level: 'stop' } } });
  });

  it('takes an expected stay until a time, and flags a visitor past it', async () => {
    const g = await gate({ roster: ['1', '2'] });
    const until = new Date(START + 30 * 60_000).toISOString().replace('Z', '+00:00');
    const { visit } = await ok(g.core, 'gate.registerVisitor', visitor({ stay: { until }, household: '1 1 102' }));
    expect(visit).toMatchObject({ expectedUntil: new Date(START + 30 * 60_000).toISOString(), household: '1-1-102', overstay: false });
    await g.later(31 * 60_000);
    expect(await ok(g.core, 'gate.visitors', { state: 'onSite' })).toEqual([expect.objectContaining({ id: visit.id, overstay: true })]);
    expect((await ok(g.core, 'gate.counts', {})).visitors).toEqual({ in: 1, onSiteNow: 1, overstaying: 1 });
  });

  it('refuses, changing nothing: a wrong check character, a phone that is not a mobile, a household not on the roster, a stay that is over, someone on site already', async () => {
    const g = await gate({ roster: ['1', '2'] });
    const before = snapshot(g.core);
    const wrongCheck = idNumber(VISITOR).slice(0, 17) + (idNumber(VISITOR).endsWith('1') ? '2' : '1');
    expect(await g.core.invoke('gate.registerVisitor', visitor({ idNumber: wrongCheck }))).toEqual({
      ok: false,
      error: { code: 'gate.idNumberInvalid', params: { masked: '110105********' + wrongCheck.slice(-4) } },
    });
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ idNumber: '11010519800101' }))).toBe('gate.idNumberInvalid');
    for (const phone of ['', '1391234567', '23912345678', '12912345678', '139123456789']) expect(await refused(g.core, 'gate.registerVisitor', visitor({ phone })), phone).toBe('gate.phoneInvalid');
    expect(await g.core.invoke('gate.registerVisitor', visitor({ household: '9-9-909' }))).toEqual({ ok: false, error: { code: 'gate.householdUnknown', params: { household: '9-9-909' } } });
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ household: '1-1' }))).toBe('gate.householdUnknown');
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ stay: { until: new Date(START - 60_000).toISOString() } }))).toBe('gate.stayInvalid');
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ stay: { until: new Date(START + 4 * 86_400_000).toISOString() } }))).toBe('gate.stayInvalid');
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ stay: { minutes: 0 } }))).toBe('request.invalid');
    expect(await refused(g.core, 'gate.registerVisitor', visitor({ reason: '  ' }))).toBe('request.invalid');
    expect(snapshot(g.core)).toEqual(before);

    // Once on site, not registered again until they leave; the refusal says since when.
    const { visit } = await ok(g.core, 'gate.registerVisitor', visitor());
    const registered = snapshot(g.core);
    g.advance(60_000);
    expect(await g.core.invoke('gate.registerVisitor', visitor({ household: '1-1-102' }))).toEqual({
      ok: false,
      error: { code: 'gate.visitorOnSite', params: { visitId: visit.id, since: '11-20 10:00' } },
    });
    // Two registrations queued together: one is refused in the writer.
    const both = await Promise.all([g.core.invoke('gate.registerVisitor', visitor({ idNumber: idNumber(60) })), g.core.invoke('gate.registerVisitor', visitor({ idNumber: idNumber(60) }))]);
    expect(both.map((r) => (r.ok ? 'ok' : r.error.code)).sort()).toEqual(['gate.visitorOnSite', 'ok']);
    expect(snapshot(g.core)).not.toEqual(registered);
  });

  it('is the gate keeper’s and the site admin’s, at a gate only', async () => {
    const g = await gate({ roster: ['1'] });
    await ok(g.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(g.core, 'operator.create', COLLECTOR);
    await ok(g.core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    for (const [method, args] of [
      ['gate.registerVisitor', visitor()],
      ['gate.visitors', { state: 'onSite' }],
      ['gate.households', { query: '1' }],
      ['gate.visitorLeave', { visitId: 'x' }],
    ] as const) {
      expect(await refused(g.core, method, args as never), method).toBe('operator.forbidden');
    }
    const desk = stationCore({ devices: 'off', now: () => new Date(START) });
    try {
      await signInAdmin(desk);
      expect(await refused(desk, 'gate.registerVisitor', visitor())).toBe('gate.notAtGate');
    } finally {
      desk.close();
    }
  });
});

describe('a visitor leaving', () => {
  it('picked from the list: their passage out, the visit ended with how long they stayed', async () => {
    const g = await gate({ roster: ['1'] });
    const { visit } = await ok(g.core, 'gate.registerVisitor', visitor());
    await g.later(95 * 60_000 + 30_000);
    const left = await ok(g.core, 'gate.visitorLeave', { visitId: visit.id });
    expect(left.passage).toMatchObject({ direction: 'out', subject: 'visitor', person: { id: visit.person.id }, rule: { kind: 'none' }, temperature: { state: 'notRequired' } });
    expect(left.visit).toMatchObject({ id: visit.id, overstay: false, left: { passageId: left.passage.id, at: new Date(g.now()).toISOString(), stayedMinutes: 95 } });
    const entries = journal(g.core, 'gate.visitorLeft');
    expect(entries).toEqual([expect.objectContaining({ entity_id: visit.id, payload: { passageId: left.passage.id, stayedMinutes: 95 } })]);
    expect(PAYLOAD_SCHEMAS['gate.visitorLeft'].safeParse(entries[0]!.payload).success).toBe(true);
    expect(await ok(g.core, 'gate.visitors', { state: 'onSite' })).toEqual([]);
    expect(await ok(g.core, 'gate.visitors', { state: 'today' })).toEqual([expect.objectContaining({ id: visit.id, left: expect.objectContaining({ stayedMinutes: 95 }) })]);
    const counts = await ok(g.core, 'gate.counts', { day: DAY });
    expect(counts).toMatchObject({ in: 1, out: 1, onSiteNow: 0, visitors: { in: 1, onSiteNow: 0, overstaying: 0 } });
    // Once only.
    const before = snapshot(g.core);
    expect(await g.core.invoke('gate.visitorLeave', { visitId: visit.id })).toEqual({ ok: false, error: { code: 'gate.visitEnded', params: { leftAt: '11-20 11:35' } } });
    expect(await refused(g.core, 'gate.visitorLeave', { visitId: 'no-such-visit' })).toBe('gate.visitNotFound');
    expect(snapshot(g.core)).toEqual(before);
    // Gone, they may come again.
    await ok(g.core, 'gate.registerVisitor', visitor());
    expect(refusedByHq(g.core)).toEqual([]);
  });

  it('scanned out: the passage their scan made ends the visit, and the screens are told', async () => {
    const g = await gate({ roster: ['1'] });
    const { visit } = await ok(g.core, 'gate.registerVisitor', visitor());
    g.advance(40 * 60_000);
    await ok(g.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
    g.events.length = 0;
    const out = await ok(g.core, 'gate.scan', { text: idNumber(VISITOR), source: 'manual', direction: 'out' });
    if (out.kind !== 'gate.passage') throw new Error(out.kind);
    expect(out.passage).toMatchObject({ subject: 'person', direction: 'out', person: { id: visit.person.id } });
    const [listed] = await ok(g.core, 'gate.visitors', { state: 'today' });
    expect(listed).toMatchObject({ id: visit.id, left: { passageId: out.passage.id, stayedMinutes: 40 } });
    expect(journal(g.core, 'gate.visitorLeft')).toEqual([expect.objectContaining({ entity_id: visit.id, payload: { passageId: out.passage.id, stayedMinutes: 40 } })]);
    const told = g.events.filter((e) => e.event === 'gate.visit');
    expect(told).toEqual([expect.objectContaining({ payload: expect.objectContaining({ id: visit.id, left: expect.objectContaining({ stayedMinutes: 40 }) }) })]);
    // Scanned in or out again, there is no visit left to end.
    await ok(g.core, 'gate.scan', { text: idNumber(VISITOR), source: 'manual', direction: 'out' });
    expect(journal(g.core, 'gate.visitorLeft')).toHaveLength(1);
  });
});

describe('households to visit', () => {
  it('are found on the roster in use by building, unit and the start of the room', async () => {
    const g = await gate({ roster: ['1', '2', '3'] });
    expect(await ok(g.core, 'gate.households', { query: '1' })).toEqual([
      { household: '1-1-101', building: '1', unit: '1', room: '101', residents: 1 },
      { household: '1-1-102', building: '1', unit: '1', room: '102', residents: 1 },
      { household: '1-1-103', building: '1', unit: '1', room: '103', residents: 1 },
    ]);
    expect((await ok(g.core, 'gate.households', { query: '1-1-10' })).map((h) => h.household)).toEqual(['1-1-101', '1-1-102', '1-1-103']);
    expect((await ok(g.core, 'gate.households', { query: '1/1/102' })).map((h) => h.household)).toEqual(['1-1-102']);
    expect(await ok(g.core, 'gate.households', { query: '2' })).toEqual([]);
    expect(await ok(g.core, 'gate.households', { query: '1-1-1-1' })).toEqual([]);
  });
});

describe('visitors’ personal data', () => {
  it('is purged with the rest of the gate’s after the retention period, the journal’s chain still whole', async () => {
    const g = await gate({ roster: ['1'] });
    const { visit } = await ok(g.core, 'gate.registerVisitor', visitor());
    await g.later(10 * 60_000);
    await ok(g.core, 'gate.visitorLeave', { visitId: visit.id });
    g.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(g.core.journal.lastSeq());
    g.core.identity.site.config = { ...g.core.identity.site.config, retention: { personalDataDays: 15 } };
    g.advance(16 * 86_400_000);
    const purged = await g.core.retention.purge();
    expect(purged?.gateRows).toBeGreaterThan(0);
    const text = JSON.stringify([g.core.db.prepare('SELECT * FROM gate_visit').all(), g.core.db.prepare(`SELECT payload FROM journal WHERE kind LIKE 'gate.%'`).all()]);
    for (const gone of ['13912345678', '探望父母', '1-1-101', idNumber(VISITOR)]) expect(text).not.toContain(gone);
    expect((await checkJournalFile(path.join(g.dataDir, 'station.db'), dataKeyOf(g.dataDir))).ok).toBe(true);
    await ok(g.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
    expect(await ok(g.core, 'gate.visitors', { state: 'today', day: DAY })).toEqual([expect.objectContaining({ id: visit.id, household: null, maskedPhone: null, reason: '', left: expect.objectContaining({ stayedMinutes: 10 }) })]);
    expect((await ok(g.core, 'gate.counts', { day: DAY })).visitors.in).toBe(1);
  });
});
