/**
 * `AlertRulesPort` on `@azure/arm-monitor` 8.0.0: metric alerts (2026-01-01; static threshold, one window — Warden
 * enforces N of M itself) and log search alerts V2 (scheduledQueryRules 2025-01-01-preview; failing periods native).
 */
import { type MetricAlertResource, MonitorClient, type ScheduledQueryRuleResource } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/identity';

import { canonicalJson } from '../../domain/canonical-json';
import type { AlertRule } from '../../domain/metadata/alert-rule.schema';
import { monitorRuleName } from '../../domain/models/signals';
import type { AlertRulesPort, AlertRuleSync } from '../ports/alert-rules.port';
import { ARM_AUDIENCE, armErrorInfo, toWardenError } from './arm-clients';

export interface MonitorAlertRulesOptions {
  readonly credential: TokenCredential;
  readonly endpoint: string;
  readonly tlsCa?: string;
}

function scopeParts(id: string): { subscription: string; resourceGroup: string } {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\//i.exec(id);
  if (!m?.[1] || !m[2]) throw new Error(`not a resource-group scoped ARM id: ${id}`);
  return { subscription: m[1], resourceGroup: m[2] };
}

function ruleIdParts(id: string): { subscription: string; resourceGroup: string; kind: string; name: string } {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/(metricAlerts|scheduledQueryRules)\/([^/]+)$/i.exec(
      id,
    );
  if (!m?.[1] || !m[2] || !m[3] || !m[4]) throw new Error(`not a Monitor alert rule id: ${id}`);
  return { subscription: m[1], resourceGroup: m[2], kind: m[3].toLowerCase(), name: m[4] };
}

/** The Azure location of a log search rule: Monitor wants the scope's region; `global` is refused for them. */
const LOG_RULE_LOCATION_FALLBACK = 'westeurope';

export class AzureMonitorAlertRules implements AlertRulesPort {
  private readonly clients = new Map<string, MonitorClient>();

  constructor(
    private readonly options: MonitorAlertRulesOptions,
    /** The region of a resource (log search rules live in their scope's region). */
    private readonly regionOf: (resourceId: string) => Promise<string | undefined> = () => Promise.resolve(undefined),
  ) {}

  private client(subscription: string): MonitorClient {
    let c = this.clients.get(subscription.toLowerCase());
    if (!c) {
      c = new MonitorClient(this.options.credential, subscription, {
        endpoint: this.options.endpoint.replace(/\/+$/, ''),
        credentials: { scopes: [`${ARM_AUDIENCE}/.default`] },
        retryOptions: { maxRetries: 3 },
        ...(this.options.tlsCa !== undefined ? { tlsOptions: { ca: this.options.tlsCa } } : {}),
      });
      this.clients.set(subscription.toLowerCase(), c);
    }
    return c;
  }

  candidateIds(ruleId: string, target: string): readonly string[] {
    const { subscription, resourceGroup } = scopeParts(target);
    const base = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights`;
    return [
      `${base}/metricAlerts/${monitorRuleName(ruleId)}`,
      `${base}/scheduledQueryRules/${monitorRuleName(ruleId)}`,
    ];
  }

  async upsert(rule: AlertRule, actionGroupId: string): Promise<AlertRuleSync> {
    const { subscription, resourceGroup } = scopeParts(rule.target);
    const name = monitorRuleName(rule.id);
    const c = this.client(subscription);
    const base = `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights`;
    const description = `Warden alert rule ${rule.id} (model ${rule.model_id}); managed by Warden — edit alert_rules instead`;
    const custom = { wardenRuleId: rule.id };
    if (rule.source.kind === 'metrics') {
      const desired: MetricAlertResource = {
        location: 'global',
        tags: { 'warden.rule': rule.id },
        description,
        severity: rule.severity,
        enabled: true,
        scopes: [rule.target],
        evaluationFrequency: rule.frequency,
        windowSize: rule.window,
        criteria: {
          odataType: 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
          allOf: [
            {
              criterionType: 'StaticThresholdCriterion',
              name: 'c1',
              metricName: rule.source.metric,
              metricNamespace: rule.source.namespace,
              operator: rule.operator,
              threshold: rule.threshold,
              timeAggregation: rule.source.aggregation,
              dimensions: [],
              skipMetricValidation: true,
            },
          ],
        },
        autoMitigate: true,
        actions: [{ actionGroupId, webHookProperties: custom }],
      };
      const id = `${base}/metricAlerts/${name}`;
      try {
        const existing = await this.getOrUndefined(() => c.metricAlerts.get(resourceGroup, name));
        if (existing && canonicalJson(metricFingerprint(existing)) === canonicalJson(metricFingerprint(desired)))
          return { monitorRuleId: id, kind: 'metricAlert', action: 'unchanged' };
        // A rule of the other kind under the same name (the row's source changed) goes.
        await this.deleteIfPresent(`${base}/scheduledQueryRules/${name}`);
        await c.metricAlerts.createOrUpdate(resourceGroup, name, desired);
        return { monitorRuleId: id, kind: 'metricAlert', action: existing ? 'updated' : 'created' };
      } catch (e) {
        throw toWardenError(e, 'sync metric alert rule', id);
      }
    }
    const scope = rule.source.workspace ?? rule.target;
    const desired: ScheduledQueryRuleResource = {
      location: (await this.regionOf(scope)) ?? LOG_RULE_LOCATION_FALLBACK,
      kind: 'LogAlert',
      tags: { 'warden.rule': rule.id },
      description,
      severity: rule.severity,
      enabled: true,
      scopes: [scope],
      evaluationFrequency: rule.frequency,
      windowSize: rule.window,
      criteria: {
        allOf: [
          {
            query: rule.source.query,
            timeAggregation: 'Average',
            metricMeasureColumn: 'value',
            dimensions: [],
            operator: rule.operator,
            threshold: rule.threshold,
            failingPeriods: {
              numberOfEvaluationPeriods: rule.failing_periods.of_last,
              minFailingPeriodsToAlert: rule.failing_periods.min_failing,
            },
          },
        ],
      },
      autoMitigate: true,
      actions: { actionGroups: [actionGroupId], customProperties: custom },
    };
    const id = `${base}/scheduledQueryRules/${name}`;
    try {
      const existing = await this.getOrUndefined(() => c.scheduledQueryRules.get(resourceGroup, name));
      if (existing && canonicalJson(logFingerprint(existing)) === canonicalJson(logFingerprint(desired)))
        return { monitorRuleId: id, kind: 'scheduledQueryRule', action: 'unchanged' };
      await this.deleteIfPresent(`${base}/metricAlerts/${name}`);
      await c.scheduledQueryRules.createOrUpdate(resourceGroup, name, desired);
      return { monitorRuleId: id, kind: 'scheduledQueryRule', action: existing ? 'updated' : 'created' };
    } catch (e) {
      throw toWardenError(e, 'sync log search alert rule', id);
    }
  }

  async delete(monitorRuleId: string): Promise<'deleted' | 'absent'> {
    try {
      return (await this.deleteIfPresent(monitorRuleId)) ? 'deleted' : 'absent';
    } catch (e) {
      throw toWardenError(e, 'delete alert rule', monitorRuleId);
    }
  }

  private async deleteIfPresent(id: string): Promise<boolean> {
    const p = ruleIdParts(id);
    const c = this.client(p.subscription);
    if (p.kind === 'metricalerts') {
      if (!(await this.getOrUndefined(() => c.metricAlerts.get(p.resourceGroup, p.name)))) return false;
      await c.metricAlerts.delete(p.resourceGroup, p.name);
      return true;
    }
    if (!(await this.getOrUndefined(() => c.scheduledQueryRules.get(p.resourceGroup, p.name)))) return false;
    await c.scheduledQueryRules.delete(p.resourceGroup, p.name);
    return true;
  }

  private async getOrUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
    try {
      return await get();
    } catch (e) {
      if (armErrorInfo(e).status === 404) return undefined;
      throw e;
    }
  }
}

/** The fields Warden owns on a metric alert (compared to tell `unchanged`). */
function metricFingerprint(r: MetricAlertResource): unknown {
  const c = r.criteria as { odataType?: string; allOf?: Record<string, unknown>[] };
  return {
    severity: r.severity,
    enabled: r.enabled,
    scopes: (r.scopes ?? []).map((s) => s.toLowerCase()),
    evaluationFrequency: r.evaluationFrequency,
    windowSize: r.windowSize,
    odataType: c.odataType,
    allOf: (c.allOf ?? []).map((a) => ({
      metricName: a.metricName,
      metricNamespace: a.metricNamespace,
      operator: a.operator,
      threshold: a.threshold,
      timeAggregation: a.timeAggregation,
    })),
    actions: (r.actions ?? []).map((a) => ({ id: a.actionGroupId?.toLowerCase(), p: a.webHookProperties ?? {} })),
  };
}

function logFingerprint(r: ScheduledQueryRuleResource): unknown {
  return {
    severity: r.severity,
    enabled: r.enabled,
    scopes: (r.scopes ?? []).map((s) => s.toLowerCase()),
    evaluationFrequency: r.evaluationFrequency,
    windowSize: r.windowSize,
    allOf: (r.criteria?.allOf ?? []).map((a) => ({
      query: a.query,
      operator: a.operator,
      threshold: a.threshold,
      failingPeriods: a.failingPeriods,
    })),
    actions: {
      groups: (r.actions?.actionGroups ?? []).map((g) => g.toLowerCase()),
      custom: r.actions?.customProperties ?? {},
    },
  };
}
