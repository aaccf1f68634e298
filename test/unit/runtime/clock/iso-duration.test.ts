import assert from 'node:assert/strict';
import { test } from 'node:test';

import { advanceAmount } from '../../../../runtime/admin/admin-routes';
import { parseIsoDuration } from '../../../../runtime/clock/iso-duration';

test('ISO 8601 durations in weeks, days, hours, minutes, seconds', () => {
  assert.equal(parseIsoDuration('PT1H'), 3_600_000);
  assert.equal(parseIsoDuration('P1DT12H'), 129_600_000);
  assert.equal(parseIsoDuration('PT0.5S'), 500);
  assert.equal(parseIsoDuration('P2W'), 1_209_600_000);
  assert.equal(parseIsoDuration('pt90m'), 5_400_000);
  for (const bad of ['P1M', 'P1Y', 'PT', 'P', '1H', '']) assert.throws(() => parseIsoDuration(bad), RangeError, bad);
});

test('advance body: ms or duration, not both, never negative', () => {
  assert.equal(advanceAmount(Buffer.from('{"ms":10}')), 10);
  assert.equal(advanceAmount(Buffer.from('{"duration":"PT1S"}')), 1000);
  assert.throws(() => advanceAmount(Buffer.from('{"ms":1,"duration":"PT1S"}')), /either/);
  assert.throws(() => advanceAmount(Buffer.from('{"ms":-5}')), /non-negative/);
  assert.throws(() => advanceAmount(Buffer.from('[')), /must be JSON/);
});
