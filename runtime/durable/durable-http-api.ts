import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { DURABLE_WEBHOOK_PATH, managementUrls } from './client-binding';
import type { DurableEngine } from './durable-engine';
import { ALL_STATUSES, type InstanceRow, type RuntimeStatus, TERMINAL_STATUSES } from './durable-store';
import { EventType } from './library-internals';

export interface DurableHttpApiOptions {
  engine: DurableEngine;
  taskHubName: () => string;
  /** Largest accepted request body (orchestration input, event data), in bytes; larger → 413. */
  maxBodyBytes: number;
}

/** Status codes and bodies of the extension's `HttpApiHandler`, for the routes the JS `DurableClient` calls. */
export class DurableHttpApi {
  constructor(private readonly o: DurableHttpApiOptions) {}

  /** Handles a request under `/runtime/webhooks/durabletask/`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      await this.route(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) {
        send(res, e.status, { Message: e.message });
        return;
      }
      send(res, 500, {
        Message: 'Something went wrong while processing your request',
        ExceptionMessage: e instanceof Error ? e.message : String(e),
      });
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const rest = url.pathname.slice(DURABLE_WEBHOOK_PATH.length).replace(/^\/+/, '');
    const raw = rest.split('/');
    let segs: string[];
    try {
      segs = raw.map((s) => decodeURIComponent(s));
    } catch {
      throw new HttpError(400, 'The request path is not validly encoded.');
    }
    const method = req.method ?? 'GET';
    const [head, a, b, c] = segs;
    if (head === 'orchestrators' && a) {
      if (method !== 'POST' || segs.length > 3) return send(res, 404, { Message: 'Not found' });
      return this.start(req, res, url, a, b || undefined);
    }
    if (head === 'entities') {
      return send(res, 501, { Message: 'Durable entities are not supported by the local durable engine.' });
    }
    if (head === 'instances') {
      if (!a) {
        if (method === 'GET') return this.list(req, res, url);
        if (method === 'DELETE') return this.purgeBy(res, url);
        return send(res, 404, { Message: 'Not found' });
      }
      validInstanceId(a);
      if (b === undefined || (b === '' && segs.length === 3)) {
        if (method === 'GET') return this.status(res, url, a);
        if (method === 'DELETE') return this.purge(res, a);
        return send(res, 404, { Message: 'Not found' });
      }
      if (method !== 'POST') return send(res, 404, { Message: 'Not found' });
      const op = b.toLowerCase();
      if (op === 'raiseevent' && c !== undefined && segs.length === 4) return this.raise(req, res, a, c);
      if (segs.length !== 3) return send(res, 404, { Message: 'Not found' });
      const reason = url.searchParams.get('reason');
      if (op === 'terminate' || op === 'suspend' || op === 'resume') {
        await drain(req, this.o.maxBodyBytes);
        return this.outcome(res, await this.o.engine.control(a, op, reason));
      }
      if (op === 'rewind' || op === 'restart') {
        await drain(req, this.o.maxBodyBytes);
        if (!this.o.engine.store.getInstance(a))
          return send(res, 404, { Message: `No instance with ID '${a}' found.` });
        return send(res, 501, {
          Message: `${op === 'rewind' ? 'Rewind' : 'Restart'} is not supported by the local durable engine's storage provider.`,
        });
      }
    }
    send(res, 404, { Message: 'Not found' });
  }

  private async start(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    name: string,
    givenId: string | undefined,
  ): Promise<void> {
    const engine = this.o.engine;
    const known = engine.orchestratorNames();
    if (!known.includes(name)) {
      throw new HttpError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Additional info: ` +
          (known.length
            ? `The following are the known orchestrator functions: ${known.map((n) => `'${n}'`).join(', ')}.`
            : 'No orchestrator functions are currently registered!'),
      );
    }
    if (givenId !== undefined) validInstanceId(givenId);
    const body = await readBody(req, this.o.maxBodyBytes);
    const input = parseJsonBody(body);
    const version = url.searchParams.get('version');
    const instanceId = givenId ?? randomUUID().replace(/-/g, '');
    const result = await engine.startNew(name, instanceId, input, version);
    if (!result.created) {
      throw new HttpError(500, `An Orchestration instance with the status ${result.existingStatus} already exists.`);
    }
    const timeout = url.searchParams.get('timeout');
    if (timeout !== null) {
      const done = await this.waitFor(
        instanceId,
        secondsParam(timeout, 'timeout'),
        url.searchParams.get('pollingInterval'),
      );
      if (done && done.status === 'Completed') return sendRaw(res, 200, done.output ?? 'null');
      if (done && TERMINAL_STATUSES.has(done.status)) return send(res, 200, toStatus(done, { showInput: true }));
    }
    const payload = managementUrls(this.base(req), instanceId, this.o.taskHubName());
    send(res, 202, payload, { Location: payload.statusQueryGetUri!, 'Retry-After': '10' });
  }

  private async waitFor(id: string, timeoutS: number, pollingS: string | null): Promise<InstanceRow | undefined> {
    const interval = pollingS === null ? 1000 : secondsParam(pollingS, 'pollingInterval') * 1000;
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const row = this.o.engine.store.getInstance(id);
      if (!row || TERMINAL_STATUSES.has(row.status) || Date.now() >= deadline) return row;
      await new Promise((r) => setTimeout(r, Math.max(10, Math.min(interval, deadline - Date.now()))));
    }
  }

  private status(res: ServerResponse, url: URL, id: string): void {
    const store = this.o.engine.store;
    const row = store.getInstance(id);
    if (!row) return send(res, 404, { Message: `No instance with ID '${id}' found.` });
    const q = url.searchParams;
    const showHistory = boolParam(q.get('showHistory'), false);
    const showHistoryOutput = boolParam(q.get('showHistoryOutput'), false);
    const showInput = boolParam(q.get('showInput'), true);
    const body = toStatus(row, { showInput });
    if (showHistory) {
      const events = historyForApi(store.historyEvents(id), showHistoryOutput, showInput);
      body.historyEvents = events;
      body.history = events;
    }
    if (TERMINAL_STATUSES.has(row.status)) return send(res, 200, body);
    send(res, 202, body, { Location: url.href, 'Retry-After': '5' });
  }

  private list(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const top = q.get('top') ?? q.get('pageSize');
    const limit = top === null ? 100 : intParam(top, 'top', 1, 10_000);
    const token = req.headers['x-ms-continuation-token'];
    const after = typeof token === 'string' && token ? decodeToken(token) : undefined;
    const rows = this.o.engine.store.list({ ...filterFrom(q), limit: limit + 1, ...(after ? { after } : {}) });
    const page = rows.slice(0, limit);
    const showInput = boolParam(q.get('showInput'), true);
    const headers: Record<string, string> = {};
    if (rows.length > limit) {
      const last = page[page.length - 1]!;
      headers['x-ms-continuation-token'] = Buffer.from(JSON.stringify({ c: last.created_at, i: last.id })).toString(
        'base64url',
      );
    }
    send(
      res,
      200,
      page.map((r) => toStatus(r, { showInput })),
      headers,
    );
  }

  private async purge(res: ServerResponse, id: string): Promise<void> {
    const n = await this.o.engine.purge(id);
    if (n === undefined) return send(res, 404, { Message: `No instance with ID '${id}' found.` });
    send(res, 200, { instancesDeleted: n });
  }

  private async purgeBy(res: ServerResponse, url: URL): Promise<void> {
    const q = url.searchParams;
    if (!q.get('createdTimeFrom')) throw new HttpError(400, "Please provide value for 'createdTimeFrom' parameter.");
    const n = await this.o.engine.purgeBy(filterFrom(q));
    if (n === 0) return send(res, 404, { instancesDeleted: 0 });
    send(res, 200, { instancesDeleted: n });
  }

  private async raise(req: IncomingMessage, res: ServerResponse, id: string, eventName: string): Promise<void> {
    if (!EVENT_NAME.test(eventName)) {
      throw new HttpError(400, `The event name '${eventName.slice(0, 300)}' is not valid.`);
    }
    const body = await readBody(req, this.o.maxBodyBytes);
    const type = String(req.headers['content-type'] ?? '');
    if (body.length > 0 && !/json/i.test(type)) {
      throw new HttpError(400, "Only 'application/json' request content is supported for raising events.");
    }
    const data = body.length === 0 ? null : parseJsonBody(body, true);
    this.outcome(res, await this.o.engine.raiseEvent(id, eventName, data), id);
  }

  private outcome(res: ServerResponse, outcome: 'accepted' | 'notFound' | 'gone', id?: string): void {
    if (outcome === 'accepted') return send(res, 202, undefined);
    if (outcome === 'notFound') return send(res, 404, { Message: `No instance with ID '${id ?? ''}' found.` });
    send(res, 410, { Message: 'The instance is in a terminal state (Completed, Failed, Terminated or Canceled).' });
  }

  private base(req: IncomingMessage): string {
    const host = req.headers.host ?? 'localhost';
    return `http://${host}${DURABLE_WEBHOOK_PATH}`;
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const INSTANCE_ID = /^[^\x00-\x1f\x7f/\\#?]{1,256}$/;
// eslint-disable-next-line no-control-regex -- idem
const EVENT_NAME = /^[^\x00-\x1f\x7f/\\#?]{1,256}$/;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The status object of the HTTP API (`StatusResponsePayload`). */
export function toStatus(row: InstanceRow, opts: { showInput: boolean }): Record<string, unknown> {
  return {
    name: row.name,
    instanceId: row.id,
    runtimeStatus: row.status,
    input: opts.showInput ? parseOrNull(row.input) : null,
    customStatus: parseOrNull(row.custom_status),
    output: parseOrNull(row.output),
    createdTime: apiTime(row.created_at),
    lastUpdatedTime: apiTime(row.updated_at),
  };
}

/** The extension formats API times as `yyyy-MM-ddTHH:mm:ssZ` (whole seconds). */
export function apiTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const EVENT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EventType).map(([k, v]) => [v, k]));

/** History as `GetStatusAsync(showHistory)` returns it (protocol §7.3). */
export function historyForApi(
  events: Record<string, unknown>[],
  showOutput: boolean,
  showInput: boolean,
): Record<string, unknown>[] {
  const scheduled = new Map<number, Record<string, unknown>>();
  const out: Record<string, unknown>[] = [];
  for (const e of events) {
    const type = e.EventType as number;
    if (type === EventType.OrchestratorStarted || type === EventType.OrchestratorCompleted) continue;
    if (type === EventType.TaskScheduled || type === EventType.SubOrchestrationInstanceCreated) {
      scheduled.set(e.EventId as number, e);
      continue;
    }
    const { EventType: _t, EventId: _id, IsPlayed: _p, ...rest } = e;
    void _t;
    void _id;
    void _p;
    const o: Record<string, unknown> = { EventType: EVENT_NAMES[type] ?? String(type), ...rest };
    if (type === EventType.ExecutionStarted) {
      o.FunctionName = o.Name;
      delete o.Name;
    }
    if (
      type === EventType.TaskCompleted ||
      type === EventType.TaskFailed ||
      type === EventType.SubOrchestrationInstanceCompleted ||
      type === EventType.SubOrchestrationInstanceFailed
    ) {
      const s = scheduled.get(e.TaskScheduledId as number);
      if (s) {
        o.FunctionName = s.Name;
        o.ScheduledTime = s.Timestamp;
      }
    }
    if (type === EventType.TimerFired) delete o.TimerId;
    if (!showOutput) delete o.Result;
    if (!showInput) delete o.Input;
    out.push(o);
  }
  return out;
}

function parseOrNull(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function filterFrom(q: URLSearchParams): {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatus[];
  idPrefix?: string;
} {
  const f: { createdFrom?: number; createdTo?: number; statuses?: RuntimeStatus[]; idPrefix?: string } = {};
  const from = q.get('createdTimeFrom');
  const to = q.get('createdTimeTo');
  if (from) f.createdFrom = dateParam(from, 'createdTimeFrom');
  if (to) f.createdTo = dateParam(to, 'createdTimeTo');
  const statuses = q
    .getAll('runtimeStatus')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (statuses.length) {
    f.statuses = statuses.map((s) => {
      const match = ALL_STATUSES.find((k) => k.toLowerCase() === s.toLowerCase());
      if (!match) throw new HttpError(400, `'${s}' is not a valid runtimeStatus (one of ${ALL_STATUSES.join(', ')}).`);
      return match;
    });
  }
  const prefix = q.get('instanceIdPrefix');
  if (prefix) f.idPrefix = prefix;
  return f;
}

function dateParam(v: string, name: string): number {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new HttpError(400, `The '${name}' parameter '${v}' is not a valid date.`);
  return t;
}

function intParam(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new HttpError(400, `The '${name}' parameter must be an integer from ${min} to ${max}.`);
  }
  return n;
}

function secondsParam(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw new HttpError(400, `The '${name}' parameter is not valid.`);
  return n;
}

function boolParam(v: string | null, dflt: boolean): boolean {
  if (v === null || v === '') return dflt;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new HttpError(400, `'${v}' is not a valid boolean.`);
}

function decodeToken(token: string): { createdAt: number; id: string } {
  try {
    const o = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; i?: unknown };
    if (typeof o.c === 'number' && typeof o.i === 'string') return { createdAt: o.c, id: o.i };
  } catch {
    // fall through
  }
  throw new HttpError(400, 'The continuation token is not valid.');
}

/** Instance ids: 1–256 characters, no control characters and none of / \ # ? (they cannot be routed). */
export function validInstanceId(id: string): void {
  if (!INSTANCE_ID.test(id) || id.startsWith('@')) {
    throw new HttpError(400, `The instance id '${id.slice(0, 300)}' is not valid.`);
  }
}

/** Request body as text; 413 once it exceeds `max` bytes (the rest is drained, nothing is stored). */
export async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    throw new HttpError(413, `The request body is larger than the limit of ${max} bytes.`);
  }
  const parts: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) over = true;
    if (!over) parts.push(b);
  }
  if (over) throw new HttpError(413, `The request body is larger than the limit of ${max} bytes.`);
  return Buffer.concat(parts).toString('utf8');
}

async function drain(req: IncomingMessage, max: number): Promise<void> {
  await readBody(req, max);
}

/**
 * The orchestration input / event data as JSON text. An empty body, and the JSON string `""` the library sends
 * for `startNew` without input (protocol §7.2), mean no input.
 */
function parseJsonBody(body: string, keepEmptyString = false): string | null {
  const text = body.trim();
  if (text.length === 0) return null;
  try {
    JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
  if (text === '""' && !keepEmptyString) return null;
  return text;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  sendRaw(res, status, JSON.stringify(body), headers);
}

function sendRaw(res: ServerResponse, status: number, json: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(json),
    ...headers,
  });
  res.end(json);
}

/** `/admin/durable/...`: instances by status and one instance's stored history. */
export function handleAdmin(engine: DurableEngine, req: IncomingMessage, res: ServerResponse, url: URL): void {
  try {
    const rest = url.pathname.replace(/^\/admin\/durable\/?/, '');
    const segs = rest.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method !== 'GET') return send(res, 405, { Message: 'Only GET is supported.' });
    if (segs.length === 0 || (segs[0] === 'instances' && segs.length === 1)) {
      const filter = filterFrom(
        new URLSearchParams({
          ...(url.searchParams.get('status') ? { runtimeStatus: url.searchParams.get('status')! } : {}),
        }),
      );
      const top = url.searchParams.get('top');
      const rows = engine.store.list({ ...filter, limit: top === null ? 1000 : intParam(top, 'top', 1, 100_000) });
      return send(res, 200, {
        counts: engine.store.countByStatus(),
        engine: {
          activeInstances: engine.activeCount,
          activitiesQueuedOrRunning: engine.queuedActivities,
          pendingTimers: engine.pendingTimers,
          ...engine.stats,
        },
        instances: rows.map((r) => ({
          ...toStatus(r, { showInput: false }),
          executionId: r.execution_id,
          generation: r.generation,
          parentInstanceId: r.parent_id,
        })),
      });
    }
    if (segs[0] === 'instances' && segs.length === 3 && segs[2] === 'history') {
      const row = engine.store.getInstance(segs[1]!);
      if (!row) return send(res, 404, { Message: `No instance with ID '${segs[1]}' found.` });
      const events = engine.store.historyEvents(row.id).map((e) => ({
        EventTypeName: EVENT_NAMES[e.EventType as number],
        ...e,
      }));
      return send(res, 200, { ...toStatus(row, { showInput: true }), executionId: row.execution_id, history: events });
    }
    send(res, 404, { Message: 'Not found' });
  } catch (e) {
    if (e instanceof HttpError) return send(res, e.status, { Message: e.message });
    send(res, 500, { Message: e instanceof Error ? e.message : String(e) });
  }
}
