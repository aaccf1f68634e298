/**
 * Contract: alerting — an enabled static-threshold metric alert rule evaluated on the emulator clock over ingested
 * points (Fired once on breach, Resolved once on recovery with autoMitigate), the admin "fire" call for metric and
 * log search V2 rules, and delivery of the common alert schema (§5.4) to the action group's webhook receivers with a
 * secure-webhook token the receiver verifies against the emulator's JWKS (jose), plus the retry rules.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { MonitorClient } from '@azure/arm-monitor';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

import { createMonitorModule } from '../../../emulator/monitor/index';
import { request } from './core-helpers';
import { type MlBed, startMlBed } from './ml-monitor-helpers';

const ACTION_GROUPS_APP = '461e8683-5575-4561-ac7f-899cc907d62a';
const NS = 'azureml.custom/model-quality';

interface Received {
  url: string;
  auth: string | undefined;
  body: { schemaId: string; data: Record<string, Record<string, unknown>> };
}

interface Delivery {
  id: string;
  ruleName: string;
  monitorCondition: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  receiver: string;
}

describe('emulator: metric alert evaluation and action group delivery', () => {
  let bed: MlBed;
  let monitor: MonitorClient;
  let server: http.Server;
  let base = '';
  const received: Received[] = [];
  /** Answers per path; default 200. */
  const answers = new Map<string, number[]>();
  let agId = '';
  let metricRuleId = '';
  let logRuleId = '';

  const advance = (seconds: number) => bed.emu.admin('POST', '/admin/clock/advance', { seconds });
  const push = async (value: number, count = 1, deployment = 'blue') => {
    const r = await bed.emu.admin('POST', '/admin/monitor/metrics', {
      resourceId: bed.endpointId,
      namespace: NS,
      metric: 'accuracy',
      dimensions: { deployment },
      min: value,
      max: value,
      sum: value * count,
      count,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };
  const deliveries = async (ruleName?: string): Promise<Delivery[]> => {
    const r = await bed.emu.admin('GET', '/admin/monitor/deliveries');
    return (r.body as { value: Delivery[] }).value.filter((d) => !ruleName || d.ruleName === ruleName);
  };
  const settle = async (pred: (d: Delivery[]) => boolean, what: string): Promise<Delivery[]> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const d = await deliveries();
      if (pred(d)) return d;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  before(async () => {
    bed = await startMlBed([createMonitorModule({ retryScale: 0.001, pollIntervalMs: 20 })]);
    monitor = new MonitorClient(bed.credential(bed.world.warden!.principalId), bed.sub, {
      endpoint: bed.endpoint,
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          url: req.url ?? '',
          auth: req.headers.authorization,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'],
        });
        const queue = answers.get(req.url ?? '') ?? [];
        res.writeHead(queue.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ag = await monitor.actionGroups.createOrUpdate(bed.rgName, 'warden-alerts', {
      location: 'Global',
      groupShortName: 'warden',
      enabled: true,
      webhookReceivers: [
        {
          name: 'warden',
          serviceUri: `${base}/api/alerts/monitor`,
          useCommonAlertSchema: true,
          useAadAuth: true,
          objectId: bed.world.warden!.api!.appId,
          identifierUri: 'api://warden',
          tenantId: bed.world.tenantId,
        },
        { name: 'plain', serviceUri: `${base}/plain`, useCommonAlertSchema: true },
      ],
    });
    agId = ag.id!;
  });
  after(async () => {
    await bed.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('a breach fires once, a recovery resolves once, with the common alert schema and a verifiable token', async () => {
    const rule = await monitor.metricAlerts.createOrUpdate(bed.rgName, 'fraud-accuracy', {
      location: 'global',
      description: 'accuracy of the fraud model below 0.9',
      severity: 2,
      enabled: true,
      scopes: [bed.endpointId],
      evaluationFrequency: 'PT1M',
      windowSize: 'PT5M',
      criteria: {
        odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion',
            name: 'accuracy-low',
            metricName: 'accuracy',
            metricNamespace: NS,
            operator: 'LessThan',
            threshold: 0.9,
            timeAggregation: 'Average',
            dimensions: [{ name: 'deployment', operator: 'Include', values: ['blue'] }],
            skipMetricValidation: true,
          },
        ],
      },
      autoMitigate: true,
      actions: [{ actionGroupId: agId, webHookProperties: { wardenRule: 'accuracy-v3' } }],
    });
    metricRuleId = rule.id!;
    await push(0.95);
    await advance(61);
    await bed.emu.admin('POST', '/admin/monitor/alerts/evaluate');
    assert.equal((await deliveries('fraud-accuracy')).length, 0, 'healthy: nothing fired');

    await push(0.1, 3);
    await advance(61);
    const fired = await settle(
      (d) => d.filter((x) => x.ruleName === 'fraud-accuracy' && x.status === 'Delivered').length === 2,
      'the Fired deliveries',
    );
    assert.ok(fired.every((d) => d.monitorCondition === 'Fired' && d.attempts === 1));
    const secure = received.find((r) => r.url === '/api/alerts/monitor')!;
    const plain = received.find((r) => r.url === '/plain')!;
    assert.equal(plain.auth, undefined);
    assert.deepEqual(plain.body, secure.body);
    const { schemaId, data } = secure.body;
    assert.equal(schemaId, 'azureMonitorCommonAlertSchema');
    const e = data.essentials!;
    assert.match(
      String(e.alertId),
      new RegExp(`^/subscriptions/${bed.sub}/providers/Microsoft.AlertsManagement/alerts/[0-9a-f-]{36}$`),
    );
    assert.equal(e.alertRule, 'fraud-accuracy');
    assert.equal(e.severity, 'Sev2');
    assert.equal(e.signalType, 'Metric');
    assert.equal(e.monitorCondition, 'Fired');
    assert.equal(e.monitoringService, 'Platform');
    assert.deepEqual(e.alertTargetIDs, [bed.endpointId.toLowerCase()]);
    assert.deepEqual(e.configurationItems, ['fraud-scoring']);
    assert.equal(e.essentialsVersion, '1.0');
    assert.equal(e.alertContextVersion, '1.0');
    assert.equal(e.resolvedDateTime, undefined);
    const ctx = data.alertContext!;
    assert.equal(ctx.properties, null);
    assert.equal(ctx.conditionType, 'SingleResourceMultipleMetricCriteria');
    const cond = ctx.condition as {
      windowSize: string;
      allOf: Array<Record<string, unknown>>;
      windowStartTime: string;
      windowEndTime: string;
    };
    assert.equal(cond.windowSize, 'PT5M');
    assert.equal(Date.parse(cond.windowEndTime) - Date.parse(cond.windowStartTime), 300_000);
    const c = cond.allOf[0]!;
    assert.equal(c.metricName, 'accuracy');
    assert.equal(c.metricNamespace, NS);
    assert.equal(c.operator, 'LessThan');
    assert.equal(c.threshold, '0.9');
    assert.equal(c.timeAggregation, 'Average');
    assert.deepEqual(c.dimensions, [{ name: 'deployment', value: 'blue' }]);
    // seed 0.95 (1) + 0.95 (1) + 0.1 (3) over the five-minute window
    assert.ok(Math.abs(Number(c.metricValue) - (0.95 + 0.95 + 0.3) / 5) < 1e-9, String(c.metricValue));
    assert.deepEqual(data.customProperties, { wardenRule: 'accuracy-v3' });

    // the secure-webhook token, verified as Warden's validator would
    assert.match(secure.auth ?? '', /^Bearer /);
    const jwks = await request(bed.emu.baseUrl, bed.ca, 'GET', `/${bed.world.tenantId}/discovery/v2.0/keys`);
    const emulatorNow = ((await bed.emu.admin('GET', '/admin/clock')).body as { now: string }).now;
    const { payload } = await jwtVerify(secure.auth!.slice(7), createLocalJWKSet(jwks.json as JSONWebKeySet), {
      issuer: `https://sts.windows.net/${bed.world.tenantId}/`,
      audience: 'api://warden',
      currentDate: new Date(emulatorNow),
    });
    assert.equal(payload.appid, ACTION_GROUPS_APP);
    assert.equal(payload.tid, bed.world.tenantId);
    assert.deepEqual(payload.roles, ['ActionGroupsSecureWebhook']);
    assert.equal(payload.idtyp, 'app');

    // still breaching: no second notification
    await advance(61);
    await bed.emu.admin('POST', '/admin/monitor/alerts/evaluate');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await deliveries('fraud-accuracy')).length, 2);

    // recovery: Resolved once, same alert id
    await push(0.99, 100);
    await advance(61);
    const resolved = await settle(
      (d) =>
        d.filter(
          (x) => x.ruleName === 'fraud-accuracy' && x.monitorCondition === 'Resolved' && x.status === 'Delivered',
        ).length === 2,
      'the Resolved deliveries',
    );
    assert.equal(resolved.filter((d) => d.ruleName === 'fraud-accuracy').length, 4);
    const res = received.filter((r) => r.url === '/api/alerts/monitor').at(-1)!.body.data.essentials!;
    assert.equal(res.monitorCondition, 'Resolved');
    assert.equal(res.alertId, e.alertId);
    assert.ok(res.resolvedDateTime);
    await advance(61);
    await bed.emu.admin('POST', '/admin/monitor/alerts/evaluate');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await deliveries('fraud-accuracy')).length, 4);
  });

  test('admin fire for a log search V2 rule: Log Alerts V2 payload; bad requests refused', async () => {
    const rule = await monitor.scheduledQueryRules.createOrUpdate(bed.rgName, 'fraud-drift', {
      location: 'westeurope',
      kind: 'LogAlert',
      description: 'drift',
      severity: 1,
      enabled: true,
      evaluationFrequency: 'PT5M',
      windowSize: 'PT10M',
      scopes: [bed.workspaceId],
      criteria: {
        allOf: [
          {
            query: 'ModelDrift | summarize drift = avg(Drift) by model',
            timeAggregation: 'Average',
            metricMeasureColumn: 'drift',
            dimensions: [{ name: 'model', operator: 'Include', values: ['*'] }],
            operator: 'GreaterThan',
            threshold: 0.3,
            failingPeriods: { numberOfEvaluationPeriods: 2, minFailingPeriodsToAlert: 2 },
          },
        ],
      },
      actions: { actionGroups: [agId], customProperties: { wardenRule: 'drift' } },
    });
    logRuleId = rule.id!;
    const before = received.length;
    const fire = await bed.emu.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: logRuleId,
      monitorCondition: 'Fired',
      metricValue: 0.42,
      dimensions: [{ name: 'model', value: 'fraud-detector' }],
    });
    assert.equal(fire.status, 202, JSON.stringify(fire.body));
    assert.equal((fire.body as { deliveries: string[] }).deliveries.length, 2);
    await settle(
      (d) => d.filter((x) => x.ruleName === 'fraud-drift' && x.status === 'Delivered').length === 2,
      'log alert',
    );
    const body = received.slice(before).find((r) => r.url === '/api/alerts/monitor')!.body;
    const e = body.data.essentials!;
    assert.equal(e.signalType, 'Log');
    assert.equal(e.monitoringService, 'Log Alerts V2');
    assert.equal(e.severity, 'Sev1');
    const ctx = body.data.alertContext!;
    assert.equal(ctx.conditionType, 'LogQueryCriteria');
    assert.deepEqual(ctx.properties, { wardenRule: 'drift' });
    const c = (ctx.condition as { allOf: Array<Record<string, unknown>> }).allOf[0]!;
    assert.equal(c.searchQuery, 'ModelDrift | summarize drift = avg(Drift) by model');
    assert.equal(c.threshold, '0.3');
    assert.equal(c.metricValue, 0.42);
    assert.equal(c.metricMeasureColumn, 'drift');
    assert.deepEqual(c.dimensions, [{ name: 'model', value: 'fraud-detector' }]);
    assert.deepEqual(c.failingPeriods, { numberOfEvaluationPeriods: 2, minFailingPeriodsToAlert: 2 });
    assert.equal(c.targetResourceTypes, "['Microsoft.MachineLearningServices/workspaces']");
    assert.ok(!('searchResults' in c), 'V2 payloads embed no search results');

    assert.equal(
      (
        await bed.emu.admin('POST', '/admin/monitor/alerts/fire', {
          ruleId: `${bed.rg}/providers/Microsoft.Insights/metricAlerts/nope`,
          monitorCondition: 'Fired',
        })
      ).status,
      404,
    );
    assert.equal(
      (await bed.emu.admin('POST', '/admin/monitor/alerts/fire', { ruleId: logRuleId, monitorCondition: 'Maybe' }))
        .status,
      400,
    );
    assert.equal(
      (
        await bed.emu.admin('POST', '/admin/monitor/alerts/fire', {
          ruleId: logRuleId,
          monitorCondition: 'Fired',
          metricValue: 'high',
        })
      ).status,
      400,
    );
  });

  test('retries: 503 then 200 is delivered on the second attempt; 400 is final; 504 until attempts run out', async () => {
    answers.set('/api/alerts/monitor', [503]);
    answers.set('/plain', [400]);
    await bed.emu.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: metricRuleId,
      monitorCondition: 'Fired',
      metricValue: 0.5,
    });
    const d = await settle((all) => {
      const mine = all.filter((x) => x.ruleName === 'fraud-accuracy').slice(-2);
      return mine.length === 2 && mine.every((x) => x.status !== 'Pending');
    }, 'retried deliveries');
    const [secure, plain] = [
      d.filter((x) => x.receiver === 'warden').at(-1)!,
      d.filter((x) => x.receiver === 'plain').at(-1)!,
    ];
    assert.equal(secure.status, 'Delivered');
    assert.equal(secure.attempts, 2);
    assert.equal(plain.status, 'Failed');
    assert.equal(plain.attempts, 1);
    assert.equal(plain.lastStatusCode, 400);

    answers.set('/api/alerts/monitor', [504, 504, 504, 504, 504, 504, 504]);
    answers.set('/plain', []);
    await bed.emu.admin('POST', '/admin/monitor/alerts/fire', {
      ruleId: metricRuleId,
      monitorCondition: 'Resolved',
      metricValue: 0.95,
    });
    const exhausted = await settle((all) => {
      const last = all.filter((x) => x.receiver === 'warden').at(-1)!;
      return last.monitorCondition === 'Resolved' && last.status === 'Failed';
    }, 'exhausted retries');
    const last = exhausted.filter((x) => x.receiver === 'warden').at(-1)!;
    assert.equal(last.attempts, 6, 'one attempt and five retries');
    assert.equal(last.lastStatusCode, 504);
  });
  test('admin evaluate runs a rule now, whatever its schedule', async () => {
    const rule = await monitor.metricAlerts.createOrUpdate(bed.rgName, 'green-accuracy', {
      location: 'global',
      severity: 3,
      enabled: true,
      scopes: [bed.endpointId],
      evaluationFrequency: 'PT15M',
      windowSize: 'PT15M',
      criteria: {
        odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion',
            name: 'green-low',
            metricName: 'accuracy',
            metricNamespace: NS,
            operator: 'LessThan',
            threshold: 0.9,
            timeAggregation: 'Minimum',
            dimensions: [{ name: 'deployment', operator: 'Include', values: ['green'] }],
          },
        ],
      },
      actions: [{ actionGroupId: agId }],
    });
    answers.clear();
    await push(0.5, 1, 'green');
    const r = await bed.emu.admin('POST', '/admin/monitor/alerts/evaluate', { ruleId: rule.id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { evaluated: 1 });
    const d = await settle(
      (all) => all.filter((x) => x.ruleName === 'green-accuracy' && x.status === 'Delivered').length === 2,
      'green Fired',
    );
    assert.ok(d.filter((x) => x.ruleName === 'green-accuracy').every((x) => x.monitorCondition === 'Fired'));
    const missing = await bed.emu.admin('POST', '/admin/monitor/alerts/evaluate', {
      ruleId: `${bed.rg}/providers/Microsoft.Insights/metricAlerts/nope`,
    });
    assert.equal(missing.status, 404);
  });
});
