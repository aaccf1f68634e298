import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens (creating if needed) one of the runtime's own SQLite state files under the state directory.
 *
 * @remarks
 * Durability contract of every trigger component: a state change (timer status, SQL cursor, broker message) is
 * committed before anything acts on it (an invocation is reported, an HTTP 201 is returned). WAL journaling with
 * `synchronous=FULL` makes a committed transaction survive `kill -9` of the process (and a power loss); a
 * `busy_timeout` lets a second connection (tests, admin tooling) wait instead of failing.
 */
export function openStateDb(stateDir: string, fileName: string): DatabaseSync {
  mkdirSync(stateDir, { recursive: true });
  const db = new DatabaseSync(path.join(stateDir, fileName));
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA busy_timeout = 5000');
  return db;
}

/** Runs `fn` in a `BEGIN IMMEDIATE` transaction (one writer at a time), committing when it returns. */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }
}
