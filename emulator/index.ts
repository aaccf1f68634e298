/**
 * The local Azure emulator, for tests and the launcher: `startEmulator(options)` starts it (HTTPS on loopback, state
 * in `options.stateDir`) and resolves once it listens and is seeded.
 *
 * @remarks
 * Trust: Node reads NODE_EXTRA_CA_CERTS only at process start, so an in-process test passes `caCert` to the SDK
 * clients (`tlsOptions: { ca }` on every client and credential) while the launcher sets NODE_EXTRA_CA_CERTS =
 * `caCertPath` for the processes it starts.
 */
import { readFileSync } from 'node:fs';

import { armModule } from './arm/index';
import type { EmulatorModule } from './core/module';
import { ADMIN_KEY_HEADER, CALLER_HEADER, Emulator, type EmulatorEndpoints, type EmulatorOptions } from './core/server';
import { createDatabricksModule } from './databricks/index';
import { createKeyVaultModule } from './keyvault/index';
import { mlModule } from './ml/index';
import { createMonitorModule } from './monitor/index';
import { createServicesModule } from './services/index';
import { createStorageModule } from './storage/index';

/** The resource-provider modules `startEmulator` uses when `options.modules` is not given (main.ts, the launcher). */
export function defaultModules(): EmulatorModule[] {
  // storage, databricks and services seed before keyvault: the seeded vault secrets hold their real keys, tokens and
  // credentials
  return [
    armModule,
    mlModule,
    createStorageModule(),
    createDatabricksModule(),
    createServicesModule(),
    createKeyVaultModule(),
    createMonitorModule(),
  ];
}

export type { EmulatorContext, EmulatorModule } from './core/module';
export { ADMIN_KEY_HEADER, CALLER_HEADER, Emulator, type EmulatorEndpoints, type EmulatorOptions };

export interface RunningEmulator {
  baseUrl: string;
  caCertPath: string;
  /** The CA certificate (PEM) to trust. */
  caCert: string;
  /** The admin key (for the `x-emulator-admin-key` header). */
  adminKey: string;
  endpoints: EmulatorEndpoints;
  emulator: Emulator;
  /** Calls the admin API (JSON in and out). */
  admin(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = new Emulator({ ...options, modules: options.modules ?? defaultModules() });
  try {
    await emulator.start();
  } catch (e) {
    await emulator.stop().catch(() => undefined);
    throw e;
  }
  const caCert = readFileSync(emulator.tls.caCertPath, 'utf8');
  const endpoints = emulator.endpoints();
  return {
    baseUrl: emulator.baseUrl,
    caCertPath: emulator.tls.caCertPath,
    caCert,
    adminKey: emulator.adminKey,
    endpoints,
    emulator,
    admin: (method, path, body, headers) => adminCall(emulator, caCert, method, path, body, headers),
    stop: () => emulator.stop(),
  };
}

async function adminCall(
  emulator: Emulator,
  ca: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  const https = await import('node:https');
  const url = new URL(path.startsWith('/') ? path : `/admin/${path}`, emulator.baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        headers: {
          [ADMIN_KEY_HEADER]: emulator.adminKey,
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            // not JSON: return the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
