/**
 * Shared setup for the data-plane contract tests (Key Vault, its events, Databricks, storage keys, generic
 * services): an emulator seeded from the demo world with the ARM module plus the given data-plane modules, a test
 * clock and week-long tokens (tests advance the clock by days), minted and real client-secret credentials, a loopback
 * Event Grid sink, and raw HTTPS calls trusting the emulator's CA.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

import { type AccessToken, ClientSecretCredential, type TokenCredential } from '@azure/identity';

import { armModule } from '../../../emulator/arm';
import type { DemoWorld, EmulatorModule } from '../../../emulator/core/module';
import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { EventSink, loadWorld } from './arm-helpers';

export const WARDEN_MI = '6872bbc9-1627-441e-a611-7ce540632cfe';
export const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';

export interface DataPlaneBed {
  emu: RunningEmulator;
  world: DemoWorld;
  stateDir: string;
  ca: string;
  sub: string;
  rg: string;
  events: EventSink;
  admin: RunningEmulator['admin'];
  /** A credential minting tokens through the admin API for a seeded principal. */
  minted(principalId: string): TokenCredential;
  /** A fresh app registration with a client secret and a real ClientSecretCredential. */
  newApp(displayName: string): Promise<{ appId: string; principalId: string; credential: TokenCredential }>;
  /** A raw token for a principal and scope. */
  token(principalId: string, scope: string): Promise<string>;
  /** Restarts the emulator on the same state dir (origins keep their ports). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDataPlaneBed(
  modules: () => EmulatorModule[],
  opts: { world?: DemoWorld; keepState?: boolean } = {},
): Promise<DataPlaneBed> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'warden-dp-'));
  const world = opts.world ?? loadWorld();
  const events = await EventSink.start();
  const start = (seed: boolean) =>
    startEmulator({
      port: 0,
      stateDir,
      ...(seed ? { world } : {}),
      modules: [armModule, ...modules()],
      testClock: true,
      clockFile: path.join(stateDir, 'clock.json'),
      retryScale: 0.001,
      pollIntervalMs: 20,
      tokenLifetimeSeconds: 90 * 86400,
      log: () => undefined,
    });
  let emu = await start(true);
  let n = 0;
  const bed: DataPlaneBed = {
    emu,
    world,
    stateDir,
    ca: emu.caCert,
    sub: world.subscriptionId,
    rg: `/subscriptions/${world.subscriptionId}/resourceGroups/rg-fraud-ml`,
    events,
    admin: (...args) => emu.admin(...args),
    minted(principalId) {
      return {
        async getToken(scopes: string | string[]): Promise<AccessToken> {
          const scope = Array.isArray(scopes) ? scopes[0] : scopes;
          const r = await emu.admin('POST', '/admin/tokens', { principalId, scope });
          if (r.status !== 200) throw new Error(`mint: ${JSON.stringify(r.body)}`);
          const b = r.body as { access_token: string; expires_on: number | string };
          return { token: b.access_token, expiresOnTimestamp: Number(b.expires_on) * 1000 };
        },
      };
    },
    async token(principalId, scope) {
      return (await bed.minted(principalId).getToken(scope))!.token;
    },
    async newApp(displayName) {
      const appId = `0000b${String(++n).padStart(3, '0')}-0000-4000-8000-${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
      const app = await emu.admin('PUT', `/admin/apps/${appId}`, { displayName });
      if (app.status >= 300) throw new Error(`app: ${JSON.stringify(app.body)}`);
      const principalId = (app.body as { servicePrincipalId: string }).servicePrincipalId;
      const secret = await emu.admin('POST', `/admin/apps/${appId}/secrets`, {});
      if (secret.status >= 300) throw new Error(`secret: ${JSON.stringify(secret.body)}`);
      const credential = new ClientSecretCredential(world.tenantId, appId, (secret.body as { secret: string }).secret, {
        authorityHost: emu.endpoints.entraAuthorityHost,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caCert },
      });
      return { appId, principalId, credential };
    },
    async restart() {
      await emu.stop();
      emu = await start(false);
      bed.emu = emu;
    },
    async stop() {
      await emu.stop();
      await events.stop();
      if (!opts.keepState) rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return bed;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** A raw HTTPS call trusting the emulator's CA. */
export function rawCall(
  ca: string,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, headers: options.headers ?? {} }, (res) => {
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
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits (bounded) until `check` returns a value. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
