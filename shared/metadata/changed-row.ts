import { ValidationError } from '../domain/errors';
import { type MetadataTableName, type RecordOf, validateRow } from '../domain/metadata/metadata-tables';
import { fromColumns, METADATA_COLUMNS } from './database';

/**
 * Decodes and validates a row delivered by the SQL trigger (`{Item, Operation}`'s `Item`: the row's columns as the
 * database holds them — JSON as text, booleans as 0/1 or true/false) into the table's record type. A row that does
 * not satisfy its schema (someone wrote it past the store) is a {@link ValidationError} naming the fields.
 *
 * @remarks
 * Payload values are hints (CONVENTIONS 10): handlers re-read what they act on; this only makes a changed row safe
 * to look at. A deleted row carries only its key: use {@link changedRowKey}.
 */
export function decodeChangedRow<T extends MetadataTableName>(table: T, item: Record<string, unknown>): RecordOf<T> {
  const decoded = fromColumns(table, item);
  const c = METADATA_COLUMNS[table];
  const fields: Record<string, unknown> = {};
  for (const f of c.fields) fields[f] = decoded[f] === null && !(f in item) ? undefined : decoded[f];
  validateRow(table, fields, { now: new Date(0), isInsert: false });
  return decoded as RecordOf<T>;
}

/** The key of a changed (possibly deleted) row. */
export function changedRowKey(table: MetadataTableName, item: Record<string, unknown>): string {
  const key = item[METADATA_COLUMNS[table].key];
  if (typeof key !== 'string' || key === '')
    throw new ValidationError(`${table} change`, [
      { path: METADATA_COLUMNS[table].key, message: 'is missing from the changed row' },
    ]);
  return key;
}
