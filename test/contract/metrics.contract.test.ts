/**
 * Contract: the `MetricsPort` Azure adapter (`MetricsClient.queryResources` at the regional metrics host through
 * WARDEN_HOST_OVERRIDES, `LogsQueryClient` for log rules) against the emulator's Monitor: per-window aggregates,
 * missing windows as null, the registered KQL answered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createMonitorModule } from '../../emulator/monitor/index';
import { AzureMonitorMetrics } from '../../shared/cloud/azure/monitor-metrics';
import { confirmBreach } from '../../shared/domain/models/breach';
import { type MlBed, startMlBed } from './emulator/ml-monitor-helpers';

const NS = 'azureml.custom/model-quality';
const LAW = '7f1c9a8e-2b3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('MetricsPort (Azure adapter) against the emulator', () => {
  let bed: MlBed;
  let metrics: AzureMonitorMetrics;
  let now: number;

  before(async () => {
    bed = await startMlBed([createMonitorModule({ retryScale: 0.001, pollIntervalMs: 20 })]);
    const origins = bed.emu.endpoints.origins ?? {};
    metrics = new AzureMonitorMetrics({
      credential: bed.credential(bed.world.warden!.principalId),
      hostOverrides: origins,
      tlsCa: bed.ca,
    });
    const clock = await bed.emu.admin('GET', '/admin/clock');
    now = Date.parse((clock.body as { now: string }).now);
  });
  after(async () => {
    await bed?.stop();
  });

  const push = async (value: number, at: number) => {
    const r = await bed.emu.admin('POST', '/admin/monitor/metrics', {
      resourceId: bed.endpointId,
      namespace: NS,
      metric: 'accuracy_ct',
      value,
      time: new Date(at).toISOString(),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  };

  test('averages per 5-minute window; a window without points is null; the rule confirms on them', async () => {
    const w = 5 * 60_000;
    const current = Math.floor(now / w) * w;
    await push(0.95, current - 3 * w + 1000);
    // (no point in current - 2w: a gap)
    await push(0.8, current - w + 1000);
    await push(0.7, current - w + 2000);
    await push(0.85, current + 1000);
    const points = await metrics.queryMetric({
      resourceId: bed.endpointId,
      region: bed.world.location ?? 'westeurope',
      namespace: NS,
      metric: 'accuracy_ct',
      aggregation: 'Average',
      window: 'PT5M',
      from: new Date(current - 3 * w),
      to: new Date(current + w),
    });
    const byStart = new Map(points.map((p) => [Date.parse(p.timeStamp), p.value]));
    assert.equal(byStart.get(current - 3 * w), 0.95);
    assert.equal(byStart.get(current - 2 * w) ?? null, null);
    assert.ok(Math.abs((byStart.get(current - w) ?? 0) - 0.75) < 1e-9);
    assert.equal(byStart.get(current), 0.85);
    const verdict = confirmBreach(points, {
      operator: 'LessThan',
      threshold: 0.9,
      failing_periods: { min_failing: 2, of_last: 2 },
    });
    assert.equal(verdict.verdict, 'confirmed');
  });

  test('Minimum aggregation and an unknown metric (no data)', async () => {
    const w = 5 * 60_000;
    const current = Math.floor(now / w) * w;
    const min = await metrics.queryMetric({
      resourceId: bed.endpointId,
      region: bed.world.location ?? 'westeurope',
      namespace: NS,
      metric: 'accuracy_ct',
      aggregation: 'Minimum',
      window: 'PT5M',
      from: new Date(current - w),
      to: new Date(current),
    });
    assert.equal(min.find((p) => Date.parse(p.timeStamp) === current - w)?.value, 0.7);
    const none = await metrics
      .queryMetric({
        resourceId: bed.endpointId,
        region: bed.world.location ?? 'westeurope',
        namespace: NS,
        metric: 'latency_never_sent',
        aggregation: 'Average',
        window: 'PT5M',
        from: new Date(current - w),
        to: new Date(current),
      })
      .catch((e: unknown) => e);
    if (Array.isArray(none)) assert.ok((none as { value: number | null }[]).every((p) => p.value === null));
    else assert.ok(none instanceof Error);
  });

  test('a log rule: the registered KQL answers per-window values (datetime + real columns)', async () => {
    const query = 'ModelQuality | summarize value = avg(drift) by bin(TimeGenerated, 5m)';
    const reg = await bed.emu.admin('POST', '/admin/monitor/log-queries', {
      query,
      workspaceId: LAW,
      tables: [
        {
          name: 'PrimaryResult',
          columns: [
            { name: 'TimeGenerated', type: 'datetime' },
            { name: 'value', type: 'real' },
          ],
          rows: [
            ['2026-11-25T11:50:00Z', 0.41],
            ['2026-11-25T11:55:00Z', 0.45],
          ],
        },
      ],
    });
    assert.ok(reg.status < 300, JSON.stringify(reg.body));
    const points = await metrics.queryLogs({
      workspaceId: LAW,
      query,
      from: new Date('2026-11-25T11:45:00Z'),
      to: new Date('2026-11-25T12:00:00Z'),
    });
    assert.deepEqual(points, [
      { timeStamp: '2026-11-25T11:50:00.000Z', value: 0.41 },
      { timeStamp: '2026-11-25T11:55:00.000Z', value: 0.45 },
    ]);
  });
});
