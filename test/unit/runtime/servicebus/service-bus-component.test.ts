import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';

import type { RpcBindingInfo, RpcTypedData } from '../../../../runtime/host/core-types';
import type { InvocationResult, InvokeOptions } from '../../../../runtime/host/function-host';
import {
  createServiceBusComponent,
  type ServiceBusComponentOptions,
} from '../../../../runtime/servicebus/service-bus-component';
import { openStateDb } from '../../../../runtime/state/state-db';
import {
  type FakeRuntime,
  fakeRuntime,
  fn,
  settle,
  waitFor,
} from '../../../fixtures/apps/triggers-app/test-support/fake-services';

type Component = ReturnType<typeof createServiceBusComponent>;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function queueFn(
  name: string,
  queueName: string,
  extra: Partial<RpcBindingInfo> = {},
  outputs: Record<string, RpcBindingInfo> = {},
) {
  return fn(name, {
    serviceBusTrigger1: { type: 'serviceBusTrigger', direction: 'in', queueName, connection: 'SB', ...extra },
    ...outputs,
  });
}

async function setup(
  functions: ReturnType<typeof fn>[],
  options: ServiceBusComponentOptions = {},
  hostJson: Record<string, unknown> = {},
): Promise<{
  rt: FakeRuntime;
  component: Component;
  admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;
}> {
  const rt = fakeRuntime({ functions, env: { SB: 'Endpoint=sb://local/' }, hostJson });
  const component = createServiceBusComponent({ pollIntervalMs: 20, drainTimeoutMs: 2000, ...options });
  await component.start(rt.services);
  const route = rt.routes.get('/admin/servicebus');
  assert.ok(route, 'the admin route is registered');
  const server = http.createServer((req, res) => {
    void route(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    await component.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rt.cleanup();
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { rt, component, admin };
}

function input(opts: InvokeOptions): RpcTypedData {
  const data = opts.request.inputData?.[0]?.data;
  assert.ok(data);
  return data;
}

function meta(opts: InvokeOptions, key: string): unknown {
  const d = opts.request.triggerMetadata?.[key];
  if (!d) return undefined;
  return d.string ?? (d.json ? JSON.parse(d.json) : undefined);
}

interface Counts {
  name: string;
  kind: string;
  requiresSession: boolean;
  activeMessageCount: number;
  scheduledMessageCount: number;
  lockedMessageCount: number;
  deadLetterMessageCount: number;
}

async function entityCounts(
  admin: (method: string, path: string) => Promise<{ status: number; json: Record<string, unknown> }>,
  name: string,
): Promise<Counts> {
  const res = await admin('GET', '/admin/servicebus/queues');
  assert.equal(res.status, 200);
  const entity = (res.json.entities as Counts[]).find((e) => e.name === name);
  assert.ok(entity, `entity ${name} is listed`);
  return entity;
}

const ok: InvocationResult = { status: 'success', response: {} };
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a queue trigger gets the body and the metadata the worker sees; success completes', async () => {
  const { rt, admin } = await setup([queueFn('commands', 'commands')]);
  const sent = await admin('POST', '/admin/servicebus/commands/messages', {
    body: { orderId: 5 },
    messageId: 'm-1',
    correlationId: 'c-1',
    applicationProperties: { Tenant: 'contoso', attempt: 1 },
  });
  assert.equal(sent.status, 201);
  await waitFor(() => rt.invocations.length === 1, 'the invocation');
  const opts = rt.invocations[0]!.options;
  assert.equal(opts.request.inputData?.[0]?.name, 'serviceBusTrigger1');
  assert.deepEqual(input(opts), { string: '{"orderId":5}' });
  assert.equal(meta(opts, 'MessageId'), 'm-1');
  assert.equal(meta(opts, 'DeliveryCount'), 1);
  assert.equal(meta(opts, 'CorrelationId'), 'c-1');
  assert.equal(meta(opts, 'ContentType'), 'application/json');
  assert.deepEqual(meta(opts, 'ApplicationProperties'), { Tenant: 'contoso', attempt: 1 });
  assert.deepEqual(meta(opts, 'UserProperties'), { Tenant: 'contoso', attempt: 1 });
  assert.equal(meta(opts, 'orderId'), 5, 'top-level body properties are binding data too');
  assert.equal(typeof meta(opts, 'EnqueuedTimeUtc'), 'string');
  assert.equal(typeof meta(opts, 'LockToken'), 'string');
  assert.equal((meta(opts, 'sys') as { MethodName: string }).MethodName, 'commands');
  await waitFor(() => rt.logs.some((l) => l.event === 'servicebus.completed'), 'the completion');
  const counts = await entityCounts(admin, 'commands');
  assert.equal(counts.activeMessageCount, 0);
  assert.equal(counts.lockedMessageCount, 0);
  assert.equal(counts.deadLetterMessageCount, 0);
});

test('locks are renewed while a handler runs longer than the lock duration', async () => {
  const { rt, admin } = await setup([queueFn('slow', 'slow')], { lockDurationMs: 1000 });
  rt.setInvoke(async () => {
    await delay(2500);
    return ok;
  });
  await admin('POST', '/admin/servicebus/slow/messages', { body: 'work' });
  await waitFor(() => rt.logs.some((l) => l.event === 'servicebus.completed'), 'the completion', 10_000);
  assert.equal(rt.invocations.length, 1, 'no redelivery while the lock was renewed');
  assert.ok(!rt.logs.some((l) => l.event === 'servicebus.lock-lost'));
});

test('without lock renewal an expired lock means redelivery with deliveryCount+1 while the first handler runs', async () => {
  const { rt, admin } = await setup(
    [queueFn('slow', 'slow')],
    { lockDurationMs: 300 },
    {
      extensions: { serviceBus: { maxAutoLockRenewalDuration: '00:00:00' } },
    },
  );
  rt.setInvoke(async (_name, opts) => {
    if (meta(opts, 'DeliveryCount') === 1) await delay(1000);
    return ok;
  });
  await admin('POST', '/admin/servicebus/slow/messages', { body: 'work', messageId: 'slow-1' });
  await waitFor(() => rt.invocations.length === 2, 'the redelivery', 10_000);
  assert.deepEqual(
    rt.invocations.map((i) => [meta(i.options, 'MessageId'), meta(i.options, 'DeliveryCount')]),
    [
      ['slow-1', 1],
      ['slow-1', 2],
    ],
  );
  await waitFor(() => rt.logs.some((l) => l.event === 'servicebus.lock-lost'), 'the lost lock of the first', 10_000);
});

test('a handler that keeps throwing is dead-lettered after max deliveries, with reason in the admin API', async () => {
  const { rt, admin } = await setup([queueFn('poison', 'poison')], { maxDeliveryCount: 4 });
  rt.setInvoke(() => ({ status: 'failure', error: new Error('cannot process') }));
  await admin('POST', '/admin/servicebus/poison/messages', { body: { bad: true }, messageId: 'p-1' });
  await waitFor(() => rt.invocations.length === 4, 'four deliveries');
  await settle(200);
  assert.equal(rt.invocations.length, 4);
  assert.deepEqual(
    rt.invocations.map((i) => meta(i.options, 'DeliveryCount')),
    [1, 2, 3, 4],
  );
  const dlq = await admin('GET', '/admin/servicebus/poison/deadletter');
  assert.equal(dlq.status, 200);
  const [dead] = dlq.json.messages as {
    messageId: string;
    deadLetterReason: string;
    deliveryCount: number;
    body: string;
  }[];
  assert.equal(dead?.messageId, 'p-1');
  assert.equal(dead?.deadLetterReason, 'MaxDeliveryCountExceeded');
  assert.equal(dead?.deliveryCount, 4);
  assert.equal(dead?.body, '{"bad":true}');
  assert.equal((await entityCounts(admin, 'poison')).deadLetterMessageCount, 1);
});

test('sessions: each session in order, one handler per session at a time, sessions in parallel', async () => {
  const { rt, admin } = await setup(
    [queueFn('ordered', 'ordered', { isSessionsEnabled: true })],
    {},
    {
      extensions: { serviceBus: { maxConcurrentSessions: 3 } },
    },
  );
  const events: string[] = [];
  const active = new Map<string, number>();
  let maxParallelSessions = 0;
  rt.setInvoke(async (_name, opts) => {
    const sid = String(meta(opts, 'SessionId'));
    const n = Number((JSON.parse(input(opts).string ?? '{}') as { n: number }).n);
    assert.equal(active.get(sid) ?? 0, 0, `session ${sid} has one handler at a time`);
    active.set(sid, 1);
    maxParallelSessions = Math.max(maxParallelSessions, [...active.values()].filter((v) => v > 0).length);
    events.push(`${sid}:${n}`);
    await delay(15);
    active.set(sid, 0);
    // The second message of session B fails once: it must come back before B's third.
    if (sid === 'B' && n === 2 && meta(opts, 'DeliveryCount') === 1)
      return { status: 'failure', error: new Error('once') };
    return ok;
  });
  for (let n = 1; n <= 5; n++) {
    for (const sessionId of ['A', 'B', 'C']) {
      const r = await admin('POST', '/admin/servicebus/ordered/messages', { body: { n }, sessionId });
      assert.equal(r.status, 201);
    }
  }
  await waitFor(() => events.length === 16, 'all 15 messages and one retry', 15_000);
  for (const sid of ['A', 'C']) {
    assert.deepEqual(
      events.filter((e) => e.startsWith(`${sid}:`)),
      [1, 2, 3, 4, 5].map((n) => `${sid}:${n}`),
    );
  }
  assert.deepEqual(
    events.filter((e) => e.startsWith('B:')),
    ['B:1', 'B:2', 'B:2', 'B:3', 'B:4', 'B:5'],
  );
  assert.ok(maxParallelSessions >= 2, `sessions ran in parallel (max ${maxParallelSessions})`);
  const r = await admin('POST', '/admin/servicebus/ordered/messages', { body: 'no session' });
  assert.equal(r.status, 400, 'a session-enabled queue needs a SessionId');
});

test('cardinality many delivers a batch with Array metadata', async () => {
  const { rt, admin } = await setup([
    fn('batch', {
      t: {
        type: 'serviceBusTrigger',
        direction: 'in',
        topicName: 'events',
        subscriptionName: 'audit',
        connection: 'SB',
        cardinality: 'many',
      },
    }),
  ]);
  rt.setInvoke(async () => {
    await delay(200);
    return ok;
  });
  // The first message starts a batch of one; the other four arrive while it runs and form the next batch.
  await admin('POST', '/admin/servicebus/events/messages', { body: { i: 0 }, messageId: 'e0' });
  await waitFor(() => rt.invocations.length === 1, 'the first batch');
  for (let i = 1; i <= 4; i++)
    await admin('POST', '/admin/servicebus/events/messages', { body: { i }, messageId: `e${i}` });
  await waitFor(() => rt.invocations.length === 2, 'the second batch');
  const second = rt.invocations[1]!.options;
  assert.deepEqual(input(second), { collectionString: { string: ['{"i":1}', '{"i":2}', '{"i":3}', '{"i":4}'] } });
  assert.deepEqual(meta(second, 'MessageIdArray'), ['e1', 'e2', 'e3', 'e4']);
  assert.deepEqual(meta(second, 'DeliveryCountArray'), [1, 1, 1, 1]);
  const sub = await entityCounts(admin, 'events/subscriptions/audit');
  assert.equal(sub.kind, 'subscription');
});

test('the serviceBus output binding sends one message per element to a queue or topic', async () => {
  const { rt, component } = await setup([
    queueFn('audit', 'audit'),
    fn('producer', {
      h: { type: 'httpTrigger', direction: 'in' },
      toAudit: { type: 'serviceBus', direction: 'out', queueName: 'audit', connection: 'SB' },
    }),
  ]);
  const handler = rt.outputHandlers.get('servicebus');
  assert.ok(handler, 'the output handler is registered');
  const producer = rt.services.host.functions.get('producer')!;
  await handler(producer, 'toAudit', producer.metadata.bindings.toAudit!, { json: '[{"a":1},"plain"]' });
  await handler(producer, 'toAudit', producer.metadata.bindings.toAudit!, { bytes: new Uint8Array([0xff, 0x00]) });
  await waitFor(() => rt.invocations.length === 3, 'three messages');
  const inputs = rt.invocations.map((i) => input(i.options));
  assert.deepEqual(inputs.slice(0, 2), [{ string: '{"a":1}' }, { string: 'plain' }]);
  assert.deepEqual([...(inputs[2]?.bytes ?? [])], [0xff, 0x00]);
  assert.ok(component.broker?.entity('audit'));
});

test('admin API: bad input gets 400, unknown entities 404, scheduled messages wait for the shared clock', async () => {
  const { rt, admin } = await setup([queueFn('commands', 'commands')]);
  assert.equal((await admin('POST', '/admin/servicebus/commands/messages', '{not json')).status, 400);
  const invalid = await admin('POST', '/admin/servicebus/commands/messages', { body: 1, surprise: true });
  assert.equal(invalid.status, 400);
  assert.match(String(invalid.json.detail), /surprise/);
  assert.equal((await admin('POST', '/admin/servicebus/commands/messages', {})).status, 400);
  assert.equal((await admin('POST', '/admin/servicebus/nowhere/messages', { body: 1 })).status, 404);
  assert.equal((await admin('GET', '/admin/servicebus/nowhere/deadletter')).status, 404);
  const at = new Date(rt.clock.now() + 86_400_000).toISOString();
  const scheduled = await admin('POST', '/admin/servicebus/commands/messages', {
    body: 'tomorrow',
    scheduledEnqueueTime: at,
  });
  assert.equal(scheduled.status, 201);
  assert.equal(scheduled.json.scheduled, true);
  await settle(200);
  assert.equal(rt.invocations.length, 0);
  assert.equal((await entityCounts(admin, 'commands')).scheduledMessageCount, 1);
  rt.clock.advance(86_400_000);
  await waitFor(() => rt.invocations.length === 1, 'the scheduled message');
  assert.equal(meta(rt.invocations[0]!.options, 'ScheduledEnqueueTimeUtc'), at);
});

test('stop() lets a running handler finish within the drain time, else releases its lock', async () => {
  const { rt, component, admin } = await setup([queueFn('q', 'q')], { drainTimeoutMs: 100 });
  let release: () => void = () => undefined;
  rt.setInvoke(() => new Promise<InvocationResult>((resolve) => (release = () => resolve(ok))));
  await admin('POST', '/admin/servicebus/q/messages', { body: 'x' });
  await waitFor(() => rt.invocations.length === 1, 'the running handler');
  const broker = component.broker!;
  await component.stop();
  assert.ok(rt.logs.some((l) => l.event === 'servicebus.locks-released'));
  release();
  assert.ok(broker.isClosed);
  const db = openStateDb(rt.stateDir, 'servicebus.db');
  const row = db.prepare('SELECT delivery_count, lock_token FROM sb_messages').get() as {
    delivery_count: number;
    lock_token: string | null;
  };
  db.close();
  assert.equal(row.lock_token, null, 'the lock was released: the message is available to the next runtime');
  assert.equal(row.delivery_count, 1);
});

test('host.json maxConcurrentCalls bounds the messages in flight per function', async () => {
  const { rt, admin } = await setup(
    [queueFn('work', 'work')],
    {},
    { extensions: { serviceBus: { maxConcurrentCalls: 2 } } },
  );
  let active = 0;
  let maxActive = 0;
  let done = 0;
  rt.setInvoke(async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await delay(60);
    active--;
    done++;
    return ok;
  });
  for (let i = 0; i < 6; i++) await admin('POST', '/admin/servicebus/work/messages', { body: { i } });
  await waitFor(() => done === 6, 'all six messages');
  assert.equal(maxActive, 2);
});

test('an output binding cannot send to a session-enabled queue (no SessionId from Node), as on Azure', async () => {
  const { rt } = await setup([
    queueFn('ordered', 'ordered', { isSessionsEnabled: true }),
    fn('producer', {
      h: { type: 'httpTrigger', direction: 'in' },
      toOrdered: { type: 'serviceBus', direction: 'out', queueName: 'ordered', connection: 'SB' },
    }),
  ]);
  const handler = rt.outputHandlers.get('servicebus')!;
  const producer = rt.services.host.functions.get('producer')!;
  await assert.rejects(
    handler(producer, 'toOrdered', producer.metadata.bindings.toOrdered!, { json: '{"a":1}' }),
    /SessionId/,
  );
});
