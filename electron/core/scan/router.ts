import type { ApiError } from '../../api/contract';
import { looksLikePass, readPassCode } from '../passes/code';
import { previewScan } from '../person/mask';
import type { PersonParserConfig, SiteConfig } from '../site/config';
import { parseId18 } from './parsers/id18';
import { jsonParser } from './parsers/json';
import type { PersonParser, PersonPayload } from './parsers/types';
import { urlParser } from './parsers/url';
import { parseVcard } from './parsers/vcard';

export type ClassifiedScan =
  | { kind: 'tube'; code: string }
  | { kind: 'box'; code: string }
  | { kind: 'badge'; code: string }
  /** A resident pass (出入证): its code read, `intact` false when its shape or check symbol is wrong. */
  | { kind: 'pass'; code: string; intact: boolean }
  | { kind: 'person'; person: PersonPayload; format: PersonParserConfig['kind'] };

export type Classification = { ok: true; scan: ClassifiedScan } | { ok: false; error: ApiError };

function parserFor(config: PersonParserConfig): PersonParser {
  switch (config.kind) {
    case 'id18':
      return parseId18;
    case 'json':
      return jsonParser(config);
    case 'url':
      return urlParser(config);
    case 'vcard':
      return parseVcard;
  }
}

// Control characters other than tab and line breaks (vCards have lines) never come from a
// real label; they mean a misconfigured scanner or a corrupted frame.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u;

/**
 * Classifies every scan, whatever device it came from, by the site's patterns and person
 * parsers, in this order: resident pass (its fixed prefix, before anything a site configures),
 * operator badge, tube code, box code, person payloads in the order the site lists them. Anything
 * else is rejected with what was scanned (masked) and why.
 */
export class ScanRouter {
  private readonly tube: RegExp;
  private readonly box: RegExp;
  private readonly badge: RegExp;
  private readonly parsers: { kind: PersonParserConfig['kind']; parse: PersonParser }[];

  constructor(private readonly config: SiteConfig) {
    this.tube = new RegExp(config.tube.pattern, 'u');
    this.box = new RegExp(config.box.pattern, 'u');
    this.badge = new RegExp(config.operatorBadge.pattern, 'u');
    this.parsers = config.personParsers.map((p) => ({ kind: p.kind, parse: parserFor(p) }));
  }

  classify(raw: string): Classification {
    const text = raw.replace(/^[\r\n]+|[\r\n]+$/g, '');
    if (text.trim().length === 0) return { ok: false, error: { code: 'scan.empty' } };
    if (text.length > this.config.scanMaxLength) {
      return { ok: false, error: { code: 'scan.tooLong', params: { length: text.length, max: this.config.scanMaxLength } } };
    }
    if (CONTROL.test(text)) return { ok: false, error: { code: 'scan.controlCharacters', params: { preview: previewScan(text) } } };
    if (looksLikePass(text)) return { ok: true, scan: { kind: 'pass', ...readPassCode(text) } };
    const code = text.trim();
    if (this.badge.test(code)) return { ok: true, scan: { kind: 'badge', code } };
    if (this.tube.test(code)) return { ok: true, scan: { kind: 'tube', code } };
    if (this.box.test(code)) return { ok: true, scan: { kind: 'box', code } };
    for (const parser of this.parsers) {
      const result = parser.parse(text);
      if (!result.match) continue;
      if ('error' in result) return { ok: false, error: result.error };
      return { ok: true, scan: { kind: 'person', person: result.person, format: parser.kind } };
    }
    return { ok: false, error: { code: 'scan.unrecognized', params: { preview: previewScan(text), length: text.length } } };
  }
}
