import { sql } from 'kysely';

import { NOTIFICATION_TYPES } from '../../cloud/ports/notifier';
import type { AuditEntry } from '../../metadata/audit/audit-entry';
import { columnText } from '../../metadata/database';
import type { ApiServices } from '../api-services';
import { decodeContinuation, DEFAULT_PAGE_SIZE, encodeContinuation, type Page } from '../paging';

/** Filters of an audit query. `actor` matches the exact actor or, for an object id, every actor string it starts. */
export interface AuditQuery {
  readonly target?: string;
  readonly actor?: string;
  readonly correlationId?: string;
  readonly action?: string;
  /** ISO instants, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly continuationToken?: string;
}

function parseJson(text: unknown): unknown {
  return text === null || text === undefined ? null : (JSON.parse(columnText(text)) as unknown);
}

function toEntry(row: Record<string, unknown>): AuditEntry {
  const opt = (v: unknown): string | null => (v === null || v === undefined ? null : columnText(v));
  return {
    seq: Number(row.seq),
    at: columnText(row.at),
    actor: columnText(row.actor),
    action: columnText(row.action),
    target: columnText(row.target),
    before: parseJson(row.before),
    after: parseJson(row.after),
    reason: opt(row.reason),
    correlation_id: opt(row.correlation_id),
    prev_hash: columnText(row.prev_hash),
    hash: columnText(row.hash),
  };
}

/**
 * Audit entries in seq order matching the filters, one page at a time (the store's own list has no actor or time
 * filters, so this reads the table through the store's Kysely handle; values are always bound parameters).
 */
export async function queryAudit(services: ApiServices, query: AuditQuery): Promise<Page<AuditEntry>> {
  const after = decodeContinuation<number>('audit', query.continuationToken, 'number') ?? 0;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const backend = services.store.backend;
  let q = backend.db.selectFrom('audit_log').selectAll().where('seq', '>', after);
  if (query.target !== undefined) q = q.where('target', '=', query.target);
  if (query.correlationId !== undefined) q = q.where('correlation_id', '=', query.correlationId);
  if (query.action !== undefined) q = q.where('action', '=', query.action);
  if (query.from !== undefined) q = q.where('at', '>=', query.from);
  if (query.to !== undefined) q = q.where('at', '<=', query.to);
  const actor = query.actor;
  if (actor !== undefined) {
    const prefix = `${actor.replace(/[\\%_]/g, (c) => `\\${c}`)} (%`;
    q = q.where((eb) => eb.or([eb('actor', '=', actor), sql<boolean>`actor like ${prefix} escape '\\'`]));
  }
  q = q.orderBy('seq', 'asc');
  q = backend.kind === 'mssql' ? q.top(limit + 1) : q.limit(limit + 1);
  const rows = (await q.execute()).map(toEntry);
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items, continuationToken: encodeContinuation('audit', last.seq) } : { items };
}

/**
 * Publishes the audit chain head (seq and hash) as a notification, so a rewrite of the whole table is detectable
 * outside the database. Returns the head published (undefined for an empty log).
 */
export async function publishAuditHead(
  services: ApiServices,
  correlationId: string,
): Promise<{ seq: number; hash: string } | undefined> {
  const head = await services.store.audit.head();
  if (!head) return undefined;
  await services.notifier.publish([
    {
      type: NOTIFICATION_TYPES.auditChainHead,
      subject: 'audit/head',
      data: { seq: head.seq, hash: head.hash, observedAt: services.clock.now().toISOString() },
      correlationId,
    },
  ]);
  return head;
}
