/** Request-line and body parsing (emulator-api-surface.md §0.3). */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { armError, EmulatorHttpError } from './errors';
import type { EmulatorRequest } from './module';

export interface ParsedTarget {
  path: string;
  segments: string[];
  queryAll: URLSearchParams;
  rawQuery: string;
}

/**
 * Splits the request target at `?`, collapses repeated slashes in the path BEFORE any URL parsing (the
 * scope-based SDK operations send `//subscriptions/...`, which `new URL` would read as a host name), and
 * percent-decodes segments and query keys (`api%2Dversion` → `api-version`).
 */
export function parseTarget(rawUrl: string): ParsedTarget {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
  const collapsed = ('/' + rawPath).replace(/\/{2,}/g, '/');
  const segments: string[] = [];
  for (const s of collapsed.split('/')) {
    if (s === '') continue;
    try {
      segments.push(decodeURIComponent(s));
    } catch {
      throw armError(400, 'InvalidRequestUri', `The request URI path segment '${s}' is not valid percent-encoding.`);
    }
  }
  const path = collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
  return { path, segments, queryAll: new URLSearchParams(rawQuery), rawQuery };
}

const JSON_TYPES = /^(application|text)\/([a-z0-9.+-]+\+)?json$/;

export function isJsonContentType(ct: string): boolean {
  return JSON_TYPES.test(ct) || ct === 'application/cloudevents-batch+json' || ct === 'application/cloudevents+json';
}

export function contentTypeOf(req: IncomingMessage): string {
  const raw = req.headers['content-type'];
  return (raw ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Parses a body by content type; JSON-ish types (or none, with a body) → JSON, form → object of fields. */
export function parseBody(raw: Buffer, contentType: string, method: string): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (contentType === '' || isJsonContentType(contentType)) {
    try {
      return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
    } catch (e) {
      throw armError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: '${(e as Error).message}'.`,
      );
    }
  }
  if (method === 'GET' || method === 'DELETE' || method === 'HEAD') return undefined;
  throw armError(
    415,
    'UnsupportedMediaType',
    `The content media type '${contentType}' is not supported. Only 'application/json' is supported.`,
  );
}

/** Reads the body up to `limit` bytes; beyond it throws 413 (ARM's `RequestEntityTooLarge`). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): EmulatorHttpError {
  return armError(
    413,
    'RequestEntityTooLarge',
    `The request content size exceeds the maximum allowed size of ${limit} bytes.`,
  );
}

export function buildRequest(args: {
  req: IncomingMessage;
  target: ParsedTarget;
  params: Record<string, string>;
  rawBody: Buffer;
  body: unknown;
  contentType: string;
  origin: string;
}): EmulatorRequest {
  const { req, target } = args;
  const query = new Map<string, string>();
  for (const [k, v] of target.queryAll) if (!query.has(k)) query.set(k, v);
  const lowerQuery = new Map<string, string>();
  for (const [k, v] of query) if (!lowerQuery.has(k.toLowerCase())) lowerQuery.set(k.toLowerCase(), v);
  const header = (name: string): string | undefined => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: target.path,
    segments: target.segments,
    params: args.params,
    query,
    queryAll: target.queryAll,
    apiVersion: lowerQuery.get('api-version'),
    headers: req.headers,
    rawBody: args.rawBody,
    body: args.body,
    contentType: args.contentType,
    url: `${args.origin}${(req.url ?? '/').startsWith('/') ? '' : '/'}${req.url ?? '/'}`,
    clientIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    clientRequestId: header('x-ms-client-request-id') ?? randomUUID(),
    correlationId: header('x-ms-correlation-request-id') ?? randomUUID(),
    header,
    queryParam: (name: string) => lowerQuery.get(name.toLowerCase()),
  };
}
