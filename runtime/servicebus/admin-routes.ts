import type { IncomingMessage, ServerResponse } from 'node:http';

import { z } from 'zod';

import type { Clock } from '../clock/shared-clock';
import type { SystemRouteHandler } from '../host/runtime-services';
import { EntityNotFoundError, type OutgoingMessage, type ServiceBusBroker, SessionRequiredError } from './broker';

/** Largest admin request body accepted (a Standard-tier message is at most 256 KB). */
const MAX_BODY_BYTES = 1024 * 1024;

const propertyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `POST /admin/servicebus/{entity}/messages` body. */
export const enqueueRequestSchema = z
  .object({
    body: z.unknown().optional(),
    bodyBase64: z.string().optional(),
    messageId: z.string().min(1).max(128).optional(),
    sessionId: z.string().min(1).max(128).optional(),
    contentType: z.string().max(256).optional(),
    correlationId: z.string().max(128).optional(),
    subject: z.string().max(256).optional(),
    replyTo: z.string().max(256).optional(),
    applicationProperties: z.record(z.string(), propertyValue).optional(),
    scheduledEnqueueTime: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((v) => (v.body === undefined) !== (v.bodyBase64 === undefined), {
    message: 'give exactly one of body (text or JSON) and bodyBase64 (binary)',
  });

/**
 * The broker's admin API (the only producer besides output bindings — there is no AMQP endpoint):
 * - `GET /admin/servicebus/queues`: queues, topics and subscriptions with active, scheduled, locked and dead-letter
 *   counts;
 * - `GET /admin/servicebus/{entity}/deadletter`: dead-lettered messages of a queue or subscription
 *   (`{topic}/subscriptions/{name}`), with reason;
 * - `POST /admin/servicebus/{queue-or-topic}/messages`: enqueue one message (`body` text/JSON or `bodyBase64`,
 *   `sessionId`, `applicationProperties`, `scheduledEnqueueTime` ISO-8601, …) → 201.
 */
export function serviceBusAdminRoutes(broker: ServiceBusBroker, clock: Clock): SystemRouteHandler {
  return async (req, res, url) => {
    const rest = url.pathname.replace(/^\/admin\/servicebus\/?/, '');
    const segments = rest
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    try {
      if (segments.length === 1 && segments[0] === 'queues') {
        if (req.method !== 'GET') return sendProblem(res, 405, 'Method not allowed', 'Use GET.');
        return sendJson(res, 200, { entities: broker.counts() });
      }
      const last = segments[segments.length - 1];
      const entity = segments.slice(0, -1).join('/');
      if (segments.length >= 2 && last === 'deadletter') {
        if (req.method !== 'GET') return sendProblem(res, 405, 'Method not allowed', 'Use GET.');
        if (!broker.entity(entity)) return sendProblem(res, 404, 'Not found', `No Service Bus entity "${entity}".`);
        const messages = broker.deadLetters(entity).map((m) => ({
          sequenceNumber: m.sequenceNumber,
          messageId: m.messageId,
          sessionId: m.sessionId,
          contentType: m.contentType,
          deliveryCount: m.deliveryCount,
          enqueuedTimeUtc: new Date(m.enqueuedTimeMs).toISOString(),
          deadLetterReason: m.deadLetterReason,
          deadLetterErrorDescription: m.deadLetterErrorDescription,
          deadLetteredTimeUtc:
            m.deadLetteredTimeMs === undefined ? undefined : new Date(m.deadLetteredTimeMs).toISOString(),
          applicationProperties: m.applicationProperties,
          ...(m.bodyIsText
            ? { body: Buffer.from(m.body).toString('utf8') }
            : { bodyBase64: Buffer.from(m.body).toString('base64') }),
        }));
        return sendJson(res, 200, { entity: entity.toLowerCase(), messages });
      }
      if (segments.length >= 2 && last === 'messages') {
        if (req.method !== 'POST') return sendProblem(res, 405, 'Method not allowed', 'Use POST.');
        const raw = await readBody(req);
        if (raw === undefined)
          return sendProblem(res, 413, 'Payload too large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          return sendProblem(res, 400, 'Bad request', 'The body is not JSON.');
        }
        const parsed = enqueueRequestSchema.safeParse(json);
        if (!parsed.success) {
          const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
          return sendProblem(res, 400, 'Bad request', detail);
        }
        const v = parsed.data;
        const message: OutgoingMessage =
          v.bodyBase64 !== undefined
            ? { body: Buffer.from(v.bodyBase64, 'base64'), bodyIsText: false }
            : typeof v.body === 'string'
              ? { body: Buffer.from(v.body, 'utf8'), bodyIsText: true }
              : {
                  body: Buffer.from(JSON.stringify(v.body), 'utf8'),
                  bodyIsText: true,
                  contentType: 'application/json',
                };
        if (v.messageId) message.messageId = v.messageId;
        if (v.sessionId) message.sessionId = v.sessionId;
        if (v.contentType !== undefined) message.contentType = v.contentType;
        if (v.correlationId !== undefined) message.correlationId = v.correlationId;
        if (v.subject !== undefined) message.subject = v.subject;
        if (v.replyTo !== undefined) message.replyTo = v.replyTo;
        if (v.applicationProperties) message.applicationProperties = v.applicationProperties;
        if (v.scheduledEnqueueTime) message.scheduledEnqueueTimeMs = Date.parse(v.scheduledEnqueueTime);
        try {
          const sequenceNumbers = broker.send(entity, [message]);
          return sendJson(res, 201, {
            entity: entity.toLowerCase(),
            sequenceNumbers,
            scheduled: message.scheduledEnqueueTimeMs !== undefined && message.scheduledEnqueueTimeMs > clock.now(),
          });
        } catch (e) {
          if (e instanceof EntityNotFoundError) {
            return sendProblem(
              res,
              404,
              'Not found',
              `${e.message} Entities are created when a trigger or output binding first uses them.`,
            );
          }
          if (e instanceof SessionRequiredError) return sendProblem(res, 400, 'Bad request', e.message);
          throw e;
        }
      }
      return sendProblem(res, 404, 'Not found', `No Service Bus admin route ${url.pathname}.`);
    } catch (e) {
      return sendProblem(res, 500, 'Internal error', e instanceof Error ? e.message : String(e));
    }
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendProblem(res: ServerResponse, status: number, title: string, detail: string): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
