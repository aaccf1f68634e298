// End to end (issue 9): the emulator (ARM, Entra, Event Grid, Azure ML, Azure Monitor with its alert evaluation and
// action-group delivery) and the local runtime running the real app. Accuracy pushed through the custom-metrics
// ingestion API → the emulator evaluates the rule Warden synced → a real common-alert-schema alert with a
// secure-webhook token → Warden confirms N of M windows → traffic blue (v3) → green (v2), v3 tagged, audited,
// notified. One stack; the scenarios run in order (the model's state carries from one to the next).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';

import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';
import type { AccessToken, TokenCredential } from '@azure/identity';

import { type RunningEmulator, startEmulator } from '../../../emulator/index';
import { createAlertActionGroup } from '../../../launcher/local-stack';
import { findRepoRoot } from '../../../lib/find-repo-root';
import { freePort, type NodeChild } from '../../../lib/node-child';
import { openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import { EventSink } from '../../contract/emulator/arm-helpers';
import { startAppRuntime, WARDEN_MI } from '../../support/app-runtime';
import { settleRuns, waitUntil } from '../../support/e2e-wait';
import { type ApiAnswer, type ApiCallOptions, callApi, mintApiTokens } from '../../support/warden-api-client';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml`;
const WS = `${RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud`;
const ENDPOINT = `${WS}/onlineEndpoints/fraud-scoring`;
const RULE_ID = `${RG}/providers/Microsoft.Insights/metricAlerts/warden-ar-fraud-accuracy`;
const MODEL = 'm-fraud-detector-3';
const ADA = '6690be11-5387-4f81-9be0-9eba69a0dd12';
const GRACE = 'b9cda072-27d0-4fb2-9769-cef0d3d47e1d';
const BREAK_GLASS = '384bd70d-4052-490d-ac25-1c57e9f8dc5b';
const ACTION_GROUPS_APP = '461e8683-5575-4561-ac7f-899cc907d62a';
const FIVE_MIN = 5 * 60_000;

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  target: string;
  after: string | null;
  reason: string | null;
}

describe('model quarantine end to end: emulator Monitor + Azure ML, local runtime running the app', () => {
  const root = findRepoRoot(__dirname);
  const build = path.resolve(__dirname, '..', '..', '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-quarantine-e2e-'));
  const db = path.join(tmp, 'metadata.db');
  const clockFile = path.join(tmp, 'clock.json');
  let emulator: RunningEmulator;
  let runtime: NodeChild | undefined;
  let base = '';
  let output: string[] = [];
  const tokens: Record<string, string> = {};
  let audit: DatabaseSync;
  let notifications: EventSink;
  let ml: AzureMachineLearningWorkspaces;
  let region = 'westeurope';

  const credential = (principalId: string): TokenCredential => ({
    async getToken(scopes: string | string[]): Promise<AccessToken> {
      const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
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
      tokenLifetimeSeconds: 7 * 24 * 3600,
      log: () => undefined,
    });
    region = (JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')) as { location: string }).location;
    const store = openSqliteMetadataStore({ file: db });
    await seedDemoWorld(store, JSON.parse(readFileSync(path.join(root, 'demo', 'world.json'), 'utf8')));
    await store.close();
    Object.assign(tokens, await mintApiTokens(emulator, { ada: ADA, grace: GRACE }));
    const ag = await emulator.admin('POST', '/admin/tokens', { clientId: ACTION_GROUPS_APP, resource: 'api://warden' });
    assert.equal(ag.status, 200, JSON.stringify(ag.body));
    tokens.actionGroup = (ag.body as { access_token: string }).access_token;

    // Warden's notifications → an emulator custom topic → a sink (as the launcher wires them).
    notifications = await EventSink.start();
    const topic = await emulator.admin('PUT', '/admin/eventgrid/topics/warden-notifications', {
      inputSchema: 'CloudEventSchemaV1_0',
    });
    assert.ok(topic.status < 300, JSON.stringify(topic.body));
    const {
      endpoint: topicEndpoint,
      key1: topicKey,
      id: topicId,
    } = topic.body as {
      endpoint: string;
      key1: string;
      id: string;
    };
    const tsub = await emulator.admin('PUT', '/admin/eventgrid/subscriptions/notifications-sink', {
      topic: topicId,
      endpointUrl: notifications.url,
      validate: false,
    });
    assert.ok(tsub.status < 300, JSON.stringify(tsub.body));

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The action group the synced rules notify, created as the launcher creates it.
    const actionGroupId = await createAlertActionGroup(emulator.endpoints, base, (_s, line) =>
      output.push(`${line}\n`),
    );
    assert.ok(actionGroupId, output.join(''));

    const stateDir = path.join(tmp, 'runtime');
    runtime = await startAppRuntime({
      emulator,
      root,
      build,
      port,
      stateDir,
      noSettingsFile: path.join(tmp, 'no-local-settings.json'),
      metadataDb: db,
      taskHub: 'wardenq2e',
      env: {
        WARDEN_HOST_OVERRIDES: JSON.stringify(emulator.endpoints.origins ?? {}),
        WARDEN_NOTIFIER: 'eventgrid',
        WARDEN_NOTIFY_EVENTGRID_ENDPOINT: topicEndpoint,
        WARDEN_NOTIFY_EVENTGRID_KEY: topicKey,
        WARDEN_ALERT_ACTION_GROUP_ID: actionGroupId,
        WARDEN_CLOCK_FILE: clockFile,
        WARDEN_CLOCK_MODE: 'test',
        // Two quarantines within the window trip the breaker (scenario order below counts on it).
        WARDEN_BREAKER_MAX_QUARANTINES: '2',
        WARDEN_BREAKER_WINDOW_MINUTES: '60',
      },
    });
    output = runtime.output;
    const keys = JSON.parse(readFileSync(path.join(stateDir, 'keys.json'), 'utf8')) as {
      systemKeys: { eventgrid_extension: string };
    };
    const specs = (
      JSON.parse(readFileSync(path.join(root, 'infra', 'event-subscriptions.json'), 'utf8')) as {
        subscriptions: { name: string; function: string; topic: string; includedEventTypes: string[] }[];
      }
    ).subscriptions.filter((s) => ['onResourceEvent', 'onMachineLearningEvent'].includes(s.function));
    assert.equal(specs.length, 2);
    for (const spec of specs) {
      const sub = await emulator.admin('PUT', `/admin/eventgrid/subscriptions/${spec.name}`, {
        topic: spec.topic.replace('{subscriptionId}', SUB),
        endpointUrl: `${base}/runtime/webhooks/eventgrid?functionName=${spec.function}&code=${encodeURIComponent(keys.systemKeys.eventgrid_extension)}`,
        includedEventTypes: spec.includedEventTypes,
      });
      assert.ok(sub.status < 300, JSON.stringify(sub.body));
    }
    audit = new DatabaseSync(db, { readOnly: true });
    ml = new AzureMachineLearningWorkspaces(credential(BREAK_GLASS), SUB, {
      endpoint: emulator.endpoints.armEndpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: emulator.caCert },
    });
    // The seeded alert rule reaches syncAlertRules through the SQL trigger at start-up.
    await waitFor('the seeded alert rule synced to Monitor', () =>
      auditRows('alert_rule.synced').length > 0 ? true : undefined,
    );
    await settle();
  });

  after(async () => {
    if (process.env.WARDEN_E2E_LOG)
      (await import('node:fs')).writeFileSync(process.env.WARDEN_E2E_LOG, output.join(''));
    audit?.close();
    await runtime?.stop();
    await emulator?.stop();
    await notifications?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const api = (method: string, p: string, o: ApiCallOptions = {}): Promise<ApiAnswer> => callApi(base, method, p, o);

  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000) =>
    waitUntil(what, probe, ms, () => output.join(''));

  const settle = (): Promise<void> => settleRuns(base, tokens.ada!, () => output.join(''));

  function auditRows(action: string, fromSeq = 0): AuditRow[] {
    return audit
      .prepare(
        'SELECT seq, actor, action, target, after, reason FROM audit_log WHERE action = ? AND seq > ? ORDER BY seq',
      )
      .all(action, fromSeq) as unknown as AuditRow[];
  }
  /** The approval call itself started the model run (not the sweep a minute later), and marked it started. */
  function assertStartedByApproval(answer: ApiAnswer, approvalId: string, instancePrefix: string): void {
    const { remediation } = answer.body as { remediation: { started: boolean; instanceId?: string } };
    assert.equal(remediation.started, true, JSON.stringify(answer.body));
    assert.ok(remediation.instanceId?.startsWith(instancePrefix), remediation.instanceId);
    const marks = audit
      .prepare("SELECT actor FROM audit_log WHERE action = 'model.approval.started' AND target = ?")
      .all(`approvals/${approvalId}`) as { actor: string }[];
    assert.equal(marks.length, 1);
    assert.notEqual(marks[0]!.actor, 'warden (sweep)');
  }
  function maxSeq(): number {
    return (audit.prepare('SELECT max(seq) AS m FROM audit_log').get() as { m: number | null }).m ?? 0;
  }

  async function traffic(): Promise<Record<string, number>> {
    const ep = await ml.onlineEndpoints.get('rg-fraud-ml', 'mlw-fraud', 'fraud-scoring');
    return { ...(ep.properties.traffic ?? {}) };
  }
  async function stageTag(version: string): Promise<string | undefined> {
    const v = await ml.modelVersions.get('rg-fraud-ml', 'mlw-fraud', 'fraud-detector', version);
    return v.properties.tags?.['warden.stage'] ?? undefined;
  }

  async function emulatorNow(): Promise<number> {
    const r = await emulator.admin('GET', '/admin/clock');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const b = r.body as { now?: string; nowIso?: string; time?: string };
    return Date.parse(b.now ?? b.nowIso ?? b.time ?? '');
  }

  /** Pushes one accuracy point through the custom-metrics ingestion API (`<region>.monitoring.azure.com`). */
  async function pushAccuracy(value: number, at: number): Promise<void> {
    const origin = emulator.endpoints.origins?.[`${region}.monitoring.azure.com`];
    assert.ok(origin, `no ingestion origin in ${JSON.stringify(emulator.endpoints.origins)}`);
    const token = (await credential(WARDEN_MI).getToken('https://monitoring.azure.com//.default'))!.token;
    const res = await httpsPost(
      `${origin}${ENDPOINT}/metrics`,
      { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      JSON.stringify({
        time: new Date(at).toISOString(),
        data: {
          baseData: {
            metric: 'accuracy',
            namespace: 'azureml.custom/model-quality',
            dimNames: ['deployment'],
            series: [{ dimValues: ['blue'], min: value, max: value, sum: value, count: 1 }],
          },
        },
      }),
    );
    assert.equal(res.status, 200, res.text);
  }

  function httpsPost(
    url: string,
    headers: Record<string, string>,
    body: string,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: 'POST', headers, ca: emulator.caCert }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function deliveries(condition: 'Fired' | 'Resolved'): Promise<{ status?: string; statusCode?: number }[]> {
    const r = await emulator.admin('GET', `/admin/monitor/deliveries?ruleId=${encodeURIComponent(RULE_ID)}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return ((r.body as { value: Record<string, unknown>[] }).value ?? []).filter(
      (d) => d.monitorCondition === condition || d.condition === condition,
    );
  }

  let bins: { previous: number; current: number };

  test('syncAlertRules created the metric alert for the seeded rule, attached to the action group', async () => {
    const r = await emulator.admin('GET', `/admin/arm/resources?id=${encodeURIComponent(RULE_ID)}`);
    const synced = auditRows('alert_rule.synced');
    assert.equal(synced.length, 1);
    assert.equal((JSON.parse(synced[0]!.after ?? '{}') as { monitorRuleId: string }).monitorRuleId, RULE_ID);
    if (r.status === 200) assert.match(JSON.stringify(r.body), /warden-alerts/i);
  });

  test('a single dip fires a real alert, but Warden does not confirm it: no quarantine', async () => {
    // The scenarios below write into one 5-minute bin and the one before it. Start them 1 s into a bin that begins at
    // least one bin after now: the window the rule evaluates and the windows Warden confirms then hold only the points
    // pushed here — not the healthy point the emulator seeds from the demo world at start-up (it made the dip average
    // exactly 0.9, no breach, when a run began near the end of a bin) — and cannot move on while the scenarios run.
    const start = await emulatorNow();
    const target = (Math.floor(start / FIVE_MIN) + 2) * FIVE_MIN + 1000;
    const advanced = await emulator.admin('POST', '/admin/clock/advance', { ms: target - start });
    assert.equal(advanced.status, 200, JSON.stringify(advanced.body));
    const now = await emulatorNow();
    const current = Math.floor(now / FIVE_MIN) * FIVE_MIN;
    bins = { previous: current - FIVE_MIN, current };
    const seq = maxSeq();
    await pushAccuracy(0.95, bins.previous + 60_000);
    await pushAccuracy(0.8, bins.current);
    const ev = await emulator.admin('POST', '/admin/monitor/alerts/evaluate');
    assert.ok(ev.status < 300, JSON.stringify(ev.body));
    assert.equal((ev.body as { evaluated: number }).evaluated, 1, 'the synced rule was evaluated');
    await waitFor('the Fired delivery', async () => ((await deliveries('Fired')).length > 0 ? true : undefined));
    await waitFor('the dip dropped', () => (auditRows('model.quarantine.dropped', seq).length > 0 ? true : undefined));
    await settle();
    const dropped = auditRows('model.quarantine.dropped', seq)[0]!;
    assert.match(dropped.reason ?? '', /not confirmed \(unconfirmed\)/);
    assert.equal(auditRows('model.quarantined', seq).length, 0);
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
    assert.equal(await stageTag('3'), 'Production');
    const received = auditRows('model.alert.received', seq)[0]!;
    assert.match(received.actor, new RegExp(ACTION_GROUPS_APP));
  });

  test('a Resolved alert is recorded and never quarantines', async () => {
    const seq = maxSeq();
    const r = await emulator.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: RULE_ID,
      monitorCondition: 'Resolved',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the Resolved alert recorded', () =>
      auditRows('model.alert.received', seq).some((a) => /"condition":"Resolved"/.test(a.after ?? ''))
        ? true
        : undefined,
    );
    await settle();
    assert.equal(auditRows('model.quarantined', seq).length, 0);
    assert.equal(auditRows('model.quarantine.dropped', seq).length, 0, 'nothing was even assessed');
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
  });

  test('accuracy below 0.9 in 2 of 2 windows: confirmed → v3 tagged, traffic blue → green, audited, notified', async () => {
    const seq = maxSeq();
    // The earlier window drops below 0.9 too (average of 0.95 and 0.7).
    await pushAccuracy(0.7, bins.previous + 120_000);
    const r = await emulator.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: RULE_ID,
      monitorCondition: 'Fired',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the quarantine', () => (auditRows('model.quarantined', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 0, green: 100 });
    assert.equal(await stageTag('3'), 'Quarantined');
    const v3 = await ml.modelVersions.get('rg-fraud-ml', 'mlw-fraud', 'fraud-detector', '3');
    assert.match(v3.properties.tags?.['warden.quarantine.evidence'] ?? '', /^confirmed: 2\/2 windows LessThan 0.9/);
    assert.equal(v3.properties.tags?.['warden.quarantine.traffic'], 'blue=100,green=0');
    assert.equal(await stageTag('2'), 'Staging', 'the good version is untouched');
    const held = auditRows('model.traffic.held', seq);
    assert.equal(held.length, 1);
    assert.equal(held[0]!.target, ENDPOINT);
    const row = await api('GET', `metadata/models/${MODEL}`, { token: tokens.ada });
    assert.equal((row.body as { stage: string }).stage, 'Quarantined');
    assert.ok((row.body as { next_check_at: string | null }).next_check_at, 'a re-check is due');
    await notifications.waitFor(
      (e) => (e as unknown as { type?: string }).type === 'Warden.Model.Quarantined',
      'Warden.Model.Quarantined',
      30_000,
    );
  });

  test('a duplicate alert while quarantined joins it and changes nothing', async () => {
    const seq = maxSeq();
    const before = await ml.modelVersions.get('rg-fraud-ml', 'mlw-fraud', 'fraud-detector', '3');
    const r = await emulator.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: RULE_ID,
      monitorCondition: 'Fired',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the alert joined', () => (auditRows('model.quarantine.joined', seq).length > 0 ? true : undefined));
    await settle();
    assert.equal(auditRows('model.quarantined', seq).length, 0);
    assert.equal(auditRows('model.traffic.held', seq).length, 0);
    assert.deepEqual(await traffic(), { blue: 0, green: 100 });
    const afterTags = (await ml.modelVersions.get('rg-fraud-ml', 'mlw-fraud', 'fraud-detector', '3')).properties.tags;
    assert.deepEqual(afterTags, before.properties.tags);
  });

  test('redeploying traffic to the quarantined version is put back to 0%', async () => {
    const seq = maxSeq();
    const ep = await ml.onlineEndpoints.get('rg-fraud-ml', 'mlw-fraud', 'fraud-scoring');
    await ml.onlineEndpoints.beginCreateOrUpdateAndWait(
      'rg-fraud-ml',
      'mlw-fraud',
      'fraud-scoring',
      { location: ep.location, properties: { ...ep.properties, traffic: { blue: 100, green: 0 } } },
      { updateIntervalInMs: 20 },
    );
    await waitFor('the redeploy held back', () => (auditRows('model.traffic.held', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 0, green: 100 });
  });

  test('release through the API restores the traffic and the stage', async () => {
    const seq = maxSeq();
    const r = await api('POST', `models/${MODEL}/release`, { token: tokens.ada });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitFor('the release', () => (auditRows('model.released', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
    assert.equal(await stageTag('3'), 'Production');
    const v3 = await ml.modelVersions.get('rg-fraud-ml', 'mlw-fraud', 'fraud-detector', '3');
    assert.equal(v3.properties.tags?.['warden.quarantine.evidence'], undefined, 'the evidence tags go');
    const row = await api('GET', `metadata/models/${MODEL}`, { token: tokens.ada });
    assert.equal((row.body as { stage: string }).stage, 'Production');
  });

  test('a RunStatusChanged model-monitor breach starts the same flow (confirmed, quarantined)', async () => {
    const seq = maxSeq();
    const r = await emulator.admin('POST', '/admin/ml/monitor-runs', {
      workspaceId: WS,
      monitorName: 'fraud-detector-monitor',
      breached: true,
      signal: 'accuracy-signal',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the monitor quarantine', () => (auditRows('model.quarantined', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 0, green: 100 });
    assert.match(auditRows('model.quarantined', seq)[0]!.actor, /^warden \(event /);
    const back = await api('POST', `models/${MODEL}/release`, { token: tokens.ada });
    assert.equal(back.status, 202);
    await waitFor('the second release', () => (auditRows('model.released', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
  });

  test('the circuit breaker: a third quarantine in the window is stopped, an approval asked for, nothing moves', async () => {
    const seq = maxSeq();
    const r = await emulator.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: RULE_ID,
      monitorCondition: 'Fired',
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    await waitFor('the breaker', () => (auditRows('model.quarantine.breaker', seq).length > 0 ? true : undefined));
    await settle();
    assert.equal(auditRows('model.quarantined', seq).length, 0);
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
    const approvals = await api('GET', 'approvals?state=pending&kind=model', { token: tokens.ada });
    assert.equal(approvals.status, 200);
    assert.ok(
      (approvals.body as { items: { target: string }[] }).items.some((a) => a.target === 'models/circuit-breaker'),
    );
    await notifications.waitFor(
      (e) => (e as unknown as { type?: string }).type === 'Warden.Model.BreakerTripped',
      'Warden.Model.BreakerTripped',
      30_000,
    );
  });

  test('operator dry run returns the plan and changes nothing', async () => {
    const seq = maxSeq();
    const r = await api('POST', `models/${MODEL}/quarantine?dryRun=true`, { token: tokens.ada });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const plan = (r.body as { plan: { decision: string; traffic: { after: Record<string, number> } } }).plan;
    assert.equal(plan.decision, 'quarantine');
    assert.deepEqual(plan.traffic.after, { blue: 0, green: 100 });
    assert.equal(maxSeq(), seq, 'nothing audited');
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
  });

  test('retire: asked by one operator, approved by another, started by the approval itself — v3 archived, held at 0%', async () => {
    const seq = maxSeq();
    const asked = await api('POST', `models/${MODEL}/retire`, { token: tokens.ada });
    assert.equal(asked.status, 202, JSON.stringify(asked.body));
    const { approvalId } = asked.body as { approvalId: string };
    const self = await api('POST', `approvals/${approvalId}/approve`, { token: tokens.ada, body: { comment: 'me' } });
    assert.equal(self.status, 403, 'four eyes');
    const ok = await api('POST', `approvals/${approvalId}/approve`, {
      token: tokens.grace,
      body: { comment: 'retire v3' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assertStartedByApproval(ok, approvalId, 'retireModel-');
    await waitFor('the retire', () => (auditRows('model.retired', seq).length > 0 ? true : undefined), 150_000);
    await settle();
    assert.equal(await stageTag('3'), 'Archived');
    assert.deepEqual(await traffic(), { blue: 0, green: 100 });
  });

  test('no good deployment left: the access cut waits for approval, then the approval cuts (traffic 0%, keys regenerated)', async () => {
    const seq = maxSeq();
    const q = await api('POST', 'models/m-fraud-detector-2/quarantine', { token: tokens.ada });
    assert.equal(q.status, 202, JSON.stringify(q.body));
    await waitFor('v2 quarantined', () => (auditRows('model.quarantined', seq).length > 0 ? true : undefined));
    await settle();
    assert.deepEqual(await traffic(), { blue: 0, green: 100 }, 'traffic untouched until approved');
    const pending = await api('GET', 'approvals?state=pending&kind=model', { token: tokens.ada });
    const cut = (pending.body as { items: { id: string; target: string }[] }).items.find(
      (a) => a.target === 'models/m-fraud-detector-2',
    );
    assert.ok(cut, JSON.stringify(pending.body));
    const ok = await api('POST', `approvals/${cut.id}/approve`, { token: tokens.grace, body: { comment: 'cut' } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assertStartedByApproval(ok, cut.id, 'quarantineModel-');
    await waitFor('the access cut', () => (auditRows('model.access.cut', seq).length > 0 ? true : undefined), 150_000);
    await settle();
    assert.deepEqual(await traffic(), { blue: 0, green: 0 });
    const entry = JSON.parse(auditRows('model.access.cut', seq)[0]!.after ?? '{}') as {
      keysRegenerated: boolean;
      refused: string | null;
    };
    assert.equal(entry.keysRegenerated, true, 'the steward role grants onlineEndpoints/regenerateKeys/action');
    assert.equal(entry.refused, null);
  });

  describe('bad input on the alert webhook: problem+json, recorded, no quarantine', () => {
    const alertBody = (rule: string) => ({
      schemaId: 'azureMonitorCommonAlertSchema',
      data: {
        essentials: {
          alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/e2e-${rule}`,
          alertRule: rule,
          severity: 'Sev2',
          signalType: 'Metric',
          monitorCondition: 'Fired',
          monitoringService: 'Platform',
          alertTargetIDs: [ENDPOINT.toLowerCase()],
          firedDateTime: new Date().toISOString(),
        },
        alertContext: null,
        customProperties: null,
      },
    });
    const post = (body: unknown, token?: string) =>
      api('POST', 'alerts/monitor', { ...(token ? { token } : {}), body });
    const poison = () =>
      (
        audit.prepare("SELECT count(*) AS n FROM poison_messages WHERE source = 'monitor:alert-webhook'").get() as {
          n: number;
        }
      ).n;

    test('no token → 401, a user token → 403, not the common schema → 400, an unknown rule → 404', async () => {
      const seq = maxSeq();
      const p0 = poison();
      const none = await post(alertBody('warden-ar-fraud-accuracy'));
      assert.equal(none.status, 401);
      assert.match(String(none.headers.get('content-type')), /problem\+json/);
      const user = await post(alertBody('warden-ar-fraud-accuracy'), tokens.ada);
      assert.equal(user.status, 403);
      const bad = await post({ schemaId: 'Microsoft.Insights/activityLogs', data: {} }, tokens.actionGroup);
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.match(String(bad.headers.get('content-type')), /problem\+json/);
      const unknown = await post(alertBody('warden-ar-nope'), tokens.actionGroup);
      assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
      assert.equal(poison() - p0, 4, 'each refusal recorded');
      await settle();
      assert.equal(auditRows('model.quarantined', seq).length, 0);
      assert.equal(auditRows('model.alert.received', seq).length, 0);
    });
  });
});
