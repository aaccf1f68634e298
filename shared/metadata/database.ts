import type { Kysely } from 'kysely';

import type { MetadataTableName } from '../domain/metadata/metadata-tables';

/** A column value as the drivers bind and return it (JSON columns are text, booleans 0/1). */
export type ColumnValue = string | number | bigint | boolean | null | Buffer;

/**
 * The store's view of the database: table name → column → value. The store addresses tables generically (one
 * code path for eight tables); the column lists below and the migrations are the schema.
 */
export type WardenDatabase = Record<string, Record<string, ColumnValue>>;
export type WardenDb = Kysely<WardenDatabase>;

/** How each metadata table's columns are stored. */
export interface TableColumns {
  /** Primary key column. */
  readonly key: string;
  /** Fields of the row schema, in order. */
  readonly fields: readonly string[];
  /** Due-time columns computed on write. */
  readonly due: readonly string[];
  /** Fields stored as JSON text. */
  readonly json: readonly string[];
  /** Fields stored as 0/1. */
  readonly bool: readonly string[];
  /** Fields stored as REAL / FLOAT. */
  readonly real: readonly string[];
  /** Fields stored as INTEGER / INT. */
  readonly int: readonly string[];
}

/** Columns every metadata table has after its own. */
export const ROW_META_COLUMNS = ['version', 'created_at', 'updated_at', 'updated_by'] as const;

const t = (c: Partial<TableColumns> & Pick<TableColumns, 'key' | 'fields'>): TableColumns => ({
  due: [],
  json: [],
  bool: [],
  real: [],
  int: [],
  ...c,
});

export const METADATA_COLUMNS: Readonly<Record<MetadataTableName, TableColumns>> = {
  access_policies: t({
    key: 'id',
    fields: [
      'id',
      'principal_id',
      'principal_type',
      'role',
      'scope',
      'data_access',
      'expires_at',
      'justification',
      'approved_by',
      'enabled',
    ],
    bool: ['enabled'],
  }),
  managed_scopes: t({
    key: 'scope',
    fields: ['scope', 'mode', 'enforcement', 'allowed_roles', 'break_glass'],
    json: ['allowed_roles', 'break_glass'],
  }),
  secret_references: t({
    key: 'id',
    fields: [
      'id',
      'name',
      'vault_uri',
      'secret_name',
      'current_version',
      'current_expires_at',
      'rotator',
      'rotator_config',
      'interval_days',
      'notify_before_days',
      'grace_hours',
      'consumers',
      'last_rotated_at',
      'status',
    ],
    due: ['next_rotation_at', 'next_notice_at'],
    json: ['rotator_config', 'consumers'],
    int: ['interval_days', 'notify_before_days', 'grace_hours'],
  }),
  network_rules: t({
    key: 'id',
    fields: [
      'id',
      'resource_id',
      'public_network_access',
      'private_endpoint_required',
      'allowed_ip_ranges',
      'integration_runtime',
      'consumers',
      'enabled',
    ],
    json: ['allowed_ip_ranges', 'consumers'],
    bool: ['private_endpoint_required', 'enabled'],
  }),
  alert_rules: t({
    key: 'id',
    fields: [
      'id',
      'model_id',
      'target',
      'source',
      'operator',
      'threshold',
      'window',
      'frequency',
      'failing_periods',
      'action',
      'auto_release',
      'recovery_windows',
      'monitor_name',
      'severity',
    ],
    json: ['source', 'failing_periods'],
    bool: ['auto_release'],
    real: ['threshold'],
    int: ['recovery_windows', 'severity'],
  }),
  models: t({
    key: 'id',
    fields: [
      'id',
      'name',
      'model_version',
      'endpoint',
      'deployment',
      'stage',
      'last_good_version',
      'next_check_at',
      'owner',
    ],
  }),
  exemptions: t({ key: 'id', fields: ['id', 'target', 'kind', 'reason', 'expires_at', 'approved_by'] }),
  approvals: t({
    key: 'id',
    fields: [
      'id',
      'kind',
      'target',
      'plan',
      'requested_by',
      'requested_at',
      'decided_by',
      'decision',
      'decided_at',
      'comment',
    ],
    json: ['plan'],
  }),
};

/** Every column of a metadata table, in storage order. */
export function allColumns(table: MetadataTableName): string[] {
  const c = METADATA_COLUMNS[table];
  return [...c.fields, ...c.due.filter((d) => !c.fields.includes(d)), ...ROW_META_COLUMNS];
}

/** Domain value → column value. */
export function toColumns(table: MetadataTableName, row: Record<string, unknown>): Record<string, ColumnValue> {
  const c = METADATA_COLUMNS[table];
  const out: Record<string, ColumnValue> = {};
  for (const col of allColumns(table)) {
    const v = row[col];
    if (v === undefined || v === null) out[col] = null;
    else if (c.json.includes(col)) out[col] = JSON.stringify(v);
    else if (c.bool.includes(col)) out[col] = v === true ? 1 : 0;
    else out[col] = v as ColumnValue;
  }
  return out;
}

/** A text column's value as a string (drivers return strings; anything else is a bug). */
export function columnText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  throw new TypeError(`Expected a text column value, got a ${typeof value}`);
}

/** Column values → domain value (JSON parsed, 0/1 → boolean, integers as numbers). */
export function fromColumns(table: MetadataTableName, row: Record<string, unknown>): Record<string, unknown> {
  const c = METADATA_COLUMNS[table];
  const out: Record<string, unknown> = {};
  for (const col of allColumns(table)) {
    const v = row[col];
    if (v === undefined || v === null) out[col] = null;
    else if (c.json.includes(col)) out[col] = JSON.parse(columnText(v)) as unknown;
    else if (c.bool.includes(col)) out[col] = v === true || v === 1 || v === 1n;
    else if (typeof v === 'bigint') out[col] = Number(v);
    else if (v instanceof Date) out[col] = v.toISOString();
    else out[col] = v;
  }
  return out;
}
