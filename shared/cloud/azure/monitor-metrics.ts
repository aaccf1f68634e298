/**
 * `MetricsPort` on `@azure/monitor-query-metrics` (`MetricsClient.queryResources` at the regional endpoint
 * `https://<region>.metrics.monitor.azure.com`) and `@azure/monitor-query-logs` (`LogsQueryClient.queryResource`,
 * for log-sourced rules). Data-plane hosts go through WARDEN_HOST_OVERRIDES (`resolveHost`).
 */
import type { TokenCredential } from '@azure/identity';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import { MetricsClient } from '@azure/monitor-query-metrics';

import type { MetricPoint } from '../../domain/models/breach';
import type { LogQuery, MetricQuery, MetricsPort } from '../ports/metrics.port';
import { toWardenError } from './arm-clients';
import { resolveHost } from './host-overrides';

export interface MonitorMetricsOptions {
  readonly credential: TokenCredential;
  readonly hostOverrides: Readonly<Record<string, string>>;
  /** The Logs query API (https://api.loganalytics.io). */
  readonly logsEndpoint?: string;
  readonly tlsCa?: string;
}

const AGGREGATION_FIELD = {
  Average: 'average',
  Minimum: 'minimum',
  Maximum: 'maximum',
  Total: 'total',
  Count: 'count',
} as const;

export class AzureMonitorMetrics implements MetricsPort {
  private readonly metricClients = new Map<string, MetricsClient>();
  private logs: LogsQueryClient | undefined;

  constructor(private readonly options: MonitorMetricsOptions) {}

  private tls() {
    return this.options.tlsCa !== undefined ? { tlsOptions: { ca: this.options.tlsCa } } : {};
  }

  private metricsClient(region: string): MetricsClient {
    const key = region.toLowerCase().replace(/[^a-z0-9]/g, '');
    let c = this.metricClients.get(key);
    if (!c) {
      const endpoint = resolveHost(`https://${key}.metrics.monitor.azure.com`, this.options.hostOverrides).replace(
        /\/+$/,
        '',
      );
      c = new MetricsClient(endpoint, this.options.credential, {
        audience: 'https://metrics.monitor.azure.com',
        retryOptions: { maxRetries: 3 },
        ...this.tls(),
      });
      this.metricClients.set(key, c);
    }
    return c;
  }

  async queryMetric(q: MetricQuery): Promise<MetricPoint[]> {
    const field = AGGREGATION_FIELD[q.aggregation];
    try {
      const results = await this.metricsClient(q.region).queryResources([q.resourceId], [q.metric], q.namespace, {
        startTime: q.from,
        endTime: q.to,
        interval: q.window,
        aggregation: q.aggregation.toLowerCase(),
      });
      const points: MetricPoint[] = [];
      for (const r of results)
        for (const m of r.metrics)
          for (const ts of m.timeseries)
            for (const d of ts.data ?? []) {
              const v = d[field];
              points.push({
                timeStamp: new Date(d.timeStamp).toISOString(),
                value: typeof v === 'number' && Number.isFinite(v) ? v : null,
              });
            }
      return points;
    } catch (e) {
      throw toWardenError(e, `query metric ${q.namespace}/${q.metric}`, q.resourceId);
    }
  }

  async queryLogs(q: LogQuery): Promise<MetricPoint[]> {
    this.logs ??= new LogsQueryClient(this.options.credential, {
      endpoint: `${resolveHost(this.options.logsEndpoint ?? 'https://api.loganalytics.io', this.options.hostOverrides).replace(/\/+$/, '')}/v1`,
      retryOptions: { maxRetries: 3 },
      ...this.tls(),
    });
    try {
      const span = { startTime: q.from, endTime: q.to };
      // A workspace GUID (customerId) → the workspace query API; an ARM id → the resource-centric query API.
      const r = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(q.workspaceId)
        ? await this.logs.queryWorkspace(q.workspaceId, q.query, span)
        : await this.logs.queryResource(q.workspaceId, q.query, span);
      const tables = 'tables' in r ? r.tables : r.partialTables;
      const table = tables[0];
      if (!table) return [];
      const cols = table.columnDescriptors;
      const timeCol = cols.findIndex((c) => c.type === 'datetime');
      const valueCol = cols.findIndex(
        (c, i) => i !== timeCol && ['real', 'int', 'long', 'decimal'].includes(String(c.type)),
      );
      if (timeCol < 0 || valueCol < 0) return [];
      return table.rows.map((row) => {
        const t = row[timeCol];
        const v = row[valueCol];
        return {
          timeStamp: (t instanceof Date
            ? t
            : new Date(typeof t === 'string' || typeof t === 'number' ? t : Number.NaN)
          ).toISOString(),
          value: typeof v === 'number' && Number.isFinite(v) ? v : null,
        };
      });
    } catch (e) {
      throw toWardenError(e, 'run log query', q.workspaceId);
    }
  }
}
