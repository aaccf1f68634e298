// End to end: the emulator (ARM, Entra, Event Grid, Key Vault, Databricks, storage keys and blob) and the local
// runtime running the real app (functions/index.ts) as a child process trusting the emulator's CA, sharing the
// emulator's test clock. Scenarios of issue 8 on one stack, in order: the demo Databricks token rotated through the
// API (two triggers → one rotation, grace timer on the shared clock, old token revoked after it), the seeded
// version's near-expiry event only audited, Warden's own new version ignored, the notice sent when the clock passes
// it; a failing consumer leaves the vault and old credential untouched; a storage key rotated with the key not in
// use; a foreign version reported; near-expiry of a disabled reference only audited; and a scan of the runtime's
// output, the audit log, orchestration history and poison messages for every credential value seen.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';

import type { AccessToken, TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild } from '../../../lib/node-child';
import { sharedKeyListContainers } from '../../../shared/cloud/azure/consumer-checks';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { startAppRuntime, WARDEN_MI } from '../../support/app-runtime';
import { waitUntil } from '../../support/e2e-wait';
import { type ApiAnswer, type ApiCallOptions, callApi, mintApiTokens } from '../../support/warden-api-client';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const WS = `${RG}/providers/Microsoft.Databricks/workspaces/dbw-fraud`;
const STORAGE = `${RG}/providers/Microsoft.Storage/storageAccounts/stfraudraw`;
const VAULT_ID = `${RG}/providers/Microsoft.KeyVault/vaults/kv-fraud-ml`;
const VAULT = 'https://kv-fraud-ml.vault.azure.net/';
const KV_HOST = 'kv-fraud-ml.vault.azure.net';
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const SP = 'c1668f6c-5b42-4098-a44a-b87b56c1e998';
const DEMO = 'sr-databricks-training-token';

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  target: string;
  after: string | null;
  reason: string | null;
  correlation_id: string | null;
}

describe('secret rotation end to end: emulator data planes + Event Grid, local runtime running the app', () => {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..', '..', '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-rotation-e2e-'));
  const db = path.join(tmp, 'metadata.db');
  const clockFile = path.join(tmp, 'clock.json');
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';
  /** The runtime's output, across restarts. */
  const outputs: string[][] = [];
  const logText = (): string => outputs.flat().join('');
  let startRuntime: () => Promise<NodeChild>;
  /** The test's vault-reader app (crash.apps…): hangs while `hang` is set. */
  const apps = { hang: false, pending: 0 };
  let appServer: https.Server;
  const tokens: Record<string, string> = {};
  let audit: DatabaseSync;
  let kv: SecretClient;
  /** Every credential value the test saw: none may appear in logs, audit, history or poison messages. */
  const values = new Set<string>();

  const minted = (principalId: string): TokenCredential => ({
    async getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes[0] : scopes;
      const r = await emulator.admin('POST', '/admin/tokens', { principalId, scope });
      if (r.status !== 200) throw new Error(`mint: ${JSON.stringify(r.body)}`);
      const b = r.body as { access_token: string; expires_on: number | string };
      return { token: b.access_token, expiresOnTimestamp: Number(b.expires_on) * 1000 };
    },
  });

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      stateDir: path.join(tmp, 'emulator'),
      world: path.join(root, 'demo', 'world.json'),
      pollIntervalMs: 50,
      deferDrifts: true,
      testClock: true,
      clockFile,
      tokenLifetimeSeconds: 30 * 86400,
      log: () => undefined,
    });
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    const ref = (id: string, secret: string, over: Record<string, unknown>) =>
      store.secretReferences.upsert(
        { id, name: id, vault_uri: VAULT, secret_name: secret, interval_days: 30, ...over } as never,
        { actor: 'e2e-setup' },
      );
    await ref('sr-dbx-failing', 'dbx-failing-token', {
      rotator: 'databricks-pat',
      rotator_config: { workspaceResourceId: WS, servicePrincipalAppId: SP, lifetimeDays: 45 },
      consumers: [
        { kind: 'databricks-job', name: 'job-ok', target: WS },
        // A consumer that refuses the token (the vault does not take Databricks tokens): the test must fail.
        { kind: 'http-endpoint', name: 'refusing-endpoint', url: `https://${KV_HOST}/secrets?api-version=7.4` },
      ],
    });
    await ref('sr-storage', 'stfraudraw-key', {
      rotator: 'storage-account-key',
      rotator_config: { accountResourceId: STORAGE },
      consumers: [{ kind: 'storage-account', name: 'feature-build', target: STORAGE }],
    });
    await ref('sr-notice', 'notice-password', {
      rotator: 'random',
      rotator_config: {},
      interval_days: 2,
      notify_before_days: 1,
    });
    await ref('sr-disabled', 'disabled-token', { rotator: 'random', rotator_config: {}, status: 'disabled' });
    await ref('sr-crash', 'dbx-crash-token', {
      rotator: 'databricks-pat',
      rotator_config: { workspaceResourceId: WS, servicePrincipalAppId: SP, lifetimeDays: 45 },
      consumers: [
        { kind: 'databricks-job', name: 'job', target: WS },
        { kind: 'vault-reader', name: 'crash-app', url: 'https://crash.apps.contoso.example/crash/healthz' },
      ],
    });
    await ref('sr-random', 'scoring-db-password', {
      rotator: 'random',
      rotator_config: { length: 32 },
      consumers: [
        { kind: 'vault-reader', name: 'scoring-service', url: 'https://scoring-service.apps.contoso.example/healthz' },
      ],
    });
    await ref('sr-http', 'pipelines-api-credential', {
      rotator: 'http',
      rotator_config: { url: 'https://creds.pipelines.contoso.example', audience: 'api://credential-issuer' },
      consumers: [
        { kind: 'http-endpoint', name: 'pipelines-api', url: 'https://creds.pipelines.contoso.example/verify' },
      ],
    });
    await store.close();
    Object.assign(tokens, await mintApiTokens(emulator, { ada: ADA }));
    kv = new SecretClient(emulator.endpoints.origins[KV_HOST]!, minted(WARDEN_MI), {
      disableChallengeResourceVerification: true,
      tlsOptions: { ca: emulator.caCert },
      retryOptions: { maxRetries: 0 },
    });

    // A vault-reader app of the test's own (it reads its secret from the vault and reports the version): it can be made
    // to hang, so a rotation sits between publish and record.
    appServer = https.createServer(
      { key: emulator.emulator.tls.keyPem, cert: emulator.emulator.tls.certPem },
      (req, res) => {
        void (async () => {
          const host = String(req.headers.host ?? '');
          if (host.startsWith('crash') || req.url?.startsWith('/crash')) {
            if (apps.hang) {
              apps.pending += 1;
              return; // never answered: the runtime is killed meanwhile
            }
            const s = await kv.getSecret('dbx-crash-token');
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ version: s.properties.version }));
            return;
          }
          res.writeHead(404).end();
        })();
      },
    );
    await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', r));
    const appOrigin = `https://127.0.0.1:${(appServer.address() as { port: number }).port}`;

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const stateDir = path.join(tmp, 'runtime');
    startRuntime = () =>
      startAppRuntime({
        emulator,
        root,
        build,
        port,
        stateDir,
        noSettingsFile: path.join(tmp, 'no-local-settings.json'),
        metadataDb: db,
        taskHub: 'wardenrot',
        env: {
          WARDEN_HOST_OVERRIDES: JSON.stringify({
            ...emulator.endpoints.origins,
            'crash.apps.contoso.example': appOrigin,
          }),
          WARDEN_NOTIFIER: 'none',
          WARDEN_CLOCK_FILE: clockFile,
          WARDEN_CLOCK_MODE: 'test',
        },
      });
    runtime = await startRuntime();
    outputs.push(runtime.output);
    // Key Vault's events → onKeyVaultEvent (as infra/event-subscriptions.json says).
    const keys = JSON.parse(readFileSync(path.join(stateDir, 'keys.json'), 'utf8')) as {
      systemKeys: { eventgrid_extension: string };
    };
    const spec = (
      JSON.parse(readFileSync(path.join(root, 'infra', 'event-subscriptions.json'), 'utf8')) as {
        subscriptions: { name: string; function: string; topic: string; includedEventTypes: string[] }[];
      }
    ).subscriptions.find((s) => s.function === 'onKeyVaultEvent')!;
    assert.equal(spec.topic.replace('{subscriptionId}', SUB), VAULT_ID);
    const sub = await emulator.admin('PUT', `/admin/eventgrid/subscriptions/${spec.name}`, {
      topic: spec.topic.replace('{subscriptionId}', SUB),
      endpointUrl: `${base}/runtime/webhooks/eventgrid?functionName=${spec.function}&code=${encodeURIComponent(keys.systemKeys.eventgrid_extension)}`,
      includedEventTypes: spec.includedEventTypes,
    });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));
    audit = new DatabaseSync(db, { readOnly: true });
  });

  after(async () => {
    if (process.env.WARDEN_E2E_LOG) (await import('node:fs')).writeFileSync(process.env.WARDEN_E2E_LOG, logText());
    audit?.close();
    await runtime?.stop();
    appServer?.closeAllConnections();
    appServer?.close();
    await emulator?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const api = (method: string, p: string, o: ApiCallOptions = {}): Promise<ApiAnswer> => callApi(base, method, p, o);

  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 90_000) =>
    waitUntil(what, probe, ms, logText);

  function entries(refId: string, action?: string): AuditRow[] {
    const rows = audit
      .prepare(
        'SELECT seq, actor, action, target, after, reason, correlation_id FROM audit_log WHERE target = ? ORDER BY seq',
      )
      .all(`secret_references/${refId}`) as unknown as AuditRow[];
    return action ? rows.filter((r) => r.action === action) : rows;
  }
  const waitAudit = (refId: string, action: string, count = 1) =>
    waitFor(`${action} on ${refId}`, () => {
      const rows = entries(refId, action);
      return rows.length >= count ? rows : undefined;
    });

  async function advance(body: Record<string, number>): Promise<void> {
    const r = await emulator.admin('POST', '/admin/clock/advance', body);
    assert.ok(r.status < 300, JSON.stringify(r.body));
  }

  function raw(url: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: 'GET', headers, ca: emulator.caCert }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const workspaceOrigin = (): string => {
    const host = Object.keys(emulator.endpoints.origins).find((h) => h.includes('azuredatabricks'));
    assert.ok(host, `a Databricks origin among ${Object.keys(emulator.endpoints.origins).join(', ')}`);
    return emulator.endpoints.origins[host]!;
  };
  const scimMe = async (pat: string): Promise<number> =>
    (await raw(`${workspaceOrigin()}/api/2.0/preview/scim/v2/Me`, { authorization: `Bearer ${pat}` })).status;
  async function listContainers(key: string): Promise<number> {
    const origin = emulator.endpoints.origins['stfraudraw.blob.core.windows.net'];
    assert.ok(origin, 'the blob origin of stfraudraw');
    const date = new Date().toUTCString();
    return (
      await raw(`${origin}/?comp=list`, {
        'x-ms-date': date,
        'x-ms-version': '2021-08-06',
        authorization: sharedKeyListContainers('stfraudraw', key, date),
      })
    ).status;
  }
  async function latest(name: string): Promise<{ version: string; value: string; tags: Record<string, string> }> {
    const s = await kv.getSecret(name);
    values.add(s.value!);
    return { version: s.properties.version!, value: s.value!, tags: s.properties.tags ?? {} };
  }
  async function reference(id: string): Promise<Record<string, unknown>> {
    const r = await api('GET', `metadata/secret_references/${id}`, { token: tokens.ada });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as Record<string, unknown>;
  }
  async function orchestration(id: string): Promise<{ runtimeStatus: string }> {
    const r = await api('GET', `orchestrations/rotateSecret-${id}`, { token: tokens.ada });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { runtimeStatus: string };
  }

  test('bad input: an unknown reference is 404 problem+json; a dry run returns the steps and changes nothing', async () => {
    const missing = await api('POST', 'secrets/sr-nope/rotate', { token: tokens.ada });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
    const before = await latest('databricks-training-token');
    const dry = await api('POST', `secrets/${DEMO}/rotate?dryRun=true`, { token: tokens.ada });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    const plan = (dry.body as { plan: { steps: string[]; rotator: string } }).plan;
    assert.equal(plan.rotator, 'databricks-pat');
    assert.ok(plan.steps.some((s) => s.includes('test it against 2 consumer(s) before publishing')));
    assert.equal((await latest('databricks-training-token')).version, before.version, 'dry run: vault untouched');
    assert.equal(entries(DEMO, 'secret.rotation.started').length, 0);
  });

  test('the demo Databricks token: two triggers → one rotation; tested, published, recorded; old token revoked after the grace period', async () => {
    const old = await latest('databricks-training-token');
    assert.equal(await scimMe(old.value), 200, 'the seeded token works');
    const before = await reference(DEMO);
    const [a, b] = await Promise.all([
      api('POST', `secrets/${DEMO}/rotate`, { token: tokens.ada }),
      api('POST', `secrets/${DEMO}/rotate`, { token: tokens.ada }),
    ]);
    assert.deepEqual([a.status, b.status], [202, 202], JSON.stringify([a.body, b.body]));
    const actions = [a.body, b.body].map((x) => (x as { action: string }).action).sort();
    assert.deepEqual(actions, ['joined', 'started']);
    await waitAudit(DEMO, 'secret.rotation.recorded');
    assert.equal(entries(DEMO, 'secret.rotation.started').length, 1, 'one rotation');
    const now = await latest('databricks-training-token');
    assert.notEqual(now.version, old.version);
    assert.equal(now.tags['warden.reference'], DEMO);
    assert.ok(now.tags['warden.correlation']);
    assert.equal(await scimMe(now.value), 200, 'the new token works');
    assert.equal(await scimMe(old.value), 200, 'the old one still works during the grace period');
    const after = await reference(DEMO);
    assert.equal(after.current_version, now.version);
    assert.equal(after.status, 'active');
    assert.ok(after.last_rotated_at && after.current_expires_at);
    assert.equal(before.current_version, null);
    const tested = JSON.parse(entries(DEMO, 'secret.rotation.tested-before-publish')[0]!.after!) as {
      ok: boolean;
      results: unknown[];
    };
    assert.equal(tested.ok, true);
    assert.equal(tested.results.length, 2);
    assert.equal((await orchestration(DEMO)).runtimeStatus, 'Running', 'waiting out the grace period');

    // The grace period (24 h) on the shared clock. On the way: the older (seeded) version, given an expiry 10 days
    // out, gets its near-expiry event — an older version, so only audited; the notice of sr-notice (due in 2 days,
    // 1 day ahead) goes out.
    await kv.updateSecretProperties('databricks-training-token', old.version, {
      expiresOn: new Date(Date.now() + 10 * 86_400_000),
    });
    await advance({ hours: 25 });
    await waitAudit(DEMO, 'secret.rotation.completed');
    await waitFor('the rotation to complete', async () =>
      (await orchestration(DEMO)).runtimeStatus === 'Completed' ? true : undefined,
    );
    // The seeded token was not issued by Warden (its version carries no warden.credential tag): Warden cannot tell
    // which token it is, so it is left alone and the completion says so.
    assert.match(
      entries(DEMO, 'secret.rotation.completed')[0]!.reason ?? '',
      /no old credential to retire \(unknown\)/,
    );
    assert.equal(await scimMe(now.value), 200);
    const oldEvent = await waitAudit(DEMO, 'secret.event.old-version');
    assert.match(oldEvent[0]!.reason ?? '', /SecretNearExpiry for an older version/);
    assert.equal(entries(DEMO, 'secret.rotation.started').length, 1, 'the old version’s event started nothing');
    await waitAudit('sr-notice', 'secret.notice.sent');
    // Warden's own new version: seen and dismissed, never drift, never a rotation.
    await waitFor('the own-version event', () => (logText().includes("Warden's own write") ? true : undefined));
    assert.equal(entries(DEMO, 'secret.drift.out-of-band').length, 0);
    // A second rotation knows the token it replaces (Warden issued it): revoked once the grace period is over.
    const second = await api('POST', `secrets/${DEMO}/rotate`, { token: tokens.ada });
    assert.equal((second.body as { action: string }).action, 'started', JSON.stringify(second.body));
    await waitAudit(DEMO, 'secret.rotation.recorded', 2);
    const next = await latest('databricks-training-token');
    assert.equal(await scimMe(now.value), 200, 'the first rotation’s token works during the grace period');
    await advance({ hours: 25 });
    await waitAudit(DEMO, 'secret.rotation.completed', 2);
    assert.notEqual(await scimMe(now.value), 200, 'the replaced token is revoked');
    assert.equal(await scimMe(next.value), 200);
    assert.equal((await reference(DEMO)).current_version, next.version);
    const trail = entries(DEMO).map((e) => e.action);
    for (const step of ['started', 'created', 'tested-before-publish', 'published', 'recorded', 'completed'])
      assert.ok(trail.includes(`secret.rotation.${step}`), `${step} audited`);
  });

  test('a failing consumer: the new token is revoked, the vault and the old credential untouched', async () => {
    const seed = await kv.setSecret('dbx-failing-token', 'placeholder-credential-value-1234', {});
    values.add('placeholder-credential-value-1234');
    const r = await api('POST', 'secrets/sr-dbx-failing/rotate', { token: tokens.ada });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const [revoked] = await waitAudit('sr-dbx-failing', 'secret.rotation.new-credential-revoked');
    assert.match(revoked!.reason ?? '', /refusing-endpoint/);
    const versions: string[] = [];
    for await (const p of kv.listPropertiesOfSecretVersions('dbx-failing-token')) versions.push(p.version!);
    assert.deepEqual(versions, [seed.properties.version], 'no version written');
    assert.equal((await latest('dbx-failing-token')).value, 'placeholder-credential-value-1234');
    await assert.rejects(
      kv.getSecret('dbx-failing-token--pending'),
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
    assert.equal((await reference('sr-dbx-failing')).status, 'failed');
    assert.equal(entries('sr-dbx-failing', 'secret.rotation.published').length, 0);
    const created = JSON.parse(entries('sr-dbx-failing', 'secret.rotation.created')[0]!.after!) as {
      credentialId: string;
    };
    const token = await minted(WARDEN_MI).getToken('2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default');
    const list = await raw(`${workspaceOrigin()}/api/2.0/token-management/tokens`, {
      authorization: `Bearer ${token!.token}`,
    });
    assert.equal(list.status, 200, list.text);
    const ids =
      (JSON.parse(list.text) as { token_infos?: { token_id: string }[] }).token_infos?.map((t) => t.token_id) ?? [];
    assert.ok(!ids.includes(created.credentialId), 'the new token was revoked');
  });

  test('a storage key: the key not in use is regenerated, tested with List Containers, published; the old one regenerated after grace', async () => {
    const old = await latest('stfraudraw-key');
    assert.equal(await listContainers(old.value), 200, 'the seeded key works');
    const r = await api('POST', 'secrets/sr-storage/rotate', { token: tokens.ada });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitAudit('sr-storage', 'secret.rotation.recorded');
    const now = await latest('stfraudraw-key');
    assert.notEqual(now.value, old.value);
    assert.equal(await listContainers(now.value), 200, 'the new key works');
    assert.equal(await listContainers(old.value), 200, 'the old key still works during the grace period');
    await advance({ hours: 25 });
    await waitAudit('sr-storage', 'secret.rotation.completed');
    assert.equal(await listContainers(old.value), 403, 'the old key was regenerated');
    assert.equal(await listContainers(now.value), 200);
    assert.equal((await reference('sr-storage')).current_version, now.version);
  });

  test('a version written outside Warden is reported as drift and starts nothing', async () => {
    const started = entries(DEMO, 'secret.rotation.started').length;
    const foreign = await kv.setSecret('databricks-training-token', 'pasted-by-hand-value-5678', {});
    values.add('pasted-by-hand-value-5678');
    const [drift] = await waitAudit(DEMO, 'secret.drift.out-of-band');
    assert.ok(drift!.reason?.includes(foreign.properties.version!));
    assert.equal(entries(DEMO, 'secret.rotation.started').length, started);
  });

  test('near expiry of a disabled reference’s secret is only audited', async () => {
    await kv.setSecret('disabled-token', 'disabled-secret-value-9012', {
      expiresOn: new Date(Date.now() + 12 * 86_400_000),
    });
    values.add('disabled-secret-value-9012');
    await advance({ minutes: 1 });
    const [ignored] = await waitAudit('sr-disabled', 'secret.event.ignored');
    assert.match(ignored!.reason ?? '', /disabled/);
    assert.equal(entries('sr-disabled', 'secret.rotation.started').length, 0);
  });

  test('kill -9 between publish and record: the resumed rotation records the published version and ends consistent', async () => {
    apps.hang = true;
    const r = await api('POST', 'secrets/sr-crash/rotate', { token: tokens.ada });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const [published] = await waitAudit('sr-crash', 'secret.rotation.published');
    await waitFor('the vault reader check to hang', () => (apps.pending > 0 ? true : undefined));
    assert.equal(entries('sr-crash', 'secret.rotation.recorded').length, 0, 'published, not recorded');
    const version = (JSON.parse(published!.after!) as { version: string }).version;
    const killed = new Promise((resolve) => runtime!.child.once('exit', resolve));
    runtime!.child.kill('SIGKILL');
    await killed;
    apps.hang = false;
    appServer.closeAllConnections();
    runtime = await startRuntime();
    outputs.push(runtime.output);
    const [recorded] = await waitAudit('sr-crash', 'secret.rotation.recorded');
    assert.ok(recorded!.reason?.includes(version));
    const ref = await reference('sr-crash');
    const now = await latest('dbx-crash-token');
    assert.equal(now.version, version, 'the vault holds the version published before the crash');
    assert.equal(ref.current_version, version, 'metadata points at it');
    assert.equal(ref.status, 'active');
    let ours = 0;
    for await (const p of kv.listPropertiesOfSecretVersions('dbx-crash-token'))
      if (p.tags?.['warden.correlation'] === now.tags['warden.correlation']) ours += 1;
    assert.equal(ours, 1, 'published once');
    assert.equal(await scimMe(now.value), 200, 'the recorded token works');
    await advance({ hours: 25 });
    await waitAudit('sr-crash', 'secret.rotation.completed');
    await assert.rejects(
      kv.getSecret('dbx-crash-token--pending'),
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
  });

  test('random: the vault-reader app rejects the new password → the previous value republished; accepted → rotated', async () => {
    const old = await latest('scoring-db-password');
    const mode = (m: string) => emulator.admin('POST', '/admin/consumers/scoring-service/mode', { mode: m });
    assert.ok((await mode('reject-new')).status < 300);
    const r = await api('POST', 'secrets/sr-random/rotate', { token: tokens.ada });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const [rolled] = await waitAudit('sr-random', 'secret.rotation.rolled-back');
    const after = JSON.parse(rolled!.after!) as { failedVersion: string; restoredVersion: string };
    const now = await latest('scoring-db-password');
    assert.equal(now.value, old.value, 'the previous value is current again');
    assert.equal(now.version, after.restoredVersion);
    assert.equal(now.tags['warden.rollback-of'], after.failedVersion);
    values.add((await kv.getSecret('scoring-db-password', { version: after.failedVersion })).value!);
    assert.equal((await reference('sr-random')).current_version, now.version);
    assert.equal((await reference('sr-random')).status, 'failed');
    assert.equal(entries('sr-random', 'secret.rotation.tested-before-publish').length, 0, 'publish first');
    // The app accepts new versions again: the next rotation publishes, the app reports it, recorded.
    assert.ok((await mode('accept')).status < 300);
    const again = await api('POST', 'secrets/sr-random/rotate', { token: tokens.ada });
    assert.equal((again.body as { action: string }).action, 'started', JSON.stringify(again.body));
    await waitAudit('sr-random', 'secret.rotation.recorded');
    const rotated = await latest('scoring-db-password');
    assert.notEqual(rotated.value, old.value);
    assert.equal((await reference('sr-random')).current_version, rotated.version);
    assert.equal((await reference('sr-random')).status, 'active');
  });

  test('http: the issuer issues a credential, /verify accepts it, published; a second rotation revokes the first after grace', async () => {
    const verify = async (value: string) =>
      (
        await raw(`${emulator.endpoints.origins['creds.pipelines.contoso.example']!}/verify`, {
          authorization: `Bearer ${value}`,
        })
      ).status;
    const seeded = await latest('pipelines-api-credential');
    assert.equal(await verify(seeded.value), 200);
    assert.equal((await api('POST', 'secrets/sr-http/rotate', { token: tokens.ada })).status, 202);
    await waitAudit('sr-http', 'secret.rotation.recorded');
    const first = await latest('pipelines-api-credential');
    assert.equal(await verify(first.value), 200);
    await advance({ hours: 25 });
    await waitAudit('sr-http', 'secret.rotation.completed');
    assert.equal((await api('POST', 'secrets/sr-http/rotate', { token: tokens.ada })).status, 202);
    await waitAudit('sr-http', 'secret.rotation.recorded', 2);
    const second = await latest('pipelines-api-credential');
    await advance({ hours: 25 });
    await waitAudit('sr-http', 'secret.rotation.completed', 2);
    assert.equal(await verify(first.value), 401, 'the replaced credential was revoked at the issuer');
    assert.equal(await verify(second.value), 200);
    assert.equal((await reference('sr-http')).current_version, second.version);
  });

  test('no credential value in the runtime output, the audit log, orchestration history or poison messages', () => {
    assert.ok(values.size >= 6, `values collected: ${values.size}`);
    const haystacks: [string, string][] = [['runtime output', logText()]];
    const dump = (file: string) => {
      const d = new DatabaseSync(file, { readOnly: true });
      try {
        const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
        return tables.map((t) => JSON.stringify(d.prepare(`SELECT * FROM "${t.name}"`).all())).join('\n');
      } finally {
        d.close();
      }
    };
    haystacks.push(['metadata database (audit, receipts, poison)', dump(db)]);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = path.join(dir, n);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const histories = walk(path.join(tmp, 'runtime')).filter((f) => /\.(db|sqlite)$/.test(f));
    assert.ok(histories.length > 0, 'the runtime keeps orchestration history in SQLite');
    for (const f of histories) haystacks.push([path.basename(f), dump(f)]);
    for (const v of values)
      for (const [where, text] of haystacks) assert.ok(!text.includes(v), `a credential value in ${where}`);
  });
});
