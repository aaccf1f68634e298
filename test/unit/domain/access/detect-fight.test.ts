import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { detectFights, type RevertRecord } from '../../../../shared/domain/access/detect-fight';
import type {
  PlannedExemption,
  PlannedNetworkRule,
  PlannedPolicy,
  PlannedScope,
} from '../../../../shared/domain/access/planned-rows';
import type { AccessPolicy } from '../../../../shared/domain/metadata/access-policy.schema';
import type { Exemption } from '../../../../shared/domain/metadata/exemption.schema';
import type { ManagedScope } from '../../../../shared/domain/metadata/managed-scope.schema';
import type { NetworkRule } from '../../../../shared/domain/metadata/network-rule.schema';

const now = new Date('2026-11-25T12:01:00.000Z');
const at = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const reverts = (key: string, seconds: number[]): RevertRecord[] => seconds.map((s) => ({ driftKey: key, at: at(s) }));
const settings = { threshold: 5, windowMs: 60_000 };

describe('detectFights', () => {
  test('five reverts of one drift within a minute trip the breaker', () => {
    const fights = detectFights(reverts('a', [50, 40, 30, 20, 10]), settings, now);
    assert.equal(fights.length, 1);
    assert.equal(fights[0]?.driftKey, 'a');
    assert.equal(fights[0]?.reverts, 5);
    assert.match(fights[0]?.reason ?? '', /reverted 5 times .* until a human decides/);
  });
  test('four in the window, or five spread beyond it, do not', () => {
    assert.deepEqual(detectFights(reverts('a', [50, 40, 30, 20]), settings, now), []);
    assert.deepEqual(detectFights(reverts('a', [120, 50, 40, 30, 20]), settings, now), []);
  });
  test('different drifts are counted apart', () => {
    assert.deepEqual(detectFights([...reverts('a', [1, 2, 3]), ...reverts('b', [4, 5])], settings, now), []);
  });
  test('reverts before a human reset do not count', () => {
    assert.deepEqual(detectFights(reverts('a', [50, 40, 30, 20, 10]), settings, now, { a: at(25) }), []);
  });
  test('bad settings and unparseable times', () => {
    assert.throws(() => detectFights([], { threshold: 0, windowMs: 1 }, now), /threshold/);
    assert.throws(() => detectFights([], { threshold: 1, windowMs: 0 }, now), /window/);
    assert.deepEqual(detectFights([{ driftKey: 'a', at: 'never' }], { threshold: 1, windowMs: 1000 }, now), []);
  });
});

describe('planned rows', () => {
  test('the row schemas stay assignable to the planners’ structural row types (compile-time check)', () => {
    const check = <_A extends B, B>(): true => true;
    assert.equal(check<AccessPolicy, PlannedPolicy>(), true);
    assert.equal(check<ManagedScope, PlannedScope>(), true);
    assert.equal(check<Exemption, PlannedExemption>(), true);
    assert.equal(check<NetworkRule, PlannedNetworkRule>(), true);
  });
});
