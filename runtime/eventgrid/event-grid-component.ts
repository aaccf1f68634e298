import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { KeyStore } from '../admin/key-store';
import type { Clock } from '../clock/shared-clock';
import type { RpcTypedData } from '../host/core-types';
import { isFunctionDisabled } from '../host/disabled-functions';
import { type FunctionHost, triggerBindingOf } from '../host/function-host';
import type { RuntimeComponent, RuntimeLogger, RuntimeServices } from '../host/runtime-services';
import { readBody, sendJson, sendText } from '../http/http-server';
import { presentedKey } from '../http/http-trigger-component';

/** The system key name the Event Grid extension registers (`/runtime/webhooks/eventgrid?code=…`). */
export const EVENT_GRID_SYSTEM_KEY = 'eventgrid_extension';
export const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

export interface EventGridOptions {
  keys: KeyStore;
  bodyLimit: number;
}

type JsonObject = Record<string, unknown>;

const EVENT_TYPES: Record<string, 'Notification' | 'SubscriptionValidation' | 'Unsubscribe'> = {
  notification: 'Notification',
  subscriptionvalidation: 'SubscriptionValidation',
  unsubscribe: 'Unsubscribe',
};

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Which schema an event is in, or a reason it is in neither. */
export function eventSchemaOf(event: unknown): 'EventGrid' | 'CloudEvents' | { problem: string } {
  if (!isObject(event))
    return { problem: `must be a JSON object, got ${Array.isArray(event) ? 'an array' : typeof event}` };
  if (event.specversion !== undefined) {
    const missing = ['id', 'source', 'type'].filter((k) => typeof event[k] !== 'string' || event[k] === '');
    if (event.specversion !== '1.0')
      return { problem: `has specversion ${JSON.stringify(event.specversion)}; only CloudEvents 1.0 is supported` };
    return missing.length === 0 ? 'CloudEvents' : { problem: `is a CloudEvent without ${missing.join(', ')}` };
  }
  // `subject` may be empty (validation events have ""); the others must be non-empty strings.
  const missing = ['id', 'eventType', 'subject', 'eventTime'].filter(
    (k) => typeof event[k] !== 'string' || (k !== 'subject' && event[k] === ''),
  );
  return missing.length === 0
    ? 'EventGrid'
    : { problem: `is neither an Event Grid event (missing ${missing.join(', ')}) nor a CloudEvent (no specversion)` };
}

/**
 * The Event Grid trigger as the WebJobs Event Grid extension serves it at `/runtime/webhooks/eventgrid`.
 *
 * @remarks
 * Behaviour (../shared/reference/functions-host-contract.md §3.4): the system key `eventgrid_extension` (or the
 * master key) in `code` or `x-functions-key`, else 401; unknown function → 404; the CloudEvents OPTIONS
 * abuse-protection handshake; `aeg-event-type` `SubscriptionValidation` (200 `{validationResponse}`),
 * `Notification` (each event its own invocation, all concurrently; 202 when all returned, 500 if one threw so Event
 * Grid retries the batch) and `Unsubscribe` (202); a missing or other `aeg-event-type` → 400; a body that is not
 * JSON → 400. Stricter than the extension: an event in neither schema is refused with 400 before any invocation.
 */
export class EventGridComponent implements RuntimeComponent {
  readonly name = 'eventgrid';
  readonly triggerTypes = ['eventGridTrigger'] as const;
  private host: FunctionHost | undefined;
  private clock: Clock | undefined;
  private logger: RuntimeLogger | undefined;
  /** Lower-cased function name → function name and trigger binding name. */
  private readonly functions = new Map<string, { name: string; triggerName: string }>();
  private stopped = false;

  constructor(private readonly options: EventGridOptions) {}

  start(services: RuntimeServices): Promise<void> {
    this.host = services.host;
    this.clock = services.clock;
    this.logger = services.logger;
    for (const fn of services.host.functions.values()) {
      const { name, binding } = triggerBindingOf(fn);
      if (
        String(binding.type).toLowerCase() === 'eventgridtrigger' &&
        !isFunctionDisabled(services.env, fn.metadata.name)
      ) {
        this.functions.set(fn.metadata.name.toLowerCase(), { name: fn.metadata.name, triggerName: name });
      }
    }
    this.options.keys.systemKey(EVENT_GRID_SYSTEM_KEY);
    services.addSystemRoute(EVENT_GRID_PATH, (req, res, url) => this.handle(req, res, url));
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname.replace(/\/+$/, '').toLowerCase() !== EVENT_GRID_PATH) {
      req.resume();
      sendText(res, 404, `No runtime endpoint at ${url.pathname}.`);
      return;
    }
    if (!this.options.keys.authorizeSystem(EVENT_GRID_SYSTEM_KEY, presentedKey(req, url))) {
      req.resume();
      sendText(
        res,
        401,
        'Unauthorized: the Event Grid webhook needs the eventgrid_extension system key in the code query parameter or the x-functions-key header.',
      );
      return;
    }
    const method = (req.method ?? '').toUpperCase();
    if (method === 'OPTIONS') {
      const origin = req.headers['webhook-request-origin'];
      req.resume();
      if (typeof origin !== 'string' || origin === '') {
        sendText(res, 400, 'OPTIONS needs a WebHook-Request-Origin header (CloudEvents abuse protection).');
        return;
      }
      res.writeHead(200, { 'webhook-allowed-origin': origin, 'webhook-allowed-rate': '*', 'content-length': 0 });
      res.end();
      return;
    }
    if (method !== 'POST') {
      req.resume();
      sendText(res, 405, `The Event Grid webhook accepts POST and OPTIONS, not ${method}.`, { allow: 'POST, OPTIONS' });
      return;
    }
    const requested = url.searchParams.get('functionName') ?? '';
    const target = this.functions.get(requested.toLowerCase());
    if (!target) {
      req.resume();
      sendText(res, 404, `cannot find function: '${requested}'`);
      return;
    }
    if (this.stopped) {
      req.resume();
      sendText(res, 503, 'The local Functions runtime is shutting down; Event Grid will retry.');
      return;
    }
    const header = req.headers['aeg-event-type'];
    // The extension compares the header case-insensitively.
    const eventType = EVENT_TYPES[String(header ?? '').toLowerCase()];
    if (!eventType) {
      req.resume();
      sendText(
        res,
        400,
        header === undefined
          ? 'Missing aeg-event-type header (expected Notification, SubscriptionValidation or Unsubscribe).'
          : `Unknown aeg-event-type "${String(header)}" (expected Notification, SubscriptionValidation or Unsubscribe).`,
      );
      return;
    }
    const body = await readBody(req, this.options.bodyLimit);
    if (eventType === 'Unsubscribe') {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
      return;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch (e) {
      sendText(res, 400, `The request body is not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (eventType === 'SubscriptionValidation') {
      this.validate(res, payload);
      return;
    }
    const events = Array.isArray(payload) ? payload : [payload];
    const problems: string[] = [];
    events.forEach((event, i) => {
      const schema = eventSchemaOf(event);
      if (typeof schema === 'object') problems.push(`event ${i} ${schema.problem}`);
    });
    if (problems.length > 0) {
      sendText(
        res,
        400,
        `The request body is not an Event Grid or CloudEvents 1.0 delivery: ${problems.slice(0, 5).join('; ')}.`,
      );
      return;
    }
    const results = await Promise.all(
      events.map((event) => this.invokeOne(target.name, target.triggerName, event as JsonObject)),
    );
    const failures = results.filter((r): r is Error => r instanceof Error);
    if (failures.length > 0) {
      sendText(res, 500, `Exception while executing function: Functions.${target.name}: ${failures[0]?.message ?? ''}`);
      return;
    }
    res.writeHead(202, { 'content-length': 0 });
    res.end();
  }

  private validate(res: ServerResponse, payload: unknown): void {
    const first: unknown = Array.isArray(payload) ? payload[0] : payload;
    let data: unknown = isObject(first) ? first.data : undefined;
    if (typeof data === 'string') {
      // CloudEvents: data arrives double-encoded.
      try {
        data = JSON.parse(data);
      } catch {
        data = undefined;
      }
    }
    const code = isObject(data) ? data.validationCode : undefined;
    if (typeof code !== 'string' || code === '') {
      sendText(res, 400, 'SubscriptionValidation needs data.validationCode in the first event.');
      return;
    }
    this.logger?.info('eventgrid.subscription-validated', {
      message: 'Answered an Event Grid subscription validation.',
    });
    sendJson(res, 200, { validationResponse: code });
  }

  /** One invocation per event; resolves to the error when it failed. */
  private async invokeOne(functionName: string, triggerName: string, event: JsonObject): Promise<Error | undefined> {
    const host = this.host as FunctionHost;
    const now = new Date((this.clock as Clock).now()).toISOString();
    const triggerMetadata: Record<string, RpcTypedData> = {
      data: { json: JSON.stringify(event.data ?? event.data_base64 ?? null) },
      sys: { json: JSON.stringify({ MethodName: functionName, UtcNow: now, RandGuid: randomUUID() }) },
    };
    const result = await host.invoke(functionName, {
      request: { inputData: [{ name: triggerName, data: { json: JSON.stringify(event) } }], triggerMetadata },
    });
    return result.status === 'failure' ? result.error : undefined;
  }
}
