import type { StoreBackend } from './store-backend';

/** A message that can never succeed, kept with its reason instead of being lost. */
export interface PoisonMessage {
  readonly source: string;
  readonly messageId: string | null;
  readonly reason: string;
  /** The payload as received (text). Never put secret values here; payloads of Warden's queues carry none. */
  readonly body: string | null;
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
            reason: message.reason,
            body: message.body,
            received_at: this.now().toISOString(),
          })
          .execute(),
      { auditLock: false },
    );
  }

  async listPoison(limit = 100): Promise<(PoisonMessage & { id: number; receivedAt: string })[]> {
    let q = this.backend.db.selectFrom('poison_messages').selectAll().orderBy('id', 'desc');
    q = this.backend.kind === 'mssql' ? q.top(limit) : q.limit(limit);
    return (await q.execute()).map((r) => ({
      id: Number(r.id),
      source: String(r.source),
      messageId: r.message_id === null ? null : String(r.message_id),
      reason: String(r.reason),
      body: r.body === null ? null : String(r.body),
      receivedAt: String(r.received_at),
    }));
  }
}
