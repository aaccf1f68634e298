/**
 * Event Grid: system topics (ctx.publishEvent, ARM's resource events), custom topics
 * (`POST /topics/{name}/api/events?api-version=2018-01-01` as `EventGridPublisherClient` sends it), event
 * subscriptions with the validation handshake, and webhook delivery with Event Grid's contract — `aeg-*` headers,
 * success on 200–204, retries with back-off (scaled by `retryScale`, driven by the emulator clock), no retry on
 * 400/401/403/413, dead-letter after `maxDeliveryAttempts` or the event's time to live. Queued deliveries are rows in
 * SQLite, so they survive a restart.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { DatabaseSync } from 'node:sqlite';
import { rootCertificates } from 'node:tls';

import { armError, EmulatorHttpError } from '../core/errors';
import type { EmulatorContext, EmulatorRequest, EmulatorResponse, EventGridEvent, Router } from '../core/module';
import { checkSasToken } from './sas';

export const EVENTGRID_API_VERSION = '2018-01-01';
export const EVENTGRID_AUDIENCES = ['https://eventgrid.azure.net', 'https://eventgrid.azure.net/'];
/** 1 MB per publish request (Event Grid's limit). */
export const TOPIC_MAX_BYTES = 1024 * 1024;

/** Event Grid's retry schedule (delivery-and-retry docs), in ms before `retryScale`. */
export const RETRY_SCHEDULE_MS = [
  10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000,
];
const MIN_DELAY_MS: Record<number, number> = { 404: 300_000, 408: 120_000, 503: 30_000 };
const NO_RETRY = new Set([400, 401, 403, 413]);

export type EventSchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

export interface EventSubscriptionInput {
  name: string;
  /**
   * The source: `/subscriptions/{sub}` (Azure subscription system topic), `/subscriptions/{sub}/resourceGroups/{rg}`
   * (resource-group topic), any resource id (e.g. a Key Vault's system topic), or a custom topic's name or id.
   */
  topic: string;
  endpointUrl: string;
  includedEventTypes?: string[] | null;
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  isSubjectCaseSensitive?: boolean;
  eventDeliverySchema?: EventSchema;
  maxDeliveryAttempts?: number;
  eventTimeToLiveInMinutes?: number;
  /** Static delivery headers (delivery attribute mappings), at most 10. */
  deliveryHeaders?: Record<string, string>;
  /** Run the validation handshake (default true). false models an `AzureFunction` endpoint, which needs none. */
  validate?: boolean;
}

export interface EventSubscription extends Required<Omit<EventSubscriptionInput, 'validate' | 'includedEventTypes'>> {
  includedEventTypes: string[] | null;
  provisioningState: 'Succeeded' | 'AwaitingManualAction' | 'Failed';
  createdAt: string;
}

export interface EventGridOptions {
  /** Multiplies every retry delay (1 = Event Grid's real schedule; tests use e.g. 0.001). */
  retryScale: number;
  /** How often the delivery loop looks for due deliveries (ms). */
  pollIntervalMs: number;
  /** Per-attempt timeout (Event Grid: 30 s). */
  deliveryTimeoutMs: number;
  /** Resource group of custom topics' ids. */
  topicResourceGroup: string;
  /** Extra CA certificates to trust for https webhooks (the emulator's own CA is added). */
  extraCa?: string[];
}

interface SubRow {
  name: string;
  topic: string;
  endpoint_url: string;
  included_event_types: string | null;
  subject_begins_with: string;
  subject_ends_with: string;
  case_sensitive: number;
  schema: string;
  max_attempts: number;
  ttl_minutes: number;
  headers: string;
  state: string;
  validation_code: string | null;
  created_at: string;
}

interface DeliveryRow {
  id: number;
  subscription: string;
  event: string;
  event_id: string;
  attempts: number;
  next_attempt_at: number;
  enqueued_at: number;
  last_status: number | null;
  last_error: string | null;
}

interface TopicRow {
  name: string;
  input_schema: string;
  key1: string;
  key2: string;
  created_at: string;
}

export class EventGrid {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<number>();
  /** Outgoing webhook requests, aborted on stop so a slow endpoint does not keep the process alive. */
  private readonly outgoing = new Set<http.ClientRequest>();
  private stopped = false;
  private ctx!: EmulatorContext;
  private readonly ca: string[];

  constructor(
    private readonly db: DatabaseSync,
    readonly options: EventGridOptions,
  ) {
    this.ca = [...rootCertificates, ...(options.extraCa ?? [])];
  }

  static migrate(db: DatabaseSync): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS eventgrid_topics (
        name TEXT PRIMARY KEY COLLATE NOCASE, input_schema TEXT NOT NULL, key1 TEXT NOT NULL, key2 TEXT NOT NULL,
        created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS eventgrid_subscriptions (
        name TEXT PRIMARY KEY COLLATE NOCASE, topic TEXT NOT NULL, endpoint_url TEXT NOT NULL,
        included_event_types TEXT, subject_begins_with TEXT NOT NULL DEFAULT '', subject_ends_with TEXT NOT NULL DEFAULT '',
        case_sensitive INTEGER NOT NULL DEFAULT 0, schema TEXT NOT NULL, max_attempts INTEGER NOT NULL,
        ttl_minutes INTEGER NOT NULL, headers TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL,
        validation_code TEXT, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS eventgrid_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription TEXT NOT NULL COLLATE NOCASE, event TEXT NOT NULL,
        event_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
        enqueued_at INTEGER NOT NULL, last_status INTEGER, last_error TEXT);
      CREATE INDEX IF NOT EXISTS eventgrid_deliveries_due ON eventgrid_deliveries (next_attempt_at);
      CREATE TABLE IF NOT EXISTS eventgrid_deadletters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription TEXT NOT NULL, event TEXT NOT NULL, event_id TEXT NOT NULL,
        reason TEXT NOT NULL, delivery_attempts INTEGER NOT NULL, last_status INTEGER, last_error TEXT,
        publish_time TEXT NOT NULL, deadlettered_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS eventgrid_delivered (
        id INTEGER PRIMARY KEY AUTOINCREMENT, subscription TEXT NOT NULL, event_id TEXT NOT NULL,
        attempts INTEGER NOT NULL, status INTEGER NOT NULL, delivered_at TEXT NOT NULL);
    `);
  }

  start(ctx: EmulatorContext): void {
    this.ctx = ctx;
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const req of this.outgoing) req.destroy(new Error('EmulatorStopped'));
    this.outgoing.clear();
  }

  // ---- topics ----
  topicId(name: string): string {
    return `/subscriptions/${this.ctx.subscriptionId}/resourceGroups/${this.options.topicResourceGroup}/providers/Microsoft.EventGrid/topics/${name}`;
  }
  topicEndpoint(name: string): string {
    return `${this.ctx.baseUrl}/topics/${name}/api/events`;
  }

  createTopic(name: string, inputSchema: EventSchema = 'EventGridSchema'): TopicRow & { endpoint: string; id: string } {
    if (!/^[A-Za-z0-9-]{3,50}$/.test(name)) {
      throw armError(
        400,
        'InvalidRequest',
        `Topic name '${name}' is invalid: 3-50 characters, letters, digits and '-'.`,
      );
    }
    const existing = this.getTopic(name);
    if (!existing) {
      this.db
        .prepare('INSERT INTO eventgrid_topics (name, input_schema, key1, key2, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, inputSchema, newKey(), newKey(), this.ctx.clock.nowIso());
    } else if (existing.input_schema !== inputSchema) {
      this.db.prepare('UPDATE eventgrid_topics SET input_schema = ? WHERE name = ?').run(inputSchema, name);
    }
    const row = this.getTopic(name)!;
    return { ...row, endpoint: this.topicEndpoint(row.name), id: this.topicId(row.name) };
  }

  getTopic(name: string): TopicRow | undefined {
    return this.db.prepare('SELECT * FROM eventgrid_topics WHERE name = ?').get(name) as TopicRow | undefined;
  }

  listTopics(): Array<TopicRow & { endpoint: string; id: string }> {
    return (this.db.prepare('SELECT * FROM eventgrid_topics ORDER BY name').all() as unknown as TopicRow[]).map(
      (t) => ({
        ...t,
        endpoint: this.topicEndpoint(t.name),
        id: this.topicId(t.name),
      }),
    );
  }

  deleteTopic(name: string): boolean {
    return this.db.prepare('DELETE FROM eventgrid_topics WHERE name = ?').run(name).changes > 0;
  }

  // ---- subscriptions ----
  async createSubscription(input: EventSubscriptionInput): Promise<EventSubscription> {
    if (!/^[A-Za-z0-9-]{3,64}$/.test(input.name)) {
      throw armError(
        400,
        'InvalidRequest',
        `Event subscription name '${input.name}' is invalid: 3-64 characters, letters, digits and '-'.`,
      );
    }
    let endpoint: URL;
    try {
      endpoint = new URL(input.endpointUrl);
    } catch {
      throw armError(400, 'InvalidRequest', `The endpoint URL '${input.endpointUrl}' is not a valid absolute URL.`);
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(endpoint.hostname);
    if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && loopback)) {
      throw armError(
        400,
        'InvalidRequest',
        `The endpoint URL '${input.endpointUrl}' must use https (http is allowed for loopback only).`,
      );
    }
    const headers = input.deliveryHeaders ?? {};
    if (Object.keys(headers).length > 10)
      throw armError(400, 'InvalidRequest', 'At most 10 delivery attribute mappings are allowed.');
    const schema = input.eventDeliverySchema ?? 'EventGridSchema';
    if (schema !== 'EventGridSchema' && schema !== 'CloudEventSchemaV1_0') {
      throw armError(
        400,
        'InvalidRequest',
        `Event delivery schema '${String(schema)}' is not supported; use EventGridSchema or CloudEventSchemaV1_0.`,
      );
    }
    const maxAttempts = input.maxDeliveryAttempts ?? 30;
    const ttl = input.eventTimeToLiveInMinutes ?? 1440;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 30) {
      throw armError(400, 'InvalidRequest', 'maxDeliveryAttempts must be an integer between 1 and 30.');
    }
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 1440) {
      throw armError(400, 'InvalidRequest', 'eventTimeToLiveInMinutes must be an integer between 1 and 1440.');
    }
    const custom = this.getTopic(input.topic);
    const topic = custom ? this.topicId(custom.name) : input.topic;
    if (!custom && !topic.startsWith('/subscriptions/')) {
      throw armError(
        404,
        'ResourceNotFound',
        `The topic '${input.topic}' is neither a custom topic of this emulator nor a resource id.`,
      );
    }
    const code = randomUUID();
    this.db
      .prepare(
        `INSERT INTO eventgrid_subscriptions (name, topic, endpoint_url, included_event_types, subject_begins_with,
           subject_ends_with, case_sensitive, schema, max_attempts, ttl_minutes, headers, state, validation_code, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET topic = excluded.topic, endpoint_url = excluded.endpoint_url,
           included_event_types = excluded.included_event_types, subject_begins_with = excluded.subject_begins_with,
           subject_ends_with = excluded.subject_ends_with, case_sensitive = excluded.case_sensitive, schema = excluded.schema,
           max_attempts = excluded.max_attempts, ttl_minutes = excluded.ttl_minutes, headers = excluded.headers,
           state = excluded.state, validation_code = excluded.validation_code`,
      )
      .run(
        input.name,
        topic,
        input.endpointUrl,
        input.includedEventTypes?.length ? JSON.stringify(input.includedEventTypes) : null,
        input.subjectBeginsWith ?? '',
        input.subjectEndsWith ?? '',
        input.isSubjectCaseSensitive ? 1 : 0,
        schema,
        maxAttempts,
        ttl,
        JSON.stringify(headers),
        'Validating',
        code,
        this.ctx.clock.nowIso(),
      );
    if (input.validate === false) {
      this.setState(input.name, 'Succeeded');
    } else {
      let state: 'Succeeded' | 'AwaitingManualAction';
      try {
        state = await this.handshake(input.name, topic, input.endpointUrl, schema, code);
      } catch (e) {
        this.db.prepare('DELETE FROM eventgrid_subscriptions WHERE name = ?').run(input.name);
        throw e;
      }
      this.setState(input.name, state);
    }
    this.ctx.log('eventgrid.subscription.created', { name: input.name, topic, endpoint: redactUrl(input.endpointUrl) });
    return this.getSubscription(input.name)!;
  }

  private setState(name: string, state: string): void {
    this.db.prepare('UPDATE eventgrid_subscriptions SET state = ? WHERE name = ?').run(state, name);
  }

  /** The validation handshake: SubscriptionValidationEvent (Event Grid schema) or the CloudEvents OPTIONS abuse-protection check. */
  private async handshake(
    name: string,
    topic: string,
    url: string,
    schema: EventSchema,
    code: string,
  ): Promise<'Succeeded' | 'AwaitingManualAction'> {
    const failed = (why: string) =>
      armError(
        400,
        'InvalidRequest',
        `Webhook validation handshake failed for ${redactUrl(url)}. ${why} For troublehooting, visit https://aka.ms/esvalidation.`,
      );
    if (schema === 'CloudEventSchemaV1_0') {
      const r = await this.send(url, 'OPTIONS', undefined, {
        'webhook-request-origin': 'eventgrid.azure.net',
        'webhook-request-rate': '120',
      });
      if (r.status === undefined) throw failed(`The endpoint could not be reached: ${r.error ?? 'no response'}.`);
      const allowed = (r.headers['webhook-allowed-origin'] ?? '').toString();
      if (r.status !== 200 || !(allowed === '*' || allowed.toLowerCase() === 'eventgrid.azure.net')) {
        throw failed(
          `Http OPTIONS request retuned HTTP status code ${r.status} without a matching WebHook-Allowed-Origin header.`,
        );
      }
      return 'Succeeded';
    }
    const event = {
      id: randomUUID(),
      topic,
      subject: '',
      data: {
        validationCode: code,
        validationUrl: `${this.ctx.baseUrl}/eventgrid/validate?id=${encodeURIComponent(name)}&code=${code}`,
      },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: this.ctx.clock.nowIso(),
      metadataVersion: '1',
      dataVersion: '2',
    };
    const r = await this.send(url, 'POST', JSON.stringify([event]), {
      'content-type': 'application/json; charset=utf-8',
      'aeg-event-type': 'SubscriptionValidation',
      'aeg-subscription-name': name.toUpperCase(),
      'aeg-delivery-count': '0',
      'aeg-data-version': '2',
      'aeg-metadata-version': '1',
    });
    if (r.status === undefined) throw failed(`Http POST request failed: ${r.error ?? 'no response'}.`);
    if (r.status < 200 || r.status > 204) throw failed(`Http POST request retuned HTTP status code ${r.status}.`);
    try {
      const parsed = JSON.parse(r.body) as { validationResponse?: unknown };
      if (parsed.validationResponse === code) return 'Succeeded';
      if (parsed.validationResponse !== undefined)
        throw failed('The validationResponse does not match the validationCode.');
    } catch (e) {
      if (e instanceof EmulatorHttpError) throw e;
    }
    // a 2xx without the code: the endpoint may complete the handshake by a GET on validationUrl (manual validation)
    return 'AwaitingManualAction';
  }

  /** `GET /eventgrid/validate?id=&code=`: the manual validation link. */
  private manualValidate(req: EmulatorRequest): EmulatorResponse {
    const name = req.queryParam('id') ?? '';
    const row = this.db.prepare('SELECT * FROM eventgrid_subscriptions WHERE name = ?').get(name) as SubRow | undefined;
    if (!row || row.validation_code !== req.queryParam('code')) {
      throw armError(400, 'InvalidRequest', 'The validation link is invalid or expired.');
    }
    if (row.state === 'AwaitingManualAction') this.setState(name, 'Succeeded');
    return { status: 200, body: 'Webhook successfully validated as a result of validation link.' };
  }

  getSubscription(name: string): EventSubscription | undefined {
    const row = this.db.prepare('SELECT * FROM eventgrid_subscriptions WHERE name = ?').get(name) as SubRow | undefined;
    return row ? toSub(row) : undefined;
  }

  listSubscriptions(): EventSubscription[] {
    return (this.db.prepare('SELECT * FROM eventgrid_subscriptions ORDER BY name').all() as unknown as SubRow[]).map(
      toSub,
    );
  }

  deleteSubscription(name: string): boolean {
    this.db.prepare('DELETE FROM eventgrid_deliveries WHERE subscription = ?').run(name);
    return this.db.prepare('DELETE FROM eventgrid_subscriptions WHERE name = ?').run(name).changes > 0;
  }

  // ---- publishing ----
  /** Queues `event` for every active subscription whose source and filters match. Returns the number queued. */
  publish(event: EventGridEvent): number {
    const now = this.ctx.clock.now();
    let n = 0;
    for (const sub of this.listSubscriptions()) {
      if (sub.provisioningState !== 'Succeeded') continue;
      const topic = sourceTopic(sub.topic, event);
      if (!topic || !matchesFilters(sub, event.eventType, event.subject)) continue;
      const stamped = { ...event, topic, metadataVersion: event.metadataVersion ?? '1' };
      this.db
        .prepare(
          'INSERT INTO eventgrid_deliveries (subscription, event, event_id, attempts, next_attempt_at, enqueued_at) VALUES (?, ?, ?, 0, ?, ?)',
        )
        .run(sub.name, JSON.stringify({ schema: 'EventGridSchema', event: stamped }), event.id, now, now);
      n++;
    }
    if (n) this.schedule(0);
    return n;
  }

  /** Queues CloudEvents published to a CloudEvents custom topic. */
  private publishCloudEvents(topicId: string, events: Array<Record<string, unknown>>): void {
    const now = this.ctx.clock.now();
    let n = 0;
    for (const sub of this.listSubscriptions()) {
      if (sub.provisioningState !== 'Succeeded' || sub.topic.toLowerCase() !== topicId.toLowerCase()) continue;
      for (const ce of events) {
        if (!matchesFilters(sub, String(ce.type), typeof ce.subject === 'string' ? ce.subject : '')) continue;
        this.db
          .prepare(
            'INSERT INTO eventgrid_deliveries (subscription, event, event_id, attempts, next_attempt_at, enqueued_at) VALUES (?, ?, ?, 0, ?, ?)',
          )
          .run(sub.name, JSON.stringify({ schema: 'CloudEventSchemaV1_0', event: ce }), String(ce.id), now, now);
        n++;
      }
    }
    if (n) this.schedule(0);
  }

  // ---- delivery ----
  /** Makes every queued delivery due now (the admin API's flush). */
  flush(): number {
    const n = this.db.prepare('UPDATE eventgrid_deliveries SET next_attempt_at = ?').run(this.ctx.clock.now()).changes;
    this.schedule(0);
    return Number(n);
  }

  pending(): Array<{
    id: number;
    subscription: string;
    eventId: string;
    attempts: number;
    nextAttemptAt: string;
    lastStatus: number | null;
    lastError: string | null;
  }> {
    return (this.db.prepare('SELECT * FROM eventgrid_deliveries ORDER BY id').all() as unknown as DeliveryRow[]).map(
      (r) => ({
        id: r.id,
        subscription: r.subscription,
        eventId: r.event_id,
        attempts: r.attempts,
        nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
        lastStatus: r.last_status,
        lastError: r.last_error,
      }),
    );
  }

  deadLetters(subscription?: string): unknown[] {
    const rows = (subscription
      ? this.db.prepare('SELECT * FROM eventgrid_deadletters WHERE subscription = ? ORDER BY id').all(subscription)
      : this.db.prepare('SELECT * FROM eventgrid_deadletters ORDER BY id').all()) as unknown as Array<{
      id: number;
      subscription: string;
      event: string;
      reason: string;
      delivery_attempts: number;
      last_status: number | null;
      last_error: string | null;
      publish_time: string;
      deadlettered_at: string;
    }>;
    // Event Grid's dead-letter blob shape: the event plus delivery diagnostics
    return rows.map((r) => ({
      ...(JSON.parse(r.event) as { event: Record<string, unknown> }).event,
      subscriptionName: r.subscription,
      deadLetterReason: r.reason,
      deliveryAttempts: r.delivery_attempts,
      lastDeliveryOutcome: r.last_status ? outcome(r.last_status) : (r.last_error ?? 'Unknown'),
      lastHttpStatusCode: r.last_status ?? 0,
      publishTime: r.publish_time,
      lastDeliveryAttemptTime: r.deadlettered_at,
    }));
  }

  delivered(): Array<{ subscription: string; eventId: string; attempts: number; status: number; deliveredAt: string }> {
    return (
      this.db.prepare('SELECT * FROM eventgrid_delivered ORDER BY id').all() as unknown as Array<{
        subscription: string;
        event_id: string;
        attempts: number;
        status: number;
        delivered_at: string;
      }>
    ).map((r) => ({
      subscription: r.subscription,
      eventId: r.event_id,
      attempts: r.attempts,
      status: r.status,
      deliveredAt: r.delivered_at,
    }));
  }

  private schedule(ms: number): void {
    if (this.stopped || !this.ctx) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    const due = this.db
      .prepare('SELECT * FROM eventgrid_deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 32')
      .all(now) as unknown as DeliveryRow[];
    for (const row of due) {
      if (this.inFlight.has(row.id) || this.inFlight.size >= 16) continue;
      this.inFlight.add(row.id);
      void this.attempt(row).finally(() => {
        this.inFlight.delete(row.id);
        this.schedule(0);
      });
    }
    this.schedule(this.options.pollIntervalMs);
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const sub = this.getSubscription(row.subscription);
    if (!sub) {
      this.db.prepare('DELETE FROM eventgrid_deliveries WHERE id = ?').run(row.id);
      return;
    }
    const stored = JSON.parse(row.event) as { schema: EventSchema; event: Record<string, unknown> };
    const now = this.ctx.clock.now();
    if (now - row.enqueued_at > sub.eventTimeToLiveInMinutes * 60_000) {
      this.deadLetter(row, sub, 'TimeToLiveExceeded', row.last_status, row.last_error);
      return;
    }
    const { body, headers } = this.render(sub, stored, row.attempts);
    const r = await this.send(sub.endpointUrl, 'POST', body, headers);
    if (this.stopped) return;
    const attempts = row.attempts + 1;
    if (r.status !== undefined && r.status >= 200 && r.status <= 204) {
      this.db.prepare('DELETE FROM eventgrid_deliveries WHERE id = ?').run(row.id);
      this.db
        .prepare(
          'INSERT INTO eventgrid_delivered (subscription, event_id, attempts, status, delivered_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(sub.name, row.event_id, attempts, r.status, this.ctx.clock.nowIso());
      this.ctx.log('eventgrid.delivered', {
        subscription: sub.name,
        eventId: row.event_id,
        attempts,
        status: r.status,
      });
      return;
    }
    const status = r.status ?? null;
    const error = r.error ?? null;
    if (status !== null && NO_RETRY.has(status)) {
      this.deadLetter({ ...row, attempts }, sub, 'NonRetriableHttpStatusCode', status, error);
      return;
    }
    if (attempts >= sub.maxDeliveryAttempts) {
      this.deadLetter({ ...row, attempts }, sub, 'MaxDeliveryAttemptsExceeded', status, error);
      return;
    }
    const base = RETRY_SCHEDULE_MS[Math.min(attempts - 1, RETRY_SCHEDULE_MS.length - 1)]!;
    const delay = Math.max(base, MIN_DELAY_MS[status ?? 0] ?? 10_000) * this.options.retryScale;
    this.db
      .prepare(
        'UPDATE eventgrid_deliveries SET attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?',
      )
      .run(attempts, this.ctx.clock.now() + Math.round(delay), status, error, row.id);
    this.ctx.log('eventgrid.retry', { subscription: sub.name, eventId: row.event_id, attempts, status, error });
  }

  private deadLetter(
    row: DeliveryRow,
    sub: EventSubscription,
    reason: string,
    status: number | null,
    error: string | null,
  ): void {
    this.db.prepare('DELETE FROM eventgrid_deliveries WHERE id = ?').run(row.id);
    this.db
      .prepare(
        `INSERT INTO eventgrid_deadletters (subscription, event, event_id, reason, delivery_attempts, last_status, last_error, publish_time, deadlettered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        sub.name,
        row.event,
        row.event_id,
        reason,
        row.attempts,
        status,
        error,
        new Date(row.enqueued_at).toISOString(),
        this.ctx.clock.nowIso(),
      );
    this.ctx.log('eventgrid.deadlettered', { subscription: sub.name, eventId: row.event_id, reason, status });
  }

  private render(
    sub: EventSubscription,
    stored: { schema: EventSchema; event: Record<string, unknown> },
    attempts: number,
  ): { body: string; headers: Record<string, string> } {
    const headers: Record<string, string> = { ...sub.deliveryHeaders };
    headers['aeg-event-type'] = 'Notification';
    headers['aeg-subscription-name'] = sub.name.toUpperCase();
    headers['aeg-delivery-count'] = String(attempts);
    if (sub.eventDeliverySchema === 'CloudEventSchemaV1_0') {
      const ce = stored.schema === 'CloudEventSchemaV1_0' ? stored.event : toCloudEvent(stored.event);
      headers['content-type'] = 'application/cloudevents+json; charset=utf-8';
      headers['aeg-metadata-version'] = '1.0';
      headers['aeg-data-version'] = typeof ce.dataschema === 'string' ? ce.dataschema : '';
      return { body: JSON.stringify(ce), headers };
    }
    const ev = stored.event;
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['aeg-data-version'] = typeof ev.dataVersion === 'string' ? ev.dataVersion : '';
    headers['aeg-metadata-version'] = '1';
    return { body: JSON.stringify([ev]), headers };
  }

  private send(
    url: string,
    method: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<{ status?: number; body: string; headers: http.IncomingHttpHeaders; error?: string }> {
    return new Promise((resolve) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        resolve({ body: '', headers: {}, error: 'InvalidUrl' });
        return;
      }
      const mod = u.protocol === 'https:' ? https : http;
      const req = mod.request(
        u,
        {
          method,
          headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
          timeout: this.options.deliveryTimeoutMs,
          ...(u.protocol === 'https:' ? { ca: this.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              headers: res.headers,
            }),
          );
          res.on('error', (e) => resolve({ body: '', headers: {}, error: e.message }));
        },
      );
      this.outgoing.add(req);
      req.on('close', () => this.outgoing.delete(req));
      req.on('timeout', () => req.destroy(new Error('Timeout')));
      req.on('error', (e) => resolve({ body: '', headers: {}, error: (e as NodeJS.ErrnoException).code ?? e.message }));
      req.end(body);
    });
  }

  // ---- HTTP ----
  register(router: Router, ctx: EmulatorContext): void {
    this.ctx = ctx;
    router.post('/topics/{name}/api/events', (req) => this.topicPublish(req), {
      operation: 'Microsoft.EventGrid/topics/events/send',
      rawBody: true,
      maxBodyBytes: TOPIC_MAX_BYTES,
    });
    router.get('/eventgrid/validate', (req) => this.manualValidate(req));
  }

  private topicPublish(req: EmulatorRequest): EmulatorResponse {
    const topic = this.getTopic(req.params.name ?? '');
    if (!topic) {
      throw armError(404, 'NotFound', `The topic '${req.params.name}' does not exist in the local Azure emulator.`);
    }
    if (req.apiVersion !== EVENTGRID_API_VERSION) {
      throw armError(
        400,
        'BadRequest',
        `The api-version '${req.apiVersion ?? ''}' is invalid. The supported versions are '${EVENTGRID_API_VERSION}'.`,
      );
    }
    this.authorizePublish(req, topic);
    const ct = req.contentType;
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.rawBody.toString('utf8'));
    } catch (e) {
      throw armError(400, 'BadRequest', 'The request body is not valid JSON.', {
        details: [{ code: 'InputJsonInvalid', message: (e as Error).message }],
      });
    }
    const topicId = this.topicId(topic.name);
    if (topic.input_schema === 'CloudEventSchemaV1_0') {
      if (ct !== 'application/cloudevents-batch+json' && ct !== 'application/cloudevents+json') {
        throw armError(
          400,
          'BadRequest',
          `This resource is configured to receive events in the CloudEventV10 schema. The content type '${ct}' is not supported; use application/cloudevents-batch+json or application/cloudevents+json.`,
        );
      }
      const list = ct === 'application/cloudevents+json' && !Array.isArray(parsed) ? [parsed] : parsed;
      const events = validateCloudEvents(list);
      this.publishCloudEvents(topicId, events);
      this.ctx.log('eventgrid.topic.published', { topic: topic.name, count: events.length });
      return { status: 200 };
    }
    if (ct !== 'application/json' && ct !== 'text/json') {
      throw armError(
        400,
        'BadRequest',
        `This resource is configured to receive events in the EventGridEvent schema. The content type '${ct || '(none)'}' is not supported; use application/json.`,
      );
    }
    const events = validateEventGridEvents(parsed);
    for (const e of events) this.publish({ ...e, topic: topicId, metadataVersion: '1' });
    this.ctx.log('eventgrid.topic.published', { topic: topic.name, count: events.length });
    return { status: 200 };
  }

  private authorizePublish(req: EmulatorRequest, topic: TopicRow): void {
    const key = req.header('aeg-sas-key');
    const sas = req.header('aeg-sas-token');
    const unauthorized = (message: string) => armError(401, 'Unauthorized', message);
    if (key !== undefined) {
      if (key !== topic.key1 && key !== topic.key2) {
        throw unauthorized(
          `The request authorization key is not authorized for ${topic.name.toUpperCase()}.EVENTGRID.EMULATOR. This is due to the reason: The key doesn't match the configured key for the endpoint.`,
        );
      }
      return;
    }
    if (sas !== undefined) {
      const check = checkSasToken(
        sas,
        [topic.key1, topic.key2],
        `/topics/${topic.name}/api/events`,
        this.ctx.clock.now(),
      );
      if (!check.ok)
        throw unauthorized(`The request authorization token is not authorized for ${topic.name}: ${check.reason}`);
      return;
    }
    if (req.header('authorization') !== undefined) {
      let caller;
      try {
        caller = this.ctx.authenticate(req, EVENTGRID_AUDIENCES);
      } catch (e) {
        if (e instanceof EmulatorHttpError) {
          const msg = (e.body as { error?: { message?: string } }).error?.message ?? 'The access token is invalid.';
          throw unauthorized(msg);
        }
        throw e;
      }
      const allowed = this.ctx.access.check(
        caller,
        this.topicId(topic.name),
        'Microsoft.EventGrid/events/send/action',
        { dataAction: true },
      );
      if (allowed === false) {
        throw unauthorized(
          "The principal associated with the provided AAD token doesn't have the required permissions (Microsoft.EventGrid/events/send/action) to perform the operation on this topic.",
        );
      }
      return;
    }
    throw unauthorized(
      'Request must contain one of the following authorization signature: aeg-sas-token, aeg-sas-key or an Authorization bearer token.',
    );
  }
}

function newKey(): string {
  return randomBytes(32).toString('base64');
}

function toSub(row: SubRow): EventSubscription {
  return {
    name: row.name,
    topic: row.topic,
    endpointUrl: row.endpoint_url,
    includedEventTypes: row.included_event_types ? (JSON.parse(row.included_event_types) as string[]) : null,
    subjectBeginsWith: row.subject_begins_with,
    subjectEndsWith: row.subject_ends_with,
    isSubjectCaseSensitive: row.case_sensitive === 1,
    eventDeliverySchema: row.schema as EventSchema,
    maxDeliveryAttempts: row.max_attempts,
    eventTimeToLiveInMinutes: row.ttl_minutes,
    deliveryHeaders: JSON.parse(row.headers) as Record<string, string>,
    provisioningState: row.state as EventSubscription['provisioningState'],
    createdAt: row.created_at,
  };
}

/**
 * The topic to stamp on `event` for a subscription whose source is `source`, or undefined when it does not
 * receive it: the same topic, or — for ARM's resource events, published on the Azure-subscription topic — a
 * resource-group topic containing the subject.
 */
export function sourceTopic(source: string, event: EventGridEvent): string | undefined {
  const s = source.replace(/\/+$/, '').toLowerCase();
  if (s === event.topic.replace(/\/+$/, '').toLowerCase()) return event.topic;
  if (event.eventType.startsWith('Microsoft.Resources.') && /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/.test(s)) {
    const subject = event.subject.toLowerCase();
    if (
      (subject === s || subject.startsWith(s + '/')) &&
      event.topic.toLowerCase() === s.split('/resourcegroups/')[0]
    ) {
      return source.replace(/\/+$/, '');
    }
  }
  return undefined;
}

export function matchesFilters(
  sub: Pick<
    EventSubscription,
    'includedEventTypes' | 'subjectBeginsWith' | 'subjectEndsWith' | 'isSubjectCaseSensitive'
  >,
  eventType: string,
  subject: string,
): boolean {
  if (sub.includedEventTypes && !sub.includedEventTypes.some((t) => t.toLowerCase() === eventType.toLowerCase()))
    return false;
  const norm = (x: string) => (sub.isSubjectCaseSensitive ? x : x.toLowerCase());
  if (sub.subjectBeginsWith && !norm(subject).startsWith(norm(sub.subjectBeginsWith))) return false;
  if (sub.subjectEndsWith && !norm(subject).endsWith(norm(sub.subjectEndsWith))) return false;
  return true;
}

function toCloudEvent(ev: Record<string, unknown>): Record<string, unknown> {
  return {
    id: ev.id,
    source: ev.topic,
    specversion: '1.0',
    type: ev.eventType,
    subject: ev.subject,
    time: ev.eventTime,
    datacontenttype: 'application/json',
    data: ev.data,
  };
}

function validateEventGridEvents(parsed: unknown): Array<Omit<EventGridEvent, 'topic'>> {
  if (!Array.isArray(parsed)) {
    throw armError(400, 'BadRequest', 'The request body must be a JSON array of events in the EventGridEvent schema.');
  }
  const details: Array<{ code: string; message: string }> = [];
  const out: Array<Omit<EventGridEvent, 'topic'>> = [];
  parsed.forEach((raw: unknown, i) => {
    const e = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    for (const f of ['id', 'subject', 'eventType', 'eventTime', 'dataVersion']) {
      if (typeof e[f] !== 'string' || (f !== 'dataVersion' && e[f] === '')) {
        details.push({
          code: 'InputJsonInvalid',
          message: `Event ${i}: required property '${f}' is missing or not a string.`,
        });
      }
    }
    if (typeof e.eventTime === 'string' && Number.isNaN(Date.parse(e.eventTime))) {
      details.push({
        code: 'InputJsonInvalid',
        message: `Event ${i}: eventTime '${e.eventTime}' is not a valid date-time.`,
      });
    }
    out.push({
      id: String(e.id),
      subject: String(e.subject),
      eventType: String(e.eventType),
      eventTime: String(e.eventTime),
      data: e.data ?? null,
      dataVersion: typeof e.dataVersion === 'string' ? e.dataVersion : '',
    });
  });
  if (details.length) throw armError(400, 'BadRequest', 'The request has invalid events.', { details });
  return out;
}

function validateCloudEvents(parsed: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(parsed))
    throw armError(400, 'BadRequest', 'The request body must be a JSON array of CloudEvents.');
  const details: Array<{ code: string; message: string }> = [];
  parsed.forEach((raw: unknown, i) => {
    const e = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    if (e.specversion !== '1.0')
      details.push({ code: 'InputJsonInvalid', message: `Event ${i}: specversion must be '1.0'.` });
    for (const f of ['id', 'source', 'type']) {
      if (typeof e[f] !== 'string' || e[f] === '') {
        details.push({ code: 'InputJsonInvalid', message: `Event ${i}: required attribute '${f}' is missing.` });
      }
    }
  });
  if (details.length) throw armError(400, 'BadRequest', 'The request has invalid events.', { details });
  return parsed as Array<Record<string, unknown>>;
}

function outcome(status: number): string {
  if (status === 400) return 'BadRequest';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 413) return 'PayloadTooLarge';
  if (status === 408) return 'TimedOut';
  return `Http${status}`;
}

/** Hides `code=` and other query values (function keys) in logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    for (const k of [...u.searchParams.keys()])
      u.searchParams.set(k, k === 'functionName' ? (u.searchParams.get(k) ?? '') : '***');
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
