import assert from 'node:assert/strict';
import { test } from 'node:test';

import { STORAGE } from './sample-rows';
import { accepts, rejects } from './schema-assert';

test('alert rule: a metric rule with failing periods 2 of 2 is accepted (Warden confirms N of M itself)', () => {
  const row = accepts('alert_rules');
  assert.deepEqual(row.failing_periods, { min_failing: 2, of_last: 2 });
  assert.equal(row.source.kind, 'metrics');
});

test('alert rule: a log search rule and every window Azure Monitor accepts are accepted', () => {
  accepts('alert_rules', {
    source: { kind: 'logs', query: 'AmlOnlineEndpointTrafficLog | where ResponseCode >= 500' },
  });
  for (const window of ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D'])
    accepts('alert_rules', { window });
});

test('alert rule: failing periods that make no sense are refused', () => {
  rejects(
    'alert_rules',
    { failing_periods: { min_failing: 3, of_last: 2 } },
    'failing_periods',
    /min_failing \(3\) cannot exceed of_last \(2\)/,
  );
  rejects('alert_rules', { failing_periods: { min_failing: 1, of_last: 7 } }, 'failing_periods.of_last', /at most 6/);
  rejects(
    'alert_rules',
    { failing_periods: { min_failing: 0, of_last: 2 } },
    'failing_periods.min_failing',
    /at least 1/,
  );
});

test('alert rule: each other field rule rejects', () => {
  rejects('alert_rules', { window: 'PT10M' }, 'window', /"PT10M" is not a window Azure Monitor accepts/);
  rejects('alert_rules', { window: 'PT2H' }, 'window', /not a window/);
  rejects('alert_rules', { frequency: 'PT2M' }, 'frequency', /evaluation frequency/);
  rejects('alert_rules', { frequency: 'PT1H', window: 'PT5M' }, 'frequency', /longer than the window/);
  rejects('alert_rules', { threshold: '0.9' }, 'threshold', /must be a number, got "0.9"/);
  rejects('alert_rules', { threshold: Number.NaN }, 'threshold', /number/);
  rejects('alert_rules', { target: STORAGE }, 'target', /Azure ML online endpoint/);
  rejects('alert_rules', { model_id: 'm fraud' }, 'model_id', /letters, digits/);
  rejects('alert_rules', { source: { kind: 'traces' } }, 'source.kind', /kind: 'metrics'/);
  rejects(
    'alert_rules',
    { source: { kind: 'metrics', namespace: 'x', metric: 'accuracy', aggregation: 'Median' } },
    'source.aggregation',
    /aggregation/,
  );
  rejects('alert_rules', { source: { kind: 'logs', query: '' } }, 'source.query', /must not be empty/);
  rejects('alert_rules', { operator: 'Below' }, 'operator', /not a known operator/);
  rejects('alert_rules', { action: 'delete' }, 'action', /alert action/);
  rejects('alert_rules', { auto_release: 'no' }, 'auto_release', /true or false/);
  rejects('alert_rules', { recovery_windows: 0 }, 'recovery_windows', /at least 1/);
  rejects('alert_rules', { severity: 5 }, 'severity', /at most 4/);
  rejects('alert_rules', { monitor_name: 'bad name' }, 'monitor_name', /monitor name/);
});
