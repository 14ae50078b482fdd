import fc from 'fast-check';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VehicleArgs } from '../../../electron/core/gate/vehicles';
import { checkPlate } from '../../../electron/core/gate/plate';
import { checkJournalFile } from '../../../electron/core/journal';
import { PAYLOAD_SCHEMAS } from '../../../hq/protocol';
import { dataKeyOf, ok, refused } from '../../helpers/core';
import { closeGates, DAY, gate, journal, KEEPER, refusedByHq, snapshot, START } from './gate-station';

afterEach(closeGates);

const car = (over: Partial<VehicleArgs> = {}) => ({ plate: '粤B·D12345', driver: '李司机', driverPhone: '13800138000', passengers: 2, purpose: '送菜', ...over });

describe('the vehicle lane', () => {
  it('records a vehicle in and matches its way out to that entry, counted apart from people', async () => {
    const g = await gate();
    const entered = await ok(g.core, 'gate.vehicle', { ...car(), direction: 'in' });
    expect(entered).toEqual({
      id: expect.any(String),
      at: new Date(START).toISOString(),
      direction: 'in',
      plate: '粤BD12345',
      plateDisplay: '粤B·D12345',
      plateKind: 'newEnergy',
      driver: '李司机',
      maskedDriverPhone: '138****8000',
      passengers: 2,
      purpose: '送菜',
      entryId: null,
      exit: null,
    });
    expect(await ok(g.core, 'gate.vehicles', { state: 'onSite' })).toEqual([entered]);
    await g.later(45 * 60_000);
    // Leaving, the plate as typed another way is enough: driver and purpose are the entry's.
    const left = await ok(g.core, 'gate.vehicle', { plate: '粤b d12345', direction: 'out', driver: '', passengers: 0, purpose: '' });
    expect(left).toMatchObject({ direction: 'out', plate: '粤BD12345', entryId: entered.id, driver: '李司机', purpose: '送菜', maskedDriverPhone: null, exit: null });
    expect(await ok(g.core, 'gate.vehicles', { state: 'onSite' })).toEqual([]);
    expect(await ok(g.core, 'gate.vehicles', { state: 'today' })).toEqual([left, { ...entered, exit: { id: left.id, at: left.at } }]);
    const counts = await ok(g.core, 'gate.counts', { day: DAY });
    expect(counts).toMatchObject({ in: 0, out: 0, onSiteNow: 0, vehicles: { in: 1, out: 1, onSiteNow: 0 } });
    expect(counts.vehicles.hours[10]).toEqual({ hour: 10, in: 1, out: 1 });
    expect(counts.vehicles.hours.filter((h) => h.in + h.out > 0)).toHaveLength(1);

    const entries = journal(g.core, 'gate.vehicle');
    expect(entries.map((e) => e.payload)).toEqual([
      { plate: '粤BD12345', plateKind: 'newEnergy', direction: 'in', driver: '李司机', driverPhone: '13800138000', passengers: 2, purpose: '送菜', entryId: null },
      { plate: '粤BD12345', plateKind: 'newEnergy', direction: 'out', driver: '李司机', driverPhone: null, passengers: 0, purpose: '送菜', entryId: entered.id },
    ]);
    for (const e of entries) expect(PAYLOAD_SCHEMAS['gate.vehicle'].safeParse(e.payload).success).toBe(true);
    expect(refusedByHq(g.core)).toEqual([]);
    expect(g.events.filter((e) => e.event === 'gate.vehiclePassage')).toHaveLength(2);
  });

  it('takes the gate’s direction when none is given, and a vehicle out without an entry here', async () => {
    const g = await gate();
    await ok(g.core, 'gate.setDirection', { direction: 'out' });
    const out = await ok(g.core, 'gate.vehicle', car({ plate: '京A12345' }));
    expect(out).toMatchObject({ direction: 'out', plateKind: 'standard', entryId: null });
  });

  it('matches a way out to the latest entry without an exit, and refuses a second entry while the first is open', async () => {
    const g = await gate();
    const first = await ok(g.core, 'gate.vehicle', { ...car({ plate: '沪AF12345' }), direction: 'in' });
    const before = snapshot(g.core);
    expect(await g.core.invoke('gate.vehicle', { ...car({ plate: '沪A·F12345' }), direction: 'in' })).toEqual({
      ok: false,
      error: { code: 'gate.vehicleOnSite', params: { plate: '沪A·F12345', since: '11-20 10:00' } },
    });
    expect(snapshot(g.core)).toEqual(before);
    // A day later the first entry no longer holds the vehicle back: it came again without its exit recorded.
    await g.later(25 * 3600_000);
    const second = await ok(g.core, 'gate.vehicle', { ...car({ plate: '沪AF12345' }), direction: 'in' });
    const out = await ok(g.core, 'gate.vehicle', { ...car({ plate: '沪AF12345' }), direction: 'out' });
    expect(out.entryId).toBe(second.id);
    const again = await ok(g.core, 'gate.vehicle', { ...car({ plate: '沪AF12345' }), direction: 'out' });
    expect(again.entryId).toBe(first.id);
    expect((await ok(g.core, 'gate.vehicle', { ...car({ plate: '沪AF12345' }), direction: 'out' })).entryId).toBeNull();
  });

  it('refuses a bad plate, phone, or an entry without driver or purpose, changing nothing', async () => {
    const g = await gate();
    const before = snapshot(g.core);
    expect(await g.core.invoke('gate.vehicle', { ...car({ plate: '京I12345' }), direction: 'in' })).toEqual({
      ok: false,
      error: { code: 'gate.plateInvalid', params: { problem: 'office', plate: '京I12345' } },
    });
    for (const plate of ['', 'A12345', '京A1234', '粤BX12345', '京A1234O', '京A12#45']) expect(await refused(g.core, 'gate.vehicle', { ...car({ plate }), direction: 'in' }), plate).toBe('gate.plateInvalid');
    expect(await refused(g.core, 'gate.vehicle', { ...car({ driverPhone: '12345' }), direction: 'in' })).toBe('gate.phoneInvalid');
    expect(await refused(g.core, 'gate.vehicle', { ...car({ driver: '' }), direction: 'in' })).toBe('gate.driverNeeded');
    expect(await refused(g.core, 'gate.vehicle', { ...car({ purpose: ' ' }), direction: 'in' })).toBe('gate.purposeNeeded');
    expect(await refused(g.core, 'gate.vehicle', { ...car({ passengers: 61 }), direction: 'in' })).toBe('request.invalid');
    expect(await refused(g.core, 'gate.vehicle', { ...car({ passengers: -1 }), direction: 'in' })).toBe('request.invalid');
    expect(snapshot(g.core)).toEqual(before);
  });

  it('refuses whatever text is not a plate and takes whatever is, journalling exactly what HQ validates', async () => {
    const g = await gate();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('京A12345', '粤B·D12345', '沪A1234领', '使014578', '京A12345挂')), async (plate) => {
        const before = snapshot(g.core);
        const r = await g.core.invoke('gate.vehicle', { ...car({ plate }), direction: 'out' });
        const checked = checkPlate(plate);
        if (!checked.ok) {
          expect(r).toMatchObject({ ok: false, error: { code: 'gate.plateInvalid' } });
          expect(snapshot(g.core)).toEqual(before);
        } else {
          expect(r).toMatchObject({ ok: true, value: { plate: checked.plate, plateKind: checked.kind } });
        }
      }),
      { numRuns: 60 },
    );
    expect(refusedByHq(g.core)).toEqual([]);
  });
});

describe('vehicles’ personal data', () => {
  it('is purged after the retention period: plate, driver and phone; the passage and its counts stay', async () => {
    const g = await gate();
    const entered = await ok(g.core, 'gate.vehicle', { ...car(), direction: 'in' });
    g.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(g.core.journal.lastSeq());
    g.core.identity.site.config = { ...g.core.identity.site.config, retention: { personalDataDays: 15 } };
    g.advance(16 * 86_400_000);
    await g.core.retention.purge();
    const text = JSON.stringify([g.core.db.prepare('SELECT * FROM gate_vehicle_passage').all(), g.core.db.prepare(`SELECT payload FROM journal WHERE kind = 'gate.vehicle'`).all()]);
    for (const gone of ['BD12345', '李司机', '13800138000']) expect(text).not.toContain(gone);
    expect(text).toContain('送菜');
    expect((await checkJournalFile(path.join(g.dataDir, 'station.db'), dataKeyOf(g.dataDir))).ok).toBe(true);
    await ok(g.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
    expect(await ok(g.core, 'gate.vehicles', { state: 'today', day: DAY })).toEqual([{ ...entered, plate: '', plateDisplay: '', driver: '', maskedDriverPhone: null }]);
    expect((await ok(g.core, 'gate.counts', { day: DAY })).vehicles).toMatchObject({ in: 1 });
  });
});
