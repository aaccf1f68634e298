import { sql } from 'kysely';

import { ValidationError } from '../../domain/errors';
import { ActorSchema } from '../../domain/primitives/fields';
import { columnText, type ColumnValue, type WardenDb } from '../database';
import type { StoreBackend } from '../store-backend';
import { type AuditAppend, type AuditChainVerdict, type AuditEntry, auditHash, GENESIS_HASH } from './audit-entry';

const PAGE = 500;

function parseJson(text: unknown): unknown {
  return text === null || text === undefined ? null : (JSON.parse(columnText(text)) as unknown);
}

function toEntry(row: Record<string, unknown>): AuditEntry {
  return {
    seq: Number(row.seq),
    at: columnText(row.at),
    actor: columnText(row.actor),
    action: columnText(row.action),
    target: columnText(row.target),
    before: parseJson(row.before),
    after: parseJson(row.after),
    reason: row.reason === null || row.reason === undefined ? null : columnText(row.reason),
    correlation_id:
      row.correlation_id === null || row.correlation_id === undefined ? null : columnText(row.correlation_id),
    prev_hash: columnText(row.prev_hash),
    hash: columnText(row.hash),
  };
}

/**
 * The append-only, hash-chained audit log. Every append happens inside a backend write transaction (which holds
 * the chain lock), reads the head, and inserts `seq = head.seq + 1` with `prev_hash = head.hash`.
 */
export class AuditLog {
  constructor(
    private readonly backend: StoreBackend,
    private readonly now: () => Date,
  ) {}

  /** Appends one entry in its own transaction. */
  async append(entry: AuditAppend): Promise<AuditEntry> {
    return this.backend.write((trx) => this.appendIn(trx, entry));
  }

  /**
   * Appends inside a transaction opened by {@link StoreBackend.write} (which serialises appends). The store uses
   * this so a metadata write and its audit entry commit together.
   */
  async appendIn(trx: WardenDb, entry: AuditAppend): Promise<AuditEntry> {
    const actor = ActorSchema.safeParse(entry.actor);
    if (!actor.success)
      throw new ValidationError('audit entry', [
        { path: 'actor', message: actor.error.issues[0]?.message ?? 'invalid' },
      ]);
    const head = await this.headIn(trx);
    const content = {
      seq: (head?.seq ?? 0) + 1,
      at: this.now().toISOString(),
      actor: actor.data,
      action: entry.action,
      target: entry.target,
      before: entry.before ?? null,
      after: entry.after ?? null,
      reason: entry.reason ?? null,
      correlation_id: entry.correlationId ?? null,
    };
    const prev_hash = head?.hash ?? GENESIS_HASH;
    const hash = auditHash(prev_hash, content);
    const row: Record<string, ColumnValue> = {
      ...content,
      before: content.before === null ? null : JSON.stringify(content.before),
      after: content.after === null ? null : JSON.stringify(content.after),
      prev_hash,
      hash,
    };
    await trx.insertInto('audit_log').values(row).execute();
    return { ...content, prev_hash, hash };
  }

  /** The newest entry's seq and hash (undefined for an empty log). */
  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.headIn(this.backend.db);
  }

  private async headIn(db: WardenDb): Promise<{ seq: number; hash: string } | undefined> {
    let q = db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc');
    q = this.backend.kind === 'mssql' ? q.top(1) : q.limit(1);
    const row = await q.executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: columnText(row.hash) } : undefined;
  }

  /** Entries in seq order, optionally for one target or correlation id. */
  async list(
    filter: { fromSeq?: number; limit?: number; target?: string; correlationId?: string } = {},
  ): Promise<AuditEntry[]> {
    let q = this.backend.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', filter.fromSeq ?? 1)
      .orderBy('seq', 'asc');
    if (filter.target !== undefined) q = q.where('target', '=', filter.target);
    if (filter.correlationId !== undefined) q = q.where('correlation_id', '=', filter.correlationId);
    const limit = filter.limit ?? 1000;
    q = this.backend.kind === 'mssql' ? q.top(limit) : q.limit(limit);
    return (await q.execute()).map(toEntry);
  }

  /**
   * When the given drifts were reverted on one target since a time: the `at` and `after.driftKey` of the entries of
   * one action whose drift key is one of `driftKeys`, in no particular order — what fight detection reads for the
   * drifts a plan is about to revert (bounded: the breaker stops reverting a drift after a few reverts in a window).
   * On SQLite the drift key is indexed with the action (an expression index), so the read seeks those keys instead
   * of scanning the thousands of one-off reverts a busy target accumulates in a window; no ORDER BY/LIMIT, with which
   * SQLite's planner prefers the target index. On Azure SQL (action, at) bounds it to the window.
   */
  async driftReverts(filter: {
    readonly target: string;
    readonly action: string;
    readonly since: string;
    readonly driftKeys: readonly string[];
  }): Promise<{ readonly at: string; readonly driftKey: string }[]> {
    if (filter.driftKeys.length === 0) return [];
    // The expression exactly as the index declares it (a literal path, not a parameter), or the index is not used.
    const driftKey =
      this.backend.kind === 'mssql'
        ? sql<string>`JSON_VALUE(${sql.ref('after')}, '$.driftKey')`
        : sql<string>`json_extract(${sql.ref('after')}, '$.driftKey')`;
    const rows = await this.backend.db
      .selectFrom('audit_log')
      .select(['at', driftKey.as('drift_key')])
      .where('action', '=', filter.action)
      .where(driftKey, 'in', [...new Set(filter.driftKeys)])
      .where('at', '>=', filter.since)
      .where('target', '=', filter.target)
      .execute();
    return rows.map((r) => ({ at: columnText(r.at), driftKey: columnText(r.drift_key) }));
  }

  /**
   * Walks the whole chain in seq order and names the first entry that does not hold: a seq gap, a `prev_hash` that
   * is not the previous entry's hash, or a `hash` that is not SHA-256 over `prev_hash` + the entry's canonical JSON.
   */
  async verify(): Promise<AuditChainVerdict> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let entries = 0;
    for (;;) {
      const page = await this.list({ fromSeq: expectedSeq, limit: PAGE });
      for (const e of page) {
        if (e.seq !== expectedSeq)
          return {
            ok: false,
            entries,
            firstBadSeq: expectedSeq,
            problem: `entry ${expectedSeq} is missing (next is ${e.seq})`,
          };
        if (e.prev_hash !== prevHash)
          return {
            ok: false,
            entries,
            firstBadSeq: e.seq,
            problem: `entry ${e.seq}'s prev_hash does not match entry ${e.seq - 1}'s hash`,
          };
        if (auditHash(e.prev_hash, e) !== e.hash)
          return {
            ok: false,
            entries,
            firstBadSeq: e.seq,
            problem: `entry ${e.seq}'s content does not match its hash (altered)`,
          };
        prevHash = e.hash;
        expectedSeq += 1;
        entries += 1;
      }
      if (page.length < PAGE) break;
    }
    return { ok: true, entries, headSeq: expectedSeq - 1, headHash: prevHash };
  }
}
