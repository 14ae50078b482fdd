import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StationCore } from '../../electron/core/core';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { ok, openCore, TEST_ADMIN, tempDir, withKey } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';

const NAME = '王小明';
const ID = idNumber(7);

let host: KioskHost | undefined;
let core: StationCore | undefined;
afterEach(async () => {
  await host?.close();
  core?.close();
  host = undefined;
  core = undefined;
});

type Message = { type: string; id?: number; event?: string; result?: { ok: boolean }; payload?: unknown };

/** A page's WebSocket to the kiosk host, every message it receives kept as it came (raw text). */
async function client(h: KioskHost): Promise<{ ws: WebSocket; raw: string[]; call(method: string, args?: unknown): Promise<Message>; until(p: (m: Message) => boolean): Promise<Message> }> {
  const ws = new WebSocket(h.url.replace('http', 'ws') + 'api', { origin: h.url.slice(0, -1), headers: { authorization: `Bearer ${h.token}` } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const raw: string[] = [];
  const waiting: { p: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    raw.push(text);
    const m = JSON.parse(text) as Message;
    for (const w of waiting.splice(0)) {
      if (w.p(m)) w.resolve(m);
      else waiting.push(w);
    }
  });
  const until = (p: (m: Message) => boolean) => new Promise<Message>((resolve) => waiting.push({ p, resolve }));
  let nextId = 1;
  const call = (method: string, args: unknown = {}) => {
    const id = nextId++;
    const answered = until((m) => m.type === 'result' && m.id === id);
    ws.send(JSON.stringify({ type: 'call', id, method, args }));
    return answered;
  };
  return { ws, raw, call, until };
}

describe('the kiosk host while the screen is locked', () => {
  it('sends a page connected while locked, or one that was open, no name; after sign-in the desk as it is', async () => {
    const dataDir = tempDir();
    core = await openCore(dataDir);
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(core, 'scan.submit', { text: JSON.stringify({ name: NAME, idNumber: ID }), source: 'manual' });
    host = await startKioskHost({ ...withKey(dataDir), core, port: 0, rendererDir: tempDir() });

    // A page open while someone works sees the desk.
    const open = await client(host);
    const seenOpen = open.until((m) => m.event === 'desk.changed');
    core.useSiteConfig(core.identity.site);
    expect(JSON.stringify(await seenOpen)).toContain(NAME);

    const lockedAt = open.raw.length;
    expect(await open.call('operator.lock')).toMatchObject({ result: { ok: true, value: { state: 'locked' } } });
    // A page connected while locked (another tab, any local program with the key).
    const late = await client(host);
    expect(await late.call('desk.state')).toMatchObject({ result: { ok: false, error: { code: 'session.locked' } } });

    // What would tell the screens about the desk, while locked: HQ's configuration, a change queued before the lock.
    core.useSiteConfig(core.identity.site);
    core.emit('desk.changed', core.desk.state());
    core.emit('coverage.changed', { roundId: core.rounds.current()!.id });
    // An answer after those events: the socket is ordered, so anything they sent has arrived.
    await late.call('operator.session');
    await open.call('operator.session');
    for (const raw of [late.raw, open.raw.slice(lockedAt)]) {
      expect(raw.length).toBeGreaterThan(0);
      const text = raw.join('\n');
      expect(text).not.toContain(NAME);
      expect(text).not.toContain(ID.slice(-4));
      expect(raw.map((r) => (JSON.parse(r) as Message).event).filter(Boolean)).not.toContain('desk.changed');
    }

    // Signed in again from the late page: both pages get the desk without asking.
    const lateDesk = late.until((m) => m.event === 'desk.changed');
    const openDesk = open.until((m) => m.event === 'desk.changed');
    expect(await late.call('operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin })).toMatchObject({ result: { ok: true, value: { state: 'active' } } });
    for (const desk of [await lateDesk, await openDesk]) {
      expect(desk).toMatchObject({ payload: { openTube: { code: tubeCode(1), members: [{ person: { name: NAME } }] } } });
    }
    open.ws.close();
    late.ws.close();
  });
});
