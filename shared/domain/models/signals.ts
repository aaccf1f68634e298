/**
 * The model signals Warden accepts, validated at the edge: the Azure Monitor common alert schema (metric alerts and
 * log search alerts V2), Azure ML `RunStatusChanged` model-monitor events and the legacy `DatasetDriftDetected`, and
 * ARM writes on online endpoints. Pure (zod only).
 */
import { z } from 'zod';

/** The Monitor rule name Warden gives the rule of an `alert_rules` row. */
export function monitorRuleName(ruleId: string): string {
  return `warden-${ruleId}`;
}

/** The `alert_rules` id a Monitor rule name stands for (undefined for rules Warden did not create). */
export function ruleIdFromMonitorRuleName(name: string): string | undefined {
  const m = /^warden-(.+)$/.exec(name);
  return m?.[1];
}

const Iso = z.string().refine((s) => Number.isFinite(Date.parse(s)), { error: 'must be an ISO date-time' });

const MetricConditionSchema = z.looseObject({
  metricName: z.string().optional(),
  metricNamespace: z.string().optional(),
  operator: z.string().optional(),
  threshold: z.union([z.string(), z.number()]).optional(),
  timeAggregation: z.string().optional(),
  metricValue: z.number().nullable().optional(),
  searchQuery: z.string().optional(),
});

/** The common alert schema (essentials validated strictly enough to act on; the context loosely). */
export const CommonAlertSchema = z.looseObject({
  schemaId: z.literal('azureMonitorCommonAlertSchema', {
    error: 'must be azureMonitorCommonAlertSchema (enable the common alert schema on the action group)',
  }),
  data: z.looseObject({
    essentials: z.looseObject({
      alertId: z.string().min(1).max(1024),
      alertRule: z.string().min(1).max(260),
      severity: z.string().max(16).optional(),
      signalType: z.enum(['Metric', 'Log', 'Activity Log']),
      monitorCondition: z.enum(['Fired', 'Resolved']),
      monitoringService: z.string().max(64),
      alertTargetIDs: z.array(z.string().max(1024)).max(100).default([]),
      originAlertId: z.string().max(1024).optional(),
      firedDateTime: Iso,
      resolvedDateTime: Iso.optional(),
      description: z.string().max(4096).nullable().optional(),
    }),
    alertContext: z
      .looseObject({
        conditionType: z.string().optional(),
        condition: z
          .looseObject({
            windowSize: z.string().optional(),
            allOf: z.array(MetricConditionSchema).max(10).optional(),
            windowStartTime: Iso.optional(),
            windowEndTime: Iso.optional(),
          })
          .optional(),
      })
      .nullable()
      .optional(),
    customProperties: z.record(z.string(), z.string()).nullable().optional(),
  }),
});
export type CommonAlert = z.output<typeof CommonAlertSchema>;

/** What Warden reads from an alert. */
export interface AlertSignal {
  readonly alertId: string;
  readonly monitorRuleName: string;
  /** From the rule name (`warden-<id>`) or the `wardenRuleId` custom property. */
  readonly ruleId: string | undefined;
  readonly condition: 'Fired' | 'Resolved';
  readonly signalType: string;
  readonly monitoringService: string;
  readonly firedAt: string;
  readonly resolvedAt: string | null;
  readonly targets: readonly string[];
  readonly metricValue: number | null;
}

export function toAlertSignal(alert: CommonAlert): AlertSignal {
  const e = alert.data.essentials;
  const custom = alert.data.customProperties ?? {};
  const first = alert.data.alertContext?.condition?.allOf?.[0];
  return {
    alertId: e.alertId,
    monitorRuleName: e.alertRule,
    ruleId: custom.wardenRuleId ?? ruleIdFromMonitorRuleName(e.alertRule),
    condition: e.monitorCondition,
    signalType: e.signalType,
    monitoringService: e.monitoringService,
    firedAt: e.firedDateTime,
    resolvedAt: e.resolvedDateTime ?? null,
    targets: e.alertTargetIDs,
    metricValue: typeof first?.metricValue === 'number' ? first.metricValue : null,
  };
}

export const MODEL_MONITOR_TAG = 'azureml_modelmonitor_threshold_breached';
export const RUN_STATUS_CHANGED = 'Microsoft.MachineLearningServices.RunStatusChanged';
export const DATASET_DRIFT_DETECTED = 'Microsoft.MachineLearningServices.DatasetDriftDetected';

/** Reads a key of an object case-insensitively (the docs use PascalCase, the payload camelCase). */
export function getCi(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const k = key.toLowerCase();
  for (const [name, value] of Object.entries(obj)) if (name.toLowerCase() === k) return value;
  return undefined;
}

export type MlSignal =
  | {
      readonly kind: 'monitor-breach';
      readonly eventId: string;
      readonly monitorName: string;
      readonly runId: string;
      /** The signal named in the tag, when it can be read. */
      readonly signal: string | null;
      readonly workspaceId: string;
    }
  | {
      readonly kind: 'dataset-drift';
      readonly eventId: string;
      readonly monitorName: string;
      readonly driftCoefficient: number | null;
      readonly workspaceId: string;
    }
  | { readonly kind: 'ignore'; readonly eventId: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly eventId: string | null; readonly reason: string };

/**
 * Classifies a Machine Learning Event Grid event: a failed model-monitor run carrying the breach tag, or a legacy
 * dataset drift, names the monitor Warden maps to a rule; anything else is ignored (with the reason).
 */
export function parseMlEvent(event: unknown): MlSignal {
  const id = getCi(event, 'id');
  const eventId = typeof id === 'string' && id.length > 0 ? id : null;
  if (!eventId) return { kind: 'invalid', eventId: null, reason: 'the event has no id' };
  const type = getCi(event, 'eventType') ?? getCi(event, 'type');
  const topic = getCi(event, 'topic') ?? getCi(event, 'source');
  const workspaceId = typeof topic === 'string' ? topic : '';
  const data = getCi(event, 'data');
  if (typeof data !== 'object' || data === null)
    return { kind: 'invalid', eventId, reason: 'the event has no data object' };
  if (type === RUN_STATUS_CHANGED) {
    const tags = getCi(data, 'runTags');
    const tag = getCi(tags, MODEL_MONITOR_TAG);
    const status = getCi(data, 'runStatus');
    if (typeof tag !== 'string' || tag.length === 0)
      return { kind: 'ignore', eventId, reason: `run status ${String(status)} without the model-monitor breach tag` };
    const name = getCi(data, 'experimentName');
    if (typeof name !== 'string' || name.length === 0)
      return { kind: 'invalid', eventId, reason: 'a model-monitor breach without experimentName (the monitor)' };
    const runId = getCi(data, 'runId');
    const signal = /The signal '([^']{1,200})'/.exec(tag)?.[1] ?? null;
    return {
      kind: 'monitor-breach',
      eventId,
      monitorName: name,
      runId: typeof runId === 'string' ? runId : '',
      signal,
      workspaceId,
    };
  }
  if (type === DATASET_DRIFT_DETECTED) {
    const name = getCi(data, 'DataDriftName');
    if (typeof name !== 'string' || name.length === 0)
      return { kind: 'invalid', eventId, reason: 'DatasetDriftDetected without DataDriftName' };
    const c = getCi(data, 'DriftCoefficient');
    const coefficient = typeof c === 'number' ? c : typeof c === 'string' && c.trim() !== '' ? Number(c) : null;
    return {
      kind: 'dataset-drift',
      eventId,
      monitorName: name,
      driftCoefficient: coefficient !== null && Number.isFinite(coefficient) ? coefficient : null,
      workspaceId,
    };
  }
  return { kind: 'ignore', eventId, reason: `event type ${String(type)} is not a model signal` };
}

/** The online endpoint an ARM id is, or lies under (`…/onlineEndpoints/{name}[/deployments/…]`). */
export function onlineEndpointOf(resourceId: string): string | undefined {
  const m =
    /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.MachineLearningServices\/workspaces\/[^/]+\/onlineEndpoints\/[^/]+)(\/.*)?$/i.exec(
      resourceId.replace(/\/+$/, ''),
    );
  return m?.[1];
}

/** Same ARM id, compared case-insensitively. */
export function sameArmId(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}
