/**
 * Contract: Azure Monitor data planes on their own origins — custom metrics ingestion (§5.3, raw HTTPS with a
 * token for https://monitoring.azure.com/), the metrics batch API through the real `MetricsClient`
 * (@azure/monitor-query-metrics 1.0.0) answering from the ingested points per interval (empty intervals carry only
 * `timeStamp`), and the Logs API through the real `LogsQueryClient` (@azure/monitor-query-logs 1.0.0) answering
 * registered queries only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { MetricsClient } from '@azure/monitor-query-metrics';

import { armModule } from '../../../emulator/arm';
import { startEmulator } from '../../../emulator/index';
import { createMonitorModule } from '../../../emulator/monitor/index';
import { loadWorld } from './arm-helpers';
import { request } from './core-helpers';
import { ADA, type MlBed, rejectsWith, startMlBed } from './ml-monitor-helpers';

const NS = 'azureml.custom/model-quality';
const LAW = '5f1c8a4e-0d7b-4c55-9d2e-1b0f6a7e9c31';

describe('emulator: Azure Monitor metrics and logs data planes', () => {
  let bed: MlBed;
  let ingestOrigin: string;
  let metricsOrigin: string;
  let logsOrigin: string;
  let t0: number;

  before(async () => {
    bed = await startMlBed([createMonitorModule({ retryScale: 0.001, pollIntervalMs: 20 })]);
    ingestOrigin = bed.emu.endpoints.origins['westeurope.monitoring.azure.com']!;
    metricsOrigin = bed.emu.endpoints.origins['westeurope.metrics.monitor.azure.com']!;
    logsOrigin = bed.emu.endpoints.origins['api.loganalytics.io']!;
    // Ten minutes on, so the healthy point the bed seeds from the demo world at start-up lies before every window
    // queried below (it fell inside them when the bed started in the minute before t0).
    const advanced = await bed.emu.admin('POST', '/admin/clock/advance', { ms: 10 * 60_000 });
    assert.equal(advanced.status, 200, JSON.stringify(advanced.body));
    const clock = await bed.emu.admin('GET', '/admin/clock');
    t0 = Math.floor(Date.parse((clock.body as { now: string }).now) / 60_000) * 60_000;
  });
  after(async () => {
    await bed.stop();
  });

  const ingest = async (doc: unknown, opts: { token?: string; resource?: string; contentType?: string } = {}) =>
    request(ingestOrigin, bed.ca, 'POST', `${opts.resource ?? bed.endpointId}/metrics`, {
      headers: {
        'content-type': opts.contentType ?? 'application/json',
        ...(opts.token !== ''
          ? {
              authorization: `Bearer ${opts.token ?? (await bed.token(bed.world.warden!.principalId, 'https://monitoring.azure.com//.default'))}`,
            }
          : {}),
      },
      body: typeof doc === 'string' ? doc : JSON.stringify(doc),
    });
  const doc = (timeMs: number, deployment: string, value: number, count = 1) => ({
    time: new Date(timeMs).toISOString(),
    data: {
      baseData: {
        metric: 'accuracy',
        namespace: NS,
        dimNames: ['deployment'],
        series: [{ dimValues: [deployment], min: value, max: value, sum: value * count, count }],
      },
    },
  });

  test('the origins are listed in endpoints.json under their real host names', () => {
    for (const o of [ingestOrigin, metricsOrigin, logsOrigin]) assert.match(o, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('ingestion: 200 for valid documents (JSON and NDJSON); 401 / 400 / 404 otherwise', async () => {
    assert.equal((await ingest(doc(t0 - 4 * 60_000, 'blue', 0.95))).status, 200);
    assert.equal((await ingest(doc(t0 - 2 * 60_000, 'blue', 0.8, 2))).status, 200);
    const nd = [doc(t0 - 2 * 60_000, 'green', 0.97), doc(t0 - 60_000, 'green', 0.96)]
      .map((d) => JSON.stringify(d))
      .join('\n');
    assert.equal((await ingest(nd, { contentType: 'application/x-ndjson' })).status, 200);
    assert.equal((await ingest(doc(t0, 'blue', 0.9), { token: '' })).status, 401);
    const armToken = await bed.token(bed.world.warden!.principalId, 'https://management.azure.com/.default');
    assert.equal((await ingest(doc(t0, 'blue', 0.9), { token: armToken })).status, 401);
    const stale = await ingest(doc(t0 - 3_600_000, 'blue', 0.9));
    assert.equal(stale.status, 400);
    assert.match(stale.text, /outside the accepted window/);
    const bad = await ingest({
      time: new Date(t0).toISOString(),
      data: {
        baseData: {
          metric: 'accuracy',
          namespace: NS,
          dimNames: ['deployment'],
          series: [{ dimValues: [], min: 1, max: 1, sum: 1, count: 1 }],
        },
      },
    });
    assert.equal(bad.status, 400);
    const missing = await ingest(doc(t0, 'blue', 0.9), {
      resource: `${bed.rg}/providers/Microsoft.Storage/storageAccounts/nope`,
    });
    assert.equal(missing.status, 404);
  });

  test('MetricsClient.queryResources: per-interval aggregates, split by dimension, empty intervals carry only timeStamp', async () => {
    const metrics = new MetricsClient(metricsOrigin, bed.credential(bed.world.warden!.principalId), {
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const [result] = await metrics.queryResources([bed.endpointId], ['accuracy'], NS, {
      startTime: new Date(t0 - 5 * 60_000),
      endTime: new Date(t0),
      interval: 'PT1M',
      aggregation: 'average,count,minimum',
      filter: "deployment eq '*'",
    });
    assert.ok(result);
    assert.equal(result.resourceRegion, 'westeurope');
    const metric = result.metrics[0]!;
    assert.equal(metric.name, 'accuracy');
    const byDep = new Map(metric.timeseries.map((ts) => [ts.metadatavalues?.[0]?.value, ts.data ?? []] as const));
    assert.deepEqual([...byDep.keys()].sort(), ['blue', 'green']);
    const blue = byDep.get('blue')!;
    assert.equal(blue.length, 5);
    assert.deepEqual(
      blue.map((d) => d.timeStamp.toISOString()),
      [5, 4, 3, 2, 1].map((m) => new Date(t0 - m * 60_000).toISOString()),
    );
    assert.equal(blue[1]!.average, 0.95);
    assert.equal(blue[3]!.average, 0.8);
    assert.equal(blue[3]!.count, 2);
    assert.equal(blue[3]!.minimum, 0.8);
    // a minute without data: only timeStamp
    assert.deepEqual(
      Object.keys(blue[0]!).filter((k) => (blue[0] as unknown as Record<string, unknown>)[k] !== undefined),
      ['timeStamp'],
    );
    // one deployment, coarser interval: buckets aligned on the interval, every point counted once
    const [one] = await metrics.queryResources([bed.endpointId], ['accuracy'], NS, {
      startTime: new Date(t0 - 5 * 60_000),
      endTime: new Date(t0),
      interval: 'PT5M',
      aggregation: 'average,count',
      filter: "deployment eq 'green'",
    });
    const green = one!.metrics[0]!.timeseries;
    assert.equal(green.length, 1);
    assert.equal(green[0]!.metadatavalues?.[0]?.value, 'green');
    const buckets = green[0]!.data!;
    assert.ok(buckets.every((d) => d.timeStamp.getTime() % 300_000 === 0));
    assert.equal(
      buckets.reduce((a, d) => a + (d.count ?? 0), 0),
      2,
    );
    const weighted = buckets.reduce((a, d) => a + (d.average ?? 0) * (d.count ?? 0), 0) / 2;
    assert.ok(Math.abs(weighted - 0.965) < 1e-9);
    // no split: one series over every deployment
    const [all] = await metrics.queryResources([bed.endpointId], ['accuracy'], NS, {
      startTime: new Date(t0 - 5 * 60_000),
      endTime: new Date(t0),
      interval: 'FULL',
      aggregation: 'count',
    });
    assert.equal(all!.metrics[0]!.timeseries.length, 1);
    assert.equal(all!.metrics[0]!.timeseries[0]!.data![0]!.count, 5);
    await rejectsWith(metrics.queryResources([bed.endpointId], ['latency'], NS), 400, 'BadRequest');
    // the metrics API's own audience, as the app configures the client
    const own = new MetricsClient(metricsOrigin, bed.credential(bed.world.warden!.principalId), {
      audience: 'https://metrics.monitor.azure.com',
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    const [viaOwn] = await own.queryResources([bed.endpointId], ['accuracy'], NS, {
      interval: 'FULL',
      aggregation: 'count',
    });
    assert.ok(viaOwn!.metrics[0]!.timeseries[0]!.data![0]!.count! >= 5);
    const ada = new MetricsClient(metricsOrigin, bed.credential(ADA), {
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    // Ada reads the resource group (Reader): allowed; the break-glass Owner too; a principal without any grant is not
    await ada.queryResources([bed.endpointId], ['accuracy'], NS);
    const mallory = new MetricsClient(metricsOrigin, bed.credential('bf92cd29-2eee-4e3b-9d96-85a7d1118887'), {
      tlsOptions: { ca: bed.ca },
      retryOptions: { maxRetries: 0 },
    });
    await rejectsWith(mallory.queryResources([bed.endpointId], ['accuracy'], NS), 403, 'AuthorizationFailed');
  });

  test('LogsQueryClient: registered queries answered (with and without /v1), anything else 400', async () => {
    const query =
      'ModelDrift\n| where Model == "fraud-detector"\n| summarize drift = avg(Drift) by bin(TimeGenerated, 5m)';
    const reg = await bed.emu.admin('POST', '/admin/monitor/log-queries', {
      query,
      workspaceId: LAW,
      tables: [
        {
          name: 'PrimaryResult',
          columns: [
            { name: 'TimeGenerated', type: 'datetime' },
            { name: 'drift', type: 'real' },
          ],
          rows: [['2026-01-01T00:00:00Z', 0.42]],
        },
      ],
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const badReg = await bed.emu.admin('POST', '/admin/monitor/log-queries', {
      query: 'x',
      tables: [{ name: 't', columns: [{ name: 'a', type: 'real' }], rows: [[1, 2]] }],
    });
    assert.equal(badReg.status, 400);
    for (const endpoint of [`${logsOrigin}/v1`, logsOrigin]) {
      const logs = new LogsQueryClient(bed.credential(bed.world.warden!.principalId), {
        endpoint,
        tlsOptions: { ca: bed.ca },
        retryOptions: { maxRetries: 0 },
      });
      // whitespace differences do not matter
      const r = await logs.queryWorkspace(LAW, query.replace(/\n/g, ' '), { duration: 'PT1H' });
      assert.equal(r.status, LogsQueryResultStatus.Success);
      if (r.status !== LogsQueryResultStatus.Success) return;
      assert.equal(r.tables[0]!.rows[0]![1], 0.42);
      assert.ok(r.tables[0]!.rows[0]![0] instanceof Date);
      await rejectsWith(
        logs.queryWorkspace(LAW, 'ModelDrift | take 10', { duration: 'PT1H' }),
        400,
        'BadArgumentError',
      );
      await rejectsWith(
        logs.queryWorkspace('00000000-0000-0000-0000-000000000000', query, { duration: 'PT1H' }),
        400,
        'BadArgumentError',
      );
    }
  });
});

describe('emulator: Monitor origins and points survive a restart', () => {
  test('the same origins are listed when start resolves without seeding, and ingested points are kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-monitor-restart-'));
    const world = { ...loadWorld(), drifts: [] };
    const options = {
      port: 0,
      stateDir: dir,
      world,
      modules: [armModule, createMonitorModule({ pollIntervalMs: 50 })],
      log: () => undefined,
    };
    try {
      const first = await startEmulator(options);
      const origin = first.endpoints.origins['westeurope.metrics.monitor.azure.com'];
      assert.ok(origin);
      const resourceId = `/subscriptions/${world.subscriptionId}/resourceGroups/rg-fraud-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud/onlineEndpoints/fraud-scoring`;
      const pushed = await first.admin('POST', '/admin/monitor/metrics', {
        resourceId,
        namespace: NS,
        metric: 'latency',
        value: 42,
      });
      assert.equal(pushed.status, 201);
      await first.stop();
      const second = await startEmulator(options);
      try {
        assert.equal(second.endpoints.origins['westeurope.metrics.monitor.azure.com'], origin);
        const token = await second.admin('POST', '/admin/tokens', {
          principalId: world.warden!.principalId,
          scope: 'https://management.azure.com/.default',
        });
        const metrics = new MetricsClient(
          origin,
          {
            getToken: () =>
              Promise.resolve({
                token: (token.body as { access_token: string }).access_token,
                expiresOnTimestamp: Date.now() + 3_600_000,
              }),
          },
          { tlsOptions: { ca: second.caCert }, retryOptions: { maxRetries: 0 } },
        );
        const [r] = await metrics.queryResources([resourceId], ['latency'], NS, {
          interval: 'FULL',
          aggregation: 'maximum',
        });
        assert.equal(r!.metrics[0]!.timeseries[0]!.data![0]!.maximum, 42);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
