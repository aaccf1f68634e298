import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { findRepoRoot } from '../../../lib/find-repo-root';
import { fixedClock } from '../../../shared/domain/clock';
import { NotFoundError } from '../../../shared/domain/errors';
import { CommonAlertSchema } from '../../../shared/domain/models/signals';
import { type MetadataStore, openSqliteMetadataStore } from '../../../shared/metadata/metadata-store';
import { readDemoWorld, seedDemoWorld } from '../../../shared/metadata/seed/seed-demo-world';
import {
  handleEndpointWrite,
  handleMlEvent,
  handleModelChange,
  handleMonitorAlert,
  sweepModels,
} from '../../../shared/orchestrations/models/model-triggers';
import { startQuarantineModel } from '../../../shared/orchestrations/models/start-model';
import type { OrchestrationClient } from '../../../shared/orchestrations/orchestration-client';

const SUB = '748dc4e8-efe6-46bb-9fdb-8b4a39e61336';
const WS = `/subscriptions/${SUB}/resourceGroups/rg-fraud-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud`;
const ENDPOINT = `${WS}/onlineEndpoints/fraud-scoring`;

describe('model triggers (alert webhook, ML events, endpoint writes, models rows)', () => {
  let store: MetadataStore;
  let dir: string;
  let status: Record<string, string> = {};
  const started: { name: string; instanceId: string; input: Record<string, unknown> }[] = [];
  const raised: { instanceId: string; data: Record<string, unknown> }[] = [];
  const client: OrchestrationClient = {
    getStatus: (id) => Promise.resolve(status[id] ? { runtimeStatus: status[id] } : undefined),
    startNew: (name, o) => {
      started.push({ name, instanceId: o.instanceId, input: o.input as Record<string, unknown> });
      return Promise.resolve(o.instanceId);
    },
    raiseEvent: (instanceId, _e, data) => {
      raised.push({ instanceId, data: data as Record<string, unknown> });
      return Promise.resolve();
    },
  };
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'warden-models-'));
    store = openSqliteMetadataStore({ file: path.join(dir, 'm.db'), clock: fixedClock('2026-11-25T12:00:00Z') });
    await seedDemoWorld(store, readDemoWorld(findRepoRoot(__dirname)));
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    started.length = 0;
    raised.length = 0;
    status = {};
  });

  const alert = (rule: string, condition: 'Fired' | 'Resolved', id = 'a1') =>
    CommonAlertSchema.parse({
      schemaId: 'azureMonitorCommonAlertSchema',
      data: {
        essentials: {
          alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/${id}`,
          alertRule: rule,
          signalType: 'Metric',
          monitorCondition: condition,
          monitoringService: 'Platform',
          alertTargetIDs: [ENDPOINT.toLowerCase()],
          firedDateTime: '2026-11-25T11:59:00Z',
        },
      },
    });

  test('a Fired alert for a known rule starts quarantineModel with the rule and the alert; a redelivery is a duplicate', async () => {
    const r = await handleMonitorAlert(store, client, alert('warden-ar-fraud-accuracy', 'Fired'), 'monitor');
    assert.equal(r.handled, 'started');
    assert.equal(started.length, 1);
    assert.equal(started[0]!.name, 'quarantineModel');
    assert.equal(started[0]!.input.modelId, 'm-fraud-detector-3');
    assert.equal(started[0]!.input.ruleId, 'ar-fraud-accuracy');
    assert.equal((started[0]!.input.signal as { kind: string }).kind, 'alert');
    const again = await handleMonitorAlert(store, client, alert('warden-ar-fraud-accuracy', 'Fired'), 'monitor');
    assert.equal(again.handled, 'duplicate');
    assert.equal(started.length, 1);
  });

  test('Resolved is recorded, never starts anything; an unknown rule is NotFound', async () => {
    const r = await handleMonitorAlert(store, client, alert('warden-ar-fraud-accuracy', 'Resolved', 'a2'), 'monitor');
    assert.equal(r.handled, 'resolved');
    assert.equal(started.length, 0);
    const entries = await store.audit.list({ target: 'models/m-fraud-detector-3' });
    assert.ok(entries.some((e) => e.action === 'model.alert.received' && /Resolved/.test(e.reason ?? '')));
    await assert.rejects(handleMonitorAlert(store, client, alert('warden-nope', 'Fired', 'a3'), 'm'), NotFoundError);
    await assert.rejects(
      handleMonitorAlert(store, client, alert('someone-elses-rule', 'Fired', 'a4'), 'm'),
      NotFoundError,
    );
  });

  test('a second signal while a quarantine runs joins it: the rerun carries the signal', async () => {
    const first = await startQuarantineModel(client, {
      modelId: 'm-fraud-detector-3',
      correlationId: 'c1',
      requestedBy: 'x',
      reason: 'r',
    });
    status[first.instanceId] = 'Running';
    const second = await startQuarantineModel(client, {
      modelId: 'm-fraud-detector-3',
      ruleId: 'ar-fraud-accuracy',
      correlationId: 'c2',
      requestedBy: 'y',
      reason: 'r2',
      signal: { kind: 'alert', ref: 'a9' },
    });
    assert.equal(second.action, 'requeued');
    assert.equal(second.instanceId, first.instanceId);
    assert.equal((raised[0]!.data.signal as { ref: string }).ref, 'a9');
    assert.equal(started.length, 1);
  });

  test('RunStatusChanged with the breach tag maps by monitor_name (keys case-insensitive); unmapped and invalid are recorded', async () => {
    const ev = (id: string, monitor: string) => ({
      id,
      topic: WS,
      eventType: 'Microsoft.MachineLearningServices.RunStatusChanged',
      subject: 'experiments/x/runs/y',
      data: {
        ExperimentName: monitor,
        RunStatus: 'Failed',
        RunTags: { AzureML_ModelMonitor_Threshold_Breached: "The signal 's1' has failed due to …" },
      },
    });
    const r = await handleMlEvent(store, client, ev('e1', 'FRAUD-DETECTOR-MONITOR'));
    assert.equal(r.handled, 'started');
    assert.equal((started[0]!.input.signal as { kind: string }).kind, 'monitor-run');
    assert.equal((await handleMlEvent(store, client, ev('e1', 'fraud-detector-monitor'))).handled, 'duplicate');
    assert.equal((await handleMlEvent(store, client, ev('e2', 'other-monitor'))).handled, 'ignored');
    assert.equal((await handleMlEvent(store, client, { eventType: 'x' })).handled, 'invalid');
    const poison = await store.events.listPoison();
    assert.ok(poison.some((p) => /maps to no alert rule/.test(p.reason)));
    assert.equal(started.length, 1);
  });

  test('a start that fails gives the receipt back: the redelivered alert and ML event are processed, not deduped', async () => {
    let failures = 1;
    const flaky: OrchestrationClient = {
      ...client,
      startNew: (name, o) => {
        if (failures > 0) {
          failures -= 1;
          return Promise.reject(new Error('durable extension unreachable'));
        }
        return client.startNew(name, o);
      },
    };
    const fired = alert('warden-ar-fraud-accuracy', 'Fired', 'a-flaky');
    await assert.rejects(handleMonitorAlert(store, flaky, fired, 'monitor'), /unreachable/);
    const retried = await handleMonitorAlert(store, flaky, fired, 'monitor');
    assert.equal(retried.handled, 'started');
    assert.equal((await handleMonitorAlert(store, flaky, fired, 'monitor')).handled, 'duplicate');
    const ev = {
      id: 'e-flaky',
      topic: WS,
      eventType: 'Microsoft.MachineLearningServices.RunStatusChanged',
      subject: 'experiments/x/runs/y',
      data: {
        ExperimentName: 'fraud-detector-monitor',
        RunStatus: 'Failed',
        RunTags: { azureml_modelmonitor_threshold_breached: "The signal 's1' has failed due to …" },
      },
    };
    failures = 1;
    await assert.rejects(handleMlEvent(store, flaky, ev), /unreachable/);
    assert.equal((await handleMlEvent(store, flaky, ev)).handled, 'started');
    assert.equal((await handleMlEvent(store, flaky, ev)).handled, 'duplicate');
    assert.equal(started.length, 2, 'one start each, after the failed one');
  });

  test('an endpoint write re-asserts held versions only when one is held', async () => {
    const write = (id: string) => ({
      id,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: ENDPOINT,
      data: {
        resourceUri: ENDPOINT,
        operationName: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write',
      },
    });
    assert.equal((await handleEndpointWrite(store, client, write('w1'))).handled, 'ignored');
    const row = (await store.models.get('m-fraud-detector-3'))!;
    const { version, created_at: _c, updated_at: _u, updated_by: _b, ...fields } = row;
    await store.models.upsert(
      { ...fields, stage: 'Quarantined' },
      { actor: 'warden (test)', expectedVersion: version },
    );
    const r = await handleEndpointWrite(store, client, write('w2'));
    assert.equal(r.handled, 'started');
    assert.equal((started[0]!.input.signal as { kind: string }).kind, 'hold');
    assert.equal((await handleEndpointWrite(store, client, write('w2'))).handled, 'duplicate');
  });

  test("models rows: Warden's own writes are skipped; a person's edit to Production on a quarantined tag releases", async () => {
    const tags: Record<string, string> = { 'warden.stage': 'Quarantined' };
    const registry = { getVersionTags: () => Promise.resolve(tags) };
    const skipped = await handleModelChange(store, client, registry, { key: 'm-fraud-detector-3', correlationId: 'c' });
    assert.equal(skipped.started, null);
    assert.match(skipped.note, /own write/);
    const row = (await store.models.get('m-fraud-detector-3'))!;
    const { version, created_at: _c, updated_at: _u, updated_by: _b, ...fields } = row;
    await store.models.upsert({ ...fields, stage: 'Production' }, { actor: 'ada', expectedVersion: version });
    const r = await handleModelChange(store, client, registry, { key: 'm-fraud-detector-3', correlationId: 'c' });
    assert.equal(r.started?.action, 'started');
    assert.equal(started[0]!.name, 'releaseModel');
    assert.equal(started[0]!.input.requestedBy, 'ada');
  });

  test('the sweep syncs alert rules whose current version never reached Monitor, once recorded no more', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const first = await sweepModels(store, client, now);
    assert.deepEqual(
      first.syncs.map((x) => x.instanceId.startsWith('syncAlertRules-ar-fraud-accuracy')),
      [true],
    );
    const rule = (await store.alertRules.get('ar-fraud-accuracy'))!;
    await store.audit.append({
      actor: 'warden',
      action: 'alert_rule.synced',
      target: 'alert_rules/ar-fraud-accuracy',
      after: { monitorRuleId: 'x', version: rule.version },
    });
    assert.equal((await sweepModels(store, client, now)).syncs.length, 0);
  });
});
