/**
 * The Log Analytics query API (§5.2) as `LogsQueryClient.queryWorkspace` (@azure/monitor-query-logs 1.0.0) calls it
 * on the origin named `api.loganalytics.io`: `POST /v1/workspaces/{id}/query` (and without `/v1`, which the client
 * drops when given an endpoint). The emulator runs no KQL: it answers only the queries registered through the
 * admin API (or the world's `azure.logQueries`), matched by their text with whitespace collapsed, and refuses
 * anything else with 400 `BadArgumentError`.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { armError } from '../core/errors';
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from '../core/module';

export const LOGS_AUDIENCES = ['https://api.loganalytics.io', 'https://api.loganalytics.io/'];
const COLUMN_TYPES = ['bool', 'datetime', 'dynamic', 'int', 'long', 'real', 'string', 'guid', 'decimal', 'timespan'];

export interface LogTable {
  name: string;
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
}

export interface RegisteredQuery {
  id: string;
  query: string;
  /** Workspace (customer) id the answer is for; undefined = any workspace. */
  workspaceId?: string;
  tables: LogTable[];
}

export function normalizeQuery(q: string): string {
  return q.replace(/\s+/g, ' ').trim();
}

/** Validates a registration `{query, tables, workspaceId?}`; returns the reason it is refused. */
export function validateRegistration(body: unknown): string | RegisteredQuery {
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (!b) return 'The body must be {query, tables, workspaceId?}.';
  if (typeof b.query !== 'string' || !b.query.trim()) return "'query' is required (the KQL text the app sends).";
  if (b.workspaceId !== undefined && (typeof b.workspaceId !== 'string' || !b.workspaceId)) {
    return "'workspaceId' must be a string.";
  }
  if (!Array.isArray(b.tables) || b.tables.length === 0) return "'tables' must be a non-empty array.";
  for (const [i, raw] of b.tables.entries()) {
    const t = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    if (typeof t.name !== 'string' || !t.name) return `tables[${i}].name is required.`;
    if (!Array.isArray(t.columns) || t.columns.length === 0) return `tables[${i}].columns must be a non-empty array.`;
    for (const [j, c] of t.columns.entries()) {
      const col = c && typeof c === 'object' ? (c as Record<string, unknown>) : {};
      if (typeof col.name !== 'string' || !COLUMN_TYPES.includes(String(col.type))) {
        return `tables[${i}].columns[${j}] needs a name and a type (${COLUMN_TYPES.join(', ')}).`;
      }
    }
    if (
      !Array.isArray(t.rows) ||
      !t.rows.every((r) => Array.isArray(r) && r.length === (t.columns as unknown[]).length)
    ) {
      return `tables[${i}].rows must be arrays with one cell per column.`;
    }
  }
  return {
    id: randomUUID(),
    query: b.query,
    ...(typeof b.workspaceId === 'string' ? { workspaceId: b.workspaceId } : {}),
    tables: b.tables as LogTable[],
  };
}

export class LogQueryStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS monitor_log_queries (
      id TEXT PRIMARY KEY, query_norm TEXT NOT NULL, query TEXT NOT NULL, workspace_id TEXT, tables TEXT NOT NULL)`);
  }

  register(q: RegisteredQuery): void {
    const norm = normalizeQuery(q.query);
    this.db
      .prepare("DELETE FROM monitor_log_queries WHERE query_norm = ? AND coalesce(workspace_id, '') = ?")
      .run(norm, q.workspaceId ?? '');
    this.db
      .prepare('INSERT INTO monitor_log_queries (id, query_norm, query, workspace_id, tables) VALUES (?, ?, ?, ?, ?)')
      .run(q.id, norm, q.query, q.workspaceId ?? null, JSON.stringify(q.tables));
  }

  list(): RegisteredQuery[] {
    return (
      this.db.prepare('SELECT * FROM monitor_log_queries ORDER BY rowid').all() as Array<Record<string, unknown>>
    ).map((r) => ({
      id: String(r.id),
      query: String(r.query),
      ...(r.workspace_id ? { workspaceId: r.workspace_id as string } : {}),
      tables: JSON.parse(String(r.tables)) as LogTable[],
    }));
  }

  clear(): void {
    this.db.exec('DELETE FROM monitor_log_queries');
  }

  /** The answer for a query on a workspace: a workspace-specific registration first, then a general one. */
  find(query: string, workspaceId: string): RegisteredQuery | undefined {
    const norm = normalizeQuery(query);
    return this.list()
      .filter((q) => normalizeQuery(q.query) === norm)
      .filter((q) => q.workspaceId === undefined || q.workspaceId.toLowerCase() === workspaceId.toLowerCase())
      .sort((a, b) => Number(b.workspaceId !== undefined) - Number(a.workspaceId !== undefined))[0];
  }
}

/** `POST [/v1]/workspaces/{id}/query`. */
export function queryWorkspace(ctx: EmulatorContext, store: LogQueryStore, req: EmulatorRequest): EmulatorResponse {
  ctx.authenticate(req, LOGS_AUDIENCES);
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  if (typeof body.query !== 'string' || !body.query.trim()) {
    throw armError(400, 'BadArgumentError', "The request had some invalid properties: 'query' is required.");
  }
  if (body.timespan !== undefined && typeof body.timespan !== 'string') {
    throw armError(400, 'BadArgumentError', "'timespan' must be an ISO 8601 duration or interval.");
  }
  const hit = store.find(body.query, req.params.workspace ?? '');
  if (!hit) {
    ctx.log('monitor.logs.query.unregistered', { workspace: req.params.workspace });
    throw armError(
      400,
      'BadArgumentError',
      'The local Azure emulator runs no KQL: it answers only queries registered with POST /admin/monitor/log-queries ' +
        '(or the world file). This query is not registered.',
    );
  }
  return { status: 200, body: { tables: hit.tables } };
}
