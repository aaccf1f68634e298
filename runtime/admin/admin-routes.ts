import type { IncomingMessage, ServerResponse } from 'node:http';

import { parseIsoDuration } from '../clock/iso-duration';
import type { SharedClock } from '../clock/shared-clock';
import type { FunctionRow } from '../host/registrations';
import type { RuntimeLogger, SystemRouteHandler } from '../host/runtime-services';
import { isLoopback, readBody, sendJson, sendProblem } from '../http/http-server';
import { presentedKey } from '../http/http-trigger-component';
import type { KeyStore } from './key-store';

export type RuntimeState = 'starting' | 'ready' | 'stopping' | 'stopped';

export interface AdminContext {
  keys: KeyStore;
  clock: SharedClock;
  logger: RuntimeLogger;
  state(): RuntimeState;
  functions(): FunctionRow[];
  components(): string[];
  baseUrl(): string;
}

/**
 * Wraps a handler under `/admin/...`: loopback callers only (403 otherwise) and the master key (`_master`, in
 * `x-functions-key` or `code`), 401 without it.
 */
export function guardAdmin(keys: KeyStore, handler: SystemRouteHandler): SystemRouteHandler {
  return (req, res, url) => {
    if (!isLoopback(req)) {
      req.resume();
      sendProblem(res, 403, 'Forbidden', 'Admin endpoints answer only on the loopback interface.');
      return;
    }
    if (!keys.authorizeMaster(presentedKey(req, url))) {
      req.resume();
      sendProblem(
        res,
        401,
        'Unauthorized',
        'Admin endpoints need the master key (_master in <stateDir>/keys.json) in the x-functions-key header or code query parameter.',
      );
      return;
    }
    return handler(req, res, url);
  };
}

/** `GET /admin/health`: 200 once every component started, 503 while starting or stopping. No key needed. */
export function healthRoute(ctx: AdminContext): SystemRouteHandler {
  return (req, res) => {
    req.resume();
    const state = ctx.state();
    sendJson(res, state === 'ready' ? 200 : 503, { status: state, components: ctx.components() });
  };
}

/** `/admin/functions`, `/admin/keys`, `/admin/clock`, `/admin/clock/advance` (behind {@link guardAdmin}). */
export function adminRoutes(ctx: AdminContext): SystemRouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const path = url.pathname.replace(/\/+$/, '').toLowerCase();
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === '/admin/functions' && method === 'GET') {
      req.resume();
      sendJson(res, 200, { baseUrl: ctx.baseUrl(), functions: ctx.functions() });
      return;
    }
    if (path === '/admin/keys' && method === 'GET') {
      req.resume();
      ctx.logger.info('admin.keys-read', { message: 'The key store was read through the admin endpoint.' });
      sendJson(res, 200, { file: ctx.keys.file, ...ctx.keys.snapshot() });
      return;
    }
    if (path === '/admin/clock' && method === 'GET') {
      req.resume();
      sendJson(res, 200, clockState(ctx.clock));
      return;
    }
    if (path === '/admin/clock/advance' && method === 'POST') {
      const body = await readBody(req, 64 * 1024);
      let ms: number;
      try {
        ms = advanceAmount(body);
      } catch (e) {
        sendProblem(res, 400, 'Bad Request', (e as Error).message);
        return;
      }
      if (!ctx.clock.advanceable) {
        sendProblem(res, 409, 'Conflict', 'The clock can only be advanced in test mode (WARDEN_CLOCK_MODE=test).');
        return;
      }
      ctx.clock.advance(ms);
      ctx.logger.info('clock.advanced', { advancedMs: ms, offsetMs: ctx.clock.offset });
      sendJson(res, 200, clockState(ctx.clock));
      return;
    }
    req.resume();
    sendProblem(res, 404, 'Not Found', `No admin endpoint ${method} ${url.pathname}.`);
  };
}

function clockState(clock: SharedClock): Record<string, unknown> {
  const now = clock.now();
  return {
    now: new Date(now).toISOString(),
    epochMs: now,
    offsetMs: clock.offset,
    mode: clock.advanceable ? 'test' : 'real',
    file: clock.file ?? null,
  };
}

/** `{"ms": n}` or `{"duration": "PT1H"}` → milliseconds (non-negative). */
export function advanceAmount(body: Buffer): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('The body must be JSON: {"ms": <milliseconds>} or {"duration": "PT1H"}.');
  }
  if (!parsed || typeof parsed !== 'object') throw new Error('The body must be a JSON object with "ms" or "duration".');
  const { ms, duration } = parsed as { ms?: unknown; duration?: unknown };
  if (ms !== undefined && duration !== undefined) throw new Error('Give either "ms" or "duration", not both.');
  if (typeof ms === 'number') {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`"ms" must be a non-negative number, got ${ms}.`);
    return ms;
  }
  if (typeof duration === 'string') return parseIsoDuration(duration);
  throw new Error('The body needs "ms" (a number) or "duration" (an ISO 8601 duration such as PT1H).');
}
