import type { MetricPoint } from '../../domain/models/breach';
import type { MonitorWindow } from '../../domain/primitives/monitor-duration';

export type { MetricPoint } from '../../domain/models/breach';

/** A metric of a resource, aggregated per window. */
export interface MetricQuery {
  readonly resourceId: string;
  /** The resource's region (the metrics endpoint is regional: `https://<region>.metrics.monitor.azure.com`). */
  readonly region: string;
  readonly namespace: string;
  readonly metric: string;
  readonly aggregation: 'Average' | 'Minimum' | 'Maximum' | 'Total' | 'Count';
  readonly window: MonitorWindow;
  readonly from: Date;
  readonly to: Date;
}

/** A log query (KQL) aggregated per window: it must return a datetime column and a numeric value column. */
export interface LogQuery {
  /** Where the KQL runs: a Log Analytics workspace id (GUID, its `customerId`) or an ARM resource id (resource-centric). */
  readonly workspaceId: string;
  readonly query: string;
  readonly from: Date;
  readonly to: Date;
}

/**
 * Reads a model's quality metric over windows, for Warden's own confirmation of a breach and its recovery check.
 *
 * @remarks
 * Metric sources go through the metrics batch API (`@azure/monitor-query-metrics` `MetricsClient.queryResources`);
 * log sources run the rule's KQL through the Logs query API (`@azure/monitor-query-logs`). A window without data is a
 * point with `value: null` (missing data is never a breach). Failures are typed like the ARM adapters'
 * (403 CloudAuthorizationError, 404 NotFoundError, 429/5xx TransientCloudError, other 4xx ValidationError).
 */
export interface MetricsPort {
  queryMetric(q: MetricQuery): Promise<MetricPoint[]>;
  queryLogs(q: LogQuery): Promise<MetricPoint[]>;
}
