import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';

import { SharedClock } from '../../../../runtime/clock/shared-clock';
import { type OutgoingMessage, ServiceBusBroker } from '../../../../runtime/servicebus/broker';
import { openStateDb } from '../../../../runtime/state/state-db';

const dirs: string[] = [];
const brokers: ServiceBusBroker[] = [];

afterEach(() => {
  for (const b of brokers.splice(0)) b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A broker whose real-time lock clock the test moves by hand. */
function makeBroker(
  options: { dir?: string; maxDeliveryCount?: number; clock?: SharedClock; realTime?: { now: number } } = {},
) {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'warden-broker-'));
  if (!options.dir) dirs.push(dir);
  const clock = options.clock ?? new SharedClock(undefined, true);
  const realTime = options.realTime ?? { now: 1_000_000 };
  const broker = new ServiceBusBroker(
    openStateDb(dir, 'servicebus.db'),
    clock,
    { lockDurationMs: 1000, maxDeliveryCount: options.maxDeliveryCount ?? 3 },
    () => realTime.now,
  );
  brokers.push(broker);
  return { broker, clock, realTime, dir };
}

function text(body: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return { body: Buffer.from(body), bodyIsText: true, ...extra };
}

const bodyOf = (m: { body: Uint8Array }): string => Buffer.from(m.body).toString('utf8');

test('peek-lock: a locked message is invisible until its lock expires, then redelivered with deliveryCount+1', () => {
  const { broker, realTime } = makeBroker();
  broker.ensureQueue('Orders');
  broker.send('orders', [text('one')]);
  const [first] = broker.receive('ORDERS', 1);
  assert.equal(first?.deliveryCount, 1);
  assert.equal(broker.receive('orders', 1).length, 0, 'locked');
  realTime.now += 999;
  assert.equal(broker.receive('orders', 1).length, 0, 'still locked');
  realTime.now += 2;
  const [again] = broker.receive('orders', 1);
  assert.equal(again?.deliveryCount, 2);
  assert.equal(again?.messageId, first?.messageId);
  assert.deepEqual(broker.complete([first.lockToken]), [first.lockToken], 'the first lock was lost');
  assert.deepEqual(broker.complete([again.lockToken]), []);
  assert.equal(broker.counts()[0]?.activeMessageCount, 0);
});

test('renewing a lock keeps the message; abandon makes it available at once', () => {
  const { broker, realTime } = makeBroker();
  broker.ensureQueue('q');
  broker.send('q', [text('a')]);
  const [m] = broker.receive('q', 1);
  realTime.now += 800;
  assert.equal(broker.renewLocks([m!.lockToken]), 1);
  realTime.now += 800;
  assert.equal(broker.receive('q', 1).length, 0, 'the renewed lock still holds');
  broker.abandon([m!.lockToken]);
  const [again] = broker.receive('q', 1);
  assert.equal(again?.deliveryCount, 2);
});

test('after max delivery count the message is dead-lettered with reason, by abandon or by lock expiry', () => {
  const { broker, realTime } = makeBroker({ maxDeliveryCount: 3 });
  broker.ensureQueue('q');
  broker.send('q', [text('poison', { messageId: 'm-poison' }), text('expires', { messageId: 'm-expire' })]);
  for (let i = 1; i <= 3; i++) {
    const got = broker.receive('q', 2);
    const poison = got.find((m) => m.messageId === 'm-poison');
    assert.equal(poison?.deliveryCount, i);
    broker.abandon([poison.lockToken]);
    realTime.now += 1001; // the other one's lock expires
  }
  assert.deepEqual(broker.receive('q', 2), [], 'both used up their deliveries');
  const dead = broker.deadLetters('q');
  assert.deepEqual(
    dead.map((m) => [m.messageId, m.deadLetterReason, m.deliveryCount]),
    [
      ['m-poison', 'MaxDeliveryCountExceeded', 3],
      ['m-expire', 'MaxDeliveryCountExceeded', 3],
    ],
  );
  assert.match(dead[0]!.deadLetterErrorDescription ?? '', /3 delivery attempts/);
  const counts = broker.counts()[0]!;
  assert.equal(counts.deadLetterMessageCount, 2);
  assert.equal(counts.activeMessageCount, 0);
});

test('sessions: one receiver per session at a time, messages in order', () => {
  const { broker, realTime } = makeBroker();
  broker.ensureQueue('s', true);
  broker.send('s', [text('a1', { sessionId: 'A' }), text('b1', { sessionId: 'B' }), text('a2', { sessionId: 'A' })]);
  const a = broker.acceptSession('s')!;
  assert.equal(a.sessionId, 'A', 'the session of the oldest message first');
  const b = broker.acceptSession('s')!;
  assert.equal(b.sessionId, 'B');
  assert.equal(broker.acceptSession('s'), undefined, 'both sessions are held');
  const [a1] = broker.receiveFromSession('s', 'A', a.lockToken, 1);
  assert.equal(bodyOf(a1!), 'a1');
  assert.deepEqual(broker.receiveFromSession('s', 'A', a.lockToken, 1), [], 'a2 waits while a1 is in flight');
  broker.abandon([a1!.lockToken]);
  const [a1again] = broker.receiveFromSession('s', 'A', a.lockToken, 1);
  assert.equal(bodyOf(a1again!), 'a1', 'an abandoned session message comes back before the next one');
  assert.equal(a1again?.deliveryCount, 2);
  broker.complete([a1again.lockToken]);
  const [a2] = broker.receiveFromSession('s', 'A', a.lockToken, 1);
  assert.equal(bodyOf(a2!), 'a2');
  assert.throws(() => broker.receiveFromSession('s', 'A', 'not-the-token', 1), /session lock/);
  // A session whose holder died becomes available when its lock expires.
  realTime.now += 1001;
  const taken = broker.acceptSession('s');
  assert.ok(taken);
  assert.ok(['A', 'B'].includes(taken.sessionId));
});

test('a session-enabled entity refuses messages without SessionId; unknown entities are not found', () => {
  const { broker } = makeBroker();
  broker.ensureQueue('s', true);
  assert.throws(() => broker.send('s', [text('x')]), { name: 'SessionRequiredError' });
  assert.throws(() => broker.send('nope', [text('x')]), { name: 'EntityNotFoundError' });
});

test('scheduled messages appear when the shared clock reaches their time', () => {
  const { broker, clock } = makeBroker();
  broker.ensureQueue('q');
  const at = clock.now() + 3_600_000;
  broker.send('q', [text('later', { scheduledEnqueueTimeMs: at })]);
  assert.equal(broker.receive('q', 1).length, 0);
  assert.equal(broker.counts()[0]?.scheduledMessageCount, 1);
  clock.advance(3_600_000);
  const [m] = broker.receive('q', 1);
  assert.equal(bodyOf(m!), 'later');
  assert.equal(m?.scheduledEnqueueTimeMs, at);
});

test('a topic copies each message to every subscription; without subscriptions it drops them', () => {
  const { broker } = makeBroker();
  broker.ensureTopic('events');
  assert.deepEqual(broker.send('events', [text('lost')]), []);
  broker.ensureSubscription('events', 'one');
  broker.ensureSubscription('events', 'two');
  assert.equal(broker.send('events', [text('e1')]).length, 2);
  assert.equal(bodyOf(broker.receive('events/subscriptions/one', 1)[0]!), 'e1');
  assert.equal(bodyOf(broker.receive('events/subscriptions/two', 1)[0]!), 'e1');
  assert.throws(() => broker.ensureQueue('events'), /already exists as a topic/);
});

test('state survives reopening: a message locked by a process that died is redelivered after its lock expires', () => {
  const realTime = { now: 5_000_000 };
  const first = makeBroker({ realTime });
  first.broker.ensureQueue('q');
  first.broker.send('q', [text('durable')]);
  const [m] = first.broker.receive('q', 1);
  first.broker.close(); // the process "dies" holding the lock
  brokers.length = 0;
  const second = makeBroker({ dir: first.dir, realTime, clock: first.clock });
  assert.equal(second.broker.receive('q', 1).length, 0, 'the dead process still holds the lock');
  realTime.now += 1001;
  const [again] = second.broker.receive('q', 1);
  assert.equal(again?.messageId, m?.messageId);
  assert.equal(again?.deliveryCount, 2);
});
