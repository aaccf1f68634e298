import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_SUMMARY_STEPS, summarizePlan } from '../../../shared/commands/summarize-plan';

test('a dry-run plan is summarised to its verdict and at most 50 step keys, the rest counted', () => {
  const steps = Array.from({ length: 60 }, (_, i) => ({ key: `create|p-${i}`, principalId: `p-${i}`, extra: 'x' }));
  const s = summarizePlan({
    kind: 'access',
    target: '/subscriptions/s/resourceGroups/rg',
    apply: false,
    notApplyingReason: 'report-only scope',
    needsApproval: true,
    steps,
  });
  assert.equal(MAX_SUMMARY_STEPS, 50);
  assert.deepEqual(s, {
    kind: 'access',
    target: '/subscriptions/s/resourceGroups/rg',
    apply: false,
    notApplyingReason: 'report-only scope',
    needsApproval: true,
    stepCount: 60,
    steps: steps.slice(0, 50).map((x) => x.key),
    truncated: true,
  });
  const small = summarizePlan({
    kind: 'network',
    target: 't',
    apply: true,
    notApplyingReason: null,
    needsApproval: false,
    steps: [{ key: 'k' }],
  });
  assert.deepEqual([small.steps, small.truncated], [['k'], false]);
});
