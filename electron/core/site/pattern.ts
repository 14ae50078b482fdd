import { z } from 'zod';

/** A regular expression given as text in a site's configuration: it must compile and be anchored with ^ and $. */
export const patternSchema = z
  .string()
  .min(2)
  .max(200)
  .refine((source) => {
    try {
      new RegExp(source, 'u');
      return source.startsWith('^') && source.endsWith('$');
    } catch {
      return false;
    }
  }, 'must be a valid regular expression anchored with ^ and $');
