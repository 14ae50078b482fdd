import fs from 'node:fs';
import path from 'node:path';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../electron/api/contract';
import { translateError } from '../../../renderer/src/i18n/errors';

const I18N_DIR = path.resolve(__dirname, '../../../renderer/src/i18n');
const LANGUAGES = ['zh-CN', 'en'];

type Tree = { [key: string]: string | Tree };

function load(): Record<string, Record<string, Tree>> {
  const resources: Record<string, Record<string, Tree>> = {};
  for (const lang of LANGUAGES) {
    resources[lang] = {};
    for (const file of fs.readdirSync(path.join(I18N_DIR, lang))) {
      if (!file.endsWith('.json')) continue;
      resources[lang][file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(I18N_DIR, lang, file), 'utf8')) as Tree;
    }
  }
  return resources;
}

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

/**
 * Every error code with the params the core sends with it. A `Record<ErrorCode, …>`: adding a code
 * to the contract fails the type check here until it has its words.
 */
const SAMPLE_PARAMS: Record<ErrorCode, Record<string, string | number>> = {
  'request.invalid': { method: 'scan.submit', field: 'text', detail: 'too long' },
  'request.unknownMethod': { method: 'tube.fly' },
  internal: {},
  'storage.full': {},
  'storage.readonly': {},
  'storage.corrupt': {},
  'storage.busy': {},
  'scan.empty': {},
  'scan.tooLong': { length: 5000, max: 2048 },
  'scan.controlCharacters': { preview: 'AB C' },
  'scan.unrecognized': { preview: 'hello-world', length: 11 },
  'scan.idCheckFailed': { masked: '110105********0018' },
  'scan.personWithoutIdentity': {},
  'scan.boxNotAtDesk': { code: 'BX00000001' },
  'tube.alreadyUsed': { code: 'SY0000000001', state: 'sealed' },
  'tube.alreadyOpen': { code: 'SY0000000001' },
  'tube.noneOpen': {},
  'tube.notFound': { code: 'SY0000000009' },
  'tube.notVoidable': { code: 'SY0000000001' },
  'tube.emptyCannotSeal': { code: 'SY0000000001' },
  'tube.codeExhausted': {},
  'person.alreadyInTube': { person: '张三', code: 'SY0000000001' },
  'binding.nothingToUndo': {},
  'confirmation.expired': {},
  'reason.required': {},
  'operator.unknownBadge': { badge: 'OP9999' },
  'host.unreachable': { sent: 1 },
  'device.notFound': { id: 'sim-thermometer' },
  'device.notSimulated': { id: 'scanner-1' },
  'device.unsupported': { id: 'wedge' },
  'device.offline': { id: 'scanner-1' },
  'device.printFailed': { id: 'printer-1', fault: 'paper-out' },
  'device.pathRefused': { id: 'printer-1', reason: 'notADevice' },
  'upload.notEnrolled': {},
  'upload.alreadyEnrolled': {},
  'enroll.hqUnreachable': {},
  'enroll.notHq': { status: 404 },
  'enroll.codeInvalid': {},
  'enroll.codeUsed': {},
  'enroll.codeExpired': {},
  'enroll.siteFull': {},
  'enroll.inProgress': {},
  'enroll.codeWithoutKey': {},
  'enroll.wrongHq': { status: 200 },
  'enroll.relinkCodeNeeded': {},
  'enroll.codeForAnotherStation': {},
  'round.noneOpen': {},
  'round.notFound': { roundId: 'r-1' },
  'round.alreadyClosed': { name: '第3轮全员核酸' },
  'round.datesInvalid': { startsOn: '2026-12-03', endsOn: '2026-12-01' },
  'tube.roundClosed': { code: 'SY0010000001', round: '第2轮' },
  'roster.uploadUnknown': {},
  'roster.uploadTooLarge': { size: 1024 },
  'roster.uploadOutOfOrder': { expected: 1024, got: 0 },
  'roster.uploadIncomplete': { received: 10, size: 20 },
  'roster.importUnknown': { importId: 'x' },
  'roster.importNotReady': { importId: 'x', state: 'reading' },
  'roster.busy': {},
  'roster.residentUnknown': {},
  'coverage.noRound': {},
  'coverage.noRoster': {},
  'coverage.tooMany': { max: 200000 },
  'operator.forbidden': { method: 'operator.create', role: 'collector', needed: 'admin' },
  'gate.notAtGate': {},
  'gate.notAPerson': { kind: 'tube' },
  'gate.passageNotFound': { id: '0190a000-0000-7000-8000-000000000000' },
  'gate.referralNotNeeded': { temperature: 'normal' },
  'gate.alreadyReferred': {},
  'gate.notKeyPerson': {},
  'sentinel.notSentinel': {},
  'operator.sentinelAdminOnly': { role: 'gatekeeper' },
  'gate.idNumberInvalid': { masked: '110105********0018' },
  'gate.phoneInvalid': {},
  'gate.householdUnknown': { household: '9-9-909' },
  'gate.noRoster': {},
  'gate.stayInvalid': { max: 4320 },
  'gate.visitorOnSite': { visitId: 'v-1', since: '11-20 10:05' },
  'gate.visitNotFound': { id: 'v-1' },
  'gate.visitEnded': { leftAt: '11-20 11:30' },
  'gate.plateInvalid': { problem: 'province', plate: 'XA12345' },
  'gate.vehicleOnSite': { plate: '粤B·D12345', since: '11-20 09:15' },
  'gate.driverNeeded': {},
  'gate.purposeNeeded': {},
  'session.locked': { method: 'scan.submit' },
  'operator.unknown': {},
  'operator.pinWrong': { remaining: 7, waitSeconds: 1 },
  'operator.tooSoon': { waitSeconds: 4 },
  'operator.lockedOut': {},
  'operator.disabled': {},
  'operator.noPin': {},
  'operator.notFound': { id: 'x' },
  'operator.codeTaken': { code: 'A001' },
  'operator.codeInvalid': {},
  'operator.badgeTaken': { badge: 'OP0002' },
  'operator.badgeInvalid': { badge: 'X1' },
  'operator.notBadge': { preview: 'SY00' },
  'operator.setupDone': {},
  'operator.lastAdmin': {},
  'operator.self': {},
  'operator.pinChangeNeeded': { method: 'desk.state' },
  'operator.ownPin': {},
  'pin.tooShort': {},
  'pin.tooLong': {},
  'pin.notDigits': {},
  'pin.tooCommon': { rule: 'sequence' },
  'pin.sameAsOld': {},
  'scan.passNotAtDesk': {},
  'pass.noRoster': {},
  'pass.householdUnknown': { household: '3-2-502' },
  'pass.notInHousehold': { household: '3-2-502' },
  'pass.untilBeforeFrom': { from: '2026-12-01 00:00', until: '2026-11-30 23:59' },
  'pass.tooLong': { maxDays: 90 },
  'pass.untilPast': { until: '2026-11-30 23:59' },
  'pass.notFound': { id: 'pass-1' },
  'pass.alreadyRevoked': { reason: '已搬离', at: '2026-11-20 10:00' },
  'pass.notPrintable': { state: 'revoked' },
  'gate.passRevoked': { reason: '已搬离', at: '2026-11-20 10:00' },
  'gate.passExpired': { until: '2026-11-30 23:59' },
  'gate.passNotYetValid': { from: '2026-12-01 00:00' },
  'gate.passUnknown': {},
  'gate.passDamaged': {},
  'box.codeInvalid': { code: 'XX123' },
  'box.notFound': { code: 'BX00000001' },
  'box.closed': { code: 'BX00000001', state: 'sealed' },
  'box.notOpen': { code: 'BX00000001', state: 'handedOver' },
  'box.full': { code: 'BX00000001', capacity: 50 },
  'box.empty': { code: 'BX00000001' },
  'box.tubeNotThisSite': { tubeCode: 'ZZ999' },
  'box.tubeUnknown': { tubeCode: 'T001000001' },
  'box.tubeOpen': { tubeCode: 'T001000001' },
  'box.tubeVoided': { tubeCode: 'T001000001', reason: '管子破损' },
  'box.tubeInBox': { tubeCode: 'T001000001', boxCode: 'BX00000002' },
  'box.tubeNotInBox': { tubeCode: 'T001000001', boxCode: 'BX00000001' },
  'box.notSealed': { code: 'BX00000001', state: 'open' },
  'box.confirmMismatch': { code: 'BX00000001', confirmCode: 'BX00000009' },
  'box.countMismatch': { code: 'BX00000001', tubeCount: 12 },
  'box.transporterUnknown': { badge: 'OP0999' },
  'box.transporterNotSelf': {},
  'box.stillOpen': { code: 'BX00000001' },
  'box.printSystemMissing': {},
  'box.printNoDefaultQueue': {},
  'box.printQueueUnknown': { queue: 'A4_Office' },
  'box.printRefused': { queue: 'A4_Office', detail: 'lp: Destination "A4_Office" is not accepting jobs.' },
  'box.printNotSupported': { platform: 'win32' },
  'door.noRoster': {},
  'door.groupUnknown': { groupId: '0190a0a0-0000-7000-8000-000000000001' },
  'door.roundClosed': { round: '第3轮' },
  'door.areaUnknown': { building: '9', unit: '2' },
  'door.operatorUnknown': {},
  'door.collectorRole': { name: '王采样' },
  'door.householdNotInGroup': { household: '3-2-502' },
  'door.residentNotInHousehold': { household: '3-2-502' },
  'door.alreadySampled': { person: '张三' },
  'door.nobodyToVisit': { household: '3-2-502' },
  'door.tubeNeeded': {},
  'door.tubeOtherRound': { code: 'SY0010000001' },
  'door.scanNotPerson': {},
  'door.temperatureInvalid': { celsius: 45.5 },
  'isolation.noRoster': {},
  'isolation.householdUnknown': { household: '3-2-502' },
  'isolation.idNumberInvalid': {},
  'isolation.untilBeforeStart': { start: '2026-12-01', until: '2026-11-30' },
  'isolation.tooLong': { maxDays: 60 },
  'isolation.untilPast': { until: '2026-11-30' },
  'isolation.alreadyIsolated': { name: '张三', household: '3-2-502', until: '2026-12-14' },
  'isolation.notFound': { id: 'iso-1' },
  'isolation.alreadyEnded': { reason: '期满解除', at: '12-14 10:00' },
  'isolation.notActive': { state: 'ended' },
  'isolation.notInIsolation': {},
};

describe('renderer translations', () => {
  const resources = load();
  const namespaces = Object.keys(resources['zh-CN'] ?? {});

  it('has the same keys in Chinese and English, namespace by namespace', () => {
    expect(Object.keys(resources.en ?? {}).sort()).toEqual([...namespaces].sort());
    for (const ns of namespaces) {
      expect(keys(resources.en?.[ns] ?? {}).sort(), ns).toEqual(keys(resources['zh-CN']?.[ns] ?? {}).sort());
    }
  });

  it('has no empty text', () => {
    for (const lang of LANGUAGES) {
      for (const ns of namespaces) {
        const tree = resources[lang]?.[ns] ?? {};
        for (const key of keys(tree)) {
          const value = key.split('.').reduce<string | Tree | undefined>((node, k) => (typeof node === 'object' ? node[k] : undefined), tree);
          expect(typeof value === 'string' && value.trim().length > 0, `${lang} ${ns}:${key}`).toBe(true);
        }
      }
    }
  });

  for (const lang of LANGUAGES) {
    it(`words every error code, with its params filled in (${lang})`, async () => {
      const i18n = i18next.createInstance();
      await i18n.init({ resources, lng: lang, ns: namespaces, defaultNS: 'common', interpolation: { escapeValue: false }, showSupportNotice: false });
      const t = i18n.t.bind(i18n) as (k: string | string[], o?: Record<string, unknown>) => string;
      const unknown = t('common:errors.unknown', { errorCode: 'x' });
      for (const [code, params] of Object.entries(SAMPLE_PARAMS) as [ErrorCode, Record<string, string | number>][]) {
        const text = translateError(t, namespaces, { code, params });
        expect(text, code).not.toBe(unknown.replace('x', code));
        expect(text, code).not.toContain('{{');
        expect(text, code).not.toContain('errors.');
        expect(text.length, code).toBeGreaterThan(8);
        // Each param the message names shows up with its own value.
        const template = namespaces
          .map((ns) => `errors.${code}`.split('.').reduce<string | Tree | undefined>((node, k) => (typeof node === 'object' ? node[k] : undefined), resources[lang]?.[ns]))
          .find((v): v is string => typeof v === 'string');
        expect(template, code).toBeDefined();
        for (const [name, value] of Object.entries(params)) {
          if (template?.includes(`{{${name}}}`)) expect(text, `${code} ${name}`).toContain(String(value));
        }
      }
      // What was scanned is part of the message, so staff know what to check.
      expect(translateError(t, namespaces, { code: 'scan.unrecognized', params: SAMPLE_PARAMS['scan.unrecognized'] })).toContain('hello-world');
    });
  }

  it('falls back to a message naming the code for a code it does not know', async () => {
    const i18n = i18next.createInstance();
    await i18n.init({ resources, lng: 'en', ns: namespaces, defaultNS: 'common', showSupportNotice: false });
    const t = i18n.t.bind(i18n) as (k: string | string[], o?: Record<string, unknown>) => string;
    expect(translateError(t, namespaces, { code: 'future.thing' as ErrorCode })).toContain('future.thing');
  });
});
