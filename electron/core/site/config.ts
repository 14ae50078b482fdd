import { z } from 'zod';
import { capacitySchema } from '../../api/contract';
import { householdRulesSchema } from '../roster/validate';
import { patternSchema } from './pattern';

const fieldNames = z.array(z.string().min(1).max(64)).min(1);

/** Where each person field is found in a payload: the first key present wins. */
const personFieldsSchema = z
  .object({
    idNumber: fieldNames,
    regCode: fieldNames,
    name: fieldNames,
    phone: fieldNames,
  })
  .strict();

export const personParserConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('id18') }).strict(),
  z.object({ kind: z.literal('json'), fields: personFieldsSchema }).strict(),
  z
    .object({
      kind: z.literal('url'),
      /** Hosts whose links are accepted; empty means any host. */
      hosts: z.array(z.string().min(1)).default([]),
      fields: personFieldsSchema,
    })
    .strict(),
  z.object({ kind: z.literal('vcard') }).strict(),
]);
export type PersonParserConfig = z.infer<typeof personParserConfigSchema>;

/**
 * The gate checkpoint's settings for the whole site; each one left out takes its default
 * (`core/gate/settings.ts`: 37.3 °C, sampled within 72 hours, readings 2 s before to 8 s after a
 * scan, people leaving not measured).
 */
const gateConfigSchema = z
  .object({
    /** At or above this a re-measure is asked for; high again, a referral. */
    feverC: z.number().min(37).max(38.5).optional(),
    entryRule: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('none') }).strict(),
        z.object({ kind: z.literal('sampledWithin'), hours: z.number().int().min(1).max(720) }).strict(),
      ])
      .optional(),
    /** How long before and after a scan a thermometer reading may be measured to be that person's. */
    reading: z.object({ beforeScanSeconds: z.number().min(0).max(30), afterScanSeconds: z.number().min(1).max(120) }).strict().optional(),
    measureOnExit: z.boolean().optional(),
  })
  .strict();

export const siteConfigSchema = z
  .object({
    tube: z
      .object({
        pattern: patternSchema,
        /** New tube codes ("new tube" button): prefix + station number (3) + serial. */
        generate: z.object({ prefix: z.string().regex(/^[A-Z0-9]{0,8}$/), digits: z.number().int().min(6).max(16) }).strict(),
      })
      .strict(),
    box: z
      .object({
        pattern: patternSchema,
        /** How many tubes a box takes (absent: `DEFAULT_BOX_CAPACITY`). */
        capacity: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    operatorBadge: z.object({ pattern: patternSchema }).strict(),
    personParsers: z.array(personParserConfigSchema).min(1),
    defaultCapacity: capacitySchema,
    scanMaxLength: z.number().int().min(16).max(4096),
    /** What a building, unit and room look like in this site's ledger (after 3号楼 -> 3, 2单元 -> 2, 502室 -> 502). */
    household: householdRulesSchema.optional(),
    /** Days after which personal data of records HQ has confirmed is purged at the station; absent: kept. */
    retention: z.object({ personalDataDays: z.number().int().min(1).max(3650) }).strict().optional(),
    /** The screen locks after this many minutes without input (a station's own setting applies when unset). */
    idleLockMinutes: z.number().int().min(1).max(240).optional(),
    gate: gateConfigSchema.optional(),
    /** Home isolation: the days (1 = the first) a person in isolation is sampled; absent: 1, 4, 7, 10, 14. */
    isolation: z
      .object({ samplingDays: z.array(z.number().int().min(1).max(60)).min(1).max(60).refine((d) => new Set(d).size === d.length, 'days repeat') })
      .strict()
      .optional(),
  })
  .strict();
export type SiteConfig = z.infer<typeof siteConfigSchema>;

const COMMON_FIELDS = {
  idNumber: ['idNumber', 'idCard', 'id_card', 'idNo', 'id_no', 'sfzh', 'zjhm', 'id'],
  regCode: ['regCode', 'code', 'registerCode', 'ybm', 'preRegCode'],
  name: ['name', 'xm', 'fullName'],
  phone: ['phone', 'mobile', 'tel', 'sjh'],
};

/** The embedded demo site: works on first start with no configuration. */
export const DEMO_SITE_CONFIG: SiteConfig = {
  tube: { pattern: '^SY\\d{10}$', generate: { prefix: 'SY', digits: 10 } },
  box: { pattern: '^BX\\d{8}$' },
  operatorBadge: { pattern: '^OP\\d{4}$' },
  personParsers: [
    { kind: 'id18' },
    { kind: 'json', fields: COMMON_FIELDS },
    { kind: 'url', hosts: [], fields: COMMON_FIELDS },
    { kind: 'vcard' },
  ],
  defaultCapacity: 10,
  scanMaxLength: 2048,
};

export function parseSiteConfig(json: unknown): SiteConfig {
  const config = siteConfigSchema.parse(json);
  const sample = `${config.tube.generate.prefix}${'0'.repeat(config.tube.generate.digits)}`;
  if (!new RegExp(config.tube.pattern, 'u').test(sample)) {
    throw new Error('tube.generate does not produce codes that match tube.pattern');
  }
  return config;
}
