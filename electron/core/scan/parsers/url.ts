import type { PersonParserConfig } from '../../site/config';
import { personFromFields } from './fields';
import { NO_MATCH, type PersonParser } from './types';

/** Pre-registration codes that are links with the person in query parameters. */
export function urlParser(config: Extract<PersonParserConfig, { kind: 'url' }>): PersonParser {
  const hosts = new Set(config.hosts.map((h) => h.toLowerCase()));
  return (text) => {
    const trimmed = text.trim();
    if (!/^https?:\/\//i.test(trimmed)) return NO_MATCH;
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return NO_MATCH;
    }
    if (hosts.size > 0 && !hosts.has(url.hostname.toLowerCase())) return NO_MATCH;
    // Some apps put the parameters after a hash route (`#/reg?code=…`).
    const params = new URLSearchParams(url.search);
    const hashQuery = url.hash.indexOf('?');
    if (hashQuery >= 0) new URLSearchParams(url.hash.slice(hashQuery + 1)).forEach((v, k) => params.append(k, v));
    return personFromFields((key) => params.get(key) ?? undefined, config.fields);
  };
}
