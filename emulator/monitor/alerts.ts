/**
 * Alerting: evaluation of enabled static-threshold metric alert rules on the emulator clock, the admin "fire" call
 * for any rule (metric or log search V2), and the common alert schema payloads (§5.4) handed to the action groups'
 * webhook receivers.
 *
 * @remarks
 * A metric rule is evaluated every `evaluationFrequency` (emulator time), aggregating the ingested points of each
 * scope over the last `windowSize` with each condition's `timeAggregation`; dimensions with `Include ['*']` split
 * the evaluation into one series per value (any series breaching makes the condition hold). All conditions must
 * hold to fire. State changes only: `Fired` once when the rule starts holding, `Resolved` once when it stops and
 * `autoMitigate` is true. An evaluation without any data changes nothing. Log search rules run no KQL here: they
 * fire only through the admin call.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

import { normalizeId, parseId } from '../arm/ids';
import { ACTION_GROUP_TYPE, durationMs, METRIC_ALERT_TYPE, SCHEDULED_QUERY_RULE_TYPE } from '../arm/providers/monitor';
import { obj, text } from '../arm/providers/types';
import type { ArmService } from '../arm/service';
import type { ResourceEnvelope } from '../arm/store';
import { armError } from '../core/errors';
import type { EmulatorContext } from '../core/module';
import type { Deliveries } from './delivery';
import { aggregate, type Aggregation, dimValue, type MetricPoint, type MetricStore } from './metrics';

export type MonitorCondition = 'Fired' | 'Resolved';

interface AlertState {
  ruleId: string;
  condition: MonitorCondition;
  alertId: string;
  firedAt: string;
  lastEvalMs: number;
}

/** What one condition evaluated to (for the payload). */
export interface ConditionResult {
  criterion: Record<string, unknown>;
  metricValue: number;
  dimensions: Array<{ name: string; value: string }>;
}

const OPS: Record<string, (v: number, t: number) => boolean> = {
  Equals: (v, t) => v === t,
  GreaterThan: (v, t) => v > t,
  GreaterThanOrEqual: (v, t) => v >= t,
  LessThan: (v, t) => v < t,
  LessThanOrEqual: (v, t) => v <= t,
};

export class Alerts {
  constructor(
    private readonly ctx: EmulatorContext,
    private readonly arm: ArmService,
    private readonly metrics: MetricStore,
    private readonly deliveries: Deliveries,
  ) {}

  static migrate(db: DatabaseSync): void {
    db.exec(`CREATE TABLE IF NOT EXISTS monitor_alert_state (
      rule_id TEXT PRIMARY KEY COLLATE NOCASE, condition TEXT NOT NULL, alert_id TEXT NOT NULL, fired_at TEXT NOT NULL,
      last_eval_ms INTEGER NOT NULL)`);
  }

  private state(ruleId: string): AlertState | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM monitor_alert_state WHERE rule_id = ?').get(ruleId) as
      Record<string, unknown> | undefined;
    return r
      ? {
          ruleId: String(r.rule_id),
          condition: String(r.condition) as MonitorCondition,
          alertId: String(r.alert_id),
          firedAt: String(r.fired_at),
          lastEvalMs: Number(r.last_eval_ms),
        }
      : undefined;
  }

  private saveState(s: AlertState): void {
    this.ctx.db
      .prepare(
        `INSERT INTO monitor_alert_state (rule_id, condition, alert_id, fired_at, last_eval_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(rule_id) DO UPDATE SET condition = excluded.condition, alert_id = excluded.alert_id,
         fired_at = excluded.fired_at, last_eval_ms = excluded.last_eval_ms`,
      )
      .run(s.ruleId, s.condition, s.alertId, s.firedAt, s.lastEvalMs);
  }

  private rules(type: string): ResourceEnvelope[] {
    // Only this type's rows (the ARM table can hold many resources; this runs every poll).
    return (
      this.ctx.db
        .prepare('SELECT envelope FROM arm_resources WHERE type = ? COLLATE NOCASE ORDER BY key')
        .all(type) as Array<{ envelope: string }>
    ).map((r) => JSON.parse(r.envelope) as ResourceEnvelope);
  }

  // ---------------------------------------------------------------- evaluation

  /**
   * Evaluates every enabled static metric rule whose evaluation is due on the emulator clock; with `force`, every
   * such rule (or only `ruleId`) now, whatever its schedule (the admin `evaluate` call).
   */
  evaluateDue(force = false, ruleId?: string): number {
    const now = this.ctx.clock.now();
    let evaluated = 0;
    for (const rule of this.rules(METRIC_ALERT_TYPE)) {
      if (ruleId !== undefined && rule.id.toLowerCase() !== normalizeId(ruleId).toLowerCase()) continue;
      const p = obj(rule.properties);
      if (p.enabled !== true) continue;
      const freq = durationMs(p.evaluationFrequency);
      const win = durationMs(p.windowSize);
      const allOf = obj(p.criteria).allOf;
      if (!freq || !win || !Array.isArray(allOf) || allOf.length === 0) continue;
      if (!allOf.every((c) => obj(c).criterionType === 'StaticThresholdCriterion')) continue;
      let state = this.state(rule.id);
      if (!state) {
        // First sight of the rule: its first evaluation is one frequency after it was written.
        const since = Date.parse(text(p.lastUpdatedTime ?? '')) || now;
        state = { ruleId: rule.id, condition: 'Resolved', alertId: '', firedAt: '', lastEvalMs: since };
        this.saveState(state);
      }
      if (!force && now - state.lastEvalMs < freq) continue;
      state.lastEvalMs = now;
      evaluated += 1;
      const results = allOf.map((c) => this.evaluateCondition(obj(c), p.scopes, now - win, now));
      const noData = results.some((r) => r === 'nodata');
      const holds = !noData && results.every((r) => r !== 'nodata' && r.breached);
      if (holds && state.condition !== 'Fired') {
        const conds = results.map((r) => (r as { result: ConditionResult }).result);
        state.condition = 'Fired';
        state.alertId = randomUUID();
        state.firedAt = new Date(now).toISOString();
        this.saveState(state);
        this.ctx.log('monitor.alert.fired', { rule: rule.name });
        this.dispatch(rule, 'Fired', state, conds, now - win, now);
      } else if (!noData && !holds && state.condition === 'Fired' && p.autoMitigate !== false) {
        const conds = results.map((r) => (r as { result: ConditionResult }).result);
        state.condition = 'Resolved';
        this.saveState(state);
        this.ctx.log('monitor.alert.resolved', { rule: rule.name });
        this.dispatch(rule, 'Resolved', state, conds, now - win, now);
      } else {
        this.saveState(state);
      }
    }
    return evaluated;
  }

  /** One condition over the window: the breaching series (or the last series seen when none breaches). */
  private evaluateCondition(
    c: Record<string, unknown>,
    scopes: unknown,
    fromMs: number,
    toMs: number,
  ): 'nodata' | { breached: boolean; result: ConditionResult } {
    const metric = text(c.metricName);
    const ns = typeof c.metricNamespace === 'string' && c.metricNamespace ? c.metricNamespace : undefined;
    const agg = text(c.timeAggregation).toLowerCase() as Aggregation;
    const threshold = Number(c.threshold);
    const op = OPS[text(c.operator)];
    if (!op || Number.isNaN(threshold)) return 'nodata';
    const dims = (Array.isArray(c.dimensions) ? c.dimensions : []).map((d) => obj(d));
    let points: MetricPoint[] = [];
    for (const scope of Array.isArray(scopes) ? scopes : []) {
      if (typeof scope !== 'string') continue;
      points = points.concat(this.metrics.points(normalizeId(scope), ns, metric, fromMs, toMs));
    }
    points = points.filter((pt) =>
      dims.every((d) => {
        const values = Array.isArray(d.values) ? d.values.map(String) : [];
        if (values.includes('*')) return true;
        const v = dimValue(pt, text(d.name));
        const inList = v !== undefined && values.includes(v);
        return d.operator === 'Exclude' ? !inList : inList;
      }),
    );
    if (points.length === 0) return 'nodata';
    const split = dims.filter((d) => d.operator !== 'Exclude').map((d) => text(d.name));
    const groups = new Map<string, MetricPoint[]>();
    for (const pt of points) {
      const key = JSON.stringify(split.map((n) => dimValue(pt, n) ?? ''));
      groups.set(key, [...(groups.get(key) ?? []), pt]);
    }
    let last: ConditionResult | undefined;
    for (const [key, pts] of groups) {
      const value = aggregate(pts, agg);
      if (value === undefined) continue;
      const values = JSON.parse(key) as string[];
      const result: ConditionResult = {
        criterion: c,
        metricValue: value,
        dimensions: split.map((name, i) => ({ name, value: values[i] ?? '' })),
      };
      if (op(value, threshold)) return { breached: true, result };
      last = result;
    }
    return last ? { breached: false, result: last } : 'nodata';
  }

  // ---------------------------------------------------------------- admin fire

  /** `POST /admin/monitor/alerts/fire`: fires or resolves any metric or log search rule now. */
  fire(body: unknown): { alertId: string; deliveries: string[] } {
    const b = obj(body);
    if (typeof b.ruleId !== 'string' || !b.ruleId) throw armError(400, 'BadRequest', "'ruleId' is required.");
    if (b.monitorCondition !== 'Fired' && b.monitorCondition !== 'Resolved') {
      throw armError(400, 'BadRequest', "'monitorCondition' must be 'Fired' or 'Resolved'.");
    }
    if (b.metricValue !== undefined && (typeof b.metricValue !== 'number' || !Number.isFinite(b.metricValue))) {
      throw armError(400, 'BadRequest', "'metricValue' must be a number.");
    }
    if (b.dimensions !== undefined && !Array.isArray(b.dimensions)) {
      throw armError(400, 'BadRequest', "'dimensions' must be an array of {name, value}.");
    }
    const rule = this.arm.store.getResource(normalizeId(b.ruleId));
    const kind = rule?.type.toLowerCase();
    if (!rule || (kind !== METRIC_ALERT_TYPE.toLowerCase() && kind !== SCHEDULED_QUERY_RULE_TYPE.toLowerCase())) {
      throw armError(404, 'ResourceNotFound', `No metric alert or scheduled query rule '${b.ruleId}' exists.`);
    }
    const condition = b.monitorCondition;
    const now = this.ctx.clock.now();
    const p = obj(rule.properties);
    const win = durationMs(p.windowSize) ?? 300_000;
    let state = this.state(rule.id);
    if (condition === 'Fired' || !state || !state.alertId) {
      state = {
        ruleId: rule.id,
        condition,
        alertId: condition === 'Fired' || !state?.alertId ? randomUUID() : state.alertId,
        firedAt: new Date(now).toISOString(),
        lastEvalMs: state?.lastEvalMs ?? now,
      };
    } else {
      state.condition = condition;
    }
    this.saveState(state);
    const dims = (Array.isArray(b.dimensions) ? b.dimensions : []).map((d) => ({
      name: text(obj(d).name),
      value: text(obj(d).value),
    }));
    const allOf = Array.isArray(obj(p.criteria).allOf) ? (obj(p.criteria).allOf as unknown[]) : [];
    const conds: ConditionResult[] = allOf.map((c) => ({
      criterion: obj(c),
      metricValue: typeof b.metricValue === 'number' ? b.metricValue : Number(obj(c).threshold ?? 0),
      dimensions: dims,
    }));
    const deliveries = this.dispatch(rule, condition, state, conds, now - win, now);
    this.ctx.log('monitor.alert.admin', { rule: rule.name, condition });
    return {
      alertId: `/subscriptions/${this.ctx.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${state.alertId}`,
      deliveries,
    };
  }

  // ---------------------------------------------------------------- payload and dispatch

  private dispatch(
    rule: ResourceEnvelope,
    condition: MonitorCondition,
    state: AlertState,
    conds: ConditionResult[],
    fromMs: number,
    toMs: number,
  ): string[] {
    const p = obj(rule.properties);
    const isLog = rule.type.toLowerCase() === SCHEDULED_QUERY_RULE_TYPE.toLowerCase();
    const targets: Array<{ groupId: string; custom: Record<string, string> }> = [];
    if (isLog) {
      const a = obj(p.actions);
      const custom = { ...(obj(a.customProperties) as Record<string, string>) };
      for (const g of Array.isArray(a.actionGroups) ? a.actionGroups : []) {
        if (typeof g === 'string') targets.push({ groupId: g, custom });
      }
    } else {
      for (const a of Array.isArray(p.actions) ? p.actions : []) {
        const action = obj(a);
        if (typeof action.actionGroupId !== 'string') continue;
        targets.push({
          groupId: action.actionGroupId,
          custom: {
            ...(obj(p.customProperties) as Record<string, string>),
            ...(obj(action.webHookProperties) as Record<string, string>),
          },
        });
      }
    }
    const ids: string[] = [];
    for (const t of targets) {
      const group = this.arm.store.getResource(normalizeId(t.groupId));
      if (!group || group.type.toLowerCase() !== ACTION_GROUP_TYPE.toLowerCase()) {
        this.ctx.log('monitor.alert.actiongroup.missing', { rule: rule.name, actionGroup: t.groupId });
        continue;
      }
      const gp = obj(group.properties);
      if (gp.enabled === false) continue;
      const payload = buildPayload({
        subscriptionId: this.ctx.subscriptionId,
        rule,
        condition,
        alertGuid: state.alertId,
        firedAt: state.firedAt,
        resolvedAt: condition === 'Resolved' ? new Date(toMs).toISOString() : undefined,
        conds,
        windowStart: new Date(fromMs).toISOString(),
        windowEnd: new Date(toMs).toISOString(),
        customProperties: t.custom,
      });
      for (const w of Array.isArray(gp.webhookReceivers) ? gp.webhookReceivers : []) {
        const rec = obj(w);
        if (typeof rec.serviceUri !== 'string') continue;
        ids.push(
          this.deliveries.enqueue({
            alertId: text(obj(obj(payload.data).essentials).alertId),
            ruleId: rule.id,
            ruleName: rule.name,
            monitorCondition: condition,
            actionGroupId: group.id,
            receiver: text(rec.name),
            serviceUri: rec.serviceUri,
            useAadAuth: rec.useAadAuth === true,
            ...(typeof rec.identifierUri === 'string' ? { identifierUri: rec.identifierUri } : {}),
            payload,
          }),
        );
      }
    }
    this.deliveries.pump();
    return ids;
  }
}

export interface PayloadInput {
  subscriptionId: string;
  rule: ResourceEnvelope;
  condition: MonitorCondition;
  alertGuid: string;
  firedAt: string;
  resolvedAt: string | undefined;
  conds: ConditionResult[];
  windowStart: string;
  windowEnd: string;
  customProperties: Record<string, string>;
}

/** The common alert schema (§5.4): metric alerts and log search alerts V2. */
export function buildPayload(i: PayloadInput): { schemaId: string; data: Record<string, unknown> } {
  const p = obj(i.rule.properties);
  const isLog = i.rule.type.toLowerCase() === SCHEDULED_QUERY_RULE_TYPE.toLowerCase();
  const scopes = (Array.isArray(p.scopes) ? p.scopes : []).filter((s): s is string => typeof s === 'string');
  const parsed = parseId(i.rule.id);
  const origin = createHash('sha256').update(`${i.rule.id}|${i.alertGuid}`).digest('hex').slice(0, 40);
  const custom = Object.keys(i.customProperties).length ? i.customProperties : null;
  const essentials: Record<string, unknown> = {
    alertId: `/subscriptions/${i.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${i.alertGuid}`,
    alertRule: i.rule.name,
    severity: `Sev${typeof p.severity === 'number' ? p.severity : 3}`,
    signalType: isLog ? 'Log' : 'Metric',
    monitorCondition: i.condition,
    monitoringService: isLog ? 'Log Alerts V2' : 'Platform',
    alertTargetIDs: scopes.map((s) => s.toLowerCase()),
    configurationItems: scopes.map((s) => s.split('/').filter(Boolean).pop() ?? s),
    originAlertId:
      `${i.subscriptionId}_${parsed?.resourceGroup ?? ''}_${isLog ? 'microsoft.insights_scheduledqueryrules' : 'microsoft.insights_metricalerts'}_${i.rule.name}_${origin}`.toLowerCase(),
    firedDateTime: i.firedAt,
    ...(i.resolvedAt ? { resolvedDateTime: i.resolvedAt } : {}),
    description: text(p.description ?? ''),
    essentialsVersion: '1.0',
    alertContextVersion: '1.0',
  };
  let alertContext: Record<string, unknown>;
  if (isLog) {
    const targetTypes = Array.isArray(p.targetResourceTypes)
      ? p.targetResourceTypes.map(String)
      : [...new Set(scopes.map((s) => parseId(s)?.resourceType ?? ''))].filter(Boolean);
    alertContext = {
      properties: custom ?? {},
      conditionType: 'LogQueryCriteria',
      condition: {
        windowSize: text(p.windowSize ?? ''),
        allOf: i.conds.map((c) => {
          const cr = c.criterion;
          const q = encodeURIComponent(text(cr.query ?? ''));
          const ws = scopes[0] ?? '';
          return {
            searchQuery: text(cr.query ?? ''),
            metricMeasureColumn: cr.metricMeasureColumn ?? null,
            targetResourceTypes: `[${targetTypes.map((t) => `'${t}'`).join(',')}]`,
            operator: text(cr.operator ?? ''),
            threshold: text(cr.threshold ?? ''),
            timeAggregation: text(cr.timeAggregation ?? 'Count'),
            dimensions: c.dimensions,
            metricValue: c.metricValue,
            failingPeriods: obj(cr.failingPeriods).numberOfEvaluationPeriods
              ? cr.failingPeriods
              : { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            linkToSearchResultsUI: `https://portal.azure.com#@/blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/source/Alerts.EmailLinks/scope/${encodeURIComponent(ws)}/q/${q}`,
            linkToFilteredSearchResultsUI: `https://portal.azure.com#@/blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/source/Alerts.EmailLinks/scope/${encodeURIComponent(ws)}/q/${q}`,
            linkToSearchResultsAPI: `https://api.loganalytics.io/v1${ws}/query?query=${q}`,
            linkToFilteredSearchResultsAPI: `https://api.loganalytics.io/v1${ws}/query?query=${q}`,
          };
        }),
        windowStartTime: i.windowStart,
        windowEndTime: i.windowEnd,
      },
    };
  } else {
    const odata = text(obj(p.criteria)['odata.type'] ?? '');
    const dynamic = i.conds.some((c) => c.criterion.criterionType === 'DynamicThresholdCriterion');
    alertContext = {
      properties: null,
      conditionType: dynamic ? 'DynamicThresholdCriteria' : odata.replace(/^Microsoft\.Azure\.Monitor\./, ''),
      condition: {
        windowSize: text(p.windowSize ?? ''),
        allOf: i.conds.map((c) => {
          const cr = c.criterion;
          return {
            metricName: text(cr.metricName ?? ''),
            metricNamespace: text(cr.metricNamespace ?? ''),
            operator: text(cr.operator ?? ''),
            threshold: text(cr.threshold ?? ''),
            timeAggregation: text(cr.timeAggregation ?? ''),
            dimensions: c.dimensions,
            metricValue: c.metricValue,
            ...(dynamic ? { alertSensitivity: cr.alertSensitivity, failingPeriods: cr.failingPeriods } : {}),
          };
        }),
        windowStartTime: i.windowStart,
        windowEndTime: i.windowEnd,
      },
    };
  }
  return { schemaId: 'azureMonitorCommonAlertSchema', data: { essentials, alertContext, customProperties: custom } };
}
