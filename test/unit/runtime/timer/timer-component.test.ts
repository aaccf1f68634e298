import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import type { RpcBindingInfo } from '../../../../runtime/host/core-types';
import type { RuntimeComponent } from '../../../../runtime/host/runtime-services';
import { parseNcrontab } from '../../../../runtime/timer/ncrontab';
import { createTimerComponent } from '../../../../runtime/timer/timer-component';
import {
  type FakeRuntime,
  fakeRuntime,
  fn,
  type Invocation,
  settle,
  waitFor,
} from '../../../fixtures/apps/triggers-app/test-support/fake-services';

const running: { component: RuntimeComponent; rt: FakeRuntime }[] = [];

afterEach(async () => {
  for (const { component, rt } of running.splice(0)) {
    await component.stop();
    rt.cleanup();
  }
});

function timerFn(name: string, options: Partial<RpcBindingInfo>, retryOptions?: Record<string, unknown>) {
  return fn(
    name,
    { timerTrigger1: { type: 'timerTrigger', direction: 'in', schedule: '0 0 * * * *', ...options } },
    retryOptions,
  );
}

async function start(rt: FakeRuntime): Promise<RuntimeComponent> {
  const component = createTimerComponent({ drainTimeoutMs: 2000 });
  await component.start(rt.services);
  running.push({ component, rt });
  return component;
}

interface TimerPayload {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

function payloadOf(inv: Invocation | undefined): TimerPayload {
  const json = inv?.options.request.inputData?.[0]?.data?.json;
  assert.ok(json, 'the timer input is JSON');
  return JSON.parse(json) as TimerPayload;
}

/** Advances the clock to just after the next occurrence of `expression`. */
function advancePastNext(rt: FakeRuntime, expression = '0 0 * * * *'): number {
  const next = parseNcrontab(expression).next(rt.clock.now())!;
  rt.clock.advance(next - rt.clock.now() + 10);
  return next;
}

test('a due occurrence fires when the shared clock is advanced, with the host timer payload', async () => {
  const rt = fakeRuntime({ functions: [timerFn('hourly', {})] });
  await start(rt);
  await settle(100);
  assert.equal(rt.invocations.length, 0, 'nothing runs before the first occurrence');
  const first = advancePastNext(rt);
  await waitFor(() => rt.invocations.length === 1, 'the first occurrence');
  const inv = rt.invocations[0]!;
  assert.equal(inv.functionName, 'hourly');
  assert.equal(inv.options.request.inputData?.[0]?.name, 'timerTrigger1');
  const p = payloadOf(inv);
  assert.deepEqual(p.Schedule, { AdjustForDST: true });
  assert.equal(p.IsPastDue, false);
  assert.equal(p.ScheduleStatus?.Last, '0001-01-01T00:00:00');
  assert.equal(p.ScheduleStatus?.Next, new Date(first).toISOString().replace('.000Z', '+00:00'));
  assert.equal(inv.options.request.retryContext, null, 'no retry context without a retry policy');

  advancePastNext(rt);
  await waitFor(() => rt.invocations.length === 2, 'the second occurrence');
  const second = payloadOf(rt.invocations[1]);
  assert.equal(second.IsPastDue, false);
  assert.notEqual(second.ScheduleStatus?.Last, '0001-01-01T00:00:00', 'Last is the previous run');
  assert.ok(Date.parse(second.ScheduleStatus!.Last) >= first);
});

test('an occurrence missed while the runtime was down runs once at start-up with IsPastDue', async () => {
  const rt = fakeRuntime({ functions: [timerFn('hourly', {})] });
  const first = await start(rt);
  await settle(50);
  await first.stop();
  running.length = 0;
  const missed = parseNcrontab('0 0 * * * *').next(rt.clock.now())!;
  rt.clock.advance(3 * 3_600_000); // three occurrences pass while nothing runs

  const rt2 = fakeRuntime({ functions: [timerFn('hourly', {})], stateDir: rt.stateDir, clock: rt.clock });
  await start(rt2);
  await waitFor(() => rt2.invocations.length === 1, 'the past-due run');
  await settle(200);
  assert.equal(rt2.invocations.length, 1, 'the missed occurrences run once, not three times');
  const p = payloadOf(rt2.invocations[0]);
  assert.equal(p.IsPastDue, true);
  assert.equal(p.ScheduleStatus?.Next, new Date(missed).toISOString().replace('.000Z', '+00:00'));
  assert.ok(rt2.logs.some((l) => l.event === 'timer.past-due'));
});

test('runOnStartup invokes once when the runtime starts', async () => {
  const rt = fakeRuntime({ functions: [timerFn('boot', { runOnStartup: true })] });
  await start(rt);
  await waitFor(() => rt.invocations.length === 1, 'the start-up run');
  await settle(100);
  assert.equal(rt.invocations.length, 1);
  assert.equal(payloadOf(rt.invocations[0]).IsPastDue, false);
});

test('a retry policy re-invokes with retryContext after the delay on the shared clock', async () => {
  const rt = fakeRuntime({
    functions: [
      timerFn(
        'flaky',
        {},
        { strategy: 'fixedDelay', retryStrategy: 'fixedDelay', maxRetryCount: 2, delayInterval: { seconds: 60 } },
      ),
    ],
  });
  rt.setInvoke(() => ({ status: 'failure', error: new Error('downstream unavailable') }));
  await start(rt);
  advancePastNext(rt);
  await waitFor(() => rt.invocations.length === 1, 'the first attempt');
  await settle(100);
  assert.equal(rt.invocations.length, 1, 'the retry waits for its delay');
  rt.clock.advance(60_000);
  await waitFor(() => rt.invocations.length === 2, 'the first retry');
  rt.clock.advance(60_000);
  await waitFor(() => rt.invocations.length === 3, 'the second retry');
  rt.clock.advance(60_000);
  await settle(150);
  assert.equal(rt.invocations.length, 3, 'maxRetryCount 2 means three attempts');
  const contexts = rt.invocations.map((i) => i.options.request.retryContext);
  assert.deepEqual(
    contexts.map((c) => [c?.retryCount, c?.maxRetryCount]),
    [
      [0, 2],
      [1, 2],
      [2, 2],
    ],
  );
  assert.equal(contexts[1]?.exception?.message, 'downstream unavailable');
});

test('%SETTING% schedules and WEBSITE_TIME_ZONE are honoured', async () => {
  const rt = fakeRuntime({
    functions: [timerFn('morning', { schedule: '%MORNING%' })],
    env: { MORNING: '0 30 9 * * *', WEBSITE_TIME_ZONE: 'America/New_York' },
  });
  await start(rt);
  const scheduled = rt.logs.find((l) => l.event === 'timer.scheduled');
  assert.equal(scheduled?.fields.schedule, '0 30 9 * * *');
  assert.equal(scheduled?.fields.timeZone, 'America/New_York');
  const next = Date.parse(String(scheduled?.fields.next));
  const hourInNewYork = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).format(new Date(next));
  assert.equal(hourInNewYork, '09:30');
  rt.clock.advance(next - rt.clock.now() + 10);
  await waitFor(() => rt.invocations.length === 1, 'the 09:30 occurrence');
  assert.match(payloadOf(rt.invocations[0]).ScheduleStatus!.Next, /T09:30:00-0[45]:00$/);
});

test('schedules more frequent than once a minute are not monitored: ScheduleStatus is null', async () => {
  const rt = fakeRuntime({ functions: [timerFn('fast', { schedule: '*/10 * * * * *' })] });
  await start(rt);
  rt.clock.advance(10_000);
  await waitFor(() => rt.invocations.length >= 1, 'a ten-second occurrence');
  assert.equal(payloadOf(rt.invocations[0]).ScheduleStatus, null);
});

test('a clock jump over several occurrences runs the timer once, past due', async () => {
  const rt = fakeRuntime({ functions: [timerFn('hourly', {})] });
  await start(rt);
  rt.clock.advance(5 * 3_600_000);
  await waitFor(() => rt.invocations.length === 1, 'the coalesced run');
  await settle(150);
  assert.equal(rt.invocations.length, 1);
  assert.equal(payloadOf(rt.invocations[0]).IsPastDue, true);
});

test('an invalid schedule or unset setting fails start-up naming the function', async () => {
  const bad = fakeRuntime({ functions: [timerFn('broken', { schedule: '0 0 0 L * *' })] });
  await assert.rejects(createTimerComponent().start(bad.services), /Timer function "broken".*"0 0 0 L \* \*"/);
  bad.cleanup();
  const unset = fakeRuntime({ functions: [timerFn('unset', { schedule: '%NOPE%' })] });
  await assert.rejects(createTimerComponent().start(unset.services), /"unset".*%NOPE%/);
  unset.cleanup();
});

test('a changed schedule is picked up at start-up from the last run, not reported past due', async () => {
  const rt = fakeRuntime({ functions: [timerFn('sweep', { schedule: '0 0 0 * * *' })] }); // daily
  const first = await start(rt);
  await first.stop();
  running.length = 0;
  rt.clock.advance(2 * 3_600_000); // two hours: the daily occurrence is not due yet
  const rt2 = fakeRuntime({
    functions: [timerFn('sweep', { schedule: '0 0 * * * *' })], // now hourly
    stateDir: rt.stateDir,
    clock: rt.clock,
  });
  await start(rt2);
  await settle(200);
  const scheduled = rt2.logs.find((l) => l.event === 'timer.scheduled');
  assert.equal(scheduled?.fields.schedule, '0 0 * * * *');
  // The next hourly occurrence after the last status update is already past: the host runs it (past due).
  await waitFor(() => rt2.invocations.length === 1, 'the run under the new schedule');
  assert.equal(payloadOf(rt2.invocations[0]).IsPastDue, true);
});
