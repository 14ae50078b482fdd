import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { createHqServer, type HqServer } from '../../../hq/server';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';
import { applyRoster, journal } from './gate-station';

let hq: HqServer | undefined;
let core: StationCore | undefined;
afterEach(async () => {
  core?.close();
  await hq?.close();
  core = undefined;
  hq = undefined;
});

describe('a gate’s visitors and vehicles at HQ', () => {
  it('are uploaded and taken by HQ’s ingest, every entry acknowledged, none rejected', async () => {
    hq = await createHqServer({ dataDir: tempDir('hq-gate-') });
    const url = await hq.listen(0);
    const { code } = await hq.createEnrollmentCode('site-gate', '卡点测试');
    const dataDir = tempDir();
    core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    await ok(core, 'upload.enroll', { hqUrl: url, code });
    await applyRoster(core, ['1', '2']);
    await ok(core, 'station.setWorkplace', { workplace: 'gate' });
    const { visit } = await ok(core, 'gate.registerVisitor', { name: '赵访客', idNumber: idNumber(50), phone: '13912345678', reason: '探亲', household: '1-1-101', stay: { minutes: 60 } });
    await ok(core, 'gate.reading', { passageId: visit.entry.passageId, celsius: 36.4 });
    await ok(core, 'gate.vehicle', { plate: '粤B·D12345', direction: 'in', driver: '李司机', driverPhone: '13800138000', passengers: 1, purpose: '送菜' });
    await ok(core, 'gate.visitorLeave', { visitId: visit.id });
    await ok(core, 'gate.vehicle', { plate: '粤BD12345', direction: 'out', driver: '', passengers: 1, purpose: '' });
    for (const kind of ['gate.visitor', 'gate.visitorLeft']) expect(journal(core, kind), kind).toHaveLength(1);
    expect(journal(core, 'gate.vehicle')).toHaveLength(2);

    const head = core.journal.lastSeq();
    core.upload.start();
    const deadline = Date.now() + 30_000;
    while (core.upload.status().waiting > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(core.upload.status()).toMatchObject({ waiting: 0, rejectionCount: 0 });
    expect(await hq.store.holdings(core.upload.store.link()!.stationId)).toMatchObject({ records: head, conflicts: 0 });
  });
});
