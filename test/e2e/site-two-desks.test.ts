import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { personMark } from '../../electron/core/person/mark';
import { tubeCode } from '../helpers/ids';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { personId, siteDesk, startHq, waitFor, type RunningHq } from './upload-env';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

const scan = (core: StationCore, text: string) => core.invoke('scan.submit', { text, source: 'simulator' });

describe.each(['sqlite', 'postgres'] as const)('two desks enrolled at one site, HQ on %s', (backend) => {
  let hq: RunningHq | undefined;
  const desks: StationCore[] = [];

  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  const desk = () => siteDesk(hq!, { id: 'site-two', name: '双台社区' }, desks);

  it('gives each desk its own number and codes, warns at desk 2 about someone sampled at desk 1, and flags a pre-printed tube opened at both', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl });
    const one = await desk();
    const two = await desk();
    expect([one.identity.station.number, two.identity.station.number]).toEqual([1, 2]);
    expect([one.identity.station.name, two.identity.station.name]).toEqual(['1号采样台', '2号采样台']);

    // HQ starts the site's round; both desks receive it through the feed.
    const started = await hq.server.startRound({ siteId: 'site-two', name: '第3轮全员核酸', startsOn: '2026-12-02', endsOn: '2026-12-03' });
    expect(started.ok).toBe(true);
    for (const d of [one, two]) {
      d.upload.syncNow();
      await waitFor('the round at the desk', () => d.rounds.current()?.name === '第3轮全员核酸', 20_000);
    }

    // "New tube" gives each desk codes under its own number.
    const a = await one.invoke('tube.new', {});
    const b = await two.invoke('tube.new', {});
    expect(a.ok && a.value.kind === 'tube.opened' && a.value.tubeCode).toBe('SY0010000001');
    expect(b.ok && b.value.kind === 'tube.opened' && b.value.tubeCode).toBe('SY0020000001');

    // Person 7 is sampled at desk 1; once both desks have synced, desk 2 asks before sampling them again.
    expect((await scan(one, personId(7))).ok).toBe(true);
    one.upload.syncNow();
    await waitFor('desk 1 uploaded', async () => (await one.invoke('upload.status', {})).ok && one.upload.status().waiting === 0, 20_000);
    await waitFor('the mark at desk 2', () => {
      two.upload.syncNow();
      return (two.db.prepare('SELECT count(*) AS n FROM round_mark').get() as { n: number }).n === 1;
    }, 20_000);
    const asked = await scan(two, personId(7));
    expect(asked.ok && asked.value.kind).toBe('person.needsConfirmation');
    if (asked.ok && asked.value.kind === 'person.needsConfirmation') {
      expect(asked.value.pending).toMatchObject({ previousTubeCode: null, previousStation: '1号采样台' });
      expect((await two.invoke('binding.cancel', { token: asked.value.pending.token })).ok).toBe(true);
    }
    // Only a mark crossed over: desk 2 holds no personal data of desk 1's people.
    expect(two.db.prepare('SELECT count(*) AS n FROM person').get()).toEqual({ n: 1 });
    // The mark is the site-keyed hash of the person's key, the same desk 2 computes itself, and
    // the round_mark row holds nothing else about them.
    const markRow = two.db.prepare('SELECT * FROM round_mark').get() as Record<string, unknown>;
    expect(markRow.mark).toBe(personMark(two.siteIdentity.markKey(), `id:${personId(7)}`));
    expect(JSON.stringify(markRow)).not.toContain(personId(7).slice(6, 14));

    // Desk 1 undoes that binding: the mark is withdrawn and desk 2 samples the person without asking.
    expect((await one.invoke('binding.undo', { reason: '扫错人' })).ok).toBe(true);
    one.upload.syncNow();
    await waitFor('the mark withdrawn at desk 2', () => {
      two.upload.syncNow();
      return (two.db.prepare('SELECT count(*) AS n FROM round_mark').get() as { n: number }).n === 0;
    }, 20_000);
    const bound = await scan(two, personId(7));
    expect(bound.ok && bound.value.kind).toBe('person.bound');

    // A pre-printed code opened at both desks: HQ flags it, desk 2 (later) shows it, no result is posted for it.
    const printed = tubeCode(990_000_001);
    expect((await scan(one, printed)).ok).toBe(true);
    expect((await scan(one, personId(20))).ok).toBe(true);
    one.upload.syncNow();
    await waitFor('desk 1 uploaded the tube', () => one.upload.status().waiting === 0, 20_000);
    expect((await scan(two, printed)).ok).toBe(true);
    expect((await scan(two, personId(21))).ok).toBe(true);
    await waitFor('desk 2 told of the conflict', async () => {
      two.upload.syncNow();
      const state = await two.invoke('desk.state', {});
      return state.ok && state.value.conflicts.some((c) => c.code === printed);
    }, 20_000);
    const twoState = await two.invoke('desk.state', {});
    expect(twoState.ok && twoState.value.conflicts[0]).toMatchObject({ code: printed, later: true, others: [{ stationNumber: 1, stationName: '1号采样台' }] });
    await waitFor('desk 1 told too', async () => {
      one.upload.syncNow();
      const all = await one.invoke('tube.conflicts', {});
      return all.ok && all.value.some((c) => c.code === printed && !c.later);
    }, 20_000);
    const oneState = await one.invoke('desk.state', {});
    expect(oneState.ok && oneState.value.conflicts).toEqual([]);
    expect(await hq.server.postResult(printed, 'positive')).toMatchObject({ ok: false, error: 'tube.ambiguous' });
  });
});
