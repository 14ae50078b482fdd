import path from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openStationFile, tempDir, TEST_ADMIN } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { startStationProcess } from '../helpers/station-process';

type Result = { ok: boolean; value?: { kind: string; tubeCode?: string }; error?: { code: string } };

/**
 * Kills the host with SIGKILL in the middle of a stream of scans: every binding the API
 * acknowledged must be in the database afterwards, and the database must be sound.
 */
describe('durability under SIGKILL', () => {
  it('keeps every acknowledged binding', async () => {
    const dataDir = tempDir();
    const station = await startStationProcess(dataDir);
    const ws = new WebSocket(`${station.url.replace('http', 'ws')}api`, { origin: station.url.slice(0, -1), headers: { authorization: `Bearer ${station.token}` } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // The first-run step signs the test's admin in before the scans (id 0: not counted as one).
    const signedIn = new Promise((resolve) => ws.once('message', resolve));
    ws.send(JSON.stringify({ type: 'call', id: 0, method: 'operator.setup', args: TEST_ADMIN }));
    await signedIn;

    // The stream: capacity 20, then a tube and its 20 people, the next tube, ... all sent at
    // once, so that many scans are still in flight when the process dies.
    const scans: { kind: 'tube' | 'person'; text: string }[] = [];
    for (let t = 1; t <= 150; t++) {
      scans.push({ kind: 'tube', text: tubeCode(t) });
      for (let p = 1; p <= 20; p++) scans.push({ kind: 'person', text: idNumber((t - 1) * 20 + p) });
    }
    const acked: { tube: string; id: string }[] = [];
    let killed = false;
    const killAfter = 400 + Math.floor(Math.random() * 200);

    const done = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { type: string; id: number; result: Result };
        if (message.type !== 'result' || killed || message.id === 0) return;
        const scan = scans[message.id - 1]!;
        expect(message.result.ok, JSON.stringify(message.result)).toBe(true);
        if (scan.kind === 'person' && message.result.value?.kind === 'person.bound') {
          acked.push({ tube: message.result.value.tubeCode!, id: scan.text });
        }
        if (acked.length >= killAfter) {
          killed = true;
          station.child.kill('SIGKILL');
          resolve();
        }
      });
    });
    ws.send(JSON.stringify({ type: 'call', id: 0, method: 'desk.setCapacity', args: { capacity: 20 } }));
    scans.forEach((scan, i) => ws.send(JSON.stringify({ type: 'call', id: i + 1, method: 'scan.submit', args: { text: scan.text, source: 'serial' } })));
    await done;
    await new Promise((resolve) => station.child.once('exit', resolve));
    ws.terminate();

    expect(station.child.signalCode).toBe('SIGKILL');

    const db = openStationFile(path.join(dataDir, 'station.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = new Set(
      (db
        .prepare(
          `SELECT t.code AS tube, p.id_number AS id FROM binding b JOIN tube t ON t.id = b.tube_id JOIN person p ON p.id = b.person_id
           WHERE b.undo_correction_id IS NULL`,
        )
        .all() as { tube: string; id: string }[]).map((r) => `${r.tube}/${r.id}`),
    );
    const missing = acked.filter((a) => !stored.has(`${a.tube}/${a.id}`));
    expect(missing).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(acked.length);
    const seqs = (db.prepare('SELECT seq FROM journal ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
    seqs.forEach((s, i) => expect(s).toBe(i + 1));
    db.close();
  });
});
