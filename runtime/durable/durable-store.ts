import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';

/** The runtime statuses of the durable HTTP API (the library's `OrchestrationRuntimeStatus`). */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
export const ALL_STATUSES: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];

export interface InstanceRow {
  id: string;
  name: string;
  version: string | null;
  execution_id: string;
  status: RuntimeStatus;
  /** JSON text of the orchestration input, or null. */
  input: string | null;
  /** JSON text of the output (or of the failure/termination reason), or null. */
  output: string | null;
  custom_status: string | null;
  created_at: number;
  updated_at: number;
  parent_id: string | null;
  parent_execution_id: string | null;
  parent_seq: number | null;
  next_seq: number;
  /** JSON array of the action signatures recorded so far in this execution (non-determinism check). */
  action_sig: string;
  generation: number;
  episodes: number;
}

/** A message waiting for an orchestration (persisted until the episode that consumes it commits). */
export interface InboxRow {
  id: number;
  instance_id: string;
  /** Null for instance-level messages (raised events, control); otherwise the execution the message belongs to. */
  execution_id: string | null;
  payload: string;
  visible_at: number;
}

/** An activity invocation that was scheduled and whose result is not yet in history (rerun after a crash). */
export interface WorkRow {
  id: number;
  instance_id: string;
  execution_id: string;
  seq: number;
  name: string;
  /** JSON text of the decoded activity input, or null when there is none. */
  input: string | null;
}

export interface ListFilter {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatus[];
  idPrefix?: string;
  /** Continuation: rows strictly after (created_at, id). */
  after?: { createdAt: number; id: string };
  limit: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  version TEXT,
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT,
  output TEXT,
  custom_status TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  parent_id TEXT,
  parent_execution_id TEXT,
  parent_seq INTEGER,
  next_seq INTEGER NOT NULL DEFAULT 0,
  action_sig TEXT NOT NULL DEFAULT '[]',
  generation INTEGER NOT NULL DEFAULT 0,
  episodes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS instances_by_status ON instances(status, created_at, id);
CREATE INDEX IF NOT EXISTS instances_by_created ON instances(created_at, id);
-- One row per episode: the episode's history events as comma-separated JSON objects (IsPlayed already true).
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL,
  chunk INTEGER NOT NULL,
  events TEXT NOT NULL,
  PRIMARY KEY (instance_id, chunk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT,
  payload TEXT NOT NULL,
  visible_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_by_instance ON inbox(instance_id);
CREATE TABLE IF NOT EXISTS work (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  input TEXT
);
CREATE INDEX IF NOT EXISTS work_by_instance ON work(instance_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export type SynchronousMode = 'OFF' | 'NORMAL' | 'FULL';

/**
 * The durable engine's SQLite persistence: instances, history (one row per episode), inbox, activity work items.
 *
 * @remarks
 * One writer connection, used only by the engine's dispatch loop inside explicit transactions, and one reader
 * connection for the HTTP API, so a status read only ever sees committed state (WAL gives readers a snapshot).
 */
export class DurableStore {
  readonly file: string;
  private readonly w: DatabaseSync;
  private readonly r: DatabaseSync;
  private readonly stmts = new Map<string, StatementSync>();
  private readonly rstmts = new Map<string, StatementSync>();
  private inTx = false;

  constructor(
    file: string,
    readonly synchronous: SynchronousMode = 'NORMAL',
  ) {
    this.file = file;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.w = new DatabaseSync(file);
    this.w.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${synchronous}; PRAGMA busy_timeout=5000;`);
    this.w.exec(SCHEMA);
    this.r = new DatabaseSync(file);
    this.r.exec('PRAGMA busy_timeout=5000;');
  }

  close(): void {
    if (this.inTx) this.rollback();
    this.w.close();
    this.r.close();
  }

  private s(sql: string): StatementSync {
    let st = this.stmts.get(sql);
    if (!st) {
      st = this.w.prepare(sql);
      this.stmts.set(sql, st);
    }
    return st;
  }

  private rs(sql: string): StatementSync {
    let st = this.rstmts.get(sql);
    if (!st) {
      st = this.r.prepare(sql);
      this.rstmts.set(sql, st);
    }
    return st;
  }

  // ---- transactions (writer) ----

  begin(): void {
    this.w.exec('BEGIN IMMEDIATE');
    this.inTx = true;
  }

  commit(): void {
    this.w.exec('COMMIT');
    this.inTx = false;
  }

  rollback(): void {
    try {
      this.w.exec('ROLLBACK');
    } finally {
      this.inTx = false;
    }
  }

  get inTransaction(): boolean {
    return this.inTx;
  }

  // ---- writer operations (inside a transaction) ----

  upsertInstance(row: InstanceRow): void {
    this.s(
      `INSERT OR REPLACE INTO instances (id, name, version, execution_id, status, input, output, custom_status,
        created_at, updated_at, parent_id, parent_execution_id, parent_seq, next_seq, action_sig, generation, episodes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      row.id,
      row.name,
      row.version,
      row.execution_id,
      row.status,
      row.input,
      row.output,
      row.custom_status,
      row.created_at,
      row.updated_at,
      row.parent_id,
      row.parent_execution_id,
      row.parent_seq,
      row.next_seq,
      row.action_sig,
      row.generation,
      row.episodes,
    );
  }

  /** Updates an existing row (cheaper than a replace: only index entries whose columns change are touched). */
  updateInstance(row: InstanceRow): void {
    this.s(
      `UPDATE instances SET name = ?, version = ?, execution_id = ?, status = ?, input = ?, output = ?,
        custom_status = ?, updated_at = ?, next_seq = ?, action_sig = ?, generation = ?, episodes = ? WHERE id = ?`,
    ).run(
      row.name,
      row.version,
      row.execution_id,
      row.status,
      row.input,
      row.output,
      row.custom_status,
      row.updated_at,
      row.next_seq,
      row.action_sig,
      row.generation,
      row.episodes,
      row.id,
    );
  }

  appendHistory(instanceId: string, chunk: number, events: string): void {
    this.s('INSERT INTO history (instance_id, chunk, events) VALUES (?, ?, ?)').run(instanceId, chunk, events);
  }

  deleteHistory(instanceId: string): void {
    this.s('DELETE FROM history WHERE instance_id = ?').run(instanceId);
  }

  insertInbox(instanceId: string, executionId: string | null, payload: string, visibleAt: number): number {
    const r = this.s('INSERT INTO inbox (instance_id, execution_id, payload, visible_at) VALUES (?, ?, ?, ?)').run(
      instanceId,
      executionId,
      payload,
      visibleAt,
    );
    return Number(r.lastInsertRowid);
  }

  deleteInbox(id: number): void {
    this.s('DELETE FROM inbox WHERE id = ?').run(id);
  }

  deleteInboxOf(instanceId: string): void {
    this.s('DELETE FROM inbox WHERE instance_id = ?').run(instanceId);
  }

  insertWork(w: Omit<WorkRow, 'id'>): number {
    const r = this.s('INSERT INTO work (instance_id, execution_id, seq, name, input) VALUES (?, ?, ?, ?, ?)').run(
      w.instance_id,
      w.execution_id,
      w.seq,
      w.name,
      w.input,
    );
    return Number(r.lastInsertRowid);
  }

  deleteWork(id: number): void {
    this.s('DELETE FROM work WHERE id = ?').run(id);
  }

  deleteWorkOf(instanceId: string): void {
    this.s('DELETE FROM work WHERE instance_id = ?').run(instanceId);
  }

  deleteInstance(instanceId: string): void {
    this.s('DELETE FROM instances WHERE id = ?').run(instanceId);
    this.deleteHistory(instanceId);
    this.deleteInboxOf(instanceId);
    this.deleteWorkOf(instanceId);
  }

  /** Writer-side read (sees this transaction's writes). */
  getInstanceW(id: string): InstanceRow | undefined {
    return this.s('SELECT * FROM instances WHERE id = ?').get(id) as InstanceRow | undefined;
  }

  // ---- recovery (writer connection, outside transactions) ----

  activeInstances(): InstanceRow[] {
    return this.s(
      `SELECT * FROM instances WHERE status IN ('Pending','Running','Suspended','ContinuedAsNew') ORDER BY created_at, id`,
    ).all() as unknown as InstanceRow[];
  }

  allInbox(): InboxRow[] {
    return this.s('SELECT * FROM inbox ORDER BY id').all() as unknown as InboxRow[];
  }

  allWork(): WorkRow[] {
    return this.s('SELECT * FROM work ORDER BY id').all() as unknown as WorkRow[];
  }

  /** The stored history of one instance as comma-separated event JSON chunks, in order (writer connection). */
  historyChunksW(instanceId: string): string[] {
    const rows = this.s('SELECT events FROM history WHERE instance_id = ? ORDER BY chunk').all(instanceId) as {
      events: string;
    }[];
    return rows.map((r) => r.events);
  }

  // ---- reader operations (committed state only) ----

  getInstance(id: string): InstanceRow | undefined {
    return this.rs('SELECT * FROM instances WHERE id = ?').get(id) as InstanceRow | undefined;
  }

  historyEvents(instanceId: string): Record<string, unknown>[] {
    const rows = this.rs('SELECT events FROM history WHERE instance_id = ? ORDER BY chunk').all(instanceId) as {
      events: string;
    }[];
    if (rows.length === 0) return [];
    return JSON.parse(`[${rows.map((r) => r.events).join(',')}]`) as Record<string, unknown>[];
  }

  list(filter: ListFilter, conn: 'r' | 'w' = 'r'): InstanceRow[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (filter.createdFrom !== undefined) {
      where.push('created_at >= ?');
      params.push(filter.createdFrom);
    }
    if (filter.createdTo !== undefined) {
      where.push('created_at <= ?');
      params.push(filter.createdTo);
    }
    if (filter.statuses && filter.statuses.length > 0) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(',')})`);
      params.push(...filter.statuses);
    }
    if (filter.idPrefix) {
      where.push('substr(id, 1, ?) = ?');
      params.push(filter.idPrefix.length, filter.idPrefix);
    }
    if (filter.after) {
      where.push('(created_at > ? OR (created_at = ? AND id > ?))');
      params.push(filter.after.createdAt, filter.after.createdAt, filter.after.id);
    }
    const sql = `SELECT * FROM instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at, id LIMIT ?`;
    params.push(filter.limit);
    const st = conn === 'r' ? this.rs(sql) : this.s(sql);
    return st.all(...params) as unknown as InstanceRow[];
  }

  countByStatus(): Record<string, number> {
    const rows = this.rs('SELECT status, COUNT(*) AS n FROM instances GROUP BY status').all() as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
