import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHqServer, type HqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { anyText, bytes, COMMON_PIECES, fuzzOptions, fuzzTimeout, idNumber, piecesText } from './arbitraries';

const ADMIN = 'fuzz-dashboard-token';

let hq: HqServer;
let base: string;
let roundId: string;

beforeAll(async () => {
  hq = await createHqServer({ dataDir: tempDir('hq-dashboard-fuzz-'), adminToken: ADMIN, maxLedgerBytes: 64 * 1024 });
  base = await hq.listen(0);
  await hq.createEnrollmentCode('site-dash', '看板模糊测试');
  const round = await hq.startRound({ siteId: 'site-dash', name: '第1轮' });
  if (!round.ok) throw new Error(round.error);
  roundId = round.round.roundId;
});
afterAll(async () => {
  await hq.close();
});

/** A dashboard answer: a page, or a redirect back to one; never a server error. */
function expectPageOrRedirect(status: number, location: string | null): void {
  expect([200, 303, 400, 401, 404, 413]).toContain(status);
  if (status === 303) expect(location).toMatch(/^\/(dashboard|login)/);
}

describe('HQ dashboard forms (fuzz)', () => {
  it(
    'answers any form to any dashboard action with a page or a redirect back to one',
    async () => {
      const value = fc.oneof(anyText(20), piecesText(COMMON_PIECES, 8), idNumber, idNumber.map((n) => `${n} 张三\n${n.slice(0, 17)}0 李四`), fc.constantFrom('positive', 'lift', 'away', '1', '0', '999', '-1', 'site-dash', roundId, ''));
      const form = fc.array(
        fc.tuple(
          fc.constantFrom('tubeCode', 'result', 'stationId', 'number', 'name', 'siteId', 'startsOn', 'endsOn', 'roundId', 'code', 'note', 'idNumber', 'reason', 'token', 'boxCode', 'receivedBy', 'receiptId', 'status', 'by', 'site', 'household', 'persons', 'isolationId', 'startDay', 'untilDay', 'x'),
          value,
        ),
        { maxLength: 6 },
      );
      const action = fc.constantFrom(
        '/login',
        '/dashboard/results',
        '/dashboard/stations',
        '/dashboard/rounds',
        '/dashboard/rounds/close',
        '/dashboard/conflicts',
        `/dashboard/coverage/${roundId}/exempt`,
        `/dashboard/coverage/${randomUUID()}/exempt`,
        `/dashboard/roster/${randomUUID()}/apply`,
        `/dashboard/roster/${randomUUID()}/map`,
        '/dashboard/lab/receive',
        '/dashboard/lab/scan',
        '/dashboard/lab/broken',
        '/dashboard/lab/finish',
        '/dashboard/lab/correct',
        '/dashboard/isolation/start',
        '/dashboard/isolation/end',
        '/dashboard/isolation/other',
      );
      await fc.assert(
        fc.asyncProperty(action, form, fc.constantFrom('zh-CN', 'en', '<x>'), async (path, fields, lang) => {
          const res = await fetch(`${base}${path}?lang=${encodeURIComponent(lang)}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(fields).toString(),
            redirect: 'manual',
          });
          await res.arrayBuffer();
          expectPageOrRedirect(res.status, res.headers.get('location'));
        }),
        fuzzOptions(120),
      );
    },
    fuzzTimeout(),
  );

  it(
    'answers any ledger upload form, multipart or not, with a page or a redirect back to one',
    async () => {
      const upload = fc.record({
        multipart: fc.boolean(),
        file: fc.oneof(bytes(400), piecesText([...COMMON_PIECES, '姓名', '身份证号', '房号'], 30).map((t) => Buffer.from(t))),
        fileName: anyText(20),
        siteId: fc.constantFrom('site-dash', 'nope', ''),
        oversized: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(upload, async (u) => {
          const file = u.oversized ? Buffer.alloc(70 * 1024, 0x41) : u.file;
          let body: FormData | Buffer;
          if (u.multipart) {
            body = new FormData();
            body.append('siteId', u.siteId);
            body.append('ledger', new Blob([file]), u.fileName);
          } else body = file;
          const res = await fetch(`${base}/dashboard/roster?lang=en`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN}`, ...(u.multipart ? {} : { 'content-type': 'multipart/form-data; boundary=x' }) },
            body,
            redirect: 'manual',
          });
          await res.arrayBuffer();
          expectPageOrRedirect(res.status, res.headers.get('location'));
        }),
        fuzzOptions(60),
      );
    },
    fuzzTimeout(),
  );

  it('takes a malformed or cut-off ledger upload form as an invalid upload (fast-check: one NUL byte as multipart)', async () => {
    // The multipart parser's error left the route as a 500 "internal" with nothing for staff to read.
    const forms = [Buffer.from([0]), Buffer.from('--x\r\nContent-Disposition: form-data; name="ledger"; filename="a.csv"\r\n\r\n姓名,身份证号'), Buffer.from('--x\r\nbad header\r\n\r\n')];
    for (const body of forms) {
      const res = await fetch(`${base}/dashboard/roster?lang=en`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'multipart/form-data; boundary=x' }, body, redirect: 'manual' });
      await res.arrayBuffer();
      expect({ status: res.status, location: res.headers.get('location') }).toEqual({ status: 303, location: '/dashboard?lang=en&posted=roster.invalid' });
    }
  });
});
