/**
 * Contract: the `AlertRulesPort` Azure adapter (`@azure/arm-monitor` 8) against the emulator's ARM: the metric alert
 * of a metrics-sourced row (static threshold, custom namespace, the action group with `wardenRuleId`), idempotent
 * re-sync, update, delete; a log-sourced row as a log search alert V2 with its failing periods; a source switch
 * removes the rule of the other kind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { MonitorClient } from '@azure/arm-monitor';

import { createMonitorModule } from '../../emulator/monitor/index';
import { AzureMonitorAlertRules } from '../../shared/cloud/azure/monitor-alert-rules';
import { type AlertRule, AlertRuleSchema } from '../../shared/domain/metadata/alert-rule.schema';
import { type MlBed, startMlBed } from './emulator/ml-monitor-helpers';

describe('AlertRulesPort (Azure adapter) against the emulator', () => {
  let bed: MlBed;
  let port: AzureMonitorAlertRules;
  let monitor: MonitorClient;
  let actionGroupId: string;
  let rule: AlertRule;

  before(async () => {
    bed = await startMlBed([createMonitorModule({ retryScale: 0.001, pollIntervalMs: 20 })]);
    const credential = bed.credential(bed.world.warden!.principalId);
    port = new AzureMonitorAlertRules({ credential, endpoint: bed.endpoint, tlsCa: bed.ca }, () =>
      Promise.resolve(bed.world.location),
    );
    monitor = new MonitorClient(credential, bed.sub, {
      endpoint: bed.endpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const ag = await monitor.actionGroups.createOrUpdate(bed.rgName, 'warden-alerts', {
      location: 'Global',
      groupShortName: 'warden',
      enabled: true,
      webhookReceivers: [
        {
          name: 'warden',
          serviceUri: 'http://localhost:7071/api/alerts/monitor',
          useCommonAlertSchema: true,
          useAadAuth: true,
          identifierUri: 'api://warden',
          tenantId: bed.world.tenantId,
        },
      ],
    });
    actionGroupId = ag.id!;
    const seeded = (bed.world as unknown as { metadata: { alert_rules: unknown[] } }).metadata.alert_rules[0];
    rule = AlertRuleSchema.parse(seeded);
  });
  after(async () => {
    await bed?.stop();
  });

  test('creates the metric alert, then finds it unchanged, then updates a changed threshold', async () => {
    const created = await port.upsert(rule, actionGroupId);
    assert.equal(created.action, 'created');
    assert.match(created.monitorRuleId, /\/providers\/Microsoft\.Insights\/metricAlerts\/warden-ar-fraud-accuracy$/);
    const got = await monitor.metricAlerts.get(bed.rgName, 'warden-ar-fraud-accuracy');
    assert.deepEqual(got.scopes, [rule.target]);
    assert.equal(got.windowSize, 'PT5M');
    assert.equal(got.evaluationFrequency, 'PT1M');
    const c = got.criteria as {
      allOf?: { metricName: string; metricNamespace?: string; threshold: number; operator: string }[];
    };
    assert.equal(c.allOf?.[0]?.metricName, 'accuracy');
    assert.equal(c.allOf?.[0]?.metricNamespace, 'azureml.custom/model-quality');
    assert.equal(c.allOf?.[0]?.threshold, 0.9);
    assert.equal(c.allOf?.[0]?.operator, 'LessThan');
    assert.equal(got.actions?.[0]?.actionGroupId?.toLowerCase(), actionGroupId.toLowerCase());
    assert.equal(got.actions?.[0]?.webHookProperties?.wardenRuleId, 'ar-fraud-accuracy');
    assert.equal((await port.upsert(rule, actionGroupId)).action, 'unchanged');
    const updated = await port.upsert({ ...rule, threshold: 0.85 }, actionGroupId);
    assert.equal(updated.action, 'updated');
    const c2 = (await monitor.metricAlerts.get(bed.rgName, 'warden-ar-fraud-accuracy')).criteria as {
      allOf?: { threshold: number }[];
    };
    assert.equal(c2.allOf?.[0]?.threshold, 0.85);
  });

  test('a log source becomes a log search alert V2 with failing periods; the metric alert of the same row goes', async () => {
    const logRule: AlertRule = {
      ...rule,
      source: { kind: 'logs', query: 'ModelQuality | summarize value = avg(accuracy) by bin(TimeGenerated, 5m)' },
      failing_periods: { min_failing: 2, of_last: 3 },
    };
    const r = await port.upsert(logRule, actionGroupId);
    assert.equal(r.kind, 'scheduledQueryRule');
    assert.equal(r.action, 'created');
    const got = await monitor.scheduledQueryRules.get(bed.rgName, 'warden-ar-fraud-accuracy');
    assert.deepEqual(got.criteria?.allOf?.[0]?.failingPeriods, {
      numberOfEvaluationPeriods: 3,
      minFailingPeriodsToAlert: 2,
    });
    assert.deepEqual(got.actions?.customProperties, { wardenRuleId: 'ar-fraud-accuracy' });
    await assert.rejects(monitor.metricAlerts.get(bed.rgName, 'warden-ar-fraud-accuracy'), (e: unknown) => {
      assert.equal((e as { statusCode?: number }).statusCode, 404);
      return true;
    });
    assert.equal((await port.upsert(logRule, actionGroupId)).action, 'unchanged');
  });

  test('delete removes the rule; deleting again is absent', async () => {
    const ids = port.candidateIds(rule.id, rule.target);
    const results = [];
    for (const id of ids) results.push(await port.delete(id));
    assert.deepEqual(results.sort(), ['absent', 'deleted']);
    for (const id of ids) assert.equal(await port.delete(id), 'absent');
  });
});
