import assert from 'node:assert/strict';
import { test } from 'node:test';

import { durationMs, retryPolicyOf } from '../../../../runtime/timer/retry-policy';

test('retry options as @azure/functions emits them become a policy', () => {
  const fixed = retryPolicyOf({
    strategy: 'fixedDelay',
    retryStrategy: 'fixedDelay',
    maxRetryCount: 2,
    delayInterval: { seconds: 10 },
  });
  assert.equal(fixed?.maxRetryCount, 2);
  assert.equal(fixed?.delayMs(1), 10_000);
  const backoff = retryPolicyOf({
    retryStrategy: 'exponentialBackoff',
    maxRetryCount: -1,
    minimumInterval: { seconds: 5 },
    maximumInterval: { seconds: 60 },
  });
  assert.equal(backoff?.maxRetryCount, -1, 'retry forever');
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoff?.delayMs(n)),
    [5_000, 10_000, 20_000, 40_000, 60_000],
  );
});

test('no policy for missing, zero-retry or unknown strategies', () => {
  assert.equal(retryPolicyOf(undefined), undefined);
  assert.equal(retryPolicyOf({ strategy: 'fixedDelay', maxRetryCount: 0, delayInterval: { seconds: 1 } }), undefined);
  assert.equal(retryPolicyOf({ strategy: 'linear', maxRetryCount: 3 }), undefined);
});

test('durations: protobuf seconds/nanos, Duration objects and ms', () => {
  assert.equal(durationMs({ seconds: 2, nanos: 500_000_000 }), 2500);
  assert.equal(durationMs({ hours: 1, minutes: 1, seconds: 1, milliseconds: 1 }), 3_661_001);
  assert.equal(durationMs(250), 250);
  assert.equal(durationMs('nonsense'), 0);
});
