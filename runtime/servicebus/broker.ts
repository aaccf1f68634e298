import { randomUUID } from 'node:crypto';
import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';

import type { Clock } from '../clock/shared-clock';
import { inTransaction } from '../state/state-db';

/** A message as a sender gives it (output binding or admin API). */
export interface OutgoingMessage {
  body: Uint8Array;
  /** Whether the body is text (delivered as `{string}`) or binary (`{bytes}`). */
  bodyIsText: boolean;
  messageId?: string;
  sessionId?: string;
  contentType?: string;
  correlationId?: string;
  subject?: string;
  replyTo?: string;
  replyToSessionId?: string;
  to?: string;
  applicationProperties?: Record<string, unknown>;
  /** Shared-clock ms at which the message becomes visible (ScheduledEnqueueTimeUtc). */
  scheduledEnqueueTimeMs?: number;
}

/** A message locked for one receiver (peek-lock). */
export interface LockedMessage {
  sequenceNumber: number;
  entity: string;
  messageId: string;
  sessionId: string | undefined;
  body: Uint8Array;
  bodyIsText: boolean;
  contentType: string | undefined;
  correlationId: string | undefined;
  subject: string | undefined;
  replyTo: string | undefined;
  replyToSessionId: string | undefined;
  to: string | undefined;
  applicationProperties: Record<string, unknown>;
  enqueuedTimeMs: number;
  scheduledEnqueueTimeMs: number | undefined;
  deliveryCount: number;
  lockToken: string;
  /** Real-time ms at which the lock expires. */
  lockedUntilMs: number;
}

export interface EntityInfo {
  name: string;
  kind: 'queue' | 'topic' | 'subscription';
  /** For a subscription: its topic. */
  topic: string | undefined;
  requiresSession: boolean;
}

export interface EntityCounts extends EntityInfo {
  activeMessageCount: number;
  scheduledMessageCount: number;
  lockedMessageCount: number;
  deadLetterMessageCount: number;
}

export interface DeadLetteredMessage {
  sequenceNumber: number;
  messageId: string;
  sessionId: string | undefined;
  body: Uint8Array;
  bodyIsText: boolean;
  contentType: string | undefined;
  applicationProperties: Record<string, unknown>;
  deliveryCount: number;
  enqueuedTimeMs: number;
  deadLetterReason: string | undefined;
  deadLetterErrorDescription: string | undefined;
  deadLetterSource: string | undefined;
  deadLetteredTimeMs: number | undefined;
}

export interface BrokerSettings {
  /** Peek-lock duration in real-time ms (Service Bus entity LockDuration; default 60 s). */
  lockDurationMs: number;
  /** Deliveries after which a message is dead-lettered (MaxDeliveryCount; default 10). */
  maxDeliveryCount: number;
}

export class EntityNotFoundError extends Error {
  override readonly name = 'EntityNotFoundError';
  readonly code = 'MessagingEntityNotFound';
}

export class SessionRequiredError extends Error {
  override readonly name = 'SessionRequiredError';
  readonly code = 'InvalidOperation';
}

type Row = Record<string, SQLOutputValue>;

/** The subscription entity path, as Service Bus names it: `<topic>/Subscriptions/<subscription>`. */
export function subscriptionPath(topic: string, subscription: string): string {
  return `${topic}/subscriptions/${subscription}`.toLowerCase();
}

/**
 * The embedded Service Bus broker: queues, topics and subscriptions with peek-lock, delivery counts, dead-lettering,
 * sessions and scheduled messages, in one SQLite file.
 *
 * @remarks
 * Entity names are case-insensitive (as in Service Bus) and kept lower-case. Times: enqueue and scheduled times are
 * on the shared clock (so advancing it releases scheduled messages); lock expiry is real time, because a lock measures
 * whether a running handler is still alive — advancing the simulated clock by a day must not steal the messages of
 * running handlers. Every state change is one transaction, committed before the caller acts (acknowledges a send,
 * invokes a function), so `kill -9` loses nothing acknowledged; a message locked by a dead process becomes visible
 * again when its lock expires, and its next delivery counts one more. Delivery count is incremented on every
 * receive; a message available again after `maxDeliveryCount` deliveries is dead-lettered with reason
 * `MaxDeliveryCountExceeded` instead of being delivered.
 */
export class ServiceBusBroker {
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly db: DatabaseSync,
    private readonly clock: Clock,
    readonly settings: BrokerSettings,
    /** Real time for locks (injectable for tests). */
    private readonly realNow: () => number = () => Date.now(),
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS sb_entities (
        name TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT, requires_session INTEGER NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS sb_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, message_id TEXT NOT NULL, session_id TEXT,
        body BLOB NOT NULL, body_is_text INTEGER NOT NULL, content_type TEXT, correlation_id TEXT, subject TEXT,
        reply_to TEXT, reply_to_session_id TEXT, to_address TEXT, application_properties TEXT NOT NULL,
        enqueued_at INTEGER NOT NULL, scheduled_at INTEGER, available_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'active', delivery_count INTEGER NOT NULL DEFAULT 0,
        lock_token TEXT, locked_until INTEGER,
        dead_letter_reason TEXT, dead_letter_description TEXT, dead_letter_source TEXT, dead_lettered_at INTEGER);
      CREATE INDEX IF NOT EXISTS sb_messages_ready ON sb_messages (entity, state, seq);
      CREATE INDEX IF NOT EXISTS sb_messages_lock ON sb_messages (lock_token);
      CREATE TABLE IF NOT EXISTS sb_sessions (
        entity TEXT NOT NULL, session_id TEXT NOT NULL, lock_token TEXT NOT NULL, locked_until INTEGER NOT NULL,
        PRIMARY KEY (entity, session_id));
    `);
  }

  /** Called (asynchronously) whenever messages may have become available (send, abandon, session release). */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  // ---- entities -------------------------------------------------------------------------------------------------

  entity(name: string): EntityInfo | undefined {
    const row = this.db.prepare('SELECT * FROM sb_entities WHERE name = ?').get(name.toLowerCase());
    return row ? toEntity(row) : undefined;
  }

  entities(): EntityInfo[] {
    return (this.db.prepare('SELECT * FROM sb_entities ORDER BY name').all() as Row[]).map(toEntity);
  }

  /**
   * Creates a queue if missing. With `requiresSession` given (a trigger), a requirement that differs is updated (local
   * state follows the app); without (an output binding), an existing queue is left as it is.
   */
  ensureQueue(name: string, requiresSession?: boolean): EntityInfo {
    return this.ensure(name.toLowerCase(), 'queue', undefined, requiresSession);
  }

  ensureTopic(name: string): EntityInfo {
    return this.ensure(name.toLowerCase(), 'topic', undefined, false);
  }

  ensureSubscription(topic: string, subscription: string, requiresSession = false): EntityInfo {
    this.ensureTopic(topic);
    return this.ensure(subscriptionPath(topic, subscription), 'subscription', topic.toLowerCase(), requiresSession);
  }

  private ensure(
    name: string,
    kind: EntityInfo['kind'],
    topic: string | undefined,
    requiresSession: boolean | undefined,
  ): EntityInfo {
    return inTransaction(this.db, () => {
      const existing = this.entity(name);
      if (existing) {
        if (existing.kind !== kind) {
          throw new Error(`The Service Bus entity "${name}" already exists as a ${existing.kind}, not a ${kind}.`);
        }
        if (kind !== 'topic' && requiresSession !== undefined && existing.requiresSession !== requiresSession) {
          this.db
            .prepare('UPDATE sb_entities SET requires_session = ? WHERE name = ?')
            .run(requiresSession ? 1 : 0, name);
          return { ...existing, requiresSession };
        }
        return existing;
      }
      this.db
        .prepare('INSERT INTO sb_entities (name, kind, topic, requires_session, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, kind, topic ?? null, requiresSession ? 1 : 0, this.clock.now());
      return { name, kind, topic, requiresSession: requiresSession === true };
    });
  }

  // ---- sending --------------------------------------------------------------------------------------------------

  /**
   * Sends messages to a queue or topic (a topic copies each to every subscription; with none, it is dropped, as in
   * Service Bus). All-or-nothing; committed when this returns.
   *
   * @returns the sequence numbers assigned (one per copy).
   * @throws EntityNotFoundError, SessionRequiredError (a session-enabled target needs a SessionId).
   */
  send(entityName: string, messages: readonly OutgoingMessage[]): number[] {
    const entity = this.entity(entityName);
    if (!entity || entity.kind === 'subscription') {
      throw new EntityNotFoundError(`The Service Bus queue or topic "${entityName}" does not exist.`);
    }
    const targets =
      entity.kind === 'queue'
        ? [entity]
        : this.entities().filter((e) => e.kind === 'subscription' && e.topic === entity.name);
    for (const target of targets) {
      if (target.requiresSession && messages.some((m) => !m.sessionId)) {
        throw new SessionRequiredError(
          `The SessionId was not set on a message, and it cannot be sent to "${target.name}": session-enabled entities only accept messages with a SessionId.`,
        );
      }
    }
    const now = this.clock.now();
    const seqs = inTransaction(this.db, () => {
      const insert = this.db.prepare(
        `INSERT INTO sb_messages (entity, message_id, session_id, body, body_is_text, content_type, correlation_id,
           subject, reply_to, reply_to_session_id, to_address, application_properties, enqueued_at, scheduled_at, available_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const out: number[] = [];
      for (const m of messages) {
        const messageId = m.messageId ?? randomUUID().replace(/-/g, '');
        const scheduled =
          m.scheduledEnqueueTimeMs !== undefined && m.scheduledEnqueueTimeMs > now
            ? m.scheduledEnqueueTimeMs
            : undefined;
        for (const target of targets) {
          const r = insert.run(
            target.name,
            messageId,
            m.sessionId ?? null,
            m.body,
            m.bodyIsText ? 1 : 0,
            m.contentType ?? null,
            m.correlationId ?? null,
            m.subject ?? null,
            m.replyTo ?? null,
            m.replyToSessionId ?? null,
            m.to ?? null,
            JSON.stringify(m.applicationProperties ?? {}),
            now,
            scheduled ?? null,
            scheduled ?? now,
          );
          out.push(Number(r.lastInsertRowid));
        }
      }
      return out;
    });
    this.emit();
    return seqs;
  }

  // ---- receiving ------------------------------------------------------------------------------------------------

  /** Locks up to `max` available messages of a non-session entity, in sequence order. */
  receive(entityName: string, max: number): LockedMessage[] {
    if (this.closed) return [];
    const entity = entityName.toLowerCase();
    return inTransaction(this.db, () => {
      const clockNow = this.clock.now();
      const realNow = this.realNow();
      this.deadLetterExhausted(entity, undefined, clockNow, realNow);
      const rows = this.db
        .prepare(
          `SELECT * FROM sb_messages WHERE entity = ? AND state = 'active' AND available_at <= ?
             AND (locked_until IS NULL OR locked_until <= ?) ORDER BY seq LIMIT ?`,
        )
        .all(entity, clockNow, realNow, max) as Row[];
      return rows.map((row) => this.lock(row, realNow + this.settings.lockDurationMs));
    });
  }

  /**
   * Accepts the session holding the oldest available message whose session no other receiver holds, or undefined.
   * Message locks left in that session (by a receiver whose session lock expired) are void from now on.
   */
  acceptSession(entityName: string): { sessionId: string; lockToken: string; lockedUntilMs: number } | undefined {
    if (this.closed) return undefined;
    const entity = entityName.toLowerCase();
    return inTransaction(this.db, () => {
      const clockNow = this.clock.now();
      const realNow = this.realNow();
      const row = this.db
        .prepare(
          `SELECT m.session_id AS sid FROM sb_messages m
             LEFT JOIN sb_sessions s ON s.entity = m.entity AND s.session_id = m.session_id
           WHERE m.entity = ? AND m.state = 'active' AND m.session_id IS NOT NULL AND m.available_at <= ?
             AND (s.locked_until IS NULL OR s.locked_until <= ?)
           ORDER BY m.seq LIMIT 1`,
        )
        .get(entity, clockNow, realNow) as { sid: string } | undefined;
      if (!row) return undefined;
      const lockToken = randomUUID();
      const lockedUntilMs = realNow + this.settings.lockDurationMs;
      this.db
        .prepare(
          `INSERT INTO sb_sessions (entity, session_id, lock_token, locked_until) VALUES (?, ?, ?, ?)
           ON CONFLICT (entity, session_id) DO UPDATE SET lock_token = excluded.lock_token, locked_until = excluded.locked_until`,
        )
        .run(entity, row.sid, lockToken, lockedUntilMs);
      this.db
        .prepare(
          `UPDATE sb_messages SET lock_token = NULL, locked_until = NULL WHERE entity = ? AND session_id = ? AND state = 'active'`,
        )
        .run(entity, row.sid);
      return { sessionId: row.sid, lockToken, lockedUntilMs };
    });
  }

  /**
   * Locks up to `max` of the session's available messages in sequence order (none while one is still locked, so a
   * session is processed strictly in order). Throws when the session lock was lost.
   */
  receiveFromSession(entityName: string, sessionId: string, sessionLockToken: string, max: number): LockedMessage[] {
    if (this.closed) return [];
    const entity = entityName.toLowerCase();
    return inTransaction(this.db, () => {
      const clockNow = this.clock.now();
      const realNow = this.realNow();
      const session = this.db
        .prepare('SELECT lock_token, locked_until FROM sb_sessions WHERE entity = ? AND session_id = ?')
        .get(entity, sessionId) as { lock_token: string; locked_until: number } | undefined;
      if (!session || session.lock_token !== sessionLockToken || session.locked_until <= realNow) {
        throw new Error(`The session lock of "${sessionId}" on "${entity}" was lost.`);
      }
      this.deadLetterExhausted(entity, sessionId, clockNow, realNow);
      const inFlight = this.db
        .prepare(
          `SELECT 1 AS x FROM sb_messages WHERE entity = ? AND session_id = ? AND state = 'active' AND locked_until > ? LIMIT 1`,
        )
        .get(entity, sessionId, realNow);
      if (inFlight) return [];
      const rows = this.db
        .prepare(
          `SELECT * FROM sb_messages WHERE entity = ? AND session_id = ? AND state = 'active' AND available_at <= ?
           ORDER BY seq LIMIT ?`,
        )
        .all(entity, sessionId, clockNow, max) as Row[];
      return rows.map((row) => this.lock(row, Number(session.locked_until)));
    });
  }

  /** Extends message locks (and the session lock) that are still held; returns how many message locks were renewed. */
  renewLocks(
    lockTokens: readonly string[],
    session?: { entity: string; sessionId: string; lockToken: string },
  ): number {
    if (this.closed) return 0;
    return inTransaction(this.db, () => {
      const realNow = this.realNow();
      const until = realNow + this.settings.lockDurationMs;
      if (session) {
        const r = this.db
          .prepare(
            'UPDATE sb_sessions SET locked_until = ? WHERE entity = ? AND session_id = ? AND lock_token = ? AND locked_until > ?',
          )
          .run(until, session.entity.toLowerCase(), session.sessionId, session.lockToken, realNow);
        if (Number(r.changes) === 0) return 0;
      }
      const renew = this.db.prepare(
        `UPDATE sb_messages SET locked_until = ? WHERE lock_token = ? AND state = 'active' AND locked_until > ?`,
      );
      let renewed = 0;
      for (const token of lockTokens) renewed += Number(renew.run(until, token, realNow).changes);
      return renewed;
    });
  }

  /** Completes (removes) locked messages; returns the lock tokens whose lock was lost (expired or taken over). */
  complete(lockTokens: readonly string[]): string[] {
    if (this.closed) return [...lockTokens];
    return inTransaction(this.db, () => {
      const realNow = this.realNow();
      const del = this.db.prepare(
        `DELETE FROM sb_messages WHERE lock_token = ? AND state = 'active' AND locked_until > ?`,
      );
      return lockTokens.filter((t) => Number(del.run(t, realNow).changes) === 0);
    });
  }

  /**
   * Abandons locked messages: they become available again at once (their next delivery counts one more), or are
   * dead-lettered when they have used up their deliveries.
   */
  abandon(lockTokens: readonly string[]): void {
    if (this.closed || lockTokens.length === 0) return;
    inTransaction(this.db, () => {
      const release = this.db.prepare(
        `UPDATE sb_messages SET lock_token = NULL, locked_until = NULL WHERE lock_token = ? AND state = 'active'
         RETURNING seq, delivery_count`,
      );
      for (const token of lockTokens) {
        const row = release.get(token) as { seq: number; delivery_count: number } | undefined;
        if (row && Number(row.delivery_count) >= this.settings.maxDeliveryCount) this.deadLetterSeq(Number(row.seq));
      }
    });
    this.emit();
  }

  /** Releases a session lock (the session's messages can be accepted by another receiver at once). */
  releaseSession(entityName: string, sessionId: string, lockToken: string): void {
    if (this.closed) return;
    this.db
      .prepare('DELETE FROM sb_sessions WHERE entity = ? AND session_id = ? AND lock_token = ?')
      .run(entityName.toLowerCase(), sessionId, lockToken);
    this.emit();
  }

  // ---- admin ----------------------------------------------------------------------------------------------------

  counts(): EntityCounts[] {
    const clockNow = this.clock.now();
    const realNow = this.realNow();
    const stats = this.db
      .prepare(
        `SELECT entity,
           sum(CASE WHEN state = 'active' AND available_at <= ? THEN 1 ELSE 0 END) AS active,
           sum(CASE WHEN state = 'active' AND available_at > ? THEN 1 ELSE 0 END) AS scheduled,
           sum(CASE WHEN state = 'active' AND locked_until > ? THEN 1 ELSE 0 END) AS locked,
           sum(CASE WHEN state = 'deadletter' THEN 1 ELSE 0 END) AS dead
         FROM sb_messages GROUP BY entity`,
      )
      .all(clockNow, clockNow, realNow) as {
      entity: string;
      active: number;
      scheduled: number;
      locked: number;
      dead: number;
    }[];
    const byEntity = new Map(stats.map((s) => [s.entity, s]));
    return this.entities().map((e) => {
      const s = byEntity.get(e.name);
      return {
        ...e,
        activeMessageCount: Number(s?.active ?? 0),
        scheduledMessageCount: Number(s?.scheduled ?? 0),
        lockedMessageCount: Number(s?.locked ?? 0),
        deadLetterMessageCount: Number(s?.dead ?? 0),
      };
    });
  }

  deadLetters(entityName: string, limit = 100): DeadLetteredMessage[] {
    const rows = this.db
      .prepare(`SELECT * FROM sb_messages WHERE entity = ? AND state = 'deadletter' ORDER BY seq LIMIT ?`)
      .all(entityName.toLowerCase(), limit) as Row[];
    return rows.map((r) => ({
      sequenceNumber: Number(r.seq),
      messageId: String(r.message_id),
      sessionId: optString(r.session_id),
      body: r.body as Uint8Array,
      bodyIsText: Number(r.body_is_text) === 1,
      contentType: optString(r.content_type),
      applicationProperties: JSON.parse(String(r.application_properties)) as Record<string, unknown>,
      deliveryCount: Number(r.delivery_count),
      enqueuedTimeMs: Number(r.enqueued_at),
      deadLetterReason: optString(r.dead_letter_reason),
      deadLetterErrorDescription: optString(r.dead_letter_description),
      deadLetterSource: optString(r.dead_letter_source),
      deadLetteredTimeMs: r.dead_lettered_at === null ? undefined : Number(r.dead_lettered_at),
    }));
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private lock(row: Row, lockedUntilMs: number): LockedMessage {
    const lockToken = randomUUID();
    const deliveryCount = Number(row.delivery_count) + 1;
    this.db
      .prepare('UPDATE sb_messages SET delivery_count = ?, lock_token = ?, locked_until = ? WHERE seq = ?')
      .run(deliveryCount, lockToken, lockedUntilMs, Number(row.seq));
    return {
      sequenceNumber: Number(row.seq),
      entity: String(row.entity),
      messageId: String(row.message_id),
      sessionId: optString(row.session_id),
      body: row.body as Uint8Array,
      bodyIsText: Number(row.body_is_text) === 1,
      contentType: optString(row.content_type),
      correlationId: optString(row.correlation_id),
      subject: optString(row.subject),
      replyTo: optString(row.reply_to),
      replyToSessionId: optString(row.reply_to_session_id),
      to: optString(row.to_address),
      applicationProperties: JSON.parse(String(row.application_properties)) as Record<string, unknown>,
      enqueuedTimeMs: Number(row.enqueued_at),
      scheduledEnqueueTimeMs: row.scheduled_at === null ? undefined : Number(row.scheduled_at),
      deliveryCount,
      lockToken,
      lockedUntilMs,
    };
  }

  /** Dead-letters available messages that already used up their deliveries (a lock expired on the last one). */
  private deadLetterExhausted(entity: string, sessionId: string | undefined, clockNow: number, realNow: number): void {
    const rows = this.db
      .prepare(
        `SELECT seq FROM sb_messages WHERE entity = ? AND state = 'active' AND available_at <= ?
           AND (locked_until IS NULL OR locked_until <= ?) AND delivery_count >= ?
           ${sessionId === undefined ? '' : 'AND session_id = ?'}`,
      )
      .all(
        ...([entity, clockNow, realNow, this.settings.maxDeliveryCount] as (string | number)[]).concat(
          sessionId === undefined ? [] : [sessionId],
        ),
      ) as { seq: number }[];
    for (const r of rows) this.deadLetterSeq(Number(r.seq));
  }

  private deadLetterSeq(seq: number): void {
    this.db
      .prepare(
        `UPDATE sb_messages SET state = 'deadletter', lock_token = NULL, locked_until = NULL,
           dead_letter_reason = 'MaxDeliveryCountExceeded', dead_letter_description = ?, dead_lettered_at = ?
         WHERE seq = ?`,
      )
      .run(
        `Message could not be consumed after ${this.settings.maxDeliveryCount} delivery attempts.`,
        this.clock.now(),
        seq,
      );
  }

  private emit(): void {
    for (const l of [...this.listeners]) queueMicrotask(l);
  }
}

function toEntity(row: Row): EntityInfo {
  return {
    name: String(row.name),
    kind: String(row.kind) as EntityInfo['kind'],
    topic: optString(row.topic),
    requiresSession: Number(row.requires_session) === 1,
  };
}

function optString(v: SQLOutputValue | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}
