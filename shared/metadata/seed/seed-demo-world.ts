import { readFileSync } from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { ValidationError } from '../../domain/errors';
import { type MetadataTableName } from '../../domain/metadata/metadata-tables';
import { toFieldIssues } from '../../domain/metadata/metadata-tables';
import type { MetadataStore } from '../metadata-store';

/** Seeding order: scopes before the policies on them, models before the rules about them. */
export const SEED_ORDER: readonly MetadataTableName[] = [
  'managed_scopes',
  'access_policies',
  'secret_references',
  'network_rules',
  'models',
  'alert_rules',
  'exemptions',
  'approvals',
];

const WorldMetadataSchema = z.object({
  metadata: z.object({
    actor: z.string().min(1),
    managed_scopes: z.array(z.record(z.string(), z.unknown())).default([]),
    access_policies: z.array(z.record(z.string(), z.unknown())).default([]),
    secret_references: z.array(z.record(z.string(), z.unknown())).default([]),
    network_rules: z.array(z.record(z.string(), z.unknown())).default([]),
    models: z.array(z.record(z.string(), z.unknown())).default([]),
    alert_rules: z.array(z.record(z.string(), z.unknown())).default([]),
    exemptions: z.array(z.record(z.string(), z.unknown())).default([]),
    approvals: z.array(z.record(z.string(), z.unknown())).default([]),
  }),
});

/** The world file's spelling → the store's (the model's Azure ML version is `model_version` in the store). */
function toStoreRow(table: MetadataTableName, row: Record<string, unknown>): Record<string, unknown> {
  if (table === 'models' && 'version' in row && !('model_version' in row)) {
    const { version, ...rest } = row;
    return { ...rest, model_version: version };
  }
  return row;
}

export type SeedResult =
  | { readonly seeded: true; readonly rows: Readonly<Record<MetadataTableName, number>> }
  | { readonly seeded: false; readonly reason: string };

/**
 * Loads the "metadata" section of the demo world into the store, in one transaction, each row validated and
 * audited with the world's actor. Idempotent: on a store that already holds any metadata row it does nothing
 * (and says so) — it never merges into or overwrites existing intent.
 */
export async function seedDemoWorld(store: MetadataStore, world: unknown): Promise<SeedResult> {
  const parsed = WorldMetadataSchema.safeParse(world);
  if (!parsed.success) throw new ValidationError('demo world', toFieldIssues(parsed.error));
  if (!(await store.isEmpty())) return { seeded: false, reason: 'the metadata store is not empty' };
  const { actor, ...tables } = parsed.data.metadata;
  const rows = {} as Record<MetadataTableName, number>;
  await store.batch(async (tx) => {
    for (const table of SEED_ORDER) {
      rows[table] = 0;
      for (const row of tables[table]) {
        await tx.upsert(table, toStoreRow(table, row) as never, { actor, reason: 'demo world seed' });
        rows[table] += 1;
      }
    }
  });
  return { seeded: true, rows };
}

/** Reads `demo/world.json` from the repository root. */
export function readDemoWorld(root: string = findRepoRoot()): unknown {
  return JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')) as unknown;
}
