import type { z } from 'zod';

import { type FieldIssue, ValidationError } from '../errors';
import { AccessPolicySchema, accessPolicyWriteRules } from './access-policy.schema';
import { AlertRuleSchema } from './alert-rule.schema';
import { ApprovalSchema } from './approval.schema';
import { nextCheckAt, nextNoticeAt, nextRotationAt } from './due-times';
import { ExemptionSchema, exemptionWriteRules } from './exemption.schema';
import { ManagedScopeSchema } from './managed-scope.schema';
import { ModelSchema } from './model.schema';
import { NetworkRuleSchema } from './network-rule.schema';
import { SecretReferenceSchema } from './secret-reference.schema';
import type { WriteRule, WriteRuleContext } from './write-context';

/** Columns every metadata row carries besides its own fields. */
export interface RowMeta {
  /** Optimistic concurrency token (HTTP ETag); 1 on insert, +1 per update. */
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
  /** The actor of the last write. */
  readonly updated_by: string;
}

/** Everything the store needs to know about one metadata table, apart from storage. */
export interface MetadataTableSpec<S extends z.ZodType, K extends string, D extends object> {
  readonly table: string;
  /** Human name for messages: "access policy". */
  readonly kind: string;
  /** Primary key field. */
  readonly key: K;
  readonly schema: S;
  readonly writeRules?: WriteRule<z.output<S>>;
  /** Computes the due-time fields on write. */
  readonly computeDue: (row: z.output<S>, ctx: { now: Date; createdAt: string }) => D;
}

function spec<S extends z.ZodType, K extends string & keyof z.output<S>, D extends object>(
  s: MetadataTableSpec<S, K, D>,
): MetadataTableSpec<S, K, D> {
  return s;
}

const none = (): Record<never, never> => ({});

/** The metadata tables of DESIGN.md, each with its row schema, key, write-time rules and due-time computation. */
export const METADATA_TABLES = {
  access_policies: spec({
    table: 'access_policies',
    kind: 'access policy',
    key: 'id',
    schema: AccessPolicySchema,
    writeRules: accessPolicyWriteRules,
    computeDue: none,
  }),
  managed_scopes: spec({
    table: 'managed_scopes',
    kind: 'managed scope',
    key: 'scope',
    schema: ManagedScopeSchema,
    computeDue: none,
  }),
  secret_references: spec({
    table: 'secret_references',
    kind: 'secret reference',
    key: 'id',
    schema: SecretReferenceSchema,
    computeDue: (row, { createdAt }) => {
      const next_rotation_at = nextRotationAt({ ...row, created_at: createdAt });
      return { next_rotation_at, next_notice_at: nextNoticeAt(next_rotation_at, row.notify_before_days) };
    },
  }),
  network_rules: spec({
    table: 'network_rules',
    kind: 'network rule',
    key: 'id',
    schema: NetworkRuleSchema,
    computeDue: none,
  }),
  alert_rules: spec({ table: 'alert_rules', kind: 'alert rule', key: 'id', schema: AlertRuleSchema, computeDue: none }),
  models: spec({
    table: 'models',
    kind: 'model',
    key: 'id',
    schema: ModelSchema,
    computeDue: (row, { now }) => ({ next_check_at: nextCheckAt(row.stage, row.next_check_at, now) }),
  }),
  exemptions: spec({
    table: 'exemptions',
    kind: 'exemption',
    key: 'id',
    schema: ExemptionSchema,
    writeRules: exemptionWriteRules,
    computeDue: none,
  }),
  approvals: spec({ table: 'approvals', kind: 'approval', key: 'id', schema: ApprovalSchema, computeDue: none }),
} as const;

export type MetadataTables = typeof METADATA_TABLES;
export type MetadataTableName = keyof MetadataTables;
export const METADATA_TABLE_NAMES = Object.keys(METADATA_TABLES) as MetadataTableName[];

/** The validated fields of a row of table T (what callers write). */
export type RowOf<T extends MetadataTableName> = z.output<MetadataTables[T]['schema']>;
/** What callers pass in (defaults may be omitted). */
export type InputOf<T extends MetadataTableName> = z.input<MetadataTables[T]['schema']>;
/** A stored row: the fields, the computed due times and the row metadata. */
export type RecordOf<T extends MetadataTableName> = RowOf<T> & ReturnType<MetadataTables[T]['computeDue']> & RowMeta;

/** Converts zod issues to field issues with dotted paths. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Validates an input row of `table` against its schema and write-time rules. Throws a {@link ValidationError}
 * naming every field and problem; returns the normalised row.
 */
export function validateRow<T extends MetadataTableName>(table: T, input: unknown, ctx: WriteRuleContext): RowOf<T> {
  const s = looseSpec(table);
  const parsed = s.schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`${s.kind}${describeKey(input, s.key)}`, toFieldIssues(parsed.error));
  const issues = s.writeRules?.(parsed.data, ctx) ?? [];
  if (issues.length > 0) throw new ValidationError(`${s.kind}${describeKey(input, s.key)}`, issues);
  return parsed.data as RowOf<T>;
}

/** A table's spec with its row type erased, for code that handles every table alike (the store). */
export interface LooseTableSpec {
  readonly table: MetadataTableName;
  readonly kind: string;
  readonly key: string;
  readonly schema: z.ZodType;
  readonly writeRules?: WriteRule<unknown>;
  readonly computeDue: (row: unknown, ctx: { now: Date; createdAt: string }) => Record<string, unknown>;
}

export function looseSpec(table: MetadataTableName): LooseTableSpec {
  return METADATA_TABLES[table] as unknown as LooseTableSpec;
}

function describeKey(input: unknown, key: string): string {
  if (input !== null && typeof input === 'object') {
    const v = (input as Record<string, unknown>)[key];
    if (typeof v === 'string') return ` '${v.slice(0, 200)}'`;
  }
  return '';
}
