import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nextCheckAt, nextNoticeAt, nextRotationAt } from '../../../../shared/domain/metadata/due-times';

const base = {
  interval_days: 30,
  last_rotated_at: null,
  created_at: '2026-01-01T00:00:00.000Z',
  current_expires_at: null,
  status: 'active',
};

test('rotation is due interval_days after the last rotation, or after the reference was recorded', () => {
  assert.equal(nextRotationAt(base), '2026-01-31T00:00:00.000Z');
  assert.equal(nextRotationAt({ ...base, last_rotated_at: '2026-03-01T06:00:00.000Z' }), '2026-03-31T06:00:00.000Z');
});

test('an earlier vault expiry wins, a day ahead of it', () => {
  assert.equal(nextRotationAt({ ...base, current_expires_at: '2026-01-20T00:00:00.000Z' }), '2026-01-19T00:00:00.000Z');
  assert.equal(nextRotationAt({ ...base, current_expires_at: '2027-01-01T00:00:00.000Z' }), '2026-01-31T00:00:00.000Z');
});

test('a disabled reference is never due; the notice precedes rotation by notify_before_days', () => {
  assert.equal(nextRotationAt({ ...base, status: 'disabled' }), null);
  assert.equal(nextNoticeAt('2026-01-31T00:00:00.000Z', 7), '2026-01-24T00:00:00.000Z');
  assert.equal(nextNoticeAt('2026-01-31T00:00:00.000Z', 0), null);
  assert.equal(nextNoticeAt(null, 7), null);
});

test('only quarantined models are re-checked; an explicit time is kept', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  assert.equal(nextCheckAt('Production', '2026-02-01T00:00:00.000Z', now), null);
  assert.equal(nextCheckAt('Quarantined', null, now), '2026-01-01T01:00:00.000Z');
  assert.equal(nextCheckAt('Quarantined', '2026-01-01T00:30:00.000Z', now), '2026-01-01T00:30:00.000Z');
});
