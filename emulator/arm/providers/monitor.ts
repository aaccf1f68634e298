/**
 * Microsoft.Insights: metric alert rules, log search alert rules V2 (scheduledQueryRules) and action groups, as
 * `@azure/arm-monitor` 8.0.0 manages them (§2.7). The Monitor module (`emulator/monitor/`) evaluates and fires the
 * rules and delivers to the action groups' webhooks; it also answers a metric alert PUT with 200 only (the SDK
 * refuses a 201).
 */
import type { ResourceContext, ResourceTypeSpec } from './types';
import { dflt, notOneOf, obj, propertiesOf, text } from './types';

export const METRIC_ALERT_TYPE = 'Microsoft.Insights/metricAlerts';
export const SCHEDULED_QUERY_RULE_TYPE = 'Microsoft.Insights/scheduledQueryRules';
export const ACTION_GROUP_TYPE = 'Microsoft.Insights/actionGroups';

export const OPERATORS = ['Equals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual'] as const;
export const TIME_AGGREGATIONS = ['Average', 'Count', 'Minimum', 'Maximum', 'Total'] as const;
const METRIC_CRITERIA = [
  'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
  'Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria',
  'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria',
  'Microsoft.Azure.Monitor.PromQLCriteria',
];

/** ISO 8601 durations as Monitor takes them (`PT1M`, `PT1H`, `P1D`). */
export function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(v.trim());
  if (!m || v.trim().toUpperCase() === 'P' || /T$/i.test(v.trim())) return undefined;
  const [, d, h, mi, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

function badDuration(v: unknown, field: string, required: boolean): string | undefined {
  if (v === undefined) return required ? `'${field}' is required.` : undefined;
  const ms = durationMs(v);
  return ms === undefined || ms <= 0
    ? `'${field}' must be an ISO 8601 duration such as PT5M (got ${text(v)}).`
    : undefined;
}

function badSeverity(v: unknown, required: boolean): string | undefined {
  if (v === undefined) return required ? "'severity' is required (0-4)." : undefined;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4 ? undefined : "'severity' must be 0-4.";
}

function badScopes(v: unknown, required: boolean): string | undefined {
  if (v === undefined) return required ? "'scopes' is required: the resource ids the rule watches." : undefined;
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.startsWith('/subscriptions/'))
    ? undefined
    : "'scopes' must be a non-empty array of resource ids.";
}

function badCondition(c: Record<string, unknown>, where: string, log: boolean): string | undefined {
  if (log && (typeof c.query !== 'string' || !c.query.trim())) return `${where}.query is required.`;
  if (!log && c.criterionType === 'StaticThresholdCriterion') {
    if (typeof c.name !== 'string' || !c.name) return `${where}.name is required.`;
    if (typeof c.metricName !== 'string' || !c.metricName) return `${where}.metricName is required.`;
    if (typeof c.threshold !== 'number') return `${where}.threshold must be a number.`;
  }
  if (log && c.threshold !== undefined && typeof c.threshold !== 'number')
    return `${where}.threshold must be a number.`;
  if (log && c.operator === undefined) return `${where}.operator is required.`;
  if (!log && c.criterionType === 'StaticThresholdCriterion' && c.operator === undefined) {
    return `${where}.operator is required.`;
  }
  const op =
    c.criterionType === 'DynamicThresholdCriterion'
      ? notOneOf(c.operator, `${where}.operator`, ['GreaterThan', 'LessThan', 'GreaterOrLessThan'])
      : notOneOf(c.operator, `${where}.operator`, OPERATORS);
  if (op) return op;
  const agg = notOneOf(c.timeAggregation, `${where}.timeAggregation`, TIME_AGGREGATIONS);
  if (agg) return agg;
  if (!log && c.timeAggregation === undefined && c.criterionType !== undefined) {
    return `${where}.timeAggregation is required.`;
  }
  if (c.dimensions !== undefined) {
    if (!Array.isArray(c.dimensions)) return `${where}.dimensions must be an array.`;
    for (const [i, raw] of c.dimensions.entries()) {
      const d = obj(raw);
      if (typeof d.name !== 'string' || !d.name) return `${where}.dimensions[${i}].name is required.`;
      const bad = notOneOf(d.operator, `${where}.dimensions[${i}].operator`, ['Include', 'Exclude']);
      if (bad) return bad;
      if (!Array.isArray(d.values) || !d.values.every((x) => typeof x === 'string')) {
        return `${where}.dimensions[${i}].values must be an array of strings ('*' for all).`;
      }
    }
  }
  if (c.failingPeriods !== undefined) {
    const f = obj(c.failingPeriods);
    const n = f.numberOfEvaluationPeriods;
    const m = f.minFailingPeriodsToAlert;
    if (typeof n !== 'number' || typeof m !== 'number' || !Number.isInteger(n) || !Number.isInteger(m)) {
      return `${where}.failingPeriods needs integer numberOfEvaluationPeriods and minFailingPeriodsToAlert.`;
    }
    if (n < 1 || n > 6 || m < 1 || m > n) {
      return `${where}.failingPeriods: 1 <= minFailingPeriodsToAlert <= numberOfEvaluationPeriods <= 6.`;
    }
  }
  return undefined;
}

export const metricAlerts: ResourceTypeSpec = {
  type: METRIC_ALERT_TYPE,
  apiVersions: ['2026-01-01', '2024-03-01-preview', '2018-03-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['lastUpdatedTime', 'isMigrated'],
  normalize(r, ctx: ResourceContext) {
    dflt(r, 'tags', {});
    const p = propertiesOf(r);
    dflt(p, 'enabled', true);
    dflt(p, 'autoMitigate', true);
    dflt(p, 'actions', []);
    dflt(p, 'scopes', []);
    dflt(p, 'description', '');
    p.lastUpdatedTime = ctx.now;
    p.isMigrated = false;
    return r;
  },
  validate(body, method) {
    const put = method === 'PUT';
    const p = obj(body.properties);
    if (put && body.properties === undefined) return "'properties' is required.";
    const checks = [
      badSeverity(p.severity, put),
      p.enabled !== undefined && typeof p.enabled !== 'boolean' ? "'enabled' must be a boolean." : undefined,
      badScopes(p.scopes, put),
      badDuration(p.evaluationFrequency, 'evaluationFrequency', put),
      badDuration(p.windowSize, 'windowSize', put),
    ];
    const first = checks.find((c) => c !== undefined);
    if (first) return first;
    if (p.criteria === undefined) return put ? "'criteria' is required." : undefined;
    const c = obj(p.criteria);
    const odata = notOneOf(c['odata.type'], "criteria['odata.type']", METRIC_CRITERIA);
    if (odata || c['odata.type'] === undefined) return odata ?? "criteria['odata.type'] is required.";
    if (c['odata.type'] !== 'Microsoft.Azure.Monitor.PromQLCriteria') {
      if (!Array.isArray(c.allOf) || c.allOf.length === 0) return "'criteria.allOf' must list at least one condition.";
      for (const [i, raw] of c.allOf.entries()) {
        const bad = badCondition(obj(raw), `criteria.allOf[${i}]`, false);
        if (bad) return bad;
      }
    }
    if (p.actions !== undefined) {
      if (!Array.isArray(p.actions)) return "'actions' must be an array.";
      for (const [i, a] of p.actions.entries()) {
        if (typeof obj(a).actionGroupId !== 'string') return `actions[${i}].actionGroupId is required.`;
      }
    }
    return undefined;
  },
};

export const scheduledQueryRules: ResourceTypeSpec = {
  type: SCHEDULED_QUERY_RULE_TYPE,
  apiVersions: ['2025-01-01-preview', '2023-12-01', '2023-03-15-preview', '2022-06-15', '2021-08-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: ['createdWithApiVersion', 'isLegacyLogAnalyticsRule', 'isWorkspaceAlertsStorageConfigured'],
  normalize(r, ctx) {
    r.type = 'microsoft.insights/scheduledqueryrules';
    dflt(r, 'tags', {});
    dflt(r, 'kind', 'LogAlert');
    r.etag = `"${ctx.newId()}"`;
    const p = propertiesOf(r);
    dflt(p, 'enabled', true);
    dflt(p, 'createdWithApiVersion', '2025-01-01-preview');
    p.isLegacyLogAnalyticsRule = false;
    dflt(p, 'isWorkspaceAlertsStorageConfigured', false);
    dflt(p, 'actions', { actionGroups: [], customProperties: {} });
    const criteria = obj(p.criteria);
    if (Array.isArray(criteria.allOf)) {
      for (const c of criteria.allOf) {
        const cond = obj(c);
        if (Array.isArray(cond.dimensions)) for (const d of cond.dimensions) dflt(obj(d), 'values', []);
      }
    }
    return r;
  },
  validate(body, method) {
    const put = method === 'PUT';
    const p = obj(body.properties);
    const kind = body.kind ?? 'LogAlert';
    const bad = notOneOf(kind, 'kind', ['LogAlert', 'SimpleLogAlert', 'LogToMetric']);
    if (bad) return bad;
    if (put && (p.scopes === undefined || p.criteria === undefined)) {
      return (
        'A log search alert rule needs properties.scopes and properties.criteria (the V2 API); a legacy ' +
        '2018-04-16 rule (source, schedule, action) is not accepted.'
      );
    }
    const logAlert = kind === 'LogAlert';
    const checks = [
      badSeverity(p.severity, put && logAlert),
      p.enabled !== undefined && typeof p.enabled !== 'boolean' ? "'enabled' must be a boolean." : undefined,
      badScopes(p.scopes, put),
      badDuration(p.evaluationFrequency, 'evaluationFrequency', put && logAlert),
      badDuration(p.windowSize, 'windowSize', put && logAlert),
      badDuration(p.muteActionsDuration, 'muteActionsDuration', false),
    ];
    const first = checks.find((c) => c !== undefined);
    if (first) return first;
    if (p.criteria !== undefined) {
      const c = obj(p.criteria);
      if (!Array.isArray(c.allOf) || c.allOf.length === 0) return "'criteria.allOf' must list at least one condition.";
      for (const [i, raw] of c.allOf.entries()) {
        const b = badCondition(obj(raw), `criteria.allOf[${i}]`, true);
        if (b) return b;
      }
    }
    if (p.actions !== undefined) {
      const a = obj(p.actions);
      if (
        a.actionGroups !== undefined &&
        !(Array.isArray(a.actionGroups) && a.actionGroups.every((x) => typeof x === 'string'))
      ) {
        return "'actions.actionGroups' must be an array of action group ids.";
      }
    }
    return undefined;
  },
};

const RECEIVER_LISTS = [
  'emailReceivers',
  'smsReceivers',
  'webhookReceivers',
  'itsmReceivers',
  'azureAppPushReceivers',
  'automationRunbookReceivers',
  'voiceReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'eventHubReceivers',
  'incidentReceivers',
];

/** Whether a webhook URI is acceptable: https anywhere, http only to the loopback (the local runtime). */
export function allowedServiceUri(uri: string): boolean {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return false;
  }
  if (u.protocol === 'https:') return true;
  return u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

export const actionGroups: ResourceTypeSpec = {
  type: ACTION_GROUP_TYPE,
  apiVersions: ['2024-10-01-preview', '2023-09-01-preview', '2023-01-01', '2022-06-01', '2021-09-01'],
  tracked: true,
  patch: 'merge',
  operations: ['read', 'write', 'delete'],
  readOnlyProperties: [],
  normalize(r) {
    r.type = 'Microsoft.Insights/ActionGroups';
    dflt(r, 'tags', {});
    const p = propertiesOf(r);
    dflt(p, 'enabled', true);
    for (const k of RECEIVER_LISTS) dflt(p, k, []);
    for (const w of p.webhookReceivers as unknown[]) {
      const rec = obj(w);
      dflt(rec, 'useCommonAlertSchema', false);
      dflt(rec, 'useAadAuth', false);
    }
    return r;
  },
  validate(body, method) {
    const p = obj(body.properties);
    if (method === 'PUT') {
      if (typeof p.groupShortName !== 'string' || !p.groupShortName || p.groupShortName.length > 12) {
        return "'groupShortName' is required (at most 12 characters).";
      }
      if (typeof p.enabled !== 'boolean') return "'enabled' is required (true or false).";
    }
    if (p.webhookReceivers !== undefined) {
      if (!Array.isArray(p.webhookReceivers)) return "'webhookReceivers' must be an array.";
      for (const [i, raw] of p.webhookReceivers.entries()) {
        const w = obj(raw);
        if (typeof w.name !== 'string' || !w.name) return `webhookReceivers[${i}].name is required.`;
        if (typeof w.serviceUri !== 'string' || !allowedServiceUri(w.serviceUri)) {
          return `webhookReceivers[${i}].serviceUri must be an https URL (http only to localhost/127.0.0.1 locally).`;
        }
        if (w.useAadAuth === true && (typeof w.identifierUri !== 'string' || !w.identifierUri)) {
          return `webhookReceivers[${i}]: a secure webhook (useAadAuth) needs identifierUri (the app's App ID URI).`;
        }
      }
    }
    return undefined;
  },
};

export const monitorTypes: readonly ResourceTypeSpec[] = [metricAlerts, scheduledQueryRules, actionGroups];
