import type { z } from 'zod';

import type { FieldIssue } from '../domain/errors';

/**
 * zod issues as field issues with dotted paths. An unknown key is reported at the key itself (zod reports it on
 * the enclosing object), so the problem names the field the caller sent.
 */
export function fieldIssues(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key].join('.'), message: 'is not a known field' });
    } else {
      out.push({ path: path.join('.'), message: issue.message });
    }
  }
  return out;
}
