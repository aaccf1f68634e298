import assert from 'node:assert/strict';

import { ValidationError } from '../../../../shared/domain/errors';
import { type MetadataTableName, type RowOf, validateRow } from '../../../../shared/domain/metadata/metadata-tables';
import type { WriteRuleContext } from '../../../../shared/domain/metadata/write-context';
import { SAMPLE_ROWS } from './sample-rows';

export const NOW = new Date('2026-06-01T12:00:00Z');
const INSERT: WriteRuleContext = { now: NOW, isInsert: true };

/** The sample row of `table` with `patch` applied (a key set to undefined is removed). */
export function sample(table: MetadataTableName, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const row: Record<string, unknown> = { ...(SAMPLE_ROWS[table] as Record<string, unknown>), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete row[k];
  return row;
}

export function accepts<T extends MetadataTableName>(
  table: T,
  patch: Record<string, unknown> = {},
  ctx = INSERT,
): RowOf<T> {
  return validateRow(table, sample(table, patch), ctx);
}

/** Asserts the patched sample row is rejected with an issue at `path` whose message matches `problem`. */
export function rejects(
  table: MetadataTableName,
  patch: Record<string, unknown>,
  path: string,
  problem: RegExp,
  ctx = INSERT,
): ValidationError {
  let caught: unknown;
  try {
    validateRow(table, sample(table, patch), ctx);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ValidationError, `expected a ValidationError for ${JSON.stringify(patch)}`);
  const issue = caught.issues.find((i) => i.path === path);
  assert.ok(issue, `expected an issue at '${path}', got: ${caught.message}`);
  assert.match(issue.message, problem);
  assert.ok(caught.message.includes(path), `the message names the field: ${caught.message}`);
  assert.equal(caught.code, 'VALIDATION_FAILED');
  return caught;
}
