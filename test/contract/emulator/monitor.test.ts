/**
 * Contract: Azure Monitor alert rules and action groups through the real `MonitorClient` (@azure/arm-monitor 8.0.0)
 * against the emulator — metric alerts at 2026-01-01 (PUT answers 200 only), log search alert rules V2 at
 * 2025-01-01-preview (201 then 200) and 2023-12-01 through generic resources, action groups with a secure webhook
 * receiver, validation of bad rules, RBAC and the ARM write events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MonitorClient } from '@azure/arm-monitor';
import { ResourceManagementClient } from '@azure/arm-resources';

import { createMonitorModule } from '../../../emulator/monitor/index';
import { raw } from './arm-helpers';
import { ADA, BREAK_GLASS, type MlBed, rejectsWith, startMlBed } from './ml-monitor-helpers';

const API_APP_OBJECT = 'e1b0cd8b-2bb2-47e1-9cfa-9bc7e16af6de';

describe('emulator: Azure Monitor alert rules and action groups (arm-monitor 8.0.0)', () => {
  let bed: MlBed;
  let warden: MonitorClient;
  const client = (principalId: string) =>
    new MonitorClient(bed.credential(principalId), bed.sub, {
      endpoint: bed.endpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
  let agId = '';

  before(async () => {
    bed = await startMlBed([createMonitorModule({ retryScale: 0.001, pollIntervalMs: 20 })]);
    warden = client(bed.world.warden!.principalId);
  });
  after(async () => {
    await bed.stop();
  });

  test('action group with a secure webhook receiver: PUT, GET (shape of §2.7), http only to loopback', async () => {
    const ag = await warden.actionGroups.createOrUpdate(bed.rgName, 'warden-alerts', {
      location: 'Global',
      groupShortName: 'warden',
      enabled: true,
      webhookReceivers: [
        {
          name: 'warden',
          serviceUri: 'http://127.0.0.1:7071/api/alerts/monitor',
          useCommonAlertSchema: true,
          useAadAuth: true,
          objectId: API_APP_OBJECT,
          identifierUri: 'api://warden',
          tenantId: bed.world.tenantId,
        },
      ],
    });
    agId = ag.id!;
    assert.equal(ag.name, 'warden-alerts');
    const got = await warden.actionGroups.get(bed.rgName, 'warden-alerts');
    assert.equal(got.type, 'Microsoft.Insights/ActionGroups');
    assert.equal(got.groupShortName, 'warden');
    assert.equal(got.enabled, true);
    assert.deepEqual(got.emailReceivers, []);
    assert.equal(got.webhookReceivers?.[0]?.useAadAuth, true);
    assert.equal(got.webhookReceivers?.[0]?.identifierUri, 'api://warden');
    assert.equal(got.webhookReceivers?.[0]?.serviceUri, 'http://127.0.0.1:7071/api/alerts/monitor');
    await rejectsWith(
      warden.actionGroups.createOrUpdate(bed.rgName, 'bad-ag', {
        location: 'Global',
        groupShortName: 'bad',
        enabled: true,
        webhookReceivers: [{ name: 'x', serviceUri: 'http://example.com/hook' }],
      }),
      400,
      'InvalidRequestContent',
    );
    await rejectsWith(
      warden.actionGroups.createOrUpdate(bed.rgName, 'bad-ag', {
        location: 'Global',
        groupShortName: 'bad',
        enabled: true,
        webhookReceivers: [{ name: 'x', serviceUri: 'https://h/x', useAadAuth: true }],
      }),
      400,
      'InvalidRequestContent',
    );
  });

  test('metric alert: createOrUpdate answers 200 (also on create), get/update/delete, events', async () => {
    const scope = bed.endpointId;
    const rule = await warden.metricAlerts.createOrUpdate(bed.rgName, 'fraud-accuracy', {
      location: 'global',
      description: 'accuracy of the fraud model',
      severity: 2,
      enabled: true,
      scopes: [scope],
      evaluationFrequency: 'PT1M',
      windowSize: 'PT5M',
      criteria: {
        odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion',
            name: 'accuracy-low',
            metricName: 'accuracy',
            metricNamespace: 'azureml.custom/model-quality',
            operator: 'LessThan',
            threshold: 0.9,
            timeAggregation: 'Average',
            dimensions: [{ name: 'deployment', operator: 'Include', values: ['*'] }],
            skipMetricValidation: true,
          },
        ],
      },
      autoMitigate: true,
      actions: [{ actionGroupId: agId, webHookProperties: { wardenRule: 'r1' } }],
    });
    assert.equal(rule.name, 'fraud-accuracy');
    assert.equal(rule.type, 'Microsoft.Insights/metricAlerts');
    assert.deepEqual(rule.scopes, [scope]);
    assert.equal(rule.criteria.odataType, 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria');
    assert.ok(rule.lastUpdatedTime);
    // replacing it answers 200 too
    const again = await warden.metricAlerts.createOrUpdate(bed.rgName, 'fraud-accuracy', { ...rule, severity: 1 });
    assert.equal(again.severity, 1);
    const patched = await warden.metricAlerts.update(bed.rgName, 'fraud-accuracy', { enabled: false });
    assert.equal(patched.enabled, false);
    assert.equal((await warden.metricAlerts.get(bed.rgName, 'fraud-accuracy')).enabled, false);
    const write = await bed.events.waitFor(
      (e) => e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && e.subject.endsWith('/fraud-accuracy'),
      'metric alert write event',
    );
    assert.equal(write.data.operationName, 'Microsoft.Insights/metricAlerts/write');
    // bad rules
    const bad = (patch: Record<string, unknown>) =>
      rejectsWith(warden.metricAlerts.createOrUpdate(bed.rgName, 'bad', { ...rule, ...patch }), 400);
    await bad({ scopes: [] });
    await bad({ evaluationFrequency: 'five minutes' });
    await bad({ severity: 7 });
    await bad({
      criteria: {
        odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion',
            name: 'c',
            metricName: 'm',
            operator: 'Bigger',
            threshold: 1,
            timeAggregation: 'Average',
          },
        ],
      },
    });
    // someone without Monitoring Contributor
    await rejectsWith(
      client(ADA).metricAlerts.createOrUpdate(bed.rgName, 'ada-rule', rule),
      403,
      'AuthorizationFailed',
    );
    await warden.metricAlerts.delete(bed.rgName, 'fraud-accuracy');
    await rejectsWith(warden.metricAlerts.get(bed.rgName, 'fraud-accuracy'), 404);
  });

  test('log search alert V2: 201 then 200, PATCH, dimensions keep values; a legacy body is refused', async () => {
    const body = {
      location: 'westeurope',
      kind: 'LogAlert' as const,
      description: 'drift of the fraud model',
      severity: 2 as const,
      enabled: true,
      evaluationFrequency: 'PT5M',
      windowSize: 'PT10M',
      scopes: [bed.workspaceId],
      criteria: {
        allOf: [
          {
            query: 'ModelDrift | where Model == "fraud-detector"',
            timeAggregation: 'Average' as const,
            metricMeasureColumn: 'drift',
            dimensions: [{ name: 'model', operator: 'Include' as const, values: ['*'] }],
            operator: 'GreaterThan' as const,
            threshold: 0.3,
            failingPeriods: { numberOfEvaluationPeriods: 3, minFailingPeriodsToAlert: 2 },
          },
        ],
      },
      autoMitigate: true,
      actions: { actionGroups: [agId], customProperties: { wardenRule: 'r2' } },
    };
    const created = await warden.scheduledQueryRules.createOrUpdate(bed.rgName, 'fraud-drift', body);
    assert.equal(created.type, 'microsoft.insights/scheduledqueryrules');
    assert.equal(created.criteria?.allOf?.[0]?.failingPeriods?.minFailingPeriodsToAlert, 2);
    assert.deepEqual(created.criteria?.allOf?.[0]?.dimensions?.[0]?.values, ['*']);
    assert.ok(created.etag);
    const replaced = await warden.scheduledQueryRules.createOrUpdate(bed.rgName, 'fraud-drift', {
      ...body,
      severity: 1,
    });
    assert.equal(replaced.severity, 1);
    const patched = await warden.scheduledQueryRules.update(bed.rgName, 'fraud-drift', { enabled: false });
    assert.equal(patched.enabled, false);
    assert.equal(patched.windowSize, 'PT10M');
    // the wire status: 201 on create, 200 on replace
    const token = await bed.token(bed.world.warden!.principalId, 'https://management.azure.com/.default');
    const path = `${bed.rg}/providers/Microsoft.Insights/scheduledQueryRules/raw-rule?api-version=2025-01-01-preview`;
    const wire = { location: 'westeurope', properties: { ...body, location: undefined } };
    const first = await raw({ endpoint: bed.endpoint, ca: bed.ca } as never, 'PUT', path, {
      token,
      body: JSON.stringify(wire),
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await raw({ endpoint: bed.endpoint, ca: bed.ca } as never, 'PUT', path, {
      token,
      body: JSON.stringify(wire),
    });
    assert.equal(second.status, 200);
    const legacy = await raw(
      { endpoint: bed.endpoint, ca: bed.ca } as never,
      'PUT',
      path.replace('raw-rule', 'legacy'),
      {
        token,
        body: JSON.stringify({ location: 'westeurope', properties: { enabled: true } }),
      },
    );
    assert.equal(legacy.status, 400);
    // 2023-12-01 through generic resources
    const generic = new ResourceManagementClient(bed.credential(BREAK_GLASS), bed.sub, {
      endpoint: bed.endpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const viaGeneric = await generic.resources.getById(
      `${bed.rg}/providers/Microsoft.Insights/scheduledQueryRules/fraud-drift`,
      '2023-12-01',
    );
    assert.equal((viaGeneric.properties as { severity: number }).severity, 1);
    await warden.scheduledQueryRules.delete(bed.rgName, 'fraud-drift');
    await rejectsWith(warden.scheduledQueryRules.get(bed.rgName, 'fraud-drift'), 404);
  });
});
