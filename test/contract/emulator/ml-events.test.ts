/**
 * Contract: Azure ML system events through the emulator's Event Grid — an event subscription whose topic is the
 * workspace id (created as the launcher creates them from infra/event-subscriptions.json, with the validation
 * handshake) receives `RunStatusChanged` for model-monitor runs (admin `POST /admin/ml/monitor-runs`, §4.3 shape,
 * `runTags.azureml_modelmonitor_threshold_breached` when breached) and `ModelRegistered` on a new model version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { AzureMachineLearningWorkspaces } from '@azure/arm-machinelearning';

import { notifications, startWebhook, waitFor, type Webhook } from './core-helpers';
import { type MlBed, startMlBed } from './ml-monitor-helpers';

interface MlEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
  data: Record<string, unknown>;
}

describe('emulator: Azure ML events on the workspace topic', () => {
  let bed: MlBed;
  let hook: Webhook;
  const events = (): MlEvent[] => notifications(hook).flatMap((r) => JSON.parse(r.body) as MlEvent[]);

  before(async () => {
    bed = await startMlBed();
    hook = await startWebhook();
    const sub = await bed.emu.admin('PUT', '/admin/eventgrid/subscriptions/warden-ml-events', {
      topic: bed.workspaceId,
      endpointUrl: hook.url,
      includedEventTypes: [
        'Microsoft.MachineLearningServices.RunStatusChanged',
        'Microsoft.MachineLearningServices.ModelRegistered',
        'Microsoft.MachineLearningServices.DatasetDriftDetected',
      ],
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
  });
  after(async () => {
    await bed.stop();
    await hook.close();
  });

  test('a breached model-monitor run: RunStatusChanged Failed with the threshold-breached tag', async () => {
    const r = await bed.emu.admin('POST', '/admin/ml/monitor-runs', {
      workspaceId: bed.workspaceId,
      monitorName: 'fraud-detector-drift',
      breached: true,
      signal: 'prediction-drift',
      features: [{ feature_name: 'amount', metric_value: 0.41, threshold: 0.3 }],
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const delivery = await waitFor(
      () => notifications(hook).find((n) => n.body.includes('fraud-detector-drift')),
      'RunStatusChanged delivery',
    );
    assert.equal(delivery.headers['aeg-subscription-name'], 'WARDEN-ML-EVENTS');
    assert.equal(delivery.headers['aeg-event-type'], 'Notification');
    const [ev] = JSON.parse(delivery.body) as MlEvent[];
    assert.ok(ev);
    assert.equal(ev.eventType, 'Microsoft.MachineLearningServices.RunStatusChanged');
    assert.equal(ev.topic.toLowerCase(), bed.workspaceId.toLowerCase());
    assert.match(ev.subject, /^experiments\/[0-9a-f-]{36}\/runs\/[A-Za-z0-9_]+$/);
    assert.equal(ev.metadataVersion, '1');
    assert.equal(ev.data.experimentName, 'fraud-detector-drift');
    assert.equal(ev.data.runStatus, 'Failed');
    assert.equal(ev.data.runType, null);
    assert.deepEqual(ev.data.runProperties, {});
    assert.equal(ev.subject, `experiments/${String(ev.data.experimentId)}/runs/${String(ev.data.runId)}`);
    const tag = (ev.data.runTags as Record<string, string>).azureml_modelmonitor_threshold_breached!;
    assert.match(
      tag,
      /^The signal 'prediction-drift' has failed due to one or more features violating metric thresholds\.\n/,
    );
    assert.ok(tag.includes('"feature_name":"amount"'));
  });

  test('a healthy run: RunStatusChanged Completed without the tag', async () => {
    const r = await bed.emu.admin('POST', '/admin/ml/monitor-runs', {
      workspaceId: bed.workspaceId,
      monitorName: 'fraud-detector-ok',
      breached: false,
    });
    assert.equal(r.status, 202);
    const ev = await waitFor(
      () => events().find((e) => e.data.experimentName === 'fraud-detector-ok'),
      'Completed run',
    );
    assert.equal(ev.data.runStatus, 'Completed');
    assert.deepEqual(ev.data.runTags, {});
  });

  test('a new model version reaches the subscription as ModelRegistered; other ML events are filtered out', async () => {
    const ml = new AzureMachineLearningWorkspaces(bed.credential(bed.world.warden!.principalId), bed.sub, {
      endpoint: bed.endpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    await ml.modelVersions.createOrUpdate(bed.rgName, 'mlw-fraud', 'fraud-detector', '5', {
      properties: { tags: { 'warden.stage': 'Staging' } },
    });
    const ev = await waitFor(
      () => events().find((e) => e.eventType === 'Microsoft.MachineLearningServices.ModelRegistered'),
      'ModelRegistered',
    );
    assert.equal(ev.subject, 'models/fraud-detector:5');
    assert.equal(ev.data.modelVersion, '5');
    await bed.emu.admin('POST', '/admin/eventgrid/flush');
    assert.ok(
      !events().some((e) => e.eventType.startsWith('Microsoft.Resources.')),
      'ARM events are not on this topic',
    );
  });

  test('a legacy dataset monitor: DatasetDriftDetected with the drift coefficient', async () => {
    const r = await bed.emu.admin('POST', '/admin/ml/dataset-drift', {
      workspaceId: bed.workspaceId,
      dataDriftName: 'fraud-features-drift',
      driftCoefficient: 0.83,
      startTime: '2026-11-01T00:00:00Z',
      endTime: '2026-11-08T00:00:00Z',
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const ev = await waitFor(
      () => events().find((e) => e.eventType === 'Microsoft.MachineLearningServices.DatasetDriftDetected'),
      'DatasetDriftDetected',
    );
    assert.equal(ev.data.dataDriftName, 'fraud-features-drift');
    assert.equal(ev.data.driftCoefficient, 0.83);
    assert.equal(ev.data.startTime, '2026-11-01T00:00:00Z');
    assert.equal(ev.subject, `datadrift/${String(ev.data.dataDriftId)}/run/${String(ev.data.runId)}`);
    for (const bad of [{ driftCoefficient: 2 }, { dataDriftName: '' }, { endTime: 'yesterday' }]) {
      const res = await bed.emu.admin('POST', '/admin/ml/dataset-drift', {
        workspaceId: bed.workspaceId,
        dataDriftName: 'x',
        driftCoefficient: 0.5,
        ...bad,
      });
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
  });

  test('bad admin input is refused', async () => {
    const post = (body: unknown) => bed.emu.admin('POST', '/admin/ml/monitor-runs', body);
    assert.equal((await post({ monitorName: 'm', breached: true })).status, 400);
    assert.equal((await post({ workspaceId: bed.workspaceId, monitorName: 'm', breached: 'yes' })).status, 400);
    assert.equal((await post({ workspaceId: bed.workspaceId, breached: true })).status, 400);
    assert.equal((await post({ workspaceId: bed.endpointId, monitorName: 'm', breached: true })).status, 400);
    const missing = `${bed.rg}/providers/Microsoft.MachineLearningServices/workspaces/nope`;
    assert.equal((await post({ workspaceId: missing, monitorName: 'm', breached: true })).status, 404);
  });
});
