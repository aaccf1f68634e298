/**
 * Azure Monitor metrics: custom metrics ingestion (§5.3, `POST {resourceId}/metrics` on the origin named
 * `<region>.monitoring.azure.com`) into SQLite, and the metrics batch query API (§5.1, `POST
 * /subscriptions/{sub}/metrics:getBatch` on `<region>.metrics.monitor.azure.com`) as
 * `MetricsClient.queryResources` (@azure/monitor-query-metrics 1.0.0) calls it, answered from the ingested points.
 */
import type { DatabaseSync } from 'node:sqlite';

import { parseId } from '../arm/ids';
import { durationMs } from '../arm/providers/monitor';
import { text } from '../arm/providers/types';
import { armError } from '../core/errors';
import type { EmulatorContext, EmulatorRequest, EmulatorResponse } from '../core/module';

export const INGESTION_AUDIENCES = ['https://monitoring.azure.com/', 'https://monitoring.azure.com'];
export const METRICS_QUERY_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net/',
  'https://metrics.monitor.azure.com',
  'https://metrics.monitor.azure.com/',
];
export const METRICS_API_VERSION = '2024-02-01';

/** One ingested pre-aggregated point (`min`, `max`, `sum`, `count` of the values in its minute). */
export interface MetricPoint {
  resourceId: string;
  namespace: string;
  metric: string;
  /** Dimension name → value. */
  dims: Record<string, string>;
  timeMs: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export type Aggregation = 'average' | 'count' | 'minimum' | 'maximum' | 'total';
export const AGGREGATIONS: readonly Aggregation[] = ['average', 'count', 'minimum', 'maximum', 'total'];

export class MetricStore {
  constructor(private readonly db: DatabaseSync) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS monitor_metric_points (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      resource_id TEXT NOT NULL COLLATE NOCASE, namespace TEXT NOT NULL COLLATE NOCASE, metric TEXT NOT NULL COLLATE NOCASE,
      dims TEXT NOT NULL, time_ms INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sum REAL NOT NULL,
      count INTEGER NOT NULL)`);
    db.exec(
      'CREATE INDEX IF NOT EXISTS monitor_metric_points_key ON monitor_metric_points (resource_id, namespace, metric, time_ms)',
    );
  }

  add(p: MetricPoint): void {
    this.db
      .prepare(
        `INSERT INTO monitor_metric_points (resource_id, namespace, metric, dims, time_ms, min, max, sum, count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.resourceId, p.namespace, p.metric, JSON.stringify(p.dims), p.timeMs, p.min, p.max, p.sum, p.count);
  }

  /** Points of one metric of one resource in [fromMs, toMs); `namespace` undefined = any namespace. */
  points(
    resourceId: string,
    namespace: string | undefined,
    metric: string,
    fromMs: number,
    toMs: number,
  ): MetricPoint[] {
    const rows = (
      namespace === undefined
        ? this.db
            .prepare(
              `SELECT * FROM monitor_metric_points WHERE resource_id = ? AND metric = ? AND time_ms >= ? AND time_ms < ?
               ORDER BY time_ms, seq`,
            )
            .all(resourceId, metric, fromMs, toMs)
        : this.db
            .prepare(
              `SELECT * FROM monitor_metric_points WHERE resource_id = ? AND namespace = ? AND metric = ?
               AND time_ms >= ? AND time_ms < ? ORDER BY time_ms, seq`,
            )
            .all(resourceId, namespace, metric, fromMs, toMs)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      resourceId: String(r.resource_id),
      namespace: String(r.namespace),
      metric: String(r.metric),
      dims: JSON.parse(String(r.dims)) as Record<string, string>,
      timeMs: Number(r.time_ms),
      min: Number(r.min),
      max: Number(r.max),
      sum: Number(r.sum),
      count: Number(r.count),
    }));
  }

  /** Whether any resource ever emitted this metric (Azure knows a custom metric once it was emitted). */
  known(namespace: string, metric: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM monitor_metric_points WHERE namespace = ? AND metric = ? LIMIT 1')
        .get(namespace, metric) !== undefined
    );
  }

  /** The metric names ever emitted in a namespace (for error messages). */
  names(namespace: string): string[] {
    return (
      this.db
        .prepare('SELECT DISTINCT metric FROM monitor_metric_points WHERE namespace = ? ORDER BY metric')
        .all(namespace) as Array<{ metric: string }>
    ).map((r) => r.metric);
  }
}

/** Combines points into one aggregate (`undefined` when there are none). */
export function aggregate(points: readonly MetricPoint[], agg: Aggregation): number | undefined {
  if (points.length === 0) return undefined;
  const count = points.reduce((a, p) => a + p.count, 0);
  const sum = points.reduce((a, p) => a + p.sum, 0);
  switch (agg) {
    case 'average':
      return count > 0 ? sum / count : undefined;
    case 'count':
      return count;
    case 'total':
      return sum;
    case 'minimum':
      return Math.min(...points.map((p) => p.min));
    case 'maximum':
      return Math.max(...points.map((p) => p.max));
  }
}

/** A dimension value of a point, names compared without case. */
export function dimValue(p: MetricPoint, name: string): string | undefined {
  const k = Object.keys(p.dims).find((d) => d.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : p.dims[k];
}

function badRequest(message: string, code = 'BadRequest') {
  return armError(400, code, message);
}

/** Validates and stores one ingestion document (§5.3); throws 400 with the reason otherwise. */
export function parseIngestion(doc: unknown, resourceId: string, nowMs: number, checkWindow: boolean): MetricPoint[] {
  const d = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  if (!d) throw badRequest('The body must be a JSON object {time, data: {baseData: {...}}}.', 'InvalidPayload');
  const time = typeof d.time === 'string' ? Date.parse(d.time) : NaN;
  if (Number.isNaN(time)) throw badRequest("'time' must be an ISO 8601 timestamp.", 'InvalidPayload');
  if (checkWindow && (time < nowMs - 20 * 60_000 || time > nowMs + 5 * 60_000)) {
    throw badRequest(
      `'time' ${text(d.time)} is outside the accepted window (up to 20 minutes in the past and 5 minutes in the future).`,
      'InvalidPayload',
    );
  }
  const base = (d.data as { baseData?: unknown } | undefined)?.baseData as Record<string, unknown> | undefined;
  if (!base || typeof base !== 'object') throw badRequest("'data.baseData' is required.", 'InvalidPayload');
  const { metric, namespace } = base;
  if (typeof metric !== 'string' || !metric.trim())
    throw badRequest("'baseData.metric' is required.", 'InvalidPayload');
  if (typeof namespace !== 'string' || !namespace.trim()) {
    throw badRequest("'baseData.namespace' is required.", 'InvalidPayload');
  }
  const dimNames = base.dimNames ?? [];
  if (!Array.isArray(dimNames) || !dimNames.every((n) => typeof n === 'string' && n !== '')) {
    throw badRequest("'baseData.dimNames' must be an array of non-empty strings.", 'InvalidPayload');
  }
  if (!Array.isArray(base.series) || base.series.length === 0) {
    throw badRequest("'baseData.series' must be a non-empty array.", 'InvalidPayload');
  }
  return base.series.map((raw, i) => {
    const s = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
    const dimValues = s.dimValues ?? [];
    if (
      !Array.isArray(dimValues) ||
      dimValues.length !== dimNames.length ||
      !dimValues.every((v) => typeof v === 'string')
    ) {
      throw badRequest(
        `series[${i}].dimValues must be ${dimNames.length} strings matching dimNames.`,
        'InvalidPayload',
      );
    }
    const nums = ['min', 'max', 'sum', 'count'].map((k) => s[k]);
    if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      throw badRequest(`series[${i}] needs numeric min, max, sum and count.`, 'InvalidPayload');
    }
    const [min, max, sum, count] = nums as [number, number, number, number];
    if (!Number.isInteger(count) || count < 1 || min > max) {
      throw badRequest(`series[${i}]: count must be a positive integer and min <= max.`, 'InvalidPayload');
    }
    const dims: Record<string, string> = {};
    dimNames.forEach((n, j) => (dims[n as string] = dimValues[j] as string));
    return { resourceId, namespace, metric, dims, timeMs: time, min, max, sum, count };
  });
}

// ------------------------------------------------------------------ query

interface DimFilter {
  name: string;
  op: 'eq' | 'ne';
  value: string;
}

function parseFilter(filter: string | undefined): DimFilter[] {
  if (!filter || !filter.trim()) return [];
  return filter
    .trim()
    .split(/\s+and\s+/i)
    .map((term) => {
      const m = /^\(?\s*([A-Za-z0-9_.\-/]+)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*\)?$/i.exec(term.trim());
      if (!m) {
        throw badRequest(
          `The filter '${filter}' is not supported by the local Azure emulator (supported: <dimension> eq|ne '<value>' ` +
            "terms joined with 'and'; '*' splits by the dimension).",
        );
      }
      return { name: m[1]!, op: m[2]!.toLowerCase() as 'eq' | 'ne', value: m[3]!.replace(/''/g, "'") };
    });
}

export interface MetricsQueryDeps {
  ctx: EmulatorContext;
  store: MetricStore;
  /** The resource's location, or undefined when the resource does not exist. */
  locationOf(resourceId: string): string | undefined;
}

function isoInterval(ms: number): string {
  if (ms % 86_400_000 === 0) return `P${ms / 86_400_000}D`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}

/** `POST /subscriptions/{sub}/metrics:getBatch` (§5.1). */
export function queryBatch(deps: MetricsQueryDeps, req: EmulatorRequest): EmulatorResponse {
  const { ctx, store } = deps;
  const caller = ctx.authenticate(req, METRICS_QUERY_AUDIENCES);
  const version = req.queryParam('api-version');
  if (version !== METRICS_API_VERSION) {
    throw badRequest(`The api-version '${version ?? ''}' is not supported; use ${METRICS_API_VERSION}.`);
  }
  const sub = req.params.sub ?? '';
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const ids = body.resourceids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > 50 || !ids.every((i) => typeof i === 'string')) {
    throw badRequest("'resourceids' must list 1 to 50 resource ids.");
  }
  const resourceIds = ids;
  const nowMs = ctx.clock.now();
  const endMs = req.queryParam('endtime') ? Date.parse(req.queryParam('endtime')!) : nowMs;
  const startMs = req.queryParam('starttime') ? Date.parse(req.queryParam('starttime')!) : endMs - 3_600_000;
  if (Number.isNaN(startMs) || Number.isNaN(endMs) || startMs >= endMs) {
    throw badRequest("'starttime' and 'endtime' must be ISO 8601 timestamps with starttime < endtime.");
  }
  const intervalParam = req.queryParam('interval') ?? 'PT1M';
  const full = intervalParam.toUpperCase() === 'FULL';
  const intervalMs = full ? endMs - startMs : durationMs(intervalParam);
  if (intervalMs === undefined || intervalMs < 60_000) {
    throw badRequest(`The interval '${intervalParam}' is not supported (PT1M or longer, or FULL).`);
  }
  const namespace = req.queryParam('metricnamespace');
  if (!namespace) throw badRequest("'metricnamespace' is required.");
  const names = (req.queryParam('metricnames') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0) throw badRequest("'metricnames' is required.");
  const aggs = (req.queryParam('aggregation') ?? 'average')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  for (const a of aggs) {
    if (!(AGGREGATIONS as readonly string[]).includes(a)) {
      throw badRequest(`Unknown aggregation '${a}' (average, count, minimum, maximum, total).`);
    }
  }
  const filters = parseFilter(req.queryParam('filter'));
  const rollup = new Set(
    (req.queryParam('rollupby') ?? '')
      .split(',')
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean),
  );
  const top = req.queryParam('top') === undefined ? 10 : Number(req.queryParam('top'));
  if (!Number.isInteger(top) || top < 1) throw badRequest(`'top' must be a positive integer.`);
  const orderby = req.queryParam('orderby');
  if (
    orderby !== undefined &&
    orderby !== '' &&
    !/^\s*(average|count|minimum|maximum|total|sum)(\s+(asc|desc))?\s*$/i.test(orderby)
  ) {
    throw badRequest(`The orderby '${orderby}' is not supported (an aggregation, asc or desc).`);
  }
  for (const name of names) {
    if (!store.known(namespace, name)) {
      const known = store.names(namespace);
      throw badRequest(
        `Failed to find metric configuration for namespace '${namespace}', metric '${name}'. Valid metrics: ` +
          `${known.join(', ') || 'none (nothing was ingested in this namespace)'}.`,
      );
    }
  }
  const splitDims = filters.filter((f) => f.op === 'eq' && !rollup.has(f.name.toLowerCase())).map((f) => f.name);
  const alignedStart = full ? startMs : Math.floor(startMs / intervalMs) * intervalMs;

  const values = resourceIds.map((rid) => {
    const p = parseId(rid);
    if (!p || p.subscriptionId?.toLowerCase() !== sub.toLowerCase()) {
      throw badRequest(`The resource id '${rid}' is not in subscription '${sub}'.`);
    }
    const location = deps.locationOf(p.id);
    if (location === undefined) throw armError(404, 'ResourceNotFound', `The resource '${rid}' was not found.`);
    if (ctx.access.check(caller, p.id, 'Microsoft.Insights/Metrics/Read') === false) {
      throw armError(
        403,
        'AuthorizationFailed',
        `The client '${caller.oid}' does not have authorization to perform action 'Microsoft.Insights/Metrics/Read' over scope '${p.id}'.`,
      );
    }
    return {
      starttime: new Date(startMs).toISOString(),
      endtime: new Date(endMs).toISOString(),
      interval: full ? 'FULL' : isoInterval(intervalMs),
      namespace,
      resourceregion: location,
      resourceid: rid,
      value: names.map((name) => {
        const points = store.points(p.id, namespace, name, alignedStart, endMs).filter((pt) =>
          filters.every((f) => {
            if (f.value === '*') return true;
            const v = dimValue(pt, f.name);
            return f.op === 'eq' ? v === f.value : v !== f.value;
          }),
        );
        const groups = new Map<string, { dims: Array<[string, string]>; points: MetricPoint[] }>();
        for (const pt of points) {
          const dims = splitDims.map((d): [string, string] => [d, dimValue(pt, d) ?? '']);
          const key = JSON.stringify(dims);
          const g = groups.get(key) ?? { dims, points: [] };
          g.points.push(pt);
          groups.set(key, g);
        }
        if (splitDims.length === 0 && groups.size === 0) groups.set('[]', { dims: [], points: [] });
        let series = [...groups.values()].map((g) => {
          const data: Array<Record<string, unknown>> = [];
          for (let t = alignedStart; t < endMs; t += intervalMs) {
            const inBucket = g.points.filter((pt) => pt.timeMs >= t && pt.timeMs < t + intervalMs);
            const dp: Record<string, unknown> = { timeStamp: new Date(t).toISOString() };
            if (inBucket.length) for (const a of aggs) dp[a] = aggregate(inBucket, a as Aggregation);
            data.push(dp);
          }
          const overall = aggregate(
            g.points,
            (orderby?.trim().split(/\s+/)[0]?.toLowerCase().replace(/^sum$/, 'total') || aggs[0]) as Aggregation,
          );
          return {
            overall: overall ?? Number.NEGATIVE_INFINITY,
            ts: {
              metadatavalues: g.dims.map(([n, v]) => ({ name: { value: n, localizedValue: n }, value: v })),
              data,
            },
          };
        });
        const asc = /\basc\b/i.test(orderby ?? '');
        series.sort((a, b) => (asc ? a.overall - b.overall : b.overall - a.overall));
        series = series.slice(0, top);
        return {
          id: `${rid}/providers/Microsoft.Insights/metrics/${name}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: name, localizedValue: name },
          displayDescription: '',
          unit: 'Unspecified',
          errorCode: 'Success',
          timeseries: series.map((s) => s.ts),
        };
      }),
    };
  });
  return { status: 200, body: { values } };
}
