import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  MssqlAdapter,
  MssqlIntrospector,
  MssqlQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

import type { WardenDatabase } from '../../../../shared/metadata/database';

/**
 * A Kysely driver for the MSSQL dialect that records every statement instead of sending it, and answers from a
 * tiny in-memory table store so the store's real code path (read, write, re-read, audit) can run end to end.
 * It understands exactly the statement shapes the store emits; anything else fails the test loudly.
 */
export class RecordingMssqlDriver implements Driver {
  readonly log: string[] = [];
  readonly params: unknown[][] = [];
  readonly tables = new Map<string, Record<string, unknown>[]>();

  async init(): Promise<void> {}
  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve({
      executeQuery: <R>(q: CompiledQuery): Promise<QueryResult<R>> =>
        Promise.resolve(this.execute(q) as QueryResult<R>),
      streamQuery: () => {
        throw new Error('not used');
      },
    });
  }
  beginTransaction(_c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.log.push(`BEGIN TRANSACTION (${settings.isolationLevel ?? 'default'})`);
    return Promise.resolve();
  }
  commitTransaction(): Promise<void> {
    this.log.push('COMMIT');
    return Promise.resolve();
  }
  rollbackTransaction(): Promise<void> {
    this.log.push('ROLLBACK');
    return Promise.resolve();
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}

  private rows(table: string): Record<string, unknown>[] {
    let rows = this.tables.get(table);
    if (!rows) this.tables.set(table, (rows = []));
    return rows;
  }

  private execute(q: CompiledQuery): QueryResult<unknown> {
    const text = q.sql;
    const p = q.parameters;
    this.log.push(text);
    this.params.push([...p]);
    const param = (ref: string) => p[Number(ref.slice(1)) - 1];
    let m: RegExpExecArray | null;
    if (/sp_getapplock/.test(text)) return { rows: [] };
    if ((m = /^insert into "(\w+)" \(([^)]*)\) values \(([^)]*)\)$/.exec(text))) {
      const cols = (m[2] ?? '').split(', ').map((c) => c.slice(1, -1));
      const vals = (m[3] ?? '').split(', ');
      const row: Record<string, unknown> = {};
      cols.forEach((c, k) => (row[c] = param(vals[k] ?? '')));
      this.rows(m[1] ?? '').push(row);
      return { rows: [], numAffectedRows: 1n };
    }
    if (/^select top\(1\) "seq", "hash" from "audit_log" order by "seq" desc$/.test(text)) {
      const rows = this.rows('audit_log');
      return { rows: rows.length ? [rows[rows.length - 1]] : [] };
    }
    if ((m = /^select \* from "(\w+)" where "(\w+)" = (@\d+)$/.exec(text))) {
      const [, table = '', key = '', ref = ''] = m;
      return { rows: this.rows(table).filter((r) => r[key] === param(ref)) };
    }
    if ((m = /^update "(\w+)" set (.*) where "(\w+)" = (@\d+) and "version" = (@\d+)$/.exec(text))) {
      const [, table = '', sets = '', key = '', keyRef = '', versionRef = ''] = m;
      const row = this.rows(table).find((r) => r[key] === param(keyRef) && r.version === param(versionRef));
      if (!row) return { rows: [], numAffectedRows: 0n };
      for (const s of sets.split(', ')) {
        const [col = '', ref = ''] = s.split(' = ');
        row[col.slice(1, -1)] = param(ref);
      }
      return { rows: [], numAffectedRows: 1n };
    }
    if ((m = /^delete from "(\w+)" where "(\w+)" = (@\d+) and "version" = (@\d+)$/.exec(text))) {
      const [, table = '', key = '', keyRef = '', versionRef = ''] = m;
      const rows = this.rows(table);
      const i = rows.findIndex((r) => r[key] === param(keyRef) && r.version === param(versionRef));
      if (i >= 0) rows.splice(i, 1);
      return { rows: [], numAffectedRows: i >= 0 ? 1n : 0n };
    }
    throw new Error(`RecordingMssqlDriver: unexpected statement: ${text}`);
  }
}

/** A Kysely instance with the MSSQL adapter and compiler over {@link RecordingMssqlDriver}. */
export function recordingMssqlKysely(driver: RecordingMssqlDriver): Kysely<WardenDatabase> {
  const dialect: Dialect = {
    createAdapter: () => new MssqlAdapter(),
    createDriver: () => driver,
    createIntrospector: (db) => new MssqlIntrospector(db),
    createQueryCompiler: () => new MssqlQueryCompiler(),
  };
  return new Kysely<WardenDatabase>({ dialect });
}
