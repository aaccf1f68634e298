/**
 * Helpers for the emulator's contract tests: temp state dirs, a test world (demo world without drifts), raw HTTPS
 * calls trusting the emulator's CA, a loopback webhook, and a probe module that exercises the module seam.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { notImplemented } from '../../../emulator/core/errors';
import type { DemoDrift, DemoWorld, EmulatorContext, EmulatorModule } from '../../../emulator/core/module';
import { ARM_AUDIENCES } from '../../../emulator/entra/token-service';
import { findRepoRoot } from '../../../lib/find-repo-root';

export function tempStateDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-emu-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** demo/world.json without its drifts (those need the ARM module). */
export function testWorld(): DemoWorld {
  const world = JSON.parse(readFileSync(path.join(findRepoRoot(__dirname), 'demo', 'world.json'), 'utf8')) as DemoWorld;
  return { ...world, drifts: [] };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export function request(
  baseUrl: string,
  ca: string,
  method: string,
  pathAndQuery: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; host?: string } = {},
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: opts.host ?? u.hostname,
        port: u.port,
        method,
        path: pathAndQuery,
        ca,
        headers: {
          ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Webhook {
  url: string;
  requests: RecordedRequest[];
  /** Decides the answer to each request (default: the validation handshake, then 200). */
  respond: (r: RecordedRequest) => { status: number; body?: string; headers?: Record<string, string> };
  close(): Promise<void>;
}

/** A plain-HTTP loopback webhook that answers the Event Grid validation handshake by default. */
export async function startWebhook(): Promise<Webhook> {
  const hook: Webhook = {
    url: '',
    requests: [],
    respond: (r) => {
      if (r.headers['aeg-event-type'] === 'SubscriptionValidation') {
        const [ev] = JSON.parse(r.body) as Array<{ data: { validationCode: string } }>;
        return { status: 200, body: JSON.stringify({ validationResponse: ev!.data.validationCode }) };
      }
      if (r.method === 'OPTIONS') return { status: 200, headers: { 'webhook-allowed-origin': 'eventgrid.azure.net' } };
      return { status: 200 };
    },
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      hook.requests.push(rec);
      const a = hook.respond(rec);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/runtime/webhooks/eventgrid?functionName=onEvent&code=k`;
  hook.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return hook;
}

export async function waitFor<T>(fn: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Notifications (not handshakes) a webhook received. */
export function notifications(hook: Webhook): RecordedRequest[] {
  return hook.requests.filter((r) => r.headers['aeg-event-type'] === 'Notification');
}

/**
 * A module that exercises the seam the way resource providers do: an authenticated route (ARM audiences), an echo
 * of the parsed request, a write that publishes ARM's resource event, a 501, and a drift handler.
 */
export function probeModule(): EmulatorModule & { applied: DemoDrift[]; ctx?: EmulatorContext } {
  const mod: EmulatorModule & { applied: DemoDrift[]; ctx?: EmulatorContext } = {
    name: 'probe',
    applied: [],
    migrate(db) {
      db.exec('CREATE TABLE IF NOT EXISTS probe_items (id TEXT PRIMARY KEY)');
    },
    register(router, ctx) {
      mod.ctx = ctx;
      router.get('/test/whoami', (req) => {
        const caller = ctx.authenticate(req, ARM_AUDIENCES);
        return { status: 200, body: { oid: caller.oid, appid: caller.appid, principalType: caller.principalType } };
      });
      router.add(['GET', 'PUT', 'POST'], '/{*scope}/providers/Microsoft.Probe/echo/{name}', (req) => ({
        status: 200,
        body: {
          path: req.path,
          scope: req.params.scope,
          name: req.params.name,
          apiVersion: req.apiVersion,
          filter: req.queryParam('$filter'),
          body: req.body ?? null,
        },
      }));
      router.put('/{*id}/providers/Microsoft.Probe/things/{name}', (req) => {
        const caller = ctx.authenticate(req, ARM_AUDIENCES);
        const id = `${req.params.id}/providers/Microsoft.Probe/things/${req.params.name}`;
        ctx.publishResourceEvent({
          kind: 'Write',
          resourceUri: id,
          operationName: 'Microsoft.Probe/things/write',
          caller,
          request: req,
        });
        return { status: 200, body: { id } };
      });
      router.get('/test/not-implemented', () => {
        throw notImplemented('Microsoft.Probe/things/listKeys/action');
      });
      router.post('/admin/probe/things', (req) => {
        const caller = ctx.adminCaller(req);
        const id = `/subscriptions/${ctx.subscriptionId}/resourceGroups/rg-fraud-ml/providers/Microsoft.Storage/storageAccounts/stprobe`;
        const ev = ctx.publishResourceEvent({
          kind: 'Write',
          resourceUri: id,
          operationName: 'Microsoft.Storage/storageAccounts/write',
          caller,
          request: req,
          method: 'PUT',
        });
        return { status: 200, body: ev };
      });
    },
    drifts: {
      probeDrift: (drift, ctx) => {
        mod.applied.push(drift);
        ctx.db.prepare('INSERT OR REPLACE INTO probe_items (id) VALUES (?)').run(String(drift.id));
        if (typeof drift.resourceId === 'string' && drift.actor) {
          ctx.publishResourceEvent({
            kind: 'Write',
            resourceUri: drift.resourceId,
            operationName: 'Microsoft.Storage/storageAccounts/write',
            caller: ctx.directory.identityOf(drift.actor),
          });
        }
      },
    },
  };
  return mod;
}

export async function waitForAsync<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
