import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { RuntimeLogger } from '../../../runtime/host/runtime-services';
import { type RunningRuntime, startRuntime } from '../../../runtime/runtime';
import {
  adminCall,
  type AppRecord,
  eventually,
  makeTriggersApp,
  readRecords,
  TRIGGERS_APP_MAIN,
} from '../../fixtures/apps/triggers-app/test-support/harness';

const app = makeTriggersApp({ values: { WARDEN_SERVICEBUS_MAX_DELIVERY_COUNT: '3' } });
const quiet: RuntimeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
let runtime: RunningRuntime;

before(async () => {
  runtime = await startRuntime({
    appDir: app.appDir,
    main: TRIGGERS_APP_MAIN,
    port: 0,
    stateDir: app.stateDir,
    logger: quiet,
    printTable: false,
  });
});

after(async () => {
  await runtime.stop();
  app.cleanup();
});

const admin = (method: string, route: string, body?: unknown) =>
  adminCall(runtime.baseUrl, runtime.keys.masterKey, method, route, body);
const records = (fn: string, filter: (r: AppRecord) => boolean = () => true) =>
  readRecords(app.logFile).filter((r) => r.fn === fn && filter(r));

test('a queue message reaches the function with camel-cased metadata, and its output binding feeds the next queue', async () => {
  const sent = await admin('POST', '/admin/servicebus/commands/messages', {
    body: { id: 'c-1' },
    messageId: 'msg-c-1',
    applicationProperties: { Tenant: 'contoso' },
  });
  assert.equal(sent.status, 201);
  await eventually(() => records('audit').length === 1, 'the audit message from the output binding');
  const [start] = records('commands', (r) => r.phase === 'start' && r.id === 'c-1');
  assert.equal(start?.messageId, 'msg-c-1');
  assert.equal(start?.deliveryCount, 1);
  assert.deepEqual(start?.applicationProperties, { tenant: 'contoso' }, 'the worker lower-cases first letters');
  assert.deepEqual(records('audit')[0]?.message, { audited: 'c-1' });
});

test('a throwing handler gets the message again with deliveryCount+1 until it succeeds', async () => {
  await admin('POST', '/admin/servicebus/commands/messages', { body: { id: 'c-2', failTimes: 2 } });
  await eventually(() => records('commands', (r) => r.id === 'c-2' && r.phase === 'done').length === 1, 'success');
  assert.deepEqual(
    records('commands', (r) => r.id === 'c-2' && r.phase === 'start').map((r) => r.deliveryCount),
    [1, 2, 3],
  );
});

test('after the max delivery count the message is dead-lettered and listed by the admin API', async () => {
  await admin('POST', '/admin/servicebus/commands/messages', {
    body: { id: 'c-3', failTimes: 99 },
    messageId: 'poison',
  });
  await eventually(async () => {
    const dlq = await admin('GET', '/admin/servicebus/commands/deadletter');
    return (dlq.json.messages as unknown[]).length === 1;
  }, 'the dead letter');
  const dlq = await admin('GET', '/admin/servicebus/commands/deadletter');
  const [dead] = dlq.json.messages as { messageId: string; deadLetterReason: string; deliveryCount: number }[];
  assert.equal(dead?.messageId, 'poison');
  assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
  assert.equal(records('commands', (r) => r.id === 'c-3' && r.phase === 'start').length, 3);
  const queues = await admin('GET', '/admin/servicebus/queues');
  const commands = (queues.json.entities as { name: string; deadLetterMessageCount: number }[]).find(
    (e) => e.name === 'commands',
  );
  assert.equal(commands?.deadLetterMessageCount, 1);
  assert.equal(
    (await fetch(`${runtime.baseUrl}/admin/servicebus/queues`)).status,
    401,
    'the admin API needs the master key',
  );
});

test('a handler running longer than the lock keeps it (automatic renewal): one delivery', async () => {
  await admin('POST', '/admin/servicebus/commands/messages', { body: { id: 'c-4', sleepMs: 2500 } });
  await eventually(() => records('commands', (r) => r.id === 'c-4' && r.phase === 'done').length === 1, 'the slow one');
  assert.deepEqual(
    records('commands', (r) => r.id === 'c-4' && r.phase === 'start').map((r) => r.deliveryCount),
    [1],
  );
});

test('session messages are handled in order, one at a time per session', async () => {
  for (let n = 1; n <= 4; n++) {
    for (const sessionId of ['s-a', 's-b']) {
      const r = await admin('POST', '/admin/servicebus/ordered/messages', { body: { n }, sessionId });
      assert.equal(r.status, 201);
    }
  }
  await eventually(() => records('ordered', (r) => r.phase === 'end').length === 8, 'all session messages');
  for (const sessionId of ['s-a', 's-b']) {
    const seq = records('ordered', (r) => r.sessionId === sessionId).map((r) => `${String(r.phase)}${String(r.n)}`);
    assert.deepEqual(seq, ['start1', 'end1', 'start2', 'end2', 'start3', 'end3', 'start4', 'end4']);
  }
});

test('an HTTP function publishes to a topic through its output binding; the subscription trigger gets a batch', async () => {
  const res = await fetch(`${runtime.baseUrl}/api/publish`, {
    method: 'POST',
    body: JSON.stringify([{ kind: 'a' }, { kind: 'b' }]),
  });
  assert.equal(res.status, 202);
  await eventually(() => records('eventsBatch').flatMap((r) => r.messages as unknown[]).length === 2, 'both events');
  assert.deepEqual(
    records('eventsBatch').flatMap((r) => r.messages as unknown[]),
    [{ kind: 'a' }, { kind: 'b' }],
  );
  assert.ok(Array.isArray(records('eventsBatch')[0]?.messageIds));
});

test('a scheduled message waits for the shared clock', async () => {
  const clock = await admin('GET', '/admin/clock');
  assert.equal(clock.status, 200);
  const now = Number(clock.json.epochMs);
  const at = new Date(now + 2 * 3_600_000).toISOString();
  await admin('POST', '/admin/servicebus/commands/messages', { body: { id: 'c-later' }, scheduledEnqueueTime: at });
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(records('commands', (r) => r.id === 'c-later').length, 0);
  await admin('POST', '/admin/clock/advance', { ms: 3 * 3_600_000 });
  await eventually(() => records('commands', (r) => r.id === 'c-later' && r.phase === 'done').length === 1, 'it');
});
