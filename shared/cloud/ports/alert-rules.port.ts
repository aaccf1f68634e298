import type { AlertRule } from '../../domain/metadata/alert-rule.schema';

/** What became of a sync. */
export interface AlertRuleSync {
  /** The Monitor rule's ARM id. */
  readonly monitorRuleId: string;
  readonly kind: 'metricAlert' | 'scheduledQueryRule';
  readonly action: 'created' | 'updated' | 'unchanged';
}

/**
 * The Azure Monitor alert rule of an `alert_rules` row: a metric alert (static threshold, one window) for metric
 * sources, a log search alert V2 (scheduledQueryRules, native failing periods) for log sources — named
 * `warden-<row id>`, in the target's resource group, notifying the given action group with `wardenRuleId` as a custom
 * property. Re-reads before writing (idempotent: an identical rule is left alone).
 */
export interface AlertRulesPort {
  upsert(rule: AlertRule, actionGroupId: string): Promise<AlertRuleSync>;
  /** Deletes a rule by its ARM id; `absent` when it did not exist. */
  delete(monitorRuleId: string): Promise<'deleted' | 'absent'>;
  /** The ARM ids the rule of row `ruleId` would have under `target` (both kinds), for deletes of unknown kind. */
  candidateIds(ruleId: string, target: string): readonly string[];
}
