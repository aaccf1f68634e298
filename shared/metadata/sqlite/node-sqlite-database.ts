import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Kysely binds JS values; node:sqlite accepts null, numbers, bigints, strings and bytes only. */
function bindable(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'string') return value;
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`Cannot bind a ${typeof value} to a SQLite parameter`);
}

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  constructor(private readonly stmt: StatementSync) {
    this.reader = stmt.columns().length > 0;
  }
  all(parameters: ReadonlyArray<unknown>): unknown[] {
    return this.stmt.all(...parameters.map(bindable));
  }
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.stmt.run(...parameters.map(bindable));
  }
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown> {
    return this.stmt.iterate(...parameters.map(bindable));
  }
}

/**
 * Adapts Node's built-in `node:sqlite` `DatabaseSync` to the `SqliteDatabase` interface Kysely's `SqliteDialect`
 * drives (which mirrors better-sqlite3), so the store needs no native addon.
 */
export class NodeSqliteDatabase implements SqliteDatabase {
  constructor(readonly raw: DatabaseSync) {}
  close(): void {
    if (this.raw.isOpen) this.raw.close();
  }
  prepare(sql: string): SqliteStatement {
    return new NodeSqliteStatement(this.raw.prepare(sql));
  }
}
