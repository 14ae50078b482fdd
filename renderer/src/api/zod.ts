import { z } from 'zod';

// zod compiles fast parsers with `new Function` unless told not to; the page's CSP forbids eval
// and would report every attempt. This must run before any schema is built, hence its own module.
z.config({ jitless: true });

export { z };
