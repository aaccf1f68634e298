import { existsSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

import { isFunctionDisabled } from '../host/disabled-functions';
import { triggerBindingOf } from '../host/function-host';
import type { RuntimeComponent, RuntimeServices } from '../host/runtime-services';
import { delay } from '../state/clock-sleep';
import { inTransaction, openStateDb } from '../state/state-db';
import { extensionSection, findKey, positiveInt } from '../state/trigger-support';
import { CHANGE_TABLE, type PendingRow, primaryKeyColumns, readChangeWindow, tableExists } from './change-reader';
import { sqliteFileOf, unqualifiedTableName } from './sql-connection';

export interface SqlTriggerComponentOptions {
  /** Overrides host.json `extensions.Sql.PollingIntervalMs` (default 1000). */
  pollingIntervalMs?: number;
  /** Overrides host.json `extensions.Sql.MaxBatchSize` (default 100). */
  maxBatchSize?: number;
  /** Failed attempts after which a change is given up (default 5, as the Azure SQL trigger's leases). */
  maxAttempts?: number;
  /** State file name under `services.stateDir` (default `sql-trigger.db`). */
  stateFile?: string;
  /** How long stop() waits for a running batch (default 30 s); its cursor is not advanced if it does not finish. */
  drainTimeoutMs?: number;
}

interface Watcher {
  readonly functionName: string;
  readonly triggerName: string;
  readonly table: string;
  readonly file: string;
  db: DatabaseSync | undefined;
  /** The inode the connection was opened on: a recreated database file is reopened. */
  inode: number | undefined;
  keyColumns: string[] | undefined;
  /** Last problem logged, so a persisting one (database not created yet) is logged once. */
  lastProblem: string | undefined;
}

/**
 * The SQL trigger (`app.sql`) over a SQLite database with the change-log contract of DESIGN.md: polls
 * `metadata_changes`, merges the changes of each row into one carrying its current values (a deleted row carries its
 * key columns only), delivers batches of at most `MaxBatchSize` in change order as `[{Item, Operation}]`, and keeps
 * one cursor per function in the runtime's own state, advanced only after the function succeeded.
 *
 * @remarks
 * A failing batch is retried on the next poll; as the Azure SQL trigger's lease logic does, every row of a failed
 * batch counts an attempt, and a change that failed `maxAttempts` (5) times is given up and logged (the app's sweep
 * is the safety net). Delivery is at least once: a crash between the function's success and the cursor commit
 * redelivers the batch. The SQL trigger does not honour function retry policies (neither does Azure).
 */
export function createSqlTriggerComponent(options: SqlTriggerComponentOptions = {}): RuntimeComponent {
  const abort = new AbortController();
  const watchers: Watcher[] = [];
  let state: DatabaseSync | undefined;
  let loops: Promise<void>[] = [];
  let services: RuntimeServices | undefined;
  let pollingIntervalMs = 1000;
  let maxBatchSize = 100;
  const maxAttempts = options.maxAttempts ?? 5;

  const problem = (svc: RuntimeServices, w: Watcher, event: string, message: string): void => {
    if (w.lastProblem === message) return;
    w.lastProblem = message;
    svc.logger.warn(event, { functionName: w.functionName, table: w.table, database: w.file, problem: message });
  };

  const readCursor = (w: Watcher): number => {
    const row = state!
      .prepare('SELECT database, table_name, cursor FROM sql_cursors WHERE function_name = ?')
      .get(w.functionName) as { database: string; table_name: string; cursor: number } | undefined;
    if (!row) return 0;
    if (row.database !== w.file || row.table_name.toLowerCase() !== w.table.toLowerCase()) return 0;
    return Number(row.cursor);
  };

  const writeCursor = (w: Watcher, cursor: number): void => {
    inTransaction(state!, () => {
      state!
        .prepare(
          `INSERT INTO sql_cursors (function_name, database, table_name, cursor) VALUES (?, ?, ?, ?)
           ON CONFLICT (function_name) DO UPDATE SET database = excluded.database, table_name = excluded.table_name,
             cursor = excluded.cursor`,
        )
        .run(w.functionName, w.file, w.table, cursor);
      state!.prepare('DELETE FROM sql_attempts WHERE function_name = ? AND seq <= ?').run(w.functionName, cursor);
    });
  };

  const attemptsOf = (w: Watcher, pk: string, seq: number): number => {
    const row = state!
      .prepare('SELECT attempts FROM sql_attempts WHERE function_name = ? AND pk = ? AND seq = ?')
      .get(w.functionName, pk, seq) as { attempts: number } | undefined;
    return row ? Number(row.attempts) : 0;
  };

  const countFailure = (w: Watcher, rows: PendingRow[]): void => {
    inTransaction(state!, () => {
      const upsert = state!.prepare(
        `INSERT INTO sql_attempts (function_name, pk, seq, attempts) VALUES (?, ?, ?, 1)
         ON CONFLICT (function_name, pk, seq) DO UPDATE SET attempts = attempts + 1`,
      );
      for (const r of rows) upsert.run(w.functionName, r.pk, r.maxSeq);
    });
  };

  /** Opens the app database and checks the contract; undefined (and a logged problem) when not ready yet. */
  const prepare = (svc: RuntimeServices, w: Watcher): DatabaseSync | undefined => {
    const inode = existsSync(w.file) ? statSync(w.file).ino : undefined;
    if (w.db && inode !== w.inode) {
      w.db.close();
      w.db = undefined;
      w.keyColumns = undefined;
    }
    if (!w.db) {
      if (inode === undefined) {
        problem(svc, w, 'sql.database-missing', 'the database file does not exist (yet); polling on');
        return undefined;
      }
      const db = new DatabaseSync(w.file, { readOnly: true });
      db.exec('PRAGMA busy_timeout = 5000');
      w.db = db;
      w.inode = inode;
    }
    if (!w.keyColumns) {
      if (!tableExists(w.db, CHANGE_TABLE)) {
        problem(svc, w, 'sql.change-table-missing', `the change table ${CHANGE_TABLE} does not exist (yet)`);
        return undefined;
      }
      if (!tableExists(w.db, w.table)) {
        problem(svc, w, 'sql.table-missing', `the watched table does not exist (yet)`);
        return undefined;
      }
      const keys = primaryKeyColumns(w.db, w.table);
      if (keys.length === 0) {
        problem(svc, w, 'sql.no-primary-key', 'the watched table has no primary key (the SQL trigger requires one)');
        return undefined;
      }
      w.keyColumns = keys;
      w.lastProblem = undefined;
      svc.logger.info('sql.watching', { functionName: w.functionName, table: w.table, keyColumns: keys });
    }
    return w.db;
  };

  const pollOnce = async (svc: RuntimeServices, w: Watcher): Promise<void> => {
    const db = prepare(svc, w);
    if (!db || !w.keyColumns) return;
    let cursor = readCursor(w);
    const maxSeq = (db.prepare(`SELECT max(seq) AS m FROM ${CHANGE_TABLE}`).get() as { m: number | null }).m ?? 0;
    if (Number(maxSeq) < cursor) {
      svc.logger.warn('sql.cursor-reset', {
        functionName: w.functionName,
        cursor,
        maxSeq,
        reason: 'the change log restarted (database recreated); reading it from the beginning',
      });
      cursor = 0;
      writeCursor(w, 0);
    }
    const window = readChangeWindow(
      db,
      w.table,
      w.keyColumns,
      cursor,
      maxBatchSize,
      (pk, seq) => attemptsOf(w, pk, seq) >= maxAttempts,
    );
    if (window.cursorAfter === cursor) return;
    if (window.batch.length === 0) {
      writeCursor(w, window.cursorAfter);
      return;
    }
    const changes = window.batch.map((r) => r.change);
    const result = await svc.host.invoke(w.functionName, {
      request: {
        inputData: [{ name: w.triggerName, data: { json: JSON.stringify(changes) } }],
        triggerMetadata: {},
      },
    });
    if (result.status === 'success') {
      writeCursor(w, window.cursorAfter);
      svc.logger.debug('sql.batch-delivered', {
        functionName: w.functionName,
        changes: changes.length,
        cursor: window.cursorAfter,
      });
      return;
    }
    countFailure(w, window.batch);
    svc.logger.error('sql.batch-failed', {
      functionName: w.functionName,
      changes: changes.length,
      error: result.error.message,
    });
    for (const r of window.batch) {
      const attempts = attemptsOf(w, r.pk, r.maxSeq);
      if (attempts >= maxAttempts) {
        svc.logger.error('sql.change-given-up', {
          functionName: w.functionName,
          table: w.table,
          pk: r.pk,
          seq: r.maxSeq,
          attempts,
        });
      }
    }
  };

  const run = async (svc: RuntimeServices, w: Watcher): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await pollOnce(svc, w);
      } catch (e) {
        problem(svc, w, 'sql.poll-failed', e instanceof Error ? e.message : String(e));
        w.keyColumns = undefined; // re-check the contract (a migration may have changed the table)
      }
      await delay(pollingIntervalMs, abort.signal);
    }
  };

  const begin = (svc: RuntimeServices): void => {
    services = svc;
    const section = extensionSection(svc.hostJson, 'Sql');
    pollingIntervalMs =
      options.pollingIntervalMs ??
      positiveInt(findKey(section, 'PollingIntervalMs') ?? svc.env.Sql_Trigger_PollingIntervalMs, 1000);
    maxBatchSize =
      options.maxBatchSize ?? positiveInt(findKey(section, 'MaxBatchSize') ?? svc.env.Sql_Trigger_MaxBatchSize, 100);
    for (const fn of svc.host.functions.values()) {
      const trigger = triggerBindingOf(fn);
      if (String(trigger.binding.type).toLowerCase() !== 'sqltrigger') continue;
      if (isFunctionDisabled(svc.env, fn.metadata.name)) continue;
      const name = fn.metadata.name;
      const tableName = trigger.binding.tableName;
      const setting = trigger.binding.connectionStringSetting;
      if (typeof tableName !== 'string' || typeof setting !== 'string') {
        throw new Error(`SQL trigger function "${name}" needs tableName and connectionStringSetting.`);
      }
      const connection = svc.env[svc.resolveSetting(setting)];
      if (connection === undefined) {
        svc.logger.error('sql.listener-not-started', {
          functionName: name,
          reason: `the app setting "${setting}" named by connectionStringSetting is not set`,
        });
        continue;
      }
      let file: string;
      try {
        file = sqliteFileOf(connection, svc.host.appDir);
      } catch (e) {
        svc.logger.error('sql.listener-not-started', { functionName: name, reason: (e as Error).message });
        continue;
      }
      watchers.push({
        functionName: name,
        triggerName: trigger.name,
        table: unqualifiedTableName(svc.resolveSetting(tableName)),
        file,
        db: undefined,
        inode: undefined,
        keyColumns: undefined,
        lastProblem: undefined,
      });
    }
    if (watchers.length === 0) return;
    state = openStateDb(svc.stateDir, options.stateFile ?? 'sql-trigger.db');
    state.exec(`CREATE TABLE IF NOT EXISTS sql_cursors (
          function_name TEXT PRIMARY KEY, database TEXT NOT NULL, table_name TEXT NOT NULL, cursor INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS sql_attempts (
          function_name TEXT NOT NULL, pk TEXT NOT NULL, seq INTEGER NOT NULL, attempts INTEGER NOT NULL,
          PRIMARY KEY (function_name, pk, seq))`);
    loops = watchers.map((w) => run(svc, w));
    return;
  };

  let stopping: Promise<void> | undefined;
  const halt = async (): Promise<void> => {
    abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(loops).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), options.drainTimeoutMs ?? 30_000);
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (timedOut) services?.logger.warn('sql.stop-timeout', { reason: 'a batch is still running; not acknowledged' });
    else {
      for (const w of watchers) w.db?.close();
      state?.close();
      state = undefined;
    }
  };

  return {
    name: 'sql',
    triggerTypes: ['sqlTrigger'],
    start(svc: RuntimeServices): Promise<void> {
      // Executor errors become a rejection: start-up problems reach startRuntime as a rejected promise.
      return new Promise<void>((resolve) => {
        begin(svc);
        resolve();
      });
    },
    stop(): Promise<void> {
      // Idempotent: the runtime and tests may both stop a component.
      return (stopping ??= halt());
    },
  };
}
