/**
 * Shared setup for the Azure ML and Azure Monitor contract tests: an emulator on an ephemeral port with the ARM, ML
 * and Monitor modules, seeded from the demo world, a test clock, an Event Grid sink subscribed to the subscription
 * topic and to the ML workspace topic, and token credentials minted for seeded principals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { AccessToken, TokenCredential } from '@azure/identity';

import { armModule } from '../../../emulator/arm';
import type { DemoWorld, EmulatorModule } from '../../../emulator/core/module';
import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { mlModule } from '../../../emulator/ml/index';
import { EventSink, loadWorld } from './arm-helpers';

export const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
export const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';

export interface MlBed {
  emu: RunningEmulator;
  world: DemoWorld;
  sub: string;
  rgName: string;
  rg: string;
  workspaceId: string;
  endpointId: string;
  endpoint: string;
  ca: string;
  events: EventSink;
  stateDir: string;
  credential(principalId: string): TokenCredential;
  token(principalId: string, scope: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startMlBed(extraModules: EmulatorModule[] = []): Promise<MlBed> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'warden-ml-'));
  const world = loadWorld();
  const events = await EventSink.start();
  const emu = await startEmulator({
    port: 0,
    stateDir,
    world: { ...world, drifts: [] },
    modules: [armModule, mlModule, ...extraModules],
    testClock: true,
    clockFile: path.join(stateDir, 'clock.json'),
    retryScale: 0.001,
    pollIntervalMs: 20,
    tokenLifetimeSeconds: 7 * 24 * 3600,
    log: () => undefined,
  });
  const sub = world.subscriptionId;
  const rg = `/subscriptions/${sub}/resourceGroups/rg-fraud-ml`;
  const workspaceId = `${rg}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud`;
  for (const [name, topic] of [
    ['ml-tests-arm', `/subscriptions/${sub}`],
    ['ml-tests-workspace', workspaceId],
  ] as const) {
    const created = await emu.admin('PUT', `/admin/eventgrid/subscriptions/${name}`, {
      topic,
      endpointUrl: events.url,
      validate: false,
    });
    if (created.status >= 300) throw new Error(`event subscription: ${JSON.stringify(created.body)}`);
  }
  const token = async (principalId: string, scope: string): Promise<string> => {
    const r = await emu.admin('POST', '/admin/tokens', { principalId, scope });
    if (r.status !== 200) throw new Error(`mint: ${JSON.stringify(r.body)}`);
    return (r.body as { access_token: string }).access_token;
  };
  return {
    emu,
    world,
    sub,
    rgName: 'rg-fraud-ml',
    rg,
    workspaceId,
    endpointId: `${workspaceId}/onlineEndpoints/fraud-scoring`,
    endpoint: emu.endpoints.armEndpoint,
    ca: emu.caCert,
    events,
    stateDir,
    token,
    credential(principalId) {
      return {
        async getToken(scopes: string | string[]): Promise<AccessToken> {
          const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
          const r = await emu.admin('POST', '/admin/tokens', { principalId, scope });
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

/** Awaits a rejected SDK call and checks its HTTP status and error code. */
export async function rejectsWith(p: Promise<unknown>, status: number, code?: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { statusCode?: number; code?: string };
    if (err.statusCode !== status || (code !== undefined && err.code !== code)) {
      throw new Error(`expected ${status} ${code ?? ''}, got ${err.statusCode} ${err.code}: ${err.message}`, {
        cause: e,
      });
    }
    return err;
  }
  throw new Error(`expected a ${status} rejection, but the call succeeded`);
}
