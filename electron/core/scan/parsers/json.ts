import type { PersonParserConfig } from '../../site/config';
import { personFromFields } from './fields';
import { NO_MATCH, type PersonParser } from './types';

/** Pre-registration codes that carry a JSON object (several provinces' apps). */
export function jsonParser(config: Extract<PersonParserConfig, { kind: 'json' }>): PersonParser {
  return (text) => {
    const trimmed = text.trim();
    if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return NO_MATCH;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return NO_MATCH;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return NO_MATCH;
    const record = value as Record<string, unknown>;
    return personFromFields((key) => (Object.hasOwn(record, key) ? record[key] : undefined), config.fields);
  };
}
