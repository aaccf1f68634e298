import { redactSecrets } from '../domain/redact-secrets';
import { columnText } from './database';
import type { StoreBackend } from './store-backend';

/** A message that can never succeed, kept with its reason instead of being lost. */
export interface PoisonMessage {
  readonly source: string;
  readonly messageId: string | null;
  readonly reason: string;
  /**
   * The payload as received (text). Payloads of Warden's queues and events carry no secret values, but an invalid one
   * comes from whoever could send it: {@link EventReceipts.recordPoison} redacts credential-looking values before
   * storing it.
   */
  readonly body: string | null;
}

/** A stored poison message: its id (ascending in recording order) and when it was recorded. */
export interface PoisonRecord extends PoisonMessage {
  readonly id: number;
  readonly receivedAt: string;
}

/** Filters and position of a poison listing (newest first). */
export interface PoisonQuery {
  /** Exact source (`servicebus:warden-commands`, `eventgrid:keyvault`, `monitor:alert-webhook`, …). */
  readonly source?: string;
  /** Only messages recorded at or after this instant (ISO 8601). */
  readonly since?: string;
  /** Only messages with a smaller id (the continuation: the last id of the previous page). */
  readonly beforeId?: number;
  /** How many to return (at most). */
  readonly top: number;
}

/** Dedupe of at-least-once deliveries (Event Grid, Service Bus) and the poison-message record. */
export class EventReceipts {
  constructor(
    private readonly backend: StoreBackend,
    private readonly now: () => Date,
  ) {}

  /**
   * Records that an event was received. Returns true the first time an id is seen, false for a redelivery; the
   * insert is atomic (primary key), so two concurrent deliveries cannot both win.
   */
  async firstReceipt(eventId: string, source: string): Promise<boolean> {
    try {
      await this.backend.write(
        (trx) =>
          trx
            .insertInto('event_receipts')
            .values({ event_id: eventId, source, received_at: this.now().toISOString() })
            .execute(),
        { auditLock: false },
      );
      return true;
    } catch (error) {
      if (this.backend.isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * Gives a receipt back: the handler that took it could not act on the event (a transient failure it rethrows), so the
   * redelivery the source will make must be processed, not deduped. Only the handler that won {@link firstReceipt}
   * calls this, before it rethrows.
   */
  async forgetReceipt(eventId: string, source: string): Promise<void> {
    await this.backend.write(
      (trx) => trx.deleteFrom('event_receipts').where('event_id', '=', eventId).where('source', '=', source).execute(),
      { auditLock: false },
    );
  }

  /**
   * Takes the event's receipt and runs `handle`; a redelivery of an event already handled gets `undefined` and runs
   * nothing. When `handle` throws (a transient failure the caller lets reach the source, which redelivers), the
   * receipt is given back first, so the redelivery is processed rather than deduped. (If giving it back fails too, the
   * handler's error still goes out; the sweeps are the safety net for that double failure.)
   */
  async handleOnce<T>(
    eventId: string,
    source: string,
    handle: () => Promise<T>,
  ): Promise<{ readonly value: T } | undefined> {
    if (!(await this.firstReceipt(eventId, source))) return undefined;
    try {
      return { value: await handle() };
    } catch (error) {
      await this.forgetReceipt(eventId, source).catch(() => undefined);
      throw error;
    }
  }

  async recordPoison(message: PoisonMessage): Promise<void> {
    await this.backend.write(
      (trx) =>
        trx
          .insertInto('poison_messages')
          .values({
            source: message.source,
            message_id: message.messageId,
            reason: redactSecrets(message.reason),
            body: message.body === null ? null : redactSecrets(message.body),
            received_at: this.now().toISOString(),
          })
          .execute(),
      { auditLock: false },
    );
  }

  async listPoison(limit = 100): Promise<PoisonRecord[]> {
    return this.queryPoison({ top: limit });
  }

  /**
   * Poison messages newest first (by id, which grows in recording order), filtered by exact source and a lower bound on
   * the recording time, from below `beforeId`. The rows are append-only (the app may only insert), so paging by id is
   * stable: a page never repeats or skips a row when more are recorded meanwhile.
   */
  async queryPoison(query: PoisonQuery): Promise<PoisonRecord[]> {
    let q = this.backend.db.selectFrom('poison_messages').selectAll();
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    if (query.source !== undefined) q = q.where('source', '=', query.source);
    // received_at is written as toISOString() text, so an instant in the same form compares in time order.
    if (query.since !== undefined) q = q.where('received_at', '>=', new Date(query.since).toISOString());
    q = q.orderBy('id', 'desc');
    q = this.backend.kind === 'mssql' ? q.top(query.top) : q.limit(query.top);
    return (await q.execute()).map(toPoisonRecord);
  }

  /** One poison message by id (undefined when there is none). */
  async getPoison(id: number): Promise<PoisonRecord | undefined> {
    const [row] = await this.backend.db.selectFrom('poison_messages').selectAll().where('id', '=', id).execute();
    return row === undefined ? undefined : toPoisonRecord(row);
  }
}

function toPoisonRecord(r: Record<string, unknown>): PoisonRecord {
  return {
    id: Number(r.id),
    source: columnText(r.source),
    messageId: r.message_id === null || r.message_id === undefined ? null : columnText(r.message_id),
    reason: columnText(r.reason),
    body: r.body === null || r.body === undefined ? null : columnText(r.body),
    receivedAt: columnText(r.received_at),
  };
}
