/**
 * The real app (functions/index.ts) in the local runtime as a child process, pointed at an in-process emulator the
 * way the launcher points it (managed identity endpoint, CA trust, Entra and ARM endpoints) — the one start-up the
 * end-to-end suites share. Each suite adds the settings its scenarios need (`env`, which wins).
 */
import path from 'node:path';

import type { RunningEmulator } from '../../emulator/index';
import { type NodeChild, startNodeChild } from '../../lib/node-child';

/** Warden's managed identity and its API app registration in demo/world.json. */
export const WARDEN_MI = '6872bbc9-1627-441e-a611-7ce540632cfe';
export const API_APP_ID = 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de';

export interface AppRuntimeOptions {
  readonly emulator: RunningEmulator;
  /** The repository root (host.json, package.json) and the compiled tree the test runs from. */
  readonly root: string;
  readonly build: string;
  readonly port: number;
  readonly stateDir: string;
  /** A settings file that does not exist: the suite's environment is the whole configuration. */
  readonly noSettingsFile: string;
  readonly metadataDb: string;
  readonly taskHub: string;
  /** More settings, or overrides of the defaults below. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts the runtime with the app and resolves once `GET /api/health` answers. */
export function startAppRuntime(o: AppRuntimeOptions): Promise<NodeChild> {
  const mi = o.emulator.endpoints.managedIdentity;
  return startNodeChild({
    script: path.join(o.build, 'runtime', 'main.js'),
    args: [
      '--app',
      o.root,
      '--main',
      path.relative(o.root, path.join(o.build, 'functions', 'index.js')),
      '--port',
      String(o.port),
      '--state-dir',
      o.stateDir,
      '--settings',
      o.noSettingsFile,
    ],
    cwd: o.root,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_EXTRA_CA_CERTS: o.emulator.caCertPath,
      IDENTITY_ENDPOINT: mi.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: mi.IDENTITY_HEADER,
      AZURE_AUTHORITY_HOST: o.emulator.endpoints.entraAuthorityHost,
      AZURE_TENANT_ID: o.emulator.endpoints.tenantId,
      TASKHUB_NAME: o.taskHub,
      WARDEN_TENANT_ID: o.emulator.endpoints.tenantId,
      WARDEN_AUTHORITY_HOST: o.emulator.endpoints.entraAuthorityHost,
      WARDEN_SUBSCRIPTION_ID: o.emulator.endpoints.subscriptionId,
      WARDEN_ARM_ENDPOINT: o.emulator.endpoints.armEndpoint,
      WARDEN_API_AUDIENCES: `api://warden,${API_APP_ID}`,
      WARDEN_PRINCIPAL_IDS: WARDEN_MI,
      WARDEN_METADATA_DB: o.metadataDb,
      WARDEN_APP_VERSION: '0.0.0-e2e',
      ...o.env,
    },
    readyUrl: `http://127.0.0.1:${o.port}/api/health`,
    timeoutMs: 60_000,
  });
}
