import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatWithOffset, parseNcrontab } from '../../../../runtime/timer/ncrontab';

const JAN_1_2024 = Date.parse('2024-01-01T00:00:00Z'); // a Monday

function nextRuns(expression: string, count: number, from = JAN_1_2024, timeZone = 'UTC'): string[] {
  const schedule = parseNcrontab(expression, timeZone);
  const out: string[] = [];
  let t = from;
  for (let i = 0; i < count; i++) {
    const next = schedule.next(t);
    assert.ok(next !== undefined, `${expression} has a next occurrence`);
    out.push(new Date(next).toISOString());
    t = next;
  }
  return out;
}

test('day-of-month AND day-of-week: 0 0 0 13 * Fri is only Friday the 13th', () => {
  assert.deepEqual(nextRuns('0 0 0 13 * Fri', 3), [
    '2024-09-13T00:00:00.000Z',
    '2024-12-13T00:00:00.000Z',
    '2025-06-13T00:00:00.000Z',
  ]);
});

test('six fields, seconds first, with steps, ranges and a/n', () => {
  assert.deepEqual(nextRuns('0 */5 * * * *', 2), ['2024-01-01T00:05:00.000Z', '2024-01-01T00:10:00.000Z']);
  assert.deepEqual(nextRuns('5/20 * * * * *', 3), [
    '2024-01-01T00:00:05.000Z',
    '2024-01-01T00:00:25.000Z',
    '2024-01-01T00:00:45.000Z',
  ]);
  assert.deepEqual(nextRuns('0 0 9-10 * * *', 3), [
    '2024-01-01T09:00:00.000Z',
    '2024-01-01T10:00:00.000Z',
    '2024-01-02T09:00:00.000Z',
  ]);
});

test('month and weekday names: three-letter and full, any case; Sunday is 0', () => {
  const expected = ['2024-01-01T09:30:00.000Z', '2024-01-08T09:30:00.000Z'];
  assert.deepEqual(nextRuns('0 30 9 * Jan Mon', 2), expected);
  assert.deepEqual(nextRuns('0 30 9 * January Monday', 2), expected);
  assert.deepEqual(nextRuns('0 30 9 * jan mon', 2), expected);
  assert.deepEqual(nextRuns('0 0 12 * * Sunday', 1), ['2024-01-07T12:00:00.000Z']);
  assert.deepEqual(nextRuns('0 0 12 * * 0', 1), ['2024-01-07T12:00:00.000Z']);
  assert.deepEqual(nextRuns('0 0 12 * * Mon-Wed', 3), [
    '2024-01-01T12:00:00.000Z',
    '2024-01-02T12:00:00.000Z',
    '2024-01-03T12:00:00.000Z',
  ]);
});

test('what NCRONTAB does not know is refused with the expression in the message', () => {
  for (const bad of [
    '0 0 0 * * 7',
    '0 0 0 * * 5-7',
    '0 0 0 L * *',
    '0 0 0 1W * *',
    '0 0 0 ? * *',
    '0 0 0 * * 1#2',
    '0 */5 * * *',
    '0 0 0 * * * 2024',
    '00:05:00',
    '@hourly',
    '0 0 0 * * Fr',
    '0 0 0 * Foo *',
    '0 61 * * * *',
  ]) {
    assert.throws(
      () => parseNcrontab(bad),
      (e: Error) => e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test('time zones: occurrences are computed in WEBSITE_TIME_ZONE, unknown zones are refused', () => {
  // 09:30 in New York in January is 14:30 UTC (EST, -05:00); in July 13:30 UTC (EDT).
  assert.deepEqual(nextRuns('0 30 9 * * *', 1, JAN_1_2024, 'America/New_York'), ['2024-01-01T14:30:00.000Z']);
  assert.deepEqual(nextRuns('0 30 9 * * *', 1, Date.parse('2024-07-01T00:00:00Z'), 'America/New_York'), [
    '2024-07-01T13:30:00.000Z',
  ]);
  assert.throws(() => parseNcrontab('0 0 * * * *', 'Not/AZone'), /time zone/);
  assert.equal(parseNcrontab('0 0 * * * *', 'Eastern Standard Time').timeZone, 'America/New_York', 'Windows ids');
});

test('status times are formatted with the offset of the zone, as the host serialises them', () => {
  assert.equal(formatWithOffset(Date.parse('2024-01-01T14:30:00Z'), 'UTC'), '2024-01-01T14:30:00+00:00');
  assert.equal(formatWithOffset(Date.parse('2024-01-01T14:30:00Z'), 'America/New_York'), '2024-01-01T09:30:00-05:00');
  assert.equal(formatWithOffset(Date.parse('2024-07-01T13:30:00Z'), 'America/New_York'), '2024-07-01T09:30:00-04:00');
  assert.equal(formatWithOffset(Date.parse('2024-01-01T00:00:00.250Z'), 'UTC'), '2024-01-01T00:00:00.250+00:00');
});
