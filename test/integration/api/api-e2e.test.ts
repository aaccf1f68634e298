// End to end: the emulator (Entra tokens, an Event Grid custom topic with a test subscriber) and the local runtime
// (a child process trusting the emulator's CA, serving the API's registrations from the compiled tree).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild, startNodeChild } from '../../../lib/node-child';
import { API_ROUTES } from '../../../shared/api/route-table';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { type ApiAnswer, type ApiCallOptions, callApi, mintApiTokens } from '../../support/warden-api-client';

const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const PIPELINE_SP = 'a35e1e22-b578-47e3-ab2a-efc3f7322b15';
const WARDEN_MI = '6872bbc9-1627-441e-a611-7ce540632cfe';
const API_APP_ID = 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de';
const RG = '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml';

interface CloudEventReceived {
  type: string;
  subject: string;
  correlationid: string;
  data: Record<string, unknown>;
}

describe('HTTP API end to end: emulator Entra tokens, local runtime, Event Grid notifications', () => {
  const root = findRepoRoot(__dirname);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-api-e2e-'));
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';
  let subscriber: http.Server;
  const received: CloudEventReceived[] = [];
  const tokens: Record<string, string> = {};

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      stateDir: path.join(tmp, 'emulator'),
      world: path.join(root, 'demo', 'world.json'),
      pollIntervalMs: 50,
      log: () => undefined,
    });
    subscriber = http.createServer((req, res) => {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'webhook-allowed-origin': '*' }).end();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CloudEventReceived | CloudEventReceived[];
        received.push(...(Array.isArray(body) ? body : [body]));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => subscriber.listen(0, '127.0.0.1', r));
    const topic = await emulator.admin('PUT', '/admin/eventgrid/topics/warden-notifications', {
      inputSchema: 'CloudEventSchemaV1_0',
    });
    assert.ok(topic.status === 200 || topic.status === 201, JSON.stringify(topic.body));
    const t = topic.body as { key1: string; endpoint: string };
    const sub = await emulator.admin('PUT', '/admin/eventgrid/subscriptions/api-test', {
      topic: 'warden-notifications',
      endpointUrl: `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/events`,
      eventDeliverySchema: 'CloudEventSchemaV1_0',
    });
    assert.ok(sub.status < 300, JSON.stringify(sub.body));

    const db = path.join(tmp, 'metadata.db');
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    await store.close();

    Object.assign(tokens, await mintApiTokens(emulator, { ada: ADA, grace: GRACE, pipeline: PIPELINE_SP }));

    const build = path.resolve(__dirname, '..', '..', '..');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    runtime = await startNodeChild({
      script: path.join(build, 'runtime', 'main.js'),
      args: [
        '--app',
        root,
        '--main',
        path.relative(root, path.join(build, 'test', 'fixtures', 'api', 'app.js')),
        '--port',
        String(port),
        '--state-dir',
        path.join(tmp, 'runtime'),
        '--settings',
        path.join(tmp, 'no-local-settings.json'),
      ],
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: emulator.caCertPath,
        WARDEN_TENANT_ID: emulator.endpoints.tenantId,
        WARDEN_AUTHORITY_HOST: emulator.endpoints.entraAuthorityHost,
        WARDEN_API_AUDIENCES: `api://warden,${API_APP_ID}`,
        WARDEN_PRINCIPAL_IDS: WARDEN_MI,
        WARDEN_METADATA_DB: db,
        WARDEN_NOTIFIER: 'eventgrid',
        WARDEN_NOTIFY_EVENTGRID_ENDPOINT: t.endpoint,
        WARDEN_NOTIFY_EVENTGRID_KEY: t.key1,
        WARDEN_APP_VERSION: '0.0.0-e2e',
      },
      readyUrl: `${base}/api/health`,
      timeoutMs: 30_000,
    });
  });

  after(async () => {
    await runtime?.stop();
    await new Promise<void>((r) => subscriber?.close(() => r()));
    await emulator?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const api = (method: string, p: string, o: ApiCallOptions = {}): Promise<ApiAnswer> => callApi(base, method, p, o);

  test('every route of the table: no token → 401 with WWW-Authenticate; an app without Warden roles → 403', async () => {
    for (const r of API_ROUTES) {
      const p = r.route.replace('{id}', 'x-1').replace('{*scope}', RG.slice(1));
      const body = r.body ? {} : undefined;
      const anon = await api(r.method, p, { body });
      const roleless = await api(r.method, p, { token: tokens.pipeline, body });
      if (r.access === 'anonymous') {
        assert.equal(anon.status, 200, r.name);
        continue;
      }
      assert.equal(anon.status, 401, `${r.name}: ${JSON.stringify(anon.body)}`);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer realm="warden"/);
      assert.equal(roleless.status, 403, `${r.name}: ${JSON.stringify(roleless.body)}`);
      assert.match(roleless.headers.get('content-type') ?? '', /application\/problem\+json/);
    }
  });

  test('list policies, create one, read its audit entry — with emulator tokens', async () => {
    const list = await api('GET', 'metadata/access_policies', { token: tokens.ada });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok((list.body as { items: unknown[] }).items.length > 0);
    const created = await api('PUT', 'metadata/access_policies/ap-e2e-reader', {
      token: tokens.ada,
      headers: { 'x-correlation-id': 'e2e-create' },
      body: {
        principal_id: '95d764b4-de42-46a3-bb72-8b382714c04a',
        principal_type: 'Group',
        role: 'Reader',
        scope: RG,
        justification: 'End-to-end test',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.headers.get('etag'), '"1"');
    const audit = await api('GET', 'audit?target=access_policies/ap-e2e-reader', { token: tokens.ada });
    const [entry] = (audit.body as { items: { action: string; actor: string; correlation_id: string }[] }).items;
    assert.equal(entry?.action, 'access_policies.insert');
    assert.equal(entry?.actor, `${ADA} (Ada Lovelace)`);
    assert.equal(entry?.correlation_id, 'e2e-create');
    const scope = await api('GET', `metadata/managed_scopes${RG}`, { token: tokens.ada });
    assert.equal(scope.status, 200, JSON.stringify(scope.body));
    assert.equal((scope.body as { scope: string }).scope, RG);
    const traversal = await api('GET', `metadata/managed_scopes${RG}/%2E%2E/%2E%2E`, { token: tokens.ada });
    assert.ok([400, 404].includes(traversal.status), `traversal: ${traversal.status}`);
    const verify = await api('GET', 'audit/verify', { token: tokens.grace });
    assert.equal((verify.body as { ok: boolean }).ok, true);
    assert.equal((await api('GET', 'audit/verify', { token: tokens.ada })).status, 403, 'Ada is no auditor');
  });

  test('four eyes end to end, and the notifications reach an Event Grid subscriber with their correlation ids', async () => {
    const created = await api('PUT', 'metadata/access_policies/ap-e2e-owner', {
      token: tokens.ada,
      headers: { 'x-correlation-id': 'e2e-owner' },
      body: {
        principal_id: '95d764b4-de42-46a3-bb72-8b382714c04a',
        principal_type: 'Group',
        role: 'Owner',
        scope: RG,
        justification: 'Break-fix for the quarter close',
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const approvalId = created.headers.get('x-warden-approval');
    assert.ok(approvalId);
    const self = await api('POST', `approvals/${approvalId}/approve`, { token: tokens.ada, body: {} });
    assert.equal(self.status, 403);
    assert.equal((self.body as { code: string }).code, 'FOUR_EYES');
    const ok = await api('POST', `approvals/${approvalId}/approve`, {
      token: tokens.grace,
      body: { comment: 'ok' },
      headers: { 'x-correlation-id': 'e2e-approve' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // The fixture app registers the API only: the hand-over to reconcileAccess is attempted over the durable
    // client and reported, and the decision stands either way.
    const remediation = (ok.body as { remediation: { started: boolean; reason?: string } }).remediation;
    assert.equal(typeof remediation.started, 'boolean');
    if (!remediation.started) assert.ok(remediation.reason);
    const deadline = Date.now() + 15_000;
    while (received.filter((e) => e.subject === `approvals/${approvalId}`).length < 2 && Date.now() < deadline) {
      await emulator.admin('POST', '/admin/eventgrid/flush');
      await new Promise((r) => setTimeout(r, 100));
    }
    const requested = received.find(
      (e) => e.type === 'Warden.Approval.Requested' && e.subject === `approvals/${approvalId}`,
    );
    const decided = received.find(
      (e) => e.type === 'Warden.Approval.Decided' && e.subject === `approvals/${approvalId}`,
    );
    assert.equal(requested?.correlationid, 'e2e-owner', JSON.stringify(received));
    assert.equal(decided?.correlationid, 'e2e-approve');
    assert.equal(decided?.data.decision, 'approved');
  });

  test('orchestration status and list through the durable client binding', async () => {
    const list = await api('GET', 'orchestrations', { token: tokens.ada });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.ok(Array.isArray((list.body as { items: unknown[] }).items));
    const missing = await api('GET', 'orchestrations/no-such-instance', { token: tokens.ada });
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
  });

  test('OpenAPI at /api/openapi.json lists every route', async () => {
    const doc = await api('GET', 'openapi.json', { token: tokens.ada });
    assert.equal(doc.status, 200);
    const ids = Object.values((doc.body as { paths: Record<string, Record<string, { operationId: string }>> }).paths)
      .flatMap((item) => Object.values(item).map((op) => op.operationId))
      .sort();
    assert.deepEqual(ids, API_ROUTES.map((r) => r.name).sort());
  });
});
