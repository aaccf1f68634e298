import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';

/** `SqlChangeOperation` of `@azure/functions`: 0 = Insert, 1 = Update, 2 = Delete. */
export const SqlChangeOperation = { Insert: 0, Update: 1, Delete: 2 } as const;
export type SqlChangeOperation = (typeof SqlChangeOperation)[keyof typeof SqlChangeOperation];

/** One entry of the SQL trigger's input: `{Item, Operation}`. */
export interface SqlChange {
  Item: Record<string, unknown>;
  Operation: SqlChangeOperation;
}

/** All changes to one row since the cursor, merged. */
export interface PendingRow {
  /** The `pk` column text of the change log (the row's identity). */
  pk: string;
  /** The key columns decoded from `pk`. */
  key: Record<string, unknown>;
  /** The `seq` of the row's latest change: rows are delivered in this order (SQL change tracking's version). */
  maxSeq: number;
  change: SqlChange;
}

export interface ChangeWindow {
  /** Rows in delivery order (by their latest change), at most `maxBatchSize` not given up. */
  batch: PendingRow[];
  /** Rows skipped because their change already failed `maxAttempts` times. */
  givenUp: PendingRow[];
  /** The cursor to store once `batch` succeeded: every change up to it belongs to `batch` or `givenUp`. */
  cursorAfter: number;
}

export const CHANGE_TABLE = 'metadata_changes';

/**
 * Reads the app's change log (`metadata_changes(seq, table_name, pk, operation, at)`) after `cursor` for one table,
 * merges the changes of each row into one carrying the row's current values, and returns the next batch.
 *
 * @remarks
 * Contract (DESIGN.md "SQL trigger contract"): `pk` is the JSON object of the row's primary-key columns, e.g.
 * `{"id":"p-1"}` or `{"tenant":"t","id":7}` (SQLite: `json_object('id', NEW.id)`); for a single-column key a bare
 * JSON scalar or plain text is accepted too. `operation` is `insert`, `update` or `delete` (case-insensitive).
 * A merged row is a Delete (key columns only) when the row no longer exists, an Insert when it exists and its first
 * change since the cursor was an insert, an Update otherwise. Reads happen in one read transaction so the change
 * window and the row values come from one snapshot.
 */
export function readChangeWindow(
  db: DatabaseSync,
  table: string,
  keyColumns: readonly string[],
  cursor: number,
  maxBatchSize: number,
  isGivenUp: (pk: string, maxSeq: number) => boolean,
): ChangeWindow {
  const windowSize = Math.max(1000, maxBatchSize * 10);
  db.exec('BEGIN');
  try {
    const changes = db
      .prepare(
        `SELECT seq, pk, operation FROM ${CHANGE_TABLE} WHERE lower(table_name) = lower(?) AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .all(table, cursor, windowSize) as { seq: number; pk: SQLOutputValue; operation: SQLOutputValue }[];
    const rows = new Map<string, { firstOp: string; maxSeq: number }>();
    for (const c of changes) {
      const pk = String(c.pk);
      const seen = rows.get(pk);
      if (seen) seen.maxSeq = Number(c.seq);
      else rows.set(pk, { firstOp: String(c.operation).toLowerCase(), maxSeq: Number(c.seq) });
    }
    const ordered = [...rows.entries()].sort((a, b) => a[1].maxSeq - b[1].maxSeq);
    const where = keyColumns.map((k) => `${quoteIdent(k)} = ?`).join(' AND ');
    const select = db.prepare(`SELECT * FROM ${quoteIdent(table)} WHERE ${where}`);
    const batch: PendingRow[] = [];
    const givenUp: PendingRow[] = [];
    let cursorAfter = cursor;
    let consumedAll = true;
    for (const [pk, info] of ordered) {
      if (batch.length >= maxBatchSize) {
        consumedAll = false;
        break;
      }
      const key = decodeKey(pk, keyColumns);
      const current = select.get(...keyColumns.map((k) => toSqlParam(key[k])));
      const change: SqlChange = current
        ? {
            Item: toJsonValues(current),
            Operation: info.firstOp === 'insert' ? SqlChangeOperation.Insert : SqlChangeOperation.Update,
          }
        : { Item: key, Operation: SqlChangeOperation.Delete };
      const row: PendingRow = { pk, key, maxSeq: info.maxSeq, change };
      (isGivenUp(pk, info.maxSeq) ? givenUp : batch).push(row);
      cursorAfter = info.maxSeq;
    }
    const lastScanned = changes[changes.length - 1];
    if (consumedAll && lastScanned) cursorAfter = Math.max(cursorAfter, Number(lastScanned.seq));
    return { batch, givenUp, cursorAfter };
  } finally {
    db.exec('COMMIT');
  }
}

/** Decodes the change log's `pk` text into the key columns (names matched case-insensitively). */
export function decodeKey(pk: string, keyColumns: readonly string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pk);
  } catch {
    parsed = pk;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const entries = Object.entries(parsed as Record<string, unknown>);
    const key: Record<string, unknown> = {};
    for (const column of keyColumns) {
      const hit = entries.find(([k]) => k.toLowerCase() === column.toLowerCase());
      if (!hit) throw new Error(`The change log pk ${pk} has no value for the key column "${column}".`);
      key[column] = hit[1];
    }
    return key;
  }
  if (keyColumns.length !== 1 || keyColumns[0] === undefined) {
    throw new Error(`The change log pk ${pk} is not a JSON object of the key columns ${keyColumns.join(', ')}.`);
  }
  return { [keyColumns[0]]: parsed };
}

/** The primary-key columns of `table` in key order, or [] when it has none (or does not exist). */
export function primaryKeyColumns(db: DatabaseSync, table: string): string[] {
  const info = db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string; pk: number }[];
  return info
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

export function tableExists(db: DatabaseSync, table: string): boolean {
  return (
    db.prepare(`SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND lower(name) = lower(?)`).get(table) !==
    undefined
  );
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function toSqlParam(value: unknown): string | number | bigint | null | Uint8Array {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return JSON.stringify(value);
}

/** Row values as the SQL trigger serialises them: blobs as base64, big integers as numbers when safe. */
function toJsonValues(row: Record<string, SQLOutputValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array) out[k] = Buffer.from(v).toString('base64');
    else if (typeof v === 'bigint') out[k] = Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    else out[k] = v;
  }
  return out;
}
