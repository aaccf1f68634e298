import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { checkRecovery, confirmBreach, meetsCondition, type MetricPoint } from '../../../shared/domain/models/breach';
import { checkBreaker } from '../../../shared/domain/models/circuit-breaker';

const t = (m: number) => new Date(Date.UTC(2026, 10, 25, 12, m)).toISOString();
const pts = (...values: (number | null)[]): MetricPoint[] => values.map((value, i) => ({ timeStamp: t(i * 5), value }));
const rule = (min: number, of: number, operator: 'LessThan' | 'GreaterThan' = 'LessThan', threshold = 0.9) => ({
  operator,
  threshold,
  failing_periods: { min_failing: min, of_last: of },
});

describe('meetsCondition', () => {
  test('each operator against the threshold, boundaries included', () => {
    assert.equal(meetsCondition(0.89, 'LessThan', 0.9), true);
    assert.equal(meetsCondition(0.9, 'LessThan', 0.9), false);
    assert.equal(meetsCondition(0.9, 'LessThanOrEqual', 0.9), true);
    assert.equal(meetsCondition(0.91, 'GreaterThan', 0.9), true);
    assert.equal(meetsCondition(0.9, 'GreaterThan', 0.9), false);
    assert.equal(meetsCondition(0.9, 'GreaterThanOrEqual', 0.9), true);
    assert.equal(meetsCondition(0.9, 'Equals', 0.9), true);
    assert.equal(meetsCondition(0.8, 'Equals', 0.9), false);
  });
});

describe('confirmBreach (N of M windows)', () => {
  test('2 of 2 windows below the threshold: confirmed', () => {
    const e = confirmBreach(pts(0.95, 0.85, 0.8), rule(2, 2));
    assert.equal(e.verdict, 'confirmed');
    assert.equal(e.failing, 2);
    assert.equal(e.examined, 2);
    assert.deepEqual(
      e.windows.map((w) => w.value),
      [0.85, 0.8],
    );
  });

  test('a single dip is not confirmed when 2 of 2 are required', () => {
    assert.equal(confirmBreach(pts(0.95, 0.95, 0.8), rule(2, 2)).verdict, 'unconfirmed');
  });

  test('missing data is never a breach; all missing is no-data', () => {
    const e = confirmBreach(pts(0.8, null), rule(2, 2));
    assert.equal(e.verdict, 'unconfirmed');
    assert.equal(e.failing, 1);
    assert.equal(confirmBreach(pts(null, null, null), rule(1, 3)).verdict, 'no-data');
    assert.equal(confirmBreach([], rule(1, 1)).verdict, 'no-data');
  });

  test('N of M met but the latest window recovered: flapping, not confirmed', () => {
    const e = confirmBreach(pts(0.8, 0.7, 0.95), rule(2, 3));
    assert.equal(e.failing, 2);
    assert.equal(e.verdict, 'flapping');
  });

  test('points arrive unordered and duplicated: ordered by time, the later duplicate wins', () => {
    const points: MetricPoint[] = [
      { timeStamp: t(10), value: 0.8 },
      { timeStamp: t(0), value: 0.99 },
      { timeStamp: t(5), value: 0.95 },
      { timeStamp: t(5), value: 0.85 },
    ];
    const e = confirmBreach(points, rule(2, 2));
    assert.equal(e.verdict, 'confirmed');
    assert.deepEqual(
      e.windows.map((w) => w.timeStamp),
      [t(5), t(10)],
    );
  });

  test('GreaterThan rules (latency, drift) and non-finite values', () => {
    assert.equal(confirmBreach(pts(0.1, 0.4, 0.5), rule(2, 3, 'GreaterThan', 0.3)).verdict, 'confirmed');
    assert.equal(confirmBreach(pts(Number.NaN, 0.5), rule(2, 2, 'GreaterThan', 0.3)).verdict, 'unconfirmed');
  });
});

describe('checkRecovery', () => {
  test('recovered only after the recovery windows all have healthy data', () => {
    assert.equal(checkRecovery(pts(0.8, 0.95, 0.96, 0.97), rule(1, 1), 3).recovered, true);
    assert.equal(checkRecovery(pts(0.95, 0.8, 0.96), rule(1, 1), 3).recovered, false);
  });
  test('a gap or too few windows is not recovery', () => {
    const gap = checkRecovery(pts(0.95, null, 0.96), rule(1, 1), 3);
    assert.equal(gap.recovered, false);
    assert.match(gap.reason, /without data/);
    assert.equal(checkRecovery(pts(0.95, 0.96), rule(1, 1), 3).recovered, false);
  });
});

describe('checkBreaker', () => {
  const now = new Date(t(60));
  const settings = { maxQuarantines: 3, windowMinutes: 60 };
  test('K quarantines in the window trip it; older ones do not count', () => {
    assert.equal(checkBreaker([t(10), t(20)], now, settings).tripped, false);
    const tripped = checkBreaker([t(10), t(20), t(30)], now, settings);
    assert.equal(tripped.tripped, true);
    assert.equal(tripped.recent, 3);
    const old = new Date(now.getTime() - 61 * 60_000).toISOString();
    assert.equal(checkBreaker([old, t(20), t(30)], now, settings).tripped, false);
  });
  test('a reset (approved by a human) discounts the quarantines before it', () => {
    assert.equal(checkBreaker([t(10), t(20), t(30)], now, settings, t(25)).tripped, false);
  });
});
