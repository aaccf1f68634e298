/**
 * Starts Warden's whole local system — emulator (local Azure) and runtime (local Functions host running the app) —
 * as two child processes that share one clock file, points the app at the emulator, and wires the emulator's
 * Event Grid to the runtime's webhook.
 *
 * @remarks
 * The launcher is the only place that knows both the emulator and the runtime (they must not know each other or
 * the app). Child processes because Node reads NODE_EXTRA_CA_CERTS only at process start: the app must trust the
 * emulator's CA from its first TLS connection.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

export interface LocalStackOptions {
  /** The repository root (package.json, host.json, dist/). */
  readonly root: string;
  /** Where all local state lives (default `<root>/.warden`). */
  readonly stateDir?: string;
  readonly emulatorPort?: number;
  readonly runtimePort?: number;
  /** Test mode: the shared clock can be advanced through the admin APIs. */
  readonly testClock?: boolean;
  /** Start from empty state (emulator reseeded from the demo world, runtime state cleared). */
  readonly reset?: boolean;
  /** Event Grid custom topics the emulator creates besides Warden's notification topic. */
  readonly eventGridTopics?: readonly string[];
  /** The custom topic Warden's notifications go to (default `warden-notifications`). */
  readonly notificationTopic?: string;
  /** Base app settings for the runtime; the settings that point the app at the emulator override them. */
  readonly appSettings?: Record<string, string>;
  /** Where child output goes (default: stdout, prefixed). */
  readonly output?: (source: 'emulator' | 'runtime' | 'launcher', line: string) => void;
}

/** What the emulator writes to `<state>/endpoints.json` (the subset the launcher reads). */
export interface EmulatorEndpointsFile {
  baseUrl: string;
  entraAuthorityHost: string;
  tenantId: string;
  subscriptionId: string;
  armEndpoint: string;
  managedIdentity: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string; clientId?: string; principalId?: string };
  caCertPath: string;
  adminKeyPath: string;
  adminBaseUrl: string;
  credentialsPath: string;
  eventGrid: { topics: Array<{ name: string; endpoint: string; id: string }> };
  /** Extra origins (host name → https origin): one per vault, workspace, storage account, Monitor endpoint. */
  origins?: Record<string, string>;
}

export interface LocalStack {
  readonly emulator: EmulatorEndpointsFile;
  readonly runtimeBaseUrl: string;
  readonly stateDir: string;
  /** The app settings the runtime was started with (no secrets: the identity header is a local nonce). */
  readonly appSettings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

interface EventSubscriptionSpec {
  name: string;
  function: string;
  topic: string;
  includedEventTypes?: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
}

type Output = NonNullable<LocalStackOptions['output']>;

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const root = options.root;
  const stateDir = options.stateDir ?? path.join(root, '.warden');
  const emulatorState = path.join(stateDir, 'emulator');
  const runtimeState = path.join(stateDir, 'runtime');
  if (options.reset) {
    rmSync(emulatorState, { recursive: true, force: true });
    rmSync(runtimeState, { recursive: true, force: true });
    rmSync(path.join(stateDir, 'clock.json'), { force: true });
  }
  mkdirSync(stateDir, { recursive: true });
  const clockEnv: Record<string, string> = {
    WARDEN_CLOCK_FILE: path.join(stateDir, 'clock.json'),
    ...(options.testClock ? { WARDEN_CLOCK_MODE: 'test' } : {}),
  };
  const output: Output = options.output ?? ((source, line) => process.stdout.write(`[${source}] ${line}\n`));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await stopChild(child);
  };
  try {
    const endpointsFile = path.join(emulatorState, 'endpoints.json');
    rmSync(endpointsFile, { force: true });
    // A fresh emulator seeds the demo world; its drifts wait until the Event Grid subscriptions exist, so the
    // drift events reach the app as they would on Azure.
    const fresh = !existsSync(path.join(emulatorState, 'emulator.db'));
    const emulatorArgs = [
      path.join(root, 'dist', 'emulator', 'main.js'),
      '--port',
      String(options.emulatorPort ?? 7443),
      '--state-dir',
      emulatorState,
      ...(fresh ? ['--defer-drifts'] : []),
      // SDK token caches hold tokens by real time; with an advanced clock a one-hour token would look expired.
      ...(options.testClock ? ['--token-lifetime', '604800'] : []),
      ...(options.eventGridTopics ?? []).flatMap((t) => ['--topic', t]),
    ];
    const emulatorChild = spawnChild('emulator', emulatorArgs, { ...process.env, ...clockEnv }, root, output);
    children.push(emulatorChild);
    await waitFor(() => existsSync(endpointsFile), 30_000, 'the emulator to write endpoints.json', emulatorChild);
    const emulator = JSON.parse(readFileSync(endpointsFile, 'utf8')) as EmulatorEndpointsFile;

    // Warden publishes its notifications (remediation outcomes, approval requests, the audit head) as CloudEvents to
    // a custom topic, as on Azure; locally the emulator's. The topic key goes to the runtime's environment only.
    const topicName = options.notificationTopic ?? 'warden-notifications';
    const topic = await emulatorAdmin(emulator, 'PUT', `/eventgrid/topics/${topicName}`, {
      inputSchema: 'CloudEventSchemaV1_0',
    });
    if (topic.status >= 300) throw new Error(`Creating the notification topic failed: ${topic.status} ${topic.text}`);
    const { endpoint: topicEndpoint, key1: topicKey } = JSON.parse(topic.text) as { endpoint: string; key1: string };

    const runtimePort = options.runtimePort ?? 7071;
    // The action group Warden's Monitor alert rules notify (infra creates it on Azure): a secure webhook to the runtime.
    const alertActionGroupId = await createAlertActionGroup(emulator, `http://localhost:${runtimePort}`, output);
    // The caller's settings (local.settings Values) are the base; what points the app at the emulator wins.
    const appSettings: Record<string, string> = {
      ...options.appSettings,
      ...clockEnv,
      // Managed identity exactly as on App Service / Functions: DefaultAzureCredential needs no code change.
      IDENTITY_ENDPOINT: emulator.managedIdentity.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: emulator.managedIdentity.IDENTITY_HEADER,
      AZURE_AUTHORITY_HOST: emulator.entraAuthorityHost,
      AZURE_TENANT_ID: emulator.tenantId,
      WARDEN_TENANT_ID: emulator.tenantId,
      WARDEN_SUBSCRIPTION_ID: emulator.subscriptionId,
      WARDEN_ARM_ENDPOINT: emulator.armEndpoint,
      // Data planes keep their real host names in metadata; the emulator serves each on an origin of its own.
      WARDEN_HOST_OVERRIDES: JSON.stringify(emulator.origins ?? {}),
      WARDEN_AUTHORITY_HOST: emulator.entraAuthorityHost,
      WARDEN_METADATA_DB: path.join(stateDir, 'metadata.db'),
      WEBSITE_HOSTNAME: `localhost:${runtimePort}`,
      WARDEN_NOTIFIER: 'eventgrid',
      WARDEN_NOTIFY_EVENTGRID_ENDPOINT: topicEndpoint,
      ...(alertActionGroupId ? { WARDEN_ALERT_ACTION_GROUP_ID: alertActionGroupId } : {}),
    };
    const runtimeEnv = {
      ...process.env,
      ...appSettings,
      WARDEN_NOTIFY_EVENTGRID_KEY: topicKey,
      NODE_EXTRA_CA_CERTS: emulator.caCertPath,
    };
    const runtimeArgs = [
      path.join(root, 'dist', 'runtime', 'main.js'),
      '--app',
      root,
      '--port',
      String(runtimePort),
      '--state-dir',
      runtimeState,
    ];
    const runtimeChild = spawnChild('runtime', runtimeArgs, runtimeEnv, root, output);
    children.push(runtimeChild);
    const runtimeBaseUrl = `http://localhost:${runtimePort}`;
    await waitFor(
      () => httpOk(`${runtimeBaseUrl}/admin/health`),
      60_000,
      'the runtime to report healthy',
      runtimeChild,
    );
    await subscribeEventGrid(root, emulator, runtimeBaseUrl, runtimeState, output);
    if (fresh) {
      const drifts = await emulatorAdmin(emulator, 'POST', '/drifts', {});
      if (drifts.status >= 300)
        throw new Error(`Applying the demo world's drifts failed: ${drifts.status} ${drifts.text}`);
      output('launcher', `applied the demo world's drifts: ${drifts.text}`);
    }
    return { emulator, runtimeBaseUrl, stateDir, appSettings, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function spawnChild(
  name: 'emulator' | 'runtime',
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  output: Output,
): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pipe = (stream: NodeJS.ReadableStream | null): void => {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      let i: number;
      while ((i = buffered.indexOf('\n')) >= 0) {
        output(name, buffered.slice(0, i));
        buffered = buffered.slice(i + 1);
      }
    });
  };
  pipe(child.stdout);
  pipe(child.stderr);
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT')
      output('launcher', `${name} exited (${signal ?? code})`);
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  child: ChildProcess,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Gave up waiting for ${what}: it exited with code ${child.exitCode}.`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Creates the emulator's Event Grid subscriptions for the app's Event Grid functions (infra/event-subscriptions.json). */
async function subscribeEventGrid(
  root: string,
  emulator: EmulatorEndpointsFile,
  runtimeBaseUrl: string,
  runtimeState: string,
  output: Output,
): Promise<void> {
  const specFile = path.join(root, 'infra', 'event-subscriptions.json');
  const specs = (JSON.parse(readFileSync(specFile, 'utf8')) as { subscriptions: EventSubscriptionSpec[] })
    .subscriptions;
  if (specs.length === 0) return;
  const keys = JSON.parse(readFileSync(path.join(runtimeState, 'keys.json'), 'utf8')) as {
    masterKey?: string;
    systemKeys?: Record<string, string>;
  };
  const eventGridKey = keys.systemKeys?.eventgrid_extension;
  if (!eventGridKey) throw new Error(`No eventgrid_extension key in ${runtimeState}/keys.json`);
  const functions = await listFunctions(runtimeBaseUrl, keys.masterKey ?? '');
  for (const spec of specs) {
    if (!functions.has(spec.function)) {
      output('launcher', `skipping Event Grid subscription ${spec.name}: the app has no function ${spec.function}`);
      continue;
    }
    const endpointUrl = `${runtimeBaseUrl}/runtime/webhooks/eventgrid?functionName=${encodeURIComponent(spec.function)}&code=${encodeURIComponent(eventGridKey)}`;
    const body = {
      topic: spec.topic.replace('{subscriptionId}', emulator.subscriptionId),
      endpointUrl,
      ...(spec.includedEventTypes ? { includedEventTypes: spec.includedEventTypes } : {}),
      ...(spec.subjectBeginsWith ? { subjectBeginsWith: spec.subjectBeginsWith } : {}),
      ...(spec.subjectEndsWith ? { subjectEndsWith: spec.subjectEndsWith } : {}),
    };
    const res = await emulatorAdmin(emulator, 'PUT', `/eventgrid/subscriptions/${encodeURIComponent(spec.name)}`, body);
    if (res.status >= 300)
      throw new Error(`Creating Event Grid subscription ${spec.name} failed: ${res.status} ${res.text}`);
  }
}

/**
 * Creates (PUT, idempotent) the action group `warden-alerts` in rg-fraud-ml through the emulator's ARM, with Warden's
 * identity (its managed identity endpoint; the demo world grants it Warden Alert Action Group Writer there): one
 * secure webhook receiver (common alert schema, Entra auth for `api://warden`) to the runtime's
 * `POST /api/alerts/monitor`. Returns its id, or undefined
 * (with a warning) when the emulator refuses — the app then creates no Monitor rules.
 */
export async function createAlertActionGroup(
  emulator: EmulatorEndpointsFile,
  runtimeBaseUrl: string,
  output: Output,
): Promise<string | undefined> {
  const id = `/subscriptions/${emulator.subscriptionId}/resourceGroups/rg-fraud-ml/providers/Microsoft.Insights/actionGroups/warden-alerts`;
  try {
    const ca = readFileSync(emulator.caCertPath, 'utf8');
    const call = (url: string, method: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = https.request(url, { method, headers, ca }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const mi = emulator.managedIdentity;
    const tokenRes = await call(
      `${mi.IDENTITY_ENDPOINT}?resource=${encodeURIComponent('https://management.azure.com')}&api-version=2019-08-01`,
      'GET',
      { 'x-identity-header': mi.IDENTITY_HEADER },
    );
    const token = (JSON.parse(tokenRes.text) as { access_token?: string }).access_token;
    if (!token) throw new Error(`no managed identity token (${tokenRes.status})`);
    const body = JSON.stringify({
      location: 'Global',
      properties: {
        groupShortName: 'warden',
        enabled: true,
        webhookReceivers: [
          {
            name: 'warden',
            serviceUri: `${runtimeBaseUrl}/api/alerts/monitor`,
            useCommonAlertSchema: true,
            useAadAuth: true,
            identifierUri: 'api://warden',
            tenantId: emulator.tenantId,
          },
        ],
      },
    });
    const res = await call(
      `${emulator.armEndpoint.replace(/\/+$/, '')}${id}?api-version=2024-10-01-preview`,
      'PUT',
      {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body,
    );
    if (res.status >= 300) throw new Error(`${res.status} ${res.text.slice(0, 300)}`);
    output('launcher', `action group warden-alerts → ${runtimeBaseUrl}/api/alerts/monitor`);
    return id;
  } catch (e) {
    output(
      'launcher',
      `could not create the action group warden-alerts: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
}

async function listFunctions(runtimeBaseUrl: string, masterKey: string): Promise<Set<string>> {
  const res = await fetch(`${runtimeBaseUrl}/admin/functions`, { headers: { 'x-functions-key': masterKey } });
  if (!res.ok) throw new Error(`Listing the runtime's functions failed: ${res.status}`);
  const body = await res.json();
  const list: unknown[] = Array.isArray(body)
    ? body
    : ((body as { value?: unknown[]; functions?: unknown[] }).value ??
      (body as { functions?: unknown[] }).functions ??
      []);
  return new Set(list.map((f) => (typeof f === 'string' ? f : String((f as { name?: unknown }).name))));
}

/** Calls the emulator's admin API (`/admin` + path) with its key, trusting its CA. */
export function emulatorAdmin(
  emulator: EmulatorEndpointsFile,
  method: string,
  adminPath: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {
    'x-emulator-admin-key': readFileSync(emulator.adminKeyPath, 'utf8').trim(),
  };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const ca = readFileSync(emulator.caCertPath, 'utf8');
  return new Promise((resolve, reject) => {
    const req = https.request(`${emulator.adminBaseUrl}${adminPath}`, { method, headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
