import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../electron/api/devices';
import { StationCore } from '../../electron/core/core';
import { writeDeviceSettings } from '../../electron/core/devices/settings';
import { ThermometerSimulator } from '../../native/thermometer/simulator';
import { dataKeyOf, ok, openStationFile, signInAdmin, tempDir } from '../helpers/core';
import { idNumber } from '../helpers/ids';
import { ptyFixture, type PtyFixture } from '../helpers/pty';
import { launchBrowser } from './helpers/browser';
import { apiCalls, recordApiCalls, scan, signInOnPage, type PageGlobals } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

/** The site's roster: `[name, n]`, ID number `idNumber(n)`, households 1-1-101, 1-1-102… */
const RESIDENTS: [string, number][] = [
  ['张伟', 1],
  ['王芳', 2],
  ['李娜', 3],
  ['刘洋', 4],
];
/** Visitors: not on the roster. */
const VISITOR = { name: '赵来访', idNumber: idNumber(7), phone: '138 0013 8000' };
const SECOND_VISITOR = { name: '钱来访', idNumber: idNumber(8), phone: '13900139000' };

/** The ID number with its check character wrong. */
const wrongCheck = (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...RESIDENTS.map(([name, n], i) => `${name},${idNumber(n)},,1,1,${101 + i},`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'roster.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

type JournalRow = { entityId: string; payload: Record<string, unknown> };

/**
 * The attended gate's other lanes in a real browser against the kiosk host: visitors registered
 * and leaving, vehicles in and out, and resident passes issued, revoked and scanned. A station
 * with its roster, made a gate by its site admin, with a serial thermometer on a socat pty pair
 * that this test drives as the device.
 */
describe('the gate’s visitor and vehicle lanes, and resident passes, in a real browser', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  let thermoPty: PtyFixture;
  let thermometer: ThermometerSimulator;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    thermoPty = await ptyFixture();
    const dataDir = tempDir('station-e2e-gate-lanes-');
    const devices: DeviceConfig[] = [
      { id: 'gate-thermometer', name: '门口测温仪', enabled: true, kind: 'thermometer', driver: 'serial', path: thermoPty.devicePath, baudRate: 9600, protocol: 'ir9', offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 500 },
    ];
    const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    await setup.writer.run(() => writeDeviceSettings(setup.db, { mode: 'real', devices }));
    await signInAdmin(setup);
    await applyRoster(setup);
    await ok(setup, 'station.setWorkplace', { workplace: 'gate' });
    await setup.devices.stop();
    setup.close();

    kiosk = await startKiosk({ dataDir, pseudoTerminals: true });
    thermometer = await ThermometerSimulator.open(thermoPty.peerPath, 'ir9');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await recordApiCalls(page);
    await page.addInitScript(() => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', 'zh-CN'));
    await page.goto(kiosk.url);
    await signInOnPage(page);
    await page.getByTestId('gate-screen').waitFor();
    await page.waitForSelector('[data-testid=connection-indicator][data-state=online]');
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="0"]');
  });

  afterAll(async () => {
    await browser?.close();
    await thermometer?.close();
    await kiosk?.stop();
    await thermoPty?.close();
  });

  const query = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  const journal = (kind: string): JournalRow[] =>
    query<{ entity_id: string; payload: string }>('SELECT entity_id, payload FROM journal WHERE kind = ? ORDER BY seq', kind).map((r) => ({
      entityId: r.entity_id,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
  const notice = (lane: 'visitor' | 'vehicle') => page.getByTestId(`${lane}-notice`);
  /** Somewhere on the page that takes no typing, so a wedge scan goes to the gate. */
  const clickAway = () => page.locator('body').click({ position: { x: 5, y: 760 } });

  it('a visitor in and out: a wrong check character refused inline, then registered, measured, on site, and leaving with the minutes stayed', async () => {
    await page.getByTestId('gate-lane-visitors').click();
    await page.getByTestId('visitor-panel').waitFor();
    await page.getByTestId('visitors-empty').waitFor();

    // A wrong check character: said at the field, and the form cannot be sent.
    await page.getByTestId('visitor-name').fill(VISITOR.name);
    await page.getByTestId('visitor-id').fill(wrongCheck(VISITOR.idNumber));
    await page.getByTestId('visitor-phone').fill(VISITOR.phone);
    await page.getByTestId('visitor-reason').fill('探望父母');
    expect(await page.getByTestId('visitor-id').getAttribute('data-state')).toBe('bad');
    expect(await page.getByTestId('visitor-id-check').innerText()).toContain('最后一位校验码正确');
    // The household from the roster, found by the start of its building-unit-room.
    await page.getByTestId('visitor-household-search').fill('1-1-10');
    await page.getByTestId('visitor-households').waitFor();
    expect(await page.locator('[data-testid^=visitor-household-option-]').count()).toBe(4);
    await page.getByTestId('visitor-household-option-1-1-102').click();
    expect(await page.getByTestId('visitor-household-picked').innerText()).toContain('1-1-102');
    await page.getByTestId('visitor-stay-60').click();
    expect(await page.getByTestId('visitor-submit').isDisabled()).toBe(true);
    await page.getByTestId('visitor-reason').press('Enter');
    expect(await apiCalls(page, 'gate.registerVisitor')).toBe(0);
    expect(journal('gate.visitor')).toEqual([]);

    // Put right: registered, and the entry passage's verdict shows with the visit.
    await page.getByTestId('visitor-id').fill(VISITOR.idNumber);
    expect(await page.getByTestId('visitor-id').getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('visitor-id-check').count()).toBe(0);
    await page.getByTestId('visitor-submit').click();
    await expect.poll(() => notice('visitor').innerText()).toContain(`${VISITOR.name} 已登记进入，请测温`);
    expect(await notice('visitor').getAttribute('data-error')).toBe('false');
    // The form is empty again for the next visitor.
    expect(await page.getByTestId('visitor-name').inputValue()).toBe('');
    const row = page.locator('[data-testid^=visitor-row-]');
    await expect.poll(() => row.count()).toBe(1);
    const visitId = (await row.getAttribute('data-testid'))!.replace('visitor-row-', '');
    expect(await row.innerText()).toContain(VISITOR.name);
    expect(await row.innerText()).toContain('1-1-102');
    expect(await row.innerText()).toContain('探望父母');
    expect(await row.innerText()).toContain('138****8000');
    expect(await row.innerText()).not.toContain('13800138000');
    expect(await page.getByTestId(`visitor-temperature-${visitId}`).innerText()).toBe('待测温');
    const verdict = page.getByTestId(`visitor-verdict-${visitId}`);
    // An outsider registered, not sampled here: to be checked; not final before the reading.
    expect(await verdict.getAttribute('data-level')).toBe('check');
    expect(await verdict.getAttribute('data-final')).toBe('false');
    expect(await page.getByTestId(`visitor-state-${visitId}`).innerText()).toBe('在场');
    const [registered] = journal('gate.visitor');
    expect(registered).toMatchObject({ entityId: visitId, payload: { household: '1-1-102', reason: '探望父母', phone: '13800138000' } });
    const entryPassageId = registered!.payload.passageId as string;
    expect(query<{ subject: string; direction: string }>('SELECT subject, direction FROM gate_passage WHERE id = ?', entryPassageId)).toEqual([{ subject: 'visitor', direction: 'in' }]);

    // The thermometer's reading attaches to the visitor's passage: the verdict follows, and is heard.
    await thermometer.measure(36.4, 5);
    await expect.poll(() => page.getByTestId(`visitor-temperature-${visitId}`).innerText(), { timeout: 15_000 }).toBe('体温正常');
    await expect.poll(() => verdict.getAttribute('data-final')).toBe('true');
    expect(await verdict.getAttribute('data-level')).toBe('check');
    expect(await verdict.innerText()).toBe('核验');
    await expect.poll(() => page.getByTestId('banner').innerText()).toContain(`${VISITOR.name}：请核验`);
    expect(journal('gate.reading')).toEqual([expect.objectContaining({ payload: expect.objectContaining({ passageId: entryPassageId, celsius: 36.4 }) })]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-visitor.png'), fullPage: true });

    // Registered twice while on site: refused, with the field it is about.
    await page.getByTestId('visitor-name').fill(VISITOR.name);
    await page.getByTestId('visitor-id').fill(VISITOR.idNumber);
    await page.getByTestId('visitor-phone').fill(VISITOR.phone);
    await page.getByTestId('visitor-reason').fill('探望父母');
    await page.getByTestId('visitor-household-search').fill('1-1-102');
    await page.getByTestId('visitor-household-option-1-1-102').click();
    await page.getByTestId('visitor-submit').click();
    await expect.poll(() => notice('visitor').getAttribute('data-error')).toBe('true');
    expect(await notice('visitor').innerText()).toContain('此人已登记在场');
    expect(await notice('visitor').getAttribute('data-field')).toBe('idNumber');
    expect(journal('gate.visitor')).toHaveLength(1);
    await page.getByTestId('visitor-clear').click();

    // Leaving, picked from the list: the visit ends with the minutes stayed.
    await page.getByTestId(`visitor-leave-${visitId}`).click();
    await expect.poll(() => notice('visitor').innerText()).toContain(`${VISITOR.name} 已离开，停留 0 分钟`);
    await page.getByTestId('visitors-empty').waitFor();
    await page.getByTestId('visitors-tab-today').click();
    await expect.poll(() => page.getByTestId(`visitor-state-${visitId}`).innerText()).toBe('已离开，停留 0 分钟');
    expect(await page.getByTestId(`visitor-leave-${visitId}`).count()).toBe(0);
    const [left] = journal('gate.visitorLeft');
    expect(left).toMatchObject({ entityId: visitId, payload: { stayedMinutes: 0 } });
    expect(query<{ subject: string; direction: string }>('SELECT subject, direction FROM gate_passage WHERE id = ?', left!.payload.passageId)).toEqual([
      { subject: 'visitor', direction: 'out' },
    ]);

    // Another visitor leaves by being scanned out with their ID card, the gate turned to "out".
    await page.getByTestId('visitors-tab-onSite').click();
    await page.getByTestId('visitor-name').fill(SECOND_VISITOR.name);
    await page.getByTestId('visitor-id').fill(SECOND_VISITOR.idNumber);
    await page.getByTestId('visitor-phone').fill(SECOND_VISITOR.phone);
    await page.getByTestId('visitor-reason').fill('维修燃气');
    await page.getByTestId('visitor-household-search').fill('1-1-104');
    await page.getByTestId('visitor-household-option-1-1-104').click();
    await page.getByTestId('visitor-stay-30').click();
    await page.getByTestId('visitor-submit').click();
    await expect.poll(() => page.locator('[data-testid^=visitor-row-]').count()).toBe(1);
    const secondId = (await page.locator('[data-testid^=visitor-row-]').getAttribute('data-testid'))!.replace('visitor-row-', '');
    await page.getByTestId('gate-direction-out').click();
    await page.waitForSelector('[data-testid=gate-direction][data-direction=out]');
    await clickAway();
    const out = await scan(page, SECOND_VISITOR.idNumber);
    expect(out.text).toContain(SECOND_VISITOR.name);
    await page.getByTestId('visitors-empty').waitFor();
    expect(journal('gate.visitorLeft').map((l) => l.entityId)).toEqual([visitId, secondId]);
    await page.getByTestId('gate-direction-in').click();
    await page.waitForSelector('[data-testid=gate-direction][data-direction=in]');
    expect(pageErrors).toEqual([]);
  });

  it('a vehicle in and out: a bad plate refused with its reason, a new-energy plate normalised with its kind, out matched to the entry', async () => {
    await page.getByTestId('gate-lane-vehicles').click();
    await page.getByTestId('vehicle-lane').waitFor();
    await page.getByTestId('vehicles-empty').waitFor();
    const plate = page.getByTestId('vehicle-plate');
    const check = page.getByTestId('vehicle-plate-check');
    await page.getByTestId('vehicle-driver').fill('陈师傅');
    await page.getByTestId('vehicle-purpose').fill('送货');

    // Bad plates: each says what is wrong, and nothing can be sent.
    const bad: [string, string][] = [
      ['京A1234', '位数不对'],
      ['XA12345', '第一位须是省份简称'],
      ['京AI2345', '不使用字母 I 和 O'],
    ];
    for (const [text, words] of bad) {
      await plate.fill(text);
      expect(await check.getAttribute('data-state')).toBe('bad');
      expect(await check.innerText()).toContain(words);
      expect(await page.getByTestId('vehicle-submit').isDisabled()).toBe(true);
    }
    await plate.press('Enter');
    expect(await apiCalls(page, 'gate.vehicle')).toBe(0);
    expect(journal('gate.vehicle')).toEqual([]);

    // A new-energy plate typed in lower case with the middle dot: shown normalised, with its kind.
    await plate.fill('粤b·d12345');
    expect(await check.getAttribute('data-state')).toBe('ok');
    expect(await check.getAttribute('data-kind')).toBe('newEnergy');
    expect(await check.innerText()).toBe('粤B·D12345 · 新能源车牌');
    await page.getByTestId('vehicle-phone').fill('13912345678');
    await page.getByTestId('vehicle-passengers-plus').click();
    await page.getByTestId('vehicle-passengers-plus').click();
    expect(await page.getByTestId('vehicle-passengers').inputValue()).toBe('2');
    await page.getByTestId('vehicle-submit').click();
    await expect.poll(() => notice('vehicle').innerText()).toBe('粤B·D12345 已登记驶入');
    expect(await plate.inputValue()).toBe('');
    const row = page.locator('[data-testid^=vehicle-row-]');
    await expect.poll(() => row.count()).toBe(1);
    const entryId = (await row.getAttribute('data-testid'))!.replace('vehicle-row-', '');
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[0]).toBe('粤B·D12345');
    expect(await row.locator('td').first().getAttribute('data-kind')).toBe('newEnergy');
    expect(cells[1]).toBe('驶入');
    expect(cells[3]).toContain('陈师傅');
    expect(cells[3]).toContain('139****5678');
    expect(cells[4]).toBe('2');
    expect(cells[5]).toBe('送货');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-vehicle.png'), fullPage: true });

    // The same vehicle again before it left: refused, nothing recorded.
    await plate.fill('粤BD12345');
    await page.getByTestId('vehicle-driver').fill('陈师傅');
    await page.getByTestId('vehicle-purpose').fill('送货');
    await page.getByTestId('vehicle-submit').click();
    await expect.poll(() => notice('vehicle').getAttribute('data-error')).toBe('true');
    expect(await notice('vehicle').innerText()).toContain('车辆 粤B·D12345 已于');
    expect(journal('gate.vehicle')).toHaveLength(1);

    // Out, from the list: matched to its entry, the driver and purpose the entry's.
    await page.getByTestId(`vehicle-leave-${entryId}`).click();
    await expect.poll(() => notice('vehicle').innerText()).toBe('粤B·D12345 已登记驶出');
    await page.getByTestId('vehicles-empty').waitFor();
    await page.getByTestId('vehicles-tab-today').click();
    await expect.poll(() => page.locator('[data-testid^=vehicle-row-]').count()).toBe(2);
    const outRow = page.locator('[data-testid^=vehicle-row-][data-direction=out]');
    expect(await outRow.locator('td').nth(1).innerText()).toBe('驶出');
    expect(await page.getByTestId(`vehicle-direction-${entryId}`).innerText()).toBe('驶入\n已驶出');
    expect(await outRow.locator('td').nth(3).innerText()).toContain('陈师傅');
    expect(await page.getByTestId(`vehicle-row-${entryId}`).locator('td').nth(2).innerText()).toContain('→');

    const recorded = journal('gate.vehicle');
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({ entityId: entryId, payload: { plate: '粤BD12345', plateKind: 'newEnergy', direction: 'in', driver: '陈师傅', driverPhone: '13912345678', passengers: 2, purpose: '送货', entryId: null } });
    expect(recorded[1]).toMatchObject({ payload: { plate: '粤BD12345', direction: 'out', driver: '陈师傅', purpose: '送货', entryId } });
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-vehicle-out.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a pass revoked on the passes screen is refused at the gate with its reason; another resident’s valid pass lets them through', async () => {
    const passOf = (household: string) => query<{ id: string; code: string }>('SELECT id, code FROM resident_pass WHERE household = ? ORDER BY issued_at DESC', household)[0]!;
    const issue = async (household: string) => {
      await page.getByTestId(`passes-household-${household}`).click();
      await expect.poll(() => page.getByTestId('passes-household').innerText()).toContain(household);
      await page.getByTestId('passes-issue').click();
      await expect.poll(() => page.getByTestId('passes-notice').innerText()).toContain('已为 1 人办理出入证');
      await expect.poll(() => page.locator('[data-testid^=passes-state-][data-state=valid]').count()).toBeGreaterThan(0);
      return passOf(household);
    };

    // Wang Fang's pass: issued, previewed, revoked with a reason.
    await page.getByTestId('tab-passes').click();
    await page.getByTestId('passes-screen').waitFor();
    const wang = await issue('1-1-102');
    expect(await page.getByTestId('passes-resident-0').innerText()).toContain('王芳');
    await page.getByTestId('passes-resident-0').getByTestId(`passes-preview-${wang.id}`).click();
    await page.getByTestId('passes-preview').waitFor();
    expect(await page.getByTestId('passes-preview').innerText()).toContain('王芳');
    await expect.poll(() => page.getByTestId('passes-preview-image').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'passes-preview.png') });
    await page.getByTestId('passes-preview-close').click();
    await page.getByTestId('passes-preview').waitFor({ state: 'detached' });

    await page.getByTestId('passes-resident-0').getByTestId(`passes-revoke-${wang.id}`).click();
    await page.getByTestId('passes-revoke-dialog').waitFor();
    expect(await page.getByTestId('passes-revoke-submit').isDisabled()).toBe(true);
    await page.getByTestId('passes-revoke-reason').fill('已搬离本小区');
    await page.getByTestId('passes-revoke-submit').click();
    await page.getByTestId('passes-revoke-dialog').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('passes-notice').innerText()).toContain('王芳');
    const state = page.getByTestId('passes-resident-0').getByTestId(`passes-state-${wang.id}`);
    await expect.poll(() => state.getAttribute('data-state')).toBe('revoked');
    expect(await state.innerText()).toContain('已搬离本小区');
    expect(journal('pass.revoked')).toEqual([expect.objectContaining({ entityId: wang.id, payload: expect.objectContaining({ reason: '已搬离本小区' }) })]);

    // Liu Yang's pass, valid.
    const liu = await issue('1-1-104');
    expect(await page.getByTestId('passes-resident-0').innerText()).toContain('刘洋');
    // The site's passes, newest first: Liu's valid, Wang's revoked with its reason; the households' counts follow.
    await expect.poll(() => page.getByTestId('passes-list-total').innerText()).toBe('共 2 张');
    expect(await page.locator('[data-testid^=passes-row-]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')))).toEqual([`passes-row-${liu.id}`, `passes-row-${wang.id}`]);
    await expect.poll(() => page.getByTestId('passes-list').getByTestId(`passes-state-${wang.id}`).getAttribute('data-state')).toBe('revoked');
    expect(await page.getByTestId('passes-list').getByTestId(`passes-state-${wang.id}`).innerText()).toContain('已搬离本小区');
    expect(await page.getByTestId(`passes-revoke-${wang.id}`).count()).toBe(0);
    await expect.poll(() => page.getByTestId('passes-household-1-1-102').innerText()).toContain('有效 0 张');
    await expect.poll(() => page.getByTestId('passes-household-1-1-104').innerText()).toContain('有效 1 张');
    await page.screenshot({ path: path.join(ARTIFACTS, 'passes-screen.png'), fullPage: true });

    // At the gate, the revoked pass scanned: refused with the reason, no passage.
    await page.getByTestId('tab-gate').click();
    await page.getByTestId('gate-people').waitFor();
    await clickAway();
    const passages = () => query<{ n: number }>('SELECT count(*) AS n FROM gate_passage')[0]!.n;
    const before = passages();
    const refused = await scan(page, wang.code);
    expect(refused.tone).toBe('rejected');
    expect(refused.text).toContain('出入证已作废');
    expect(refused.text).toContain('已搬离本小区');
    expect(refused.text).not.toContain(wang.code);
    expect(passages()).toBe(before);
    // The big panel shows the refusal, not the previous person's green verdict.
    const panel = page.getByTestId('gate-passage');
    expect(await panel.getAttribute('data-state')).toBe('refused');
    expect(await panel.getAttribute('data-error')).toBe('gate.passRevoked');
    expect(await page.getByTestId('gate-verdict-words').innerText()).toBe('未登记通行');
    expect(await page.getByTestId('gate-reasons').innerText()).toContain('已搬离本小区');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-pass-revoked.png') });

    // The valid pass: a passage by the pass, of a resident of the household.
    const through = await scan(page, liu.code);
    expect(through.text).toContain('刘洋');
    await expect.poll(() => page.getByTestId('gate-person-name').innerText()).toBe('刘洋');
    expect(await page.getByTestId('gate-residency').innerText()).toContain('本小区住户 1-1-104');
    expect(await page.getByTestId('gate-subject').getAttribute('data-subject')).toBe('pass');
    expect(await page.getByTestId('gate-subject').innerText()).toContain(`出入证，有效期至 ${new Date(Date.now() + 8 * 3600_000 + 29 * 86_400_000).toISOString().slice(0, 10)}`);
    const [passage] = query<{ subject: string; pass_id: string; direction: string }>('SELECT subject, pass_id, direction FROM gate_passage ORDER BY rowid DESC LIMIT 1');
    expect(passage).toEqual({ subject: 'pass', pass_id: liu.id, direction: 'in' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-pass-valid.png') });
    expect(pageErrors).toEqual([]);
  });
});
