/**
 * Action group delivery: the common-alert-schema POST to each `webhookReceivers[].serviceUri`, with a secure-webhook
 * bearer token (minted by the emulator's Entra as the Azure Monitor action-groups first-party app, appid
 * 461e8683-5575-4561-ac7f-899cc907d62a) when the receiver has `useAadAuth`. Retries as action groups do (§5.4):
 * 408, 429, 503, 504 and no response are retried up to 5 times, about 5, 20, 5, 40 and 5 s apart (on the emulator
 * clock, times `retryScale`); any other status is final. Deliveries are SQLite rows (they survive a restart).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { DatabaseSync } from 'node:sqlite';

import type { EmulatorContext } from '../core/module';

export const ACTION_GROUPS_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
const RETRY_DELAYS_S = [5, 20, 5, 40, 5];
const RETRIABLE = new Set([408, 429, 503, 504]);
const TIMEOUT_MS = 10_000;

export interface DeliveryInput {
  alertId: string;
  ruleId: string;
  ruleName: string;
  monitorCondition: 'Fired' | 'Resolved';
  actionGroupId: string;
  receiver: string;
  serviceUri: string;
  useAadAuth: boolean;
  identifierUri?: string;
  payload: unknown;
}

export interface DeliveryRecord extends Omit<DeliveryInput, 'payload'> {
  id: string;
  status: 'Pending' | 'Delivered' | 'Failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  payload: unknown;
}

/** Mints an app-only token (the Entra module's `issueAppToken`, when present on the directory). */
type AppTokenMinter = (appId: string, resource: string) => string | undefined;

export class Deliveries {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly ctx: EmulatorContext,
    private readonly retryScale: number,
  ) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS monitor_deliveries (
      id TEXT PRIMARY KEY, alert_id TEXT NOT NULL, rule_id TEXT NOT NULL, rule_name TEXT NOT NULL,
      monitor_condition TEXT NOT NULL, action_group_id TEXT NOT NULL, receiver TEXT NOT NULL, service_uri TEXT NOT NULL,
      use_aad_auth INTEGER NOT NULL, identifier_uri TEXT, payload TEXT NOT NULL, status TEXT NOT NULL,
      attempts INTEGER NOT NULL, last_status_code INTEGER, last_error TEXT, next_at_ms INTEGER,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  }

  enqueue(input: DeliveryInput): string {
    const id = randomUUID();
    const now = this.ctx.clock.nowIso();
    this.ctx.db
      .prepare(
        `INSERT INTO monitor_deliveries (id, alert_id, rule_id, rule_name, monitor_condition, action_group_id, receiver,
         service_uri, use_aad_auth, identifier_uri, payload, status, attempts, last_status_code, last_error, next_at_ms,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Pending', 0, NULL, NULL, ?, ?, ?)`,
      )
      .run(
        id,
        input.alertId,
        input.ruleId,
        input.ruleName,
        input.monitorCondition,
        input.actionGroupId,
        input.receiver,
        input.serviceUri,
        input.useAadAuth ? 1 : 0,
        input.identifierUri ?? null,
        JSON.stringify(input.payload),
        this.ctx.clock.now(),
        now,
        now,
      );
    this.ctx.log('monitor.delivery.queued', { id, rule: input.ruleName, condition: input.monitorCondition });
    return id;
  }

  list(filter: { ruleId?: string; status?: string } = {}): DeliveryRecord[] {
    const rows = this.ctx.db.prepare('SELECT * FROM monitor_deliveries ORDER BY created_at, rowid').all() as Array<
      Record<string, unknown>
    >;
    return rows
      .map(toRecord)
      .filter((r) => !filter.ruleId || r.ruleId.toLowerCase() === filter.ruleId.toLowerCase())
      .filter((r) => !filter.status || r.status === filter.status);
  }

  /** Makes every pending retry due now. */
  flush(): number {
    return Number(
      this.ctx.db
        .prepare("UPDATE monitor_deliveries SET next_at_ms = ? WHERE status = 'Pending'")
        .run(this.ctx.clock.now()).changes,
    );
  }

  /** Sends every due delivery that is not already in flight. */
  pump(): void {
    const due = this.ctx.db
      .prepare("SELECT * FROM monitor_deliveries WHERE status = 'Pending' AND next_at_ms <= ?")
      .all(this.ctx.clock.now()) as Array<Record<string, unknown>>;
    for (const row of due) {
      const r = toRecord(row);
      if (this.inFlight.has(r.id)) continue;
      this.inFlight.add(r.id);
      void this.attempt(r).finally(() => this.inFlight.delete(r.id));
    }
  }

  idle(): boolean {
    return this.inFlight.size === 0;
  }

  private async attempt(r: DeliveryRecord): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (r.useAadAuth) {
      const minter = (this.ctx.directory as unknown as { issueAppToken?: AppTokenMinter }).issueAppToken;
      const token =
        typeof minter === 'function'
          ? minter.call(this.ctx.directory, ACTION_GROUPS_APP_ID, r.identifierUri ?? '')
          : undefined;
      if (!token) {
        this.finish(r, 'Failed', null, `no token: the app with identifier URI '${r.identifierUri ?? ''}' is unknown`);
        return;
      }
      headers.authorization = `Bearer ${token}`;
    }
    const body = JSON.stringify(r.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await post(r.serviceUri, headers, body);
    } catch (e) {
      error = (e as Error).message;
    }
    const attempts = r.attempts + 1;
    if (status !== null && status >= 200 && status < 300) {
      this.finish({ ...r, attempts }, 'Delivered', status, null);
      return;
    }
    const retriable = status === null || RETRIABLE.has(status);
    if (retriable && attempts <= RETRY_DELAYS_S.length) {
      const delayMs = RETRY_DELAYS_S[attempts - 1]! * 1000 * this.retryScale;
      this.ctx.db
        .prepare(
          `UPDATE monitor_deliveries SET attempts = ?, last_status_code = ?, last_error = ?, next_at_ms = ?, updated_at = ?
           WHERE id = ?`,
        )
        .run(attempts, status, error, this.ctx.clock.now() + delayMs, this.ctx.clock.nowIso(), r.id);
      this.ctx.log('monitor.delivery.retry', { id: r.id, attempts, status, error });
      return;
    }
    this.finish({ ...r, attempts }, 'Failed', status, error ?? `HTTP ${status ?? 0}`);
  }

  private finish(r: DeliveryRecord, status: 'Delivered' | 'Failed', code: number | null, error: string | null): void {
    this.ctx.db
      .prepare(
        `UPDATE monitor_deliveries SET status = ?, attempts = ?, last_status_code = ?, last_error = ?, next_at_ms = NULL,
         updated_at = ? WHERE id = ?`,
      )
      .run(status, r.attempts, code, error, this.ctx.clock.nowIso(), r.id);
    this.ctx.log('monitor.delivery.done', { id: r.id, status, code, rule: r.ruleName });
  }
}

function toRecord(row: Record<string, unknown>): DeliveryRecord {
  const nextAt = row.next_at_ms === null || row.next_at_ms === undefined ? null : Number(row.next_at_ms);
  return {
    id: String(row.id),
    alertId: String(row.alert_id),
    ruleId: String(row.rule_id),
    ruleName: String(row.rule_name),
    monitorCondition: String(row.monitor_condition) as 'Fired' | 'Resolved',
    actionGroupId: String(row.action_group_id),
    receiver: String(row.receiver),
    serviceUri: String(row.service_uri),
    useAadAuth: Number(row.use_aad_auth) === 1,
    ...(row.identifier_uri ? { identifierUri: row.identifier_uri as string } : {}),
    status: String(row.status) as DeliveryRecord['status'],
    attempts: Number(row.attempts),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error === null ? null : (row.last_error as string),
    nextAttemptAt: nextAt === null ? null : new Date(nextAt).toISOString(),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    payload: JSON.parse(String(row.payload)) as unknown,
  };
}

function post(uri: string, headers: Record<string, string>, body: string): Promise<number> {
  const u = new URL(uri);
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
