/**
 * Breach confirmation (DESIGN.md quarantineModel): an alert is a hint; Warden reads the metric itself and confirms
 * the rule's condition held in N of the last M windows. Pure: the points come from the `Metrics` port.
 */
import type { AlertRule } from '../metadata/alert-rule.schema';

export type Operator = AlertRule['operator'];

/** One window's aggregated value; `null` when the window has no data (missing data is never a breach). */
export interface MetricPoint {
  /** Start of the window (ISO). */
  readonly timeStamp: string;
  readonly value: number | null;
}

/** Whether `value` meets the rule's condition (the condition describes the *bad* state, as Monitor's does). */
export function meetsCondition(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThan':
      return value > threshold;
    case 'GreaterThanOrEqual':
      return value >= threshold;
    case 'LessThan':
      return value < threshold;
    case 'LessThanOrEqual':
      return value <= threshold;
    case 'Equals':
      return value === threshold;
  }
}

export type BreachVerdict =
  /** N of the last M windows breach and the latest window with data still does. */
  | 'confirmed'
  /** Fewer than N windows breach. */
  | 'unconfirmed'
  /** N of M breach, but the latest window with data no longer does (the metric went back and forth). */
  | 'flapping'
  /** No window of the last M has data. */
  | 'no-data';

export interface BreachEvidence {
  readonly verdict: BreachVerdict;
  /** Windows that met the condition, of those examined. */
  readonly failing: number;
  readonly examined: number;
  readonly required: number;
  /** The examined windows, oldest first (value null = missing). */
  readonly windows: readonly { readonly timeStamp: string; readonly value: number | null; readonly breach: boolean }[];
  readonly condition: string;
}

export interface ConfirmationRule {
  readonly operator: Operator;
  readonly threshold: number;
  readonly failing_periods: { readonly min_failing: number; readonly of_last: number };
}

/**
 * Confirms a breach over the last `of_last` windows of `points` (sorted by time here; later duplicates of a
 * timestamp win). A window without a value counts as not breaching; a window whose value is not finite likewise.
 */
export function confirmBreach(points: readonly MetricPoint[], rule: ConfirmationRule): BreachEvidence {
  const byTime = new Map<string, number | null>();
  for (const p of points) byTime.set(new Date(p.timeStamp).toISOString(), p.value);
  const ordered = [...byTime.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const M = rule.failing_periods.of_last;
  const N = rule.failing_periods.min_failing;
  const last = ordered.slice(-M).map(([timeStamp, value]) => {
    const v = value !== null && Number.isFinite(value) ? value : null;
    return { timeStamp, value: v, breach: v !== null && meetsCondition(v, rule.operator, rule.threshold) };
  });
  const failing = last.filter((w) => w.breach).length;
  const withData = last.filter((w) => w.value !== null);
  const latest = withData[withData.length - 1];
  const verdict: BreachVerdict =
    withData.length === 0 ? 'no-data' : failing < N ? 'unconfirmed' : latest?.breach ? 'confirmed' : 'flapping';
  return {
    verdict,
    failing,
    examined: last.length,
    required: N,
    windows: last,
    condition: `${rule.operator} ${rule.threshold} in ${N} of ${M} window(s)`,
  };
}

export interface RecoveryEvidence {
  readonly recovered: boolean;
  readonly windows: readonly { readonly timeStamp: string; readonly value: number | null; readonly breach: boolean }[];
  readonly reason: string;
}

/**
 * Recovery: the last `recoveryWindows` windows all have data and none meets the condition. Missing data is not
 * recovery (a silent pipeline must not release a quarantined model).
 */
export function checkRecovery(
  points: readonly MetricPoint[],
  rule: Pick<ConfirmationRule, 'operator' | 'threshold'>,
  recoveryWindows: number,
): RecoveryEvidence {
  const byTime = new Map<string, number | null>();
  for (const p of points) byTime.set(new Date(p.timeStamp).toISOString(), p.value);
  const windows = [...byTime.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .slice(-recoveryWindows)
    .map(([timeStamp, value]) => {
      const v = value !== null && Number.isFinite(value) ? value : null;
      return { timeStamp, value: v, breach: v === null || meetsCondition(v, rule.operator, rule.threshold) };
    });
  if (windows.length < recoveryWindows)
    return { recovered: false, windows, reason: `only ${windows.length} of ${recoveryWindows} window(s) examined` };
  const missing = windows.filter((w) => w.value === null).length;
  if (missing > 0) return { recovered: false, windows, reason: `${missing} window(s) without data` };
  const bad = windows.filter((w) => w.breach).length;
  if (bad > 0) return { recovered: false, windows, reason: `${bad} of ${recoveryWindows} window(s) still breach` };
  return { recovered: true, windows, reason: `${recoveryWindows} healthy window(s) in a row` };
}
