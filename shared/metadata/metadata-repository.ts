import { type Clock } from '../domain/clock';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../domain/errors';
import {
  type InputOf,
  looseSpec,
  type MetadataTableName,
  type RecordOf,
  validateRow,
} from '../domain/metadata/metadata-tables';
import { ActorSchema } from '../domain/primitives/fields';
import type { AuditLog } from './audit/audit-log';
import { allColumns, type ColumnValue, fromColumns, METADATA_COLUMNS, toColumns, type WardenDb } from './database';
import type { StoreBackend } from './store-backend';

/** Who writes, and why: recorded in `updated_by` and in the audit entry of the write. */
export interface WriteOptions {
  readonly actor: string;
  readonly reason?: string | null;
  readonly correlationId?: string | null;
}

export interface UpsertOptions extends WriteOptions {
  /**
   * The version the caller read (HTTP `If-Match`). Absent: create only — an existing row is a ConflictError.
   * Present: update only if the stored version is this one — otherwise PreconditionFailedError, nothing written.
   */
  readonly expectedVersion?: number;
}

export interface DeleteOptions extends WriteOptions {
  /** The version the caller read; a stale one fails with PreconditionFailedError and deletes nothing. */
  readonly expectedVersion: number;
}

type Scalar = string | number | boolean | null;

/** Filters for {@link MetadataRepository.list}: equality on columns, and "due by" on a time column. */
export interface ListFilter<T extends MetadataTableName> {
  readonly where?: Partial<Record<keyof RecordOf<T> & string, Scalar>>;
  /** Rows whose `field` is set and not later than `at` (ISO): due work for the sweep. */
  readonly dueBy?: { readonly field: keyof RecordOf<T> & string; readonly at: string };
  /** Rows whose `field` is unset or not earlier than `at` (ISO): open ones and those closed recently. */
  readonly openOrSince?: { readonly field: keyof RecordOf<T> & string; readonly at: string };
  /** Keyset paging: only rows whose key sorts after this one (rows come in key order). */
  readonly after?: string;
  readonly limit?: number;
}

/**
 * Typed access to one metadata table: get, list, upsert (create or version-checked update) and version-checked
 * delete. Every write validates the row, computes due times, sets `version`/`updated_at`/`updated_by`, and
 * appends an audit entry naming the actor — all in one transaction; the change-log triggers fire in it too.
 */
export class MetadataRepository<T extends MetadataTableName> {
  private readonly spec;
  private readonly key: string;
  private readonly columns: ReadonlySet<string>;
  /** The table name as Kysely sees it (the generic parameter would defeat its overloads). */
  private readonly name: string;

  constructor(
    readonly table: T,
    private readonly backend: StoreBackend,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.spec = looseSpec(table);
    this.name = table;
    this.key = METADATA_COLUMNS[table].key;
    this.columns = new Set(allColumns(table));
  }

  async get(key: string): Promise<RecordOf<T> | undefined> {
    return this.getIn(this.backend.db, key);
  }

  /** Like {@link get}, but a missing row is a NotFoundError. */
  async require(key: string): Promise<RecordOf<T>> {
    const row = await this.get(key);
    if (!row) throw new NotFoundError(this.spec.kind, key);
    return row;
  }

  async list(filter: ListFilter<T> = {}): Promise<RecordOf<T>[]> {
    let q = this.backend.db.selectFrom(this.name).selectAll();
    for (const [column, value] of Object.entries(filter.where ?? {}) as [string, Scalar | undefined][]) {
      if (value === undefined) continue;
      this.assertColumn(column);
      const bound: ColumnValue = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      q = bound === null ? q.where(column, 'is', null) : q.where(column, '=', bound);
    }
    if (filter.dueBy) {
      this.assertColumn(filter.dueBy.field);
      q = q.where(filter.dueBy.field, 'is not', null).where(filter.dueBy.field, '<=', filter.dueBy.at);
    }
    if (filter.openOrSince) {
      const { field, at } = filter.openOrSince;
      this.assertColumn(field);
      q = q.where((eb) => eb.or([eb(field, 'is', null), eb(field, '>=', at)]));
    }
    if (filter.after !== undefined) q = q.where(this.key, '>', filter.after);
    q = q.orderBy(this.key, 'asc');
    if (filter.limit !== undefined) q = this.backend.kind === 'mssql' ? q.top(filter.limit) : q.limit(filter.limit);
    return (await q.execute()).map((row) => fromColumns(this.table, row) as RecordOf<T>);
  }

  async count(): Promise<number> {
    const row = await this.backend.db
      .selectFrom(this.name)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Creates the row, or updates it when `expectedVersion` matches. Returns the stored record. */
  async upsert(input: InputOf<T>, options: UpsertOptions): Promise<RecordOf<T>> {
    return this.backend.write((trx) => this.upsertIn(trx, input, options));
  }

  /** {@link upsert} inside a transaction opened by {@link StoreBackend.write} (see `MetadataStore.batch`). */
  async upsertIn(trx: WardenDb, input: InputOf<T>, options: UpsertOptions): Promise<RecordOf<T>> {
    const actor = this.checkActor(options.actor);
    const { fields, expectedVersion } = this.splitStoreOwned(input, options.expectedVersion);
    options = { ...options, expectedVersion };
    const key = fields[this.key];
    {
      const now = this.clock.now();
      const existing = typeof key === 'string' ? await this.getIn(trx, key) : undefined;
      const row = validateRow(this.table, fields, { now, isInsert: existing === undefined }) as Record<string, unknown>;
      const rowKey = String(row[this.key]);
      if (existing === undefined && options.expectedVersion !== undefined)
        throw new PreconditionFailedError(this.spec.kind, rowKey, options.expectedVersion, undefined);
      if (existing !== undefined && options.expectedVersion === undefined)
        throw new ConflictError(
          `${this.spec.kind} '${rowKey}' already exists at version ${existing.version}: pass that version to update it`,
        );
      const createdAt = existing?.created_at ?? now.toISOString();
      const record = {
        ...row,
        ...this.spec.computeDue(row, { now, createdAt }),
        version: existing ? existing.version + 1 : 1,
        created_at: createdAt,
        updated_at: now.toISOString(),
        updated_by: actor,
      };
      const columns = toColumns(this.table, record);
      if (existing === undefined) {
        await trx.insertInto(this.name).values(columns).execute();
      } else {
        const { [this.key]: _key, ...changes } = columns;
        const result = await trx
          .updateTable(this.name)
          .set(changes)
          .where(this.key, '=', rowKey)
          .where('version', '=', options.expectedVersion ?? -1)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1)
          throw new PreconditionFailedError(this.spec.kind, rowKey, options.expectedVersion ?? -1, existing.version);
      }
      const stored = await this.getIn(trx, rowKey);
      await this.audit.appendIn(trx, {
        actor,
        action: `${this.table}.${existing ? 'update' : 'insert'}`,
        target: `${this.table}/${rowKey}`,
        before: existing ?? null,
        after: stored ?? null,
        reason: options.reason ?? null,
        correlationId: options.correlationId ?? null,
      });
      if (!stored) throw new Error(`BUG: ${this.table}/${rowKey} not readable after write`);
      return stored;
    }
  }

  /** Deletes the row if its version is `expectedVersion`; returns what was deleted. */
  async delete(key: string, options: DeleteOptions): Promise<RecordOf<T>> {
    return this.backend.write((trx) => this.deleteIn(trx, key, options));
  }

  /** {@link delete} inside a transaction opened by {@link StoreBackend.write}. */
  async deleteIn(trx: WardenDb, key: string, options: DeleteOptions): Promise<RecordOf<T>> {
    const actor = this.checkActor(options.actor);
    {
      const existing = await this.getIn(trx, key);
      if (!existing) throw new NotFoundError(this.spec.kind, key);
      if (existing.version !== options.expectedVersion)
        throw new PreconditionFailedError(this.spec.kind, key, options.expectedVersion, existing.version);
      const result = await trx
        .deleteFrom(this.name)
        .where(this.key, '=', key)
        .where('version', '=', options.expectedVersion)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) !== 1)
        throw new PreconditionFailedError(this.spec.kind, key, options.expectedVersion, existing.version);
      await this.audit.appendIn(trx, {
        actor,
        action: `${this.table}.delete`,
        target: `${this.table}/${key}`,
        before: existing,
        after: null,
        reason: options.reason ?? null,
        correlationId: options.correlationId ?? null,
      });
      return existing;
    }
  }

  private async getIn(db: WardenDb, key: string): Promise<RecordOf<T> | undefined> {
    const row = await db.selectFrom(this.name).selectAll().where(this.key, '=', key).executeTakeFirst();
    return row ? (fromColumns(this.table, row) as RecordOf<T>) : undefined;
  }

  /**
   * Separates what the store owns from the caller's fields, so a record read from the store can be written back:
   * `created_at`/`updated_at`/`updated_by` and computed due times are dropped (the store sets them), and a `version`
   * in the row is the caller's expected version (as an HTTP ETag would be).
   */
  private splitStoreOwned(
    input: Record<string, unknown>,
    expected: number | undefined,
  ): { fields: Record<string, unknown>; expectedVersion: number | undefined } {
    const c = METADATA_COLUMNS[this.table];
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) {
      if (k === 'created_at' || k === 'updated_at' || k === 'updated_by' || k === 'version') continue;
      if (c.due.includes(k) && !c.fields.includes(k)) continue;
      fields[k] = v;
    }
    const inRow = input.version;
    if (inRow === undefined || inRow === null) return { fields, expectedVersion: expected };
    if (typeof inRow !== 'number' || !Number.isInteger(inRow) || inRow < 1)
      throw new ValidationError(`${this.spec.kind}`, [
        { path: 'version', message: `must be a positive whole number, got ${JSON.stringify(inRow)}` },
      ]);
    if (expected !== undefined && expected !== inRow)
      throw new ValidationError(`${this.spec.kind}`, [
        { path: 'version', message: `is ${inRow} but the expected version given with the write is ${expected}` },
      ]);
    return { fields, expectedVersion: inRow };
  }

  private checkActor(actor: string): string {
    const parsed = ActorSchema.safeParse(actor);
    if (!parsed.success)
      throw new ValidationError(`write to ${this.table}`, [
        { path: 'actor', message: parsed.error.issues[0]?.message ?? 'invalid' },
      ]);
    return parsed.data;
  }

  private assertColumn(column: string): void {
    if (!this.columns.has(column))
      throw new ValidationError(`filter on ${this.table}`, [
        { path: column, message: 'is not a column of this table' },
      ]);
  }
}
