import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';

import { Kysely, sql, SqliteDialect } from 'kysely';

import { TransientCloudError } from '../../domain/errors';
import type { WardenDatabase, WardenDb } from '../database';
import type { StoreBackend } from '../store-backend';
import { NodeSqliteDatabase } from './node-sqlite-database';
import { migrateSqlite } from './sqlite-migrations';

export interface SqliteBackendOptions {
  /** The database file (created with its directory), or ':memory:'. */
  readonly file: string;
  /** Apply pending migrations on open (default true). */
  readonly migrate?: boolean;
  /** How long a writer waits for the write lock held by another connection before giving up (default 15 s). */
  readonly lockTimeoutMs?: number;
}

const READ_BUSY_TIMEOUT_MS = 5000;

function sqliteErrcode(error: unknown): number | undefined {
  return error instanceof Error ? (error as { errcode?: number }).errcode : undefined;
}

/**
 * The SQLite backend: one `node:sqlite` connection in WAL mode, driven by Kysely's SqliteDialect.
 *
 * @remarks
 * Writes open with `BEGIN IMMEDIATE`, which takes SQLite's single write lock up front, so the read of the audit
 * chain head and the append happen under one lock across every connection and process: the chain cannot fork.
 * `node:sqlite` is synchronous, so a busy lock is not waited for inside SQLite (that would block the event loop and
 * with it the holder of the lock, if it lives in this process); `BEGIN IMMEDIATE` is retried with an async back-off.
 */
export class SqliteBackend implements StoreBackend {
  readonly kind = 'sqlite' as const;
  readonly db: WardenDb;
  readonly raw: DatabaseSync;
  private readonly lockTimeoutMs: number;

  constructor(options: SqliteBackendOptions) {
    if (options.file !== ':memory:') mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    this.raw = new DatabaseSync(options.file, { timeout: READ_BUSY_TIMEOUT_MS });
    this.raw.exec('PRAGMA journal_mode = WAL');
    this.raw.exec('PRAGMA synchronous = NORMAL');
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    if (options.migrate !== false) migrateSqlite(this.raw);
    this.db = new Kysely<WardenDatabase>({
      dialect: new SqliteDialect({ database: new NodeSqliteDatabase(this.raw) }),
    });
  }

  async write<T>(fn: (trx: WardenDb) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await this.beginImmediate(conn);
      let result: T;
      try {
        result = await fn(conn);
      } catch (error) {
        await sql`ROLLBACK`.execute(conn);
        throw error;
      }
      await sql`COMMIT`.execute(conn);
      return result;
    });
  }

  private async beginImmediate(conn: WardenDb): Promise<void> {
    const deadline = Date.now() + this.lockTimeoutMs;
    await sql`PRAGMA busy_timeout = 0`.execute(conn);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await sql`BEGIN IMMEDIATE`.execute(conn);
          return;
        } catch (error) {
          const code = sqliteErrcode(error);
          if (code !== 5 && code !== 517) throw error; // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT
          if (Date.now() > deadline)
            throw new TransientCloudError(
              `metadata database write lock not obtained within ${this.lockTimeoutMs} ms`,
              1000,
              { cause: error },
            );
          await sleep(Math.min(2 + attempt * 2, 25) + Math.random() * 3);
        }
      }
    } finally {
      await sql.raw(`PRAGMA busy_timeout = ${READ_BUSY_TIMEOUT_MS}`).execute(conn);
    }
  }

  isUniqueViolation(error: unknown): boolean {
    const code = sqliteErrcode(error);
    // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067)
    return code === 1555 || code === 2067;
  }

  async close(): Promise<void> {
    await this.db.destroy();
    if (this.raw.isOpen) this.raw.close(); // Kysely closes it only if it ever ran a query
  }
}
