import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout } from 'node:timers/promises';

import { tempStore } from './store-fixture';

test('an event id is accepted once, also across connections', async () => {
  const t = tempStore('warden-events-');
  try {
    const other = t.open();
    const results = await Promise.all([
      t.store.events.firstReceipt('evt-1', 'eventgrid'),
      other.events.firstReceipt('evt-1', 'eventgrid'),
      t.store.events.firstReceipt('evt-2', 'eventgrid'),
    ]);
    assert.deepEqual(results.slice(0, 2).sort(), [false, true]);
    assert.equal(results[2], true);
    assert.equal(await other.events.firstReceipt('evt-2', 'eventgrid'), false);
    assert.equal(t.count('event_receipts'), 2);
  } finally {
    await t.cleanup();
  }
});

test('a receipt waits (without blocking the event loop) for a write held open by another connection', async () => {
  const t = tempStore('warden-events-');
  try {
    const other = t.open();
    let committed = false;
    const held = t.store.batch(async (tx) => {
      await tx.audit({ actor: 'ada', action: 'test', target: 't' });
      await setTimeout(150);
      committed = true;
    });
    await setTimeout(20);
    assert.equal(await other.events.firstReceipt('evt-held', 'eventgrid'), true);
    assert.ok(committed, 'the receipt was written after the other transaction committed');
    await held;
  } finally {
    await t.cleanup();
  }
});

test('handleOnce runs a handler once per event id, and gives the receipt back when the handler throws', async () => {
  const t = tempStore('warden-events-');
  try {
    let runs = 0;
    await assert.rejects(
      t.store.events.handleOnce('evt-t', 'eventgrid', () => {
        runs += 1;
        return Promise.reject(new Error('transient'));
      }),
      /transient/,
    );
    assert.equal(t.count('event_receipts'), 0, 'the receipt was given back');
    const ok = await t.store.events.handleOnce('evt-t', 'eventgrid', () => Promise.resolve(++runs));
    assert.deepEqual(ok, { value: 2 });
    assert.equal(await t.store.events.handleOnce('evt-t', 'eventgrid', () => Promise.resolve(++runs)), undefined);
    assert.equal(runs, 2, 'the duplicate ran nothing');
    // another source's receipt for the same id is its own
    await t.store.events.forgetReceipt('evt-t', 'servicebus');
    assert.equal(t.count('event_receipts'), 1);
  } finally {
    await t.cleanup();
  }
});

test('poison messages are kept with their reason', async () => {
  const t = tempStore('warden-events-');
  try {
    await t.store.events.recordPoison({
      source: 'sb:commands',
      messageId: 'm-1',
      reason: 'body is not JSON',
      body: '{oops',
    });
    const [p] = await t.store.events.listPoison();
    assert.equal(p?.reason, 'body is not JSON');
    assert.equal(p?.messageId, 'm-1');
    assert.equal(p?.receivedAt, '2026-06-01T12:00:00.000Z');
  } finally {
    await t.cleanup();
  }
});
