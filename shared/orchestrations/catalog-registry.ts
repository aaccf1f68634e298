import type { z } from 'zod';

/** One orchestration or activity: its name, input schema and the Azure permissions its work needs. */
export interface CatalogEntry<I extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly kind: 'orchestration' | 'activity';
  readonly input: I;
  /** Azure RBAC actions the entry's own calls need (ARM control plane); empty for entries that touch no Azure API. */
  readonly permissions: readonly string[];
  /** Whether it can run as a dry run (plan only). */
  readonly supportsDryRun: boolean;
  readonly description: string;
}

/**
 * Checks a set of catalogue entries the way a registry must at startup (durabletask-js `worker/registry.ts`
 * discipline): no empty name, no name twice (case-insensitively, as the Functions host compares them), every
 * entry declares its permissions. Throws naming each problem; returns the entries by name.
 */
export function checkCatalog(entries: readonly CatalogEntry[]): ReadonlyMap<string, CatalogEntry> {
  const problems: string[] = [];
  const byName = new Map<string, CatalogEntry>();
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (typeof e.name !== 'string' || e.name.trim() === '') {
      problems.push(`entry ${i} has an empty name`);
      return;
    }
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(e.name))
      problems.push(`'${e.name}' is not a valid function name (letters, digits, '_', '.', '-')`);
    const key = e.name.toLowerCase();
    if (seen.has(key)) problems.push(`'${e.name}' is registered twice`);
    seen.add(key);
    if (!Array.isArray(e.permissions)) problems.push(`'${e.name}' declares no permissions list`);
    byName.set(e.name, e);
  });
  if (problems.length > 0) throw new Error(`Invalid orchestration catalogue: ${problems.join('; ')}`);
  return byName;
}
