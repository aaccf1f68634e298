/**
 * Shared setup for the ARM contract tests: an emulator on an ephemeral port seeded from the demo world, app
 * registrations with client secrets (real `ClientSecretCredential` against the emulator's Entra), a loopback
 * webhook that collects Event Grid deliveries, and raw HTTPS calls for what the SDKs cannot send.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { type AccessToken, ClientSecretCredential, type TokenCredential } from '@azure/identity';

import { armModule } from '../../../emulator/arm';
import type { DemoWorld } from '../../../emulator/core/module';
import { type RunningEmulator, startEmulator } from '../../../emulator/index';

export const ARM_SCOPE = 'https://management.azure.com/.default';

export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'warden') return dir;
    } catch {
      // keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root (package.json named "warden") not found');
    dir = up;
  }
}

export function loadWorld(): DemoWorld {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'demo/world.json'), 'utf8')) as DemoWorld;
}

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'test/fixtures/emulator/arm', name), 'utf8')) as T;
}

export interface ArmTestBed {
  emu: RunningEmulator;
  world: DemoWorld;
  sub: string;
  rg: string;
  endpoint: string;
  ca: string;
  events: EventSink;
  /** A real client-secret credential for a fresh app registration (service principal `principalId`). */
  newApp(displayName: string): Promise<{ appId: string; principalId: string; credential: TokenCredential }>;
  /** A credential that mints tokens through the admin API for a seeded principal (Warden's managed identity, users). */
  mintedCredential(principalId: string): TokenCredential;
  admin(
    method: string,
    p: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export async function startArmTestBed(): Promise<ArmTestBed> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'warden-arm-'));
  const world = loadWorld();
  const events = await EventSink.start();
  const emu = await startEmulator({
    port: 0,
    stateDir,
    world,
    modules: [armModule],
    testClock: true,
    clockFile: path.join(stateDir, 'clock.json'),
    retryScale: 0.001,
    pollIntervalMs: 20,
    defaultActor: '6690be11-5387-4f81-9be0-9eba69a0dd12',
    log: () => undefined,
  });
  const ca = emu.caCert;
  const created = await emu.admin('PUT', '/admin/eventgrid/subscriptions/arm-tests', {
    topic: `/subscriptions/${world.subscriptionId}`,
    endpointUrl: events.url,
    validate: false,
  });
  if (created.status >= 300) throw new Error(`event subscription: ${JSON.stringify(created.body)}`);
  const admin: RunningEmulator['admin'] = (...args) => emu.admin(...args);
  let n = 0;
  return {
    emu,
    world,
    sub: world.subscriptionId,
    rg: `/subscriptions/${world.subscriptionId}/resourceGroups/rg-fraud-ml`,
    endpoint: emu.endpoints.armEndpoint,
    ca,
    events,
    admin,
    async newApp(displayName) {
      const appId = `0000a${String(++n).padStart(3, '0')}-0000-4000-8000-${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
      const app = await admin('PUT', `/admin/apps/${appId}`, { displayName });
      if (app.status >= 300) throw new Error(`app: ${JSON.stringify(app.body)}`);
      const principalId = (app.body as { servicePrincipalId: string }).servicePrincipalId;
      const secret = await admin('POST', `/admin/apps/${appId}/secrets`, {});
      if (secret.status >= 300) throw new Error(`secret: ${JSON.stringify(secret.body)}`);
      const credential = new ClientSecretCredential(world.tenantId, appId, (secret.body as { secret: string }).secret, {
        authorityHost: emu.endpoints.entraAuthorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca },
      });
      return { appId, principalId, credential };
    },
    mintedCredential(principalId) {
      return {
        async getToken(scopes: string | string[]): Promise<AccessToken> {
          const scope = Array.isArray(scopes) ? scopes[0] : scopes;
          const r = await admin('POST', '/admin/tokens', { principalId, scope });
          if (r.status !== 200) throw new Error(`mint: ${JSON.stringify(r.body)}`);
          const b = r.body as { access_token: string; expires_on: number | string };
          return { token: b.access_token, expiresOnTimestamp: Number(b.expires_on) * 1000 };
        },
      };
    },
    async stop() {
      await emu.stop();
      await events.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Client options every ARM client needs against the emulator (TLS trust through the pipeline option). */
export function clientOptions(bed: ArmTestBed, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: bed.endpoint, tlsOptions: { ca: bed.ca }, retryOptions: { maxRetries: 0 }, ...extra };
}

export interface ReceivedEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
  data: Record<string, unknown> & {
    operationName: string;
    resourceUri: string;
    authorization: { scope: string; action: string; evidence?: Record<string, string> };
    claims: Record<string, string>;
    httpRequest?: { method: string; url: string; clientRequestId: string; clientIpAddress: string };
  };
}

/** A loopback webhook collecting Event Grid deliveries. */
export class EventSink {
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly received: ReceivedEvent[],
  ) {}

  static async start(): Promise<EventSink> {
    const received: ReceivedEvent[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedEvent | ReceivedEvent[];
          received.push(...(Array.isArray(body) ? body : [body]));
        } catch {
          // ignore
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new EventSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, received);
  }

  /** Waits (bounded) until an event matching `pred` has arrived. */
  async waitFor(pred: (e: ReceivedEvent) => boolean, what: string, timeoutMs = 10_000): Promise<ReceivedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) {
        throw new Error(
          `no event ${what}; got: ${this.received.map((e) => `${e.eventType} ${e.data?.operationName} ${e.subject}`).join(' | ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A raw HTTPS call (for requests the SDKs never send: no token, bad bodies, wrong content types). */
export function raw(
  bed: ArmTestBed,
  method: string,
  pathAndQuery: string,
  options: { token?: string; body?: string; contentType?: string } = {},
): Promise<{
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(`${bed.endpoint.replace(/\/$/, '')}${pathAndQuery}`),
      {
        method,
        ca: bed.ca,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined
            ? {
                'content-type': options.contentType ?? 'application/json',
                'content-length': String(Buffer.byteLength(options.body)),
              }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Record<string, unknown>;
          try {
            body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            body = { text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Every key path of `expected` (a documented example) exists in `actual` with the same JSON type (or null for a
 * scalar that does not apply).
 */
export function assertCoversShape(expected: unknown, actual: unknown, at = '$'): void {
  if (expected === null || expected === undefined) return;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) throw new Error(`${at}: expected an array, got ${JSON.stringify(actual)}`);
    if (expected.length > 0 && actual.length > 0) assertCoversShape(expected[0], actual[0], `${at}[0]`);
    return;
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      throw new Error(`${at}: expected an object, got ${JSON.stringify(actual)}`);
    }
    for (const [k, v] of Object.entries(expected)) {
      if (!(k in actual)) throw new Error(`${at}.${k}: missing (documented in Azure's example)`);
      assertCoversShape(v, (actual as Record<string, unknown>)[k], `${at}.${k}`);
    }
    return;
  }
  // A documented scalar may be null where it does not apply (no condition, a standing grant's end time).
  if (actual === null) return;
  if (typeof actual !== typeof expected)
    throw new Error(`${at}: expected a ${typeof expected}, got ${JSON.stringify(actual)}`);
}

export function statusOf(): { status: number; onResponse: (r: { status: number }) => void } {
  const s = {
    status: 0,
    onResponse: (r: { status: number }) => {
      s.status = r.status;
    },
  };
  return s;
}
