import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import type { WireEvent } from '../../electron/api/wire';
import { tubeCode } from '../helpers/ids';
import { FAST_TUNING, bindPeople, enrolledStation, personId, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

let hq: RunningHq | undefined;
let core: StationCore | undefined;

afterEach(async () => {
  core?.close();
  await hq?.server.close();
  core = undefined;
  hq = undefined;
});

const ADMIN = 'test-admin-token';

describe('results from HQ at the desk', () => {
  it('a positive pooled tube lists its members, opens single-tube re-tests, and sampling one closes it at HQ', async () => {
    hq = await startHq({ adminToken: ADMIN });
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    const station = core;
    const events: WireEvent[] = [];
    core.subscribe((e) => events.push(e));
    await bindPeople(core, 20, 10);
    await waitFor('bindings uploaded', () => uploadedAll(station));

    expect(await hq.server.postResult(tubeCode(1), 'positive')).toEqual({ ok: true });
    expect(await hq.server.postResult(tubeCode(2), 'negative')).toEqual({ ok: true });
    const keyPersons = await fetch(new URL('/api/v1/admin/keypersons', hq.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ siteId: 'site-e2e', listId: 'kp-1', persons: [{ idNumber: personId(5), name: '李四', reason: '密接' }] }),
    });
    expect(keyPersons.status).toBe(200);
    core.upload.syncNow();

    // The results and the key-person list were posted one after the other: a feed pull may fall between them.
    await waitFor('the open re-tests and the key-person list', async () => {
      const open = await core!.invoke('retest.list', { state: 'open' });
      const lists = core!.db.prepare(`SELECT count(*) AS n FROM key_person_list WHERE list_id = 'kp-1'`).get() as { n: number };
      return open.ok && open.value.length === 10 && lists.n === 1;
    });
    expect(events.some((e) => e.event === 'results.changed')).toBe(true);
    const positives = await core.invoke('results.positives', {});
    expect(positives.ok).toBe(true);
    if (!positives.ok) return;
    expect(positives.value.map((p) => p.tubeCode)).toEqual([tubeCode(1)]);
    expect(positives.value[0]).toMatchObject({ knownHere: true, capacity: 10 });
    expect(positives.value[0]!.members).toHaveLength(10);
    expect(positives.value[0]!.members.every((m) => m.retest?.state === 'open')).toBe(true);
    // The screen shows masked ID numbers only.
    expect(positives.value[0]!.members[0]!.person.maskedIdNumber).toMatch(/\*{8}/);
    const held = core.db.prepare(`SELECT id_number, reason FROM key_person WHERE list_id = 'kp-1'`).all();
    expect(held).toEqual([{ id_number: personId(5), reason: '密接' }]);

    // The re-test: a single tube, the person scanned into it (confirmed: sampled this round already).
    await core.invoke('desk.setCapacity', { capacity: 1 });
    await core.invoke('scan.submit', { text: tubeCode(100), source: 'simulator' });
    const ask = await core.invoke('scan.submit', { text: personId(3), source: 'simulator' });
    expect(ask.ok && ask.value.kind).toBe('person.needsConfirmation');
    if (!ask.ok || ask.value.kind !== 'person.needsConfirmation') return;
    const bound = await core.invoke('binding.confirm', { token: ask.value.pending.token });
    expect(bound.ok && bound.value).toMatchObject({ kind: 'person.bound', capacity: 1, tubeSealed: true });

    const tasks = await core.invoke('retest.list', { state: 'sampled' });
    expect(tasks.ok && tasks.value.map((t) => [t.sourceTubeCode, t.sampledTubeCode])).toEqual([[tubeCode(1), tubeCode(100)]]);
    await waitFor('the re-test uploaded', () => uploadedAll(station));
    const atHq = await hq.server.store.retestTasks(tubeCode(1));
    expect(atHq).toHaveLength(10);
    expect(atHq.filter((t) => t.closed).map((t) => t.personKey)).toEqual([`id:${personId(3)}`]);
  });

  it('a positive tube filled elsewhere is shown without members and opens no re-tests here', async () => {
    hq = await startHq({ adminToken: ADMIN });
    const other = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    await bindPeople(other, 10, 10);
    await waitFor('the other desk uploaded', () => uploadedAll(other));
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    expect(await hq.server.postResult(tubeCode(1), 'positive')).toEqual({ ok: true });
    other.close();
    // This desk never opened tube 1; its own tube 1 code does not exist here.
    await waitFor('the result arrived', async () => {
      const p = await core!.invoke('results.positives', {});
      return p.ok && p.value.length === 1;
    });
    const positives = await core.invoke('results.positives', {});
    expect(positives.ok && positives.value[0]).toMatchObject({ tubeCode: tubeCode(1), knownHere: false, members: [] });
    expect((await core.invoke('retest.list', {})).ok && core.upload.results.openCount()).toBe(0);
  });
});
