import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

type Alert = { data: Record<string, unknown> & { essentials: Record<string, unknown> } };

import {
  CommonAlertSchema,
  onlineEndpointOf,
  parseMlEvent,
  toAlertSignal,
} from '../../../shared/domain/models/signals';

const endpoint =
  '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/resourceGroups/rg-fraud-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud/onlineEndpoints/fraud-scoring';
const workspace = endpoint.slice(0, endpoint.indexOf('/onlineEndpoints'));

// The common alert schema of a metric alert (docs alerts-common-schema.md).
const metricAlert = {
  schemaId: 'azureMonitorCommonAlertSchema',
  data: {
    essentials: {
      alertId:
        '/subscriptions/748dc4e8-efe6-46bb-9fdb-8b4a39e61336/providers/Microsoft.AlertsManagement/alerts/0c9b7b5e',
      alertRule: 'warden-ar-fraud-accuracy',
      severity: 'Sev2',
      signalType: 'Metric',
      monitorCondition: 'Fired',
      monitoringService: 'Platform',
      alertTargetIDs: [endpoint.toLowerCase()],
      configurationItems: ['fraud-scoring'],
      originAlertId: 'x',
      firedDateTime: '2026-11-25T12:05:00.000Z',
      description: '',
      essentialsVersion: '1.0',
      alertContextVersion: '1.0',
    },
    alertContext: {
      properties: null,
      conditionType: 'SingleResourceMultipleMetricCriteria',
      condition: {
        windowSize: 'PT5M',
        allOf: [
          {
            metricName: 'accuracy',
            metricNamespace: 'azureml.custom/model-quality',
            operator: 'LessThan',
            threshold: '0.9',
            timeAggregation: 'Average',
            dimensions: [],
            metricValue: 0.82,
          },
        ],
        windowStartTime: '2026-11-25T12:00:00.000Z',
        windowEndTime: '2026-11-25T12:05:00.000Z',
      },
    },
    customProperties: { wardenRuleId: 'ar-fraud-accuracy' },
  },
};

describe('common alert schema', () => {
  test('a metric alert maps to its rule and carries the metric value', () => {
    const s = toAlertSignal(CommonAlertSchema.parse(metricAlert));
    assert.equal(s.ruleId, 'ar-fraud-accuracy');
    assert.equal(s.condition, 'Fired');
    assert.equal(s.metricValue, 0.82);
  });
  test('the rule id comes from the rule name when custom properties are absent', () => {
    const alert = structuredClone(metricAlert) as unknown as Alert;
    alert.data.customProperties = null;
    assert.equal(toAlertSignal(CommonAlertSchema.parse(alert)).ruleId, 'ar-fraud-accuracy');
  });
  test('a log alert V2 (threshold as string, failing periods) parses', () => {
    const alert = structuredClone(metricAlert) as unknown as Alert;
    alert.data.essentials.signalType = 'Log';
    alert.data.essentials.monitoringService = 'Log Alerts V2';
    alert.data.alertContext = {
      conditionType: 'LogQueryCriteria',
      condition: {
        windowSize: 'PT10M',
        allOf: [
          {
            searchQuery: 'x',
            operator: 'GreaterThan',
            threshold: '0.3',
            metricValue: 0.42,
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
          },
        ],
      },
    };
    assert.equal(toAlertSignal(CommonAlertSchema.parse(alert)).metricValue, 0.42);
  });
  test('not the common schema, or a bad condition, is refused', () => {
    assert.equal(CommonAlertSchema.safeParse({ schemaId: 'Microsoft.Insights/activityLogs', data: {} }).success, false);
    const bad = structuredClone(metricAlert) as unknown as Alert;
    bad.data.essentials.monitorCondition = 'Maybe';
    assert.equal(CommonAlertSchema.safeParse(bad).success, false);
  });
});

describe('parseMlEvent', () => {
  const run = (data: Record<string, unknown>, type = 'Microsoft.MachineLearningServices.RunStatusChanged') => ({
    id: 'ev-1',
    topic: workspace,
    subject: 'experiments/e/runs/r',
    eventType: type,
    data,
  });
  test('a failed model-monitor run with the breach tag (PascalCase keys too) names the monitor', () => {
    const s = parseMlEvent(
      run({
        ExperimentName: 'fraud-detector-monitor',
        RunId: 'r1',
        RunStatus: 'Failed',
        RunTags: {
          azureml_modelmonitor_threshold_breached:
            "The signal 'accuracy-signal' has failed due to one or more features violating metric thresholds.\n[]",
        },
      }),
    );
    assert.equal(s.kind, 'monitor-breach');
    assert.equal(s.kind === 'monitor-breach' && s.monitorName, 'fraud-detector-monitor');
    assert.equal(s.kind === 'monitor-breach' && s.signal, 'accuracy-signal');
  });
  test('a completed run without the tag is ignored; no id is invalid', () => {
    assert.equal(parseMlEvent(run({ experimentName: 'm', runStatus: 'Completed', runTags: {} })).kind, 'ignore');
    assert.equal(parseMlEvent({ eventType: 'x', data: {} }).kind, 'invalid');
  });
  test('legacy DatasetDriftDetected maps by DataDriftName', () => {
    const s = parseMlEvent(
      run(
        { DataDriftName: 'fraud-drift', DriftCoefficient: 0.7 },
        'Microsoft.MachineLearningServices.DatasetDriftDetected',
      ),
    );
    assert.equal(s.kind, 'dataset-drift');
    assert.equal(s.kind === 'dataset-drift' && s.driftCoefficient, 0.7);
  });
});

describe('onlineEndpointOf', () => {
  test('an endpoint, a deployment under it, and other resources', () => {
    assert.equal(onlineEndpointOf(endpoint), endpoint);
    assert.equal(onlineEndpointOf(`${endpoint}/deployments/blue`), endpoint);
    assert.equal(onlineEndpointOf(workspace), undefined);
  });
});
