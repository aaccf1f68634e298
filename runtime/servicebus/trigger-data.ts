import { randomUUID } from 'node:crypto';

import type { RpcTypedData } from '../host/core-types';
import type { LockedMessage } from './broker';

/** `TimeSpan.MaxValue`, the default TimeToLive of a message. */
const MAX_TIME_TO_LIVE = '10675199.02:48:05.4775807';
/** `DateTime.MaxValue` in UTC: ExpiresAtUtc of a message that never expires. */
const NEVER_EXPIRES = '9999-12-31T23:59:59.9999999Z';

/**
 * The trigger value as the Service Bus extension hands it to the Node worker: text as `{string}` (the library parses
 * JSON text into an object), binary as `{bytes}`; with `cardinality: 'many'`, `collectionString` or `collectionBytes`.
 */
export function triggerInput(messages: readonly LockedMessage[], many: boolean): RpcTypedData {
  if (!many) {
    const m = messages[0];
    if (!m) throw new Error('No message to deliver.');
    return m.bodyIsText ? { string: Buffer.from(m.body).toString('utf8') } : { bytes: m.body };
  }
  if (messages.every((m) => m.bodyIsText)) {
    return { collectionString: { string: messages.map((m) => Buffer.from(m.body).toString('utf8')) } };
  }
  return { collectionBytes: { bytes: messages.map((m) => m.body) } };
}

/**
 * The trigger metadata the extension sends (PascalCase keys; the library camel-cases them for the handler), per
 * ../shared/reference/functions-host-contract.md §3.5. Values that are not set are left out. With `many`, every key
 * gets the `Array` suffix and holds one value per message; a single JSON-object body also contributes its top-level
 * properties, as the host's binding data does.
 *
 * @param nowMs shared-clock now (for `sys.UtcNow` and `LockedUntil`, which is reported on the shared clock).
 * @param realNowMs real now (locks are real time).
 */
export function triggerMetadata(
  messages: readonly LockedMessage[],
  many: boolean,
  functionName: string,
  nowMs: number,
  realNowMs: number,
): Record<string, RpcTypedData> {
  const props = messages.map((m) => messageProperties(m, nowMs, realNowMs));
  const out: Record<string, RpcTypedData> = {};
  if (many) {
    const keys = new Set(props.flatMap((p) => Object.keys(p)));
    for (const key of keys) out[`${key}Array`] = { json: JSON.stringify(props.map((p) => p[key] ?? null)) };
  } else {
    const m = messages[0];
    const p = props[0] ?? {};
    if (m?.bodyIsText) {
      try {
        const body: unknown = JSON.parse(Buffer.from(m.body).toString('utf8'));
        if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
          for (const [k, v] of Object.entries(body as Record<string, unknown>))
            out[k] = { json: JSON.stringify(v ?? null) };
        }
      } catch {
        // not JSON: no body properties
      }
    }
    for (const [k, v] of Object.entries(p))
      out[k] = typeof v === 'string' ? { string: v } : { json: JSON.stringify(v) };
  }
  out.sys = {
    json: JSON.stringify({ MethodName: functionName, UtcNow: new Date(nowMs).toISOString(), RandGuid: randomUUID() }),
  };
  return out;
}

function messageProperties(m: LockedMessage, nowMs: number, realNowMs: number): Record<string, unknown> {
  const p: Record<string, unknown> = {
    MessageId: m.messageId,
    DeliveryCount: m.deliveryCount,
    SessionId: m.sessionId,
    EnqueuedTimeUtc: new Date(m.enqueuedTimeMs).toISOString(),
    ExpiresAtUtc: NEVER_EXPIRES,
    LockedUntil: new Date(nowMs + Math.max(0, m.lockedUntilMs - realNowMs)).toISOString(),
    LockToken: m.lockToken,
    SequenceNumber: m.sequenceNumber,
    EnqueuedSequenceNumber: m.sequenceNumber,
    ContentType: m.contentType,
    CorrelationId: m.correlationId,
    ReplyTo: m.replyTo,
    ReplyToSessionId: m.replyToSessionId,
    To: m.to,
    Subject: m.subject,
    Label: m.subject,
    ScheduledEnqueueTimeUtc:
      m.scheduledEnqueueTimeMs === undefined ? undefined : new Date(m.scheduledEnqueueTimeMs).toISOString(),
    TimeToLive: MAX_TIME_TO_LIVE,
    State: 'Active',
    ApplicationProperties: m.applicationProperties,
    UserProperties: m.applicationProperties,
  };
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  return p;
}
